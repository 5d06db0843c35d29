"""The ledger (台账): compliance per period, the closed meetings of a period, own records.

Queries aggregate in SQL (a fixed number of statements per report, never one per meeting or
per member), so a branch with years of meetings is reported on in well under a second.
They return plain values (LedgerData and the like); the workbook, the chart and the .ics file
are built from them in handlers/ledger/.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import String, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules import meetings as rules
from rules.meetings import Period, Requirement
from rules.verdicts import BranchFacts, KindVerdict, Spans, judge_branch, report_periods
from rules.vocabulary import AttendanceStatus, MeetingKind, MeetingState, TransferState
from storage import transfers
from storage.appraisal import LedgerLine as AppraisalLine
from storage.appraisal import ledger_lines as appraisal_lines
from storage.meeting_counts import counts_of, facts_of, inquorate
from storage.meetings import MemberAttendance, day_bounds, member_attendance
from storage.models import (
    Attendance,
    Meeting,
    MeetingCount,
    MeetingFile,
    Membership,
    PartyGroup,
    PartyOrganization,
    Person,
)
from storage.talks import TalkLine, talks_in

# ---------------------------------------------------------------------------------------------
# Report periods
# ---------------------------------------------------------------------------------------------

# m: this month, q/tq: this quarter, y/ty: this year, lq: last quarter, ly: last year.
PERIOD_CODES = frozenset({"m", "q", "y", "tq", "lq", "ty", "ly"})


@dataclass(frozen=True)
class ReportPeriod:
    """Local calendar days first..last (inclusive) a report covers."""

    code: str
    unit: Period
    first: date
    last: date

    @property
    def label(self) -> str:
        """"2026-11", "2026-Q3" or "2026"."""
        return rules.period_label(self.first, self.unit)


def report_period(code: str, today: date) -> ReportPeriod:
    """The period a code stands for, seen from `today` (a local date); ValueError if unknown."""
    if code == "m":
        unit, day = Period.MONTH, today
    elif code in ("q", "tq"):
        unit, day = Period.QUARTER, today
    elif code in ("y", "ty"):
        unit, day = Period.YEAR, today
    elif code == "lq":
        unit = Period.QUARTER
        day = rules.period_of(today, Period.QUARTER)[0] - timedelta(days=1)
    elif code == "ly":
        unit, day = Period.YEAR, date(today.year - 1, 1, 1)
    else:
        raise ValueError(f"unknown period code {code!r}")
    first, last = rules.period_of(day, unit)
    return ReportPeriod(code, unit, first, last)


def _local(value: datetime, tz: tzinfo) -> datetime:
    return value.astimezone(tz)


# ---------------------------------------------------------------------------------------------
# Compliance
# ---------------------------------------------------------------------------------------------

_CLOSED = Meeting.state == MeetingState.CLOSED
_FIELD, _LINE = "\x1f", "\x1e"  # unit and record separators: never in names or reasons

# The verdict of one kind (for 党小组会: one group) over the periods of a report.
KindCompliance = KindVerdict


@dataclass(frozen=True)
class ComplianceReport:
    period: ReportPeriod
    kinds: tuple[KindCompliance, ...]
    members: tuple[MemberAttendance, ...]
    inquorate_counts: bool = False  # whether committee meetings without quorum counted
    created_on: date | None = None  # periods starting before it are not judged


async def verdicts_of(
    session: AsyncSession,
    org_id: int,
    periods: Spans,
    *,
    tz: tzinfo,
    requirements: Mapping[MeetingKind, Requirement],
    today: date,
    inquorate_counts: bool = False,
) -> tuple[BranchFacts | None, list[KindCompliance]]:
    """The organization's facts and the verdict on its meetings over `periods`
    (rules.verdicts), from the kept counts: four small queries whatever the number of
    meetings."""
    facts = (await facts_of(session, [PartyOrganization.id == org_id], tz)).get(org_id)
    if facts is None:
        return None, []
    spans = [span for unit_spans in periods.values() for span in unit_spans]
    if not spans:
        return facts, judge_branch({}, requirements, facts, periods, today=today,
                                   inquorate_counts=inquorate_counts)
    first = min(f for f, _ in spans)
    last = max(last for _, last in spans)
    counts = await counts_of(
        session, [MeetingCount.party_organization_id == org_id],
        since=dict.fromkeys(requirements, first), until=last,
    )
    return facts, judge_branch(counts.get(org_id, {}), requirements, facts, periods,
                               today=today, inquorate_counts=inquorate_counts)


async def compliance_report(
    session: AsyncSession,
    org_id: int,
    period: ReportPeriod,
    *,
    tz: tzinfo,
    requirements: Mapping[MeetingKind, Requirement],
    today: date,
    inquorate_counts: bool = False,
) -> ComplianceReport:
    """Held vs required per kind over every month, quarter and year overlapping the period
    (rules.verdicts.judge_branch), and each member's attendance over the period."""
    # Requirements are counted over whole months, quarters or years.
    facts, kinds = await verdicts_of(
        session, org_id, report_periods(period.first, period.last), tz=tz,
        requirements=requirements, today=today, inquorate_counts=inquorate_counts,
    )
    start, end = day_bounds(period.first, period.last, tz)
    # Guests (activists) are not counted in 应到: only people with an expected line are listed.
    members = [m for m in await member_attendance(session, org_id, start, end) if m.expected]
    members.sort(key=lambda m: (m.name, m.membership_id))
    return ComplianceReport(
        period=period,
        kinds=tuple(kinds),
        members=tuple(members),
        inquorate_counts=inquorate_counts,
        created_on=facts.created_on if facts else None,
    )


# ---------------------------------------------------------------------------------------------
# The ledger: closed meetings with their counts and names
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerMeeting:
    """One closed meeting's line in the ledger; times are local."""

    id: int
    kind: MeetingKind
    starts_at: datetime
    ends_at: datetime
    topic: str
    place: str | None
    online_url: str | None
    host: str | None
    recorder: str | None
    lecturer: str | None
    group_name: str | None
    minutes: str | None
    expected: int = 0
    present: int = 0
    on_leave: int = 0
    absent: int = 0
    attachments: int = 0
    leave: list[tuple[str, str | None]] = field(default_factory=list)  # name, reason
    absentees: list[tuple[str, bool]] = field(default_factory=list)  # name, caught up (补学)
    guests: list[str] = field(default_factory=list)  # activists who attended (列席)
    entered_afterwards: bool = False  # recorded later by a secretary (storage/past_meetings.py)

    @property
    def quorate(self) -> bool | None:
        """For a committee meeting: more than half of the committee present; else None."""
        if self.kind is not MeetingKind.COMMITTEE:
            return None
        return not inquorate(self.kind, self.present, self.expected)


@dataclass(frozen=True)
class CancelledMeeting:
    id: int
    kind: MeetingKind
    starts_at: datetime  # local
    topic: str
    reason: str | None


@dataclass(frozen=True)
class LedgerMove:
    """A transfer letter to or from the branch issued in the period (组织关系转接)."""

    issued_on: date  # local
    number: str
    name: str
    arrived: bool  # into the branch (else out of it)
    from_org: str
    to_org: str
    state: TransferState


@dataclass(frozen=True)
class LedgerData:
    org_name: str
    period: ReportPeriod
    generated_at: datetime  # local
    meetings: list[LedgerMeeting]
    cancelled: list[CancelledMeeting]
    compliance: ComplianceReport
    moves: list[LedgerMove] = field(default_factory=list)
    talks: list[TalkLine] = field(default_factory=list)  # one-to-one talks, by date
    # The democratic appraisal's results of the period's years, by year and name.
    appraisals: list[AppraisalLine] = field(default_factory=list)


def _in_period(org_id: int, start: datetime, end: datetime) -> list[Any]:
    return [
        Meeting.party_organization_id == org_id,
        Meeting.starts_at >= start,
        Meeting.starts_at < end,
    ]


def _count(*statuses: AttendanceStatus) -> Any:
    return func.sum(case((Attendance.status.in_(statuses), 1), else_=0))


async def ledger_data(
    session: AsyncSession,
    org_id: int,
    org_name: str,
    period: ReportPeriod,
    *,
    tz: tzinfo,
    requirements: Mapping[MeetingKind, Requirement],
    today: date,
    now: datetime,
    inquorate_counts: bool = False,
) -> LedgerData:
    """Everything the workbook and the chart show; 9 queries whatever the number of meetings.
    `now` (the bot's clock) stamps it as generated."""
    start, end = day_bounds(period.first, period.last, tz)
    where = _in_period(org_id, start, end)
    meeting_rows = await session.execute(
        select(
            Meeting.id, Meeting.kind, Meeting.starts_at, Meeting.ends_at, Meeting.topic,
            Meeting.place, Meeting.online_url, Meeting.host, Meeting.recorder, Meeting.lecturer,
            PartyGroup.name, Meeting.minutes, Meeting.entered_afterwards,
        )
        .outerjoin(PartyGroup, PartyGroup.id == Meeting.party_group_id)
        .where(*where, _CLOSED)
        .order_by(Meeting.starts_at, Meeting.id)
    )
    meetings = {
        row[0]: LedgerMeeting(
            id=row[0], kind=row[1], starts_at=_local(row[2], tz), ends_at=_local(row[3], tz),
            topic=row[4], place=row[5], online_url=row[6], host=row[7], recorder=row[8],
            lecturer=row[9], group_name=row[10], minutes=row[11],
            entered_afterwards=bool(row[12]),
        )
        for row in meeting_rows.all()
    }

    counted = Attendance.status.not_in((AttendanceStatus.GUEST, AttendanceStatus.GUEST_PRESENT))
    count_rows = await session.execute(
        select(
            Attendance.meeting_id,
            func.sum(case((counted, 1), else_=0)),
            _count(AttendanceStatus.PRESENT),
            _count(AttendanceStatus.ON_LEAVE),
            _count(AttendanceStatus.ABSENT),
        )
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(*where, _CLOSED)
        .group_by(Attendance.meeting_id)
    )
    counts = {mid: (int(e or 0), int(p or 0), int(lv or 0), int(ab or 0))
              for mid, e, p, lv, ab in count_rows.all()}

    # Names only where the ledger lists names: leave (with reason), absent, guests present.
    # Joined into one string per meeting and status in SQL: a branch absent for years would
    # otherwise send a row per person per meeting. Names and reasons hold no control
    # characters (rules/validation.py), so two of them can separate the fields.
    line = (
        func.coalesce(Person.real_name, cast(Person.telegram_id, String)) + _FIELD
        + func.coalesce(Attendance.leave_reason, "") + _FIELD
        + case((Attendance.makeup_done_at.is_(None), "0"), else_="1")
    )
    name_rows = await session.execute(
        select(Attendance.meeting_id, Attendance.status, func.aggregate_strings(line, _LINE))
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Membership, Membership.id == Attendance.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            *where, _CLOSED,
            Attendance.status.in_(
                (AttendanceStatus.ON_LEAVE, AttendanceStatus.ABSENT, AttendanceStatus.GUEST_PRESENT)
            ),
        )
        .group_by(Attendance.meeting_id, Attendance.status)
    )
    names: dict[int, list[tuple[AttendanceStatus, str, str | None, bool]]] = {}
    for mid, status, joined in name_rows.all():
        for name, reason, makeup in sorted(
            text.split(_FIELD) for text in joined.split(_LINE)
        ):
            names.setdefault(mid, []).append((status, name, reason or None, makeup == "1"))

    file_rows = await session.execute(
        select(MeetingFile.meeting_id, func.count())
        .join(Meeting, Meeting.id == MeetingFile.meeting_id)
        .where(*where, _CLOSED)
        .group_by(MeetingFile.meeting_id)
    )
    files = {mid: int(n) for mid, n in file_rows.all()}

    result: list[LedgerMeeting] = []
    for mid, base in meetings.items():
        expected, present, on_leave, absent = counts.get(mid, (0, 0, 0, 0))
        lines = names.get(mid, [])
        result.append(
            replace(
                base, expected=expected, present=present, on_leave=on_leave, absent=absent,
                attachments=files.get(mid, 0),
                leave=[(n, r) for s, n, r, _ in lines if s is AttendanceStatus.ON_LEAVE],
                absentees=[(n, m) for s, n, _, m in lines if s is AttendanceStatus.ABSENT],
                guests=[n for s, n, _, _ in lines if s is AttendanceStatus.GUEST_PRESENT],
            )
        )

    cancelled_rows = await session.execute(
        select(Meeting.id, Meeting.kind, Meeting.starts_at, Meeting.topic, Meeting.cancelled_reason)
        .where(*where, Meeting.state == MeetingState.CANCELLED)
        .order_by(Meeting.starts_at, Meeting.id)
    )
    cancelled = [
        CancelledMeeting(mid, kind, _local(starts, tz), topic, reason)
        for mid, kind, starts, topic, reason in cancelled_rows.all()
    ]
    report = await compliance_report(
        session, org_id, period, tz=tz, requirements=requirements, today=today,
        inquorate_counts=inquorate_counts,
    )
    moves = [
        LedgerMove(letter.issued_at.astimezone(tz).date(), letter.number or "", letter.name,
                   letter.to_org_id == org_id, letter.from_org or letter.outside or "",
                   letter.to_org or letter.outside or "", letter.state)
        for letter in reversed(await transfers.letters(session, org_id=org_id))
        if start <= letter.issued_at < end
    ]
    return LedgerData(
        org_name=org_name,
        period=period,
        generated_at=now.astimezone(tz),
        meetings=result,
        cancelled=cancelled,
        compliance=report,
        moves=moves,
        talks=list(reversed(await talks_in(session, org_id, period.first, period.last))),
        appraisals=await appraisal_lines(session, org_id, period.first.year, period.last.year),
    )


def monthly_rates(data: LedgerData, today: date) -> list[tuple[str, float | None, int]]:
    """(month "2026-07", 实到/应到 over the month's closed meetings or None, meetings held)
    for each month of the period up to today's month."""
    sums: dict[tuple[int, int], list[int]] = {}
    for m in data.meetings:
        key = (m.starts_at.year, m.starts_at.month)
        total = sums.setdefault(key, [0, 0, 0])
        total[0] += m.present
        total[1] += m.expected
        total[2] += 1
    result: list[tuple[str, float | None, int]] = []
    last = min(data.period.last, max(today, data.period.first))
    year, month = data.period.first.year, data.period.first.month
    while (year, month) <= (last.year, last.month):
        present, expected, held = sums.get((year, month), [0, 0, 0])
        result.append((f"{year:04d}-{month:02d}", rules.attendance_rate(present, expected), held))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


# ---------------------------------------------------------------------------------------------
# One member's own record
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordLine:
    meeting_id: int
    kind: MeetingKind
    starts_at: datetime  # local
    topic: str
    status: AttendanceStatus
    caught_up: bool  # 补学 confirmed (only meaningful when absent)
    entered_afterwards: bool = False  # the meeting was recorded later by a secretary


async def member_record(
    session: AsyncSession, membership_id: int, first: date, last: date, tz: tzinfo
) -> list[RecordLine]:
    """A member's lines in closed meetings of the local days first..last, oldest first."""
    start, end = day_bounds(first, last, tz)
    rows = await session.execute(
        select(
            Meeting.id, Meeting.kind, Meeting.starts_at, Meeting.topic, Attendance.status,
            Attendance.makeup_done_at, Meeting.entered_afterwards,
        )
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(
            Attendance.membership_id == membership_id,
            _CLOSED,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return [
        RecordLine(mid, kind, _local(starts, tz), topic, status, makeup is not None,
                   bool(afterwards))
        for mid, kind, starts, topic, status, makeup, afterwards in rows.all()
    ]


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


__all__ = [
    "PERIOD_CODES",
    "CancelledMeeting",
    "ComplianceReport",
    "KindCompliance",
    "LedgerData",
    "LedgerMeeting",
    "RecordLine",
    "ReportPeriod",
    "compliance_report",
    "ledger_data",
    "member_record",
    "monthly_rates",
    "report_period",
    "verdicts_of",
    "year_bounds",
]
