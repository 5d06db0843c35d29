"""Party dues (党费): what each member's dues are reckoned from in a year, and each month paid."""

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

from rules.vocabulary import DuesCategory, DuesMethod, DuesPaymentState
from storage.models.base import Base, string_enum


class DuesProfile(Base):
    """One member's category and base for one year (the base is income: personal data).

    Amounts are integer fen: exact on SQLite and PostgreSQL alike, no floating point.
    """

    __tablename__ = "dues_profiles"
    __table_args__ = (
        CheckConstraint("base_fen IS NULL OR base_fen >= 0", name="base_not_negative"),
        CheckConstraint("fixed_fen IS NULL OR fixed_fen > 0", name="fixed_positive"),
    )

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[DuesCategory] = mapped_column(string_enum(DuesCategory))
    base_fen: Mapped[int | None] = mapped_column(BigInteger)  # monthly base pay or pension
    fixed_fen: Mapped[int | None] = mapped_column(Integer)  # a farmer's amount, set by the branch
    stated_by: Mapped[int] = mapped_column(BigInteger)  # Telegram id: the member or a leader
    confirmed_by: Mapped[int | None] = mapped_column(BigInteger)  # None: the member's word only
    updated_at: Mapped[datetime]


class DuesPayment(Base):
    """One month's dues of one member: confirmed by the branch, or reported by the member."""

    __tablename__ = "dues_payments"
    __table_args__ = (
        UniqueConstraint("person_id", "year", "month"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month_real"),
        Index("ix_dues_payments_org_year_month", "party_organization_id", "year", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # The branch it was paid to: after a transfer the history stays with the member.
    party_organization_id: Mapped[int] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="CASCADE")
    )
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    paid_on: Mapped[date] = mapped_column(Date)
    method: Mapped[DuesMethod] = mapped_column(string_enum(DuesMethod))
    paid_by_name: Mapped[str | None] = mapped_column(String(50))  # 代缴: who paid for the member
    state: Mapped[DuesPaymentState] = mapped_column(string_enum(DuesPaymentState))
    recorded_by: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime]
    confirmed_by: Mapped[int | None] = mapped_column(BigInteger)
