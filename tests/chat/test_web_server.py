"""The bot's web server: health and Prometheus metrics, in polling mode too."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

import aiohttp

from storage import outbox
from storage.db import Database
from tests.harness import Bot, running_bot


def samples(text: str) -> dict[str, float]:
    """Prometheus text format: `name{labels} value` lines, comments skipped."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            found[name] = float(value)
    return found


async def test_health_reports_the_database_and_the_outbox_depth(bot: Bot) -> None:
    assert bot.app is not None and bot.app.web is not None
    assert bot.app.web.port > 0  # port 0 asked for: the bound one is known
    async with bot.app.database.session() as session:
        await outbox.enqueue(session, [
            outbox.Planned(key=f"h:{n}", kind="notice", chat_id=5, text="x",
                           due_at=datetime(2100, 1, 1, tzinfo=UTC))
            for n in range(3)
        ])
    async with aiohttp.ClientSession() as http:
        async with http.get(bot.app.web.ops_url + "/healthz") as response:
            assert response.status == 200
            health = await response.json()
    assert {k: health[k] for k in ("database", "outbox_depth")} == {
        "database": True, "outbox_depth": 3}
    assert health["bot_api"]["reachable"] is True  # the bot is polling the emulator
    assert 0 <= health["bot_api"]["last_answer_seconds_ago"] < 60


async def test_health_says_when_the_bot_api_stopped_answering(bot: Bot) -> None:
    """Telegram unreachable: reported (the database is fine, so still 200)."""
    assert bot.app is not None and bot.app.web is not None
    await bot.emulator.stop()
    health: dict[str, Any] = {}
    async with aiohttp.ClientSession() as http:
        for _ in range(100):  # the long poll notices within a moment
            async with http.get(bot.app.web.ops_url + "/healthz") as response:
                assert response.status == 200
                health = await response.json()
            if health["bot_api"]["reachable"] is False:
                break
            await asyncio.sleep(0.1)
    assert health["bot_api"]["reachable"] is False, health
    assert health["bot_api"]["last_answer_seconds_ago"] is not None


async def test_health_is_503_when_the_database_is_unreachable(bot: Bot) -> None:
    assert bot.app is not None and bot.app.web is not None
    working = bot.app.database
    # Nothing listens on port 1: the same as a database server that went away.
    bot.app.database = Database("postgresql+asyncpg://nobody@127.0.0.1:1/gone")
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(bot.app.web.ops_url + "/healthz") as response:
                assert response.status == 503
                assert (await response.json())["database"] is False
            async with http.get(bot.app.web.ops_url + "/metrics") as response:
                assert response.status == 200  # metrics stay up, without the outbox gauge
                assert "branchbot_outbox_messages" not in await response.text()
    finally:
        await bot.app.database.dispose()
        bot.app.database = working


async def test_metrics_count_updates_latency_and_outbox_states(bot: Bot) -> None:
    person = bot.person(1001, "Alice", language_code="en")
    await person.say("/help")
    await person.say("/help")
    assert bot.app is not None and bot.app.web is not None
    async with bot.app.database.session() as session:
        await outbox.enqueue(session, [
            outbox.Planned(key="m:1", kind="notice", chat_id=5, text="x",
                           due_at=datetime(2100, 1, 1, tzinfo=UTC))
        ])
    async with aiohttp.ClientSession() as http:
        async with http.get(bot.app.web.ops_url + "/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            text = await response.text()
    values = samples(text)
    assert values["branchbot_updates_handled_total"] >= 2
    assert values["branchbot_update_duration_seconds_count"] >= 2
    assert values['branchbot_update_duration_seconds_bucket{le="+Inf"}'] == values[
        "branchbot_update_duration_seconds_count"
    ]
    buckets = [v for k, v in values.items() if k.startswith("branchbot_update_duration_seconds_b")]
    assert buckets == sorted(buckets)  # cumulative
    assert values['branchbot_outbox_messages{state="pending"}'] == 1
    assert values['branchbot_outbox_messages{state="sent"}'] == 0
    assert 'branchbot_outbox_sends_total{result="sent"}' in values
    # Every sample has its HELP and TYPE.
    for name in {re.sub(r"(_bucket|_sum|_count)?(\{.*)?$", "", k) for k in values}:
        assert f"# TYPE {name} " in text and f"# HELP {name} " in text


async def test_health_and_metrics_are_not_on_the_public_listener(bot: Bot) -> None:
    """The webhook and dashboard face the internet; health and metrics have their own port."""
    assert bot.app is not None and bot.app.web is not None
    web = bot.app.web
    assert web.ops_port not in (0, web.port)
    async with aiohttp.ClientSession() as http:
        for path in ("/healthz", "/metrics"):
            async with http.get(web.url + path) as response:
                assert response.status == 404, path
            async with http.get(web.ops_url + path) as response:
                assert response.status == 200, path
        async with http.get(web.ops_url + "/dashboard") as response:
            assert response.status == 404  # and the dashboard is not on the operations port


async def test_metrics_include_the_process_and_need_the_token_when_one_is_set(
    database_url: str,
) -> None:
    async for running in running_bot(database_url, metrics_token="scrape-Me_1"):
        assert running.app is not None and running.app.web is not None
        url = running.app.web.ops_url
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"Authorization": "Bearer wrong"},
                            {"Authorization": "scrape-Me_1"}):
                async with http.get(url + "/metrics", headers=headers) as response:
                    assert response.status == 401, headers
                    assert response.headers["WWW-Authenticate"] == "Bearer"
            async with http.get(url + "/healthz") as response:
                assert response.status == 200  # health checks need no token
            async with http.get(
                url + "/metrics", headers={"Authorization": "Bearer scrape-Me_1"}
            ) as response:
                assert response.status == 200
                values = samples(await response.text())
    # prometheus_client's process collector: memory, CPU and file descriptors for free.
    assert values["process_resident_memory_bytes"] > 10 * 1024 * 1024
    assert values["process_open_fds"] > 0
    assert "process_cpu_seconds_total" in values
    assert values['branchbot_webhook_rejected_total{reason="secret"}'] == 0


async def test_two_applications_in_one_process_count_apart(database_url: str) -> None:
    """Each application has its own registry: a second one starts at zero."""
    async for first in running_bot(database_url):
        await first.person(1001, "Alice", language_code="en").say("/help")
        assert first.app is not None
        handled = first.app.metrics.value("branchbot_updates_handled_total")
        assert handled >= 1
        async for second in running_bot(database_url):
            assert second.app is not None
            assert second.app.metrics.value("branchbot_updates_handled_total") == 0
        assert first.app.metrics.value("branchbot_updates_handled_total") == handled
