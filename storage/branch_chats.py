"""A branch's group chat (issue 18): a leader makes a one-time code in private, sends it in the
group, and the group is linked to the branch (one group per branch, one branch per group);
unlinked by a leader, or when the bot is removed from the group.

Who may link is the handlers' check (the code's branch must be one the sender leads); here a
code is only found while it is unused and unexpired. Every link and unlink is audited.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.models import BranchChat, ChatLinkCode

CODE_BYTES = 6  # 8 url-safe characters: unguessable within its hour, quick to type
CODE_VALID = timedelta(hours=1)


async def new_code(session: AsyncSession, org_id: int, *, by: int, now: datetime
                   ) -> ChatLinkCode:
    """A fresh code for the branch; earlier unused ones of the branch stop working."""
    await session.execute(
        update(ChatLinkCode)
        .where(ChatLinkCode.party_organization_id == org_id, ChatLinkCode.used_at.is_(None))
        .values(expires_at=now).execution_options(synchronize_session=False))
    code = ChatLinkCode(code=secrets.token_urlsafe(CODE_BYTES), party_organization_id=org_id,
                        created_by=by, created_at=now, expires_at=now + CODE_VALID)
    session.add(code)
    await session.flush()
    return code


async def usable_code(session: AsyncSession, code: str, now: datetime) -> ChatLinkCode | None:
    """The code if it exists, is unused and has not expired (locked until the transaction
    ends, so two groups cannot both use it)."""
    found = await session.scalar(
        select(ChatLinkCode).where(ChatLinkCode.code == code).with_for_update())
    if found is None or found.used_at is not None or found.expires_at <= now:
        return None
    return found


async def current_chat(session: AsyncSession, org_id: int) -> BranchChat | None:
    return await session.scalar(select(BranchChat).where(
        BranchChat.party_organization_id == org_id, BranchChat.unlinked_at.is_(None)))


async def chat_link(session: AsyncSession, chat_id: int) -> BranchChat | None:
    """The current link of a group chat, if it has one."""
    return await session.scalar(select(BranchChat).where(
        BranchChat.chat_id == chat_id, BranchChat.unlinked_at.is_(None)))


async def link(session: AsyncSession, code: ChatLinkCode, *, chat_id: int, title: str,
               language: str, by: int, now: datetime) -> BranchChat:
    """Link the group to the code's branch; the branch's earlier group, and the group's earlier
    branch, are unlinked. The code is used up."""
    org_id = code.party_organization_id
    for earlier in (await session.scalars(select(BranchChat).where(
            BranchChat.unlinked_at.is_(None),
            (BranchChat.party_organization_id == org_id) | (BranchChat.chat_id == chat_id)))):
        _end(session, earlier, by=by, now=now, why="replaced")
    await session.flush()  # the partial unique indexes see the ends before the new row
    code.used_at = now
    linked = BranchChat(party_organization_id=org_id, chat_id=chat_id, title=title[:255],
                        language=language, linked_by=by, linked_at=now)
    session.add(linked)
    await session.flush()
    audit.record(session, by, "group.linked", "party_organization", org_id, chat_id=chat_id)
    return linked


def unlink(session: AsyncSession, linked: BranchChat, *, by: int | None, now: datetime,
           why: str) -> None:
    """End the link (a leader's choice, or the bot left the group)."""
    _end(session, linked, by=by, now=now, why=why)


def _end(session: AsyncSession, linked: BranchChat, *, by: int | None, now: datetime,
         why: str) -> None:
    linked.unlinked_at = now
    audit.record(session, by, "group.unlinked", "party_organization",
                 linked.party_organization_id, chat_id=linked.chat_id, why=why)
