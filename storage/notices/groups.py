"""Notices in linked group chats (issue 18): when its author chose so, a notice is also posted
once in the linked group of each branch its recipients belong to, as an outbox row of kind
GROUP_KIND (recorded before it is sent, retried, never doubled: its key names the notice and
the group). The post carries its own text (rules.notices.group_post): one message, so a
withdrawal can delete it. A 已阅 pressed under it is the same read receipt as in private."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.models import BranchChat, Notice, OutboxMessage, OutboxState
from storage.notices.audience import Audience, _recipients_query, _target_orgs
from storage.notices.copies import GROUP_KIND, group_key, subject_of


@dataclass(frozen=True)
class GroupCopy:
    """What one group is posted (in its language)."""

    text: str
    media: list[dict[str, Any]] | None
    reply_markup: dict[str, Any] | None


async def linked_groups(
    session: AsyncSession, audience: Audience, scope: set[int] | None,
    exclude_person: int | None = None,
) -> list[BranchChat]:
    """The current linked groups of the branches the audience's recipients belong to (the
    branches' own chats, not their 党小组's)."""
    targets = await _target_orgs(session, audience, scope)
    if targets is not None and not targets:
        return []
    reached = _recipients_query(targets, audience, exclude_person).subquery()
    rows = await session.scalars(
        select(BranchChat)
        .where(BranchChat.unlinked_at.is_(None), BranchChat.party_group_id.is_(None),
               BranchChat.party_organization_id.in_(select(reached.c.party_organization_id)))
        .order_by(BranchChat.id)
    )
    return list(rows.all())


async def plan_group_posts(
    session: AsyncSession, notice: Notice, groups: list[BranchChat], *, due: datetime,
    copy_for: Callable[[str], GroupCopy],
) -> int:
    """One outbox row per group (a key already planned adds nothing); how many are new."""
    planned = []
    for group in groups:
        copy = copy_for(group.language)
        planned.append(outbox.Planned(
            key=group_key(notice.id, group.chat_id), kind=GROUP_KIND,
            subject=subject_of(notice.id), chat_id=group.chat_id, text=copy.text, due_at=due,
            reply_markup=copy.reply_markup, media=copy.media,
        ))
    return await outbox.enqueue(session, planned)


async def sent_group_posts(session: AsyncSession, notice_id: int
                           ) -> list[tuple[int, int, str | None]]:
    """(chat id, message id, the group's language if still linked) of the notice's posts that
    reached their group."""
    linked = (BranchChat.chat_id == OutboxMessage.chat_id) & BranchChat.unlinked_at.is_(None)
    rows = await session.execute(
        select(OutboxMessage.chat_id, OutboxMessage.telegram_message_id, BranchChat.language)
        .outerjoin(BranchChat, linked)
        .where(OutboxMessage.subject == subject_of(notice_id),
               OutboxMessage.kind == GROUP_KIND, OutboxMessage.state == OutboxState.SENT,
               OutboxMessage.telegram_message_id.is_not(None))
        .order_by(OutboxMessage.id)
    )
    return [(int(chat), int(message or 0), language) for chat, message, language in rows.all()]
