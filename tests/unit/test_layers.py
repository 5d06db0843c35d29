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


SHARED = {"kit", "access", "locale"}  # handlers' packages that are no feature


def feature_imports() -> dict[str, dict[str, set[str]]]:
    """feature -> another feature it imports -> the names it takes (lazy imports included)."""
    import ast

    features = {p.name for p in (ROOT / "handlers").iterdir()
                if p.is_dir() and (p / "__init__.py").exists() and p.name not in SHARED}
    found: dict[str, dict[str, set[str]]] = {f: {} for f in features}
    for feature in features:
        for path in (ROOT / "handlers" / feature).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module:
                    parts = node.module.split(".")
                    names = {alias.name for alias in node.names}
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        parts = alias.name.split(".")
                        if parts[0] == "handlers" and len(parts) > 1 and parts[1] in features:
                            found[feature].setdefault(parts[1], set())
                    continue
                else:
                    continue
                if parts[0] == "handlers" and len(parts) > 1 and parts[1] in features \
                        and parts[1] != feature:
                    found[feature].setdefault(parts[1], set()).update(names)
    return found


def test_features_import_each_other_without_a_circle_or_a_private_name() -> None:
    """A feature may use another's buttons and services, never its private names, and no two
    features lean on each other (issue 15: no import circle)."""
    graph = feature_imports()
    private = {(a, b, name) for a, edges in graph.items() for b, names in edges.items()
               for name in names if name.startswith("_")}
    assert not private
    seen: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(feature: str, path: list[str]) -> None:
        seen[feature] = 1
        for other in graph[feature]:
            assert seen.get(other) != 1, " -> ".join([*path, feature, other])
            if other not in seen:
                visit(other, [*path, feature])
        seen[feature] = 2

    for feature in sorted(graph):
        if feature not in seen:
            visit(feature, [])
