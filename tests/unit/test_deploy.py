"""What an operator installs from: the Dockerfile, compose.yaml, the systemd unit and the lock
files. No Docker engine here, so the files are parsed and checked for the essentials; the lock
files themselves are what scripts/lib.sh (and so CI) installs from."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _instructions(name: str) -> list[str]:
    parser = DockerfileParser(str(ROOT / "Dockerfile"))
    return [i["value"] for i in parser.structure if i["instruction"] == name]


def test_dockerfile_has_the_essentials() -> None:
    parser = DockerfileParser(str(ROOT / "Dockerfile"))
    base = parser.baseimage
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base), base
    runs = " ".join(_instructions("RUN"))
    assert "fonts-noto-cjk" in runs  # Chinese charts
    assert "--require-hashes" in runs and "-r requirements/base.lock" in runs
    assert "pip install --no-deps ." in runs  # the project itself adds nothing unpinned
    assert any("requirements/base.lock" in c for c in _instructions("COPY"))
    # The Bot API emulator (emulator/) is for tests and the sandbox: not in the image.
    assert not any("emulator" in c for c in _instructions("COPY"))
    users = _instructions("USER")
    assert users and users[-1] not in ("root", "0"), users
    (health,) = _instructions("HEALTHCHECK")
    assert "/healthz" in health
    assert _instructions("ENTRYPOINT") == ['["branchbot"]']


def test_health_check_asks_the_operations_listener() -> None:
    """/healthz is not on the public port: the image checks the metrics listener's port."""
    from bot.config import Settings

    parser = DockerfileParser(str(ROOT / "Dockerfile"))
    (health,) = _instructions("HEALTHCHECK")
    port = parser.envs.get("BRANCHBOT_METRICS_PORT", str(Settings().metrics_port))
    assert "BRANCHBOT_METRICS_PORT" in health and f"'{port}'" in health, health
    assert "127.0.0.1" in health  # the default host is loopback, inside the container
    assert port not in " ".join(_instructions("EXPOSE")).split()
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    published = re.findall(r'^\s*- "([\d.:]+)"$', compose, re.MULTILINE)
    assert published and not any(mapping.endswith(":" + port) for mapping in published)


def test_compose_file_follows_the_compose_specification() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(ROOT / "compose.yaml")],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0 and "validation done" in done.stdout, done.stdout + done.stderr
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert "condition: service_healthy" in text and "bot-data:/data" in text
    assert "postgresql+asyncpg://" in text


def test_systemd_unit_runs_the_bot_unprivileged() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "branchbot.service", encoding="utf-8")
    service = unit["Service"]
    assert service["User"] not in ("root", "0")
    assert service["ExecStart"].endswith("branchbot run")
    assert service["ExecStartPre"].endswith("branchbot db upgrade")
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] and service["NoNewPrivileges"] == "true"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def _pins(lock: Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", lock.read_text(), re.MULTILINE)
    return {name.lower().replace("_", "-"): version for name, version in found}


@pytest.mark.parametrize("extra", ["base", "test"])
def test_lock_files_pin_every_dependency_with_hashes(extra: str) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    if extra == "test":
        wanted += project["optional-dependencies"]["test"]
    lock = ROOT / "requirements" / f"{extra}.lock"
    pins = _pins(lock)
    for line in wanted:
        requirement = Requirement(line)
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not in {lock.name}: run scripts/lock"
        assert requirement.specifier.contains(pins[name]), (name, pins[name], "run scripts/lock")
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text())
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)


def test_the_image_and_the_tests_install_the_same_versions() -> None:
    """The image installs base.lock, CI test.lock: every package both hold has one version."""
    base, test = _pins(ROOT / "requirements/base.lock"), _pins(ROOT / "requirements/test.lock")
    assert base.keys() <= test.keys()
    assert {name: version for name, version in base.items() if test[name] != version} == {}


def test_the_build_backend_is_pinned() -> None:
    """`pip install .` in the image builds with it: pinned like the dependencies."""
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
    assert all("==" in requirement for requirement in build["requires"]), build["requires"]
