"""Proxies for tests: an HTTP forward proxy and a SOCKS5 proxy on loopback, each counting the
requests it carried and resolving a made-up Telegram host name to the local emulator."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

FAKE_HOST = "api.telegram.invalid"  # .invalid never resolves: a direct connection fails


def _resolve(host: str) -> str:
    return "127.0.0.1" if host == FAKE_HOST else host


@contextlib.asynccontextmanager
async def http_proxy() -> AsyncIterator[tuple[str, list[str]]]:
    """A forward proxy for plain-http targets; yields its URL and the paths it carried."""
    carried: list[str] = []
    client = aiohttp.ClientSession(auto_decompress=False)

    async def forward(request: web.Request) -> web.StreamResponse:
        target = request.url
        carried.append(target.path)
        upstream = target.with_host(_resolve(target.host or ""))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host",)}
        async with client.request(
            request.method, upstream, headers=headers, data=await request.read()
        ) as answer:
            body = await answer.read()
            return web.Response(
                status=answer.status, body=body,
                headers={"Content-Type": answer.headers.get("Content-Type", "")},
            )

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", carried
    finally:
        await runner.cleanup()
        await client.close()


@contextlib.asynccontextmanager
async def socks5_proxy() -> AsyncIterator[tuple[str, list[str]]]:
    """A SOCKS5 proxy (no authentication, CONNECT only); yields its URL and the hosts asked for."""
    asked: list[str] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            _version, methods = await reader.readexactly(2)
            await reader.readexactly(methods)
            writer.write(b"\x05\x00")
            _version, _command, _reserved, kind = await reader.readexactly(4)
            if kind == 3:
                host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
            elif kind == 1:
                host = ".".join(str(b) for b in await reader.readexactly(4))
            else:
                writer.close()
                return
            (port,) = struct.unpack("!H", await reader.readexactly(2))
            asked.append(host)
            up_reader, up_writer = await asyncio.open_connection(_resolve(host), port)
            writer.write(b"\x05\x00\x00\x01" + bytes(4) + b"\x00\x00")
            await writer.drain()
        except (asyncio.IncompleteReadError, OSError):
            writer.close()
            return
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"socks5h://127.0.0.1:{port}", asked
    finally:
        server.close()
        await server.wait_closed()
