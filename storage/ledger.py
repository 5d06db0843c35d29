"""The ledger (台账): compliance per period, the .xlsx workbook, the monthly chart, .ics files.

Queries aggregate in SQL (a fixed number of statements per report, never one per meeting or
per member), so a branch with years of meetings is reported on in well under a second.
Builders (workbook, chart, calendar) are plain functions over plain values: the handlers run
them in a worker thread and pass in every text already translated. No Telegram here.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import String, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules import meetings as rules
from rules.meetings import Period, Requirement
from rules.verdicts import BranchFacts, KindVerdict, Spans, judge_branch, report_periods
from rules.vocabulary import AttendanceStatus, MeetingKind, MeetingState
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

logger = logging.getLogger(__name__)

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


def local_today(tz: tzinfo) -> date:
    return datetime.now(UTC).astimezone(tz).date()


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
class LedgerData:
    org_name: str
    period: ReportPeriod
    generated_at: datetime  # local
    meetings: list[LedgerMeeting]
    cancelled: list[CancelledMeeting]
    compliance: ComplianceReport


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
    inquorate_counts: bool = False,
) -> LedgerData:
    """Everything the workbook and the chart show; 8 queries whatever the number of meetings."""
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
    return LedgerData(
        org_name=org_name,
        period=period,
        generated_at=datetime.now(UTC).astimezone(tz),
        meetings=result,
        cancelled=cancelled,
        compliance=report,
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


# ---------------------------------------------------------------------------------------------
# Workbook (openpyxl)
# ---------------------------------------------------------------------------------------------

# Keys of the texts build_workbook needs (the handler passes them translated).
WORKBOOK_TEXTS = (
    "summary", "title", "organization", "period", "generated", "compliance_title",
    "members_title", "cancelled_title", "none", "date", "time", "place", "topic", "host",
    "recorder", "lecturer", "group", "expected", "present", "on_leave", "absent", "leave_names",
    "absent_names", "guests", "minutes", "attachments", "kind", "required", "held", "status",
    "name", "rate", "reason", "caught_up", "met", "due", "missing", "not_required", "no_groups",
    "no_committee", "before_creation", "inquorate", "quorum", "yes", "no", "entered_afterwards",
)
_MAX_CELL = 32_000  # Excel's limit is 32,767 characters
_SHEET_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")


def _clean(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def _put(ws: Any, row: int, column: int, value: object, *, number_format: str | None = None) -> Any:
    """Write one cell; text is always text (a topic starting with '=' is not a formula)."""
    cell = ws.cell(row=row, column=column)
    if value == "":
        return cell  # left empty
    if isinstance(value, str):
        cell.value = _clean(value)
        cell.data_type = "s"
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
    return cell


def _header(ws: Any, row: int, labels: Sequence[str], widths: Sequence[int] | None = None) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    fill = PatternFill("solid", fgColor="DDE4EE")
    for column, label in enumerate(labels, start=1):
        cell = _put(ws, row, column, label)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if widths:
            from openpyxl.utils import get_column_letter

            letter = get_column_letter(column)
            ws.column_dimensions[letter].width = max(
                ws.column_dimensions[letter].width or 0, widths[column - 1]
            )


def _sheet_title(label: str, taken: set[str]) -> str:
    title = _SHEET_FORBIDDEN.sub(" ", label).strip()[:31] or "Sheet"
    base, n = title, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(title.lower())
    return title


def _join(items: Sequence[str]) -> str:
    return "; ".join(items)


def build_workbook(
    data: LedgerData, texts: Mapping[str, str], kind_labels: Mapping[MeetingKind, str]
) -> bytes:
    """The .xlsx: a summary sheet, then one sheet per kind with closed meetings."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    missing = [k for k in WORKBOOK_TEXTS if k not in texts]
    if missing:
        raise ValueError(f"texts missing: {missing}")
    wrap = Alignment(wrap_text=True, vertical="top")
    workbook = Workbook()
    summary = workbook.active
    taken: set[str] = set()
    summary.title = _sheet_title(texts["summary"], taken)
    period = data.period

    # Summary: heading, compliance per kind, attendance per member, cancelled meetings.
    _put(summary, 1, 1, texts["title"]).font = Font(bold=True, size=14)
    _put(summary, 2, 1, texts["organization"])
    _put(summary, 2, 2, data.org_name)
    _put(summary, 3, 1, texts["period"])
    _put(summary, 3, 2, f"{period.label} ({period.first.isoformat()} – {period.last.isoformat()})")
    _put(summary, 4, 1, texts["generated"])
    _put(summary, 4, 2, data.generated_at.strftime("%Y-%m-%d %H:%M"))
    row = 6
    _put(summary, row, 1, texts["compliance_title"]).font = Font(bold=True, size=12)
    row += 1
    _header(summary, row, [texts["kind"], texts["group"], texts["period"], texts["required"],
                           texts["held"], texts["inquorate"], texts["status"]],
            [28, 18, 14, 10, 10, 12, 16])
    for item in data.compliance.kinds:
        label = kind_labels.get(item.kind, item.kind.value)
        if item.not_applicable:
            row += 1
            for column, value in enumerate(
                [label, item.group_name or "", "", item.requirement.minimum, "", "",
                 texts[item.not_applicable]], start=1
            ):
                _put(summary, row, column, value)
            continue
        for compliance_row in item.rows:
            row += 1
            cells: list[object] = [
                label, item.group_name or "", compliance_row.period_label,
                compliance_row.required, compliance_row.held,
                compliance_row.inquorate if item.kind is MeetingKind.COMMITTEE else "",
                texts[compliance_row.status],
            ]
            for column, value in enumerate(cells, start=1):
                _put(summary, row, column, value)

    row += 2
    _put(summary, row, 1, texts["members_title"]).font = Font(bold=True, size=12)
    row += 1
    _header(summary, row, [texts["name"], texts["expected"], texts["present"], texts["on_leave"],
                           texts["absent"], texts["rate"]])
    for member in data.compliance.members:
        row += 1
        for column, value in enumerate(
            [member.name, member.expected, member.present, member.on_leave, member.absent],
            start=1,
        ):
            _put(summary, row, column, value)
        if member.rate is not None:
            _put(summary, row, 6, member.rate, number_format="0.0%")
    if not data.compliance.members:
        row += 1
        _put(summary, row, 1, texts["none"])

    row += 2
    _put(summary, row, 1, texts["cancelled_title"]).font = Font(bold=True, size=12)
    row += 1
    _header(summary, row, [texts["date"], texts["time"], texts["kind"], texts["topic"],
                           texts["reason"]])
    for gone in data.cancelled:
        row += 1
        _put(summary, row, 1, gone.starts_at.date(), number_format="yyyy-mm-dd")
        _put(summary, row, 2, gone.starts_at.strftime("%H:%M"))
        _put(summary, row, 3, kind_labels.get(gone.kind, gone.kind.value))
        _put(summary, row, 4, gone.topic)
        _put(summary, row, 5, gone.reason or "")
    if not data.cancelled:
        row += 1
        _put(summary, row, 1, texts["none"])

    # One sheet per kind that has closed meetings, in MeetingKind order.
    for kind in MeetingKind:
        rows = [m for m in data.meetings if m.kind is kind]
        if not rows:
            continue
        sheet = workbook.create_sheet(_sheet_title(kind_labels.get(kind, kind.value), taken))
        columns: list[tuple[str, int]] = [
            ("date", 12), ("time", 13), ("place", 22), ("topic", 30), ("host", 12),
            ("recorder", 12),
        ]
        if kind is MeetingKind.GROUP:
            columns.append(("group", 14))
        if kind is MeetingKind.LESSON:
            columns.append(("lecturer", 12))
        columns += [
            ("expected", 8), ("present", 8), ("on_leave", 8), ("absent", 8),
            *([("quorum", 10)] if kind is MeetingKind.COMMITTEE else []),
            ("leave_names", 28), ("absent_names", 24), ("guests", 18), ("minutes", 50),
            ("attachments", 10), ("entered_afterwards", 12),
        ]
        _header(sheet, 1, [texts[key] for key, _ in columns], [w for _, w in columns])
        sheet.freeze_panes = "A2"
        for line, meeting in enumerate(rows, start=2):
            values: dict[str, object] = {
                "date": meeting.starts_at.date(),
                "time": f"{meeting.starts_at:%H:%M}–{meeting.ends_at:%H:%M}",
                "place": meeting.place or meeting.online_url or "",
                "topic": meeting.topic,
                "host": meeting.host or "",
                "recorder": meeting.recorder or "",
                "group": meeting.group_name or "",
                "lecturer": meeting.lecturer or "",
                "expected": meeting.expected,
                "present": meeting.present,
                "on_leave": meeting.on_leave,
                "absent": meeting.absent,
                "quorum": texts["yes"] if meeting.quorate else texts["no"],
                "leave_names": _join(
                    [f"{name} ({reason})" if reason else name for name, reason in meeting.leave]
                ),
                "absent_names": _join(
                    [texts["caught_up"].format(name=name) if done else name
                     for name, done in meeting.absentees]
                ),
                "guests": _join(meeting.guests),
                "minutes": meeting.minutes or "",
                "attachments": meeting.attachments,
                "entered_afterwards": texts["yes"] if meeting.entered_afterwards else "",
            }
            for column, (key, _) in enumerate(columns, start=1):
                cell = _put(sheet, line, column, values[key],
                            number_format="yyyy-mm-dd" if key == "date" else None)
                if key in ("minutes", "leave_names", "absent_names", "guests", "topic"):
                    cell.alignment = wrap
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Chart (matplotlib, Agg, no pyplot: safe in a worker thread)
# ---------------------------------------------------------------------------------------------

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
)
# Where Debian's fonts-noto-cjk (installed by scripts/lib.sh) and fonts-wqy-* put their files.
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


@cache
def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, or None (then label in English)."""
    try:
        from matplotlib import font_manager

        installed = {entry.name for entry in font_manager.fontManager.ttflist}
    except Exception:  # a broken font cache must not break the export
        logger.exception("could not list fonts")
        return None
    found = _known_cjk_font(installed)
    if found is None:
        # matplotlib's font cache predates a font installed later: add the files themselves.
        for path in CJK_FONT_FILES:
            if Path(path).is_file():
                try:
                    font_manager.fontManager.addfont(path)
                except Exception:
                    logger.exception("could not load a font file")
        found = _known_cjk_font({entry.name for entry in font_manager.fontManager.ttflist})
    return found


def _known_cjk_font(installed: set[str]) -> str | None:
    for name in CJK_FONTS:
        if name in installed:
            return name
    for name in sorted(installed):
        if "WenQuanYi" in name or "CJK SC" in name:
            return name
    return None


def chart_png(
    points: Sequence[tuple[str, float | None, int]],
    *,
    title: str,
    ylabel: str,
    overall: float | None,
    overall_label: str,
    font: str | None,
) -> bytes:
    """A bar chart of the attendance rate per month as PNG bytes (months without meetings
    are marked with a dash). Pass only ASCII text when `font` is None."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(family=[font, "DejaVu Sans"] if font else ["DejaVu Sans"])
    figure = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    labels = [label for label, _, _ in points]
    values = [(rate or 0.0) * 100 for _, rate, _ in points]
    positions = list(range(len(points)))
    bars = axes.bar(positions, values, color="#c0392b", width=0.6)
    for bar, (_, rate, _held) in zip(bars, points, strict=True):
        text = "–" if rate is None else f"{rate * 100:.0f}%"
        axes.text(
            bar.get_x() + bar.get_width() / 2, bar.get_height() + 1.5, text,
            ha="center", va="bottom", fontsize=10, fontproperties=prop,
        )
    if overall is not None:
        axes.axhline(
            overall * 100, color="#555555", linestyle="--", linewidth=1, label=overall_label
        )
        axes.legend(loc="upper left", prop=prop, frameon=False)
    axes.set_xticks(positions, labels, fontproperties=prop)
    if len(points) > 6:
        for tick in axes.get_xticklabels():
            tick.set_rotation(45)
            tick.set_horizontalalignment("right")
    axes.set_ylim(0, 120)
    axes.set_yticks([0, 20, 40, 60, 80, 100])
    axes.set_ylabel(ylabel, fontproperties=prop)
    axes.set_title(title, fontproperties=prop)
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Calendar file (RFC 5545)
# ---------------------------------------------------------------------------------------------


def meeting_ics(
    *,
    meeting_id: int,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    location: str | None,
    description: str,
    url: str | None,
    now: datetime,
) -> bytes:
    """One VEVENT with a stable UID, times in UTC: importing it again updates the entry."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//branchbot//meetings//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"meeting-{meeting_id}@branchbot")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", starts_at.astimezone(UTC))
    event.add("dtend", ends_at.astimezone(UTC))
    event.add("summary", summary)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    cal.add_component(event)
    return bytes(cal.to_ical())


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


__all__ = [
    "CJK_FONTS",
    "PERIOD_CODES",
    "WORKBOOK_TEXTS",
    "CancelledMeeting",
    "ComplianceReport",
    "KindCompliance",
    "LedgerData",
    "LedgerMeeting",
    "RecordLine",
    "ReportPeriod",
    "build_workbook",
    "chart_png",
    "cjk_font",
    "compliance_report",
    "ledger_data",
    "local_today",
    "meeting_ics",
    "member_record",
    "monthly_rates",
    "report_period",
    "verdicts_of",
    "year_bounds",
]
