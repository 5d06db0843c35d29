"""The yearly democratic appraisal of members (民主评议党员): a branch's appraisal of a year,
members' self-assessments, peer grades (the grader kept only for one grade per pair, never
shown) and the branch's result per member."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from rules.vocabulary import AppraisalGrade
from storage.models.base import Base, string_enum


class Appraisal(Base):
    """A branch's appraisal of one year: opened, closed, linked to the year's 民主评议 meeting
    when held as one, and the day the assembly confirmed the results."""

    __tablename__ = "appraisals"
    __table_args__ = (
        UniqueConstraint("party_organization_id", "year", name="uq_appraisals_org_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    party_organization_id: Mapped[int] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime]
    opened_by: Mapped[int] = mapped_column(BigInteger)  # Telegram id
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(BigInteger)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    assembly_confirmed_on: Mapped[date | None] = mapped_column(Date)


class AppraisalSelf(Base):
    """A member's self-assessment (自我评价), replaced while the appraisal is open."""

    __tablename__ = "appraisal_selves"
    __table_args__ = (
        UniqueConstraint("appraisal_id", "person_id", name="uq_appraisal_selves_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(ForeignKey("appraisals.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    text: Mapped[str] = mapped_column(String(500))
    submitted_at: Mapped[datetime]


class AppraisalPeerGrade(Base):
    """One member's grade of another (互评). The grader is kept only so a pair has one grade
    (changed or withdrawn by its giver); it is never shown to anyone."""

    __tablename__ = "appraisal_peer_grades"
    __table_args__ = (
        UniqueConstraint("appraisal_id", "grader_person_id", "graded_person_id",
                         name="uq_appraisal_peer_grades_pair"),
        Index("ix_appraisal_peer_grades_graded", "appraisal_id", "graded_person_id"),
        CheckConstraint("grader_person_id <> graded_person_id", name="not_oneself"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(ForeignKey("appraisals.id", ondelete="CASCADE"))
    grader_person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    graded_person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    grade: Mapped[AppraisalGrade] = mapped_column(string_enum(AppraisalGrade))
    given_at: Mapped[datetime]


class AppraisalResult(Base):
    """The branch's result (评议结果) for a member, with a short note."""

    __tablename__ = "appraisal_results"
    __table_args__ = (
        UniqueConstraint("appraisal_id", "person_id", name="uq_appraisal_results_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(ForeignKey("appraisals.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    grade: Mapped[AppraisalGrade] = mapped_column(string_enum(AppraisalGrade))
    note: Mapped[str | None] = mapped_column(String(100))
    recorded_by: Mapped[int] = mapped_column(BigInteger)  # Telegram id
    recorded_at: Mapped[datetime]
