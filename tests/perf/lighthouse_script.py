"""scripts/lighthouse.py as a module (scripts/ is not a package), for the tests that use it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

PATH = Path(__file__).resolve().parents[2] / "scripts" / "lighthouse.py"


def load():
    if "lighthouse_script" not in sys.modules:
        spec = importlib.util.spec_from_file_location("lighthouse_script", PATH)
        assert spec and spec.loader, f"{PATH}: cannot be imported"
        module = importlib.util.module_from_spec(spec)
        sys.modules["lighthouse_script"] = module
        spec.loader.exec_module(module)
    return sys.modules["lighthouse_script"]
