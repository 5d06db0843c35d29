"""The import contract of pyproject.toml ([tool.importlinter]) holds, and still says what it must.

The packages form layers, bot > reminders > handlers > storage > rules: a layer imports only
those below it. Storage knows no Telegram, rules no database, web or Telegram library, the chat
kit no feature of the chat, and only the CLI imports the sandbox. scripts/test runs the same
`lint-imports` before pytest; this test makes `pytest` alone catch a broken contract too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from importlinter.api import read_configuration

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["bot", "reminders", "handlers", "storage", "rules"]
# Imports the contract still lets through until rules own the vocabulary (the enums leave
# storage/models, the reminder calendar leaves storage and the chat); none may be added.
PENDING: set[str] = set()  # no exception to the layers is left


def contracts() -> dict[str, dict[str, Any]]:
    options = read_configuration(str(ROOT / "pyproject.toml"))
    return {contract["id"]: contract for contract in options["contracts_options"]}


def test_the_import_contract_holds() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_contract_keeps_the_layers_and_the_rules_around_them() -> None:
    found = contracts()
    layers = found["layers"]
    assert layers["type"] == "layers" and layers["layers"] == LAYERS
    assert set(layers.get("ignore_imports", [])) <= PENDING
    storage = found["storage-no-telegram"]
    assert storage["type"] == "forbidden" and storage["source_modules"] == ["storage"]
    assert "telegram" in storage["forbidden_modules"]
    assert set(storage.get("ignore_imports", [])) <= PENDING
    rules = found["rules-pure"]
    assert rules["type"] == "forbidden" and rules["source_modules"] == ["rules"]
    assert {"telegram", "sqlalchemy"} <= set(rules["forbidden_modules"])
    assert set(rules.get("ignore_imports", [])) <= PENDING
    kit = found["kit-knows-no-feature"]
    assert kit["source_modules"] == ["handlers.kit"] and kit["forbidden_modules"] == ["handlers.*"]
    assert "ignore_imports" not in kit
    sandbox = found["sandbox-apart"]
    assert sandbox["type"] == "protected" and sandbox["protected_modules"] == ["bot.sandbox"]
    assert sandbox["allowed_importers"] == ["bot.cli"] and "ignore_imports" not in sandbox
