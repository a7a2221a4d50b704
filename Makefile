# Two commands on a fresh machine: `make demo` (the main job end to end) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export AZMTH_HOME ?= $(CURDIR)/.azmth
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install demo test lint typecheck dev clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

demo: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/azmth demo

test: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy over the product and the sandbox, as configured in pyproject.toml (unused ignores are errors too).
typecheck: install
	$(BIN)/mypy

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

dev: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf $(VENV) .azmth .dagster_home
