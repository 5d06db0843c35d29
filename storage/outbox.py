"""The outbox: every reminder, notice and message to another person is a row before it is sent.

A planner adds rows (`enqueue`, idempotent on the row's key); a courier leases the rows that
are due (`claim`), or a handler's fresh rows by key to send them at once (`claim_keys`), sends
them and records the outcome (`settle`). A lease that runs out while its row is still
`sending` means the courier died mid-send: the row is claimed again and may reach its person
twice, which is the only duplicate allowed (the Bot API has no idempotent send). Each row is
settled as soon as Telegram answers for it, so only rows whose answer had not arrived can come
twice. A courier is one process start (a random id in `courier_instances` with a heartbeat);
when its heartbeat stops, any other courier releases its rows at once instead of waiting out
the lease. On PostgreSQL several couriers share the table through FOR UPDATE SKIP LOCKED;
SQLite has one writer at a time anyway.

Claiming also settles what must not be sent: rows past their `expires_at` are cancelled, and
rows to a person Telegram refused (people.unreachable_since) fail at once with "unreachable"
instead of being retried; they are not revived when the person writes again.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    delete,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import CourierInstance, OutboxMessage, OutboxState, Person

MAX_ATTEMPTS = 8
# Core table for executemany statements (an ORM update with a list would be by primary key).
_TABLE: Table = OutboxMessage.__table__  # type: ignore[assignment]
ERROR_LENGTH = 200
KEY_CHUNK = 2000  # keys looked up at once (below every driver's bound-parameter limit)
OPTIONAL_COLUMNS = ("reply_markup", "media", "expires_at", "subject")
FLAG_COLUMNS = ("urgent", "bundle", "paid_broadcast")


async def recorded_keys(session: AsyncSession, subjects: Sequence[str]) -> set[str]:
    """Every key recorded about these subjects (indexed: one query for a meeting's people)."""
    ordered = sorted(set(subjects))
    known: set[str] = set()
    for start in range(0, len(ordered), KEY_CHUNK):
        chunk = ordered[start:start + KEY_CHUNK]
        found = await session.scalars(
            select(OutboxMessage.key).where(OutboxMessage.subject.in_(chunk))
        )
        known.update(found.all())
    return known


async def _known_keys(session: AsyncSession, messages: Sequence[Planned]) -> set[str]:
    """Which of these keys are recorded already (planner passes repeat most of them)."""
    known = await recorded_keys(session, [m.subject for m in messages if m.subject is not None])
    loose = [m.key for m in messages if m.subject is None]
    for start in range(0, len(loose), KEY_CHUNK):
        chunk = loose[start:start + KEY_CHUNK]
        found = await session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(chunk)))
        known.update(found.all())
    return known
UNREACHABLE = "unreachable"  # the error of rows not sent because Telegram refused the person
EXPIRED = "expired"
DIRECT_KIND = "direct"  # a handler's message to another person (handlers/kit/chat.py deliver)


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
    expires_at: datetime | None = None  # not sent after this (cancelled as "expired")
    # Notices: photos/documents ({"type": "photo"|"document", "file_id": ...}) sent with it.
    media: list[dict[str, Any]] | None = None
    paid_broadcast: bool = False


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
    due_at: datetime | None = None
    media: list[dict[str, Any]] | None = None
    paid_broadcast: bool = False


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
    known = await _known_keys(session, messages)
    fresh = [m for m in messages if m.key not in known]
    if not fresh:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [
        {
            "key": m.key, "kind": m.kind, "subject": m.subject, "chat_id": m.chat_id,
            "text": m.text, "reply_markup": m.reply_markup, "urgent": m.urgent, "bundle": m.bundle,
            "due_at": m.due_at, "expires_at": m.expires_at,
            "media": m.media, "paid_broadcast": m.paid_broadcast,
        }
        for m in fresh
    ]
    # What every row shares is written into the statement once: per-row parameter processing
    # is most of the cost of recording a planner pass (200,000 rows at scale).
    shared: dict[str, Any] = {
        "state": literal_column(f"'{OutboxState.PENDING.value}'"), "attempts": literal_column("0"),
        "created_at": func.current_timestamp(),
    }
    for column in OPTIONAL_COLUMNS:
        if all(row[column] is None for row in rows):
            shared[column] = null()
    for column in FLAG_COLUMNS:
        flags = {row[column] for row in rows}
        if len(flags) == 1:
            shared[column] = true() if flags.pop() else false()
    rows = [{k: v for k, v in row.items() if k not in shared} for row in rows]
    # No RETURNING: a plain executemany is faster. A key another planner recorded since the
    # look-up is still skipped, but counted as new.
    statement = insert(_TABLE).values(shared).on_conflict_do_nothing(index_elements=["key"])
    await session.execute(statement, rows)
    return len(rows)


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
    claimed, _dropped = await claim_batch(
        session, now, limit=limit, lease=lease, courier=courier
    )
    return claimed


async def claim_batch(
    session: AsyncSession, now: datetime, *, limit: int, lease: timedelta, courier: str
) -> tuple[list[Claimed], int]:
    """Like `claim`; rows that expired or go to an unreachable person are settled on the way
    (cancelled, failed) instead of leased. Returns the leased rows and how many were settled."""
    found = (
        await session.execute(
            select(OutboxMessage, Person.unreachable_since)
            .outerjoin(Person, Person.telegram_id == OutboxMessage.chat_id)
            .where(_claimable(now))
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=OutboxMessage)
        )
    ).all()
    claimed = []
    dropped = 0
    for row, unreachable_since in found:
        leased = _lease(row, unreachable_since, now, lease=lease, courier=courier)
        if leased is None:
            dropped += 1
        else:
            claimed.append(leased)
    await session.flush()
    return claimed, dropped


async def claim_keys(
    session: AsyncSession, keys: Sequence[str], now: datetime, *, lease: timedelta, courier: str
) -> tuple[list[Claimed], dict[str, OutboxState]]:
    """Lease these rows now, whatever their due_at (the caller sends them at once), by the
    rules of `claim_batch`: expired rows are cancelled, rows to an unreachable person fail,
    rows another courier holds (a live lease, or locked this moment) are left alone. Returns
    the leased rows and the state of every other key found (a key not found is absent)."""
    claimed: list[Claimed] = []
    others: dict[str, OutboxState] = {}
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), KEY_CHUNK):
        found = (
            await session.execute(
                select(OutboxMessage, Person.unreachable_since)
                .outerjoin(Person, Person.telegram_id == OutboxMessage.chat_id)
                .where(OutboxMessage.key.in_(ordered[start:start + KEY_CHUNK]))
                .order_by(OutboxMessage.id)
                .with_for_update(skip_locked=True, of=OutboxMessage)
            )
        ).all()
        for row, unreachable_since in found:
            claimable = row.state is OutboxState.PENDING or (
                row.state is OutboxState.SENDING and row.lease_until is not None
                and row.lease_until <= now
            )
            leased = (_lease(row, unreachable_since, now, lease=lease, courier=courier)
                      if claimable else None)
            if leased is None:
                others[row.key] = row.state
            else:
                claimed.append(leased)
    await session.flush()
    return claimed, others


def _lease(row: OutboxMessage, unreachable_since: datetime | None, now: datetime, *,
           lease: timedelta, courier: str) -> Claimed | None:
    """Lease one claimable row; None when it was settled instead (expired: cancelled; to an
    unreachable person: failed)."""
    if row.expires_at is not None and row.expires_at <= now:
        row.state, row.error, row.lease_until = OutboxState.CANCELLED, EXPIRED, None
        return None
    if unreachable_since is not None:
        row.state, row.error, row.lease_until = OutboxState.FAILED, UNREACHABLE, None
        return None
    claimed = Claimed(
        id=row.id, key=row.key, kind=row.kind, chat_id=row.chat_id, text=row.text,
        reply_markup=row.reply_markup, attempts=row.attempts + 1,
        recovered=row.state is OutboxState.SENDING, bundle=row.bundle, due_at=row.due_at,
        media=row.media, paid_broadcast=row.paid_broadcast,
    )
    row.state = OutboxState.SENDING
    row.attempts += 1
    row.lease_until = now + lease
    row.leased_by = courier
    return claimed


async def beat(session: AsyncSession, courier: str, now: datetime, *, host: str, pid: int
               ) -> None:
    """Record that this courier (one process start) is alive; registers it the first time."""
    result = await session.execute(
        update(CourierInstance).where(CourierInstance.id == courier).values(heartbeat_at=now)
    )
    if not getattr(result, "rowcount", 0):
        session.add(CourierInstance(id=courier, host=host[:64], pid=pid, started_at=now,
                                    heartbeat_at=now))
        await session.flush()


async def release_dead_couriers(
    session: AsyncSession, now: datetime, *, dead_after: timedelta
) -> tuple[list[str], int]:
    """Couriers whose heartbeat is older than `dead_after` are dead: their rows in flight
    become claimable now (instead of when their lease runs out) and they are forgotten.
    Returns the dead couriers and how many rows were released."""
    dead = list((await session.scalars(
        select(CourierInstance.id).where(CourierInstance.heartbeat_at < now - dead_after)
        .with_for_update(skip_locked=True)
    )).all())
    if not dead:
        return [], 0
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.leased_by.in_(dead),
               OutboxMessage.lease_until > now)
        .values(lease_until=now)
    )
    await session.execute(delete(CourierInstance).where(CourierInstance.id.in_(dead)))
    return dead, int(getattr(result, "rowcount", 0) or 0)


async def retire(session: AsyncSession, courier: str, now: datetime) -> int:
    """A courier stops: rows it still holds are claimable at once, and it is forgotten."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.leased_by == courier,
               OutboxMessage.lease_until > now)
        .values(lease_until=now)
    )
    await session.execute(delete(CourierInstance).where(CourierInstance.id == courier))
    return int(getattr(result, "rowcount", 0) or 0)


async def mark_unreachable(
    session: AsyncSession, chat_ids: Sequence[int], now: datetime
) -> list[int]:
    """Record that Telegram refused these people; returns the ids of those newly marked (a
    person already marked is not returned again, so their leaders are told once)."""
    if not chat_ids:
        return []
    marked = await session.execute(
        update(Person)
        .where(Person.telegram_id.in_(set(chat_ids)), Person.unreachable_since.is_(None))
        .values(unreachable_since=now)
        .returning(Person.id)
    )
    return sorted(marked.scalars().all())


async def mark_reachable(session: AsyncSession, person: Person) -> bool:
    """The person wrote to the bot: messages reach them again. True if they were marked."""
    if person.unreachable_since is None:
        return False
    person.unreachable_since = None
    await session.flush()
    return True


async def settle(session: AsyncSession | AsyncConnection, results: Sequence[Settled], *,
                 courier: str) -> None:
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
