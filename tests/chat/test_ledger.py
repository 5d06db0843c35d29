"""The ledger as an inspection sees it: compliance, the .xlsx workbook and chart, own records,
calendar files, and who may see what.

A past quarter of branch A's meetings of every kind but the assembly is seeded with the
storage functions (scheduled with a `now` before them, then answered, checked in and closed);
everything under test is then used through the chat.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import openpyxl
from PIL import Image
from sqlalchemy import case, func, select, update
from telegram import Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler

from handlers.kit import charts as chart
from handlers.kit.buttons import BadCallback
from handlers.kit.chat import NOT_ALLOWED, STALE_BUTTON, Refused, handle_error
from handlers.kit.context import BranchContext
from handlers.kit.i18n import translator
from handlers.kit.ui import cb_args
from handlers.labels import meeting_kind_labels
from handlers.ledger import send_ics
from rules.meetings import Period, period_of
from rules.vocabulary import (
    AttendanceStatus,
    CheckinMethod,
    MeetingKind,
    MeetingState,
    MemberRole,
    MemberStatus,
    PartyOrgKind,
)
from storage import meetings, orgs, people, transfers
from storage.models import Attendance, Meeting, PartyOrganization
from tests.harness import ADMIN_ID, Bot

SEC_A, BOB, ALICE, CATHY, SEC_B, DAVE = 740_001, 740_002, 740_003, 740_004, 740_101, 740_102
TZ = ZoneInfo("Asia/Shanghai")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
t = translator("en")
LABELS = meeting_kind_labels(t)


@dataclass
class World:
    branch_a: int
    branch_b: int
    group: int
    ids: dict[str, int]  # membership ids by first name
    first: date  # the seeded quarter, local days
    last: date
    open_meeting: int = 0  # scheduled in the quarter, never closed
    cancelled: int = 0
    lesson: int = 0
    meetings_b: list[int] = field(default_factory=list)


def previous_quarter() -> tuple[date, date]:
    today = datetime.now(TZ).date()
    first_this, _ = period_of(today, Period.QUARTER)
    return period_of(first_this - timedelta(days=1), Period.QUARTER)


async def member(session, telegram_id: int, name: str, org_id: int, *,
                 status: MemberStatus = MemberStatus.FULL) -> int:
    membership = await people.submit_registration(
        session,
        people.RegistrationForm(
            telegram_id=telegram_id, language="en", real_name=name, org_id=org_id,
            status=status, joined_party_on=date(2012, 7, 1), phone=None, invite_id=None,
        ),
    )
    await people.decide_registration(session, membership.id, approve=True, decided_by=ADMIN_ID)
    return membership.id


async def hold(
    session, org_id: int, kind: MeetingKind, day: date, hour: int, *,
    present: tuple[int, ...] = (), leave: dict[int, str] | None = None,
    group: int | None = None, lecturer: str | None = None, topic: str | None = None,
    close: bool = True,
) -> Meeting:
    """Schedule a meeting the day before it, answer leave, check people in, close it."""
    starts = datetime.combine(day, time(hour), tzinfo=TZ)
    plan = meetings.MeetingPlan(
        org_id=org_id, kind=kind, starts_at=starts, ends_at=starts + timedelta(hours=1),
        topic=topic or f"{kind.value} {day.isoformat()}", place="Room 101",
        host="Sam Secretary", recorder="Bob Li", lecturer=lecturer, party_group_id=group,
    )
    meeting = await meetings.schedule(session, plan, created_by=SEC_A, now=starts - timedelta(1))
    await session.flush()
    for membership_id, reason in (leave or {}).items():
        attendance = await meetings.answer(
            session, meeting, membership_id, attending=False, reason=reason
        )
        assert await meetings.decide_leave(session, attendance, approve=True, by=SEC_A)
    for membership_id in present:
        result = await meetings.check_in(
            session, meeting, membership_id, method=CheckinMethod.TAP, now=starts, by=SEC_A
        )
        assert result.outcome in ("present", "guest"), result
    if close:
        await meetings.close(
            session, meeting, minutes=f"Minutes of {plan.topic}", by=SEC_A,
            now=starts + timedelta(hours=1),
        )
    return meeting


async def build_world(bot: Bot) -> World:
    assert bot.app is not None
    first, last = previous_quarter()
    months = [date(first.year, first.month + i, 1) for i in range(3)]
    async with bot.app.database.session() as s:
        top = await orgs.create_party_org(
            s, name="Harbour Committee", kind=PartyOrgKind.COMMITTEE, parent_id=None,
            actor_telegram_id=ADMIN_ID,
        )
        a = await orgs.create_party_org(
            s, name="Branch A", kind=PartyOrgKind.BRANCH, parent_id=top.id,
            actor_telegram_id=ADMIN_ID,
        )
        b = await orgs.create_party_org(
            s, name="Branch B", kind=PartyOrgKind.BRANCH, parent_id=top.id,
            actor_telegram_id=ADMIN_ID,
        )
        group = await orgs.create_group(s, org=a, name="Group One", actor_telegram_id=ADMIN_ID)
        ids = {
            "sam": await member(s, SEC_A, "Sam Secretary", a.id),
            "bob": await member(s, BOB, "Bob Li", a.id),
            "alice": await member(s, ALICE, "Alice Wang", a.id),
            "cathy": await member(s, CATHY, "Cathy Zhou", a.id, status=MemberStatus.ACTIVIST),
            "tom": await member(s, SEC_B, "Tom Secretary", b.id),
            "dave": await member(s, DAVE, "Dave Sun", b.id),
        }
        for key, role in (("sam", MemberRole.SECRETARY), ("bob", MemberRole.COMMITTEE_MEMBER),
                          ("tom", MemberRole.SECRETARY)):
            membership = await people.membership_with_person(s, ids[key])
            assert membership is not None
            await people.appoint(s, membership, role, actor_telegram_id=ADMIN_ID)
        for key in ("bob", "alice"):
            membership = await people.membership_with_person(s, ids[key])
            assert membership is not None
            await people.update_member(
                s, membership, actor_telegram_id=ADMIN_ID, party_group_id=group.id
            )
        sam, bob, alice, cathy = ids["sam"], ids["bob"], ids["alice"], ids["cathy"]
        world = World(a.id, b.id, group.id, ids, first, last)
        # The branches existed before the seeded quarter (periods before that are not judged).
        await s.execute(update(PartyOrganization).values(
            created_at=datetime.combine(first - timedelta(days=400), time(0), tzinfo=TZ)))

        # Every kind but the assembly; the committee and groups each month.
        m1, m2, m3 = (m.replace(day=10) for m in months)
        await hold(s, a.id, MeetingKind.COMMITTEE, m1, 9, present=(sam, bob))
        await hold(s, a.id, MeetingKind.COMMITTEE, m2, 9, present=(sam,),
                   leave={bob: "business trip"})
        await hold(s, a.id, MeetingKind.COMMITTEE, m3, 9, present=(sam,))
        for day, present in ((m1, (alice, bob)), (m2, (alice, bob)), (m3, (bob,))):
            await hold(s, a.id, MeetingKind.GROUP, day, 11, present=present, group=group.id)
        await hold(s, a.id, MeetingKind.THEME_DAY, m1, 15, present=(sam, bob, alice, cathy))
        await hold(s, a.id, MeetingKind.THEME_DAY, m2, 15, present=(sam, bob, alice))
        await hold(s, a.id, MeetingKind.THEME_DAY, m3, 15, present=(sam, alice))
        lesson = await hold(
            s, a.id, MeetingKind.LESSON, m2.replace(day=12), 15, present=(sam, alice),
            lecturer="Sam Secretary", topic="=1+1 is not a formula",
        )
        world.lesson = lesson.id
        for name in ("slides.pdf", "photo.jpg"):
            await meetings.add_file(
                s, lesson, telegram_file_id=f"file-{name}", kind="document", file_name=name,
                by=SEC_A,
            )
        bob_line = await meetings.attendance_of(s, lesson.id, bob)
        assert bob_line is not None
        assert await meetings.confirm_makeup(s, bob_line, datetime.now(TZ))
        await hold(s, a.id, MeetingKind.ORG_LIFE, m3.replace(day=14), 9,
                   present=(sam, bob, alice))
        await hold(s, a.id, MeetingKind.APPRAISAL, m3.replace(day=14), 14,
                   present=(sam, bob), leave={alice: "ill"})
        # Not in the ledger: a cancelled lesson and a theme day never closed.
        gone = await hold(s, a.id, MeetingKind.LESSON, m1.replace(day=20), 15, close=False)
        await meetings.cancel(s, gone, reason="typhoon", by=SEC_A)
        world.cancelled = gone.id
        still_open = await hold(s, a.id, MeetingKind.THEME_DAY, m2.replace(day=25), 15,
                                close=False)
        world.open_meeting = still_open.id
        # Branch B held its assembly; none of it may show up in branch A's reports.
        other = await hold(s, b.id, MeetingKind.ASSEMBLY, m2, 9, present=(ids["tom"],))
        world.meetings_b.append(other.id)
    return world


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


async def test_compliance_flags_the_missing_assembly(bot: Bot) -> None:
    world = await build_world(bot)
    secretary = bot.person(SEC_A, "Sam", language_code="en")
    replies = await secretary.say("/compliance")
    assert "compliance" in replies[-1].text and "Branch A" in replies[-1].text
    assert {"Last quarter", "This year", "• This quarter"} <= set(secretary.buttons())

    await secretary.tap("Last quarter")
    text = secretary.last_text
    lines = lines_of(text)
    assert f"❌ {LABELS[MeetingKind.ASSEMBLY]} (at least 1 a quarter)" in lines, text
    for kind in (MeetingKind.LESSON, MeetingKind.THEME_DAY,
                 MeetingKind.ORG_LIFE, MeetingKind.APPRAISAL):
        assert any(line.startswith(f"✅ {LABELS[kind]} (") for line in lines), (kind, text)
    # Two of the three committee meetings had only Sam of Sam and Bob: no quorum, not counted.
    assert f"❌ {LABELS[MeetingKind.COMMITTEE]} (at least 1 a month)" in lines, text
    months = [f"{world.first.year}-{world.first.month + i:02d}" for i in range(3)]
    assert (f"{months[0]} ✅ 1/1 · {months[1]} ❌ 0/1 (1 without quorum) · "
            f"{months[2]} ❌ 0/1 (1 without quorum)") in lines, text
    assert ("Committee meetings without quorum (half of the committee or fewer present) do "
            "not count toward the requirement.") in lines
    assert any(line.startswith(f"✅ {LABELS[MeetingKind.GROUP]} · Group One") for line in lines)
    label = f"{world.first.year}-Q{(world.first.month - 1) // 3 + 1}"
    assert f"{label} ❌ 0/1" in text
    # Members by name, with their own counts; the activist guest and branch B are not there.
    members = [line for line in lines if " of " in line and "on leave" in line]
    assert members == [
        "Alice Wang: 7 of 9 (78%); on leave 1, absent 1",
        "Bob Li: 8 of 12 (67%); on leave 1, absent 3",
        "Sam Secretary: 9 of 9 (100%); on leave 0, absent 0",
    ], text
    assert "Cathy" not in text and "Tom" not in text and "Dave" not in text


async def sql_counts(bot: Bot, world: World) -> dict[MeetingKind, list[tuple[int, ...]]]:
    """Per kind, per closed meeting of branch A in the quarter (by start):
    expected, present, on leave, absent — counted directly in SQL."""
    assert bot.app is not None
    start, end = meetings.day_bounds(world.first, world.last, TZ)

    def n(status: AttendanceStatus):
        return func.sum(case((Attendance.status == status, 1), else_=0))

    counted = Attendance.status.not_in((AttendanceStatus.GUEST, AttendanceStatus.GUEST_PRESENT))
    async with bot.app.database.session() as s:
        rows = await s.execute(
            select(
                Meeting.kind, Meeting.starts_at, func.sum(case((counted, 1), else_=0)),
                n(AttendanceStatus.PRESENT), n(AttendanceStatus.ON_LEAVE),
                n(AttendanceStatus.ABSENT),
            )
            .join(Attendance, Attendance.meeting_id == Meeting.id)
            .where(
                Meeting.party_organization_id == world.branch_a,
                Meeting.state == MeetingState.CLOSED,
                Meeting.starts_at >= start, Meeting.starts_at < end,
            )
            .group_by(Meeting.id, Meeting.kind, Meeting.starts_at)
            .order_by(Meeting.starts_at)
        )
        result: dict[MeetingKind, list[tuple[int, ...]]] = {}
        for kind, _starts, *numbers in rows.all():
            result.setdefault(kind, []).append(tuple(int(x) for x in numbers))
    return result


async def test_ledger_workbook_and_chart(bot: Bot) -> None:
    world = await build_world(bot)
    assert bot.app is not None
    async with bot.app.database.session() as s:  # a transfer letter issued in the quarter
        issued = datetime.combine(world.first + timedelta(days=5), time(10), TZ)
        await transfers.issue_between(s, world.ids["alice"], world.branch_b, by=SEC_A,
                                      now=issued, today=issued.date())
    secretary = bot.person(SEC_A, "Sam", language_code="en")
    await secretary.say("/ledger")
    assert {"This quarter", "Last quarter", "This year", "Last year"} <= set(secretary.buttons())
    replies = await secretary.tap("Last quarter")
    documents = [r for r in replies if r.kind == "document"]
    photos = [r for r in replies if r.kind == "photo"]
    assert len(documents) == 1 and len(photos) == 1, [r.kind for r in replies]
    assert documents[0].file_name.endswith(".xlsx")
    assert "12 closed meetings" in documents[0].text

    workbook = openpyxl.load_workbook(io.BytesIO(bot.emulator.file_bytes(documents[0].file_id)))
    expected_counts = await sql_counts(bot, world)
    kinds = [k for k in MeetingKind if k in expected_counts]
    assert MeetingKind.ASSEMBLY not in kinds
    assert workbook.sheetnames == [t("Summary")] + [LABELS[k] for k in kinds]
    for kind in kinds:
        sheet = workbook[LABELS[kind]]
        header, *rows = list(sheet.iter_rows(values_only=True))
        columns = [header.index(t(name)) for name in (
            "Expected (应到)", "Present (实到)", "On leave (请假)", "Absent (缺席)")]
        assert [tuple(row[c] for c in columns) for row in rows] == expected_counts[kind], kind
        assert all(row[header.index(t("Minutes"))].startswith("Minutes of ") for row in rows)
    # Names where the ledger lists names; the closed lesson's topic stays text.
    committee = workbook[LABELS[MeetingKind.COMMITTEE]]
    header = [c.value for c in committee[1]]
    leave = [row[header.index(t("On leave: names and reasons"))]
             for row in committee.iter_rows(min_row=2, values_only=True)]
    assert leave == [None, "Bob Li (business trip)", None]
    lesson = workbook[LABELS[MeetingKind.LESSON]]
    header = [c.value for c in lesson[1]]
    (row,) = list(lesson.iter_rows(min_row=2, values_only=True))
    assert row[header.index(t("Absent: names"))] == "Bob Li (caught up)"
    assert row[header.index(t("Lecturer"))] == "Sam Secretary"
    assert row[header.index(t("Topic"))] == "=1+1 is not a formula"
    assert row[header.index(t("Attachments"))] == 2
    theme = workbook[LABELS[MeetingKind.THEME_DAY]]
    header = [c.value for c in theme[1]]
    guests = [r[header.index(t("Guests present (列席)"))]
              for r in theme.iter_rows(min_row=2, values_only=True)]
    assert guests == ["Cathy Zhou", None, None]
    # The summary: the assembly missing, members' rates, the cancelled lesson.
    summary = [[c for c in r if c is not None]
               for r in workbook[t("Summary")].iter_rows(values_only=True)]
    assert [LABELS[MeetingKind.ASSEMBLY], f"{world.first.year}-Q{(world.first.month + 2) // 3}",
            1, 0, "missing"] in summary
    assert ["Bob Li", 12, 8, 1, 3, 8 / 12] in summary
    assert any("typhoon" in r for r in summary)
    assert [r[3:] for r in summary if "Branch B" in r] == [
        ["Out", "Branch A", "Branch B", "Waiting for an answer"]]
    cells = " ".join(str(c) for r in summary for c in r)
    assert "Tom" not in cells and "Cathy" not in cells

    png = bot.emulator.file_bytes(photos[0].file_id)
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.width >= 400
    assert "overall" in photos[0].text and "(24 of 30)" in photos[0].text


async def test_record_shows_own_lines_only(bot: Bot) -> None:
    world = await build_world(bot)
    alice = bot.person(ALICE, "Alice", language_code="en")
    await alice.say("/record")
    if world.first.year < datetime.now(TZ).year:
        await alice.tap("Last year")
    text = alice.last_text
    lines = [line for line in lines_of(text) if f"{world.first.year}-" in line and " · " in line]
    assert len(lines) == 9, text  # 3 group, 3 theme days, lesson, org life, appraisal
    assert "Present at 7 of 9 meetings (78%); on leave 1, absent 1." in text
    assert sum("not caught up yet" in line for line in lines) == 1
    assert "Bob" not in text and "Cathy" not in text

    bob = bot.person(BOB, "Bob", language_code="en")
    await bob.say("📈 My attendance")
    if world.first.year < datetime.now(TZ).year:
        await bob.tap("Last year")
    text = bob.last_text
    assert "(caught up ✔)" in text  # the lesson he caught up on
    assert sum("not caught up yet" in line for line in lines_of(text)) == 2

    admin = bot.person(ADMIN_ID, "Admin", language_code="en")
    await admin.say("/record")
    assert admin.last_text == t("Only members of a branch have an attendance record.")


async def press_ics(update: Update, context: BranchContext) -> None:
    """Stands in for handlers/meetings.py's "Add to calendar" button (mt:ics:<meeting>)."""
    try:
        assert update.callback_query is not None
        _, meeting_id = cb_args(update.callback_query.data, "lgtest", str, int)
        await send_ics(update, context, meeting_id)
    except (Refused, BadCallback) as exc:
        context.error = exc
        await handle_error(update, context)
    raise ApplicationHandlerStop


async def test_calendar_file_for_people_on_the_list_only(bot: Bot) -> None:
    world = await build_world(bot)
    assert bot.app is not None
    bot.app.add_handler(CallbackQueryHandler(press_ics, pattern=r"^lgtest:ics:"), group=-1)
    alice = bot.person(ALICE, "Alice", language_code="en")
    await alice.say("/start")
    replies = await alice.forge(f"lgtest:ics:{world.open_meeting}")
    (document,) = [r for r in replies if r.kind == "document"]
    assert document.file_name == f"meeting-{world.open_meeting}.ics"
    calendar = icalendar.Calendar.from_ical(bot.emulator.file_bytes(document.file_id))
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"meeting-{world.open_meeting}@branchbot"
    starts = event.decoded("DTSTART")
    assert starts.utcoffset() == timedelta(0)
    assert starts.astimezone(TZ).hour == 15 and starts.astimezone(TZ).day == 25
    assert event.decoded("DTEND") - starts == timedelta(hours=1)
    assert str(event["SUMMARY"]).startswith(LABELS[MeetingKind.THEME_DAY])
    assert str(event["LOCATION"]) == "Room 101"
    assert "Sam Secretary" in str(event["DESCRIPTION"])

    # The meetings module's own "Add to calendar" button hands over to send_ics.
    replies = await alice.forge(f"mt:ics:{world.open_meeting}")
    assert [r.file_name for r in replies if r.kind == "document"] == [document.file_name]

    # A member of branch B is not on the list: refused, nothing sent.
    dave = bot.person(DAVE, "Dave", language_code="en")
    await dave.say("/start")
    replies = await dave.forge(f"lgtest:ics:{world.open_meeting}")
    assert not [r for r in replies if r.kind == "document"]
    assert dave.alerts()[-1] == t(NOT_ALLOWED)
    # The cancelled meeting is refused with a reason, a missing one as stale.
    await alice.forge(f"lgtest:ics:{world.cancelled}")
    assert "cancelled" in alice.alerts()[-1]
    await alice.forge("lgtest:ics:999999")
    assert alice.alerts()[-1] == t(STALE_BUTTON)


async def test_members_and_other_branches_are_refused(bot: Bot) -> None:
    world = await build_world(bot)
    a = world.branch_a
    forged = [
        f"lg:comp:{a}:lq", f"lg:cpg:{a}:q:0", f"lg:lorg:{a}", f"lg:xlsx:{a}:lq",
        f"lg:xlsx:{a}:ly",
    ]
    alice = bot.person(ALICE, "Alice", language_code="en")
    for command in ("/compliance", "/ledger"):
        await alice.say(command)
        assert alice.last_text == t(NOT_ALLOWED), command
    for data in [*forged, "lg:cpick:0", "lg:lpick:0"]:
        replies = await alice.forge(data)
        assert alice.alerts()[-1] == t(NOT_ALLOWED), data
        assert not [r for r in replies if r.kind in ("document", "photo")], data

    tom = bot.person(SEC_B, "Tom", language_code="en")
    replies = await tom.say("/compliance")
    assert "Branch B" in replies[-1].text and "Branch A" not in replies[-1].text
    await tom.tap("Last quarter")
    assert f"✅ {LABELS[MeetingKind.ASSEMBLY]}" in tom.last_text
    assert "Tom Secretary: 1 of 1" in tom.last_text and "Alice" not in tom.last_text
    for data in forged:
        replies = await tom.forge(data)
        assert tom.alerts()[-1] == t(NOT_ALLOWED), data
        assert not [r for r in replies if r.kind in ("document", "photo")], data
    # Malformed or unknown codes are stale buttons, not errors.
    for data in (f"lg:xlsx:{a}:zz", f"lg:comp:{a}", f"lg:comp:{a}:m:1", "lg:rec:1999",
                 f"lg:cpg:{a}:q:x"):
        await tom.forge(data)
        assert tom.alerts()[-1] == t(STALE_BUTTON), data

    # An admin picks among all branches.
    admin = bot.person(ADMIN_ID, "Admin", language_code="en")
    await admin.say("/compliance")
    assert {"· Branch A", "· Branch B"} <= set(admin.buttons()), admin.buttons()
    await admin.tap("Branch B")
    assert "Branch B" in admin.last_text


async def test_chart_without_a_chinese_font_falls_back_to_english(bot: Bot, monkeypatch) -> None:
    """No CJK font installed: the chart is still drawn, in English, without the Chinese name
    (a missing glyph would warn, and warnings are errors here)."""
    world = await build_world(bot)
    assert bot.app is not None
    async with bot.app.database.session() as s:
        org = await orgs.get_party_org(s, world.branch_a)
        assert org is not None
        org.name = "甲支部"
        await people.set_language(s, SEC_A, "zh")
    monkeypatch.setattr(chart, "cjk_font", lambda: None)
    secretary = bot.person(SEC_A, "Sam", language_code="zh-hans")
    await secretary.say("/ledger")
    replies = await secretary.forge(f"lg:xlsx:{world.branch_a}:lq")
    kinds = [r.kind for r in replies]
    assert kinds.count("document") == 1 and kinds.count("photo") == 1, kinds
    photo = next(r for r in replies if r.kind == "photo")
    assert bot.emulator.file_bytes(photo.file_id).startswith(PNG_SIGNATURE)

