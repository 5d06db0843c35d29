"""The organization tree: party organizations, the social organizations they cover, 党小组."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rules.vocabulary import PartyOrgKind, SocialOrgType
from storage.models.base import Base, string_enum, utcnow


class PartyOrganization(Base):
    """A 党委, 党总支, 党支部 or 联合党支部; parent_id builds the tree."""

    __tablename__ = "party_organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[PartyOrgKind] = mapped_column(string_enum(PartyOrgKind))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("party_organizations.id", ondelete="RESTRICT"), index=True
    )
    term_started_on: Mapped[date | None] = mapped_column(Date)
    # None means the default length for the kind (rules.terms).
    term_years: Mapped[int | None] = mapped_column(Integer)
    # The branch's dues collection day: 1..28, 31 = the last day; None: the calendar's.
    dues_day: Mapped[int | None] = mapped_column(Integer)
    # Months members may pay ahead (2: a quarter at once); 0 until the branch consents.
    dues_months_ahead: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
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
    org_type: Mapped[SocialOrgType] = mapped_column(string_enum(SocialOrgType))
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
