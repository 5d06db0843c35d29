"""Training hours (issue 5; DOMAIN.md "Training"): records, their minutes per calendar year,
evidence files and per-organization requirement overrides; and the party lessons attended,
kept for the training totals."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rules.vocabulary import TrainingGroup, TrainingKind, TrainingState
from storage.models.base import Base, string_enum, utcnow
from storage.models.people import Person

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
    kind: Mapped[TrainingKind] = mapped_column(string_enum(TrainingKind))
    title: Mapped[str] = mapped_column(String(200))
    title_key: Mapped[str] = mapped_column(String(200))  # rules.training.normalize_title
    organizer: Mapped[str | None] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)  # total, all years
    state: Mapped[TrainingState] = mapped_column(string_enum(TrainingState))
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
    role_group: Mapped[TrainingGroup] = mapped_column(string_enum(TrainingGroup), primary_key=True)
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
