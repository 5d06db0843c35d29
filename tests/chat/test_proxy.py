"""Reaching Telegram through a proxy: every Bot API client of the bot (polling, sends, the
startup check, the file fetcher's downloads) goes through BRANCHBOT_PROXY_URL or the standard
proxy variables.

The emulator is given a host name that never resolves, so the bot only reaches it through a
proxy that knows the name (tests/proxies.py)."""

from __future__ import annotations

import ssl
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
from botapi_emulator import BotApiEmulator
from pydantic import ValidationError
from sqlalchemy import select

from bot.cli import _check_bot_api
from bot.config import Settings
from bot.transport import proxy_for
from storage import files
from storage.models import FileState, StoredFile
from tests.chat.test_webhook_tls import make_certificate
from tests.harness import Bot
from tests.proxies import FAKE_ADDRESS, FAKE_HOST, http_proxy, socks4_proxy, socks5_proxy


def _unresolvable(base_url: str, host: str = FAKE_HOST) -> str:
    return base_url.replace("127.0.0.1", host)


def tls_proxy(folder: Path, monkeypatch: pytest.MonkeyPatch, *, trusted: bool = True
              ) -> AbstractAsyncContextManager[tuple[str, list[str]]]:
    """An https:// proxy with a self-signed certificate; `trusted`: the bot's process trusts it
    through SSL_CERT_FILE, as an operator would a private CA."""
    cert, key = make_certificate(folder, "proxy")
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    if trusted:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return http_proxy(tls=served)


@pytest.mark.parametrize("kind", ["http", "https", "socks5h", "socks4", "socks4a"])
async def test_the_bot_works_end_to_end_through_a_proxy(
    database_url: str, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = {"http": http_proxy, "https": lambda: tls_proxy(tmp_path, monkeypatch),
              "socks5h": socks5_proxy, "socks4": socks4_proxy,
              "socks4a": lambda: socks4_proxy("socks4a")}[kind]()
    # SOCKS4 carries an address (the bot resolves the name): a made-up one only it knows.
    host = FAKE_ADDRESS if kind == "socks4" else FAKE_HOST
    async with opened as (proxy, carried):
        assert proxy.startswith(f"{kind}://")
        async with BotApiEmulator() as emulator:
            settings = Settings(
                token=emulator.token,  # type: ignore[arg-type]
                api_base_url=_unresolvable(emulator.base_url, host),
                database_url=database_url, proxy_url=proxy,  # type: ignore[arg-type]
                plan_reminders=False, web_port=0, metrics_port=0, flood_burst=10_000,
                file_dir=tmp_path / "files",
            )
            bot = Bot(emulator, settings)
            await bot.start()
            try:
                person = bot.person(5_100_001, "Lin", language_code="en")
                replies = await person.say("/help")
                assert replies and "/start" in replies[-1].text, [r.text for r in replies]
                # The file fetcher downloads through it too (getFile, then the file's URL).
                assert bot.app is not None
                bot.emulator.send_photo(person.user_id, b"evidence bytes")
                [sent] = [m for m in bot.emulator.messages(person.user_id)
                          if not m.from_bot and m.kind == "photo"]
                async with bot.app.database.session() as session:
                    await files.remember_file(session, sent.file_id)
                await bot.app.file_fetcher.fetch_due()
                async with bot.app.database.session() as session:
                    kept = await session.scalar(select(StoredFile))
                assert kept is not None and kept.state is FileState.STORED, kept
                assert kept.sha256 == files.sha256_of(b"evidence bytes")
            finally:
                await bot.stop()
            assert carried, "nothing went through the proxy"
            if kind.startswith("http"):
                assert any(path.endswith("/getUpdates") for path in carried)
                assert any(path.endswith("/sendMessage") for path in carried)
                assert any(path.endswith("/getFile") for path in carried)
                assert any("/file/bot" in path for path in carried)
            else:
                assert set(carried) == {host}


async def test_the_startup_check_goes_through_the_proxy_too() -> None:
    async with BotApiEmulator() as emulator, http_proxy() as (proxy, carried):
        base = _unresolvable(emulator.base_url)
        direct = Settings(token=emulator.token, api_base_url=base)  # type: ignore[arg-type]
        problem = await _check_bot_api(direct)
        assert problem is not None and problem.startswith("cannot reach the Bot API"), problem
        proxied = Settings(
            token=emulator.token, api_base_url=base, proxy_url=proxy  # type: ignore[arg-type]
        )
        assert await _check_bot_api(proxied) is None
        assert any(path.endswith("/getMe") for path in carried)


async def test_an_https_proxy_whose_certificate_is_not_trusted_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TLS to the proxy is verified: without its CA the check fails, nothing is carried."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    async with BotApiEmulator() as emulator, tls_proxy(
            tmp_path, monkeypatch, trusted=False) as (proxy, carried):
        settings = Settings(
            token=emulator.token, api_base_url=_unresolvable(emulator.base_url),  # type: ignore[arg-type]
            proxy_url=proxy,  # type: ignore[arg-type]
        )
        problem = await _check_bot_api(settings)
        assert problem is not None and problem.startswith("cannot reach the Bot API"), problem
        assert carried == []


def test_standard_proxy_variables_apply_unless_the_setting_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    api = "https://api.telegram.org/bot"
    assert proxy_for(api, None) is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert proxy_for(api, None) == "http://proxy.example:3128"
    assert proxy_for(api, "socks5://127.0.0.1:1080") == "socks5://127.0.0.1:1080"
    monkeypatch.setenv("NO_PROXY", "api.telegram.org")
    assert proxy_for(api, None) is None
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("HTTPS_PROXY")
    monkeypatch.setenv("ALL_PROXY", "socks5h://127.0.0.1:1080")
    assert proxy_for(api, None) == "socks5h://127.0.0.1:1080"


@pytest.mark.parametrize("url", ["ftp://proxy:21", "proxy.example:3128", "http://:8080",
                                 "socks5://host:99999"])
def test_a_wrong_proxy_setting_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="proxy_url"):
        Settings(proxy_url=url)  # type: ignore[arg-type]
