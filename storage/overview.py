"""The oversight view for admins and leaders: coverage, meeting compliance, renewals, duties,
training, over a subtree of the organization tree (issue 7).

Every figure is aggregated in SQL with a fixed number of statements whatever the number of
branches (the only loops over queries run per top-level root or per reporting duty, both a
handful). Used by /overview in the chat and by the web dashboard; no Telegram here.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, case, exists, false, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from rules import duties as duty_rules
from rules import terms
from rules.meetings import Period, Requirement
from rules.permissions import Actor
from rules.training import DEFAULT_POLICY, TrainingPolicy
from rules.verdicts import BranchFacts, KindVerdict, judge_branch, recent_periods
from rules.vocabulary import MeetingKind, MembershipState, PartyOrgKind
from storage.duties import template_of
from storage.ledger import ReportPeriod, report_period
from storage.meeting_counts import counts_of, facts_of
from storage.meetings import day_bounds
from storage.models import (
    Duty,
    DutyCompletion,
    MeetingCount,
    Membership,
    PartyOrganization,
    SocialOrganization,
)
from storage.orgs import descendant_ids
from storage.training import secretaries_on_track

BRANCH_KINDS = (PartyOrgKind.BRANCH, PartyOrgKind.JOINT_BRANCH)
RENEWAL_HORIZON_MONTHS = 6
DUTY_LOOKBACK = duty_rules.OVERDUE_HISTORY  # as long as /duties shows an open occurrence
# Duties whose audience is only the members (party dues) are not reports to the upper level.
REPORTING_AUDIENCES = frozenset({duty_rules.Audience.SECRETARIES, duty_rules.Audience.ADMINS})


# ---------------------------------------------------------------------------------------------
# Who sees what
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The organizations a viewer oversees; org_ids None means every organization (admins)."""

    org_ids: frozenset[int] | None

    @property
    def everything(self) -> bool:
        return self.org_ids is None

    def covers(self, org_id: int) -> bool:
        return self.org_ids is None or org_id in self.org_ids

    def where(self, column: Any) -> list[Any]:
        """SQL conditions restricting an organization id column to the scope."""
        if self.org_ids is None:
            return []
        if not self.org_ids:
            return [false()]
        return [column.in_(sorted(self.org_ids))]


def scope_of(actor: Actor) -> Scope | None:
    """Admins oversee everything; secretaries and deputies their organization and below."""
    if actor.is_admin:
        return Scope(None)
    if actor.leads_a_branch and actor.managed_org_ids:
        return Scope(frozenset(actor.managed_org_ids))
    return None


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Social organizations by the party organization covering them (党组织覆盖)."""

    own: int  # covered by a 党支部 / 党总支 / 党委 of their own
    joint: int  # covered by a 联合党支部
    none: int  # not covered (counted only for viewers who oversee everything)

    @property
    def total(self) -> int:
        return self.own + self.joint + self.none

    @property
    def rate(self) -> float | None:
        return (self.own + self.joint) / self.total if self.total else None


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


@dataclass(frozen=True)
class Renewal:
    org_id: int
    name: str
    kind: PartyOrgKind
    started_on: date
    ends_on: date
    overdue: bool


@dataclass(frozen=True)
class OverdueDuty:
    """One occurrence of a reporting duty whose deadline passed, and who has not handed it in."""

    duty_id: int
    code: str | None
    title: str | None
    occurrence: str
    deadline: date
    organizations: int
    approximate: bool = False  # no official holiday schedule for the year (rules/workdays.py)


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


# ---------------------------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------------------------


async def coverage(session: AsyncSession, scope: Scope) -> Coverage:
    """One grouped query over social organizations and the party organization covering them."""
    covered = SocialOrganization.party_organization_id.is_not(None)
    joint = PartyOrganization.kind == PartyOrgKind.JOINT_BRANCH
    query = select(
        func.sum(case((and_(covered, ~joint), 1), else_=0)),
        func.sum(case((and_(covered, joint), 1), else_=0)),
        func.sum(case((covered, 0), else_=1)),
    ).select_from(SocialOrganization).outerjoin(
        PartyOrganization, PartyOrganization.id == SocialOrganization.party_organization_id
    )
    if not scope.everything:
        query = query.where(*scope.where(SocialOrganization.party_organization_id))
    own, joint_n, none = (await session.execute(query)).one()
    return Coverage(int(own or 0), int(joint_n or 0), int(none or 0))


# ---------------------------------------------------------------------------------------------
# Meeting compliance of every branch this quarter
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Renewals (换届)
# ---------------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _term_years_sql() -> Any:
    """rules.terms.term_years in SQL: the override, else the default for the kind."""
    default = case(
        *[(PartyOrganization.kind == kind, years) for kind, years in
          terms.DEFAULT_TERM_YEARS.items()],
        else_=3,
    )
    return func.coalesce(PartyOrganization.term_years, default)


async def renewals(
    session: AsyncSession, scope: Scope, *, today: date,
    months: int = RENEWAL_HORIZON_MONTHS, org_id: int | None = None,
) -> tuple[list[Renewal], int]:
    """Committees whose term ends within `months` or has ended, and how many lack a term.

    The SQL keeps only terms ending by the horizon (one condition per possible length);
    the exact end day comes from rules.terms.
    """
    horizon = add_months(today, months)
    years = _term_years_sql()
    ending = or_(
        *[
            and_(years == n, PartyOrganization.term_started_on <= terms.add_years(horizon, -n)
                 + timedelta(days=1))
            for n in range(terms.MIN_TERM_YEARS, terms.MAX_TERM_YEARS + 1)
        ]
    )
    where = [*scope.where(PartyOrganization.id)]
    if org_id is not None:
        where.append(PartyOrganization.id == org_id)
    rows = await session.execute(
        select(
            PartyOrganization.id, PartyOrganization.name, PartyOrganization.kind,
            PartyOrganization.term_started_on, PartyOrganization.term_years,
        ).where(PartyOrganization.term_started_on.is_not(None), ending, *where)
    )
    result: list[Renewal] = []
    for oid, name, kind, started, override in rows.all():
        assert started is not None  # filtered in SQL
        ends = terms.term_ends_on(started, kind, override)
        if ends <= horizon:
            result.append(Renewal(oid, name, kind, started, ends, ends <= today))
    result.sort(key=lambda r: (r.ends_on, r.name))
    unknown = await session.scalar(
        select(func.count()).select_from(PartyOrganization).where(
            PartyOrganization.term_started_on.is_(None), *where
        )
    )
    return result, int(unknown or 0)


def term_of(org: PartyOrganization, today: date) -> tuple[date | None, bool]:
    """(the day the current term ends, whether the renewal is overdue) of one organization."""
    if org.term_started_on is None:
        return None, False
    ends = terms.term_ends_on(org.term_started_on, org.kind, org.term_years)
    return ends, ends <= today


# ---------------------------------------------------------------------------------------------
# Reporting duties overdue
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Due:
    duty: Duty
    occurrence: duty_rules.DutyOccurrence
    within: frozenset[int] | None  # the duty's own subtree, None: everywhere


async def _overdue_occurrences(session: AsyncSession, today: date) -> list[_Due]:
    from storage.holiday_calendar import work_calendar

    duties = (await session.scalars(select(Duty).where(Duty.active.is_(True)))).all()
    cal = await work_calendar(session) if duties else None
    result: list[_Due] = []
    for duty in duties:
        template = template_of(duty)
        if not template.audience & REPORTING_AUDIENCES:
            continue
        # Per duty, not per branch: a handful of statements at most.
        within = (
            frozenset(await descendant_ids(session, {duty.party_organization_id}))
            if duty.party_organization_id is not None else None
        )
        # The same occurrences as /duties (storage/duties.py): since the duty exists.
        since = duty.created_at.date() if duty.created_at else today
        for occ in duty_rules.occurrences(template, today - DUTY_LOOKBACK, today, cal=cal):
            if since <= occ.deadline < today:
                result.append(_Due(duty, occ, within))
    return result


def _open_lines(dues: Sequence[_Due], scope: Scope, tz: tzinfo, org_id: int | None) -> Any:
    """(org_id, duty_id, occurrence) for each organization that has not handed one in."""
    selects = []
    for due in dues:
        _, end = day_bounds(due.occurrence.deadline, due.occurrence.deadline, tz)
        conditions: list[Any] = [
            PartyOrganization.created_at < end,  # it existed before the deadline
            *scope.where(PartyOrganization.id),
            ~exists().where(
                DutyCompletion.duty_id == due.duty.id,
                DutyCompletion.party_organization_id == PartyOrganization.id,
                DutyCompletion.occurrence == due.occurrence.key,
            ),
        ]
        # Duties fall on branches; committees report through their own leaders too.
        if due.duty.code != "secretary_report":
            conditions.append(PartyOrganization.kind != PartyOrgKind.COMMITTEE)
        if due.within is not None:
            conditions.append(PartyOrganization.id.in_(sorted(due.within)))
        if org_id is not None:
            conditions.append(PartyOrganization.id == org_id)
        selects.append(
            select(
                PartyOrganization.id.label("org_id"),
                literal(due.duty.id).label("duty_id"),
                literal(due.occurrence.key).label("occurrence"),
            ).where(*conditions)
        )
    return union_all(*selects).subquery("open_duties")


async def overdue_duties(
    session: AsyncSession, scope: Scope, *, today: date, tz: tzinfo, org_id: int | None = None
) -> tuple[list[OverdueDuty], dict[int, int]]:
    """Overdue reporting duties: per occurrence how many organizations, and per organization
    how many occurrences; two grouped queries over one UNION ALL (one SELECT per occurrence)."""
    dues = await _overdue_occurrences(session, today)
    if not dues:
        return [], {}
    lines = _open_lines(dues, scope, tz, org_id)
    per_due = dict(
        ((duty_id, occurrence), int(n))
        for duty_id, occurrence, n in (
            await session.execute(
                select(lines.c.duty_id, lines.c.occurrence, func.count())
                .group_by(lines.c.duty_id, lines.c.occurrence)
            )
        ).all()
    )
    per_org = {
        int(oid): int(n)
        for oid, n in (
            await session.execute(select(lines.c.org_id, func.count()).group_by(lines.c.org_id))
        ).all()
    }
    result = [
        OverdueDuty(due.duty.id, due.duty.code, due.duty.title, due.occurrence.key,
                    due.occurrence.deadline, per_due[(due.duty.id, due.occurrence.key)],
                    due.occurrence.approximate)
        for due in dues if per_due.get((due.duty.id, due.occurrence.key))
    ]
    result.sort(key=lambda d: (d.deadline, d.duty_id))
    return result, per_org


@dataclass(frozen=True)
class DutyLine:
    """A reporting duty as one organization sees it: the last deadline and the next one."""

    duty_id: int
    code: str | None
    title: str | None
    overdue: tuple[tuple[str, date], ...]  # (occurrence, deadline) not handed in
    next_occurrence: str | None
    next_deadline: date | None
    next_approximate: bool = False  # no official holiday schedule for the year
    overdue_approximate: frozenset[str] = frozenset()  # overdue occurrences estimated so


async def duties_of(session: AsyncSession, org: PartyOrganization, *, today: date,
                    tz: tzinfo) -> list[DutyLine]:
    """The reporting duties of one organization: overdue occurrences and the next deadline."""
    scope = Scope(frozenset({org.id}))
    dues = await _overdue_occurrences(session, today)
    open_keys: set[tuple[int, str]] = set()
    if dues:
        lines = _open_lines(dues, scope, tz, org.id)
        open_keys = {
            (int(d), str(o))
            for d, o in (await session.execute(select(lines.c.duty_id, lines.c.occurrence))).all()
        }
    duties = (await session.scalars(select(Duty).where(Duty.active.is_(True)))).all()
    from storage.holiday_calendar import work_calendar

    cal = await work_calendar(session)
    ancestors_and_self = None
    result: list[DutyLine] = []
    for duty in duties:
        template = template_of(duty)
        if not template.audience & REPORTING_AUDIENCES:
            continue
        if org.kind is PartyOrgKind.COMMITTEE and duty.code != "secretary_report":
            continue
        if duty.party_organization_id is not None:
            if ancestors_and_self is None:
                from storage.orgs import ancestor_ids

                ancestors_and_self = {org.id, *await ancestor_ids(session, org.id)}
            if duty.party_organization_id not in ancestors_and_self:
                continue
        overdue = tuple(
            (due.occurrence.key, due.occurrence.deadline) for due in dues
            if due.duty.id == duty.id and (duty.id, due.occurrence.key) in open_keys
        )
        upcoming = duty_rules.next_occurrence(template, today, inclusive=True,
                                              cal=cal)
        estimated = frozenset(
            due.occurrence.key for due in dues
            if due.duty.id == duty.id and due.occurrence.approximate
        )
        result.append(
            DutyLine(duty.id, duty.code, duty.title, overdue,
                     upcoming.key if upcoming else None, upcoming.deadline if upcoming else None,
                     bool(upcoming and upcoming.approximate), estimated)
        )
    result.sort(key=lambda d: (not d.overdue, d.next_deadline or date.max, d.duty_id))
    return result


# ---------------------------------------------------------------------------------------------
# Training: secretaries on track
# ---------------------------------------------------------------------------------------------


async def _roots(session: AsyncSession, scope: Scope) -> list[int]:
    """The topmost organizations of the scope (their subtrees cover it exactly)."""
    if scope.org_ids is None:
        return list(
            (await session.scalars(
                select(PartyOrganization.id).where(PartyOrganization.parent_id.is_(None))
            )).all()
        )
    rows = await session.execute(
        select(PartyOrganization.id, PartyOrganization.parent_id).where(
            *scope.where(PartyOrganization.id)
        )
    )
    return [oid for oid, parent in rows.all() if parent not in scope.org_ids]


async def training_on_track(
    session: AsyncSession, scope: Scope, *, today: date, tz: tzinfo, policy: TrainingPolicy
) -> tuple[int, int, dict[int, tuple[int, int]]]:
    """(secretaries, on track, per organization (secretaries, on track)) for the scope."""
    total = ok = 0
    per_org: dict[int, tuple[int, int]] = {}
    for root in await _roots(session, scope):  # one statement per top-level root
        report = await secretaries_on_track(session, root, today, tz=tz, policy=policy)
        for row in report.rows:
            if scope.covers(row.org_id):
                per_org[row.org_id] = (row.secretaries, row.on_track)
                total += row.secretaries
                ok += row.on_track
    return total, ok, per_org


# ---------------------------------------------------------------------------------------------
# Everything together
# ---------------------------------------------------------------------------------------------


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
    return Overview(
        today=today, quarter=quarter, coverage=cover, branches=tuple(branches),
        renewals=tuple(due_terms), terms_unknown=unknown, duties=tuple(duties),
        overdue_by_org=per_org, secretaries=secretaries, secretaries_on_track=on_track,
        on_track_by_org=by_org, periods=recent_periods(today),
    )


# ---------------------------------------------------------------------------------------------
# The branch table of the dashboard
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BranchRow:
    org_id: int
    name: str
    kind: PartyOrgKind
    parent_name: str | None
    members: int
    missing: int
    due: int
    term_ends_on: date | None
    term_overdue: bool
    duties_overdue: int
    secretaries: int
    secretaries_on_track: int
    social_orgs: int

    @property
    def status(self) -> str:
        """behind (a past period below its minimum), due (this period still open) or ok."""
        return "behind" if self.missing else "due" if self.due else "ok"


async def branch_rows(session: AsyncSession, scope: Scope, view: Overview) -> list[BranchRow]:
    """One line per branch in scope, from the overview plus two grouped queries."""
    parent = PartyOrganization.__table__.alias("parent")
    orgs = (
        await session.execute(
            select(
                PartyOrganization.id, PartyOrganization.name, PartyOrganization.kind,
                parent.c.name, PartyOrganization.term_started_on, PartyOrganization.term_years,
            )
            .outerjoin(parent, parent.c.id == PartyOrganization.parent_id)
            .where(PartyOrganization.kind.in_(BRANCH_KINDS), *scope.where(PartyOrganization.id))
        )
    ).all()
    members = dict(
        (
            await session.execute(
                select(Membership.party_organization_id, func.count())
                .join(PartyOrganization, PartyOrganization.id == Membership.party_organization_id)
                .where(Membership.state == MembershipState.ACTIVE,
                       PartyOrganization.kind.in_(BRANCH_KINDS),
                       *scope.where(PartyOrganization.id))
                .group_by(Membership.party_organization_id)
            )
        ).all()
    )
    socials = dict(
        (
            await session.execute(
                select(SocialOrganization.party_organization_id, func.count())
                .where(SocialOrganization.party_organization_id.is_not(None),
                       *scope.where(SocialOrganization.party_organization_id))
                .group_by(SocialOrganization.party_organization_id)
            )
        ).all()
    )
    compliance = {b.org_id: b for b in view.branches}
    result = []
    for oid, name, kind, parent_name, started, override in orgs:
        ends = terms.term_ends_on(started, kind, override) if started else None
        judged = compliance.get(oid)
        secretaries, ok = view.on_track_by_org.get(oid, (0, 0))
        result.append(
            BranchRow(
                oid, name, kind, parent_name, int(members.get(oid, 0)),
                judged.missing if judged else 0, judged.due if judged else 0,
                ends, ends is not None and ends <= view.today,
                view.overdue_by_org.get(oid, 0), secretaries, ok, int(socials.get(oid, 0)),
            )
        )
    return result


SORT_KEYS = ("name", "parent", "members", "status", "term", "duties", "training", "social")


def sort_rows(rows: Iterable[BranchRow], key: str, descending: bool) -> list[BranchRow]:
    """Sort branch rows by a column name from SORT_KEYS (unknown names sort by name)."""
    status_rank = {"behind": 2, "due": 1, "ok": 0}

    def value(row: BranchRow) -> Any:
        if key == "parent":
            return row.parent_name or ""
        if key == "members":
            return row.members
        if key == "status":
            return (status_rank[row.status], row.missing, row.due)
        if key == "term":
            return row.term_ends_on or date.max
        if key == "duties":
            return row.duties_overdue
        if key == "training":
            return row.secretaries_on_track / row.secretaries if row.secretaries else -1.0
        if key == "social":
            return row.social_orgs
        return row.name

    return sorted(rows, key=lambda r: (value(r), r.name, r.org_id), reverse=descending)


def filter_rows(rows: Iterable[BranchRow], text: str = "", status: str = "") -> list[BranchRow]:
    """Rows whose name or parent holds `text` (case-insensitive) and with the given status."""
    needle = text.strip().casefold()
    return [
        r for r in rows
        if (not needle or needle in r.name.casefold()
            or needle in (r.parent_name or "").casefold())
        and (not status or r.status == status)
    ]


def utc_now() -> datetime:
    return datetime.now(UTC)


def local_today(tz: tzinfo) -> date:
    return utc_now().astimezone(tz).date()


__all__ = [
    "BRANCH_KINDS",
    "SORT_KEYS",
    "BranchCompliance",
    "BranchRow",
    "Coverage",
    "DutyLine",
    "OverdueDuty",
    "Overview",
    "Renewal",
    "Scope",
    "Shortfall",
    "add_months",
    "branch_compliance",
    "branch_rows",
    "coverage",
    "duties_of",
    "filter_rows",
    "overdue_duties",
    "overview",
    "renewals",
    "scope_of",
    "shortfalls_of",
    "sort_rows",
    "term_of",
    "training_on_track",
]
