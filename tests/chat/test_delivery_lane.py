"""The reply lane: a message to another person goes through the outbox, and at once.

A member asks for leave (the secretary is told), the secretary decides (the member is told),
a meeting is scheduled or moved (the members are told): each message is an outbox row
before Telegram sees it, sent in the handler's own task; a transient failure is retried by
the courier, across a restart, and arrives once; a blocked person is marked unreachable; and
a broadcast of hundreds of rows in flight does not hold it up. The real bot and the emulator.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from handlers.kit.chat import DIRECT_HOLD
from reminders.delivery import Courier, markup_of
from storage import outbox
from storage.models import OutboxMessage, OutboxState, Person
from tests.chat.test_meetings_chat import (
    BOB,
    COM,
    SEC,
    local,
    meetings_in_db,
    people_of,
    schedule_by_chat,
    seed,
)
from tests.chat.test_outbox import eventually
from tests.harness import Bot

APPROVED = "Your leave was approved."


@dataclass
class Scene:
    """A scheduled meeting, Bob's leave request on the secretary's screen, a test clock."""

    crowd: dict[int, Any]
    request: Any  # the secretary's copy of the request, with its buttons
    clock: list[datetime]

    @property
    def sec(self) -> Any:
        return self.crowd[SEC]

    @property
    def bob(self) -> Any:
        return self.crowd[BOB]


def on_clock(bot: Bot, clock: list[datetime]) -> Courier:
    """The bot's courier (and so its handlers and jobs) on the test's clock."""
    assert bot.app is not None
    bot.app.courier.clock = lambda: clock[0]
    return bot.app.courier


async def scene(bot: Bot) -> Scene:
    await seed(bot)
    crowd = people_of(bot)
    clock = [datetime.now(UTC)]  # meetings are checked against the wall clock: start there
    on_clock(bot, clock)
    await schedule_by_chat(bot, crowd[SEC], "Branch general assembly", local(5))
    await crowd[SEC].tap("✅ Schedule")
    await crowd[BOB].tap("🙋 Ask for leave")
    await crowd[BOB].say("Family emergency")
    request = crowd[SEC].last
    assert "Leave request" in request.text and "Bob Li" in request.text
    return Scene(crowd, request, clock)


async def direct_rows(bot: Bot, chat_id: int) -> list[OutboxMessage]:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        return list((await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == outbox.DIRECT_KIND, OutboxMessage.chat_id == chat_id)
            .order_by(OutboxMessage.id)
        )).all())


def approvals(bot: Bot) -> list[str]:
    return [m.text for m in bot.emulator.bot_messages(BOB) if APPROVED in m.text]


def sends_to(bot: Bot, chat_id: int) -> int:
    return sum(1 for call in bot.emulator.api_calls
               if call.method == "sendMessage" and str(call.params.get("chat_id")) == str(chat_id))


async def test_messages_to_others_are_outbox_rows_sent_at_once(bot: Bot) -> None:
    s = await scene(bot)
    # The leave request reached the secretary through the outbox, with its buttons.
    (to_sec,) = [r for r in await direct_rows(bot, SEC) if "Family emergency" in r.text]
    assert to_sec.state is OutboxState.SENT and to_sec.attempts == 1 and to_sec.urgent
    assert to_sec.telegram_message_id == s.request.message_id
    assert "Bob Li" in to_sec.text
    assert [b["text"] for row in (to_sec.reply_markup or {})["inline_keyboard"] for b in row] == [
        "✅ Approve leave", "❌ Refuse"]
    assert bot.app is not None
    assert to_sec.leased_by == bot.app.courier.name
    # Every invitation too, one row each.
    for telegram_id in (COM, BOB):
        (invited,) = await direct_rows(bot, telegram_id)
        assert invited.state is OutboxState.SENT and "New meeting" in invited.text
    assert "Nobody could be told" not in s.bob.last_text


async def test_a_failed_send_is_recorded_first_retried_by_the_courier_and_arrives_once(
    bot: Bot,
) -> None:
    s = await scene(bot)
    # Telegram answers Bob's message with a 500, late: the row is in the outbox meanwhile.
    bot.emulator.inject_failure("sendMessage", status=500, delay=1.5)
    before = sends_to(bot, BOB)
    approving = asyncio.create_task(s.sec.tap("✅ Approve leave", s.request.message_id))
    await eventually(lambda: sends_to(bot, BOB) > before)  # the request is in, not its answer
    (row,) = (await direct_rows(bot, BOB))[-1:]
    assert row.state is OutboxState.SENDING and APPROVED in row.text
    await approving
    assert "Leave approved for Bob Li" in s.sec.last_text
    (row,) = (await direct_rows(bot, BOB))[-1:]
    assert row.state is OutboxState.PENDING and row.error == "Internal Server Error"
    assert row.due_at == s.clock[0] + timedelta(seconds=10)
    assert approvals(bot) == []
    # The courier's passes retry it when it falls due, once.
    courier = on_clock(bot, s.clock)
    await courier.deliver_due()
    assert approvals(bot) == []
    s.clock[0] += timedelta(seconds=11)
    await courier.deliver_due()
    await courier.deliver_due()
    assert len(approvals(bot)) == 1
    (row,) = (await direct_rows(bot, BOB))[-1:]
    assert row.state is OutboxState.SENT and row.attempts == 2


async def test_a_message_not_sent_before_a_restart_is_sent_after_it(bot: Bot) -> None:
    s = await scene(bot)
    bot.emulator.inject_failure("sendMessage", status=502, description="Bad Gateway")
    await s.sec.tap("✅ Approve leave", s.request.message_id)
    assert approvals(bot) == []
    await bot.restart()
    courier = on_clock(bot, s.clock)
    s.clock[0] += timedelta(seconds=11)
    await courier.deliver_due()
    await courier.deliver_due()
    assert len(approvals(bot)) == 1
    (row,) = (await direct_rows(bot, BOB))[-1:]
    assert row.state is OutboxState.SENT and row.leased_by == courier.name


async def test_a_blocked_person_is_marked_unreachable_and_not_asked_again(bot: Bot) -> None:
    await seed(bot)
    crowd = people_of(bot)
    clock = [datetime.now(UTC)]
    courier = on_clock(bot, clock)
    bot.emulator.block(BOB)
    await schedule_by_chat(bot, crowd[SEC], "Branch general assembly", local(5))
    await crowd[SEC].tap("✅ Schedule")
    assert "5 people were told" in crowd[SEC].last_text  # all six on the list but Bob
    (row,) = await direct_rows(bot, BOB)
    assert row.state is OutboxState.FAILED and "blocked" in (row.error or "")
    assert bot.app is not None
    async with bot.app.database.session() as session:
        since = await session.scalar(
            select(Person.unreachable_since).where(Person.telegram_id == BOB))
    assert since == clock[0]
    await courier.deliver_due()  # the branch's leaders are told, by the courier
    assert any("Bob Li cannot be reached" in text for text in crowd[SEC].texts())
    # The meeting moves: Bob's copy fails at once, without asking Telegram again.
    asked = sends_to(bot, BOB)
    (meeting,) = await meetings_in_db(bot)
    await crowd[SEC].say("/meetings")
    await crowd[SEC].tap(f"mt:card:{meeting.id}")
    await crowd[SEC].tap("⏰ Postpone")
    await crowd[SEC].say(local(6, "10:00"))
    assert "Postponed." in crowd[SEC].last_text and "4 people were told" in crowd[SEC].last_text
    assert sends_to(bot, BOB) == asked
    moved = (await direct_rows(bot, BOB))[-1]
    assert moved.state is OutboxState.FAILED and moved.error == outbox.UNREACHABLE


async def test_a_reply_lane_message_does_not_wait_behind_a_broadcast(bot: Bot) -> None:
    s = await scene(bot)
    assert bot.app is not None
    audience = [960_000 + i for i in range(300)]
    for user_id in audience:
        bot.emulator.add_user(user_id, f"u{user_id}").started = True
    async with bot.app.database.session() as session:
        await outbox.enqueue(session, [
            outbox.Planned(key=f"notice:1:{u}", kind="notice", chat_id=u, text=f"Notice {u}",
                           due_at=s.clock[0], subject="notice:1")
            for u in audience
        ])

    def noticed() -> int:
        return sum(1 for u in audience if bot.emulator.bot_messages(u))

    broadcast = asyncio.create_task(on_clock(bot, s.clock).deliver_due())
    await bot.emulator.wait_until(lambda: noticed() >= 20, timeout=20)
    await s.sec.tap("✅ Approve leave", s.request.message_id)
    # Bob was told while most of the broadcast (about 28 a second) was still to go.
    assert len(approvals(bot)) == 1
    assert not broadcast.done() and noticed() <= len(audience) - 100, noticed()
    (row,) = (await direct_rows(bot, BOB))[-1:]
    assert row.state is OutboxState.SENT and row.attempts == 1
    await broadcast
    assert noticed() == len(audience)
    assert all(len(bot.emulator.bot_messages(u)) == 1 for u in audience)
    assert len(approvals(bot)) == 1


def test_a_stored_keyboard_is_sent_as_it_was_given() -> None:
    given = [
        InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]]),
        ReplyKeyboardMarkup([["📅 Meetings", KeyboardButton("☎", request_contact=True)]],
                            resize_keyboard=True, is_persistent=True),
        ReplyKeyboardRemove(),
        ForceReply(input_field_placeholder="Reason"),
    ]
    for markup in given:
        rebuilt = markup_of(markup.to_dict())
        assert type(rebuilt) is type(markup) and rebuilt is not None
        assert rebuilt.to_dict() == markup.to_dict()
    assert markup_of(None) is None


async def test_a_row_recorded_by_a_process_that_died_before_sending_goes_after_the_hold(
    bot: Bot,
) -> None:
    assert bot.app is not None
    clock = [datetime.now(UTC)]
    bot.emulator.add_user(BOB, "Bob", language_code="en").started = True
    async with bot.app.database.session() as session:  # what deliver() commits first
        await outbox.enqueue(session, [outbox.Planned(
            key="direct:died", kind=outbox.DIRECT_KIND, chat_id=BOB, text="Decided",
            due_at=clock[0] + DIRECT_HOLD, urgent=True)])
    await bot.restart()
    courier = on_clock(bot, clock)
    await courier.deliver_due()
    assert bot.emulator.bot_messages(BOB) == []  # still the sender's to send
    clock[0] += DIRECT_HOLD
    await courier.deliver_due()
    await courier.deliver_due()
    assert [m.text for m in bot.emulator.bot_messages(BOB)] == ["Decided"]
