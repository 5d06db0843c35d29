"""The Bot API emulator is a distribution of its own (emulator/, import name botapi_emulator):
branchbot's package list leaves it out, it imports nothing of branchbot, and branchbot needs it
only for the sandbox."""

from __future__ import annotations

import ast
import os
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatchcase
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = ROOT / "emulator" / "botapi_emulator"
PRODUCT = ("bot", "handlers", "reminders", "rules", "storage")


def _found_packages(include: list[str], exclude: list[str]) -> list[str]:
    """What pyproject's [tool.setuptools.packages.find] selects: like setuptools'
    find_namespace_packages, every folder not named with a dot, matched with fnmatchcase
    (setuptools itself is not installed in every virtualenv)."""
    found = []
    for folder, subfolders, _files in os.walk(ROOT):
        subfolders[:] = sorted(d for d in subfolders if "." not in d and d != "__pycache__")
        name = ".".join(Path(folder).relative_to(ROOT).parts)
        if name and any(fnmatchcase(name, p) for p in include) and not any(
            fnmatchcase(name, p) for p in exclude
        ):
            found.append(name)
    return found


def _imported_modules(path: Path) -> Iterator[tuple[str, int]]:
    """(absolute module name, relative level) of every import in a file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level


def test_the_branchbot_distribution_leaves_the_emulator_out() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    find = setuptools["packages"]["find"]
    packages = _found_packages(find["include"], find["exclude"])
    assert {"bot", "bot.sandbox", "handlers", "reminders", "rules", "storage"} <= set(packages)
    assert not [p for p in packages if "emulator" in p], packages
    # "bot*" would also match the emulator if it ever sat at the top: the exclusion covers it.
    assert any(fnmatchcase("botapi_emulator", pattern) for pattern in find["exclude"])
    assert not any("static" in data for data in setuptools["package-data"].get("bot", []))
    emulator = tomllib.loads((ROOT / "emulator" / "pyproject.toml").read_text())
    assert emulator["tool"]["setuptools"]["package-data"]["botapi_emulator"][0] == "static/*"
    assert (EMULATOR / "static" / "chat.html").is_file()


def test_the_emulator_imports_nothing_of_branchbot() -> None:
    files = sorted(EMULATOR.rglob("*.py"))
    assert len(files) > 20
    found = [
        f"{path.relative_to(ROOT)}: {module or '.'} (level {level})"
        for path in files
        for module, level in _imported_modules(path)
        if (level == 0 and module.split(".")[0] in (*PRODUCT, "bench", "tests")) or level > 1
    ]
    assert found == []


def test_branchbot_needs_the_emulator_only_for_the_sandbox() -> None:
    users = sorted(
        str(path.relative_to(ROOT))
        for package in PRODUCT
        for path in (ROOT / package).rglob("*.py")
        if any(module.split(".")[0] == "botapi_emulator" and level == 0
               for module, level in _imported_modules(path))
    )
    assert users == ["bot/sandbox/runner.py"]
