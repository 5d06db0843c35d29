"""People and memberships: registration, approval, member edits, appointments."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from rules.permissions import LEADING_ROLES, Actor
from rules.vocabulary import (
    ExcuseReason,
    MemberRole,
    MembershipState,
    MemberStatus,
    TransferKind,
    TransferState,
)
from storage import audit, development, expected_lists
from storage.models import (
    CURRENT_STATES,
    Invite,
    Membership,
    MembershipTransfer,
    PartyOrganization,
    Person,
    utcnow,
)
from storage.orgs import ancestor_ids, descendant_ids


class MembershipError(Exception):
    """A membership change that cannot happen; `code` is a message id."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def person_by_telegram_id(session: AsyncSession, telegram_id: int) -> Person | None:
    return await session.scalar(select(Person).where(Person.telegram_id == telegram_id))


async def current_membership(session: AsyncSession, person_id: int) -> Membership | None:
    """The pending or active membership of a person, if any (at most one, by index)."""
    return await session.scalar(
        select(Membership)
        .options(selectinload(Membership.party_organization), selectinload(Membership.party_group))
        .where(Membership.person_id == person_id, Membership.state.in_(CURRENT_STATES))
    )


async def load_actor(
    session: AsyncSession, telegram_id: int, *, admins: frozenset[int], language: str
) -> Actor:
    """Everything permission checks need about the sender of an update."""
    person = await person_by_telegram_id(session, telegram_id)
    if person is None:
        return Actor(telegram_id=telegram_id, language=language, is_admin=telegram_id in admins)
    membership = await current_membership(session, person.id)
    managed: set[int] = set()
    subordinate: set[int] = set()
    if membership is not None and membership.state is MembershipState.ACTIVE and (
        membership.role in LEADING_ROLES
    ):
        managed = await descendant_ids(session, {membership.party_organization_id})
        subordinate = managed - {membership.party_organization_id}
    return Actor(
        telegram_id=telegram_id,
        language=person.language,
        is_admin=telegram_id in admins,
        person_id=person.id,
        membership_id=membership.id if membership else None,
        org_id=membership.party_organization_id if membership else None,
        state=membership.state if membership else None,
        role=membership.role if membership else None,
        managed_org_ids=frozenset(managed),
        subordinate_org_ids=frozenset(subordinate),
    )


async def ensure_person(
    session: AsyncSession, telegram_id: int, *, language: str, real_name: str | None = None
) -> Person:
    person = await person_by_telegram_id(session, telegram_id)
    if person is None:
        person = Person(telegram_id=telegram_id, language=language, real_name=real_name)
        session.add(person)
        await session.flush()
    return person


async def languages_of(session: AsyncSession, telegram_ids: Iterable[int]) -> dict[int, str]:
    """The chosen language of each of these people who has talked to the bot."""
    ids = list(telegram_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Person.telegram_id, Person.language).where(Person.telegram_id.in_(ids))
    )
    return {int(telegram_id): language for telegram_id, language in rows.all()}


async def set_language(session: AsyncSession, telegram_id: int, language: str) -> None:
    person = await ensure_person(session, telegram_id, language=language)
    person.language = language


@dataclass(frozen=True)
class RegistrationForm:
    """What a member entered in the guided registration."""

    telegram_id: int
    language: str
    real_name: str
    org_id: int
    status: MemberStatus
    joined_party_on: date
    phone: str | None
    invite_id: int | None


async def submit_registration(session: AsyncSession, form: RegistrationForm) -> Membership:
    """Create the pending membership; refuses a second current one."""
    org = await session.get(PartyOrganization, form.org_id)
    if org is None:
        raise MembershipError("unknown_branch")
    person = await ensure_person(session, form.telegram_id, language=form.language)
    if await current_membership(session, person.id) is not None:
        raise MembershipError("already_registered")
    if form.invite_id is not None:
        # Count the use atomically; a single-use code used meanwhile is refused here.
        used = await session.execute(
            update(Invite)
            .where(
                Invite.id == form.invite_id,
                Invite.revoked_at.is_(None),
                (Invite.max_uses.is_(None)) | (Invite.uses < Invite.max_uses),
            )
            .values(uses=Invite.uses + 1)
        )
        if used.rowcount != 1:  # type: ignore[attr-defined]
            raise MembershipError("invite_used")
    person.real_name = form.real_name
    person.language = form.language
    if form.phone:
        person.phone = form.phone
    membership = Membership(
        person_id=person.id,
        party_organization_id=org.id,
        state=MembershipState.PENDING,
        status=form.status,
        role=MemberRole.MEMBER,
        joined_party_on=form.joined_party_on,
        invite_id=form.invite_id,
    )
    session.add(membership)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise MembershipError("already_registered") from None
    return membership


async def membership_with_person(session: AsyncSession, membership_id: int) -> Membership | None:
    return await session.scalar(
        select(Membership)
        .options(
            selectinload(Membership.person),
            selectinload(Membership.party_organization),
            selectinload(Membership.party_group),
        )
        .where(Membership.id == membership_id)
    )


async def complete_profile(
    session: AsyncSession,
    telegram_id: int,
    *,
    language: str,
    real_name: str,
    status: MemberStatus,
    joined_party_on: date,
    phone: str | None,
) -> bool:
    """Fill in the details of someone appointed before registering; False if not a member."""
    person = await person_by_telegram_id(session, telegram_id)
    membership = await current_membership(session, person.id) if person else None
    if person is None or membership is None:
        return False
    before = {"real_name": person.real_name, "status": membership.status}
    person.real_name, person.language = real_name, language
    if phone:
        person.phone = phone
    membership.status, membership.joined_party_on = status, joined_party_on
    audit.record(
        session, telegram_id, "person.complete_profile", "membership", membership.id,
        before=before, after={"real_name": real_name, "status": status},
    )
    return True


@dataclass(frozen=True)
class Decision:
    """The outcome of pressing approve or reject."""

    membership: Membership
    applied: bool  # False: somebody decided before (the press changed nothing)


async def decide_registration(
    session: AsyncSession,
    membership_id: int,
    *,
    approve: bool,
    decided_by: int,
    reason: str | None = None,
    now: datetime | None = None,
) -> Decision | None:
    """Approve or reject a pending registration exactly once, even when pressed twice.
    `now`: the bot's clock from a handler; seeding and imports leave it to the wall clock."""
    now = now or utcnow()
    new_state = MembershipState.ACTIVE if approve else MembershipState.REJECTED
    result = await session.execute(
        update(Membership)
        .where(Membership.id == membership_id, Membership.state == MembershipState.PENDING)
        .values(
            state=new_state,
            decided_at=now,
            decided_by=decided_by,
            reject_reason=None if approve else reason,
        )
        .execution_options(synchronize_session=False)
    )
    applied = result.rowcount == 1  # type: ignore[attr-defined]
    membership = await membership_with_person(session, membership_id)
    if membership is None:
        return None
    await session.refresh(membership)
    if applied:
        audit.record(
            session, decided_by, "membership.approve" if approve else "membership.reject",
            "membership", membership_id, reason=reason,
        )
        await _settle_arrival(session, membership_id, approve, decided_by, now, reason)
        if approve:
            await _lists_follow(session, membership, decided_by, now)
            await development.follow_membership(session, membership, now)
    return Decision(membership, applied)


async def _settle_arrival(session: AsyncSession, membership_id: int, accepted: bool,
                          by: int, now: datetime, reason: str | None) -> None:
    """A letter from outside (storage.transfers.record_arrival) is decided with the
    registration it came with: approved accepts it, rejected returns it."""
    await session.execute(
        update(MembershipTransfer)
        .where(MembershipTransfer.to_membership_id == membership_id,
               MembershipTransfer.kind == TransferKind.IN,
               MembershipTransfer.state == TransferState.WAITING)
        .values(state=TransferState.ACCEPTED if accepted else TransferState.RETURNED,
                decided_at=now, decided_by=by, reason=None if accepted else reason)
        .execution_options(synchronize_session=False))


async def members_of(
    session: AsyncSession, org_id: int, states: tuple[MembershipState, ...]
) -> list[Membership]:
    result = await session.scalars(
        select(Membership)
        .join(Membership.person)
        .options(selectinload(Membership.person), selectinload(Membership.party_group))
        .where(Membership.party_organization_id == org_id, Membership.state.in_(states))
        .order_by(Membership.requested_at, Membership.id)
    )
    return list(result.all())


async def leaders_of(session: AsyncSession, org_id: int) -> list[tuple[Person, int]]:
    """Who decides for org_id: its secretary and deputies, else the nearest leaders above.

    Each person comes with the organization they lead.
    """
    for candidate in [org_id, *await ancestor_ids(session, org_id)]:
        result = await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.party_organization_id == candidate,
                Membership.state == MembershipState.ACTIVE,
                Membership.role.in_(LEADING_ROLES),
            )
            .order_by(Membership.role, Person.id)
        )
        people = list(result.all())
        if people:
            return [(person, candidate) for person in people]
    return []


async def _lists_follow(
    session: AsyncSession, membership: Membership, by: int | None, now: datetime
) -> None:
    """Upcoming meetings (after `now`) whose check-in has not opened follow the branch's
    members."""
    await session.flush()
    await expected_lists.follow_branch(session, membership.party_organization_id, now=now, by=by)


async def update_member(
    session: AsyncSession,
    membership: Membership,
    *,
    actor_telegram_id: int | None,
    status: MemberStatus | None = None,
    role: MemberRole | None = None,
    party_group_id: int | bool | None = False,
    now: datetime | None = None,
) -> None:
    """Change status, role or 党小组 (False: leave the group as it is) with an audit row;
    `now` as in decide_registration."""
    if membership.state is not MembershipState.ACTIVE:
        raise MembershipError("not_active")
    before = {
        "status": membership.status,
        "role": membership.role,
        "party_group_id": membership.party_group_id,
    }
    if status is not None:
        membership.status = status
    if role is not None:
        membership.role = role
    if party_group_id is not False:
        membership.party_group_id = party_group_id
    after = {
        "status": membership.status,
        "role": membership.role,
        "party_group_id": membership.party_group_id,
    }
    audit.record(
        session, actor_telegram_id, "membership.edit", "membership", membership.id,
        before=before, after=after,
    )
    if before != after:
        await _lists_follow(session, membership, actor_telegram_id, now or utcnow())


async def excuse(
    session: AsyncSession, membership: Membership, reason: ExcuseReason | None,
    until: date | None, *, actor_telegram_id: int,
) -> None:
    """Excuse an active member from organizational life (reason None: the excuse ends); the
    six-month rule's warnings about them wait while it lasts (see `not_excused`)."""
    if membership.state is not MembershipState.ACTIVE:
        raise MembershipError("not_active")
    before = {"excused": membership.excused_reason, "until": membership.excused_until}
    membership.excused_reason = reason
    membership.excused_until = until if reason is not None else None
    audit.record(session, actor_telegram_id, "membership.excuse", "membership", membership.id,
                 before=before, after={"excused": reason, "until": membership.excused_until})
    await session.flush()


def not_excused(today: date) -> Any:
    """SQL: a membership whose excuse (if any) has ended before `today`."""
    return or_(Membership.excused_reason.is_(None),
               and_(Membership.excused_until.is_not(None), Membership.excused_until < today))


async def transfer_out(
    session: AsyncSession, membership: Membership, *, to: str | None, actor_telegram_id: int,
    now: datetime | None = None,
) -> bool:
    """Mark an active member as transferred out (组织关系转出); False if not active any more.
    `now` as in decide_registration."""
    now = now or utcnow()
    result = await session.execute(
        update(Membership)
        .where(Membership.id == membership.id, Membership.state == MembershipState.ACTIVE)
        .values(
            state=MembershipState.TRANSFERRED_OUT,
            transferred_out_at=now,
            transferred_to=to,
            role=MemberRole.MEMBER,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await session.refresh(membership)
    audit.record(
        session, actor_telegram_id, "membership.transfer_out", "membership", membership.id,
        to=to,
    )
    await _lists_follow(session, membership, actor_telegram_id, now)
    return True


async def appoint(
    session: AsyncSession,
    membership: Membership,
    role: MemberRole,
    *,
    actor_telegram_id: int | None,
    now: datetime | None = None,
) -> None:
    """Give an active member a committee role; a new secretary replaces the previous one.
    `now` as in decide_registration."""
    if membership.state is not MembershipState.ACTIVE:
        raise MembershipError("not_active")
    if role is MemberRole.SECRETARY:
        previous = await session.scalars(
            select(Membership).where(
                Membership.party_organization_id == membership.party_organization_id,
                Membership.state == MembershipState.ACTIVE,
                Membership.role == MemberRole.SECRETARY,
                Membership.id != membership.id,
            )
        )
        for old in previous.all():
            old.role = MemberRole.COMMITTEE_MEMBER
            audit.record(
                session, actor_telegram_id, "membership.edit", "membership", old.id,
                before={"role": MemberRole.SECRETARY}, after={"role": old.role},
            )
    await update_member(session, membership, actor_telegram_id=actor_telegram_id, role=role,
                        now=now)


async def appoint_by_telegram_id(
    session: AsyncSession,
    org: PartyOrganization,
    telegram_id: int,
    role: MemberRole,
    *,
    status: MemberStatus,
    actor_telegram_id: int | None,
    language: str,
    now: datetime | None = None,
) -> Membership:
    """Bulk setup: appoint someone who has not registered yet; they complete /me later.
    `now` as in decide_registration."""
    now = now or utcnow()
    person = await ensure_person(session, telegram_id, language=language)
    membership = await current_membership(session, person.id)
    if membership is not None and membership.party_organization_id != org.id:
        raise MembershipError("member_elsewhere")
    if membership is None:
        membership = Membership(
            person_id=person.id,
            party_organization_id=org.id,
            state=MembershipState.ACTIVE,
            status=status,
            role=MemberRole.MEMBER,
            decided_at=now,
            decided_by=actor_telegram_id,
        )
        session.add(membership)
        await session.flush()
    elif membership.state is MembershipState.PENDING:
        membership.state = MembershipState.ACTIVE
        membership.decided_at = now
        membership.decided_by = actor_telegram_id
    await appoint(session, membership, role, actor_telegram_id=actor_telegram_id, now=now)
    await _lists_follow(session, membership, actor_telegram_id, now)
    return membership


async def pending_registrations(
    session: AsyncSession, org_ids: set[int] | None, *, limit: int = 50
) -> list[Membership]:
    """Pending registrations in the given organizations (None: all), oldest first."""
    query = (
        select(Membership)
        .options(
            selectinload(Membership.person),
            selectinload(Membership.party_organization),
            selectinload(Membership.party_group),
        )
        .where(Membership.state == MembershipState.PENDING)
        .order_by(Membership.requested_at, Membership.id)
        .limit(limit)
    )
    if org_ids is not None:
        query = query.where(Membership.party_organization_id.in_(org_ids))
    return list((await session.scalars(query)).all())
