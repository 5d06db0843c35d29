"""Every feature package imports cleanly when it is the first one imported: a circle between
two features (each importing the other at module level) only shows in some orders, so each is
tried first, in a fresh set of handler modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import importlib, sys
from handlers import FEATURES
failed = []
for name in FEATURES:
    for loaded in [m for m in sys.modules if m == "handlers" or m.startswith("handlers.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module("handlers." + name)
    except ImportError as exc:
        failed.append(f"{name}: {exc}")
print("\\n".join(failed))
"""


def test_each_feature_imports_first() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "", done.stdout
