"""Everything together: the whole oversight picture of a scope, as of a local day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from rules.meetings import Period, Requirement
from rules.training import DEFAULT_POLICY, TrainingPolicy
from rules.verdicts import recent_periods
from rules.vocabulary import MeetingKind
from storage.drift_cases import open_by_org
from storage.ledger import ReportPeriod
from storage.meetings import day_bounds
from storage.overview.compliance import BranchCompliance, branch_compliance
from storage.overview.duties import OverdueDuty, overdue_duties
from storage.overview.scope import Scope
from storage.overview.social_coverage import Coverage, coverage
from storage.overview.term_renewals import Renewal, renewals
from storage.overview.training import training_on_track
from storage.transfers import moves_in_year


@dataclass(frozen=True)
class Overview:
    today: date
    quarter: ReportPeriod
    coverage: Coverage
    branches: tuple[BranchCompliance, ...]  # worst first
    renewals: tuple[Renewal, ...]  # soonest first, overdue included
    terms_unknown: int  # organizations whose committee election was never recorded
    duties: tuple[OverdueDuty, ...]
    overdue_by_org: Mapping[int, int]
    secretaries: int
    secretaries_on_track: int
    on_track_by_org: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    # The periods meeting compliance was judged on: per unit, the last completed and this one.
    periods: Mapping[Period, Sequence[tuple[date, date]]] = field(default_factory=dict)
    # Per branch, members who arrived and left by accepted transfer letters this year.
    moves: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    # Per branch, six-month cases (党章 art. 9) its leaders have not settled yet.
    open_cases: Mapping[int, int] = field(default_factory=dict)

    @property
    def compliant(self) -> int:
        return sum(1 for b in self.branches if not b.behind)

    @property
    def behind(self) -> int:
        return sum(1 for b in self.branches if b.behind)

    @property
    def training_share(self) -> float | None:
        return self.secretaries_on_track / self.secretaries if self.secretaries else None

    @property
    def compliance_share(self) -> float | None:
        return self.compliant / len(self.branches) if self.branches else None


async def overview(
    session: AsyncSession,
    scope: Scope,
    *,
    today: date,
    tz: tzinfo,
    requirements: Mapping[MeetingKind, Requirement],
    policy: TrainingPolicy = DEFAULT_POLICY,
    inquorate_counts: bool = False,
) -> Overview:
    """The whole oversight picture of a scope."""
    cover = await coverage(session, scope)
    quarter, branches = await branch_compliance(
        session, scope, today=today, tz=tz, requirements=requirements,
        inquorate_counts=inquorate_counts,
    )
    due_terms, unknown = await renewals(session, scope, today=today)
    duties, per_org = await overdue_duties(session, scope, today=today, tz=tz)
    secretaries, on_track, by_org = await training_on_track(
        session, scope, today=today, tz=tz, policy=policy
    )
    year_start, year_end = day_bounds(date(today.year, 1, 1), date(today.year, 12, 31), tz)
    branch_ids = [b.org_id for b in branches]
    moves = await moves_in_year(session, branch_ids, year_start, year_end)
    cases = await open_by_org(session, branch_ids)
    return Overview(
        today=today, quarter=quarter, coverage=cover, branches=tuple(branches),
        renewals=tuple(due_terms), terms_unknown=unknown, duties=tuple(duties),
        overdue_by_org=per_org, secretaries=secretaries, secretaries_on_track=on_track,
        on_track_by_org=by_org, periods=recent_periods(today), moves=moves, open_cases=cases,
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_today(tz: tzinfo) -> date:
    return utc_now().astimezone(tz).date()
