"""Secretaries schedule 三会一课 by chat; members answer, ask for leave; postpone and cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from handlers.kit.chat import NOT_ALLOWED, STALE_BUTTON
from handlers.kit.i18n import translator
from rules.vocabulary import (
    AttendanceStatus,
    MeetingKind,
    MeetingState,
    MemberRole,
    MemberStatus,
    PartyOrgKind,
)
from storage import meetings as meeting_store
from storage import orgs, people
from storage.meetings import MeetingPlan
from storage.models import Attendance, AuditEvent, Meeting, utcnow
from tests.harness import ADMIN_ID, Bot

TZ = ZoneInfo("Asia/Shanghai")
SEC = 730_001  # secretary of branch A
COM = 730_002  # committee member of branch A
ALICE = 730_003  # group One
BOB = 730_004  # group One
DAN = 730_005  # group Two
AMY = 730_006  # activist, group One
SEC_B = 731_001  # secretary of branch B
CAROL = 731_002  # member of branch B
A_PEOPLE = (SEC, COM, ALICE, BOB, DAN, AMY)
t = translator("en")
REFUSALS = (t(NOT_ALLOWED), t(STALE_BUTTON))


@dataclass(frozen=True)
class Seed:
    branch_a: int
    branch_b: int
    group_one: int
    group_two: int
    memberships: dict[int, int]  # telegram id -> membership id


async def seed(bot: Bot) -> Seed:
    """A 党委 with branches A (secretary, committee member, 3 members, 1 activist) and B."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        upper = await orgs.create_party_org(
            session, name="Harbour Party Committee", kind=PartyOrgKind.COMMITTEE,
            parent_id=None, actor_telegram_id=ADMIN_ID,
        )
        a = await orgs.create_party_org(
            session, name="Branch A", kind=PartyOrgKind.BRANCH, parent_id=upper.id,
            actor_telegram_id=ADMIN_ID,
        )
        b = await orgs.create_party_org(
            session, name="Branch B", kind=PartyOrgKind.BRANCH, parent_id=upper.id,
            actor_telegram_id=ADMIN_ID,
        )
        one = await orgs.create_group(session, org=a, name="Group One", actor_telegram_id=None)
        two = await orgs.create_group(session, org=a, name="Group Two", actor_telegram_id=None)
        ids: dict[int, int] = {}
        for org, telegram_id, name in ((a, SEC, "Sally Sec"), (b, SEC_B, "Ben Sec")):
            m = await people.appoint_by_telegram_id(
                session, org, telegram_id, MemberRole.SECRETARY, status=MemberStatus.FULL,
                actor_telegram_id=ADMIN_ID, language="en",
            )
            person = await people.person_by_telegram_id(session, telegram_id)
            assert person is not None
            person.real_name = name
            ids[telegram_id] = m.id
        plan = [
            (COM, "Chen Committee", a.id, MemberStatus.FULL, None, MemberRole.COMMITTEE_MEMBER),
            (ALICE, "Alice Wang", a.id, MemberStatus.FULL, one.id, None),
            (BOB, "Bob Li", a.id, MemberStatus.PROBATIONARY, one.id, None),
            (DAN, "Dan Zhou", a.id, MemberStatus.FULL, two.id, None),
            (AMY, "Amy Activist", a.id, MemberStatus.ACTIVIST, one.id, None),
            (CAROL, "Carol Zhao", b.id, MemberStatus.FULL, None, None),
        ]
        for telegram_id, name, org_id, status, group, role in plan:
            m = await people.submit_registration(
                session,
                people.RegistrationForm(
                    telegram_id=telegram_id, language="en", real_name=name, org_id=org_id,
                    status=status, joined_party_on=date(2015, 7, 1), phone=None,
                    invite_id=None,
                ),
            )
            await people.decide_registration(session, m.id, approve=True, decided_by=ADMIN_ID)
            if group is not None:
                await people.update_member(
                    session, m, actor_telegram_id=ADMIN_ID, party_group_id=group
                )
            if role is not None:
                await people.appoint(session, m, role, actor_telegram_id=ADMIN_ID)
            ids[telegram_id] = m.id
        return Seed(a.id, b.id, one.id, two.id, ids)


def people_of(bot: Bot) -> dict[int, Any]:
    """Everyone, able to receive messages (as if they had opened the bot once)."""
    names = {SEC: "Sally", COM: "Chen", ALICE: "Alice", BOB: "Bob", DAN: "Dan", AMY: "Amy",
             SEC_B: "Ben", CAROL: "Carol"}
    result = {}
    for telegram_id, name in names.items():
        result[telegram_id] = bot.person(telegram_id, name, language_code="en")
        bot.emulator.user(telegram_id).started = True
    return result


def local(days: int, clock: str = "14:30") -> str:
    return (datetime.now(TZ) + timedelta(days=days)).strftime("%Y-%m-%d") + " " + clock


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


async def schedule_by_chat(
    bot: Bot,
    sec: Any,
    kind: str,
    when: str,
    *,
    group: str | None = None,
    place: tuple[Any, ...] = ("text", "Room 302"),
    topic: str = "Study the branch work rules",
    lecturer: str | None = None,
    monthly: int | None = None,
) -> None:
    """The whole guided flow, up to the summary's Schedule button (not pressed)."""
    await sec.say("/schedule")
    await sec.tap(t(kind))
    if group:
        await sec.tap(group)
    await sec.say(when)
    await sec.tap("1.5 h")
    if place[0] == "text":
        await sec.say(place[1])
    elif place[0] == "online":
        await sec.say(t("🌐 Online meeting"))
        await sec.say(place[1])
    else:
        lat, lon = place[1]
        bot.emulator.send_location(SEC, lat, lon)
        await bot.settle()
        await sec.say(place[2])
    await sec.say(topic)
    await sec.tap("Me (Sally Sec)")
    await sec.say("Rita Recorder")
    if lecturer:
        assert "lecturer" in sec.last_text
        await sec.say(lecturer)
    if monthly:
        await sec.tap("Monthly, on the first Monday")
        await sec.tap(str(monthly))
    else:
        await sec.tap("Once")
    assert "Please check the meeting" in sec.last_text, sec.last_text


async def meetings_in_db(bot: Bot) -> list[Meeting]:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        return list((await session.scalars(select(Meeting).order_by(Meeting.starts_at))).all())


async def lines_of(bot: Bot, meeting_id: int) -> dict[int, Attendance]:
    """Attendance lines of a meeting by Telegram id."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        return {
            person.telegram_id: attendance
            for attendance, person in await meeting_store.roster(session, meeting_id)
        }


def invitation(person: Any) -> Any | None:
    for message in reversed(person.bot.emulator.bot_messages(person.user_id)):
        if "New meeting" in message.text:
            return message
    return None


KIND_CASES = {
    # kind: (label, group, place, lecturer, expected, guests, not told)
    "assembly": ("Branch general assembly", None, ("text", "Room 302"), None,
                 {SEC, COM, ALICE, BOB, DAN}, {AMY}, {SEC_B, CAROL}),
    "committee": ("Branch committee meeting", None, ("text", "Office"), None,
                  {SEC, COM}, set(), {ALICE, BOB, DAN, AMY, CAROL}),
    "group": ("Party group meeting", "Group One", ("online", "https://meet.example.org/g1"),
              None, {ALICE, BOB}, {AMY}, {SEC, COM, DAN, CAROL}),
    "lesson": ("Party lesson", None, ("location", (31.2304, 121.4737), "Hall 1"),
               "Prof. Wu", {SEC, COM, ALICE, BOB, DAN}, {AMY}, {CAROL}),
    "theme_day": ("Theme party day", None, ("online", "http://meet.example.org/day"), None,
                  {SEC, COM, ALICE, BOB, DAN}, {AMY}, {CAROL}),
    "org_life": ("Organizational life meeting", None, ("text", "Room 5"), None,
                 {SEC, COM, ALICE, BOB, DAN}, {AMY}, {CAROL}),
    "appraisal": ("Democratic appraisal of members", None, ("text", "Room 6"), None,
                  {SEC, COM, ALICE, BOB, DAN}, {AMY}, {CAROL}),
}


@pytest.mark.parametrize("kind", list(KIND_CASES))
async def test_secretary_schedules_each_kind_and_the_right_people_are_told(
    bot: Bot, kind: str
) -> None:
    world = await seed(bot)
    crowd = people_of(bot)
    label, group, place, lecturer, expected, guests, untold = KIND_CASES[kind]
    when = local(10)
    await schedule_by_chat(bot, crowd[SEC], label, when, group=group, place=place,
                           lecturer=lecturer)
    summary = crowd[SEC].last_text
    assert f"{len(expected)} member" in summary, summary
    if guests:
        assert "invited as a guest" in summary, summary
    await crowd[SEC].tap("✅ Schedule")
    assert "1 meeting scheduled" in crowd[SEC].last_text

    (meeting,) = await meetings_in_db(bot)
    assert meeting.kind is MeetingKind(kind)
    assert meeting.party_organization_id == world.branch_a
    assert meeting.starts_at == at(when)
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=90)
    assert meeting.host == "Sally Sec" and meeting.recorder == "Rita Recorder"
    assert meeting.lecturer == lecturer
    if place[0] == "online":
        assert meeting.online_url == place[1] and meeting.place is None
    elif place[0] == "location":
        assert (meeting.latitude, meeting.longitude) == place[1]
        assert meeting.place == place[2]
    else:
        assert meeting.place == place[1] and meeting.latitude is None
    if group:
        assert meeting.party_group_id == world.group_one
    lines = await lines_of(bot, meeting.id)
    assert {k for k, v in lines.items() if v.status is AttendanceStatus.EXPECTED} == expected
    assert {k for k, v in lines.items() if v.status is AttendanceStatus.GUEST} == guests

    for telegram_id in expected:
        message = invitation(crowd[telegram_id])
        assert message is not None, telegram_id
        assert t(label) in message.text and "Study the branch work rules" in message.text
        assert at(when).strftime("%Y-%m-%d") in message.text and "14:30–16:00" in message.text
        texts = [b.text for b in message.buttons]
        assert texts == ["✅ I will attend", "🙋 Ask for leave", "📆 Add to calendar"], texts
        if lecturer:
            assert "Lecturer: Prof. Wu" in message.text
        if place[0] == "online":
            assert place[1] in message.text
    for telegram_id in guests:
        message = invitation(crowd[telegram_id])
        assert message is not None
        assert "invited as a guest" in message.text
        assert "🙋 Ask for leave" not in [b.text for b in message.buttons]
    for telegram_id in untold:
        assert invitation(crowd[telegram_id]) is None, telegram_id


def first_mondays(count: int) -> list[date]:
    """The next `count` first Mondays of a month, at least two days from now."""
    day = datetime.now(TZ).date() + timedelta(days=2)
    found: list[date] = []
    while len(found) < count:
        if day.weekday() == 0 and day.day <= 7:
            found.append(day)
        day += timedelta(days=1)
    return found


async def test_monthly_series_of_first_monday_committee_meetings(bot: Bot) -> None:
    await seed(bot)
    crowd = people_of(bot)
    days = first_mondays(3)
    when = f"{days[0].isoformat()} 09:00"
    await schedule_by_chat(bot, crowd[SEC], "Branch committee meeting", when, monthly=3)
    summary = crowd[SEC].last_text
    for day in days:
        assert f"{day.isoformat()} 09:00" in summary, summary
    await crowd[SEC].tap("✅ Schedule")
    assert "3 meetings scheduled" in crowd[SEC].last_text

    found = await meetings_in_db(bot)
    assert [m.starts_at.astimezone(TZ).date() for m in found] == days
    assert all(m.starts_at.astimezone(TZ).strftime("%H:%M") == "09:00" for m in found)
    assert len({m.series_id for m in found}) == 1 and found[0].series_id
    assert all(m.kind is MeetingKind.COMMITTEE for m in found)
    for m in found:
        assert set(await lines_of(bot, m.id)) == {SEC, COM}
    # One message per person for the whole series, naming the other dates.
    committee = [m for m in bot.emulator.bot_messages(COM) if "New meeting" in m.text]
    assert len(committee) == 1
    assert f"{days[1].isoformat()} 09:00" in committee[0].text
    assert invitation(crowd[ALICE]) is None


async def test_bad_dates_links_and_clashes_are_caught_with_a_way_to_fix(bot: Bot) -> None:
    world = await seed(bot)
    crowd = people_of(bot)
    sec = crowd[SEC]
    await sec.say("/schedule")
    await sec.tap("Branch general assembly")
    for typed in ("next tuesday", "2030-1-5"):
        await sec.say(typed)
        assert "add the time of day" in sec.last_text, (typed, sec.last_text)
    for typed in ("sometime soon", "2030-01-05 12:30 or later"):
        await sec.say(typed)
        assert "could not read a date and time" in sec.last_text, (typed, sec.last_text)
    await sec.say("2031-02-30 10:00")
    assert "does not exist" in sec.last_text
    await sec.say("2031-02-03 25:00")
    assert "does not exist" in sec.last_text
    yesterday = local(-1)
    await sec.say(yesterday)
    assert "in the past" in sec.last_text
    await sec.say(local(0, "00:00"))
    assert "in the past" in sec.last_text
    await sec.say(local(900))
    assert "two years" in sec.last_text

    # Another meeting of the branch at 15:00 that day: 14:30 for 1.5 h clashes.
    busy = local(12, "15:00")
    assert bot.app is not None
    async with bot.app.database.session() as session:
        await meeting_store.schedule(
            session,
            MeetingPlan(org_id=world.branch_a, kind=MeetingKind.LESSON, starts_at=at(busy),
                        ends_at=at(busy) + timedelta(hours=1), topic="Earlier lesson"),
            created_by=SEC, now=utcnow(),
        )
    await sec.say(local(12, "14:30"))
    await sec.tap("1.5 h")
    assert "clashes" in sec.last_text and "Party lesson" in sec.last_text
    await sec.say(local(12, "16:00"))  # right after the lesson: touching is fine
    assert "Where is it?" in sec.last_text
    assert t("🌐 Online meeting") in sec.keyboard()
    await sec.say(t("🌐 Online meeting"))
    for link in ("ftp://files.example.org/x", "not a link", "javascript:alert(1)",
                 "https://", "https://exa mple.org"):
        await sec.say(link)
        assert "not a web link" in sec.last_text, link
    await sec.say("https://meet.example.org/room")
    assert "topic" in sec.last_text
    await sec.say("Quarterly assembly")
    await sec.say("Harry Host")
    await sec.tap("Me (Sally Sec)")
    await sec.tap("Once")
    assert "Please check the meeting" in sec.last_text

    # Someone schedules the same slot before the secretary confirms: refused, then fixed.
    taken = local(12, "16:30")
    async with bot.app.database.session() as session:
        await meeting_store.schedule(
            session,
            MeetingPlan(org_id=world.branch_a, kind=MeetingKind.COMMITTEE, starts_at=at(taken),
                        ends_at=at(taken) + timedelta(hours=1), topic="Committee"),
            created_by=SEC, now=utcnow(),
        )
    await sec.tap("✅ Schedule")
    assert "already has a meeting" in sec.last_text
    assert len(await meetings_in_db(bot)) == 2
    await sec.tap("🕑 Change date and time")
    await sec.say(local(13, "09:00"))
    assert "Please check the meeting" in sec.last_text
    assert "Harry Host" in sec.last_text and "https://meet.example.org/room" in sec.last_text
    await sec.tap("✅ Schedule")
    assert "1 meeting scheduled" in sec.last_text
    created = [m for m in await meetings_in_db(bot) if m.topic == "Quarterly assembly"]
    assert len(created) == 1
    assert created[0].starts_at == at(local(13, "09:00"))
    assert created[0].host == "Harry Host" and created[0].recorder == "Sally Sec"
    # The old Schedule button does nothing a second time.
    await sec.tap("✅ Schedule")
    assert len(await meetings_in_db(bot)) == 3


async def test_members_answer_ask_leave_and_the_secretary_decides(bot: Bot) -> None:
    await seed(bot)
    crowd = people_of(bot)
    sec, alice, bob, dan = crowd[SEC], crowd[ALICE], crowd[BOB], crowd[DAN]
    await schedule_by_chat(bot, sec, "Branch general assembly", local(5))
    await sec.tap("✅ Schedule")
    (meeting,) = await meetings_in_db(bot)

    # Alice starts asking for leave, then presses "I will attend" instead: no leave asked,
    # and what she types next is not taken as a reason.
    invite_id = invitation(alice).message_id
    await alice.tap("🙋 Ask for leave")
    assert "Type the reason" in alice.last_text
    await alice.tap("✅ I will attend", invite_id)
    edited = bot.emulator.message(ALICE, invite_id)
    assert "Your answer: I will attend." in edited.text
    assert [b.text for b in edited.buttons] == ["🙋 Ask for leave", "📆 Add to calendar"]
    await alice.say("See you there")
    assert "did not understand" in alice.last_text
    line = (await lines_of(bot, meeting.id))[ALICE]
    assert line.status is AttendanceStatus.ATTENDING and line.leave_reason is None

    # Bob asks for leave with a reason; the secretary approves.
    await bob.tap("🙋 Ask for leave")
    assert "Type the reason" in bob.last_text
    await bob.say("Family emergency")
    assert "leave requested" in bob.last_text
    line = (await lines_of(bot, meeting.id))[BOB]
    assert line.status is AttendanceStatus.LEAVE_REQUESTED
    assert line.leave_reason == "Family emergency"
    request = sec.last
    assert "Leave request" in request.text and "Bob Li" in request.text
    assert "Family emergency" in request.text
    await sec.tap("✅ Approve leave", request.message_id)
    assert "Leave approved for Bob Li" in sec.last_text
    assert (await lines_of(bot, meeting.id))[BOB].status is AttendanceStatus.ON_LEAVE
    assert "Your leave was approved." in bob.last_text
    # A second press (or a forged refuse) changes nothing.
    await sec.forge(f"mt:lno:{line.id}", request.message_id)
    assert "already decided" in sec.last_text
    assert (await lines_of(bot, meeting.id))[BOB].status is AttendanceStatus.ON_LEAVE

    # Dan's leave is refused; he is told he is expected.
    await dan.tap("🙋 Ask for leave")
    await dan.say("Busy")
    dan_line = (await lines_of(bot, meeting.id))[DAN]
    await sec.tap("❌ Refuse", sec.message_with_button(f"mt:lno:{dan_line.id}"))
    assert "Leave refused for Dan Zhou" in sec.last_text
    assert (await lines_of(bot, meeting.id))[DAN].status is AttendanceStatus.EXPECTED
    assert "not approved" in dan.last_text
    assert "🙋 Ask for leave" in dan.buttons()

    # Asking twice while waiting is refused; a guest cannot ask at all.
    await crowd[COM].tap("🙋 Ask for leave")
    await crowd[COM].say("Travel")
    await crowd[COM].forge(f"mt:leave:{meeting.id}")
    assert "already asked" in crowd[COM].alerts()[-1]
    await crowd[AMY].forge(f"mt:leave:{meeting.id}", invitation(crowd[AMY]).message_id)
    assert "Guests" in crowd[AMY].alerts()[-1]
    await crowd[AMY].tap("✅ I will attend")
    assert (await lines_of(bot, meeting.id))[AMY].status is AttendanceStatus.GUEST

    # A calendar file for Alice; none for someone of another branch.
    await alice.tap("📆 Add to calendar")
    files = [m for m in bot.emulator.bot_messages(ALICE) if m.kind == "document"]
    assert len(files) == 1 and files[0].file_name == f"meeting-{meeting.id}.ics"
    assert b"BEGIN:VCALENDAR" in bot.emulator.file_bytes(files[0].file_id)
    await crowd[CAROL].say("/start")
    await crowd[CAROL].forge(f"mt:ics:{meeting.id}")
    assert crowd[CAROL].alerts()[-1] == t(NOT_ALLOWED)
    assert not [m for m in bot.emulator.bot_messages(CAROL) if m.kind == "document"]

    # /meetings: Alice sees her meeting and answer; the secretary sees the counts.
    replies = await alice.say("/meetings")
    assert any("Your answer: I will attend." in r.text for r in replies)
    await sec.say("/meetings")
    await sec.tap("Branch general assembly")
    card = sec.last_text
    assert "Expected 5 · attending 1 · leave requested 1 · on leave 1 · present 0" in card, card
    assert "Chen Committee: Travel" in card
    assert "Guests: 1 invited" in card
    assert {"✅ Open check-in", "🔒 Close meeting", "👥 Roster", "⏰ Postpone",
            "✖ Cancel meeting"} <= set(sec.buttons())


async def two_assemblies(bot: Bot, branch: int) -> list[Meeting]:
    """Branch A's assemblies in 6 and 8 days at 10:00, "Assembly one" and "Assembly two"."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        for start, topic in ((local(6, "10:00"), "Assembly one"),
                             (local(8, "10:00"), "Assembly two")):
            await meeting_store.schedule(
                session,
                MeetingPlan(org_id=branch, kind=MeetingKind.ASSEMBLY,
                            starts_at=at(start), ends_at=at(start) + timedelta(hours=2),
                            topic=topic),
                created_by=SEC, now=utcnow(),
            )
    return await meetings_in_db(bot)


async def test_postpone_and_cancel_tell_everyone_expected(bot: Bot) -> None:
    world = await seed(bot)
    crowd = people_of(bot)
    sec = crowd[SEC]
    one, two = await two_assemblies(bot, world.branch_a)
    await sec.say("/meetings")
    await sec.tap(f"mt:card:{one.id}")
    await sec.tap("⏰ Postpone")
    await sec.say(local(-2, "10:00"))
    assert "in the past" in sec.last_text
    await sec.say(local(8, "11:00"))  # overlaps the second assembly
    assert "already has a meeting" in sec.last_text
    new_time = local(7, "15:00")
    await sec.say(new_time)
    assert "Postponed." in sec.last_text and "5 people were told" in sec.last_text
    moved = next(m for m in await meetings_in_db(bot) if m.id == one.id)
    assert moved.starts_at == at(new_time) and moved.ends_at == at(new_time) + timedelta(hours=2)
    for telegram_id in (COM, ALICE, BOB, DAN, AMY):
        text = crowd[telegram_id].last_text
        assert "Meeting moved" in text and "15:00–17:00" in text, (telegram_id, text)
        assert local(6, "10:00") in text  # "it was on ..."
    assert "🙋 Ask for leave" not in crowd[AMY].buttons()
    assert not crowd[CAROL].texts()

    # Cancel the second: confirmation, then a reason.
    await sec.say("/meetings")
    await sec.tap(f"mt:card:{two.id}")
    await sec.tap("✖ Cancel meeting")
    await sec.tap("No, keep it")
    assert (await meetings_in_db(bot))[1].state is MeetingState.SCHEDULED
    await sec.tap("✖ Cancel meeting")
    await sec.tap("Yes, cancel the meeting")
    await sec.say("The hall is being repaired")
    assert "Cancelled." in sec.last_text and "5 people were told" in sec.last_text
    cancelled = next(m for m in await meetings_in_db(bot) if m.id == two.id)
    assert cancelled.state is MeetingState.CANCELLED
    assert cancelled.cancelled_reason == "The hall is being repaired"
    for telegram_id in (COM, ALICE, BOB, DAN, AMY):
        text = crowd[telegram_id].last_text
        assert "Meeting cancelled" in text and "The hall is being repaired" in text
        assert "Assembly two" in text
    # Answering a cancelled meeting is refused.
    await crowd[ALICE].forge(f"mt:yes:{two.id}")
    assert "closed or cancelled" in crowd[ALICE].alerts()[-1]


async def snapshot(bot: Bot) -> dict[str, Any]:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        return {
            "lines": (await session.execute(
                select(Attendance.id, Attendance.status, Attendance.leave_reason,
                       Attendance.leave_decided_by).order_by(Attendance.id)
            )).all(),
            "meetings": (await session.execute(
                select(Meeting.id, Meeting.state, Meeting.starts_at, Meeting.cancelled_reason)
                .order_by(Meeting.id)
            )).all(),
            "audit": await session.scalar(select(func.count()).select_from(AuditEvent)),
        }


@pytest.mark.parametrize("who", ["member_of_b", "secretary_of_b", "plain_member"])
async def test_forged_presses_are_refused_and_change_nothing(bot: Bot, who: str) -> None:
    world = await seed(bot)
    crowd = people_of(bot)
    start = local(4)
    assert bot.app is not None
    async with bot.app.database.session() as session:
        meeting = await meeting_store.schedule(
            session,
            MeetingPlan(org_id=world.branch_a, kind=MeetingKind.ASSEMBLY, starts_at=at(start),
                        ends_at=at(start) + timedelta(hours=1), topic="Assembly"),
            created_by=SEC, now=utcnow(),
        )
        bob_line = await meeting_store.answer(
            session, meeting, world.memberships[BOB], attending=False, reason="Ill"
        )
        other = await meeting_store.schedule(
            session,
            MeetingPlan(org_id=world.branch_b, kind=MeetingKind.ASSEMBLY, starts_at=at(start),
                        ends_at=at(start) + timedelta(hours=1), topic="B assembly"),
            created_by=SEC_B, now=utcnow(),
        )
    m, a, lid = meeting.id, world.branch_a, bob_line.id
    leader_data = [
        f"mt:lok:{lid}", f"mt:lno:{lid}", f"mt:card:{m}", f"mt:pp:{m}", f"mt:cx:{m}",
        f"mt:cxy:{m}", f"mt:cx0:{m}", f"mt:list:{a}:0", f"ms:org:{a}", f"ms:kind:{a}:assembly",
        f"ms:kind:{a}:group",
    ]
    telegram_id, data = {
        "member_of_b": (CAROL, [f"mt:yes:{m}", f"mt:leave:{m}", f"mt:ics:{m}", *leader_data]),
        "secretary_of_b": (SEC_B, [f"mt:yes:{m}", f"mt:leave:{m}", *leader_data]),
        "plain_member": (BOB, [*leader_data, f"mt:yes:{other.id}", f"mt:yes:{m}x", "mt:yes",
                               "mt:lok:abc", "ms:ok", "ms:dur:60", "ms:kind:1:nonsense"]),
    }[who]
    person = crowd[telegram_id]
    await person.say("/start")
    before = await snapshot(bot)
    for item in data:
        count = len(person.alerts())
        await person.forge(item)
        alerts = person.alerts()
        assert len(alerts) > count and alerts[-1] in REFUSALS, (item, alerts)
    # A typed "reason" or time afterwards is not taken by any step.
    await person.say("Postponed to never")
    assert await snapshot(bot) == before
    replies = await person.say("/meetings")
    if who != "plain_member":
        assert all("Branch A" not in r.text for r in replies)
    else:
        # Bob sees his own answer, but no leader list, and cannot schedule.
        assert any("Your answer: leave requested" in r.text for r in replies)
        assert not any("Upcoming or not" in r.text for r in replies)
        await person.say("/schedule")
        assert person.last_text == t(NOT_ALLOWED)
    assert await snapshot(bot) == before


async def test_admin_picks_the_branch_and_cancels_a_step_midway(bot: Bot) -> None:
    world = await seed(bot)
    crowd = people_of(bot)
    admin = bot.person(ADMIN_ID, "Admin", language_code="en")
    await admin.say("/start")
    await admin.say("/schedule")
    assert "which organization" in admin.last_text
    assert {"· Branch A", "· Branch B"} <= set(admin.buttons())
    await admin.tap("· Branch B")
    assert "Branch B" in admin.last_text and "which kind" in admin.last_text
    await admin.tap("Theme party day")
    await admin.say(local(3, "19:00"))
    await admin.say("/cancel")
    assert admin.last_text == "Cancelled."
    await admin.say(local(3, "19:00"))  # no step is waiting any more
    assert "did not understand" in admin.last_text
    await admin.say("/schedule")
    await admin.tap("· Branch B")
    await admin.tap("Theme party day")
    await admin.say(local(3, "19:00"))
    await admin.tap("2 h")
    await admin.say("Community hall")
    await admin.say("Volunteer day")
    assert "Me (" not in " ".join(admin.buttons())  # the admin has no name on record
    await admin.say("Ben Sec")
    await admin.say("Carol Zhao")
    await admin.tap("Once")
    assert "2 members are expected" in admin.last_text
    await admin.tap("✅ Schedule")
    (meeting,) = await meetings_in_db(bot)
    assert meeting.party_organization_id == world.branch_b and meeting.created_by == ADMIN_ID
    assert invitation(crowd[CAROL]) is not None and invitation(crowd[SEC_B]) is not None
    assert all(invitation(crowd[p]) is None for p in A_PEOPLE)
