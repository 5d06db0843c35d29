"""Telegram's documented limits, and the sliding window its flood limit is counted in."""

from __future__ import annotations

import math
from collections import deque

# Telegram's documented limits.
MAX_TEXT_UTF16 = 4096
MAX_CAPTION_UTF16 = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_CHARS = 200
MAX_COMMANDS = 100
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_INLINE_BUTTONS = 100
MAX_LONG_POLL_SECONDS = 50.0

# Methods that deliver content to a chat and therefore count against flood limits.
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendLocation",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)


class SlidingWindow:
    """Telegram's flood limit counted strictly: at most ``limit`` sends in any ``window``
    seconds (a token bucket would let a full bucket and its refill through in one second)."""

    def __init__(self, rate: float, window: float = 1.0) -> None:
        self.window = window
        self.limit = max(1, math.floor(rate * window + 1e-9))
        self.times: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        """Seconds until one more send fits the window (0 if it fits now)."""
        while self.times and self.times[0] <= now - self.window:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[0] + self.window - now

    def take(self, now: float) -> None:
        self.times.append(now)
