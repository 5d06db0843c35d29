"""Presses under a meeting's post in the branch's group (issue 18): "I'll attend", "Ask for
leave" while the meeting is upcoming, "Check in" once check-in is open. Each is answered to the
presser alone (a toast; for leave the private leave flow's question for the reason); people
not on the list are told why; a forged press naming another branch's meeting is refused; the
post's counts follow through the usual refresh, and nothing personal reaches the group, even
under a burst of 200 presses (Telegram allows about 20 messages a minute in a group)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from handlers.kit.buttons import MeetingId
from handlers.meetings.post_views import POST_BUTTONS, PostAttend, PostCheckin
from handlers.privacy import GROUP_ACTIONS, allowed_in_group
from reminders.group_posts import EDIT_EVERY
from rules.vocabulary import AttendanceStatus, MeetingKind, MemberRole, MemberStatus
from storage import branch_chats, orgs, people
from storage import meetings as store
from storage.models import Attendance, Meeting, Membership, PartyOrganization, utcnow
from tests.chat.test_checkin_chat import (
    ALICE,
    BOB,
    CAROL,
    FRANK,
    GINA,
    NAMES,
    NOON,
    SEC,
    World,
    person,
    seed,
)
from tests.chat.test_group_posts import linked_group, refresh
from tests.harness import Bot, Group

STRANGER = 749_001  # never registered, never opened the bot
STALE = "This button is no longer valid. Please open the menu again."
NOT_ON_LIST = "You are not on the list of this meeting, so you cannot answer or check in here."
NOT_REGISTERED = "only the branch's registered members it expects can answer or check in"
OPEN_PRIVATE = "I can't write to you yet. Please open a private chat with me"
LEAVE_ASKED = "I've asked you for the reason in our private chat: type it there."
ALREADY_ASKED = "You have already asked for leave; your secretary will decide."
ALREADY_ON_LEAVE = "Your leave for this meeting is already approved."


def test_the_post_buttons_are_let_through_in_groups() -> None:
    assert {family.prefix for family in POST_BUTTONS} <= GROUP_ACTIONS
    assert allowed_in_group(PostCheckin(MeetingId(7)).pack())


async def status_of(bot: Bot, w: World, telegram_id: int) -> AttendanceStatus:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        line = await store.attendance_of(session, w.meeting, w.memberships[telegram_id])
        assert line is not None
        return line.status


async def other_branch_meeting(bot: Bot) -> int:
    """A meeting of Branch B (whose secretary schedules it), for forged presses."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        branch = await session.scalar(select(PartyOrganization).where(
            PartyOrganization.name == "Branch B"))
        assert branch is not None
        meeting = await store.schedule(session, store.MeetingPlan(
            org_id=branch.id, kind=MeetingKind.ASSEMBLY, starts_at=NOON + timedelta(days=1),
            ends_at=NOON + timedelta(days=1, hours=2), topic="Branch B business"),
            created_by=SEC, now=NOON)
        return meeting.id


def answers(bot: Bot, telegram_id: int) -> list[tuple[str | None, bool]]:
    return [(a.text, a.show_alert) for a in bot.emulator.callback_answers(telegram_id)]


def assert_nothing_personal(group: Group) -> None:
    for text in group.texts():
        assert not any(name in text for name in NAMES.values()), text


async def posted(bot: Bot, group: Group) -> Any:
    assert await refresh(bot) == 1
    return group.bot_messages()[-1]


async def test_answering_and_asking_leave_from_the_group_post(bot: Bot) -> None:
    assert bot.app is not None
    w = await seed(bot, now=NOON, starts_in=timedelta(days=1))
    stranger = bot.person(STRANGER, "Stan Stranger", language_code="en")
    group = await linked_group(bot, [NOON], [person(bot, CAROL), person(bot, FRANK), stranger])
    post = await posted(bot, group)
    assert [b.text for row in post.inline_keyboard for b in row] == [
        "✅ I'll attend", "🙋 Ask for leave"]
    assert "Expected 6 · will attend 0 · on leave 1" in post.text
    in_group = len(group.bot_messages())

    alice, bob, carol = person(bot, ALICE), person(bot, BOB), person(bot, CAROL)
    said = await alice.tap_in(group, "✅ I'll attend", post.message_id)
    assert said.group == [] and said.private == []  # a toast only
    assert answers(bot, ALICE)[-1] == ("Recorded: you will attend.", False)
    assert await status_of(bot, w, ALICE) is AttendanceStatus.ATTENDING
    assert await refresh(bot) == 1
    shown = bot.emulator.message(group.chat_id, post.message_id)
    assert "Expected 6 · will attend 1 · on leave 1" in shown.text
    assert [b.text for row in shown.inline_keyboard for b in row] == [
        "✅ I'll attend", "🙋 Ask for leave"]  # the edit keeps the buttons

    # Leave needs a reason: Bob is asked for it in his private chat (tested in full below).
    said = await bob.tap_in(group, "🙋 Ask for leave", post.message_id)
    assert said.group == [] and answers(bot, BOB)[-1] == (LEAVE_ASKED, False)
    assert len(said.private) == 1 and "why can you not attend?" in said.private[0].text
    await bob.say("Travelling for work")
    assert await status_of(bot, w, BOB) is AttendanceStatus.LEAVE_REQUESTED
    assert person(bot, SEC).saw("Travelling for work")  # the secretary decides, privately

    # Carol never opened a private chat: an alert asks her to, nothing is recorded...
    bot.emulator.user(CAROL).started = False
    said = await carol.tap_in(group, "🙋 Ask for leave", post.message_id)
    assert said.private == [] and said.group == []
    text, alert = answers(bot, CAROL)[-1]
    assert alert and text is not None and OPEN_PRIVATE in text
    assert await status_of(bot, w, CAROL) is AttendanceStatus.EXPECTED
    # ... while "I'll attend" needs no private chat.
    await carol.tap_in(group, "✅ I'll attend", post.message_id)
    assert await status_of(bot, w, CAROL) is AttendanceStatus.ATTENDING

    # Not on the list: Branch B's Frank is told why privately (and in an alert); a stranger
    # who never opened the bot only in the alert.
    frank = person(bot, FRANK)
    said = await frank.tap_in(group, "✅ I'll attend", post.message_id)
    assert [m.text for m in said.private] == [NOT_ON_LIST + " If you think you should be, ask "
                                             "the branch's secretary."]
    assert answers(bot, FRANK)[-1][1] is True
    said = await stranger.tap_in(group, "🙋 Ask for leave", post.message_id)
    assert said.private == []
    text, alert = answers(bot, STRANGER)[-1]
    assert alert and text is not None and NOT_REGISTERED in text

    # A forged press naming Branch B's meeting is refused; nothing recorded there.
    other = await other_branch_meeting(bot)
    said = await alice.forge_in(group, post.message_id, PostAttend(MeetingId(other)).pack())
    assert answers(bot, ALICE)[-1] == (STALE, True) and said.private == []
    async with bot.app.database.session() as session:
        lines = (await session.scalars(select(Attendance).where(
            Attendance.meeting_id == other))).all()
        assert all(line.status is not AttendanceStatus.ATTENDING for line in lines)

    bot.app.courier.clock = lambda: NOON + EDIT_EVERY  # the next edit is due
    assert await refresh(bot) == 1
    final = bot.emulator.message(group.chat_id, post.message_id).text
    assert "Expected 6 · will attend 2 · on leave 1" in final  # Bob's request is not leave yet
    # At the start check-in is open: the same pass swaps the buttons.
    bot.app.courier.clock = lambda: NOON + timedelta(days=1)
    assert await refresh(bot) == 1
    shown = bot.emulator.message(group.chat_id, post.message_id)
    assert [b.text for row in shown.inline_keyboard for b in row] == ["📍 Check in"]
    assert len(group.bot_messages()) == in_group  # only edits: the post, nothing per person
    assert_nothing_personal(group)
    # Only what Telegram refuses to someone who never opened a private chat (as it should).
    assert all("Forbidden" in refused for refused in bot.refused_messages())


async def leave_reason_of(bot: Bot, w: World, telegram_id: int) -> str | None:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        line = await store.attendance_of(session, w.meeting, w.memberships[telegram_id])
        assert line is not None
        return line.leave_reason


async def test_asking_leave_from_the_group_post_asks_the_reason_privately(bot: Bot) -> None:
    """The group's 🙋 starts the private leave flow in the presser's chat: the reason typed
    next is stored as through the private button, the secretary asked to decide; Cancel leaves
    nothing; a second press (or one after approval) says so instead of asking again."""
    w = await seed(bot, now=NOON, starts_in=timedelta(days=1))
    group = await linked_group(bot, [NOON], [person(bot, CAROL)])
    post = await posted(bot, group)
    in_group = len(group.bot_messages())
    alice, bob, sec = person(bot, ALICE), person(bot, BOB), person(bot, SEC)
    await alice.tap_in(group, "✅ I'll attend", post.message_id)

    said = await alice.tap_in(group, "🙋 Ask for leave", post.message_id)
    assert said.group == [] and answers(bot, ALICE)[-1] == (LEAVE_ASKED, False)
    [question] = said.private
    assert "Ask for leave from Branch general assembly" in question.text
    assert "why can you not attend? Type the reason" in question.text
    assert [b.text for row in question.inline_keyboard for b in row] == ["Cancel"]
    assert await status_of(bot, w, ALICE) is AttendanceStatus.ATTENDING  # nothing stored yet
    requests = len(sec.texts())
    await alice.say("  Visiting my mother in hospital ")
    assert await status_of(bot, w, ALICE) is AttendanceStatus.LEAVE_REQUESTED
    assert await leave_reason_of(bot, w, ALICE) == "Visiting my mother in hospital"
    assert "leave requested, waiting for approval" in alice.last_text
    [request] = sec.texts()[requests:]
    assert "Leave request" in request and "Alice Adams" in request
    assert "Reason: Visiting my mother in hospital" in request
    # The next text is no reason any more: the flow has ended.
    await alice.say("And another thing")
    assert await leave_reason_of(bot, w, ALICE) == "Visiting my mother in hospital"

    # The request is no leave yet; once approved the post counts it (no names).
    assert await refresh(bot) == 0
    await sec.tap("✅ Approve leave", sec.message_with_button("✅ Approve leave"))
    assert await status_of(bot, w, ALICE) is AttendanceStatus.ON_LEAVE
    assert await refresh(bot) == 1
    shown = bot.emulator.message(group.chat_id, post.message_id).text
    assert "Expected 6 · will attend 0 · on leave 2" in shown

    # Asked already, or approved already: told so, in an alert, and asked nothing.
    said = await alice.tap_in(group, "🙋 Ask for leave", post.message_id)
    assert said.private == [] and answers(bot, ALICE)[-1] == (ALREADY_ON_LEAVE, True)
    await bob.tap_in(group, "🙋 Ask for leave", post.message_id)
    await bob.say("Flight delayed")
    said = await bob.tap_in(group, "🙋 Ask for leave", post.message_id)
    assert said.private == [] and answers(bot, BOB)[-1] == (ALREADY_ASKED, True)
    assert await leave_reason_of(bot, w, BOB) == "Flight delayed"

    # Cancel under the question: nothing stored, and what is typed next is no reason.
    carol = person(bot, CAROL)
    said = await carol.tap_in(group, "🙋 Ask for leave", post.message_id)
    assert "why can you not attend?" in said.private[0].text
    await carol.tap("Cancel", said.private[0].message_id)
    assert carol.last_text == "Cancelled."
    await carol.say("Too tired")
    assert await status_of(bot, w, CAROL) is AttendanceStatus.EXPECTED
    assert await leave_reason_of(bot, w, CAROL) is None
    assert not sec.saw("Too tired")

    assert len(group.bot_messages()) == in_group  # only edits of the post
    assert_nothing_personal(group)
    assert not any(reason in text for text in group.texts()
                   for reason in ("Visiting my mother", "Flight delayed", "Too tired"))


async def test_checking_in_from_the_group_post(bot: Bot) -> None:
    assert bot.app is not None
    w = await seed(bot, now=NOON)  # the meeting began 5 minutes ago: check-in is open
    group = await linked_group(bot, [NOON], [person(bot, GINA), person(bot, FRANK)])
    post = await posted(bot, group)
    assert [b.text for row in post.inline_keyboard for b in row] == ["📍 Check in"]

    alice, gina, frank = person(bot, ALICE), person(bot, GINA), person(bot, FRANK)
    said = await alice.tap_in(group, "📍 Check in", post.message_id)
    assert said.group == [] and said.private == []
    assert answers(bot, ALICE)[-1] == ("✅ You're checked in.", False)
    assert await status_of(bot, w, ALICE) is AttendanceStatus.PRESENT
    await alice.tap_in(group, "📍 Check in", post.message_id)
    assert answers(bot, ALICE)[-1] == ("You are already checked in — nothing changed.", False)
    await gina.tap_in(group, "📍 Check in", post.message_id)  # invited as a guest
    assert answers(bot, GINA)[-1] == ("Recorded as a guest at 12:00.", False)

    said = await frank.tap_in(group, "📍 Check in", post.message_id)
    assert len(said.private) == 1 and NOT_ON_LIST in said.private[0].text
    assert answers(bot, FRANK)[-1][1] is True
    async with bot.app.database.session() as session:
        franks = await session.scalar(select(Membership).where(
            Membership.id == w.memberships[FRANK]))
        assert franks is not None
        assert await store.attendance_of(session, w.meeting, franks.id) is None

    other = await other_branch_meeting(bot)
    await person(bot, BOB).forge_in(group, post.message_id, PostCheckin(MeetingId(other)).pack())
    assert answers(bot, BOB)[-1] == (STALE, True)

    assert await refresh(bot) == 1
    shown = bot.emulator.message(group.chat_id, post.message_id).text
    assert "checked in 1" in shown  # a guest is not counted
    assert_nothing_personal(group)
    bot.assert_all_accepted()


async def test_a_press_in_a_private_chat_or_another_group_is_refused(bot: Bot) -> None:
    w = await seed(bot, now=NOON)
    group = await linked_group(bot, [NOON])
    post = await posted(bot, group)
    alice = person(bot, ALICE)
    elsewhere = bot.group("Chess club", [alice])
    data = PostCheckin(MeetingId(w.meeting)).pack()
    await alice.forge_in(elsewhere, post.message_id, data)
    assert answers(bot, ALICE)[-1] == (STALE, True)
    await alice.forge(data, message_id=1)
    assert answers(bot, ALICE)[-1] == (STALE, True)
    assert await status_of(bot, w, ALICE) is AttendanceStatus.EXPECTED
    assert elsewhere.texts() == []


BURST = 200


async def test_a_burst_of_presses_stays_within_the_group_limit(bot: Bot) -> None:
    """200 members press check-in at once while the refresh runs as its job would: every press
    answered with a toast and recorded, and the group gets the post and a few edits."""
    assert bot.app is not None
    members = [749_100 + i for i in range(BURST)]
    now = utcnow()
    async with bot.app.database.session() as session:
        branch = await orgs.create_party_org(session, name="Busy Branch", kind=orgs.PartyOrgKind
                                             .BRANCH, parent_id=None, actor_telegram_id=1)
        await people.appoint_by_telegram_id(session, branch, SEC, MemberRole.SECRETARY,
                                            status=MemberStatus.FULL, actor_telegram_id=1,
                                            language="en")
        for i, telegram_id in enumerate(members):
            line = await people.submit_registration(session, people.RegistrationForm(
                telegram_id=telegram_id, language="en", real_name=f"Member {i:03d}",
                org_id=branch.id, status=MemberStatus.FULL, joined_party_on=date(2016, 7, 1),
                phone=None, invite_id=None))
            await people.decide_registration(session, line.id, approve=True, decided_by=1)
        meeting = await store.schedule(session, store.MeetingPlan(
            org_id=branch.id, kind=MeetingKind.ASSEMBLY, starts_at=now + timedelta(minutes=1),
            ends_at=now + timedelta(hours=2), topic="Everyone at once", place="Hall"),
            created_by=SEC, now=now)
        meeting_id = meeting.id
    crowd = [bot.person(m, f"Member {i:03d}", "en") for i, m in enumerate(members)]
    group = bot.group("Busy Branch", crowd)
    async with bot.app.database.session() as session:
        code = await branch_chats.new_code(session, branch.id, by=SEC, now=now)
        await branch_chats.link(session, code, chat_id=group.chat_id, title="Busy Branch",
                                language="en", by=SEC, now=now)
    post = await posted(bot, group)

    stop = asyncio.Event()

    async def job() -> None:  # the group-post job of the running bot, on the real clock
        while not stop.is_set():
            await refresh(bot)
            await asyncio.sleep(0.05)

    running = asyncio.create_task(job())
    for user in members:
        bot.emulator.press_group_button(group.chat_id, user, post.message_id, "📍 Check in")
    await bot.settle(60)
    await asyncio.sleep(EDIT_EVERY.total_seconds() + 0.5)  # the last counts shown
    stop.set()
    await running

    for user in members:
        assert answers(bot, user) == [("✅ You're checked in.", False)]
        assert bot.emulator.bot_messages(user) == []
    async with bot.app.database.session() as session:
        present = (await session.scalars(select(Attendance.status).where(
            Attendance.meeting_id == meeting_id))).all()
        assert present.count(AttendanceStatus.PRESENT) == BURST
        assert (await session.get(Meeting, meeting_id)) is not None
    shown = bot.emulator.message(group.chat_id, post.message_id).text
    assert f"checked in {BURST}" in shown
    assert bot.app.checkin_queue.written == BURST  # the taps were written in batches
    # When each edit reached Telegram.
    edits = [at for at, chat, _message in bot.emulator.answered_edits if chat == group.chat_id]
    to_group = [call for call in bot.emulator.api_calls
                if str(call.params.get("chat_id")) == str(group.chat_id)
                and call.method in ("sendMessage", "editMessageText", "editMessageReplyMarkup")]
    print(f"{BURST} presses: {len(to_group)} messages sent or edited in the group, "
          f"{len(edits)} edits during the burst")
    assert 1 <= len(edits) and len(to_group) == 1 + len(edits) <= 20  # Telegram: 20 a minute
    gaps = [b - a for a, b in itertools.pairwise(edits)]
    assert all(gap >= EDIT_EVERY.total_seconds() for gap in gaps), gaps
    assert len(group.bot_messages()) == 1
    bot.assert_all_accepted()
