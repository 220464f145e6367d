"""The layering the folders show, checked on the source so that a new import cannot blur it.

Nothing in `pipeline/` imports Airflow but `pipeline/airflow_integration.py`; extraction
(`pipeline/extract/`) and analysis (`pipeline/nlp/`) import nothing of the store, not
even through another module. SQL is the store's: the modules whose statements have moved
to `pipeline/store/` neither import psycopg nor run a statement themselves.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PIPELINE = Path(__file__).resolve().parents[2] / "pipeline"


def _name(path: Path) -> str:
    parts = path.relative_to(PIPELINE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(path): path for path in PIPELINE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """Every module an import statement names, at module level or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names
                         if f"{node.module}.{alias.name}" in MODULES)
    return names


def _reached(start: str) -> set[str]:
    """The modules importing `start` can load: its imports, theirs, and their packages' `__init__`."""
    seen, todo = set(), [start]
    while todo:
        for name in _imports(MODULES[todo.pop()]):
            parts = name.split(".")
            for prefix in (".".join(parts[:i]) for i in range(1, len(parts) + 1)):
                if prefix not in seen:
                    seen.add(prefix)
                    if prefix in MODULES:
                        todo.append(prefix)
    return seen


def test_layers_only_the_airflow_integration_imports_airflow():
    importers = sorted(name for name, path in MODULES.items() if name != "pipeline.airflow_integration"
                       and any(imported.split(".")[0] == "airflow" for imported in _imports(path)))
    assert importers == []


@pytest.mark.parametrize("layer", ["pipeline.extract", "pipeline.nlp"])
def test_layers_extraction_and_analysis_import_nothing_of_the_store(layer):
    modules = [name for name in MODULES if name == layer or name.startswith(layer + ".")]
    assert modules
    reached = {name: sorted(m for m in _reached(name) if m.startswith("pipeline.store") or m == "psycopg")
               for name in modules}
    assert {name: found for name, found in reached.items() if found} == {}


#: every module of `pipeline/` but the store: its SQL lives in `pipeline/store/`
SQL_FREE = sorted({name.split(".")[1] for name in MODULES if name.count(".") >= 1} - {"store"})


@pytest.mark.parametrize("layer", SQL_FREE)
def test_layers_sql_is_the_stores(layer):
    modules = [name for name in MODULES if name.split(".")[1:2] == [layer]]
    assert modules
    psycopg_importers = sorted(name for name in modules
                               if any(imported.split(".")[0] == "psycopg" for imported in _imports(MODULES[name])))
    executors = sorted(name for name in modules for node in ast.walk(ast.parse(MODULES[name].read_text(encoding="utf-8")))
                       if isinstance(node, ast.Attribute) and node.attr in ("execute", "executemany"))
    assert (psycopg_importers, executors) == ([], [])


def test_layers_the_store_reaches_only_the_data_model():
    """The store reads and writes the records of `models`; it knows no stage that makes them."""
    allowed = {"pipeline", "pipeline.store", "pipeline.models", "pipeline.errors", "pipeline.config"}
    reached = {name: sorted(m for m in _reached(name) if m.startswith("pipeline") and m not in allowed
                            and not m.startswith("pipeline.store."))
               for name in MODULES if name.startswith("pipeline.store")}
    assert {name: found for name, found in reached.items() if found} == {}
