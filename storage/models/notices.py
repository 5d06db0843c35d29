"""Notices (issue 7): broadcasts by admins and secretaries, their recipients and read receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from rules.vocabulary import NoticeState
from storage.models.base import Base, string_enum, utcnow


class Notice(Base):
    """One broadcast notice: HTML text, attachments, who it is for and what became of it."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_state_scheduled", "state", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    # The author's scope: their branch (secretary); None for an admin (everything).
    party_organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="SET NULL"), index=True
    )
    text_html: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The messages every recipient gets (rules.notices.Step as JSON), split once when the
    # notice is confirmed; None for a draft.
    parts: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    requires_read: Mapped[bool] = mapped_column(default=False)
    paid_broadcast: Mapped[bool] = mapped_column(default=False)
    # Also posted in the linked groups of the audience's branches (issue 18).
    post_in_groups: Mapped[bool] = mapped_column(default=False, server_default=false())
    state: Mapped[NoticeState] = mapped_column(string_enum(NoticeState), default=NoticeState.DRAFT)
    scheduled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[int | None] = mapped_column(BigInteger)
    reminded_at: Mapped[datetime | None]  # non-readers reminded (once)
    # The author's live progress message, edited at most every few seconds.
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_shown: Mapped[str | None] = mapped_column(String(64))
    progress_at: Mapped[datetime | None]
    progress_stale: Mapped[bool] = mapped_column(default=False)


class NoticeRecipient(Base):
    """One person a notice is addressed to; read_at when they pressed 已阅."""

    __tablename__ = "notice_recipients"
    __table_args__ = (Index("ix_notice_recipients_person", "person_id", "notice_id"),)

    notice_id: Mapped[int] = mapped_column(
        ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    party_organization_id: Mapped[int | None] = mapped_column(Integer)  # at sending time
    read_at: Mapped[datetime | None]
