"""Reporting duties, the occurrences branches marked done, and recorded 换届."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


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
    # With a file_id, None is a photo (before, a photo's name was "photo", translated).
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
