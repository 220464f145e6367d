"""Code kept beside the fixtures it serves (`tests/fixtures/*/site.py`, `warcs.py`), loaded by path.

The fixture folders are data, not packages; a test gets a helper module with
`fixture_module("archives/site.py")`, loaded once under a stable name, so every test
file that uses it shares one module.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture_module(relative: str) -> ModuleType:
    """The module at `tests/fixtures/<relative>`, e.g. "monitor/site.py"."""
    path = FIXTURES / relative
    name = "fixture_" + "_".join(Path(relative).with_suffix("").parts)
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module
