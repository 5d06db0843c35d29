"""Webhook mode: Telegram (the emulator) pushes updates to the bot's own web server."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from botapi_emulator import BotApiEmulator
from sqlalchemy import func, select

from bot.config import ConfigError, load_settings
from storage import instances
from storage.db import Database
from storage.models import Membership, ProcessedUpdate, utcnow
from tests.chat.test_registration import SECRETARY_ID, register, seed_branch
from tests.harness import Bot, running_bot

SECRET = "s3cret-Token_1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def hooked(database_url: str) -> AsyncIterator[Bot]:
    """The real bot in webhook mode; the emulator pushes to it over HTTP."""
    port = free_port()
    async for running in running_bot(
        database_url, web_port=port, metrics_port=0,
        webhook_url=f"http://127.0.0.1:{port}/telegram/hook", webhook_secret=SECRET,
    ):
        yield running


async def test_a_member_registers_through_the_webhook(hooked: Bot) -> None:
    assert hooked.emulator.webhook_url.endswith("/telegram/hook")
    _, code = await seed_branch(hooked)
    secretary = hooked.person(SECRETARY_ID, "书记")
    await secretary.say("/start")
    alice = hooked.person(1001, "Alice")

    await register(hooked, alice, code, name="王丽", phone="+8613800001234")

    assert alice.saw("已提交")
    assert "王丽" in secretary.last_text
    # Every update went through the webhook and was recorded once.
    async with hooked.app.database.session() as session:  # type: ignore[union-attr]
        recorded = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
        unhandled = await session.scalar(
            select(func.count()).select_from(ProcessedUpdate)
            .where(ProcessedUpdate.handled_at.is_(None))
        )
    assert recorded == hooked.emulator.webhook_attempts
    # Only PostgreSQL keeps the order across instances (SQLite is one process).
    assert unhandled == (recorded if hooked.settings.database_url.startswith("sqlite") else 0)


async def test_an_update_delivered_twice_is_handled_once(hooked: Bot) -> None:
    alice = hooked.person(1001, "Alice", language_code="en")
    await alice.say("/help")
    answers = len(alice.texts())
    update = {
        "update_id": 9_000_001,
        "message": {
            "message_id": 500, "date": 1_700_000_000, "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            "chat": {"id": 1001, "type": "private", "first_name": "Alice"},
            "from": {"id": 1001, "is_bot": False, "first_name": "Alice", "language_code": "en"},
        },
    }
    assert hooked.app is not None and hooked.app.web is not None
    url = hooked.app.web.url + "/telegram/hook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as http:
        for _ in range(2):  # e.g. Telegram retrying after a timeout
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 200
    await hooked.settle()
    assert len(alice.texts()) == answers + 1
    assert hooked.app.metrics.value("branchbot_updates_duplicate_total") == 1


async def test_the_webhook_refuses_a_wrong_secret_and_garbage(hooked: Bot) -> None:
    assert hooked.app is not None and hooked.app.web is not None
    url = hooked.app.web.url + "/telegram/hook"
    body = {"update_id": 1, "message": {"message_id": 1, "date": 1, "text": "hi",
                                        "chat": {"id": 5, "type": "private"}}}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=body) as response:
            assert response.status == 403
        async with http.post(
            url, json=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"}
        ) as response:
            assert response.status == 403
        async with http.post(
            url, data=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        ) as response:
            assert response.status == 400
    async with hooked.app.database.session() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 0
        assert await session.scalar(select(func.count()).select_from(Membership)) == 0
    metrics = hooked.app.metrics
    assert metrics.value("branchbot_webhook_rejected_total", reason="secret") == 2
    assert metrics.value("branchbot_webhook_rejected_total", reason="malformed") == 1


async def test_the_emulator_pushes_again_until_it_gets_a_2xx() -> None:
    received: list[tuple[str | None, dict[str, object]]] = []
    failures = {"left": 2}

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                         await request.json()))
        if failures["left"]:
            failures["left"] -= 1
            return web.Response(status=502)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with BotApiEmulator(allow_http_webhooks=True, webhook_ports=None) as emulator:
            emulator.add_user(7, "Bo")
            api = f"{emulator.base_url}{emulator.token}"
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{api}/setWebhook", json={
                    "url": f"http://127.0.0.1:{port}/hook", "secret_token": "abc",
                }) as response:
                    assert (await response.json())["ok"] is True
                first = emulator.send_text(7, "one")
                second = emulator.send_text(7, "two")
                await emulator.wait_until(lambda: emulator.pending_updates() == 0)
                async with http.post(f"{api}/getUpdates") as response:
                    assert response.status == 409  # no polling while a webhook is set
    finally:
        await runner.cleanup()
    ids = [body["update_id"] for _secret, body in received]
    assert ids == [first, first, first, second]  # in order, at least once
    assert {secret for secret, _body in received} == {"abc"}


async def test_real_telegram_rules_refuse_a_plain_http_webhook() -> None:
    async with BotApiEmulator() as emulator, aiohttp.ClientSession() as http:
        api = f"{emulator.base_url}{emulator.token}"
        async with http.post(f"{api}/setWebhook", json={"url": "http://127.0.0.1:1/"}) as response:
            body = json.loads(await response.text())
    assert response.status == 400 and "HTTPS" in body["description"]


def test_a_webhook_needs_its_secret() -> None:
    with pytest.raises(ConfigError, match="BRANCHBOT_WEBHOOK_SECRET: required"):
        load_settings(webhook_url="https://bot.example.org/telegram")
    with pytest.raises(ConfigError, match="BRANCHBOT_WEBHOOK_SECRET: use 1-256"):
        load_settings(webhook_url="https://bot.example.org/telegram", webhook_secret="a b")


async def test_processed_updates_keep_arrival_order_and_are_pruned(db: Database) -> None:
    now = utcnow()
    async with db.session() as session:
        assert await instances.accept_update(session, 10, 7)
        assert await instances.accept_update(session, 11, 7)
        assert not await instances.accept_update(session, 10, 7)  # delivered again
        assert await instances.accept_update(session, 12, 8)
    async with db.session() as session:
        assert await instances.earlier_pending(session, 7, 11, now)
        assert not await instances.earlier_pending(session, 8, 12, now)  # another chat
        await instances.mark_handled(session, 10, now)
    async with db.session() as session:
        assert not await instances.earlier_pending(session, 7, 11, now)
        # An earlier update whose instance died is not waited for forever.
        assert not await instances.earlier_pending(session, 8, 13, now + timedelta(minutes=1))
        assert await instances.prune(session, now + timedelta(hours=23)) == 0
        assert await instances.prune(session, now + timedelta(days=2)) == 3


async def test_branchbot_run_serves_the_webhook_when_configured(tmp_path: Path) -> None:
    port = free_port()
    async with BotApiEmulator(allow_http_webhooks=True, webhook_ports=None) as emulator:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRANCHBOT_")}
        env.update(
            BRANCHBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}",
            BRANCHBOT_TOKEN=emulator.token, BRANCHBOT_API_BASE_URL=emulator.base_url,
            BRANCHBOT_ADMINS="4242", BRANCHBOT_WEB_PORT=str(port), BRANCHBOT_METRICS_PORT="0",
            BRANCHBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        )
        refused = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(refused.communicate(), 60)
        assert refused.returncode == 2
        assert out.decode().strip() == (
            "branchbot: BRANCHBOT_WEBHOOK_SECRET: required with BRANCHBOT_WEBHOOK_URL"
        )

        env["BRANCHBOT_WEBHOOK_SECRET"] = SECRET
        env["BRANCHBOT_LOG_FORMAT"] = "json"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        try:
            emulator.add_user(4242, "Admin", language_code="en")
            emulator.send_text(4242, "/start")
            # From 1 November the admin may first get the missing-holiday-schedule warning.
            reply = await emulator.wait_for_bot_message(4242, timeout=30,
                                                        containing="administrator")
            assert "administrator" in reply.text
            assert emulator.webhook_url == f"http://127.0.0.1:{port}/hook"
        finally:
            process.send_signal(signal.SIGINT)
            out, _ = await asyncio.wait_for(process.communicate(), 30)
    log = out.decode()
    assert process.returncode == 0, log
    assert emulator.token not in log and SECRET not in log
    entries = [json.loads(line) for line in log.splitlines()]
    assert any("web server listening" in entry["msg"] for entry in entries)


async def _raw_post(port: int, path: str, secret: bytes, body: bytes) -> int:
    """POST with header bytes no HTTP client library would send (not UTF-8, not ASCII)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nConnection: close\r\n"
        b"X-Telegram-Bot-Api-Secret-Token: " + secret + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


def _deep(levels: int) -> dict[str, object]:
    """A message replying to a message replying to ... `levels` times."""
    message: dict[str, object] = {"message_id": 1, "date": 1, "text": "hi",
                                  "chat": {"id": 5, "type": "private"}}
    for _ in range(levels):
        message = {**message, "reply_to_message": message}
    return message


async def test_hostile_webhook_requests_get_403_or_400_and_store_nothing(
    hooked: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    assert hooked.app is not None and hooked.app.web is not None
    url = hooked.app.web.url + "/telegram/hook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    chat = {"id": 5, "type": "private"}
    message = {"message_id": 1, "date": 1, "text": "hi", "chat": chat}
    malformed: list[bytes] = [
        json.dumps({"update_id": 2**70, "message": message}).encode(),
        json.dumps({"update_id": 2**63, "message": message}).encode(),
        json.dumps({"update_id": "123", "message": message}).encode(),
        json.dumps({"update_id": True, "message": message}).encode(),
        json.dumps({"update_id": -1, "message": message}).encode(),
        json.dumps({"update_id": 7, "message": "x"}).encode(),
        json.dumps({"update_id": 8, "message": {**message, "chat": "x"}}).encode(),
        json.dumps({"update_id": 9, "message": {**message, "chat": {**chat, "id": 10**30}}}
                   ).encode(),
        json.dumps({"update_id": 10, "message": _deep(60)}).encode(),
        b'{"update_id": 11, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"update_id": 12, "message": "\xff\xfe"}',
        b"[]",
        b"null",
    ]
    caplog.set_level(logging.INFO)
    async with aiohttp.ClientSession() as http:
        for body in malformed:
            async with http.post(url, data=body, headers=headers) as response:
                assert response.status == 400, body[:80]
    port = hooked.app.web.port
    for secret in ("s3cret-Tökén".encode(), b"\xff\xfe\x80", SECRET.encode() + b"\xc3\xa9"):
        assert await _raw_post(port, "/telegram/hook", secret, b'{"update_id": 1}') == 403

    async with hooked.app.database.session() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 0
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    async with aiohttp.ClientSession() as http:
        async with http.get(hooked.app.web.ops_url + "/metrics") as response:
            metrics = await response.text()
    assert f'branchbot_webhook_rejected_total{{reason="malformed"}} {len(malformed)}' in metrics
    assert 'branchbot_webhook_rejected_total{reason="secret"} 3' in metrics

    # A well-formed update still goes through.
    alice = hooked.person(1001, "Alice", language_code="en")
    await alice.say("/help")
    assert alice.texts()
