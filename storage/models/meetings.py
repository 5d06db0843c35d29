"""Meetings, their attendance lines and files, and the closed meetings counted per month."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rules.vocabulary import AttendanceStatus, CheckinMethod, MeetingKind, MeetingState
from storage.models.base import Base, string_enum, utcnow
from storage.models.orgs import PartyGroup, PartyOrganization
from storage.models.people import Membership


class Meeting(Base):
    """One meeting of a branch (or of one of its 党小组); frozen once closed."""

    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_org_starts", "party_organization_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    party_organization_id: Mapped[int] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="RESTRICT")
    )
    party_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_groups.id", ondelete="SET NULL")
    )
    series_id: Mapped[str | None] = mapped_column(String(32), index=True)
    kind: Mapped[MeetingKind] = mapped_column(string_enum(MeetingKind))
    state: Mapped[MeetingState] = mapped_column(string_enum(MeetingState))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    place: Mapped[str | None] = mapped_column(String(200))
    online_url: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    topic: Mapped[str] = mapped_column(String(200))
    host: Mapped[str | None] = mapped_column(String(50))
    recorder: Mapped[str | None] = mapped_column(String(50))
    lecturer: Mapped[str | None] = mapped_column(String(50))
    checkin_minutes_before: Mapped[int] = mapped_column(Integer, default=30)
    checkin_minutes_after: Mapped[int] = mapped_column(Integer, default=30)
    code_secret: Mapped[str] = mapped_column(String(64))  # hex; rotates the room code
    checkin_opened_at: Mapped[datetime | None]
    minutes: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(BigInteger)
    cancelled_reason: Mapped[str | None] = mapped_column(String(200))
    # Recorded after the fact by a secretary (storage/past_meetings.py), not run in the bot.
    entered_afterwards: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    party_organization: Mapped[PartyOrganization] = relationship()
    party_group: Mapped[PartyGroup | None] = relationship()
    attendances: Mapped[list[Attendance]] = relationship(
        back_populates="meeting", order_by="Attendance.id"
    )


class Attendance(Base):
    """One person's line in a meeting's record: expected, present, on leave, absent or guest."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("meeting_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[AttendanceStatus] = mapped_column(string_enum(AttendanceStatus))
    checked_in_at: Mapped[datetime | None]
    method: Mapped[CheckinMethod | None] = mapped_column(string_enum(CheckinMethod))
    marked_by: Mapped[int | None] = mapped_column(BigInteger)  # Telegram id; the member or 代签
    leave_reason: Mapped[str | None] = mapped_column(String(200))
    leave_decided_by: Mapped[int | None] = mapped_column(BigInteger)
    makeup_done_at: Mapped[datetime | None]  # 补学 confirmed
    # The secretary accepted the 补学: only then does it count as organizational life (drift).
    makeup_accepted_at: Mapped[datetime | None]
    makeup_accepted_by: Mapped[int | None] = mapped_column(BigInteger)  # Telegram id
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="attendances")
    membership: Mapped[Membership] = relationship()


class MeetingFile(Base):
    """A photo or document attached to a meeting's minutes (kept as the Telegram file id)."""

    __tablename__ = "meeting_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    telegram_file_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # photo | document
    file_name: Mapped[str | None] = mapped_column(String(200))
    added_by: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class MeetingCount(Base):
    """Closed meetings per organization, kind, 党小组 and local month: what compliance reads.

    Kept by storage/meetings.py in the transaction that closes a meeting or corrects its
    record (storage/meeting_counts.py), so verdicts never scan every meeting.
    """

    __tablename__ = "meeting_counts"
    # The overview reads a few recent months of each kind across every branch.
    __table_args__ = (Index("ix_meeting_counts_kind_month", "kind", "month"),)

    party_organization_id: Mapped[int] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[MeetingKind] = mapped_column(string_enum(MeetingKind), primary_key=True)
    group_key: Mapped[int] = mapped_column(Integer, primary_key=True)  # 党小组 id, 0 for none
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day, local time
    held: Mapped[int] = mapped_column(Integer, default=0)
    inquorate: Mapped[int] = mapped_column(Integer, default=0)  # committee, no quorum
