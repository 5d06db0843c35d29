"""A round-robin HTTP proxy standing in for the load balancer in front of several bot
processes (tests and benchmarks of issue 8: one webhook address, several instances)."""

from __future__ import annotations

import itertools

import aiohttp
from aiohttp import web


class Balancer:
    """Round-robin HTTP proxy; a backend that refuses the connection is skipped."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self._turn = itertools.count()
        self.forwarded: dict[str, int] = {b: 0 for b in backends}
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{path:.*}", self.forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._http = aiohttp.ClientSession()

    async def stop(self) -> None:
        await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in ("content-type", "x-telegram-bot-api-secret-token")}
        start = next(self._turn)
        for step in range(len(self.backends)):
            backend = self.backends[(start + step) % len(self.backends)]
            try:
                async with self._http.post(backend + request.path, data=body,
                                           headers=headers) as response:
                    self.forwarded[backend] += 1
                    return web.Response(status=response.status, body=await response.read())
            except aiohttp.ClientConnectionError:
                continue  # that instance is down: the next one takes it
        return web.Response(status=502)
