"""Webhook over TLS: Telegram's port and https rules in the emulator, and the bot serving the
webhook itself with a self-signed certificate that it uploads with setWebhook."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from botapi_emulator import BotApiEmulator, webhooks
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.config import ConfigError, Settings, load_settings
from bot.web.tls import self_signed
from tests.harness import ADMIN_ID, Bot

SECRET = "tls-Secret_1"
WEBHOOK_PORT = 8443  # one of Telegram's four; the emulator forwards it to the bot's free port


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_certificate(folder: Path, name: str = "bot") -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, as `openssl req -x509` makes."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)  # TLS checks validity against the real clock
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    return cert_path, key_path


async def call(emulator: BotApiEmulator, method: str, **kwargs: Any) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.post(
        f"{emulator.base_url}{emulator.token}/{method}", **kwargs
    ) as response:
        body: dict[str, Any] = json.loads(await response.text())
        return body


@pytest.mark.parametrize(("url", "accepted"), [
    ("https://bot.example.org/telegram", True),  # 443 implied
    ("https://bot.example.org:443/telegram", True),
    ("https://bot.example.org:80/telegram", True),
    ("https://bot.example.org:88/telegram", True),
    ("https://bot.example.org:8443/telegram", True),
    ("https://bot.example.org:8081/telegram", False),
    ("https://bot.example.org:8444/telegram", False),
    ("https://127.0.0.1:1/telegram", False),
])
async def test_webhooks_only_on_telegrams_four_ports(url: str, accepted: bool) -> None:
    async with BotApiEmulator() as emulator:
        body = await call(emulator, "setWebhook", json={"url": url})
        if accepted:
            assert body["ok"] is True, body
            assert emulator.webhook_url == url
        else:
            assert body == {"ok": False, "error_code": 400, "description": webhooks.WRONG_PORT}
            assert emulator.webhook_url == ""


async def test_plain_http_and_a_bad_certificate_are_refused() -> None:
    async with BotApiEmulator() as emulator:
        body = await call(emulator, "setWebhook", json={"url": "http://bot.example.org/hook"})
        assert body["description"] == webhooks.NOT_HTTPS
        form = aiohttp.FormData()
        form.add_field("url", "https://bot.example.org/hook")
        form.add_field("certificate", b"not a certificate", filename="cert.pem")
        body = await call(emulator, "setWebhook", data=form)
        assert body["description"] == webhooks.BAD_CERTIFICATE
    # A test may let any port through (nothing here can bind 443), https still required.
    async with BotApiEmulator(webhook_ports=None) as emulator:
        assert (await call(emulator, "setWebhook", json={"url": "https://h:9999/x"}))["ok"]
        assert (await call(emulator, "setWebhook", json={"url": "http://h:9999/x"}))[
            "description"] == webhooks.NOT_HTTPS


def test_certificate_and_key_come_together(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path)
    with pytest.raises(ConfigError, match="BRANCHBOT_WEBHOOK_KEY: set BRANCHBOT_WEBHOOK_CERT"):
        load_settings(webhook_cert=str(cert))
    with pytest.raises(ConfigError, match="BRANCHBOT_WEBHOOK_KEY: file not found"):
        load_settings(webhook_cert=str(cert), webhook_key=str(tmp_path / "missing.key"))
    assert load_settings(webhook_cert=str(cert), webhook_key=str(key)).webhook_key == key


def test_only_a_self_signed_certificate_is_uploaded(tmp_path: Path) -> None:
    cert, _ = make_certificate(tmp_path, "one")
    other, _ = make_certificate(tmp_path, "two")
    assert self_signed(cert)
    chain = tmp_path / "fullchain.pem"  # a CA's certificate comes with its chain
    chain.write_bytes(cert.read_bytes() + other.read_bytes())
    assert not self_signed(chain)


@pytest.fixture
async def tls_bot(database_url: str, tmp_path: Path) -> AsyncIterator[Bot]:
    """The bot serving its webhook over TLS on a free port; Telegram (the emulator, with the
    strict rules) knows it as https://127.0.0.1:8443 and forwards that port to it."""
    cert, key = make_certificate(tmp_path)
    port = free_port()
    async with BotApiEmulator(webhook_port_map={WEBHOOK_PORT: port}) as emulator:
        settings = Settings(
            token=emulator.token,  # type: ignore[arg-type]
            api_base_url=emulator.base_url, database_url=database_url,
            admins=frozenset({ADMIN_ID}), plan_reminders=False, flood_burst=10_000,
            web_host="127.0.0.1", web_port=port, metrics_port=0,
            webhook_url=f"https://127.0.0.1:{WEBHOOK_PORT}/telegram/hook",
            webhook_secret=SECRET,  # type: ignore[arg-type]
            webhook_cert=cert, webhook_key=key,
        )
        bot = Bot(emulator, settings)
        await bot.start()
        try:
            yield bot
        finally:
            if bot.app is not None:
                await bot.stop()


async def test_the_bot_serves_its_webhook_over_tls_with_a_self_signed_certificate(
    tls_bot: Bot,
) -> None:
    emulator = tls_bot.emulator
    assert tls_bot.app is not None and tls_bot.app.web is not None
    assert tls_bot.app.web.url.startswith("https://")
    cert = tls_bot.settings.webhook_cert
    assert cert is not None and emulator.webhook_certificate == cert.read_bytes()

    alice = tls_bot.person(1001, "Alice", language_code="en")
    answer = await alice.say("/help")
    assert answer and "/start" in answer[-1].text  # pushed over TLS, answered
    assert emulator.webhook_attempts >= 1
    info = (await call(emulator, "getWebhookInfo"))["result"]
    assert info["has_custom_certificate"] is True and "last_error_message" not in info

    # Plain http to the TLS port gets nothing, and without the uploaded certificate Telegram
    # does not trust a self-signed one: nothing is delivered, and getWebhookInfo says why.
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientError):
            async with http.post(
                f"http://127.0.0.1:{tls_bot.app.web.port}/telegram/hook", json={}
            ) as response:
                await response.read()
    await call(emulator, "setWebhook", json={
        "url": tls_bot.settings.webhook_url, "secret_token": SECRET,
    })
    before, attempts = len(alice.texts()), emulator.webhook_attempts
    emulator.send_text(1001, "/help")
    await emulator.wait_until(lambda: emulator.webhook_attempts >= attempts + 2, timeout=10)
    info = (await call(emulator, "getWebhookInfo"))["result"]
    assert info["has_custom_certificate"] is False
    assert info["last_error_message"].startswith("SSL error")
    assert info["pending_update_count"] == 1 and len(alice.texts()) == before


def test_the_emulator_forwards_only_the_mapped_port() -> None:
    assert webhooks.delivery_url("https://127.0.0.1:8443/h?x=1", {8443: 5000}) == (
        "https://127.0.0.1:5000/h?x=1")
    assert webhooks.delivery_url("https://bot.example.org/h", {443: 5000}) == (
        "https://bot.example.org:5000/h")
    assert webhooks.delivery_url("https://[::1]:88/h", {88: 5000}) == "https://[::1]:5000/h"
    assert webhooks.delivery_url("https://h:88/h", {8443: 5000}) == "https://h:88/h"


async def test_branchbot_run_stops_with_telegrams_word_on_a_port_it_refuses(
    tmp_path: Path,
) -> None:
    async with BotApiEmulator() as emulator:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRANCHBOT_")}
        env.update(
            BRANCHBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}",
            BRANCHBOT_TOKEN=emulator.token, BRANCHBOT_API_BASE_URL=emulator.base_url,
            BRANCHBOT_WEB_PORT="0", BRANCHBOT_METRICS_PORT="0",
            BRANCHBOT_WEBHOOK_URL="https://bot.example.org:8081/hook",
            BRANCHBOT_WEBHOOK_SECRET=SECRET,
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(process.communicate(), 60)
    lines = out.decode().strip().splitlines()
    assert process.returncode == 2, lines
    assert lines[-1] == (
        "branchbot: BadRequest: Bad webhook: webhook can be set up only on ports 80, 88, 443 "
        "or 8443"  # Telegram's words, as python-telegram-bot capitalizes them
    ), lines
