"""People, their memberships of party organizations (history kept) and invite codes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rules.vocabulary import ExcuseReason, MemberRole, MembershipState, MemberStatus
from storage.models.base import Base, string_enum, utcnow
from storage.models.orgs import PartyGroup, PartyOrganization


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
    state: Mapped[MembershipState] = mapped_column(string_enum(MembershipState))
    status: Mapped[MemberStatus] = mapped_column(string_enum(MemberStatus))
    role: Mapped[MemberRole] = mapped_column(string_enum(MemberRole), default=MemberRole.MEMBER)
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
    # Excused from organizational life by the branch (ill, abroad, elderly), until a day or
    # open-ended: the six-month rule's warnings wait meanwhile.
    excused_reason: Mapped[ExcuseReason | None] = mapped_column(string_enum(ExcuseReason))
    excused_until: Mapped[date | None] = mapped_column(Date)

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


# Training views reach a person's attendance lines through all their memberships, current or
# past (a lesson attended before a transfer still counts): look memberships up by person.
Index("ix_memberships_person_id", Membership.person_id)
