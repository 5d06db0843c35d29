"""Proxies for tests: an HTTP forward proxy (plain, or spoken to over TLS: an https:// proxy), a
SOCKS5 and a SOCKS4/4a proxy on loopback, each counting the requests it carried and taking a
made-up Telegram host name (or, for SOCKS4, which carries addresses, a made-up address) to the
local emulator."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import struct
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

FAKE_HOST = "api.telegram.invalid"  # .invalid never resolves: a direct connection fails
FAKE_ADDRESS = "192.0.2.1"  # TEST-NET-1 (RFC 5737): never routed, a direct connection fails


def _resolve(host: str) -> str:
    return "127.0.0.1" if host in (FAKE_HOST, FAKE_ADDRESS) else host


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, asyncio.CancelledError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def http_proxy(tls: ssl.SSLContext | None = None) -> AsyncIterator[tuple[str, list[str]]]:
    """A forward proxy for plain-http targets (spoken to over TLS with `tls`: an https://
    proxy); yields its URL and the paths it carried."""
    carried: list[str] = []
    client = aiohttp.ClientSession(auto_decompress=False)

    async def forward(request: web.Request) -> web.StreamResponse:
        target = request.url
        carried.append(target.path)
        # The target is plain http even when the proxy is spoken to over TLS.
        upstream = target.with_scheme("http").with_host(_resolve(target.host or ""))
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
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}", carried
    finally:
        await runner.cleanup()
        await client.close()


@contextlib.asynccontextmanager
async def socks5_proxy() -> AsyncIterator[tuple[str, list[str]]]:
    """A SOCKS5 proxy (no authentication, CONNECT only); yields its URL and the hosts asked for."""
    asked: list[str] = []

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
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"socks5h://127.0.0.1:{port}", asked
    finally:
        server.close()
        await server.wait_closed()


@contextlib.asynccontextmanager
async def socks4_proxy(scheme: str = "socks4") -> AsyncIterator[tuple[str, list[str]]]:
    """A SOCKS4 proxy that also speaks 4a (a host name instead of an address; CONNECT only);
    yields its URL with `scheme` and the hosts or addresses asked for."""
    asked: list[str] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            version, command, port, address = struct.unpack("!BBH4s",
                                                            await reader.readexactly(8))
            await reader.readuntil(b"\0")  # the user id
            host = ".".join(str(b) for b in address)
            if address[:3] == bytes(3) and address[3]:  # 0.0.0.x: SOCKS4a, a name follows
                host = (await reader.readuntil(b"\0"))[:-1].decode()
            if (version, command) != (4, 1):
                writer.close()
                return
            asked.append(host)
            up_reader, up_writer = await asyncio.open_connection(_resolve(host), port)
            writer.write(b"\x00\x5a" + bytes(6))
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"{scheme}://127.0.0.1:{port}", asked
    finally:
        server.close()
        await server.wait_closed()
