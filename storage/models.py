"""Typed SQLAlchemy models: the organization tree, people, memberships, invites, audit."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# The domain's enums; _enum stores each as its string value.
from rules.vocabulary import (
    AttendanceStatus,
    CheckinMethod,
    MeetingKind,
    MeetingState,
    MemberRole,
    MembershipState,
    MemberStatus,
    NoticeState,
    PartyOrgKind,
    SocialOrgType,
    TrainingGroup,
    TrainingKind,
    TrainingState,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, also on SQLite which stores no offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _enum(cls: type[enum.Enum]) -> SqlEnum:
    # Stored as plain strings so adding a value needs no PostgreSQL enum migration.
    return SqlEnum(
        cls,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class PartyOrganization(Base):
    """A 党委, 党总支, 党支部 or 联合党支部; parent_id builds the tree."""

    __tablename__ = "party_organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[PartyOrgKind] = mapped_column(_enum(PartyOrgKind))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="RESTRICT"), index=True
    )
    term_started_on: Mapped[date | None] = mapped_column(Date)
    # None means the default length for the kind (rules.terms).
    term_years: Mapped[int | None] = mapped_column(Integer)
    # The branch's dues collection day: 1..28, 31 = the last day; None: the calendar's.
    dues_day: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[PartyOrganization | None] = relationship(
        remote_side=[id], back_populates="children"
    )
    children: Mapped[list[PartyOrganization]] = relationship(back_populates="parent")
    social_organizations: Mapped[list[SocialOrganization]] = relationship(
        back_populates="party_organization"
    )
    groups: Mapped[list[PartyGroup]] = relationship(
        back_populates="party_organization", order_by="PartyGroup.name"
    )


class SocialOrganization(Base):
    """A social organization; party_organization_id is the party body covering it."""

    __tablename__ = "social_organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    org_type: Mapped[SocialOrgType] = mapped_column(_enum(SocialOrgType))
    party_organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    party_organization: Mapped[PartyOrganization | None] = relationship(
        back_populates="social_organizations"
    )


class PartyGroup(Base):
    """A 党小组 inside a branch."""

    __tablename__ = "party_groups"
    __table_args__ = (UniqueConstraint("party_organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    party_organization_id: Mapped[int] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(50))

    party_organization: Mapped[PartyOrganization] = relationship(back_populates="groups")


class Person(Base):
    """Someone who talks to the bot; identified by their Telegram user id."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    real_name: Mapped[str | None] = mapped_column(String(50))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Telegram refused a message (blocked, never opened the bot); cleared when they write again.
    unreachable_since: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", order_by="Membership.id"
    )


CURRENT_STATES = (MembershipState.PENDING, MembershipState.ACTIVE)
CURRENT_STATES_SQL = "state IN ('pending', 'active')"


class Membership(Base):
    """A person's place in one party organization; history is kept, never deleted."""

    __tablename__ = "memberships"
    __table_args__ = (
        # A person belongs to (or waits for) one branch at a time.
        Index(
            "uq_memberships_current_person",
            "person_id",
            unique=True,
            sqlite_where=text(CURRENT_STATES_SQL),
            postgresql_where=text(CURRENT_STATES_SQL),
        ),
        Index("ix_memberships_org_state", "party_organization_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    party_organization_id: Mapped[int] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="RESTRICT")
    )
    state: Mapped[MembershipState] = mapped_column(_enum(MembershipState))
    status: Mapped[MemberStatus] = mapped_column(_enum(MemberStatus))
    role: Mapped[MemberRole] = mapped_column(_enum(MemberRole), default=MemberRole.MEMBER)
    joined_party_on: Mapped[date | None] = mapped_column(Date)
    party_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_groups.id", ondelete="SET NULL")
    )
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("invites.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(BigInteger)  # Telegram id of the decider
    reject_reason: Mapped[str | None] = mapped_column(String(200))
    transferred_out_at: Mapped[datetime | None]
    transferred_to: Mapped[str | None] = mapped_column(String(100))

    person: Mapped[Person] = relationship(back_populates="memberships")
    party_organization: Mapped[PartyOrganization] = relationship()
    party_group: Mapped[PartyGroup | None] = relationship()


class Invite(Base):
    """An invite code for a branch, used as the /start payload of a t.me link."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    party_organization_id: Mapped[int] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    max_uses: Mapped[int | None] = mapped_column(Integer)  # None: until it expires
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None]

    party_organization: Mapped[PartyOrganization] = relationship()


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
    kind: Mapped[MeetingKind] = mapped_column(_enum(MeetingKind))
    state: Mapped[MeetingState] = mapped_column(_enum(MeetingState))
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
    status: Mapped[AttendanceStatus] = mapped_column(_enum(AttendanceStatus))
    checked_in_at: Mapped[datetime | None]
    method: Mapped[CheckinMethod | None] = mapped_column(_enum(CheckinMethod))
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
    kind: Mapped[MeetingKind] = mapped_column(_enum(MeetingKind), primary_key=True)
    group_key: Mapped[int] = mapped_column(Integer, primary_key=True)  # 党小组 id, 0 for none
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day, local time
    held: Mapped[int] = mapped_column(Integer, default=0)
    inquorate: Mapped[int] = mapped_column(Integer, default=0)  # committee, no quorum


class AuditEvent(Base):
    """Who did what, when, with the values before and after."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(50))
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ConversationState(Base):
    """python-telegram-bot conversation states, kept across restarts."""

    __tablename__ = "conversation_states"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column()


class UserData(Base):
    """python-telegram-bot user_data (drafts of guided flows), kept across restarts."""

    __tablename__ = "user_data"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column()


__all__ = [
    "Attendance",
    "AuditEvent",
    "Base",
    "ConversationState",
    "Invite",
    "Meeting",
    "MeetingFile",
    "Membership",
    "PartyGroup",
    "PartyOrganization",
    "Person",
    "SocialOrganization",
    "UserData",
    "utcnow",
]


# ---------------------------------------------------------------------------------------------
# Training hours (issue 5; DOMAIN.md "Training"): records, their minutes per calendar year,
# evidence files and per-organization requirement overrides.
# ---------------------------------------------------------------------------------------------


# Records that still stand: a second log of the same course is refused while one of these exists.
TRAINING_OPEN_STATES_SQL = "state IN ('pending', 'verified')"


class TrainingRecord(Base):
    """One training a person attended; minutes are split per calendar year in TrainingYear."""

    __tablename__ = "training_records"
    __table_args__ = (
        # The same course (normalized title and start day) is logged once per person.
        Index(
            "uq_training_records_course",
            "person_id",
            "title_key",
            "starts_on",
            unique=True,
            sqlite_where=text(TRAINING_OPEN_STATES_SQL),
            postgresql_where=text(TRAINING_OPEN_STATES_SQL),
        ),
        Index("ix_training_records_person_state", "person_id", "state"),
        Index("ix_training_records_state_logged", "state", "logged_at"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    kind: Mapped[TrainingKind] = mapped_column(_enum(TrainingKind))
    title: Mapped[str] = mapped_column(String(200))
    title_key: Mapped[str] = mapped_column(String(200))  # rules.training.normalize_title
    organizer: Mapped[str | None] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)  # total, all years
    state: Mapped[TrainingState] = mapped_column(_enum(TrainingState))
    batch_id: Mapped[str | None] = mapped_column(String(32), index=True)  # logged for many
    logged_by: Mapped[int] = mapped_column(BigInteger)  # Telegram id
    logged_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None]
    reject_reason: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    person: Mapped[Person] = relationship()
    years: Mapped[list[TrainingYear]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="TrainingYear.year"
    )
    evidence: Mapped[list[TrainingEvidence]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="TrainingEvidence.id"
    )


class TrainingYear(Base):
    """The minutes of a training that fall in one calendar year (so SQL can SUM per year)."""

    __tablename__ = "training_years"
    __table_args__ = (
        Index("ix_training_years_year_record", "year", "record_id"),
        CheckConstraint("minutes >= 0", name="minutes_not_negative"),
    )

    record_id: Mapped[int] = mapped_column(
        ForeignKey("training_records.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer)

    record: Mapped[TrainingRecord] = relationship(back_populates="years")


class TrainingEvidence(Base):
    """A certificate photo or PDF attached to a training record (kept as Telegram file ids)."""

    __tablename__ = "training_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("training_records.id", ondelete="CASCADE"), index=True
    )
    telegram_file_id: Mapped[str] = mapped_column(String(200))
    telegram_file_unique_id: Mapped[str] = mapped_column(String(64))
    mime_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    file_name: Mapped[str | None] = mapped_column(String(200))
    added_by: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    record: Mapped[TrainingRecord] = relationship(back_populates="evidence")


class TrainingRequirement(Base):
    """A party organization's own yearly requirement for one group; inherited by its subtree."""

    __tablename__ = "training_requirements"
    __table_args__ = (CheckConstraint("required_minutes >= 0", name="required_not_negative"),)

    party_organization_id: Mapped[int] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="CASCADE"), primary_key=True
    )
    role_group: Mapped[TrainingGroup] = mapped_column(_enum(TrainingGroup), primary_key=True)
    required_minutes: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[int | None] = mapped_column(BigInteger)
    set_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LessonAttendance(Base):
    """A party lesson attended: one line PRESENT at a CLOSED meeting of kind LESSON, with the
    person and the meeting's times copied, so training totals find a person's lessons of a year
    by index instead of joining every attendance line to its meeting.

    Kept by storage/lesson_attendances.py in the transactions that close a meeting, record one
    afterwards or change a line of a closed one; a deleted line takes its row with it.
    """

    __tablename__ = "lesson_attendances"
    __table_args__ = (Index("ix_lesson_attendances_person_starts", "person_id", "starts_at"),)

    attendance_id: Mapped[int] = mapped_column(
        ForeignKey("attendances.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]


__all__ += [
    "TRAINING_OPEN_STATES_SQL",
    "LessonAttendance",
    "TrainingEvidence",
    "TrainingRecord",
    "TrainingRequirement",
    "TrainingYear",
]

# Training views reach a person's attendance lines through all their memberships, current or
# past (a lesson attended before a transfer still counts): look memberships up by person.
Index("ix_memberships_person_id", Membership.person_id)


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
    state: Mapped[OutboxState] = mapped_column(_enum(OutboxState), default=OutboxState.PENDING)
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


class Duty(Base):
    """A reporting duty: a default of rules/duties.py (by code, editable) or a custom one."""

    __tablename__ = "duties"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    title: Mapped[str | None] = mapped_column(String(200))
    # Whose subtree it concerns; None: every organization.
    party_organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="CASCADE"), index=True
    )
    recurrence: Mapped[str] = mapped_column(String(16))
    month: Mapped[int | None] = mapped_column(Integer)
    day: Mapped[int] = mapped_column(Integer, default=1)
    on_date: Mapped[date | None] = mapped_column(Date)
    lead_days: Mapped[list[int]] = mapped_column(JSON, default=list)
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DutyCompletion(Base):
    """A branch marked one occurrence of a duty done: its reminders stop."""

    __tablename__ = "duty_completions"
    __table_args__ = (UniqueConstraint("duty_id", "party_organization_id", "occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    duty_id: Mapped[int] = mapped_column(ForeignKey("duties.id", ondelete="CASCADE"))
    party_organization_id: Mapped[int] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="CASCADE")
    )
    occurrence: Mapped[str] = mapped_column(String(16))
    done_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_by: Mapped[int] = mapped_column(BigInteger)
    file_id: Mapped[str | None] = mapped_column(String(200))
    file_name: Mapped[str | None] = mapped_column(String(200))


class TermRenewal(Base):
    """A recorded 换届: the election, who was elected, the upper level's approval."""

    __tablename__ = "term_renewals"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_organization_id: Mapped[int] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="CASCADE"), index=True
    )
    elected_on: Mapped[date] = mapped_column(Date)
    secretary_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    deputy_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    approved_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------------------------
# Notices (issue 7): broadcasts by admins and secretaries, their recipients and read receipts.
# ---------------------------------------------------------------------------------------------


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
    state: Mapped[NoticeState] = mapped_column(_enum(NoticeState), default=NoticeState.DRAFT)
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


class WebSignInToken(Base):
    """A one-time dashboard sign-in link (/dashboard); only the token's SHA-256 is stored."""

    __tablename__ = "web_sign_in_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in dashboard browser; only the cookie value's SHA-256 is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


# ---------------------------------------------------------------------------------------------
# Several instances on one database (issue 8): updates already taken, so a webhook update that
# arrives twice (Telegram retries, a balancer resends) is handled once.
# ---------------------------------------------------------------------------------------------


class ProcessedUpdate(Base):
    """A Telegram update some instance accepted; pruned after a day (Telegram retries less)."""

    __tablename__ = "processed_updates"
    __table_args__ = (Index("ix_processed_updates_chat_id_update_id", "chat_id", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # The chat whose order it keeps (None: updates without a chat, e.g. inline queries).
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    handled_at: Mapped[datetime | None]


# ---------------------------------------------------------------------------------------------
# Holiday schedules an admin loads per year (`branchbot calendar import`): they come before the
# chinese_calendar package's data (rules/workdays.py).
# ---------------------------------------------------------------------------------------------


class HolidayCalendarYear(Base):
    """A year whose working days come from a loaded file."""

    __tablename__ = "holiday_calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source_name: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class HolidayCalendarDay(Base):
    """One listed day of a loaded year: a holiday (rest) or a make-up working day (调休)."""

    __tablename__ = "holiday_calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(
        ForeignKey("holiday_calendar_years.year", ondelete="CASCADE"), index=True
    )
    working: Mapped[bool] = mapped_column()
    name: Mapped[str] = mapped_column(String(100), default="")
