"""Invite codes for branch registration links."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from rules.validation import is_invite_code
from storage import audit
from storage.models import Invite

CODE_BYTES = 9  # 12 url-safe characters: unguessable, and short enough for a QR code


async def create_invite(
    session: AsyncSession,
    *,
    org_id: int,
    created_by: int,
    valid_days: int,
    now: datetime,
    single_use: bool = False,
) -> Invite:
    """A new code for the branch, made at `now`; a new multi-use link replaces the previous ones."""
    if not single_use:
        await session.execute(
            update(Invite)
            .where(
                Invite.party_organization_id == org_id,
                Invite.revoked_at.is_(None),
                Invite.max_uses.is_(None),
            )
            .values(revoked_at=now)
        )
    invite = Invite(
        code=secrets.token_urlsafe(CODE_BYTES),
        party_organization_id=org_id,
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
        max_uses=1 if single_use else None,
        uses=0,
    )
    session.add(invite)
    await session.flush()
    audit.record(
        session, created_by, "invite.create", "invite", invite.id,
        party_organization_id=org_id, single_use=single_use,
    )
    return invite


async def current_invite(session: AsyncSession, org_id: int, now: datetime) -> Invite | None:
    """The branch's valid multi-use link, if there is one."""
    return await session.scalar(
        select(Invite)
        .where(
            Invite.party_organization_id == org_id,
            Invite.revoked_at.is_(None),
            Invite.max_uses.is_(None),
            Invite.expires_at > now,
        )
        .order_by(Invite.id.desc())
        .limit(1)
    )


def invite_problem(invite: Invite | None, now: datetime) -> str | None:
    """Why an invite cannot be used (a message id), or None when it is good."""
    if invite is None:
        return "invite_unknown"
    if invite.revoked_at is not None:
        return "invite_revoked"
    if invite.expires_at <= now:
        return "invite_expired"
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        return "invite_used"
    return None


async def find_invite(session: AsyncSession, code: str) -> Invite | None:
    if not is_invite_code(code):
        return None
    return await session.scalar(
        select(Invite).options(selectinload(Invite.party_organization)).where(Invite.code == code)
    )
