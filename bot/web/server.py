"""The bot's own aiohttp web server: /healthz, /metrics, the webhook endpoint and the dashboard.

Started and stopped by bot.application's startup/shutdown pair, in polling and webhook mode
alike. The webhook endpoint follows python-telegram-bot's customwebhookbot example (our own
server instead of PTB's tornado one): check Telegram's secret header, turn the JSON into an
Update, put it on the application's update queue and answer 200 at once.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy import text
from telegram import Update

from storage import instances, outbox
from storage.models import OutboxState

if TYPE_CHECKING:
    from bot.application import BranchApplication

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_TIMEOUT = 3.0  # seconds; a database slower than this counts as down
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few kilobytes; files never come inline
MAX_UPDATE_DEPTH = 32  # a reply to a message with a pinned message and a keyboard is ~10 deep


@dataclass
class Histogram:
    """A Prometheus histogram: cumulative bucket counts, sum and count."""

    buckets: tuple[float, ...] = LATENCY_BUCKETS
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * len(self.buckets)

    def observe(self, value: float) -> None:
        self.total += value
        self.count += 1
        for index, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[index] += 1

    def render(self, name: str, help_text: str) -> list[str]:
        lines = [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
        for bound, count in zip(self.buckets, self.counts, strict=True):
            lines.append(f'{name}_bucket{{le="{_number(bound)}"}} {count}')
        lines.append(f'{name}_bucket{{le="+Inf"}} {self.count}')
        lines.append(f"{name}_sum {_number(self.total)}")
        lines.append(f"{name}_count {self.count}")
        return lines


@dataclass
class Metrics:
    """Counters the application keeps for /metrics (per process; Prometheus sums instances)."""

    update_seconds: Histogram = field(default_factory=Histogram)
    duplicates: int = 0
    throttled: int = 0
    webhook_rejected: int = 0  # wrong secret or malformed
    webhook_malformed: int = 0


def _number(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def _metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{labels} {_number(value)}" for labels, value in samples]
    return lines


class WebServer:
    """One aiohttp server per process on web_host:web_port (0: any free port, see `port`)."""

    def __init__(self, application: BranchApplication) -> None:
        self.application = application
        self.settings = application.settings
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.webhook_path: str | None = None
        if self.settings.webhook_url:
            self.webhook_path = urlsplit(self.settings.webhook_url).path or "/"

    def make_app(self) -> web.Application:
        from bot.web.dashboard import setup_dashboard

        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        if self.webhook_path is not None:
            app.router.add_post(self.webhook_path, self.webhook)
        setup_dashboard(app, self.application)
        return app

    async def start(self) -> None:
        # No access log: request lines carry nothing useful and may carry sign-in tokens.
        runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.web_host, self.settings.web_port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        logger.info("web server listening on http://%s:%s", self.settings.web_host, self.port)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://{self.settings.web_host}:{self.port}"

    async def healthz(self, request: web.Request) -> web.Response:
        """200 with the outbox depth when the database answers, else 503; either way whether
        the Bot API answered its latest request (null before any) and how long ago it last did."""
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                async with self.application.database.session() as session:
                    await session.execute(text("SELECT 1"))
                    depth = await outbox.pending_count(session)
        except Exception as exc:  # any failure to reach the database is "down"
            logger.warning("health check: database unreachable: %s", type(exc).__name__)
            return web.json_response(
                {"database": False, "outbox_depth": None, "bot_api": self._bot_api()}, status=503
            )
        return web.json_response(
            {"database": True, "outbox_depth": depth, "bot_api": self._bot_api()}
        )

    def _bot_api(self) -> dict[str, Any]:
        # Reported, not judged: Telegram being away is no reason to restart the bot.
        return self.application.bot_api_reachable(time.monotonic())

    async def metrics(self, request: web.Request) -> web.Response:
        """Prometheus text exposition format 0.0.4."""
        application = self.application
        metrics = application.metrics
        courier = application.courier
        lines = _metric(
            "branchbot_updates_handled_total", "counter", "Updates handled by this process.",
            [("", application.updates_handled)],
        )
        lines += _metric(
            "branchbot_updates_duplicate_total", "counter",
            "Webhook updates delivered again and skipped.", [("", metrics.duplicates)],
        )
        lines += _metric(
            "branchbot_updates_throttled_total", "counter",
            "Updates dropped because their sender was flooding.", [("", metrics.throttled)],
        )
        lines += _metric(
            "branchbot_webhook_rejected_total", "counter",
            "Webhook requests refused (wrong secret or malformed).",
            [('{reason="secret"}', metrics.webhook_rejected - metrics.webhook_malformed),
             ('{reason="malformed"}', metrics.webhook_malformed)],
        )
        lines += metrics.update_seconds.render(
            "branchbot_update_duration_seconds",
            "Time from taking an update to having answered it.",
        )
        queue = application.checkin_queue
        lines += _metric(
            "branchbot_checkin_batches_total", "counter",
            "Transactions of the typed-code check-in queue.", [("", queue.batches)],
        )
        lines += _metric(
            "branchbot_checkin_batched_total", "counter",
            "Typed codes those transactions held (divide by batches: codes per transaction).",
            [("", queue.written)],
        )
        lines += _metric(
            "branchbot_chat_lock_waits_total", "counter",
            "Times a chat was busy in another instance.",
            [("", application.instances.locks.waits)],
        )
        if courier is not None:
            lines += _metric(
                "branchbot_outbox_sends_total", "counter", "Outbox rows settled, by result.",
                [
                    ('{result="sent"}', courier.sent),
                    ('{result="failed"}', courier.failed),
                    ('{result="retried"}', courier.retried),
                    ('{result="recovered"}', courier.recovered),
                ],
            )
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                async with application.database.session() as session:
                    by_state = await outbox.counts_by_state(session)
        except Exception as exc:  # metrics stay available while the database is down
            logger.warning("metrics: outbox depth unavailable: %s", type(exc).__name__)
        else:
            lines += _metric(
                "branchbot_outbox_messages", "gauge", "Outbox rows by state.",
                [(f'{{state="{state.value}"}}', by_state.get(state, 0)) for state in OutboxState],
            )
        body = "\n".join(lines) + "\n"
        return web.Response(
            body=body.encode(), headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
        )

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
            application.metrics.webhook_rejected += 1
            return web.Response(status=403)
        update = await self._read_update(request)
        if update is None:
            application.metrics.webhook_rejected += 1
            application.metrics.webhook_malformed += 1
            logger.info("webhook: malformed update refused")
            return web.Response(status=400)
        # Recorded before it is queued: a second delivery of this update is answered and dropped.
        fresh = await application.instances.accept(
            update.update_id, instances.update_chat_id(update)
        )
        if not fresh:
            application.metrics.duplicates += 1
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
