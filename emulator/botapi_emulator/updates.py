"""Updates: the queue people's actions fill, getUpdates long polling, and the wait for the
bot to have fetched them."""

from __future__ import annotations

import json
import time

from .limits import MAX_LONG_POLL_SECONDS
from .media import Media
from .params import Handler, Params
from .state import JSON, ApiError

# Update types Telegram delivers when allowed_updates is empty or was never set.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class Updates(Media):
    """getUpdates with offsets, allowed_updates and the conflict of two pollers."""

    def _method_table(self) -> dict[str, Handler]:
        return {
            **super()._method_table(),
            "getUpdates": self._m_get_updates,
        }

    def _update_allowed(self, update: JSON) -> bool:
        kind = next((k for k in update if k != "update_id"), "")
        if self._allowed_updates is None:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed_updates

    def _confirm_updates(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            # A negative offset keeps only the last -offset updates, as Telegram does.
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    async def _m_get_updates(self, p: Params) -> list[JSON]:
        if self._webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        limit = min(max(p.int_opt("limit") or 100, 1), 100)
        timeout = min(max(p.float_opt("timeout") or 0.0, 0.0), MAX_LONG_POLL_SECONDS)
        allowed = p.json_opt("allowed_updates", "Bad Request: can't parse allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(str(a) for a in allowed) or None
        self._confirm_updates(p.int_opt("offset"))
        self._poll_generation += 1
        generation = self._poll_generation
        # Wake an older long poll so it can report the conflict.
        self._notify()
        deadline = time.monotonic() + timeout
        while True:
            self._updates = [u for u in self._updates if self._update_allowed(u)]
            batch = self._updates[:limit]
            if batch or self._closing:
                break
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self._wait_change(remaining)
        if batch:
            self._delivered_up_to = max(self._delivered_up_to, batch[-1]["update_id"])
            self._bump()
        return json.loads(json.dumps(batch))

    def pending_updates(self) -> int:
        """Updates queued that getUpdates has not yet handed to the bot."""
        return sum(1 for u in self._updates if u["update_id"] > self._delivered_up_to)

    async def wait_delivered(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until getUpdates has returned every queued update."""
        try:
            await self.wait_until(lambda: self.pending_updates() == 0, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"{self.pending_updates()} update(s) not fetched by the bot within {timeout}s"
            ) from None
