"""Drafts and confirmation: a draft is saved, then confirmed into one outbox copy per person in
one UPDATE (a second press finds nothing to confirm), or discarded."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from rules.vocabulary import NoticeState
from storage import audit, outbox
from storage.models import Notice, NoticeRecipient
from storage.notices.audience import Audience, Recipient, recipients, scope_orgs
from storage.notices.copies import KIND, key_of, plan_messages, subject_of
from storage.notices.groups import GroupCopy, linked_groups, plan_group_posts


@dataclass(frozen=True)
class Draft:
    text_html: str
    attachments: list[dict[str, Any]]
    audience: Audience
    requires_read: bool
    paid_broadcast: bool = False
    post_in_groups: bool = False


async def save_draft(
    session: AsyncSession, *, notice_id: int | None, author_telegram_id: int,
    scope_org_id: int | None, draft: Draft,
) -> Notice:
    """Create the draft, or update the author's own draft that is still a draft."""
    notice = None
    if notice_id is not None:
        notice = await session.get(Notice, notice_id)
        if notice is not None and (
            notice.author_telegram_id != author_telegram_id or notice.state is not NoticeState.DRAFT
        ):
            notice = None
    if notice is None:
        notice = Notice(author_telegram_id=author_telegram_id, state=NoticeState.DRAFT,
                        progress_stale=False)
        session.add(notice)
    notice.party_organization_id = scope_org_id
    notice.text_html = draft.text_html
    notice.attachments = list(draft.attachments)
    notice.audience = draft.audience.to_json()
    notice.requires_read = draft.requires_read
    notice.paid_broadcast = draft.paid_broadcast
    notice.post_in_groups = draft.post_in_groups
    await session.flush()
    return notice


class ConfirmOutcome(enum.StrEnum):
    CONFIRMED = "confirmed"
    ALREADY = "already"  # confirmed before (a second press): nothing more is sent
    NOBODY = "nobody"  # the audience reaches nobody now


@dataclass(frozen=True)
class Confirmed:
    outcome: ConfirmOutcome
    recipients: int = 0
    state: NoticeState | None = None


async def confirm(
    session: AsyncSession, notice: Notice, *, actor_telegram_id: int, now: datetime,
    scheduled_at: datetime | None, markup_for: Callable[[Recipient], dict[str, Any] | None],
    exclude_person: int | None = None, group_copy: Callable[[str], GroupCopy] | None = None,
) -> Confirmed:
    """Draft -> scheduled/sending in one UPDATE, then one outbox row per distinct person (and,
    if the author chose so, one per linked group: `group_copy(language)`)."""
    audience = Audience.from_json(notice.audience)
    scope = await scope_orgs(session, notice.party_organization_id)
    people = await recipients(session, audience, scope, exclude_person)
    if not people:
        return Confirmed(ConfirmOutcome.NOBODY)
    state = NoticeState.SCHEDULED if scheduled_at is not None else NoticeState.SENDING
    # Split once for everyone: the courier sends these parts to each recipient.
    parts = [step.to_json() for step in await plan_messages(notice.text_html, notice.attachments)]
    moved = await session.execute(
        update(Notice)
        .where(Notice.id == notice.id, Notice.state == NoticeState.DRAFT)
        .values(state=state, scheduled_at=scheduled_at or now, confirmed_at=now,
                progress_stale=True, parts=parts)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        return Confirmed(ConfirmOutcome.ALREADY, state=notice.state)
    due = scheduled_at or now
    await session.execute(
        insert(NoticeRecipient),
        [
            {"notice_id": notice.id, "person_id": p.person_id, "chat_id": p.telegram_id,
             "party_organization_id": p.org_id}
            for p in people
        ],
    )
    media = notice.attachments or None
    # The copies carry no text of their own: the courier sends the notice's stored parts
    # (10,000 copies of a long notice would otherwise write the text 10,000 times).
    await outbox.enqueue(session, [
        outbox.Planned(
            key=key_of(notice.id, p.person_id), kind=KIND, subject=subject_of(notice.id),
            chat_id=p.telegram_id, text="", due_at=due,
            reply_markup=markup_for(p), media=media, paid_broadcast=notice.paid_broadcast,
        )
        for p in people
    ])
    groups = 0
    if notice.post_in_groups and group_copy is not None:
        linked = await linked_groups(session, audience, scope, exclude_person)
        groups = await plan_group_posts(session, notice, linked, due=due, copy_for=group_copy)
    audit.record(
        session, actor_telegram_id, "notice.schedule" if scheduled_at else "notice.send",
        "notice", notice.id,
        before={"state": NoticeState.DRAFT.value},
        after={"state": state.value, "recipients": len(people), "audience": notice.audience,
               "scheduled_at": due.isoformat(), "requires_read": notice.requires_read,
               "paid_broadcast": notice.paid_broadcast, "groups": groups},
    )
    return Confirmed(ConfirmOutcome.CONFIRMED, len(people), state)


async def discard_draft(session: AsyncSession, notice_id: int, author_telegram_id: int) -> bool:
    """Delete a draft nobody was sent (cancel in the preview)."""
    notice = await session.get(Notice, notice_id)
    if notice is None or notice.state is not NoticeState.DRAFT or (
        notice.author_telegram_id != author_telegram_id
    ):
        return False
    await session.delete(notice)
    return True
