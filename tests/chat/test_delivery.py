"""Delivery under Telegram's rules: blocked people, flood control, pacing per chat, timeouts,
and reminders missed while the bot was down. The real bot, its courier and the emulator."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.kit.pseudonyms import pseudonym
from reminders.delivery import DEAD_AFTER, Courier
from storage import outbox
from storage.models import CourierInstance, OutboxMessage, OutboxState, Person
from storage.outbox import Planned
from tests.chat.test_reminders import ALICE, BOB, SECRETARY, T0, World, schedule, world
from tests.harness import Bot


def note(chat_id: int, key: str, text: str, *, kind: str = "test", due: timedelta = timedelta(0),
         expires: timedelta | None = None) -> Planned:
    return Planned(key=key, kind=kind, chat_id=chat_id, text=text, due_at=T0 + due,
                   expires_at=None if expires is None else T0 + expires)


async def enqueue(w: World, *messages: Planned) -> None:
    assert w.bot.app is not None
    async with w.bot.app.database.session() as session:
        await outbox.enqueue(session, list(messages))


async def by_key(w: World) -> dict[str, OutboxMessage]:
    assert w.bot.app is not None
    async with w.bot.app.database.session() as session:
        return {r.key: r for r in (await session.scalars(select(OutboxMessage))).all()}


async def unreachable_since(w: World, telegram_id: int) -> object:
    assert w.bot.app is not None
    async with w.bot.app.database.session() as session:
        return await session.scalar(
            select(Person.unreachable_since).where(Person.telegram_id == telegram_id)
        )


def sends_to(bot: Bot, chat_id: int) -> int:
    return sum(
        1 for call in bot.emulator.api_calls
        if call.method == "sendMessage" and str(call.params.get("chat_id")) == str(chat_id)
    )


async def test_a_blocked_member_is_marked_unreachable_and_the_secretary_told_once(
    bot: Bot,
) -> None:
    w = await world(bot)
    bot.emulator.block(ALICE)
    await enqueue(w, note(ALICE, "a1", "first"), note(BOB, "b1", "for Bob"))
    await w.courier.deliver_due()
    assert await unreachable_since(w, ALICE) == T0
    rows = await by_key(w)
    assert rows["a1"].state is OutboxState.FAILED and "blocked" in (rows["a1"].error or "")
    assert w.texts(BOB) == ["for Bob"]
    told = [t for t in w.texts(SECRETARY) if "cannot be reached" in t]
    assert told == [
        "⚠️ Name 81002 cannot be reached by the bot: they blocked it or never opened it, so "
        "reminders and notices do not arrive. Please get in touch; this clears as soon as they "
        "write to the bot again."
    ]
    # Later rows fail at once, without asking Telegram again; nobody is told twice.
    attempts = sends_to(bot, ALICE)
    w.clock[0] = T0 + timedelta(hours=1)
    await enqueue(w, note(ALICE, "a2", "second", due=timedelta(hours=1)))
    await w.courier.deliver_due()
    rows = await by_key(w)
    assert rows["a2"].state is OutboxState.FAILED and rows["a2"].error == outbox.UNREACHABLE
    assert sends_to(bot, ALICE) == attempts
    assert len([t for t in w.texts(SECRETARY) if "cannot be reached" in t]) == 1
    # She unblocks and writes: reachable again, and the next reminder arrives.
    bot.emulator.unblock(ALICE)
    alice = bot.person(ALICE, "Alice", language_code="en")
    await alice.say("/me")
    assert await unreachable_since(w, ALICE) is None
    w.clock[0] = T0 + timedelta(hours=2)
    await enqueue(w, note(ALICE, "a3", "third", due=timedelta(hours=2)))
    await w.courier.deliver_due()
    assert "third" in w.texts(ALICE)
    assert "second" not in w.texts(ALICE)  # failed rows stay failed


async def test_a_meeting_reminder_is_not_sent_once_the_meeting_began(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    starts = T0 + timedelta(hours=3)
    await schedule(w, starts, now=T0)
    w.clock[0] = T0
    # The one-hour reminders are planned a few minutes ahead (planning by time slice).
    await w.plan(starts - timedelta(hours=1, minutes=10))
    meeting_rows = [r for r in (await by_key(w)).values() if r.kind == "meeting"]
    assert meeting_rows and {r.expires_at for r in meeting_rows} == {starts}
    # The bot was down from now until after the start.
    w.clock[0] = starts + timedelta(minutes=5)
    await w.courier.deliver_due()
    assert {r.state for r in (await by_key(w)).values() if r.kind == "meeting"} == {
        OutboxState.CANCELLED
    }
    assert [t for t in w.texts(ALICE) if "⏰" in t] == []


async def test_missed_reminders_of_one_kind_come_as_one_message_paced_per_chat(
    bot: Bot,
) -> None:
    w = await world(bot)
    bot.emulator.set_rates(per_chat=1.0)  # strict: a second message within a second is a 429
    late = timedelta(days=-2)  # fell due two days ago: the bot was down
    await enqueue(
        w,
        note(ALICE, "d1", "duty one", kind="duty", due=late),
        note(ALICE, "d2", "duty two", kind="duty", due=late + timedelta(hours=1)),
        note(ALICE, "t1", "training", kind="training", due=late),
        note(ALICE, "now", "meeting now", kind="meeting"),
        note(BOB, "b", "for Bob", kind="duty", due=late),
    )
    await w.courier.deliver_due()
    assert sorted(w.texts(ALICE)) == ["duty one\n\nduty two", "meeting now", "training"]
    assert w.texts(BOB) == ["for Bob"]
    assert w.courier.merged == 1
    assert bot.emulator.chat_interval_violations[ALICE] == 0
    assert sends_to(bot, ALICE) == 3  # no 429 for sending too fast
    assert {r.state for r in (await by_key(w)).values()} == {OutboxState.SENT}


async def test_flood_control_holds_every_send_until_retry_after(bot: Bot) -> None:
    w = await world(bot)
    bot.emulator.inject_failure("sendMessage", status=429, retry_after=2)
    ids = [ALICE, BOB, SECRETARY]
    await enqueue(w, *(note(u, f"k{u}", f"hello {u}") for u in ids))
    await w.courier.deliver_due()
    for user_id in ids:
        assert w.texts(user_id) == [f"hello {user_id}"]
    assert bot.emulator.flood_violations == 0


async def test_server_errors_and_timeouts_are_retried_with_backoff(bot: Bot) -> None:
    w = await world(bot)
    bot.emulator.inject_failure("sendMessage", status=502, description="Bad Gateway")
    await enqueue(w, note(ALICE, "a", "for Alice"))
    await w.courier.deliver_due()
    row = (await by_key(w))["a"]
    assert row.state is OutboxState.PENDING and row.due_at == T0 + timedelta(seconds=10)
    # The next try gets no answer in time (the emulator answers after the client gave up).
    bot.emulator.inject_failure("sendMessage", status=500, delay=7.0)
    w.clock[0] = T0 + timedelta(seconds=11)
    await w.courier.deliver_due()
    row = (await by_key(w))["a"]
    assert row.state is OutboxState.PENDING and row.attempts == 2
    assert row.due_at == w.clock[0] + timedelta(seconds=20)  # 10 s, then 20 s
    assert w.texts(ALICE) == []
    w.clock[0] += timedelta(seconds=21)
    await w.courier.deliver_due()
    assert w.texts(ALICE) == ["for Alice"]
    assert (await by_key(w))["a"].state is OutboxState.SENT


async def leased_to(w: World, courier: str, *messages: Planned) -> list[int]:
    """Record messages and lease the first of them to `courier` (which then says nothing)."""
    assert w.bot.app is not None
    async with w.bot.app.database.session() as session:
        await outbox.enqueue(session, list(messages))
        leased = await outbox.claim(session, w.clock[0], limit=1, lease=timedelta(minutes=5),
                                    courier=courier)
    return [r.chat_id for r in leased]


async def test_rows_of_a_courier_whose_heartbeat_stopped_are_taken_over_and_logged(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    w = await world(bot)
    assert bot.app is not None
    # Another instance starts, leases a row and is killed before recording anything.
    dead = Courier(bot.app.database, bot.app.bot, clock=lambda: w.clock[0])
    await dead.keep_alive()
    assert await leased_to(w, dead.name, note(ALICE, "a", "for Alice"),
                           note(BOB, "b", "for Bob")) == [ALICE]
    survivor = Courier(bot.app.database, bot.app.bot, clock=lambda: w.clock[0])
    w.clock[0] = T0 + timedelta(seconds=5)  # a heartbeat ago: still alive as far as we know
    await survivor.deliver_due()
    assert w.texts(ALICE) == [] and w.texts(BOB) == ["for Bob"]
    # Its heartbeat stopped long enough: the survivor takes its row, well inside the lease.
    w.clock[0] = T0 + DEAD_AFTER + timedelta(seconds=1)
    with caplog.at_level(logging.WARNING, logger="reminders.delivery"):
        await survivor.deliver_due()
    assert w.texts(ALICE) == ["for Alice"] and w.texts(BOB) == ["for Bob"]
    assert survivor.recovered == 1
    assert any(f"to chat {pseudonym(ALICE)} was in flight" in r.getMessage()
               for r in caplog.records)
    assert {r.state for r in (await by_key(w)).values()} == {OutboxState.SENT}


async def test_a_restart_with_the_same_pid_takes_over_the_previous_start(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    # The container restarted: the bot is PID 1 (here: this pid) on the same host again.
    before = "f" * 32
    async with bot.app.database.session() as session:
        await outbox.beat(session, before, T0, host=socket.gethostname(), pid=os.getpid())
    assert await leased_to(w, before, note(ALICE, "a", "for Alice")) == [ALICE]
    w.clock[0] = T0 + DEAD_AFTER + timedelta(seconds=1)
    restarted = Courier(bot.app.database, bot.app.bot, clock=lambda: w.clock[0])
    await restarted.deliver_due()
    assert w.texts(ALICE) == ["for Alice"]  # not after the 5-minute lease
    async with bot.app.database.session() as session:
        known = set((await session.scalars(select(CourierInstance.id))).all())
    assert before not in known and restarted.name in known


async def test_a_live_courier_keeps_its_lease(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    await w.courier.keep_alive()
    assert await leased_to(w, w.courier.name, note(ALICE, "a", "for Alice")) == [ALICE]
    fresh = Courier(bot.app.database, bot.app.bot, clock=lambda: w.clock[0])
    await fresh.deliver_due()
    assert w.texts(ALICE) == []


async def test_each_row_is_settled_as_its_answer_arrives(bot: Bot) -> None:
    w = await world(bot)
    # The first send is answered late (a 500 after 3 s); the others at once.
    bot.emulator.inject_failure("sendMessage", status=500, delay=3.0)
    await enqueue(w, note(ALICE, "a", "for Alice", due=timedelta(seconds=-2)),
                  note(BOB, "b", "for Bob", due=timedelta(seconds=-1)))
    delivery = asyncio.create_task(w.courier.deliver_due())
    await bot.emulator.wait_until(lambda: bool(w.texts(ALICE) or w.texts(BOB)), timeout=10)
    fast, slow = ("a", "b") if w.texts(ALICE) else ("b", "a")
    for _ in range(100):  # the answer is in; its commit follows within moments
        rows = await by_key(w)
        if rows[fast].state is not OutboxState.SENDING or delivery.done():
            break
        await asyncio.sleep(0.02)
    assert rows[fast].state is OutboxState.SENT  # recorded while the other is still out
    assert rows[slow].state is OutboxState.SENDING and not delivery.done()
    await delivery
    rows = await by_key(w)
    assert rows[slow].state is OutboxState.PENDING and rows[slow].error == "Internal Server Error"


async def test_a_send_that_hangs_does_not_hold_up_the_next_ones(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    bot.emulator.inject_failure("sendMessage", status=500, delay=3.0)
    await enqueue(w, note(ALICE, "a", "for Alice", due=timedelta(seconds=-2)),
                  note(BOB, "b", "for Bob", due=timedelta(seconds=-1)),
                  note(SECRETARY, "s", "for the secretary"))
    w.courier.batch = 1  # the bot's own courier (its jobs may run it too), one row a claim
    delivery = asyncio.create_task(w.courier.deliver_due())
    # Alice's send (claimed first, alone) hangs; the rows claimed after it go meanwhile.
    await bot.emulator.wait_until(
        lambda: bool(w.texts(BOB) and w.texts(SECRETARY)) or delivery.done(), timeout=10
    )
    assert not delivery.done() and w.texts(ALICE) == []
    assert (await by_key(w))["a"].state is OutboxState.SENDING  # its answer is still out
    assert w.texts(BOB) == ["for Bob"] and w.texts(SECRETARY) == ["for the secretary"]
    await delivery
    assert (await by_key(w))["a"].state is OutboxState.PENDING


async def test_no_burst_after_flood_control_under_a_strict_limit(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    members = [900_000 + i for i in range(60)]
    for user_id in members:
        bot.emulator.add_user(user_id, f"u{user_id}").started = True
    # Telegram counts strictly: at most 30 sends in any second (the bot's default cap is 30).
    bot.emulator.set_rates(global_=30.0, window=1.0)
    bot.emulator.inject_failure("sendMessage", status=429, retry_after=1)
    await enqueue(w, *(note(u, f"m{u}", f"hello {u}") for u in members))
    await w.courier.deliver_due()
    assert all(w.texts(u) == [f"hello {u}"] for u in members)
    # After the hold nothing bursts into the next 429, and nothing went inside the hold.
    assert bot.emulator.flood_refusals == 0
    assert bot.emulator.flood_violations == 0
