"""The audit log: every admin and secretary action, with before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record(
    session: AsyncSession,
    actor_telegram_id: int | None,
    action: str,
    target_type: str,
    target_id: int | None,
    **details: Any,
) -> None:
    """Add an audit row to the session's transaction (committed with the change it logs)."""
    session.add(
        AuditEvent(
            actor_telegram_id=actor_telegram_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=_plain(details),
        )
    )
