"""Member development (发展党员): a person's record from application to full membership, each
step the branch took, the activist's 培养联系人 and the 思想汇报 they hand in."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rules.vocabulary import DevelopmentStage
from storage.models.base import Base, string_enum, utcnow

OPEN_SQL = "closed_on IS NULL"


class DevelopmentRecord(Base):
    """One person's way through the stages in one branch; the days are the milestones the
    rules (rules/development.py) reason about."""

    __tablename__ = "development_records"
    __table_args__ = (
        # One development under way per person: a second would count their steps twice.
        Index("uq_development_records_open_person", "person_id", unique=True,
              sqlite_where=text(OPEN_SQL), postgresql_where=text(OPEN_SQL)),
        Index("ix_development_records_org_stage", "party_organization_id", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    party_organization_id: Mapped[int] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="RESTRICT"))
    stage: Mapped[DevelopmentStage] = mapped_column(string_enum(DevelopmentStage))
    birth_on: Mapped[date | None] = mapped_column(Date)  # personal: only for the age rule
    applied_on: Mapped[date] = mapped_column(Date)
    talked_on: Mapped[date | None] = mapped_column(Date)
    activist_on: Mapped[date | None] = mapped_column(Date)
    last_review_on: Mapped[date | None] = mapped_column(Date)
    candidate_on: Mapped[date | None] = mapped_column(Date)
    notice_from: Mapped[date | None] = mapped_column(Date)
    admitted_on: Mapped[date | None] = mapped_column(Date)
    admission_approved_on: Mapped[date | None] = mapped_column(Date)
    extension_months: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    confirmation_approved_on: Mapped[date | None] = mapped_column(Date)
    # Ended: full membership approved, the application withdrawn, or the status withdrawn.
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    steps: Mapped[list[DevelopmentStep]] = relationship(
        back_populates="record", order_by="DevelopmentStep.id")


class DevelopmentStep(Base):
    """A step as the branch took it: its day, who recorded it, the document and, for the
    assembly's votes, its figures as held (the bot records results, it does not run votes)."""

    __tablename__ = "development_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("development_records.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(32))  # a stage, or talk / notice / approval / …
    taken_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[int] = mapped_column(BigInteger)  # Telegram id
    document: Mapped[str | None] = mapped_column(String(100))  # the decision's reference
    note: Mapped[str | None] = mapped_column(String(200))  # a review's summary, a reason
    # An admin let a step through before the rule's earliest day: why (audited too).
    override_reason: Mapped[str | None] = mapped_column(String(200))
    votes_entitled: Mapped[int | None] = mapped_column(Integer)
    votes_present: Mapped[int | None] = mapped_column(Integer)
    votes_for: Mapped[int | None] = mapped_column(Integer)
    votes_against: Mapped[int | None] = mapped_column(Integer)
    votes_abstaining: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    record: Mapped[DevelopmentRecord] = relationship(back_populates="steps")


class DevelopmentContact(Base):
    """A full member the branch assigned to guide an activist (培养联系人, one or two)."""

    __tablename__ = "development_contacts"
    __table_args__ = (Index("uq_development_contacts_record_person", "record_id", "person_id",
                            unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("development_records.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"),
                                           index=True)
    assigned_on: Mapped[date] = mapped_column(Date)


class ThoughtReport(Base):
    """A 思想汇报: text or a kept file, seen by the person, their contacts and the leaders."""

    __tablename__ = "thought_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("development_records.id", ondelete="CASCADE"), index=True)
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(200))  # Telegram file id (file store)
    file_name: Mapped[str | None] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
