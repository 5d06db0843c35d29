"""Flood protection: the token bucket rule, and a flooder who cannot slow others down."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rules.throttle import Bucket, idle, take
from tests.harness import Bot, running_bot


def test_a_burst_passes_then_the_rate_applies() -> None:
    bucket: Bucket | None = None
    allowed = []
    for _ in range(5):
        decision = take(bucket, 100.0, burst=3, rate=1.0)
        bucket = decision.bucket
        allowed.append(decision.allowed)
    assert allowed == [True, True, True, False, False]
    assert bucket is not None
    # Half a second buys half a token: still refused; a full second buys one.
    assert not take(bucket, 100.5, burst=3, rate=1.0).allowed
    assert take(bucket, 101.0, burst=3, rate=1.0).allowed


def test_one_warning_per_flood() -> None:
    decision = take(None, 0.0, burst=1, rate=1.0)
    warnings = []
    for moment in (0.1, 0.2, 0.3):
        decision = take(decision.bucket, moment, burst=1, rate=1.0)
        warnings.append(decision.warn)
    assert warnings == [True, False, False]
    # Let through again after a pause; the next flood is warned about once more.
    decision = take(decision.bucket, 2.0, burst=1, rate=1.0)
    assert decision.allowed and not decision.warn
    decision = take(decision.bucket, 2.1, burst=1, rate=1.0)
    assert not decision.allowed and decision.warn


def test_the_bucket_never_holds_more_than_the_burst() -> None:
    decision = take(Bucket(tokens=0.0, at=0.0), 10_000.0, burst=4, rate=10.0)
    assert decision.allowed and decision.bucket.tokens == 3.0
    assert idle(Bucket(tokens=0.0, at=0.0), 1.0, burst=4, rate=4.0)
    assert not idle(Bucket(tokens=0.0, at=0.0), 0.5, burst=4, rate=4.0)


def test_a_clock_read_earlier_does_not_take_tokens_away() -> None:
    decision = take(Bucket(tokens=2.0, at=10.0), 9.0, burst=4, rate=1.0)
    assert decision.allowed and decision.bucket.tokens == 1.0 and decision.bucket.at == 10.0


@pytest.fixture
async def strict_bot(database_url: str) -> AsyncIterator[Bot]:
    """The bot with a small allowance: 5 at once, then one every 10 seconds."""
    async for running in running_bot(database_url, flood_burst=5, flood_rate_per_second=0.1):
        yield running


async def test_a_flooder_is_throttled_while_others_are_answered(strict_bot: Bot) -> None:
    flooder = strict_bot.person(1001, "Flo", language_code="en")
    other = strict_bot.person(1002, "Olga", language_code="en")
    for n in range(300):
        strict_bot.emulator.send_text(flooder.user_id, f"spam {n}")
    answer = await other.say("/help")  # sent after all 300, answered all the same
    assert answer and "/start" in answer[-1].text

    await strict_bot.settle(limit=60)
    texts = flooder.texts()
    slow_down = [t for t in texts if "too fast" in t]
    assert len(slow_down) == 1  # one polite reply for the whole flood
    assert len(texts) <= 5 + 1 + 3  # the burst, the warning, what the rate refilled
    assert strict_bot.app is not None and strict_bot.app.metrics.value(
        "branchbot_updates_throttled_total") >= 290
