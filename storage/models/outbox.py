"""The outbox of messages to send later, the reminder planner's watermark, the couriers
sending them and what each person wants to be reminded of."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, string_enum, utcnow


class OutboxState(enum.StrEnum):
    PENDING = "pending"  # waiting for due_at
    SENDING = "sending"  # leased by a courier: maybe in flight
    SENT = "sent"
    FAILED = "failed"  # gave up: blocked, chat gone, or too many attempts
    CANCELLED = "cancelled"  # no longer true (meeting moved, duty done, muted)


class OutboxMessage(Base):
    """A message to send later: written before it is sent, sent once (see reminders/)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What, for whom, which occurrence: planning the same reminder twice adds nothing.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str | None] = mapped_column(String(64), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    reply_markup: Mapped[dict[str, Any] | None]
    urgent: Mapped[bool] = mapped_column(default=False)
    # Sent as one message with the other bundled rows of the same chat claimed with it (digest).
    bundle: Mapped[bool] = mapped_column(default=False)
    due_at: Mapped[datetime]
    # Pointless after this (a meeting reminder once the meeting began): cancelled, not sent.
    expires_at: Mapped[datetime | None]
    state: Mapped[OutboxState] = mapped_column(
        string_enum(OutboxState), default=OutboxState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None]
    leased_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Notices (issue 7): photos/documents sent with the text, and Telegram's paid broadcast.
    media: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    paid_broadcast: Mapped[bool] = mapped_column(default=False)


class PlannerWatermark(Base):
    """How far ahead the reminder planner has planned: the next pass starts there, so an
    outage is caught up exactly once (reminders/planner.py)."""

    __tablename__ = "planner_watermarks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    planned_until: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourierInstance(Base):
    """A running courier, one per process start: its id is what outbox.leased_by names, and
    a heartbeat that stops tells the other processes its leased rows are theirs to take."""

    __tablename__ = "courier_instances"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(64))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime] = mapped_column(index=True)


class NotificationPreference(Base):
    """What a person wants to be reminded of, and whether as one daily digest."""

    __tablename__ = "notification_preferences"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    muted_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    digest: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
