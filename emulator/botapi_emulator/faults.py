"""Flood limits as Telegram counts them, and the failures tests inject into Bot API calls."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from .core import EmulatorCore
from .limits import SlidingWindow
from .public_types import KEEP, Keep
from .state import ApiError, Failure, parse_chat_id

PAID_MESSAGE_STARS = Decimal("0.1")  # Bot API: allow_paid_broadcast, 0.1 Star a message


class LimitsAndFaults(EmulatorCore):
    """Send rates and the 429s they give, flood accounting, and injected failures."""

    def set_rates(
        self,
        *,
        global_: float | Keep | None = KEEP,
        per_chat: float | Keep | None = KEEP,
        paid: float | Keep | None = KEEP,
        window: float | None = None,
    ) -> None:
        """Change flood limits (None disables one; rate × window sends in any `window`
        seconds); counting starts afresh."""
        if window is not None:
            self._rate_window = window
        if not isinstance(global_, Keep):
            self._global_rate = global_
        if not isinstance(per_chat, Keep):
            self._per_chat_rate = per_chat
        if not isinstance(paid, Keep):
            self._paid_rate = paid
        self._reset_buckets()

    @property
    def stars_spent(self) -> Decimal:
        """What paid broadcasts cost so far: 0.1 Star a message (Bot API, allow_paid_broadcast)."""
        return self.paid_messages * PAID_MESSAGE_STARS

    def _check_flood(self, chat_id: int, *, paid: bool = False) -> None:
        now = time.monotonic()
        wait = 0.0
        chat_bucket: SlidingWindow | None = None
        if self._per_chat_rate:
            chat_bucket = self._chat_buckets.get(chat_id)
            if chat_bucket is None:
                if len(self._chat_buckets) > 10_000:  # forget chats whose window is over
                    self._chat_buckets = {
                        c: b for c, b in self._chat_buckets.items() if b.wait_time(now) > 0
                    }
                chat_bucket = SlidingWindow(self._per_chat_rate, self._rate_window)
                self._chat_buckets[chat_id] = chat_bucket
            wait = max(wait, chat_bucket.wait_time(now))
        overall = self._paid_bucket if paid else self._global_bucket
        if overall is not None:
            wait = max(wait, overall.wait_time(now))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            self.flood_refusals += 1
            self._note_flood(retry_after)
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        if chat_bucket is not None:
            chat_bucket.take(now)
        if overall is not None:
            overall.take(now)
        if paid:
            self.paid_messages += 1

    def _note_flood(self, retry_after: int | None) -> None:
        """A 429 went out: sends are expected to pause for retry_after."""
        now = time.monotonic()
        self._flood_since = now
        self._flood_until = max(self._flood_until, now + (retry_after or 0))

    def inject_failure(
        self,
        method: str,
        status: int = 500,
        times: int = 1,
        description: str = "Internal Server Error",
        retry_after: int | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with this status/description,
        answered after ``delay`` seconds (longer than the client waits: a timeout)."""
        if status == 429:
            retry_after = max(1, retry_after or 1)
            if description == "Internal Server Error":
                description = f"Too Many Requests: retry after {retry_after}"
        queue = self._failures.setdefault(method.lower(), deque())
        for _ in range(times):
            queue.append(Failure(status, description, retry_after, delay))

    def forget_file(self, file_id: str) -> None:
        """Telegram no longer serves this file (deleted on its side, or the bot's token
        changed): a send by its id is "wrong file identifier", getFile "invalid file_id"."""
        stored = self._files.pop(file_id, None)
        if stored is not None:
            self._files_by_path.pop(stored.file_path, None)

    def inject_random_failures(
        self,
        method: str,
        probability: float,
        status: int = 500,
        description: str = "Internal Server Error",
        delay: float = 0.0,
        seed: int | None = None,
        chat_ids: Collection[int] | None = None,
    ) -> None:
        """From now on, each call of ``method`` (to one of ``chat_ids``, if given) fails like
        this with ``probability``; several kinds may be set, each call draws once, and queued
        failures from inject_failure go first."""
        randoms = self._random_failures.setdefault(method.lower(), [])
        chats = None if chat_ids is None else frozenset(chat_ids)
        randoms.append((probability, Failure(status, description, None, delay), chats))
        if seed is not None:
            self._fault_random.seed(seed)

    def _count_send_during_flood(self, name: str) -> None:
        """A send while a 429's retry_after runs (past the grace) breaks the flood rule."""
        if name.startswith("send") and name != "sendChatAction":
            now = time.monotonic()
            if self._flood_since + self.flood_grace < now < self._flood_until:
                self.flood_violations += 1

    def _take_failure(self, name: str, chat_id: Any) -> Failure | None:
        """The failure this call of `name` meets: a queued one first, else one random draw."""
        queue = self._failures.get(name.lower())
        failure: Failure | None = queue.popleft() if queue else None
        if failure is None and name.lower() in self._random_failures:
            draw = self._fault_random.random()
            target = parse_chat_id(chat_id)
            for probability, kind, chats in self._random_failures[name.lower()]:
                if chats is not None and target not in chats:
                    continue
                if draw < probability:
                    failure = kind
                    break
                draw -= probability
        return failure

    async def _suffer(self, failure: Failure) -> ApiError:
        """The error an injected failure answers with, after its delay (a 429 starts a pause)."""
        if failure.status == 429:
            self._note_flood(failure.retry_after)
        if failure.delay:
            await asyncio.sleep(failure.delay)
        return ApiError(failure.status, failure.description, failure.retry_after)
