"""Six-month cases (党章 art. 9): the planner opens one when a member has had no organizational
life, or paid no dues, for six months (once per run: `since` says which); the branch settles it
by recording a good reason (excusing the member) or reporting it to the level above."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from rules.vocabulary import CaseOutcome, DriftTrigger, MembershipState
from storage import audit
from storage.models import DriftCase, Membership


async def open_cases(session: AsyncSession, found: Collection[tuple[int, DriftTrigger, date]],
                     now: datetime) -> None:
    """Open a case for each (membership, trigger, since) not opened before (settled ones stay
    settled: the same run does not open a second case)."""
    if not found:
        return
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    await session.execute(insert(DriftCase).values([
        {"membership_id": membership, "trigger": trigger, "since": since, "opened_at": now}
        for membership, trigger, since in found
    ]).on_conflict_do_nothing(index_elements=["membership_id", "trigger", "since"]))


async def open_cases_of(session: AsyncSession, membership_id: int) -> list[DriftCase]:
    return list((await session.scalars(
        select(DriftCase).where(DriftCase.membership_id == membership_id,
                                DriftCase.outcome.is_(None))
        .order_by(DriftCase.opened_at, DriftCase.id))).all())


async def settle(session: AsyncSession, membership_id: int, outcome: CaseOutcome, *, by: int,
                 now: datetime) -> int:
    """Settle the member's open cases; returns how many (0: none was open any more)."""
    settled = await session.execute(
        update(DriftCase)
        .where(DriftCase.membership_id == membership_id, DriftCase.outcome.is_(None))
        .values(outcome=outcome, settled_at=now, settled_by=by)
        .execution_options(synchronize_session=False))
    count = int(settled.rowcount)  # type: ignore[attr-defined]
    if count:
        audit.record(session, by, "drift.settled", "membership", membership_id,
                     outcome=outcome.value, cases=count)
    return count


async def open_by_org(session: AsyncSession, org_ids: Collection[int]) -> dict[int, int]:
    """Per branch, its current members' cases not settled yet (the upper level's view)."""
    if not org_ids:
        return {}
    rows = await session.execute(
        select(Membership.party_organization_id, func.count(DriftCase.id))
        .join(Membership, Membership.id == DriftCase.membership_id)
        .where(DriftCase.outcome.is_(None), Membership.state == MembershipState.ACTIVE,
               Membership.party_organization_id.in_(org_ids))
        .group_by(Membership.party_organization_id))
    return {org: int(n) for org, n in rows}
