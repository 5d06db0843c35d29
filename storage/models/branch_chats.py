"""A branch's group chat (issue 18): which Telegram group is linked to which branch, the
one-time codes a leader makes to link one, and the meeting posts the bot keeps there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

CURRENT_SQL = "unlinked_at IS NULL"
BRANCH_SQL = "unlinked_at IS NULL AND party_group_id IS NULL"  # the branch's own chat
GROUP_SQL = "unlinked_at IS NULL AND party_group_id IS NOT NULL"  # a 党小组's chat


class BranchChat(Base):
    """A group chat linked to a branch (or to one of its 党小组), from the link until it is
    unlinked or the bot leaves."""

    __tablename__ = "branch_chats"
    __table_args__ = (
        # One current chat per branch and per 党小组; a chat belongs to one of them at a time.
        Index("uq_branch_chats_current_org", "party_organization_id", unique=True,
              sqlite_where=text(BRANCH_SQL), postgresql_where=text(BRANCH_SQL)),
        Index("uq_branch_chats_current_group", "party_group_id", unique=True,
              sqlite_where=text(GROUP_SQL), postgresql_where=text(GROUP_SQL)),
        Index("uq_branch_chats_current_chat", "chat_id", unique=True,
              sqlite_where=text(CURRENT_SQL), postgresql_where=text(CURRENT_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_organization_id: Mapped[int] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="CASCADE"))
    party_group_id: Mapped[int | None] = mapped_column(  # None: the whole branch's chat
        ForeignKey("party_groups.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)  # Telegram's (negative) group id
    title: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8))  # what the bot posts there is in it
    linked_by: Mapped[int] = mapped_column(BigInteger)  # Telegram id
    linked_at: Mapped[datetime]
    unlinked_at: Mapped[datetime | None]


class ChatLinkCode(Base):
    """A one-time code a leader sends in a group to link it to their branch."""

    __tablename__ = "chat_link_codes"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    party_organization_id: Mapped[int] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="CASCADE"), index=True)
    party_group_id: Mapped[int | None] = mapped_column(  # the code links a 党小组's chat
        ForeignKey("party_groups.id", ondelete="CASCADE"))
    created_by: Mapped[int] = mapped_column(BigInteger)  # Telegram id
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class GroupPost(Base):
    """A meeting posted in a linked group, with its counts as last shown (edited in place)."""

    __tablename__ = "group_posts"
    __table_args__ = (UniqueConstraint("meeting_id", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)  # None until Telegram took it
    shown: Mapped[str | None] = mapped_column(String(64))  # a digest of the text it shows
    posted_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    final: Mapped[bool] = mapped_column(default=False)  # closed or cancelled: no more edits
