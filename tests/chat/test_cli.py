"""The branchbot command as an operator runs it: one clear line for bad settings, real polling."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from botapi_emulator import BotApiEmulator


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANCHBOT_")}
    env["BRANCHBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env["BRANCHBOT_WEB_PORT"] = "0"  # the bot's web server on any free port
    env["BRANCHBOT_METRICS_PORT"] = "0"
    env.update(values)
    return env


async def _branchbot(env: dict[str, str], *args: str, limit: float = 60) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), limit)
    assert process.returncode is not None
    return process.returncode, out.decode()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("BRANCHBOT_ADMINS", "12,abc", "BRANCHBOT_ADMINS: must be comma-separated"),
        ("BRANCHBOT_ADMINS", "12,\u0661\u0662\u0663", "BRANCHBOT_ADMINS: must be comma-separated"),
        ("BRANCHBOT_ADMINS", "9" * 5000, "BRANCHBOT_ADMINS: must be comma-separated"),
        ("BRANCHBOT_TIMEZONE", "Mars/Olympus", "BRANCHBOT_TIMEZONE: unknown time zone"),
        ("BRANCHBOT_DATABASE_URL", "mysql://x", "BRANCHBOT_DATABASE_URL: use sqlite"),
        ("BRANCHBOT_TOKEN", "not-a-token", "BRANCHBOT_TOKEN: does not look like a bot token"),
        ("BRANCHBOT_API_BASE_URL", "ftp://x", "BRANCHBOT_API_BASE_URL: must be an http"),
        ("BRANCHBOT_CONFIG", "/nonexistent.toml", "BRANCHBOT_CONFIG: file not found"),
    ],
)
async def test_bad_setting_stops_with_one_line(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    code, out = await _branchbot(_env(tmp_path, **{variable: value}), "run")
    assert code == 2
    assert out.strip().splitlines() == [out.strip()]  # one line, no traceback
    assert expected in out


async def test_settings_from_a_toml_file(tmp_path: Path) -> None:
    from bot.config import load_settings

    config = tmp_path / "branchbot.toml"
    config.write_text('admins = [7, 8]\ntimezone = "Asia/Urumqi"\n', encoding="utf-8")
    os.environ["BRANCHBOT_CONFIG"] = str(config)
    try:
        settings = load_settings()
    finally:
        del os.environ["BRANCHBOT_CONFIG"]
    assert settings.admins == frozenset({7, 8}) and settings.timezone == "Asia/Urumqi"


async def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    code, out = await _branchbot(_env(tmp_path), "db", "upgrade")
    assert code == 0, out
    with sqlite3.connect(tmp_path / "cli.db") as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
        journal = connection.execute("pragma journal_mode").fetchone()[0]
    assert {"people", "memberships", "party_organizations", "invites"} <= tables
    assert journal == "wal"


async def test_run_polls_the_bot_api_and_answers(tmp_path: Path) -> None:
    async with BotApiEmulator() as emulator:
        env = _env(
            tmp_path,
            BRANCHBOT_TOKEN=emulator.token,
            BRANCHBOT_API_BASE_URL=emulator.base_url,
            BRANCHBOT_ADMINS="4242",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        try:
            emulator.add_user(4242, "Admin", language_code="en")
            emulator.send_text(4242, "/start")
            # From 1 November the admin may first get the missing-holiday-schedule warning.
            reply = await emulator.wait_for_bot_message(4242, timeout=30,
                                                        containing="administrator")
            assert "administrator" in reply.text
        finally:
            process.send_signal(signal.SIGINT)
            out, _ = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, out.decode()
        assert emulator.token not in out.decode()  # the token never reaches the log


async def test_run_with_a_refused_token_says_so(tmp_path: Path) -> None:
    async with BotApiEmulator() as emulator:
        env = _env(tmp_path, BRANCHBOT_TOKEN="999:WRONG", BRANCHBOT_API_BASE_URL=emulator.base_url)
        code, out = await _branchbot(env, "run")
    assert code == 2
    assert "branchbot: BRANCHBOT_TOKEN: Telegram refused this token" in out
    assert "Traceback" not in out


async def test_run_without_a_token_serves_the_sandbox_page(tmp_path: Path) -> None:
    import socket

    import aiohttp

    with socket.socket() as probe:  # a free port for the page
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = _env(tmp_path, BRANCHBOT_SANDBOX_PORT=str(port))
    env["BROWSER"] = "true"  # webbrowser.open must not start anything here
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not any("press Ctrl+C" in line for line in lines):
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line, "".join(lines)
            lines.append(line.decode())
        output = "".join(lines)
        assert "starting the local sandbox" in output
        assert f"http://127.0.0.1:{port}/" in output and "?start=" in output
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/") as response:
                assert response.status == 200
                assert "composer-input" in await response.text()
            async with http.get(f"http://127.0.0.1:{port}/_emu/api/users") as response:
                users = await response.json()
        names = str(users)
        assert "赵书记" in names and "王丽" in names
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0


async def test_run_without_a_token_or_the_emulator_says_how_to_install_it(
    tmp_path: Path,
) -> None:
    """A production install has no emulator: without a token it says so in one line."""
    hide = "import sys; sys.modules['botapi_emulator'] = None; from bot.cli import main; "
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", hide + "sys.exit(main(['run']))",
        env=_env(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    text = out.decode()
    assert process.returncode == 2
    assert text.strip().splitlines() == [text.strip()], text  # one line, no traceback
    assert "emulator, which is not installed" in text and "pip install -e ./emulator" in text
    assert not (tmp_path / "cli.db").exists()  # nothing started


def test_env_example_lists_every_setting_with_its_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """.env.example is the operator's list: every setting, each shown with its true default."""
    from bot.config import Settings

    text = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    shown: dict[str, str] = {}
    for line in text.splitlines():
        line = line.removeprefix("# ").strip()
        if line.startswith("BRANCHBOT_") and "=" in line:
            name, _, value = line.partition("=")
            shown[name.removeprefix("BRANCHBOT_").lower()] = value
    assert sorted(shown) == sorted(Settings.model_fields), "update .env.example"
    for name in [n for n in os.environ if n.startswith("BRANCHBOT_")]:
        monkeypatch.delenv(name)
    for name, value in shown.items():
        if value:
            monkeypatch.setenv(f"BRANCHBOT_{name.upper()}", value)
    parsed = Settings()
    for name, field in Settings.model_fields.items():
        assert getattr(parsed, name) == field.get_default(call_default_factory=True), name


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"branchbot {version('branchbot')}"
