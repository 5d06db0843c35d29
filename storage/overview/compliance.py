"""Meeting compliance of every branch in scope: the periods below their minimum, worst first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.meetings import Period, Requirement
from rules.verdicts import BranchFacts, KindVerdict, judge_branch, recent_periods
from rules.vocabulary import MeetingKind, PartyOrgKind
from storage.ledger import ReportPeriod, report_period
from storage.meeting_counts import counts_of, facts_of
from storage.models import MeetingCount, PartyOrganization
from storage.overview.scope import Scope

BRANCH_KINDS = (PartyOrgKind.BRANCH, PartyOrgKind.JOINT_BRANCH)


@dataclass(frozen=True)
class Shortfall:
    """One period of one kind (for 党小组会: one group) below its minimum."""

    kind: MeetingKind
    period_label: str
    held: int
    required: int
    status: str  # missing (the period is over) or due (still running)
    group_name: str | None = None
    inquorate: int = 0  # committee meetings held without quorum (not counted)


@dataclass(frozen=True)
class BranchCompliance:
    org_id: int
    name: str
    shortfalls: tuple[Shortfall, ...]

    @property
    def missing(self) -> int:
        return sum(1 for s in self.shortfalls if s.status == "missing")

    @property
    def due(self) -> int:
        return sum(1 for s in self.shortfalls if s.status == "due")

    @property
    def behind(self) -> bool:
        return self.missing > 0


def shortfalls_of(verdicts: Iterable[KindVerdict]) -> list[Shortfall]:
    """The periods below their minimum among a branch's verdicts (rules.verdicts)."""
    return [
        Shortfall(item.kind, row.period_label, row.counted, row.required, row.status,
                  item.group_name, row.inquorate)
        for item in verdicts for row in item.rows if row.status in ("missing", "due")
    ]


async def branch_compliance(
    session: AsyncSession,
    scope: Scope,
    *,
    today: date,
    tz: tzinfo,
    requirements: Mapping[MeetingKind, Requirement],
    inquorate_counts: bool = False,
) -> tuple[ReportPeriod, list[BranchCompliance]]:
    """Every branch in scope judged on its last completed and its running period of each
    kind (rules.verdicts.recent_periods), worst first: five queries over the kept counts."""
    quarter = report_period("q", today)
    where = [PartyOrganization.kind.in_(BRANCH_KINDS), *scope.where(PartyOrganization.id)]
    branches = (
        await session.execute(select(PartyOrganization.id, PartyOrganization.name).where(*where))
    ).all()
    if not branches:
        return quarter, []
    facts = await facts_of(session, where, tz)
    periods = recent_periods(today)
    # Only the months of the periods judged: two months, two quarters or two years per kind.
    since = {kind: periods[r.period][0][0] for kind, r in requirements.items() if r.minimum}
    counts = await counts_of(
        session, scope.where(MeetingCount.party_organization_id),
        since=since, until=periods[Period.MONTH][-1][0],
    )
    result = [
        BranchCompliance(
            org_id, name,
            tuple(shortfalls_of(judge_branch(
                counts.get(org_id, {}), requirements, facts.get(org_id, BranchFacts()),
                periods, today=today, inquorate_counts=inquorate_counts,
            ))),
        )
        for org_id, name in branches
    ]
    result.sort(key=lambda b: (-b.missing, -b.due, b.name, b.org_id))
    return quarter, result
