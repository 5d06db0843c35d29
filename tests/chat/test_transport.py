"""bot/transport.py: what the aiohttp transport does when the network misbehaves.

Everything the Bot API answers (errors, uploads, flood control) is covered by running
tests/chat/test_emulator.py over both transports; here are the failures below HTTP.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.transport import AiohttpRequest

TOKEN = "123456:TEST-TOKEN"


async def test_a_server_that_does_not_answer_in_time_is_a_timeout() -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", slow)
    async with TestServer(app, host="127.0.0.1") as server:
        request = AiohttpRequest(read_timeout=0.2)
        bot = Bot(TOKEN, base_url=str(server.make_url("/bot")), request=request)
        await request.initialize()
        try:
            with pytest.raises(TimedOut):
                await bot.send_message(1, "hello")
        finally:
            await request.shutdown()


async def test_nobody_listening_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match="aiohttp"):
            await bot.send_message(1, "hello")
    finally:
        await request.shutdown()


async def test_a_request_before_initialize_is_refused() -> None:
    request = AiohttpRequest()
    bot = Bot(TOKEN, base_url="http://127.0.0.1:9/bot", request=request)
    with pytest.raises(NetworkError, match="not initialized"):
        await bot.send_message(1, "hello")
