"""Coverage (党组织覆盖): social organizations by the party organization covering them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.vocabulary import PartyOrgKind
from storage.models import PartyOrganization, SocialOrganization
from storage.overview.scope import Scope


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
