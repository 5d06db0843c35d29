"""Fixtures: a fresh migrated database per test (SQLite, and PostgreSQL when configured).

Tests live in tiers, each a folder and a marker (`pytest -m unit` runs one tier):
unit (rules, the chat kit, views: no database, no Telegram), storage (a database, no bot),
chat (the real bot through the Bot API emulator), browser (the web pages in Chromium).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from sqlalchemy.engine import make_url

from storage.db import Database
from storage.migrate import upgrade
from tests.harness import FAILED, Bot, current_test, running_bot

# Generated-input tests: thorough in CI (CI=true), quick locally; never timed per example.
settings.register_profile("ci", max_examples=1000, deadline=None)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")

POSTGRES_URL = os.environ.get("BRANCHBOT_TEST_POSTGRES_URL")
# Unique per run, so two test runs on one server do not drop each other's template.
TEMPLATE_DB = f"branchbot_test_template_{uuid.uuid4().hex[:8]}"


def _backends() -> list[str]:
    return ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


async def _pg_admin(sql: str) -> None:
    import asyncpg

    assert POSTGRES_URL is not None
    url = make_url(POSTGRES_URL)
    connection = await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database="postgres",
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _pg_url(database: str) -> str:
    assert POSTGRES_URL is not None
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL database used as TEMPLATE for each test's database."""
    if not POSTGRES_URL:
        pytest.skip("BRANCHBOT_TEST_POSTGRES_URL is not set")

    async def create() -> None:
        await _pg_admin(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)")
        await _pg_admin(f"CREATE DATABASE {TEMPLATE_DB}")
        await upgrade(_pg_url(TEMPLATE_DB))

    asyncio.run(create())
    yield TEMPLATE_DB
    asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)"))


@pytest.fixture(params=_backends())
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A fresh, migrated, empty database for one test."""
    if request.param == "sqlite":
        path = tmp_path / "branchbot.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"branchbot_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}"))
    try:
        yield _pg_url(name)
    finally:
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


TIERS = ("unit", "storage", "chat", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test is marked with its tier, the folder it lives in."""
    for item in items:
        tier = item.path.parent.name
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    current_test.append(item)  # every bot the test starts checks its language when it stops
    try:
        return (yield)
    finally:
        current_test.remove(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when in ("setup", "call") and (report.failed or hasattr(report, "wasxfail")):
        item.stash[FAILED] = True  # a failed (or expected to fail) test's leaks are not news
    return report


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Bot]:
    """The real bot, polling a fresh emulator, on a fresh database.

    When it stops, nothing from the catalog reached a Chinese reader in English (checked by
    `running_bot`, as for every bot a test starts); a test that stores English names the bot
    shows back lists them with `@pytest.mark.english(...)`.
    """
    async for running in running_bot(database_url):
        yield running
