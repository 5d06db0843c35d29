"""Training: how many secretaries in scope are on track."""

from __future__ import annotations

from datetime import date, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.training import TrainingPolicy
from storage.models import PartyOrganization
from storage.overview.scope import Scope
from storage.training import secretaries_on_track


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
