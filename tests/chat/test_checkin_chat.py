"""Check-in, closing, minutes and catch-up, played through the chat by a branch in English.

The branch, its members and the meeting are seeded with storage functions; everything under
test (opening check-in, the room code, tap / code / location check-in, marking by hand,
closing with minutes and attachments, catching up, corrections) goes through the emulator.
"""

from __future__ import annotations

import asyncio
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import func, select

from rules import meetings as rules
from rules.vocabulary import (
    AttendanceStatus,
    CheckinMethod,
    MeetingKind,
    MeetingState,
    MemberRole,
    MemberStatus,
    PartyOrgKind,
)
from storage import meetings as store
from storage import orgs, people
from storage.models import Attendance, AuditEvent, Meeting, MeetingFile, Membership, Person, utcnow
from tests.harness import Bot

SEC, ALICE, BOB, CAROL, DAVE, ERIN, GINA = 741_001, 741_002, 741_003, 741_004, 741_005, \
    741_006, 741_007
SEC_B, FRANK = 742_001, 742_002
NAMES = {
    SEC: "Sam Secretary", ALICE: "Alice Adams", BOB: "Bob Brown", CAROL: "Carol Chen",
    DAVE: "Dave Davis", ERIN: "Erin Evans", GINA: "Gina Green", SEC_B: "Sue Second",
    FRANK: "Frank Fox",
}
PLACE = (31.2304, 121.4737)
NEARBY = (31.2308, 121.4739)  # about 50 m away
FAR = (31.2800, 121.4737)  # about 5.5 km away
SHANGHAI = ZoneInfo("Asia/Shanghai")
CODE_RE = re.compile(r"🔢 (\d{3}) (\d{3})")
NOT_ALLOWED = "You are not allowed to do that."
NOT_ON_LIST = "You are not on the list of this meeting."
# The bot's clock in these tests: noon in Shanghai; and 00:40 there, the day before in UTC.
NOON = datetime(2026, 6, 10, 4, 0, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2026, 12, 5, 16, 40, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    branch: int
    meeting: int
    secret: bytes
    starts_at: datetime
    memberships: dict[int, int]  # telegram id -> membership id
    now: datetime  # the bot's clock when the world was seeded


async def seed(
    bot: Bot, *, kind: MeetingKind = MeetingKind.ASSEMBLY,
    starts_in: timedelta = -timedelta(minutes=5), open_checkin: bool = False,
    now: datetime | None = None,
) -> World:
    """Two branches; branch A's meeting starts `starts_in` from now (may be in the past).

    By default it began 5 minutes ago: check-in is open and the meeting may be closed.
    `now` stops the bot's clock there; without it the world is seeded at the bot's clock."""
    assert bot.app is not None
    if now is not None:
        stopped = now
        bot.app.courier.clock = lambda: stopped
    now = bot.app.now()
    async with bot.app.database.session() as session:
        top = await orgs.create_party_org(
            session, name="Sunrise Committee", kind=PartyOrgKind.COMMITTEE, parent_id=None,
            actor_telegram_id=1,
        )
        branches = {}
        for name in ("Branch A", "Branch B"):
            branches[name] = await orgs.create_party_org(
                session, name=name, kind=PartyOrgKind.BRANCH, parent_id=top.id,
                actor_telegram_id=1,
            )
        memberships: dict[int, int] = {}
        for telegram_id, branch, status in (
            (SEC, "Branch A", MemberStatus.FULL), (ALICE, "Branch A", MemberStatus.FULL),
            (BOB, "Branch A", MemberStatus.FULL), (CAROL, "Branch A", MemberStatus.FULL),
            (DAVE, "Branch A", MemberStatus.PROBATIONARY), (ERIN, "Branch A", MemberStatus.FULL),
            (GINA, "Branch A", MemberStatus.ACTIVIST), (SEC_B, "Branch B", MemberStatus.FULL),
            (FRANK, "Branch B", MemberStatus.FULL),
        ):
            membership = await people.submit_registration(
                session,
                people.RegistrationForm(
                    telegram_id=telegram_id, language="en", real_name=NAMES[telegram_id],
                    org_id=branches[branch].id, status=status, joined_party_on=date(2016, 7, 1),
                    phone=None, invite_id=None,
                ),
            )
            await people.decide_registration(session, membership.id, approve=True, decided_by=1)
            memberships[telegram_id] = membership.id
        for telegram_id, role in (
            (SEC, MemberRole.SECRETARY), (SEC_B, MemberRole.SECRETARY),
            (CAROL, MemberRole.COMMITTEE_MEMBER),
        ):
            leader = await session.get(Membership, memberships[telegram_id])
            assert leader is not None
            await people.appoint(session, leader, role, actor_telegram_id=1)
        starts_at = now + starts_in
        meeting = await store.schedule(
            session,
            store.MeetingPlan(
                org_id=branches["Branch A"].id, kind=kind, starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=3), topic="Study the constitution",
                place="Room 101", latitude=PLACE[0], longitude=PLACE[1], host="Sam Secretary",
                recorder="Alice Adams",
            ),
            created_by=SEC, now=min(now, starts_at - timedelta(hours=1)),
        )
        if kind is not MeetingKind.COMMITTEE:
            leave = await store.answer(
                session, meeting, memberships[ERIN], attending=False, reason="family visit"
            )
            assert await store.decide_leave(session, leave, approve=True, by=SEC)
        if open_checkin:
            await store.open_checkin(session, meeting, by=SEC, now=now)
        world = World(branches["Branch A"].id, meeting.id, bytes.fromhex(meeting.code_secret),
                      starts_at, memberships, now)
    for telegram_id in NAMES:
        bot.person(telegram_id, NAMES[telegram_id], language_code="en")
        bot.emulator.user(telegram_id).started = True  # they have opened the bot before
    return world


def person(bot: Bot, telegram_id: int) -> Any:
    return bot.person(telegram_id, NAMES[telegram_id], language_code="en")


async def share_location(bot: Bot, who: Any, position: tuple[float, float]) -> list[Any]:
    return await who._after(lambda: bot.emulator.send_location(who.user_id, *position))


async def send_photo(bot: Bot, who: Any, data: bytes) -> list[Any]:
    return await who._after(lambda: bot.emulator.send_photo(who.user_id, data))


async def send_document(bot: Bot, who: Any, data: bytes, name: str) -> list[Any]:
    return await who._after(
        lambda: bot.emulator.send_document(who.user_id, data, name, "application/pdf")
    )


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def shown_code(text: str) -> str:
    match = CODE_RE.search(text)
    assert match, text
    return match.group(1) + match.group(2)


async def away_from_code_step_edge(margin: float = 6.0) -> None:
    """Wait past the next code rotation if it is only seconds away (a test takes ~2 s)."""
    step = rules.DEFAULT_CODE_STEP.total_seconds()
    left = step - utcnow().timestamp() % step
    if left < margin:
        await asyncio.sleep(left + 0.2)


async def lines(bot: Bot, meeting_id: int) -> dict[int, Attendance]:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        rows = await session.scalars(select(Attendance).where(Attendance.meeting_id == meeting_id))
        return {a.membership_id: a for a in rows.all()}


async def snapshot(bot: Bot) -> dict[str, Any]:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        return {
            "lines": (
                await session.execute(
                    select(Attendance.id, Attendance.status, Attendance.method,
                           Attendance.makeup_done_at).order_by(Attendance.id)
                )
            ).all(),
            "meetings": (
                await session.execute(
                    select(Meeting.id, Meeting.state, Meeting.minutes).order_by(Meeting.id)
                )
            ).all(),
            "files": await session.scalar(select(func.count()).select_from(MeetingFile)),
            "audit": await session.scalar(select(func.count()).select_from(AuditEvent)),
        }


async def tap_in_place(who: Any, label: str) -> str:
    """Press a button and read the message it was on (our buttons edit it in place)."""
    message_id = who.message_with_button(label)
    await who.tap(label, message_id)
    return str(who.emu.message(who.user_id, message_id).text)


async def test_members_check_in_by_tap_code_and_location(bot: Bot) -> None:
    w = await seed(bot, now=NOON)
    sec, alice, bob, carol, dave, erin, gina, frank = (
        person(bot, i) for i in (SEC, ALICE, BOB, CAROL, DAVE, ERIN, GINA, FRANK)
    )
    await alice.say("/checkin")  # the window is open, but nobody opened check-in yet: a tap
    assert "Check in now" in alice.last_text and "Study the constitution" in alice.last_text

    await sec.say("/checkin")
    assert "Meetings you run" in sec.last_text and "scheduled" in sec.last_text
    await sec.tap("Open check-in")
    room = sec.last
    assert "Room code for" in room.text and "Valid until" in room.text
    code = shown_code(room.text)
    assert code == rules.room_code(w.secret, NOON)
    until = rules.code_valid_until(NOON.astimezone(SHANGHAI))
    assert f"Valid until {until:%H:%M}" in room.text
    assert sec.buttons(room) == [
        "🔄 Refresh code", "📋 Roster", "🏁 Close meeting", "✅ Check me in",
    ]
    # Everyone else who may still come is told, with a tap button; Erin (on leave) is not.
    for member in (alice, bob, carol, dave, gina):
        assert "Check-in is open" in member.last_text, member.name
        assert member.buttons() == ["✅ Check in"]
    assert not erin.texts() and not frank.texts()

    await sec.tap("🔄 Refresh code", room.message_id)
    refreshed = bot.emulator.message(SEC, room.message_id)
    assert shown_code(refreshed.text) == code
    assert "Checked in so far: 0 of 6." in refreshed.text

    await alice.tap("✅ Check in")
    assert "Checked in at" in alice.last_text
    await alice.forge(f"ck:tap:{w.meeting}")  # twice: harmless, and said so
    assert "You are already checked in — nothing changed" in alice.last_text

    await bob.say(f"{code[:3]} {code[3:]}")
    assert "Checked in at" in bob.last_text

    await share_location(bot, carol, NEARBY)
    assert "Checked in at" in carol.last_text
    await share_location(bot, dave, FAR)
    assert "too far from the meeting place" in dave.last_text

    stale = rules.room_code(w.secret, NOON - timedelta(hours=1))
    await dave.say(stale)
    assert dave.last_text == (
        "That code is wrong or no longer valid — ask for the current code in the room."
    )
    rotated = rules.room_code(w.secret, NOON - rules.DEFAULT_CODE_STEP)
    await dave.say(rotated)  # read off the screen just before it changed: still accepted
    assert "Checked in at" in dave.last_text

    await gina.tap("✅ Check in")
    assert "Recorded as a guest" in gina.last_text
    await frank.say(code)  # a member of another branch
    assert frank.last_text == "No meeting is open for check-in now."
    await frank.forge(f"ck:tap:{w.meeting}")
    assert frank.alerts()[-1] == NOT_ON_LIST

    by_membership = await lines(bot, w.meeting)
    methods = {
        telegram_id: (by_membership[w.memberships[telegram_id]].status,
                      by_membership[w.memberships[telegram_id]].method)
        for telegram_id in (ALICE, BOB, CAROL, DAVE, GINA, ERIN, SEC)
    }
    assert methods == {
        ALICE: (AttendanceStatus.PRESENT, CheckinMethod.TAP),
        BOB: (AttendanceStatus.PRESENT, CheckinMethod.CODE),
        CAROL: (AttendanceStatus.PRESENT, CheckinMethod.LOCATION),
        DAVE: (AttendanceStatus.PRESENT, CheckinMethod.CODE),
        GINA: (AttendanceStatus.GUEST_PRESENT, CheckinMethod.TAP),
        ERIN: (AttendanceStatus.ON_LEAVE, None),
        SEC: (AttendanceStatus.EXPECTED, None),
    }
    assert w.memberships[FRANK] not in by_membership


async def test_mark_close_with_minutes_and_files_catch_up_and_correct(bot: Bot) -> None:
    w = await seed(bot, now=NOON)
    sec, alice, carol, dave = (person(bot, i) for i in (SEC, ALICE, CAROL, DAVE))
    await sec.say("/checkin")
    await sec.tap("Open check-in")
    await alice.tap("✅ Check in")

    await sec.tap("📋 Roster")
    roster = sec.last.text
    assert "Alice Adams: present (tap, " in roster
    assert "Erin Evans: on leave: family visit" in roster
    assert "Gina Green: guest" in roster and "Checked in so far: 1 of 6." in roster
    assert "Mark present: Alice Adams" not in sec.buttons()
    await sec.tap("Mark present: Bob Brown")
    roster = sec.last.text
    assert "Bob Brown marked present by hand" in roster
    assert "Bob Brown: present (marked by Sam Secretary at " in roster
    bob_line = (await lines(bot, w.meeting))[w.memberships[BOB]]
    assert bob_line.method is CheckinMethod.MANUAL and bob_line.marked_by == SEC

    await sec.tap("🏁 Close meeting")
    assert "Type the minutes" in sec.last_text
    await sec.say("x" * 4001)
    assert "at most 4000 characters" in sec.last_text
    minutes = "Studied the constitution, chapter 5.\nDecided: a theme day in May."
    await sec.say(minutes)
    assert "Minutes noted" in sec.last_text
    photo = png()
    await send_photo(bot, sec, photo)
    assert "Attached (1 file so far)" in sec.last_text
    await send_document(bot, sec, b"%PDF-1.4 sign-in sheet", "sign-in.pdf")
    assert "Attached (2 files so far)" in sec.last_text
    await sec.tap("Done")
    confirm = sec.last_text
    assert "Expected 6 · present 2 · on leave 1 · absent 3" in confirm
    assert "2 attachments" in confirm and "Quorum" not in confirm
    await sec.tap("🔒 Close and freeze")
    record = next(t for t in reversed(sec.texts()) if "Record" in t and "of Branch" in t)
    assert "Expected 6 · present 2 · on leave 1 · absent 3" in record
    assert "On leave: Erin Evans (family visit)" in record
    assert "Absent: Carol Chen, Dave Davis, Sam Secretary" in record
    assert "Decided: a theme day in May." in record and "Attachments: 2" in record

    assert bot.app is not None
    async with bot.app.database.session() as session:
        meeting = await session.get(Meeting, w.meeting)
        files = (await session.scalars(select(MeetingFile).order_by(MeetingFile.id))).all()
    assert meeting is not None and meeting.state is MeetingState.CLOSED
    assert meeting.minutes == minutes and meeting.closed_by == SEC
    sent = [m for m in bot.emulator.messages(SEC) if not m.from_bot and m.kind in
            ("photo", "document")]
    assert [(f.kind, f.telegram_file_id, f.file_name) for f in files] == [
        ("photo", sent[0].file_id, None), ("document", sent[1].file_id, "sign-in.pdf"),
    ]
    assert bot.emulator.file_bytes(files[0].telegram_file_id) == photo
    # The record's attachments come back into the chat on request; another member may not.
    replies = await sec.tap("📎 2 attachments")
    sent_back = [r for r in replies if r.kind in ("photo", "document")]
    assert [(r.kind, r.file_id) for r in sent_back] == [
        ("photo", files[0].telegram_file_id), ("document", files[1].telegram_file_id)]
    assert all(r.text.startswith("Attached to the minutes of ") for r in sent_back)
    await dave.forge(f"ck:files:{w.meeting}")
    assert dave.alerts()[-1] == NOT_ALLOWED
    frozen = await lines(bot, w.meeting)
    statuses = {tid: frozen[w.memberships[tid]].status for tid in (SEC, CAROL, ERIN, GINA)}
    assert statuses[CAROL] is AttendanceStatus.ABSENT and statuses[SEC] is AttendanceStatus.ABSENT
    assert statuses[ERIN] is AttendanceStatus.ON_LEAVE
    assert statuses[GINA] is AttendanceStatus.GUEST

    # The absent are asked to catch up; only they can confirm, once.
    assert "You were absent from" in carol.last_text and carol.buttons() == ["✅ I have caught up"]
    assert "Decided: a theme day in May." in carol.last_text
    assert "You were absent from" not in alice.last_text
    carol_line = (await lines(bot, w.meeting))[w.memberships[CAROL]]
    await dave.forge(f"ck:makeup:{carol_line.id}")
    assert dave.alerts()[-1] == NOT_ALLOWED
    await carol.tap("✅ I have caught up")
    assert "Your catch-up of" in carol.last_text and "is recorded" in carol.last_text
    await carol.forge(f"ck:makeup:{carol_line.id}")
    assert "was already recorded" in carol.last_text
    assert (await lines(bot, w.meeting))[w.memberships[CAROL]].makeup_done_at is not None

    # Corrections after closing: status with a reason, and the minutes with a reason.
    assert "Carol Chen: absent, caught up on" in await tap_in_place(sec, "📋 Roster")
    assert "Now: absent" in await tap_in_place(sec, "✏️ Correct: Dave Davis")
    assert "Type the reason" in await tap_in_place(sec, "present")
    await sec.say("Signed the paper sheet at the door")
    assert "Dave Davis: absent → present. The change and its reason are logged." in (
        sec.last_text
    )
    await sec.tap("✏️ Edit minutes")
    await sec.say(minutes + "\nAlso: dues reminder.")
    assert "Why are the minutes changed" in sec.last_text
    await sec.say("Forgot the last item")
    assert "Minutes changed" in sec.last_text and "dues reminder" in sec.last_text

    async with bot.app.database.session() as session:
        events = {
            e.action: e
            for e in (
                await session.scalars(
                    select(AuditEvent).where(
                        AuditEvent.action.in_(("attendance.correct", "meeting.edit_closed"))
                    )
                )
            ).all()
        }
        dave_line = await session.scalar(
            select(Attendance).where(
                Attendance.meeting_id == w.meeting,
                Attendance.membership_id == w.memberships[DAVE],
            )
        )
    assert events["attendance.correct"].actor_telegram_id == SEC
    assert events["attendance.correct"].details["reason"] == "Signed the paper sheet at the door"
    assert events["meeting.edit_closed"].details["reason"] == "Forgot the last item"
    assert events["meeting.edit_closed"].details["before"] == minutes
    assert dave_line is not None and dave_line.status is AttendanceStatus.PRESENT


async def test_late_check_in_and_forged_presses_are_refused(bot: Bot) -> None:
    # Began 10:00, check-in closed 10:30, the same day.
    w = await seed(bot, starts_in=-timedelta(hours=2), open_checkin=True, now=NOON)
    alice, frank, other_secretary = (person(bot, i) for i in (ALICE, FRANK, SEC_B))
    before = await snapshot(bot)

    await alice.say(rules.room_code(w.secret, NOON))
    assert alice.last_text == "Check-in closed at 10:30."
    await alice.forge(f"ck:tap:{w.meeting}")
    assert alice.alerts()[-1] == "Check-in closed at 10:30."
    await alice.say("/checkin")
    assert alice.last_text == "No meeting is open for check-in now."

    alice_line = (await lines(bot, w.meeting))[w.memberships[ALICE]]
    leader_only = [
        f"ck:open:{w.meeting}", f"ck:code:{w.meeting}", f"ck:roster:{w.meeting}",
        f"ck:rp:{w.meeting}:0", f"ck:close:{w.meeting}", f"ck:mark:{alice_line.id}",
        f"ck:fix:{alice_line.id}", f"ck:fixto:{alice_line.id}:present",
        f"ck:minutes:{w.meeting}", f"ck:rec:{w.meeting}",
    ]
    await other_secretary.say("/checkin")
    assert "Study the constitution" not in other_secretary.last_text
    for who in (alice, other_secretary):
        for data in leader_only:
            await who.forge(data)
            assert who.alerts()[-1] == NOT_ALLOWED, (who.name, data)
    await alice.forge("ck:mark:notanumber")
    assert alice.alerts()[-1] == "This button is no longer valid. Please open the menu again."
    await frank.say("/checkin")
    await frank.forge(f"ck:tap:{w.meeting}")
    assert frank.alerts()[-1] == NOT_ON_LIST
    assert await snapshot(bot) == before


async def test_a_window_that_closed_before_midnight_is_shown_with_its_date(bot: Bot) -> None:
    # 00:40 on 6 December in Shanghai (16:40 UTC on the 5th): the meeting began 22:40 on the
    # 5th and check-in closed at 23:10, yesterday for the people in the room.
    w = await seed(bot, starts_in=-timedelta(hours=2), open_checkin=True, now=AFTER_MIDNIGHT)
    alice, sec = person(bot, ALICE), person(bot, SEC)

    await alice.say(rules.room_code(w.secret, AFTER_MIDNIGHT))
    assert alice.last_text == "Check-in closed at 2026-12-05 23:10."
    await sec.say("/checkin")
    await sec.tap("🔢 Code")
    assert "The check-in window closed at 2026-12-05 23:10." in sec.last_text
    assert "Checked in so far: 0 of 6." in sec.last_text


async def test_committee_meeting_without_quorum_still_closes(bot: Bot) -> None:
    w = await seed(bot, kind=MeetingKind.COMMITTEE, now=NOON)
    sec, carol = person(bot, SEC), person(bot, CAROL)
    await sec.say("/checkin")
    await sec.tap("Open check-in")
    assert "Check-in is open" in carol.last_text
    await sec.tap("✅ Check me in")  # the secretary sits on the committee too
    assert "Checked in at" in sec.last_text and "🔢" in sec.last_text  # the code stays
    assert "✅ Check me in" not in sec.buttons()
    await sec.tap("🏁 Close meeting")
    await sec.say("Monthly committee business.")
    await sec.tap("Done")
    assert "Expected 2 · present 1 · on leave 0 · absent 1" in sec.last_text
    assert "Quorum not met: 1 of 2 committee members present" in sec.last_text
    await sec.tap("🔒 Close and freeze")
    record = next(t for t in reversed(sec.texts()) if "Record" in t)
    assert "Quorum not met: 1 of 2 committee members present" in record
    assert "You were absent from" in carol.last_text
    assert bot.app is not None
    async with bot.app.database.session() as session:
        meeting = await session.get(Meeting, w.meeting)
        names = (await session.scalars(select(Person.real_name))).all()
    assert meeting is not None and meeting.state is MeetingState.CLOSED
    assert "Sam Secretary" in names


async def test_a_meeting_cannot_be_closed_before_it_starts(bot: Bot) -> None:
    w = await seed(bot, starts_in=timedelta(minutes=20), now=NOON)
    sec = person(bot, SEC)
    await sec.say("/checkin")
    await sec.tap("Open check-in")  # the window opens 30 minutes before the start
    before = await snapshot(bot)
    starts = "12:20"  # today, so without the date

    await sec.tap("🏁 Close meeting")
    refusal = sec.last
    assert "has not started yet (it starts at " + starts + ")" in refusal.text
    assert "Type the minutes" not in refusal.text
    assert sec.buttons(refusal) == ["⏰ Postpone", "✖ Cancel meeting", "‹ Back"]
    # A forged close gets the same answer; the later steps of closing are refused outright.
    await sec.forge(f"ck:close:{w.meeting}")
    assert "has not started yet" in sec.last_text
    for data in (f"ck:done:{w.meeting}", f"ck:freeze:{w.meeting}"):
        await sec.forge(data)
        assert sec.alerts()[-1] == "This button is no longer valid. Please open the menu again."
    assert await snapshot(bot) == before

    assert "Everyone on the list will be told" in await tap_in_place(sec, "✖ Cancel meeting")
    await sec.forge(f"ck:close:{w.meeting}")
    await sec.tap("⏰ Postpone")
    assert "Postpone" in sec.last_text and "type the new date and time" in sec.last_text
    assert not any("You were absent from" in t for tid in NAMES for t in person(bot, tid).texts())


async def test_an_outsider_is_told_only_that_they_are_not_on_the_list(bot: Bot) -> None:
    # A member of another branch learns nothing of the meeting's state: the same refusal
    # whether it is open, cancelled or closed. The branch's own members are told its state.
    w = await seed(bot, now=NOON)
    alice, bob, frank = person(bot, ALICE), person(bot, BOB), person(bot, FRANK)
    assert bot.app is not None
    async with bot.app.database.session() as session:  # Bob, of the branch, walks in
        bob_line = await store.attendance_of(session, w.meeting, w.memberships[BOB])
        assert bob_line is not None
        await session.delete(bob_line)
    for who in (frank, alice, bob):
        await who.say("/checkin")
    for data in (f"ck:tap:{w.meeting}", f"ck:me:{w.meeting}"):
        for who in (frank, bob):
            await who.forge(data)
            assert who.alerts()[-1] == NOT_ON_LIST, (who.name, data)
    for state, told in ((MeetingState.CANCELLED, "This meeting was cancelled."),
                        (MeetingState.CLOSED, "This meeting is already closed.")):
        async with bot.app.database.session() as session:
            meeting = await session.get(Meeting, w.meeting)
            assert meeting is not None
            meeting.state = state
        before = await snapshot(bot)
        for data in (f"ck:tap:{w.meeting}", f"ck:me:{w.meeting}"):
            await frank.forge(data)
            assert frank.alerts()[-1] == NOT_ON_LIST, (state, data)
            for who in (alice, bob):
                await who.forge(data)
                assert who.alerts()[-1] == told, (who.name, state, data)
        assert await snapshot(bot) == before
