"""The outbox and its courier: recorded before sent, sent once, retried, resumed after a restart."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from reminders.delivery import Courier, wake_at
from storage import outbox
from storage import people as people_module
from storage.db import Database
from storage.models import OutboxMessage, OutboxState
from storage.outbox import Planned
from tests.harness import Bot

FIRST = 700_000


def people(bot: Bot, count: int) -> list[int]:
    """Users who have opened the bot (Telegram refuses to let a bot write first)."""
    ids = [FIRST + i for i in range(count)]
    for user_id in ids:
        bot.emulator.add_user(user_id, f"u{user_id}").started = True
    return ids


def planned(ids: list[int], due_at: datetime, kind: str = "test") -> list[Planned]:
    return [
        Planned(key=f"{kind}:{u}", kind=kind, chat_id=u, text=f"提醒 <b>{u}</b>", due_at=due_at,
                subject="test:1")
        for u in ids
    ]


async def rows(database: Database) -> list[OutboxMessage]:
    async with database.session() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def eventually(condition: Callable[[], bool], limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached in time")
        await asyncio.sleep(0.02)


def on_test_clock(bot: Bot, start: datetime) -> tuple[Courier, list[datetime]]:
    """The bot's own courier, scheduled jobs included, on a clock the test moves."""
    assert bot.app is not None
    clock = [start]
    bot.app.courier.clock = lambda: clock[0]
    return bot.app.courier, clock


def received(bot: Bot, user_id: int) -> list[str]:
    return [m.text for m in bot.emulator.bot_messages(user_id)]


async def test_planned_twice_recorded_once_and_delivered_once(bot: Bot) -> None:
    assert bot.app is not None
    ids = people(bot, 5)
    now = datetime.now(UTC)
    async with bot.app.database.session() as session:
        assert await outbox.enqueue(session, planned(ids, now)) == 5
        assert await outbox.enqueue(session, planned(ids, now)) == 0
    wake_at(bot.app, now)
    await eventually(lambda: all(received(bot, u) for u in ids))
    await asyncio.sleep(0.3)  # nothing more comes
    for user_id in ids:
        assert received(bot, user_id) == [f"提醒 {user_id}"]  # HTML parsed, once
    stored = await rows(bot.app.database)
    assert [r.state for r in stored] == [OutboxState.SENT] * 5
    for row in stored:
        assert row.telegram_message_id == bot.emulator.bot_messages(row.chat_id)[0].message_id
        assert row.attempts == 1 and row.sent_at is not None


async def test_a_future_message_waits_for_its_time_and_survives_a_restart(bot: Bot) -> None:
    assert bot.app is not None
    (user_id,) = people(bot, 1)
    due = datetime.now(UTC) + timedelta(seconds=1.5)
    async with bot.app.database.session() as session:
        await outbox.enqueue(session, planned([user_id], due))
    wake_at(bot.app, due)
    await bot.restart()  # the wake job is gone with the process; the row is not
    assert received(bot, user_id) == []
    await eventually(lambda: bool(received(bot, user_id)))
    assert datetime.now(UTC) >= due
    await asyncio.sleep(0.3)
    assert received(bot, user_id) == [f"提醒 {user_id}"]


async def test_blocked_people_are_recorded_and_the_rest_still_get_it(bot: Bot) -> None:
    assert bot.app is not None
    ids = people(bot, 3)
    bot.emulator.block(ids[1])
    async with bot.app.database.session() as session:
        await outbox.enqueue(session, planned(ids, datetime.now(UTC)))
    await bot.app.courier.deliver_due()
    by_chat = {r.chat_id: r for r in await rows(bot.app.database)}
    assert by_chat[ids[1]].state is OutboxState.FAILED
    assert "blocked" in (by_chat[ids[1]].error or "")
    assert by_chat[ids[0]].state is by_chat[ids[2]].state is OutboxState.SENT
    assert received(bot, ids[0]) == [f"提醒 {ids[0]}"]


async def test_server_errors_are_retried_later_and_delivered_once(bot: Bot) -> None:
    assert bot.app is not None
    (user_id,) = people(bot, 1)
    start = datetime.now(UTC)
    courier, clock = on_test_clock(bot, start)
    async with bot.app.database.session() as session:
        await outbox.enqueue(session, planned([user_id], start))
    bot.emulator.inject_failure("sendMessage", status=502, description="Bad Gateway")
    await courier.deliver_due()
    (row,) = await rows(bot.app.database)
    assert row.state is OutboxState.PENDING and row.error == "Bad Gateway"
    assert row.due_at == start + timedelta(seconds=10)
    assert received(bot, user_id) == []
    await courier.deliver_due()  # not due yet
    assert received(bot, user_id) == []
    clock[0] = start + timedelta(seconds=11)
    await courier.deliver_due()
    (row,) = await rows(bot.app.database)
    assert row.state is OutboxState.SENT and row.attempts == 2
    assert received(bot, user_id) == [f"提醒 {user_id}"]


async def test_flood_control_is_waited_out_not_lost(bot: Bot) -> None:
    assert bot.app is not None
    ids = people(bot, 2)
    bot.emulator.inject_failure("sendMessage", status=429, retry_after=1)
    async with bot.app.database.session() as session:
        await outbox.enqueue(session, planned(ids, datetime.now(UTC)))
    await bot.app.courier.deliver_due()
    for user_id in ids:
        assert received(bot, user_id) == [f"提醒 {user_id}"]
    assert {r.state for r in await rows(bot.app.database)} == {OutboxState.SENT}


async def test_giving_up_after_the_last_attempt(bot: Bot) -> None:
    assert bot.app is not None
    (user_id,) = people(bot, 1)
    start = datetime.now(UTC)
    courier, clock = on_test_clock(bot, start)
    async with bot.app.database.session() as session:
        await outbox.enqueue(session, planned([user_id], start))
    bot.emulator.inject_failure("sendMessage", status=500, times=outbox.MAX_ATTEMPTS)
    for _ in range(outbox.MAX_ATTEMPTS):
        await courier.deliver_due()
        clock[0] += timedelta(hours=2)
    (row,) = await rows(bot.app.database)
    assert row.state is OutboxState.FAILED and row.attempts == outbox.MAX_ATTEMPTS
    assert (row.error or "").startswith("gave up")


async def test_a_courier_that_died_mid_send_is_taken_over_and_logged(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    assert bot.app is not None
    ids = people(bot, 4)
    start = datetime.now(UTC)
    async with bot.app.database.session() as session:
        await outbox.enqueue(session, planned(ids, start))
        # A courier leased two rows and died before recording anything.
        dead = await outbox.claim(
            session, start, limit=2, lease=timedelta(minutes=5), courier="dead"
        )
    assert len(dead) == 2
    courier, clock = on_test_clock(bot, start)
    await courier.deliver_due()
    leased = {r.chat_id for r in dead}
    for user_id in ids:
        assert received(bot, user_id) == ([] if user_id in leased else [f"提醒 {user_id}"])
    clock[0] = start + timedelta(minutes=6)  # the dead courier's lease ran out
    with caplog.at_level(logging.WARNING, logger="reminders.delivery"):
        await courier.deliver_due()
    for user_id in ids:
        assert received(bot, user_id) == [f"提醒 {user_id}"]
    warned = [r for r in caplog.records if "may arrive twice" in r.getMessage()]
    assert len(warned) == 2 and courier.recovered == 2
    # The dead courier's late report (had it only stalled) changes nothing.
    async with bot.app.database.session() as session:
        await outbox.settle(
            session,
            [outbox.Settled(dead[0].id, outbox.Outcome.FAILED, start, error="late")],
            courier="dead",
        )
    assert {r.state for r in await rows(bot.app.database)} == {OutboxState.SENT}


async def test_two_couriers_racing_send_each_message_once(bot: Bot) -> None:
    assert bot.app is not None
    ids = people(bot, 120)
    async with bot.app.database.session() as session:
        await outbox.enqueue(session, planned(ids, datetime.now(UTC)))
    # A second engine, as a second process would have (PostgreSQL: SKIP LOCKED between them).
    other = Database(bot.app.database.url)
    try:
        first = Courier(bot.app.database, bot.app.bot, batch=10)
        second = Courier(other, bot.app.bot, batch=10)
        # The bot's scheduled courier may join in too.
        await asyncio.gather(first.deliver_due(), second.deliver_due())
        await bot.app.courier.deliver_due()  # waits for a pass of its own still running
    finally:
        await other.dispose()
    assert first.sent + second.sent + bot.app.courier.sent == 120
    assert first.sent and second.sent
    for user_id in ids:
        assert len(received(bot, user_id)) == 1
    assert {r.state for r in await rows(bot.app.database)} == {OutboxState.SENT}


async def test_cancelled_messages_are_not_sent(bot: Bot) -> None:
    assert bot.app is not None
    ids = people(bot, 2)
    async with bot.app.database.session() as session:
        await outbox.enqueue(session, planned(ids, datetime.now(UTC)))
        assert await outbox.cancel(session, subject="test:1", reason="meeting moved") == 2
    await bot.app.courier.deliver_due()
    assert all(received(bot, u) == [] for u in ids)
    assert {r.state for r in await rows(bot.app.database)} == {OutboxState.CANCELLED}


async def test_recording_keeps_each_rows_own_values(bot: Bot) -> None:
    assert bot.app is not None
    ids = people(bot, 3)
    now = datetime.now(UTC) + timedelta(hours=1)  # not sent during the test
    markup = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    mixed = [
        Planned(key="m:0", kind="a", chat_id=ids[0], text="zero", due_at=now, urgent=True,
                reply_markup=markup, expires_at=now + timedelta(hours=1)),
        Planned(key="m:1", kind="b", chat_id=ids[1], text="one", due_at=now, bundle=True,
                subject="s:1"),
    ]
    alike = [Planned(key="m:2", kind="c", chat_id=ids[2], text="two", due_at=now, bundle=True)]
    async with bot.app.database.session() as session:
        assert await outbox.enqueue(session, mixed) == 2
        assert await outbox.enqueue(session, [*mixed, *alike]) == 1  # only the new key
    stored = {r.key: r for r in await rows(bot.app.database)}
    first, second, third = stored["m:0"], stored["m:1"], stored["m:2"]
    assert (first.urgent, first.bundle, first.reply_markup, first.subject) == (
        True, False, markup, None)
    assert first.expires_at == now + timedelta(hours=1)
    assert (second.urgent, second.bundle, second.reply_markup, second.expires_at) == (
        False, True, None, None)
    assert second.subject == "s:1" and third.bundle is True and third.urgent is False
    for row in stored.values():
        assert row.state is OutboxState.PENDING and row.attempts == 0
        assert row.due_at == now and row.created_at is not None
        assert abs(row.created_at - datetime.now(UTC)) < timedelta(minutes=1)


async def test_claiming_by_key_follows_the_claim_rules(db: Database) -> None:
    now = datetime(2030, 1, 7, 2, 0, tzinfo=UTC)
    lease = timedelta(minutes=5)
    later = now + timedelta(seconds=30)  # not due: a handler's row is claimed by key anyway
    async with db.session() as session:
        gone = await people_module.ensure_person(session, 2, language="en")
        gone.unreachable_since = now - timedelta(days=1)
        await outbox.enqueue(session, [
            Planned(key="fresh", kind="direct", chat_id=1, text="a", due_at=later),
            Planned(key="gone", kind="direct", chat_id=2, text="b", due_at=later),
            Planned(key="stale", kind="direct", chat_id=1, text="c", due_at=later,
                    expires_at=now),
            Planned(key="held", kind="direct", chat_id=3, text="d", due_at=now),
            Planned(key="lapsed", kind="direct", chat_id=4, text="e", due_at=now),
        ])
        await outbox.claim_keys(session, ["held"], now, lease=lease, courier="other")
        await outbox.claim_keys(session, ["lapsed"], now - lease, lease=lease, courier="dead")
    async with db.session() as session:
        claimed, others = await outbox.claim_keys(
            session, ["fresh", "gone", "stale", "held", "lapsed", "unknown"], now, lease=lease,
            courier="me",
        )
    assert sorted((c.key, c.recovered, c.attempts) for c in claimed) == [
        ("fresh", False, 1), ("lapsed", True, 2)]
    assert others == {"gone": OutboxState.FAILED, "stale": OutboxState.CANCELLED,
                      "held": OutboxState.SENDING}
    stored = {r.key: r for r in await rows(db)}
    assert stored["gone"].error == outbox.UNREACHABLE and stored["stale"].error == outbox.EXPIRED
    assert stored["fresh"].leased_by == stored["lapsed"].leased_by == "me"
    assert stored["fresh"].lease_until == now + lease and stored["held"].leased_by == "other"


async def test_two_claims_of_the_same_keys_lease_each_row_once(db: Database) -> None:
    now = datetime(2030, 1, 7, 2, 0, tzinfo=UTC)
    keys = [f"k{i}" for i in range(50)]
    async with db.session() as session:
        await outbox.enqueue(session, [
            Planned(key=k, kind="direct", chat_id=i, text=k, due_at=now)
            for i, k in enumerate(keys)
        ])
    other = Database(db.url)  # a second process (PostgreSQL: SKIP LOCKED between them)

    async def claim(database: Database, courier: str) -> list[str]:
        async with database.session() as session:
            claimed, _others = await outbox.claim_keys(
                session, keys, now, lease=timedelta(minutes=5), courier=courier)
            await asyncio.sleep(0.05)  # hold the rows a moment, as a real claim's commit does
        return [c.key for c in claimed]

    try:
        first, second = await asyncio.gather(claim(db, "one"), claim(other, "two"))
    finally:
        await other.dispose()
    assert sorted(first + second) == sorted(keys)
