"""The outbox: every reminder and notice is a row before it is a Telegram message.

A planner adds rows (`enqueue`, idempotent on the row's key); a courier leases the rows that
are due (`claim`), sends them and records the outcome (`settle`). A lease that runs out while
its row is still `sending` means the courier died mid-send: the row is claimed again and may
reach its person twice, which is the only duplicate allowed (the Bot API has no idempotent
send). On PostgreSQL several couriers share the table through FOR UPDATE SKIP LOCKED; SQLite
has one writer at a time anyway.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, OutboxState

MAX_ATTEMPTS = 8
# Core table for executemany statements (an ORM update with a list would be by primary key).
_TABLE: Table = OutboxMessage.__table__  # type: ignore[assignment]
ERROR_LENGTH = 200


@dataclass(frozen=True)
class Planned:
    """A message to record: `key` names what, for whom and which occurrence."""

    key: str
    kind: str
    chat_id: int
    text: str
    due_at: datetime
    subject: str | None = None
    urgent: bool = False
    reply_markup: dict[str, Any] | None = None
    bundle: bool = False  # part of a daily digest: joined with the chat's other bundled rows


@dataclass(frozen=True)
class Claimed:
    """A leased row; `recovered` when an earlier lease ran out mid-send (maybe delivered)."""

    id: int
    key: str
    kind: str
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None
    attempts: int
    recovered: bool
    bundle: bool = False


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"  # a transient failure: try again at retry_at
    FAILED = "failed"  # final: blocked, chat gone, message refused, or out of attempts


@dataclass(frozen=True)
class Settled:
    """What became of one claimed row."""

    id: int
    outcome: Outcome
    at: datetime
    telegram_message_id: int | None = None
    error: str | None = None
    retry_at: datetime | None = None


async def enqueue(session: AsyncSession, messages: Sequence[Planned]) -> int:
    """Record messages; a key already recorded is left as it is. Returns how many are new."""
    if not messages:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(_TABLE)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(_TABLE.c.id)
    )
    rows = [
        {
            "key": m.key, "kind": m.kind, "subject": m.subject, "chat_id": m.chat_id,
            "text": m.text, "reply_markup": m.reply_markup, "urgent": m.urgent, "bundle": m.bundle,
            "due_at": m.due_at, "state": OutboxState.PENDING, "attempts": 0,
        }
        for m in messages
    ]
    result = await session.execute(statement, rows)
    return len(result.all())


async def pending_count(session: AsyncSession) -> int:
    """Rows not yet settled (pending or in flight)."""
    count = await session.scalar(
        select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING))
        )
    )
    return int(count or 0)


async def cancel(session: AsyncSession, *, subject: str, reason: str, kinds: Sequence[str] = ()
                 ) -> int:
    """Cancel what was planned about `subject` and not sent yet (e.g. a moved meeting)."""
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.subject == subject, OutboxMessage.state == OutboxState.PENDING)
        .values(state=OutboxState.CANCELLED, error=reason[:ERROR_LENGTH])
    )
    if kinds:
        statement = statement.where(OutboxMessage.kind.in_(kinds))
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def _claimable(now: datetime) -> Any:
    return or_(
        and_(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.due_at <= now),
        and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.lease_until <= now),
    )


async def claim(
    session: AsyncSession, now: datetime, *, limit: int, lease: timedelta, courier: str
) -> list[Claimed]:
    """Lease up to `limit` due rows, oldest first, for `lease`; other couriers skip them."""
    rows = (
        await session.execute(
            select(OutboxMessage)
            .where(_claimable(now))
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).scalars().all()
    claimed = []
    for row in rows:
        claimed.append(
            Claimed(
                id=row.id, key=row.key, kind=row.kind, chat_id=row.chat_id, text=row.text,
                reply_markup=row.reply_markup, attempts=row.attempts + 1,
                recovered=row.state is OutboxState.SENDING, bundle=row.bundle,
            )
        )
        row.state = OutboxState.SENDING
        row.attempts += 1
        row.lease_until = now + lease
        row.leased_by = courier
    await session.flush()
    return claimed


async def settle(session: AsyncSession, results: Sequence[Settled], *, courier: str) -> None:
    """Record what happened to claimed rows, unless another courier took them over since."""
    for outcome, state in (
        (Outcome.SENT, OutboxState.SENT), (Outcome.FAILED, OutboxState.FAILED),
        (Outcome.RETRY, OutboxState.PENDING),
    ):
        batch = [r for r in results if r.outcome is outcome]
        if not batch:
            continue
        table = _TABLE
        await session.execute(
            update(table)
            .where(
                table.c.id == bindparam("row_id"),
                table.c.state == OutboxState.SENDING,
                table.c.leased_by == courier,
            )
            .values(
                state=state,
                sent_at=bindparam("sent_at"),
                telegram_message_id=bindparam("message_id"),
                error=bindparam("error_text"),
                due_at=func.coalesce(bindparam("retry_at", type_=table.c.due_at.type),
                                     table.c.due_at),
                lease_until=None,
            ),
            [
                {
                    "row_id": r.id,
                    "sent_at": r.at if outcome is Outcome.SENT else None,
                    "message_id": r.telegram_message_id,
                    "error_text": (r.error or None) and (r.error or "")[:ERROR_LENGTH],
                    "retry_at": r.retry_at,
                }
                for r in batch
            ],
        )


async def next_wake(session: AsyncSession) -> datetime | None:
    """The earliest moment something becomes claimable: a due row or a lease running out."""
    due = await session.scalar(
        select(func.min(OutboxMessage.due_at)).where(OutboxMessage.state == OutboxState.PENDING)
    )
    lease = await session.scalar(
        select(func.min(OutboxMessage.lease_until)).where(
            OutboxMessage.state == OutboxState.SENDING
        )
    )
    moments = [m for m in (due, lease) if m is not None]
    return min(moments) if moments else None


async def counts_by_state(session: AsyncSession, *, kind: str | None = None,
                          subject: str | None = None) -> dict[OutboxState, int]:
    """How many rows are in each state (all, or of one kind or subject)."""
    statement = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    if kind is not None:
        statement = statement.where(OutboxMessage.kind == kind)
    if subject is not None:
        statement = statement.where(OutboxMessage.subject == subject)
    return {state: int(n) for state, n in (await session.execute(statement)).all()}
