"""The operations listener: /healthz and Prometheus /metrics, apart from the public server.

The public listener (webhook, dashboard) faces the internet through a reverse proxy; health
and metrics say how busy the bot is and whether its database answers, which is nobody else's
business. They listen on metrics_host:metrics_port (loopback by default) and /metrics may also
ask for a bearer token. Each application has its own CollectorRegistry (several applications in
one test process never share a counter); prometheus_client adds the process's memory, CPU,
open file descriptors and garbage collections.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from sqlalchemy import text

from storage import outbox
from storage.models import OutboxState

if TYPE_CHECKING:
    from bot.application import BranchApplication

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT = 3.0  # seconds; a database slower than this counts as down
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# A `_created` sample beside every counter doubles the output for nothing Prometheus uses.
disable_created_metrics()


class Metrics:
    """The application's collectors, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.updates_handled = Counter(
            "branchbot_updates_handled", "Updates handled by this process.", registry=registry)
        self.update_seconds = Histogram(
            "branchbot_update_duration_seconds",
            "Time from taking an update to having answered it.",
            buckets=LATENCY_BUCKETS, registry=registry,
        )
        self.duplicates = Counter(
            "branchbot_updates_duplicate", "Webhook updates delivered again and skipped.",
            registry=registry)
        self.throttled = Counter(
            "branchbot_updates_throttled", "Updates dropped because their sender was flooding.",
            registry=registry)
        self.webhook_rejected = Counter(
            "branchbot_webhook_rejected", "Webhook requests refused (wrong secret or malformed).",
            ["reason"], registry=registry)
        for reason in ("secret", "malformed"):  # both series exist from the start, at 0
            self.webhook_rejected.labels(reason)
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)

    def value(self, name: str, **labels: str) -> float:
        """One sample's current value (0 when absent): for tests and the sandbox."""
        return self.registry.get_sample_value(name, labels) or 0.0


class ApplicationCollector(Collector):
    """Figures kept elsewhere, read at each scrape: lock waits, courier results, outbox depth."""

    def __init__(self, application: BranchApplication) -> None:
        self.application = application
        self.outbox_by_state: dict[OutboxState, int] | None = None  # set before each scrape

    def collect(self) -> Iterator[Metric]:
        application = self.application
        waits = CounterMetricFamily(
            "branchbot_chat_lock_waits", "Times a chat was busy in another instance.")
        waits.add_metric([], application.instances.locks.waits)
        yield waits
        queue = application.checkin_queue
        batches = CounterMetricFamily(
            "branchbot_checkin_batches", "Transactions of the typed-code check-in queue.")
        batches.add_metric([], queue.batches)
        yield batches
        batched = CounterMetricFamily(
            "branchbot_checkin_batched",
            "Typed codes those transactions held (divide by batches: codes per transaction).")
        batched.add_metric([], queue.written)
        yield batched
        courier = application.courier
        if courier is not None:
            sends = CounterMetricFamily(
                "branchbot_outbox_sends", "Outbox rows settled, by result.", labels=["result"])
            for result in ("sent", "failed", "retried", "recovered"):
                sends.add_metric([result], getattr(courier, result))
            yield sends
        if self.outbox_by_state is not None:  # absent while the database is down
            depth = GaugeMetricFamily(
                "branchbot_outbox_messages", "Outbox rows by state.", labels=["state"])
            for state in OutboxState:
                depth.add_metric([state.value], self.outbox_by_state.get(state, 0))
            yield depth


class OpsEndpoints:
    """The handlers of the operations listener."""

    def __init__(self, application: BranchApplication) -> None:
        self.application = application
        self.collector = ApplicationCollector(application)
        application.metrics.registry.register(self.collector)
        self._registered = True
        self._scrape = asyncio.Lock()  # the outbox snapshot belongs to one scrape at a time

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024)  # GETs only
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        return app

    def close(self) -> None:
        if self._registered:
            self.application.metrics.registry.unregister(self.collector)
            self._registered = False

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
        """Prometheus exposition (text 0.0.4, or OpenMetrics when the scraper asks for it)."""
        from bot.web.server import secret_matches

        token = self.application.settings.metrics_token
        if token is not None and not secret_matches(
            request.headers.get("Authorization", ""), "Bearer " + token.get_secret_value()
        ):
            return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
        async with self._scrape:
            self.collector.outbox_by_state = await self._outbox_by_state()
            encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
            body = encoder(self.application.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def _outbox_by_state(self) -> dict[OutboxState, int] | None:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                async with self.application.database.session() as session:
                    return await outbox.counts_by_state(session)
        except Exception as exc:  # metrics stay available while the database is down
            logger.warning("metrics: outbox depth unavailable: %s", type(exc).__name__)
            return None
