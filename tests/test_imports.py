"""Every module imports on its own, whatever was imported before it: no import cycle hides behind a lucky order."""

import importlib
import pkgutil
import sys

import pytest

import azmth_pipelines


def _modules() -> list[str]:
    found = pkgutil.walk_packages(azmth_pipelines.__path__, prefix="azmth_pipelines.")
    return sorted(m.name for m in found if ".db.migrations." not in m.name)


def test_each_module_imports_first() -> None:
    failures = []
    saved = {name: module for name, module in sys.modules.items() if name.startswith("azmth_pipelines")}
    try:
        for name in _modules():
            for loaded in [m for m in sys.modules if m.startswith("azmth_pipelines")]:
                del sys.modules[loaded]
            try:
                importlib.import_module(name)
            except ImportError as exc:
                failures.append(f"{name}: {exc}")
    finally:
        sys.modules.update(saved)
    if failures:
        pytest.fail("modules that fail when imported first:\n" + "\n".join(failures))
