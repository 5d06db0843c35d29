"""Withdrawal: what is not sent yet is cancelled, and whoever got the notice is told."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rules.vocabulary import NoticeState
from storage import audit, outbox
from storage.models import Notice, NoticeRecipient, OutboxMessage, OutboxState, Person
from storage.notices.copies import (
    GROUP_KIND,
    KIND,
    REMIND_KIND,
    WITHDRAWN_KIND,
    _row_key,
    key_of,
    subject_of,
)


async def withdraw(
    session: AsyncSession, notice: Notice, *, actor_telegram_id: int, now: datetime,
    text_for: Callable[[int], str],
) -> tuple[bool, int, int]:
    """Cancel what is not sent, tell who got it; returns (applied, cancelled, told)."""
    before = notice.state
    moved = await session.execute(
        update(Notice)
        .where(Notice.id == notice.id, Notice.state.in_(
            (NoticeState.SCHEDULED, NoticeState.SENDING, NoticeState.SENT)))
        .values(state=NoticeState.WITHDRAWN, withdrawn_at=now, withdrawn_by=actor_telegram_id,
                progress_stale=True)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        return False, 0, 0
    cancelled = await outbox.cancel(session, subject=subject_of(notice.id), reason="withdrawn",
                                    kinds=(KIND, REMIND_KIND))
    # Group posts not sent yet are not sent; those sent are the handler's to delete.
    await outbox.cancel(session, subject=subject_of(notice.id), reason="withdrawn",
                        kinds=(GROUP_KIND,))
    got_it = await session.execute(
        select(NoticeRecipient.person_id, NoticeRecipient.chat_id, Person.language)
        .join(Person, Person.id == NoticeRecipient.person_id)
        .join(OutboxMessage, OutboxMessage.key == _row_key())
        .where(NoticeRecipient.notice_id == notice.id,
               OutboxMessage.state.in_((OutboxState.SENT, OutboxState.SENDING)))
    )
    told = [
        outbox.Planned(
            key=f"{key_of(notice.id, person_id)}:withdrawn", kind=WITHDRAWN_KIND,
            subject=subject_of(notice.id), chat_id=int(chat_id), text=text_for(int(person_id)),
            due_at=now, urgent=True,
        )
        for person_id, chat_id, _language in got_it.all()
    ]
    await outbox.enqueue(session, told)
    audit.record(session, actor_telegram_id, "notice.withdraw", "notice", notice.id,
                 before={"state": before.value},
                 after={"state": NoticeState.WITHDRAWN.value, "cancelled": cancelled,
                        "told": len(told)})
    return True, cancelled, len(told)


async def languages_of_recipients(session: AsyncSession, notice_id: int) -> dict[int, str]:
    rows = await session.execute(
        select(NoticeRecipient.person_id, Person.language)
        .join(Person, Person.id == NoticeRecipient.person_id)
        .where(NoticeRecipient.notice_id == notice_id)
    )
    return {int(p): str(lang) for p, lang in rows.all()}
