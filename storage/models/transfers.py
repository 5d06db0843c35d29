"""Membership transfers (组织关系转接): one introduction letter each, between branches in the bot,
out to an organization outside it, or in from one."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from rules.vocabulary import TransferKind, TransferState
from storage.models.base import Base, string_enum

WAITING_SQL = "state = 'waiting'"


class MembershipTransfer(Base):
    """An introduction letter (介绍信) and what became of it; the membership rows it ended and
    began keep the history on both branches' sides."""

    __tablename__ = "transfers"
    __table_args__ = (
        # One letter in flight per member: a second would move them twice.
        Index("uq_transfers_waiting_person", "person_id", unique=True,
              sqlite_where=text(WAITING_SQL), postgresql_where=text(WAITING_SQL)),
        Index("ix_transfers_to_state", "to_organization_id", "state"),
        Index("ix_transfers_from_state", "from_organization_id", "state"),
        CheckConstraint("dues_paid_month IS NULL OR dues_paid_month BETWEEN 1 AND 12",
                        name="dues_month_real"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TransferKind] = mapped_column(string_enum(TransferKind))
    state: Mapped[TransferState] = mapped_column(string_enum(TransferState))
    # The bot's own number (2026-0007), or the one printed on a letter from outside.
    letter_number: Mapped[str | None] = mapped_column(String(40))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    from_membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="RESTRICT"))
    to_membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="RESTRICT"))
    from_organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="RESTRICT"))
    to_organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="RESTRICT"))
    outside_organization: Mapped[str | None] = mapped_column(String(100))  # OUT: to; IN: from
    dues_paid_year: Mapped[int | None] = mapped_column(Integer)  # the month dues are paid to
    dues_paid_month: Mapped[int | None] = mapped_column(Integer)
    issued_at: Mapped[datetime]
    valid_until: Mapped[date] = mapped_column(Date)  # the last day it may be accepted
    issued_by: Mapped[int] = mapped_column(BigInteger)  # Telegram id
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(200))  # why it was returned
