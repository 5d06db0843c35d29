"""Reporting duties (述职, 年检, 分类定级, 党费 ...) as data, and their recurrence arithmetic.

A `DutyTemplate` says what is due, how often, on which day, whom to remind and how many days
ahead. The functions turn a template into due dates, occurrence keys ("2026-03", "2026-Q1",
"2026") and reminder dates. Deadlines that fall on a rest day move to the next working day
(see `deadline`). Plain functions: storage/duties.py stores duties and what was done,
reminders/duties.py turns reminder dates into the planner's Dues.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from rules.workdays import WorkCalendar, next_working_day, previous_working_day

__all__ = [
    "DEFAULT_DUES_DAY",
    "DEFAULT_DUTIES",
    "OVERDUE_HISTORY",
    "Audience",
    "DutyOccurrence",
    "DutyTemplate",
    "LeadReminder",
    "Recurrence",
    "deadline",
    "due_date",
    "dues_duty",
    "next_occurrence",
    "occurrence_key",
    "occurrences",
    "overdue_week",
    "reminder_dates",
]


class Recurrence(StrEnum):
    """How often a duty comes back."""

    ONCE = "once"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class Audience(StrEnum):
    """Who is reminded of a duty."""

    SECRETARIES = "secretaries"  # 书记 and committee of the branch
    ADMINS = "admins"  # 上级党组织 / 综合党委 / 指导员
    MEMBERS = "members"  # every member of the branch


@dataclass(frozen=True)
class DutyTemplate:
    """A recurring (or one-off) reporting duty.

    `day` is the day of the month, clamped to short months (31 = the last day). `month` is
    the month for YEARLY (1..12), the month within the quarter for QUARTERLY (1..3), unused
    otherwise. ONCE duties give the date in `on` instead. `lead_days` are the reminders, in
    days before the deadline (0 = on the day).
    """

    code: str
    recurrence: Recurrence
    day: int = 1
    month: int | None = None
    on: date | None = None
    lead_days: tuple[int, ...] = (7, 1)
    audience: frozenset[Audience] = field(
        default_factory=lambda: frozenset({Audience.SECRETARIES})
    )
    source: str = ""

    def __post_init__(self) -> None:
        # Accept plain strings from configuration; store the enums.
        object.__setattr__(self, "recurrence", Recurrence(self.recurrence))
        object.__setattr__(self, "audience", frozenset(Audience(a) for a in self.audience))
        object.__setattr__(self, "lead_days", tuple(self.lead_days))
        if not self.code or not self.code.isascii() or not self.code.isidentifier():
            raise ValueError(f"code must be an ASCII identifier, got {self.code!r}")
        if not 1 <= self.day <= 31:
            raise ValueError(f"{self.code}: day must be 1..31, got {self.day}")
        limits = {Recurrence.YEARLY: 12, Recurrence.QUARTERLY: 3}
        if self.recurrence in limits:
            top = limits[self.recurrence]
            if self.month is None or not 1 <= self.month <= top:
                raise ValueError(f"{self.code}: month must be 1..{top}, got {self.month}")
        elif self.month is not None:
            raise ValueError(f"{self.code}: month is only for yearly and quarterly duties")
        if (self.recurrence is Recurrence.ONCE) != (self.on is not None):
            raise ValueError(f"{self.code}: `on` is required for once and only for once")
        if any(lead < 0 for lead in self.lead_days) or len(set(self.lead_days)) != len(
            self.lead_days
        ):
            raise ValueError(f"{self.code}: lead_days must be distinct and >= 0")
        if not self.audience:
            raise ValueError(f"{self.code}: audience must not be empty")


class DutyOccurrence(NamedTuple):
    """One occurrence of a duty: its key, the nominal due date and the effective deadline
    (approximate when a year involved has no official holiday schedule: rules/workdays.py)."""

    key: str
    due_on: date
    deadline: date
    approximate: bool = False


class LeadReminder(NamedTuple):
    """A reminder `lead_days` before the deadline, sent on local date `on`."""

    lead_days: int
    on: date


# ---------------------------------------------------------------------------------------------
# The default calendar (DOMAIN.md "Renewals and reporting duties")
# ---------------------------------------------------------------------------------------------

# An open occurrence missed longer ago than this is history: no longer shown or reminded.
OVERDUE_HISTORY = timedelta(days=3 * 366)

# Branch's fixed collection day; the 10th is a placeholder the branch overrides.
DEFAULT_DUES_DAY = 10
_ANNUAL_LEADS = (30, 14, 7, 1)
_SECRETARIES_AND_ADMINS = frozenset({Audience.SECRETARIES, Audience.ADMINS})


def dues_duty(collection_day: int = DEFAULT_DUES_DAY, *, quarterly: bool = False) -> DutyTemplate:
    """Party dues on the branch's collection day, monthly (or quarterly, first month)."""
    return DutyTemplate(
        code="dues",
        recurrence=Recurrence.QUARTERLY if quarterly else Recurrence.MONTHLY,
        day=collection_day,
        month=1 if quarterly else None,
        lead_days=(3, 0),
        audience=frozenset({Audience.MEMBERS}),
        # seed 003 §4(二) 按时交纳党费; public rule: 党费收缴、使用和管理的规定 (2008), monthly,
        # quarterly with the branch's consent.
        source="seed 003 §4(二); 关于中国共产党党费收缴、使用和管理的规定 (2008)",
    )


_DEFAULTS: tuple[DutyTemplate, ...] = (
    # seed 000 art. 25; seed 002 §18 (双述双评): the secretary reports every year and is
    # appraised. 31 January: the report covers the calendar year just ended, county-level
    # 述职评议考核 usually runs in January–February, and it is then done before the 年检
    # checklist (31 March) asks about it. The key is the due date's year ("2027" for 2026).
    DutyTemplate(
        code="secretary_report",
        recurrence=Recurrence.YEARLY,
        month=1,
        day=31,
        lead_days=_ANNUAL_LEADS,
        audience=_SECRETARIES_AND_ADMINS,
        source="seed 000 art. 25; seed 002 §18",
    ),
    # seed 000 art. 9(二), seed 001 三个同步: the 年检 includes the party-building checklist
    # (党建工作年检清单 / 党建情况年报表). Public rule (社会团体登记管理条例, annual notices):
    # to the supervising unit (业务主管单位) by 31 March ...
    DutyTemplate(
        code="inspection_supervisor",
        recurrence=Recurrence.YEARLY,
        month=3,
        day=31,
        lead_days=_ANNUAL_LEADS,
        audience=_SECRETARIES_AND_ADMINS,
        source="seed 000 art. 9(二); seed 001; 社会团体登记管理条例",
    ),
    # ... and to the registration authority (登记管理机关) by 31 May.
    DutyTemplate(
        code="inspection_registration",
        recurrence=Recurrence.YEARLY,
        month=5,
        day=31,
        lead_days=_ANNUAL_LEADS,
        audience=_SECRETARIES_AND_ADMINS,
        source="seed 000 art. 9(二); seed 001; 社会团体登记管理条例",
    ),
    # 党员教育管理工作条例 2019 arts. 16-18: 组织生活会 at least yearly, 民主评议党员 generally
    # yearly and often combined with it, so one duty. By 31 December to match the calendar-year
    # compliance of rules/meetings.py; branches that hold the 年度 meeting in January–February
    # for the year before should move this date and read compliance accordingly.
    DutyTemplate(
        code="org_life_and_appraisal",
        recurrence=Recurrence.YEARLY,
        month=12,
        day=31,
        lead_days=_ANNUAL_LEADS,
        audience=frozenset({Audience.SECRETARIES}),
        source="党员教育管理工作条例 (2019) arts. 16-18",
    ),
    # seed 002 §10: the county level assesses and grades every party organization each year
    # (分类定级) and reviews the two coverages. No national date: 30 November, so the grade is
    # known before the year-end 组织生活会 and the January 述职; the upper level overrides it.
    DutyTemplate(
        code="classification_grading",
        recurrence=Recurrence.YEARLY,
        month=11,
        day=30,
        lead_days=_ANNUAL_LEADS,
        audience=_SECRETARIES_AND_ADMINS,
        source="seed 002 §10",
    ),
    dues_duty(),
)
DEFAULT_DUTIES: Mapping[str, DutyTemplate] = MappingProxyType({d.code: d for d in _DEFAULTS})


# ---------------------------------------------------------------------------------------------
# Recurrence arithmetic
# ---------------------------------------------------------------------------------------------


def _clamped(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def due_date(template: DutyTemplate, in_period_of: date) -> date:
    """The nominal due date of the occurrence whose period (month/quarter/year) holds the day."""
    if template.recurrence is Recurrence.ONCE:
        assert template.on is not None  # checked in DutyTemplate.__post_init__
        return template.on
    year = in_period_of.year
    if template.recurrence is Recurrence.MONTHLY:
        return _clamped(year, in_period_of.month, template.day)
    assert template.month is not None  # checked in DutyTemplate.__post_init__
    if template.recurrence is Recurrence.QUARTERLY:
        first_month = 3 * ((in_period_of.month - 1) // 3) + 1
        return _clamped(year, first_month + template.month - 1, template.day)
    return _clamped(year, template.month, template.day)


def occurrence_key(template: DutyTemplate, due_on: date) -> str:
    """"2026-03" (monthly), "2026-Q1" (quarterly), "2026" (yearly), "2026-07-10" (once)."""
    if template.recurrence is Recurrence.MONTHLY:
        return f"{due_on.year:04d}-{due_on.month:02d}"
    if template.recurrence is Recurrence.QUARTERLY:
        return f"{due_on.year:04d}-Q{(due_on.month - 1) // 3 + 1}"
    if template.recurrence is Recurrence.YEARLY:
        return f"{due_on.year:04d}"
    return due_on.isoformat()


def deadline(due_on: date, *, move: bool = True, cal: WorkCalendar | None = None) -> date:
    """The effective deadline: a due date on a rest day moves to the next working day.

    民法典 art. 203 (public rule): when the last day of a period is a statutory rest day, the
    day after the rest ends is the last day; administrative deadlines follow the same practice.
    """
    return next_working_day(due_on, inclusive=True, cal=cal) if move else due_on


def _occurrence(
    template: DutyTemplate, due_on: date, move: bool, cal: WorkCalendar | None
) -> DutyOccurrence:
    effective = deadline(due_on, move=move, cal=cal)
    approximate = move and (cal or WorkCalendar()).approximate(due_on, effective)
    return DutyOccurrence(occurrence_key(template, due_on), due_on, effective, approximate)


def _period_starts(template: DutyTemplate, start: date, end: date) -> Iterable[date]:
    if template.recurrence is Recurrence.ONCE:
        yield start
        return
    step = {Recurrence.MONTHLY: 1, Recurrence.QUARTERLY: 3, Recurrence.YEARLY: 12}
    months = step[template.recurrence]
    index = start.year * 12 + start.month - 1
    index -= index % months  # back to the first month of the period holding start
    while True:
        year, month = divmod(index, 12)
        if date(year, month + 1, 1) > end:
            return
        yield date(year, month + 1, 1)
        index += months


def occurrences(
    template: DutyTemplate, start: date, end: date, *, move: bool = True,
    cal: WorkCalendar | None = None,
) -> list[DutyOccurrence]:
    """Every occurrence whose nominal due date lies in [start, end], in order."""
    result = []
    for first in _period_starts(template, start, end):
        due_on = due_date(template, first)
        if start <= due_on <= end:
            result.append(_occurrence(template, due_on, move, cal))
    return result


def next_occurrence(
    template: DutyTemplate, after: date, *, inclusive: bool = False, move: bool = True,
    cal: WorkCalendar | None = None,
) -> DutyOccurrence | None:
    """The first occurrence due strictly after `after` (or on it if inclusive); None if none."""
    first = after if inclusive else after + timedelta(days=1)
    found = occurrences(template, first, first + timedelta(days=366), move=move, cal=cal)
    if found:
        return found[0]
    return None


def reminder_dates(
    due_on: date,
    lead_days: Iterable[int],
    *,
    move: bool = True,
    working_days_only: bool = False,
    cal: WorkCalendar | None = None,
) -> list[LeadReminder]:
    """When to remind of a deadline: `lead` days before it (moved if `move`), in date order.

    With working_days_only a reminder on a rest day comes on the working day before (earlier,
    so the lead is never cut short).
    """
    effective = deadline(due_on, move=move, cal=cal)
    result = []
    for lead in lead_days:
        if lead < 0:
            raise ValueError(f"lead days must not be negative, got {lead}")
        on = effective - timedelta(days=lead)
        if working_days_only:
            on = previous_working_day(on, inclusive=True, cal=cal)
        result.append(LeadReminder(lead, on))
    return sorted(result, key=lambda r: (r.on, -r.lead_days))


def overdue_week(deadline_on: date, on: date) -> int | None:
    """n when `on` is exactly n >= 1 weeks after a missed deadline: the weekly overdue reminder."""
    late = (on - deadline_on).days
    return late // 7 if late > 0 and late % 7 == 0 else None
