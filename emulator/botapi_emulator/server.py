"""BotApiEmulator: the Bot API, the control API and the chat page, served over HTTP."""

from __future__ import annotations

import asyncio
import time
from types import TracebackType

from aiohttp import web

from . import webhooks
from .limits import MAX_UPLOAD_BYTES, SENDING_METHODS
from .params import Params, read_params
from .public_types import ApiCall, Refusal
from .state import JSON, ApiError, parse_chat_id
from .webapps import WebApps


class BotApiEmulator(WebApps):
    """In-memory Telegram Bot API server plus a control API that plays the users.

    Its options (token, rates, webhook rules) are EmulatorCore's, in core.py; each area it is
    made of is a base class in a module of its own (listed in core.py).
    """

    # ----------------------------------------------------------------------------------
    # Server lifecycle
    # ----------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port (0 = any free port; the real port is kept for the URLs)."""
        if self._runner is not None:
            # Starting again moves the server to the new address (state is kept).
            runner, self._runner = self._runner, None
            await runner.cleanup()
        self._closing = False
        # handler_cancellation stops abandoned long-polls from swallowing updates.
        runner = web.AppRunner(
            self.make_app(), handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self._host = host
        address = runner.addresses[0]
        self._port = int(address[1])

    async def stop(self) -> None:
        """Stop serving; pending long polls return at once."""
        self._closing = True
        self._notify()
        await self._stop_webhook()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _origin(self) -> str:
        if self._host is None or self._port is None:
            raise RuntimeError("the emulator is not serving: call start() first")
        return f"http://{self._host}:{self._port}"

    @property
    def port(self) -> int:
        """The port actually listened on."""
        if self._port is None:
            raise RuntimeError("the emulator is not serving: call start() first")
        return self._port

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: the token is appended by PTB."""
        return f"{self._origin()}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``."""
        return f"{self._origin()}/file/bot"

    @property
    def page_url(self) -> str:
        """The browser chat page."""
        return f"{self._origin()}/"

    def make_app(self) -> web.Application:
        """An aiohttp application serving the Bot API, the control API and the page."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file_download)
        self._add_control_routes(app)
        self._add_webapp_routes(app)
        return app

    # ----------------------------------------------------------------------------------
    # Bot API dispatch
    # ----------------------------------------------------------------------------------

    async def _handle_bot_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error_response(ApiError(401, "Unauthorized"))
        requested = request.match_info["method"]
        entry = self._methods.get(requested.lower())
        try:
            values, uploads = await read_params(request)
        except ApiError as error:
            return self._error_response(error)
        shown: JSON = dict(values)
        for name, upload in uploads.items():
            shown[name] = f"<upload {upload.filename or name}, {len(upload.data)} bytes>"
        self._api_calls.append(ApiCall(entry[0] if entry else requested, shown))
        if entry is None:
            return self._error_response(ApiError(404, "Not Found"))
        name, handler = entry
        self._count_send_during_flood(name)
        failure = self._take_failure(name, values.get("chat_id"))
        if failure is not None:
            return self._error_response(await self._suffer(failure))
        try:
            result = await handler(Params(values, uploads))
        except ApiError as error:
            self._refusals.append(Refusal(name, error.description, shown))
            return self._error_response(error)
        if name in SENDING_METHODS and isinstance(result, dict):
            chat_id = parse_chat_id(values.get("chat_id"))
            if chat_id is not None:
                done = self.answered_sends if name.startswith("send") else self.answered_edits
                done.append((time.monotonic(), chat_id, int(result.get("message_id", 0))))
        return web.json_response({"ok": True, "result": result})


async def serve(
    host: str, port: int, global_rate: float | None, *, allow_http_webhooks: bool = False,
    window: float = 1.0, any_webhook_port: bool = False, paid_rate: float | None = 1000.0,
) -> None:
    """Run an emulator alone until interrupted (benchmarks give it its own process)."""
    emulator = BotApiEmulator(
        global_rate_per_second=global_rate, allow_http_webhooks=allow_http_webhooks,
        rate_window_seconds=window, paid_rate_per_second=paid_rate,
        webhook_ports=None if any_webhook_port else webhooks.TELEGRAM_WEBHOOK_PORTS,
    )
    await emulator.start(host=host, port=port)
    print(f"emulator listening on {emulator.base_url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()
