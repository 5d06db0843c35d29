"""Reminder preferences: what a person has muted, and the leaders' daily digest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import NotificationPreference, OutboxMessage, OutboxState


async def preferences(session: AsyncSession, person_id: int) -> tuple[frozenset[str], bool]:
    """(muted kinds, digest on) for a person; nothing muted and no digest by default."""
    row = await session.get(NotificationPreference, person_id)
    if row is None:
        return frozenset(), False
    return frozenset(row.muted_kinds or ()), bool(row.digest)


async def _row(session: AsyncSession, person_id: int) -> NotificationPreference:
    row = await session.get(NotificationPreference, person_id)
    if row is None:
        row = NotificationPreference(person_id=person_id, muted_kinds=[], digest=False)
        session.add(row)
    return row


async def toggle_muted(
    session: AsyncSession, person_id: int, kind: str, *, telegram_id: int, now: datetime
) -> bool:
    """Mute a kind (or unmute it); muting also cancels what is planned and unsent. Returns
    whether the kind is muted now."""
    row = await _row(session, person_id)
    muted = set(row.muted_kinds or ())
    now_muted = kind not in muted
    muted.symmetric_difference_update({kind})
    row.muted_kinds = sorted(muted)
    row.updated_at = now
    if now_muted:
        pending = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.chat_id == telegram_id, OutboxMessage.kind == kind,
                OutboxMessage.state == OutboxState.PENDING,
            )
        )
        for message in pending.all():
            message.state = OutboxState.CANCELLED
            message.error = "muted"
    await session.flush()
    return now_muted


async def set_digest(session: AsyncSession, person_id: int, on: bool, *, now: datetime) -> None:
    """Switch the daily digest; applies to reminders planned from now on."""
    row = await _row(session, person_id)
    row.digest = on
    row.updated_at = now
    await session.flush()

