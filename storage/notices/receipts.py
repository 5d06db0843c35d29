"""Recipients: the notices a person received, read receipts (已阅), the non-readers, and one
reminder to them."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rules.vocabulary import NoticeState
from storage import audit, outbox
from storage.models import (
    Notice,
    NoticeRecipient,
    OutboxMessage,
    OutboxState,
    PartyOrganization,
    Person,
)
from storage.notices.copies import REMIND_KIND, _row_key, key_of, subject_of


@dataclass(frozen=True)
class Received:
    notice: Notice
    read_at: datetime | None
    delivered_at: datetime | None


async def received_by(session: AsyncSession, person_id: int, *, limit: int = 10
                      ) -> list[Received]:
    """Notices that reached (or are reaching) a person, newest first."""
    rows = await session.execute(
        select(Notice, NoticeRecipient.read_at, OutboxMessage.sent_at)
        .join(NoticeRecipient, NoticeRecipient.notice_id == Notice.id)
        .join(OutboxMessage, OutboxMessage.key == _row_key())
        .where(NoticeRecipient.person_id == person_id,
               OutboxMessage.state.in_((OutboxState.SENT, OutboxState.SENDING)))
        .order_by(Notice.id.desc())
        .limit(limit)
    )
    return [Received(n, r, s) for n, r, s in rows.all()]


async def recipient(session: AsyncSession, notice_id: int, person_id: int
                    ) -> NoticeRecipient | None:
    return await session.get(NoticeRecipient, (notice_id, person_id))


async def was_delivered(session: AsyncSession, notice_id: int, person_id: int) -> bool:
    state = await session.scalar(
        select(OutboxMessage.state).where(OutboxMessage.key == key_of(notice_id, person_id))
    )
    return state in (OutboxState.SENT, OutboxState.SENDING)


class ReadOutcome(enum.StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"
    NOT_RECIPIENT = "not_recipient"
    WITHDRAWN = "withdrawn"


async def record_read(session: AsyncSession, notice_id: int, person_id: int | None,
                      now: datetime) -> ReadOutcome:
    """The person pressed 已阅: read_at is set once; only a recipient's press counts."""
    state = await session.scalar(select(Notice.state).where(Notice.id == notice_id))
    if state is None or person_id is None:
        return ReadOutcome.NOT_RECIPIENT
    row = await recipient(session, notice_id, person_id)
    if row is None:
        return ReadOutcome.NOT_RECIPIENT
    if state is NoticeState.WITHDRAWN:
        return ReadOutcome.WITHDRAWN
    marked = await session.execute(
        update(NoticeRecipient)
        .where(NoticeRecipient.notice_id == notice_id, NoticeRecipient.person_id == person_id,
               NoticeRecipient.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(marked, "rowcount", 0) != 1:
        return ReadOutcome.ALREADY
    await session.execute(
        update(Notice).where(Notice.id == notice_id).values(progress_stale=True)
    )
    return ReadOutcome.RECORDED


@dataclass(frozen=True)
class NonReader:
    person_id: int
    telegram_id: int
    name: str | None
    org_name: str | None
    delivery: OutboxState | None


async def non_readers(session: AsyncSession, notice_id: int, *, limit: int = 200
                      ) -> list[NonReader]:
    """Recipients who have not pressed 已阅, with what became of their copy."""
    rows = await session.execute(
        select(Person.id, Person.telegram_id, Person.real_name, PartyOrganization.name,
               OutboxMessage.state)
        .join(NoticeRecipient, NoticeRecipient.person_id == Person.id)
        .outerjoin(PartyOrganization,
                   PartyOrganization.id == NoticeRecipient.party_organization_id)
        .outerjoin(OutboxMessage, OutboxMessage.key == _row_key())
        .where(NoticeRecipient.notice_id == notice_id, NoticeRecipient.read_at.is_(None))
        .order_by(PartyOrganization.name, Person.real_name, Person.id)
        .limit(limit)
    )
    return [NonReader(int(a), int(b), c, d, e) for a, b, c, d, e in rows.all()]


class RemindOutcome(enum.StrEnum):
    REMINDED = "reminded"
    ALREADY = "already"
    NOT_NEEDED = "not_needed"  # no read confirmation asked, withdrawn, or everyone read


async def remind_non_readers(
    session: AsyncSession, notice: Notice, *, actor_telegram_id: int, now: datetime,
    text_for: Callable[[NonReader], str],
    markup_for: Callable[[NonReader], dict[str, Any] | None],
) -> tuple[RemindOutcome, int]:
    """Once per notice: a reminder to every delivered recipient who has not read it."""
    if not notice.requires_read or notice.state is NoticeState.WITHDRAWN:
        return RemindOutcome.NOT_NEEDED, 0
    if notice.reminded_at is not None:
        return RemindOutcome.ALREADY, 0
    targets = [
        r for r in await non_readers(session, notice.id, limit=1_000_000)
        if r.delivery is OutboxState.SENT
    ]
    if not targets:
        return RemindOutcome.NOT_NEEDED, 0
    moved = await session.execute(
        update(Notice).where(Notice.id == notice.id, Notice.reminded_at.is_(None))
        .values(reminded_at=now).execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        return RemindOutcome.ALREADY, 0
    await outbox.enqueue(session, [
        outbox.Planned(
            key=f"{key_of(notice.id, r.person_id)}:remind", kind=REMIND_KIND,
            subject=subject_of(notice.id), chat_id=r.telegram_id, text=text_for(r), due_at=now,
            reply_markup=markup_for(r),
        )
        for r in targets
    ])
    audit.record(session, actor_telegram_id, "notice.remind", "notice", notice.id,
                 before={"reminded_at": None}, after={"reminded": len(targets)})
    return RemindOutcome.REMINDED, len(targets)
