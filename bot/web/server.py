"""The bot's own aiohttp web servers: the public one (webhook endpoint and dashboard) and the
operations one (/healthz and /metrics, bot/web/metrics.py) on a listener of its own.

Started and stopped by bot.application's startup/shutdown pair, in polling and webhook mode
alike. The webhook endpoint follows python-telegram-bot's customwebhookbot example (our own
server instead of PTB's tornado one): check Telegram's secret header, turn the JSON into an
Update, put it on the application's update queue and answer 200 at once. Given a certificate
and key (webhook_cert, webhook_key) the public listener speaks TLS itself, for a webhook
without a reverse proxy in front.
"""

from __future__ import annotations

import hmac
import json
import logging
import ssl
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from bot import instances
from bot.log_context import handling_update
from bot.web.metrics import OpsEndpoints
from bot.web.tls import server_tls

if TYPE_CHECKING:
    from bot.application import BranchApplication

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few kilobytes; files never come inline
MAX_UPDATE_DEPTH = 32  # a reply to a message with a pinned message and a keyboard is ~10 deep


async def _listen(
    app: web.Application, host: str, port: int, tls: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, int]:
    # No access log: request lines carry nothing useful and may carry sign-in tokens.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=tls)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    return runner, int(runner.addresses[0][1])


class WebServer:
    """The public listener on web_host:web_port and the operations one on
    metrics_host:metrics_port (0: any free port, see `port` and `ops_port`)."""

    def __init__(self, application: BranchApplication) -> None:
        self.application = application
        self.settings = application.settings
        self.ops = OpsEndpoints(application)
        self._runner: web.AppRunner | None = None
        self._ops_runner: web.AppRunner | None = None
        self.port = 0
        self.ops_port = 0
        self.tls = server_tls(self.settings)
        self.webhook_path: str | None = None
        if self.settings.webhook_url:
            self.webhook_path = urlsplit(self.settings.webhook_url).path or "/"

    def make_app(self) -> web.Application:
        from bot.web.dashboard import setup_dashboard
        from bot.web.files import setup_files
        from bot.web.forms.minutes import setup_minutes_form
        from bot.web.forms.schedule import setup_schedule_form
        from bot.web.forms.training import setup_training_form
        from bot.web.miniapp import APP_KEY, setup_miniapps

        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        if self.webhook_path is not None:
            app.router.add_post(self.webhook_path, self.webhook)
        setup_dashboard(app, self.application)
        setup_files(app, self.application)
        setup_miniapps(app, self.application)
        setup_schedule_form(app, app[APP_KEY])
        setup_training_form(app, app[APP_KEY])
        setup_minutes_form(app, app[APP_KEY])
        return app

    async def start(self) -> None:
        settings = self.settings
        self._runner, self.port = await _listen(
            self.make_app(), settings.web_host, settings.web_port, self.tls)
        try:
            self._ops_runner, self.ops_port = await _listen(
                self.ops.make_app(), settings.metrics_host, settings.metrics_port)
        except OSError:
            await self.stop()
            raise
        logger.info("web server listening on %s; /healthz and /metrics on %s",
                    self.url, self.ops_url)

    async def stop(self) -> None:
        for runner in (self._runner, self._ops_runner):
            if runner is not None:
                await runner.cleanup()
        self._runner = self._ops_runner = None
        self.ops.close()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self.settings.web_host}:{self.port}"

    @property
    def ops_url(self) -> str:
        return f"http://{self.settings.metrics_host}:{self.ops_port}"

    async def webhook(self, request: web.Request) -> web.Response:
        """Telegram's POST: verify the secret, record the update once, queue it, answer 200.

        A wrong secret is 403 and a malformed update 400, without a traceback and without
        recording anything: only Telegram knows the secret, but a leaked secret or a proxy's
        mistake must not crash the handler or put junk into the update table.
        """
        application = self.application
        secret = self.settings.webhook_secret
        if secret is None or not secret_matches(
            request.headers.get(SECRET_HEADER, ""), secret.get_secret_value()
        ):
            application.metrics.webhook_rejected.labels("secret").inc()
            return web.Response(status=403)
        update = await self._read_update(request)
        if update is None:
            application.metrics.webhook_rejected.labels("malformed").inc()
            logger.info("webhook: malformed update refused")
            return web.Response(status=400)
        # Recorded before it is queued: a second delivery of this update is answered and dropped.
        with handling_update(update.update_id, application.instance_id):
            fresh = await application.instances.accept(
                update.update_id, instances.update_chat_id(update)
            )
        if not fresh:
            application.metrics.duplicates.inc()
            return web.Response(status=200)
        await application.update_queue.put(update)
        return web.Response(status=200)

    async def _read_update(self, request: web.Request) -> Update | None:
        """The posted Update, or None when the body is not one Telegram would send."""
        try:
            data = await request.json(loads=json.loads)
        except (ValueError, RecursionError):  # not JSON (or not UTF-8), or nested absurdly
            return None
        if not isinstance(data, dict) or not well_formed(data):
            return None
        update_id = data.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
            return None
        try:
            update = Update.de_json(data, self.application.bot)
        except Exception:  # PTB trusts Telegram's shapes: "message": "x" fails anywhere inside
            return None
        return update if isinstance(update, Update) and update.update_id == update_id else None


def secret_matches(given: str, secret: str) -> bool:
    """Constant-time comparison; a header that is not plain text never matches."""
    try:
        given_bytes = given.encode("utf-8")
    except UnicodeEncodeError:  # aiohttp hands undecodable header bytes on as surrogates
        return False
    return hmac.compare_digest(given_bytes, secret.encode("utf-8"))


def well_formed(value: object, depth: int = 0) -> bool:
    """JSON no deeper than Telegram's updates and with every integer in a 64-bit column."""
    if depth > MAX_UPDATE_DEPTH:
        return False
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, dict):
        return all(well_formed(item, depth + 1) for item in value.values())
    if isinstance(value, list):
        return all(well_formed(item, depth + 1) for item in value)
    return True
