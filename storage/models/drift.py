"""Six-month cases (党章 art. 9): a member without organizational life, or without dues, for
six months, opened by the planner for the branch to settle (a good reason recorded, or the case
reported to the level above)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rules.vocabulary import CaseOutcome, DriftTrigger
from storage.models.base import Base, string_enum, utcnow


class DriftCase(Base):
    """One case per member, trigger and run (`since`: when the run began), opened once."""

    __tablename__ = "drift_cases"
    __table_args__ = (UniqueConstraint("membership_id", "trigger", "since"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[DriftTrigger] = mapped_column(string_enum(DriftTrigger))
    since: Mapped[date] = mapped_column(Date)  # the last organizational life, or dues paid to
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[CaseOutcome | None] = mapped_column(string_enum(CaseOutcome))
    settled_at: Mapped[datetime | None]
    settled_by: Mapped[int | None] = mapped_column(BigInteger)  # Telegram id
