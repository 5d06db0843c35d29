"""Verdicts a secretary and an inspector can trust: one verdict (rules.verdicts) behind chat
/compliance, /overview, the dashboard and the .xlsx ledger.

A branch with a committee and a 党小组 and a small branch without a committee are seeded with
two years of meetings through the storage services (scheduled, checked in, closed); the bot's
clock is then moved to several days and every view is read as people see it and compared,
period by period, with each other and with the verdict the seeding implies.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import openpyxl
from sqlalchemy import select, update

from bot.config import Settings
from handlers.kit.i18n import translator
from handlers.labels import meeting_kind_labels
from rules.meetings import DEFAULT_REQUIREMENTS, Period, Requirement, period_label, period_of
from rules.verdicts import (
    BranchFacts,
    HeldCount,
    has_committee,
    judge_branch,
    recent_periods,
    report_periods,
)
from rules.vocabulary import (
    AttendanceStatus,
    CheckinMethod,
    MeetingKind,
    MemberRole,
    MemberStatus,
    PartyOrgKind,
)
from storage import ledger as ledger_store
from storage import meetings, orgs, people
from storage.models import MeetingCount, PartyOrganization
from tests.chat.test_dashboard import dashboard, sign_in
from tests.harness import ADMIN_ID, Bot

TZ = ZoneInfo("Asia/Shanghai")
SEC, BEA, CAI, DAN, EVA = 820_001, 820_002, 820_003, 820_004, 820_005
SMALL_SEC, SMALL_MEMBER = 820_101, 820_102
NAMES = {SEC: "Sam Secretary", BEA: "Bea Committee", CAI: "Cai Committee", DAN: "Dan Member",
         EVA: "Eva Member", SMALL_SEC: "Sue Small", SMALL_MEMBER: "Sid Small", ADMIN_ID: "Admin"}
CREATED = date(2030, 12, 20)
FIRST_MONTH = date(2031, 1, 1)
MONTHS = 24  # 2031 and 2032
t = translator("en")
LABELS = meeting_kind_labels(t)
MARKS = {"✅": "met", "⚠️": "due", "❌": "missing", "—": "not_required"}
TEXT_STATUS = {"met": "met", "due": "due", "missing": "missing", "not required": "not_required",
               "no party groups": "no_groups",
               "no committee (fewer than 7 full members)": "no_committee",
               "not judged: before the branch was created": "before_creation"}


def month(i: int) -> date:
    return date(FIRST_MONTH.year + i // 12, i % 12 + 1, 1)


# The seeding pattern of the branch with a committee, month by month (i = 0 for 2031-01):
def committee_held(i: int) -> str | None:
    """None: not held; "short": only the secretary of three (no quorum); "ok": two of three."""
    if i % 5 == 1:
        return None
    return "short" if i % 4 == 2 else "ok"


def group_held(i: int) -> bool:
    return i % 3 != 0


def theme_held(i: int) -> bool:
    return i % 7 != 3


def assembly_held(quarter: int) -> bool:  # in the quarter's first month
    return quarter % 3 != 1


def lesson_held(quarter: int) -> bool:  # in the quarter's second month
    return quarter % 2 == 0


def counted(kind: MeetingKind, label: str) -> int:
    """Meetings of the big branch counted toward `kind`'s requirement in period `label`."""
    if kind in (MeetingKind.ORG_LIFE, MeetingKind.APPRAISAL):
        return int(label == "2031")
    if "-Q" in label:
        year, q = label.split("-Q")
        quarter = (int(year) - FIRST_MONTH.year) * 4 + int(q) - 1
        held = assembly_held if kind is MeetingKind.ASSEMBLY else lesson_held
        return int(0 <= quarter < MONTHS // 3 and held(quarter))
    year, mon = (int(x) for x in label.split("-"))
    i = (year - FIRST_MONTH.year) * 12 + mon - 1
    if not 0 <= i < MONTHS:
        return 0
    if kind is MeetingKind.COMMITTEE:
        return int(committee_held(i) == "ok")
    return int(group_held(i) if kind is MeetingKind.GROUP else theme_held(i))


def expected_status(kind: MeetingKind, label: str, today: date) -> str:
    requirement = DEFAULT_REQUIREMENTS[kind]
    first = date(int(label[:4]), 1, 1)
    if requirement.period is Period.MONTH:
        first = date(int(label[:4]), int(label[5:7]), 1)
    elif requirement.period is Period.QUARTER:
        first = date(int(label[:4]), 3 * (int(label[-1]) - 1) + 1, 1)
    _, last = period_of(first, requirement.period)
    if counted(kind, label) >= requirement.minimum:
        return "met"
    return "missing" if last < today else "due"


@dataclass
class World:
    big: int
    small: int
    group: int


async def _hold(s, org_id: int, kind: MeetingKind, day: date, present: list[int], *,
                group: int | None = None) -> None:
    starts = datetime.combine(day, time(10), tzinfo=TZ)
    plan = meetings.MeetingPlan(
        org_id=org_id, kind=kind, starts_at=starts, ends_at=starts + timedelta(hours=1),
        topic=f"{kind.value} {day.isoformat()}", place="Room 1", party_group_id=group,
    )
    meeting = await meetings.schedule(s, plan, created_by=ADMIN_ID, now=starts - timedelta(1))
    await s.flush()
    for membership_id in present:
        await meetings.check_in(s, meeting, membership_id, method=CheckinMethod.TAP, now=starts,
                                by=ADMIN_ID)
    await meetings.close(s, meeting, minutes="minutes", by=ADMIN_ID,
                         now=starts + timedelta(hours=1), tz=TZ)


async def build_world(bot: Bot) -> World:
    assert bot.app is not None
    async with bot.app.database.session() as s:
        top = await orgs.create_party_org(
            s, name="County Committee", kind=PartyOrgKind.COMMITTEE, parent_id=None,
            actor_telegram_id=ADMIN_ID,
        )
        big = await orgs.create_party_org(
            s, name="Verdict Branch", kind=PartyOrgKind.BRANCH, parent_id=top.id,
            actor_telegram_id=ADMIN_ID,
        )
        small = await orgs.create_party_org(
            s, name="Small Branch", kind=PartyOrgKind.BRANCH, parent_id=top.id,
            actor_telegram_id=ADMIN_ID,
        )
        group = await orgs.create_group(s, org=big, name="Group One", actor_telegram_id=ADMIN_ID)
        ids: dict[int, int] = {}
        for telegram_id, org, role in (
            (SEC, big, MemberRole.SECRETARY), (BEA, big, MemberRole.COMMITTEE_MEMBER),
            (CAI, big, MemberRole.COMMITTEE_MEMBER), (DAN, big, MemberRole.MEMBER),
            (EVA, big, MemberRole.MEMBER), (SMALL_SEC, small, MemberRole.SECRETARY),
            (SMALL_MEMBER, small, MemberRole.MEMBER),
        ):
            membership = await people.appoint_by_telegram_id(
                s, org, telegram_id, role, status=MemberStatus.FULL, actor_telegram_id=ADMIN_ID,
                language="en",
            )
            await s.flush()
            ids[telegram_id] = membership.id
            person = await people.person_by_telegram_id(s, telegram_id)
            assert person is not None
            person.real_name = NAMES[telegram_id]
            if telegram_id in (DAN, EVA):
                await people.update_member(s, membership, actor_telegram_id=ADMIN_ID,
                                           party_group_id=group.id)
        await people.ensure_person(s, ADMIN_ID, language="en", real_name="Admin")
        await s.execute(update(PartyOrganization).values(
            created_at=datetime.combine(CREATED, time(9), tzinfo=TZ)))
        for i in range(MONTHS):
            first = month(i)
            committee = committee_held(i)
            if committee:
                present = [ids[SEC]] if committee == "short" else [ids[SEC], ids[BEA]]
                await _hold(s, big.id, MeetingKind.COMMITTEE, first.replace(day=5), present)
            if group_held(i):
                await _hold(s, big.id, MeetingKind.GROUP, first.replace(day=6), [ids[DAN]],
                            group=group.id)
            if theme_held(i):
                await _hold(s, big.id, MeetingKind.THEME_DAY, first.replace(day=7), [ids[SEC]])
            quarter, in_quarter = divmod(i, 3)
            if in_quarter == 0 and assembly_held(quarter):
                await _hold(s, big.id, MeetingKind.ASSEMBLY, first.replace(day=8), [ids[SEC]])
            if in_quarter == 1 and lesson_held(quarter):
                await _hold(s, big.id, MeetingKind.LESSON, first.replace(day=9), [ids[SEC]])
            if first == date(2031, 12, 1):
                for kind in (MeetingKind.ORG_LIFE, MeetingKind.APPRAISAL):
                    await _hold(s, big.id, kind, first.replace(day=20), [ids[SEC]])
            # The small branch: a theme day every month and, without a committee, a meeting
            # of its secretary that no verdict may ask for or count.
            await _hold(s, small.id, MeetingKind.THEME_DAY, first.replace(day=7),
                        [ids[SMALL_SEC]])
            await _hold(s, small.id, MeetingKind.COMMITTEE, first.replace(day=5),
                        [ids[SMALL_SEC]])
    for telegram_id, name in NAMES.items():
        bot.person(telegram_id, name, language_code="en")
        bot.emulator.user(telegram_id).started = True
    return World(big.id, small.id, group.id)


Key = tuple[str, str, str]  # kind label, 党小组, period label ("" when not judged)


def chat_verdicts(text: str) -> dict[Key, str]:
    """What /compliance shows, line by line: "✅ Kind · Group (rule)", then period cells."""
    result: dict[Key, str] = {}
    kind = group = ""
    for raw in text.splitlines():
        line = raw.strip()
        header = re.match(r"^(✅|⚠️|❌|—) (.+?) \(at least \d+ an? (?:month|quarter|year)\)$",
                          line)
        not_judged = re.match(r"^(✅|⚠️|❌|—) (.+?): (no party groups|not required, no "
                              r"committee|not judged, the branch)", line)
        if header or not_judged:
            found = header or not_judged
            assert found is not None
            kind, _, group = found.group(2).partition(" · ")
            if not_judged:
                reason = {"no party groups": "no_groups", "not required, no committee":
                          "no_committee", "not judged, the branch": "before_creation"}
                result[(kind, group, "")] = reason[not_judged.group(3)]
            continue
        if kind and re.match(r"^\d{4}", line):
            for cell in line.split(" · "):
                found = re.match(r"^(\d{4}(?:-Q\d|-\d\d)?) (✅|⚠️|❌|—) \d+/\d+", cell)
                assert found, (cell, text)
                key = (kind, group, found.group(1))
                status = MARKS[found.group(2)]
                assert result.get(key, status) == status, (key, text)
                result[key] = status
    return result


def table_verdicts(rows: list[tuple]) -> dict[Key, str]:
    """Rows of kind, group, period, required, held, without quorum, status (workbooks)."""
    result: dict[Key, str] = {}
    for kind, group, period, _required, _held, _short, status in rows:
        result[(kind, group or "", period or "")] = TEXT_STATUS[status]
    return result


def sheet_rows(sheet, header_cell: str, width: int) -> list[tuple]:
    """The rows under the header row holding `header_cell`, up to the first empty row."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(n for n, row in enumerate(rows) if header_cell in row)
    result = []
    for row in rows[start + 1:]:
        if row[0] is None:
            break
        result.append(tuple(row[:width]))
    return result


async def views_at(bot: Bot, world: World, today: date) -> dict[str, dict[Key, str]]:
    """Every view of the big branch's meetings on `today`, as people see them."""
    assert bot.app is not None
    bot.app.courier.clock = lambda: datetime.combine(today, time(10), tzinfo=TZ)
    secretary = bot.person(SEC, NAMES[SEC], language_code="en")
    result: dict[str, dict[Key, str]] = {"chat": {}, "ledger": {}}

    shown = (await secretary.say("/compliance"))[-1]
    for label in ("This month", "This quarter", "This year", "Last quarter", "Last year"):
        await secretary.tap(label, shown.message_id)
        for key, status in chat_verdicts(secretary.emu.message(SEC, shown.message_id).text
                                         ).items():
            assert result["chat"].get(key, status) == status, (key, today)
            result["chat"][key] = status

    menu = (await secretary.say("/ledger"))[-1]
    for label in ("This quarter", "Last quarter", "This year", "Last year"):
        replies = await secretary.tap(label, menu.message_id)
        (document,) = [r for r in replies if r.kind == "document"]
        book = openpyxl.load_workbook(io.BytesIO(bot.emulator.file_bytes(document.file_id)))
        rows = sheet_rows(book[t("Summary")], t("Without quorum"), 7)
        for key, status in table_verdicts(rows).items():
            assert result["ledger"].get(key, status) == status, (key, today)
            result["ledger"][key] = status

    admin = bot.person(ADMIN_ID, "Admin", language_code="en")
    overview = "\n".join(m.text for m in await admin.say("/overview"))
    listed = [line for line in overview.splitlines() if line.startswith("❌ Verdict Branch:")]
    async with dashboard(bot) as client:
        await sign_in(client, bot, ADMIN_ID)
        response = await client.get(f"/dashboard/branch/{world.big}", params={"format": "xlsx"})
        assert response.status == 200
        book = openpyxl.load_workbook(io.BytesIO(await response.read()))
        (sheet,) = [s for s in book.worksheets
                    if t("Without quorum") in [c.value for c in s[4]]]
        result["dashboard"] = table_verdicts(sheet_rows(sheet, t("Without quorum"), 7))
        response = await client.get("/dashboard/", params={"format": "xlsx"})
        book = openpyxl.load_workbook(io.BytesIO(await response.read()))
        (sheet,) = [s for s in book.worksheets if t("Periods missed") in [c.value for c in s[4]]]
        board = [row for row in sheet_rows(sheet, t("Periods missed"), 5)
                 if row[0] == "Verdict Branch"]

    # /overview and the dashboard's overview name the same missed periods as the branch page.
    missed = {key for key, status in result["dashboard"].items() if status == "missing"}
    names = {f"{kind}{' · ' + group if group else ''} {period}" for kind, group, period in missed}
    if missed:
        (line,) = listed
        assert line.startswith(f"❌ Verdict Branch: {len(missed)} missing"), line
        assert set(line.split(" (", 1)[1].rstrip(")").split(", ")) == names, line
        (row,) = board
        assert row[2] == len(missed) and set(row[4].split("; ")) == names, row
    else:
        assert not listed and (not board or board[0][2] == 0)
    result["overview"] = {key: "missing" for key in missed}
    return result


async def test_every_view_gives_the_same_verdict_over_two_years(bot: Bot) -> None:
    world = await build_world(bot)
    committee, group = LABELS[MeetingKind.COMMITTEE], LABELS[MeetingKind.GROUP]
    for today in (date(2031, 7, 1), date(2032, 1, 5), date(2032, 4, 2), date(2032, 10, 15),
                  date(2033, 1, 1)):
        seen = await views_at(bot, world, today)
        board = seen["dashboard"]
        # The dashboard judges the last completed and the running period of every kind ...
        for unit, spans in recent_periods(today).items():
            labels = {period_label(first, unit) for first, _ in spans if first >= CREATED}
            for kind in MeetingKind:
                if DEFAULT_REQUIREMENTS[kind].period is unit:
                    name = group if kind is MeetingKind.GROUP else LABELS[kind]
                    extra = "Group One" if kind is MeetingKind.GROUP else ""
                    assert {p for k, g, p in board if (k, g) == (name, extra)} == labels, (
                        kind, today, board)
        # ... each verdict is what the meetings held imply (committee meetings without
        # quorum not counted), and chat /compliance and the .xlsx ledger say the same.
        for (kind_label, group_name, period), status in board.items():
            kind = next(k for k, v in LABELS.items() if v == kind_label)
            assert status == expected_status(kind, period, today), (kind, period, today)
            assert seen["chat"][(kind_label, group_name, period)] == status, (period, today)
            assert seen["ledger"][(kind_label, group_name, period)] == status, (period, today)
        for key in seen["chat"].keys() & seen["ledger"].keys():
            assert seen["chat"][key] == seen["ledger"][key], (key, today)
        if today == date(2032, 4, 2):
            # March 2032: one committee meeting, the secretary alone of three: no quorum.
            assert board[(committee, "", "2032-03")] == "missing"
        if today == date(2033, 1, 1):
            # A yearly kind shows as missing once its year is over.
            assert board[(LABELS[MeetingKind.ORG_LIFE], "", "2032")] == "missing"
            assert seen["overview"][(LABELS[MeetingKind.ORG_LIFE], "", "2032")] == "missing"
        if today == date(2031, 7, 1):
            # Created in December 2030: 2030 is not judged, so no yearly kind is missing.
            assert (LABELS[MeetingKind.ORG_LIFE], "", "2031") in board
            assert not any(key[2] == "2030" for key in [*board, *seen["overview"]])


async def test_a_branch_without_a_committee_owes_no_committee_meeting_in_any_view(
    bot: Bot,
) -> None:
    world = await build_world(bot)
    assert bot.app is not None
    bot.app.courier.clock = lambda: datetime(2032, 1, 5, 10, tzinfo=TZ)
    secretary = bot.person(SMALL_SEC, NAMES[SMALL_SEC], language_code="en")
    text = (await secretary.say("/compliance"))[-1].text
    committee = LABELS[MeetingKind.COMMITTEE]
    assert chat_verdicts(text)[(committee, "", "")] == "no_committee", text
    assert chat_verdicts(text)[(LABELS[MeetingKind.GROUP], "", "")] == "no_groups", text
    menu = (await secretary.say("/ledger"))[-1]
    replies = await secretary.tap("Last quarter", menu.message_id)
    (document,) = [r for r in replies if r.kind == "document"]
    book = openpyxl.load_workbook(io.BytesIO(bot.emulator.file_bytes(document.file_id)))
    ledger = table_verdicts(sheet_rows(book[t("Summary")], t("Without quorum"), 7))
    assert ledger[(committee, "", "")] == "no_committee"
    assert not any(k[0] == committee and k[2] for k in ledger)
    async with dashboard(bot) as client:
        await sign_in(client, bot, ADMIN_ID)
        response = await client.get(f"/dashboard/branch/{world.small}",
                                    params={"format": "xlsx"})
        book = openpyxl.load_workbook(io.BytesIO(await response.read()))
        (sheet,) = [s for s in book.worksheets if t("Without quorum") in [c.value for c in s[4]]]
        board = table_verdicts(sheet_rows(sheet, t("Without quorum"), 7))
    # The dashboard no longer lists 党小组会 (or committee meetings) as missing for it.
    assert board[(committee, "", "")] == "no_committee"
    assert board[(LABELS[MeetingKind.GROUP], "", "")] == "no_groups"
    assert not any(k[0] in (committee, LABELS[MeetingKind.GROUP]) and k[2] for k in board)
    admin = bot.person(ADMIN_ID, "Admin", language_code="en")
    overview = "\n".join(m.text for m in await admin.say("/overview"))
    (line,) = [x for x in overview.splitlines() if x.startswith("❌ Small Branch:")]
    assert committee not in line and LABELS[MeetingKind.GROUP] not in line, line
    assert LABELS[MeetingKind.ASSEMBLY] in line  # what it does owe is still flagged


async def test_quorum_is_kept_when_a_record_is_corrected(bot: Bot) -> None:
    """Correcting a closed committee meeting's record moves it in or out of the count."""
    world = await build_world(bot)
    assert bot.app is not None
    short_month = month(2)  # 2031-03: only the secretary of three came
    async with bot.app.database.session() as s:
        row = await s.get(MeetingCount, (world.big, MeetingKind.COMMITTEE, 0, short_month))
        assert row is not None and (row.held, row.inquorate) == (1, 1)
        report = await ledger_store.compliance_report(
            s, world.big, ledger_store.ReportPeriod("m", Period.MONTH, short_month,
                                                    date(2031, 3, 31)),
            tz=TZ, requirements=DEFAULT_REQUIREMENTS, today=date(2032, 1, 1),
        )
        (item,) = [k for k in report.kinds if k.kind is MeetingKind.COMMITTEE]
        assert [(r.held, r.inquorate, r.status) for r in item.rows] == [(1, 1, "missing")]
        # Deployments that count inquorate meetings (BRANCHBOT_INQUORATE_COMMITTEE_COUNTS).
        counting = await ledger_store.compliance_report(
            s, world.big, report.period, tz=TZ, requirements=DEFAULT_REQUIREMENTS,
            today=date(2032, 1, 1), inquorate_counts=True,
        )
        (item,) = [k for k in counting.kinds if k.kind is MeetingKind.COMMITTEE]
        assert [r.status for r in item.rows] == ["met"]
        # Bea was there after all: two of three, quorum.
        held = await meetings.meetings_between(
            s, world.big, *meetings.day_bounds(short_month, date(2031, 3, 31), TZ)
        )
        (meeting,) = [m for m in held if m.kind is MeetingKind.COMMITTEE]
        bea = await people.person_by_telegram_id(s, BEA)
        assert bea is not None
        membership = await people.current_membership(s, bea.id)
        assert membership is not None
        line = await meetings.attendance_of(s, meeting.id, membership.id)
        assert line is not None and line.status is AttendanceStatus.ABSENT
        await meetings.correct_attendance(s, line, status=AttendanceStatus.PRESENT, by=SEC,
                                          reason="signed the paper list", tz=TZ)
    async with bot.app.database.session() as s:
        row = await s.get(MeetingCount, (world.big, MeetingKind.COMMITTEE, 0, short_month))
        assert row is not None and (row.held, row.inquorate) == (1, 0)
        # And back: the correction is undone.
        line = await meetings.attendance_of(s, meeting.id, membership.id)
        assert line is not None
        await meetings.correct_attendance(s, line, status=AttendanceStatus.ABSENT, by=SEC,
                                          reason="mistake", tz=TZ)
    async with bot.app.database.session() as s:
        count = await s.scalar(select(MeetingCount.inquorate).where(
            MeetingCount.party_organization_id == world.big,
            MeetingCount.kind == MeetingKind.COMMITTEE, MeetingCount.month == short_month))
        assert count == 1


# --- the rules on their own ------------------------------------------------------------------


def test_a_committee_exists_with_seven_full_members_or_a_recorded_committee() -> None:
    assert not has_committee(full_members=6, committee_members=0)
    assert has_committee(full_members=7, committee_members=0)
    assert has_committee(full_members=3, committee_members=1)
    small = BranchFacts(full_members=3)
    verdicts = judge_branch({}, DEFAULT_REQUIREMENTS, small, recent_periods(date(2031, 5, 3)),
                            today=date(2031, 5, 3))
    (committee,) = [v for v in verdicts if v.kind is MeetingKind.COMMITTEE]
    assert committee.no_committee and committee.rows == () and committee.status == "not_required"


def test_an_inquorate_committee_meeting_counts_only_when_configured() -> None:
    counts = {(MeetingKind.COMMITTEE, None, date(2031, 4, 1)): HeldCount(held=2, inquorate=1)}
    facts = BranchFacts(full_members=9, committee_members=2)
    only = {MeetingKind.COMMITTEE: Requirement(Period.MONTH, 2)}
    spans = report_periods(date(2031, 4, 1), date(2031, 4, 30))
    (strict,) = judge_branch(counts, only, facts, spans, today=date(2031, 5, 3))
    (lenient,) = judge_branch(counts, only, facts, spans, today=date(2031, 5, 3),
                              inquorate_counts=True)
    assert [(r.held, r.inquorate, r.counted, r.status) for r in strict.rows] == [
        (2, 1, 1, "missing")]
    assert [(r.counted, r.status) for r in lenient.rows] == [(2, "met")]
    assert Settings(inquorate_committee_counts="true").inquorate_committee_counts is True
    assert Settings().inquorate_committee_counts is False


def test_last_completed_periods_are_judged_but_not_before_the_branch_existed() -> None:
    today = date(2031, 1, 2)  # the first days of a month, a quarter and a year
    periods = recent_periods(today)
    assert [period_label(f, Period.QUARTER) for f, _ in periods[Period.QUARTER]] == [
        "2030-Q4", "2031-Q1"]
    old = BranchFacts(created_on=date(2020, 1, 1), full_members=9, committee_members=2)
    verdicts = judge_branch({}, DEFAULT_REQUIREMENTS, old, periods, today=today)
    missing = {(v.kind, r.period_label) for v in verdicts for r in v.rows
               if r.status == "missing"}
    assert (MeetingKind.ORG_LIFE, "2030") in missing  # a yearly kind can show as missing
    assert (MeetingKind.ASSEMBLY, "2030-Q4") in missing
    assert (MeetingKind.THEME_DAY, "2030-12") in missing
    new = BranchFacts(created_on=date(2030, 11, 15), full_members=9, committee_members=2)
    verdicts = judge_branch({}, DEFAULT_REQUIREMENTS, new, periods, today=today)
    missing = {(v.kind, r.period_label) for v in verdicts for r in v.rows
               if r.status == "missing"}
    assert missing == {(MeetingKind.THEME_DAY, "2030-12"), (MeetingKind.COMMITTEE, "2030-12")}
