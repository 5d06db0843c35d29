"""How far notices have got: counts of copies and reads (authors' progress, the dashboard),
lists of notices with them, the author's progress message, and scheduled → sending → sent."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import String, case, cast, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rules.vocabulary import NoticeState
from storage.models import Notice, NoticeRecipient, OutboxMessage, OutboxState, PartyOrganization
from storage.notices.copies import GROUP_KIND, KIND, subject_of

OPEN_STATES = (NoticeState.SCHEDULED, NoticeState.SENDING)


@dataclass(frozen=True)
class Counts:
    recipients: int = 0
    queued: int = 0  # pending or in flight
    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    read: int = 0
    groups: int = 0  # posts that reached a linked group chat

    def shown(self) -> str:
        """A short fingerprint: the progress message is edited only when it changes."""
        return (f"{self.recipients}/{self.queued}/{self.sent}/{self.failed}/{self.read}"
                f"/{self.groups}")


async def counts(session: AsyncSession, notice_ids: Collection[int]) -> dict[int, Counts]:
    """Per notice: recipients, copies queued/sent/failed/cancelled, and reads, in SQL."""
    ids = sorted(set(notice_ids))
    if not ids:
        return {}
    subjects = {subject_of(i): i for i in ids}
    by_state = await session.execute(
        select(OutboxMessage.subject, OutboxMessage.kind, OutboxMessage.state, func.count())
        .where(OutboxMessage.subject.in_(subjects), OutboxMessage.kind.in_((KIND, GROUP_KIND)))
        .group_by(OutboxMessage.subject, OutboxMessage.kind, OutboxMessage.state)
    )
    states: dict[int, dict[OutboxState, int]] = {i: {} for i in ids}
    posted: dict[int, int] = {}
    for subject, kind, state, n in by_state.all():
        if kind == GROUP_KIND:
            if state is OutboxState.SENT:
                posted[subjects[str(subject)]] = int(n)
            continue
        states[subjects[str(subject)]][state] = int(n)
    reads = await session.execute(
        select(NoticeRecipient.notice_id, func.count(), func.count(NoticeRecipient.read_at))
        .where(NoticeRecipient.notice_id.in_(ids))
        .group_by(NoticeRecipient.notice_id)
    )
    people = {int(i): (int(n), int(r)) for i, n, r in reads.all()}
    result = {}
    for i in ids:
        s = states[i]
        total, read = people.get(i, (0, 0))
        result[i] = Counts(
            recipients=total,
            queued=s.get(OutboxState.PENDING, 0) + s.get(OutboxState.SENDING, 0),
            sent=s.get(OutboxState.SENT, 0), failed=s.get(OutboxState.FAILED, 0),
            cancelled=s.get(OutboxState.CANCELLED, 0), read=read, groups=posted.get(i, 0),
        )
    return result


@dataclass(frozen=True)
class NoticeRow:
    """A notice with its counts, for lists (authors, the dashboard)."""

    notice: Notice
    org_name: str | None
    counts: Counts = field(default_factory=Counts)


async def list_in_subtree(
    session: AsyncSession, org_ids: Collection[int] | None, *, limit: int = 50,
    include_drafts: bool = False,
) -> list[NoticeRow]:
    """Notices whose scope lies in `org_ids` (None: all, admins' notices included),
    newest first, with recipients, sent, failed and read counts."""
    statement = (
        select(Notice, PartyOrganization.name)
        .outerjoin(PartyOrganization, PartyOrganization.id == Notice.party_organization_id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(limit)
    )
    if org_ids is not None:
        statement = statement.where(Notice.party_organization_id.in_(list(org_ids)))
    if not include_drafts:
        statement = statement.where(Notice.state != NoticeState.DRAFT)
    rows = (await session.execute(statement)).all()
    figures = await counts(session, [n.id for n, _ in rows])
    return [NoticeRow(n, name, figures.get(n.id, Counts())) for n, name in rows]


async def list_by_author(
    session: AsyncSession, author_telegram_id: int, *, limit: int = 10
) -> list[NoticeRow]:
    rows = (await session.execute(
        select(Notice, PartyOrganization.name)
        .outerjoin(PartyOrganization, PartyOrganization.id == Notice.party_organization_id)
        .where(Notice.author_telegram_id == author_telegram_id,
               Notice.state != NoticeState.DRAFT)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(limit)
    )).all()
    figures = await counts(session, [n.id for n, _ in rows])
    return [NoticeRow(n, name, figures.get(n.id, Counts())) for n, name in rows]


async def set_progress_message(
    session: AsyncSession, notice_id: int, chat_id: int, message_id: int, shown: str,
    now: datetime,
) -> None:
    await session.execute(
        update(Notice).where(Notice.id == notice_id).values(
            progress_chat_id=chat_id, progress_message_id=message_id, progress_shown=shown,
            progress_at=now,
        )
    )


async def advance(session: AsyncSession, now: datetime) -> None:
    """Scheduled notices whose time came are sending; sending ones with nothing queued
    are sent."""
    await session.execute(
        update(Notice)
        .where(Notice.state == NoticeState.SCHEDULED, Notice.scheduled_at <= now)
        .values(state=NoticeState.SENDING, progress_stale=True)
        .execution_options(synchronize_session=False)
    )
    queued = (
        select(OutboxMessage.id)
        .where(OutboxMessage.subject == literal("notice:") + cast(Notice.id, String),
               OutboxMessage.kind == KIND,
               OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING)))
        .exists()
    )
    await session.execute(
        update(Notice)
        .where(Notice.state == NoticeState.SENDING, ~queued)
        .values(state=NoticeState.SENT, sent_at=now, progress_stale=True)
        .execution_options(synchronize_session=False)
    )


async def progress_due(session: AsyncSession, now: datetime, every_seconds: float
                       ) -> list[Notice]:
    """Notices whose progress message may need an edit: open, or changed since shown, and
    not edited in the last `every_seconds`."""
    recent = now - timedelta(seconds=every_seconds)
    rows = await session.scalars(
        select(Notice).where(
            Notice.progress_message_id.is_not(None),
            or_(Notice.state.in_(OPEN_STATES), Notice.progress_stale.is_(True)),
            or_(Notice.progress_at.is_(None), Notice.progress_at <= recent),
        )
    )
    return list(rows.all())


async def mark_shown(session: AsyncSession, notice_id: int, shown: str, now: datetime) -> None:
    await session.execute(
        update(Notice).where(Notice.id == notice_id).values(
            progress_shown=shown, progress_at=now,
            progress_stale=case((Notice.state.in_(OPEN_STATES), True), else_=False),
        )
    )
