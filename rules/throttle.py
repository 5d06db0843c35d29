"""Flood protection: a token bucket per person, and one polite warning per flood.

A person may send `burst` updates at once and then `rate` a second; beyond that their updates
are dropped before any handler runs. The first dropped update of a flood gets one "slow down"
reply; the next warning comes only after the person was let through again.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bucket:
    """One person's allowance at moment `at` (seconds on a monotonic clock)."""

    tokens: float
    at: float
    warned: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    warn: bool  # send the one "slow down" reply of this flood
    bucket: Bucket


def full_bucket(burst: int, now: float) -> Bucket:
    return Bucket(tokens=float(burst), at=now)


def take(bucket: Bucket | None, now: float, *, burst: int, rate: float) -> Decision:
    """Spend one token if there is one; otherwise refuse, warning once per flood."""
    if bucket is None:
        bucket = full_bucket(burst, now)
    elapsed = max(0.0, now - bucket.at)  # a clock read earlier elsewhere must not refill less
    tokens = min(float(burst), bucket.tokens + elapsed * rate)
    at = max(bucket.at, now)
    if tokens >= 1.0:
        return Decision(True, False, Bucket(tokens - 1.0, at, warned=False))
    return Decision(False, not bucket.warned, Bucket(tokens, at, warned=True))


def idle(bucket: Bucket, now: float, *, burst: int, rate: float) -> bool:
    """The bucket would be full again: nothing to remember about this person."""
    return bucket.tokens + max(0.0, now - bucket.at) * rate >= burst
