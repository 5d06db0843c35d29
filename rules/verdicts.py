"""The verdict on a branch's meetings: were enough of each kind held in each period?

One function, judge_branch, for every view (chat /compliance, /overview, the dashboard, the
.xlsx ledger and the compliance reminders), fed with meeting counts per kind, 党小组 and
period from storage. No database here.

Rules encoded:
- Requirements per kind and period come from rules.meetings (configurable).
- A 支部委员会会议 needs more than half of the committee present (DOMAIN.md); an inquorate
  one counts toward the requirement only when the deployment says so.
- A branch of fewer than 7 full members elects a secretary and no committee (中国共产党支部
  工作条例（试行）2018 art. 9): it owes no committee meetings unless it records a committee,
  i.e. a deputy secretary or committee member besides the secretary.
- 党小组会 are judged for each 党小组; a branch without 党小组 owes none.
- A period is judged only when the branch existed on its first day (its creation date), and
  never before it starts; a running period is "due", an ended one "missing".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal, NamedTuple

from rules.meetings import (
    ComplianceStatus,
    Period,
    Requirement,
    period_label,
    period_of,
    periods_between,
)
from rules.vocabulary import MeetingKind

__all__ = [
    "COMMITTEE_MIN_FULL_MEMBERS",
    "BranchFacts",
    "CountKey",
    "HeldCount",
    "KindVerdict",
    "NotApplicable",
    "PeriodVerdict",
    "Spans",
    "has_committee",
    "judge_branch",
    "recent_periods",
    "report_periods",
]

# 支部工作条例（试行）2018 art. 9: 7 or more full members elect a branch committee (支委会).
COMMITTEE_MIN_FULL_MEMBERS = 7

# (kind, 党小组 id for 党小组会 else None, a day inside the period: usually a month's first day)
CountKey = tuple[MeetingKind, int | None, date]
Spans = Mapping[Period, Sequence[tuple[date, date]]]
NotApplicable = Literal["no_groups", "no_committee", "before_creation"]


class HeldCount(NamedTuple):
    """Closed meetings, and how many of them were committee meetings without quorum."""

    held: int = 0
    inquorate: int = 0


@dataclass(frozen=True)
class BranchFacts:
    """What the verdict needs to know about the branch itself."""

    created_on: date | None = None  # local date it was created; None: judge every period
    full_members: int = 0
    committee_members: int = 0  # deputies and committee members besides the secretary
    groups: tuple[tuple[int, str], ...] = ()  # (id, name) of its 党小组

    @property
    def has_committee(self) -> bool:
        return has_committee(self.full_members, self.committee_members)


def has_committee(full_members: int, committee_members: int) -> bool:
    """Whether a branch has a 支委会 that owes committee meetings: it records one (a deputy or
    committee member besides the secretary), or it has 7 or more full members (then it must
    have elected one; 支部工作条例 2018 art. 9)."""
    return committee_members > 0 or full_members >= COMMITTEE_MIN_FULL_MEMBERS


class PeriodVerdict(NamedTuple):
    """One period of one kind (for 党小组会: one group)."""

    kind: MeetingKind
    period_first_day: date
    period_label: str
    required: int
    held: int  # closed meetings, with or without quorum
    status: ComplianceStatus
    period_last_day: date
    inquorate: int = 0  # committee meetings without quorum among `held`
    counted: int = 0  # meetings counted toward `required`


_WORST = ("missing", "due", "met", "not_required")  # most serious first
_label = lru_cache(maxsize=4096)(period_label)  # the same few periods for every branch


class KindVerdict(NamedTuple):
    """The verdicts of one kind (for 党小组会: one group) over the periods judged (a tuple:
    the overview builds thousands)."""

    kind: MeetingKind
    requirement: Requirement
    rows: tuple[PeriodVerdict, ...]
    group_id: int | None = None
    group_name: str | None = None
    not_applicable: NotApplicable | None = None

    @property
    def no_groups(self) -> bool:
        return self.not_applicable == "no_groups"

    @property
    def no_committee(self) -> bool:
        return self.not_applicable == "no_committee"

    @property
    def status(self) -> str:
        """The most serious status of its periods: missing, due, met or not_required."""
        if self.not_applicable or self.requirement.minimum == 0 or not self.rows:
            return "not_required"
        statuses = {row.status for row in self.rows}
        return next(s for s in _WORST if s in statuses)

    @property
    def held(self) -> int:
        return sum(row.held for row in self.rows)

    @property
    def inquorate(self) -> int:
        return sum(row.inquorate for row in self.rows)


def report_periods(first: date, last: date) -> dict[Period, list[tuple[date, date]]]:
    """For a report over first..last: every month, quarter and year overlapping it."""
    return {unit: periods_between(first, last, unit) for unit in Period}


def recent_periods(today: date) -> dict[Period, list[tuple[date, date]]]:
    """The last completed period and the running one, per unit (the overview's verdict)."""
    result: dict[Period, list[tuple[date, date]]] = {}
    for unit in Period:
        current = period_of(today, unit)
        result[unit] = [period_of(current[0] - timedelta(days=1), unit), current]
    return result


def judge_branch(
    counts: Mapping[CountKey, HeldCount],
    requirements: Mapping[MeetingKind, Requirement],
    branch: BranchFacts,
    periods: Spans,
    *,
    today: date,
    inquorate_counts: bool = False,
) -> list[KindVerdict]:
    """The verdict per kind in MeetingKind order (党小组会 per group), over `periods`.

    `counts` may hold month buckets or whole-period buckets: a bucket counts toward every
    judged period of its kind that contains its day. Periods starting after `today` or
    before the branch was created are left out.
    """
    by_target: dict[tuple[MeetingKind, int | None], list[tuple[date, HeldCount]]] = {}
    for (kind, group_id, day), count in counts.items():
        by_target.setdefault((kind, group_id), []).append((day, count))

    result: list[KindVerdict] = []
    for kind in MeetingKind:
        requirement = requirements.get(kind)
        if requirement is None:
            continue
        spans = list(periods.get(requirement.period, ()))
        if kind is MeetingKind.GROUP and not branch.groups:
            result.append(KindVerdict(kind, requirement, (), not_applicable="no_groups"))
            continue
        if kind is MeetingKind.COMMITTEE and not branch.has_committee:
            result.append(KindVerdict(kind, requirement, (), not_applicable="no_committee"))
            continue
        targets: Sequence[tuple[int | None, str | None]] = (
            branch.groups if kind is MeetingKind.GROUP else ((None, None),)
        )
        started = [s for s in spans if s[0] <= today]
        judged = [s for s in started if branch.created_on is None or s[0] >= branch.created_on]
        for group_id, group_name in targets:
            if started and not judged:
                result.append(KindVerdict(kind, requirement, (), group_id, group_name,
                                          not_applicable="before_creation"))
                continue
            buckets = by_target.get((kind, group_id), [])
            rows = tuple(
                _verdict(kind, requirement, first, last, buckets, today, inquorate_counts)
                for first, last in judged
            )
            result.append(KindVerdict(kind, requirement, rows, group_id, group_name))
    return result


def _verdict(
    kind: MeetingKind,
    requirement: Requirement,
    first: date,
    last: date,
    buckets: Sequence[tuple[date, HeldCount]],
    today: date,
    inquorate_counts: bool,
) -> PeriodVerdict:
    held = inquorate = 0
    for day, count in buckets:
        if first <= day <= last:
            held += count.held
            inquorate += count.inquorate
    if kind is not MeetingKind.COMMITTEE:
        inquorate = 0  # quorum is a committee rule
    counted = held if inquorate_counts else held - inquorate
    status: ComplianceStatus
    if requirement.minimum == 0:
        status = "not_required"
    elif counted >= requirement.minimum:
        status = "met"
    elif last < today:
        status = "missing"
    else:
        status = "due"
    return PeriodVerdict(kind, first, _label(first, requirement.period), requirement.minimum,
                         held, status, last, inquorate, counted)


# The compliance rows of one set of held meetings (the unit tests' and a simple caller's view).
@dataclass(frozen=True)
class MeetingFact:
    """A meeting that was held: closed and not cancelled (the caller filters)."""

    kind: MeetingKind
    held_on: date


class ComplianceRow(NamedTuple):
    kind: MeetingKind
    period_first_day: date
    period_label: str
    required: int
    held: int
    status: ComplianceStatus


def compliance(
    facts: Iterable[MeetingFact],
    requirements: Mapping[MeetingKind, Requirement],
    *,
    start: date,
    end: date,
    today: date,
) -> list[ComplianceRow]:
    """One row per required kind per period overlapping [start, end], future periods left out.

    Meetings are counted over whole periods, so pass facts covering the first and last period
    entirely. For 党小组会 pass one group's facts to judge that group.
    "missing": the period is over with too few; "due": it is still running with too few.
    The verdict itself is judge_branch, the one every view uses.
    """
    counts: dict[tuple[MeetingKind, int | None, date], HeldCount] = {}
    for fact in facts:
        # Facts of 党小组会 are one group's: judge them as the branch's only group (id 0).
        key = (fact.kind, 0 if fact.kind is MeetingKind.GROUP else None, fact.held_on)
        counts[key] = HeldCount(counts.get(key, HeldCount()).held + 1)
    branch = BranchFacts(committee_members=1, groups=((0, ""),))
    return [
        ComplianceRow(row.kind, row.period_first_day, row.period_label, row.required, row.held,
                      row.status)
        for item in judge_branch(counts, requirements, branch, report_periods(start, end),
                                 today=today, inquorate_counts=True)
        for row in item.rows
    ]
