"""One-to-one talks (谈心谈话): when, with whom, by whom and the topic in a few words; never
what was said."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Talk(Base):
    """One talk a branch's secretary or committee member held with a member."""

    __tablename__ = "talks"
    __table_args__ = (
        Index("ix_talks_org_held_on", "party_organization_id", "held_on"),
        Index("ix_talks_person_held_on", "person_id", "held_on"),
        CheckConstraint("person_id <> by_person_id", name="not_with_oneself"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The branch it was held in: after a transfer the record stays with that branch's books.
    party_organization_id: Mapped[int] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="RESTRICT"))
    held_on: Mapped[date] = mapped_column(Date)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    by_person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    topic: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    created_by: Mapped[int] = mapped_column(BigInteger)  # Telegram id
