"""Renewals (换届): committees whose term ends within the horizon or has ended, and one
organization's term."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules import terms
from rules.dates import add_months
from rules.vocabulary import PartyOrgKind
from storage.models import PartyOrganization
from storage.overview.scope import Scope

RENEWAL_HORIZON_MONTHS = 6


@dataclass(frozen=True)
class Renewal:
    org_id: int
    name: str
    kind: PartyOrgKind
    started_on: date
    ends_on: date
    overdue: bool


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
