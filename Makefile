# Two commands on a fresh machine: `make demo` (the main job end to end) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export AZMTH_HOME ?= $(CURDIR)/.azmth
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install lock demo test lint typecheck dev ui-shots clean

# uv installs from uv.lock: every dependency at the version and hash CI passed with. uv itself is pinned and
# lives in its own venv, so a fresh machine needs only Python.
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is needed")'
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# Sync whenever pyproject.toml or the lock changes; --locked refuses a lock that disagrees with pyproject.toml.
$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --extra dev --python $(PYTHON) --quiet
	@touch $@

# Refresh uv.lock after editing pyproject.toml's dependencies; `make lock UPGRADE=1` moves every package to its
# newest allowed version.
lock: | $(UV)
	$(UV) lock $(if $(UPGRADE),--upgrade)

install: $(VENV)/.installed

demo: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/azmth demo

test: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/pytest -n 2

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy over the product and the sandbox, as configured in pyproject.toml (unused ignores are errors too).
typecheck: install
	$(BIN)/mypy

# dagster.yaml is the local instance's template; Dagster reads an instance's configuration from $DAGSTER_HOME only.
$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

dev: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/azmth dev

# Screenshots of the Dagster UI for the README (docs/ui/); needs Debian's chromium package. Not part of CI.
ui-shots: install
	$(BIN)/python tools/ui_shots.py

clean:
	rm -rf $(VENV) $(TOOLS) .azmth .dagster_home
