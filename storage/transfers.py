"""Membership transfers (组织关系转接): introduction letters between branches in the bot, out of
it and into it, and what became of each (rules/transfers.py has the numbers).

A letter between branches moves the membership only when the receiving branch accepts: the
old membership ends and the new one begins in one transaction, so no second membership ever
exists (the partial unique index on memberships enforces it too). Every answer is a
conditional update of a waiting letter: a second press, or a second secretary at the same
moment, finds it answered already. Every change is audited.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rules import dues as dues_rules
from rules import transfers as rules
from rules.dues import Month
from rules.vocabulary import (
    DuesPaymentState,
    MemberRole,
    MembershipState,
    MemberStatus,
    TransferKind,
    TransferState,
)
from storage import audit, development
from storage.dues import books_opened
from storage.models import (
    DuesPayment,
    Membership,
    MembershipTransfer,
    PartyOrganization,
    Person,
)
from storage.people import transfer_out


class TransferError(Exception):
    """A transfer that cannot happen; `code` is a message id's key."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Letter:
    """An introduction letter as both branches and the member see it."""

    id: int
    number: str | None
    kind: TransferKind
    state: TransferState
    person_id: int
    name: str
    from_org_id: int | None
    from_org: str | None
    to_org_id: int | None
    to_org: str | None
    outside: str | None
    dues_paid_to: Month | None
    issued_at: datetime
    valid_until: date
    reason: str | None
    status: MemberStatus | None  # the member's status in the sending branch


async def dues_paid_to(session: AsyncSession, membership: Membership) -> Month | None:
    """The month the member's dues are paid to, counted from the first month they owe here."""
    opened = await books_opened(session, membership.party_organization_id)
    on_books = (membership.decided_at or membership.requested_at).date()
    since = dues_rules.owing_since(membership.joined_party_on, on_books, opened)
    rows = await session.execute(
        select(DuesPayment.year, DuesPayment.month).where(
            DuesPayment.person_id == membership.person_id,
            DuesPayment.state == DuesPaymentState.CONFIRMED))
    return dues_rules.paid_through(since, (Month(y, m) for y, m in rows))


async def _active(session: AsyncSession, membership_id: int) -> Membership:
    membership = await session.get(Membership, membership_id)
    if membership is None or membership.state is not MembershipState.ACTIVE:
        raise TransferError("not_active")
    return membership


async def _waiting_exists(session: AsyncSession, person_id: int) -> bool:
    return await session.scalar(select(func.count()).where(
        MembershipTransfer.person_id == person_id,
        MembershipTransfer.state == TransferState.WAITING)) != 0


async def _issue(session: AsyncSession, membership: Membership, *, kind: TransferKind,
                 state: TransferState, to_org_id: int | None, outside: str | None, by: int,
                 now: datetime, today: date, valid_days: int) -> MembershipTransfer:
    paid_to = await dues_paid_to(session, membership)
    row = MembershipTransfer(
        kind=kind, state=state, person_id=membership.person_id,
        from_membership_id=membership.id,
        from_organization_id=membership.party_organization_id, to_organization_id=to_org_id,
        outside_organization=outside,
        dues_paid_year=paid_to.year if paid_to else None,
        dues_paid_month=paid_to.month if paid_to else None,
        issued_at=now, valid_until=rules.valid_until(today, valid_days), issued_by=by,
        decided_at=now if state is TransferState.ACCEPTED else None,
        decided_by=by if state is TransferState.ACCEPTED else None,
    )
    session.add(row)
    await session.flush()  # the id numbers the letter
    row.letter_number = rules.letter_number(today.year, row.id)
    audit.record(session, by, f"transfer.{kind.value}", "transfer", row.id,
                 membership=membership.id, to=to_org_id or outside)
    return row


async def issue_between(
    session: AsyncSession, membership_id: int, to_org_id: int, *, by: int, now: datetime,
    today: date, valid_days: int = rules.VALID_DAYS_WITHIN,
) -> MembershipTransfer:
    """A letter from the member's branch to another branch in the bot; it waits for that
    branch's answer. Refused for a member not active, the same branch, or a letter waiting."""
    membership = await _active(session, membership_id)
    if membership.party_organization_id == to_org_id:
        raise TransferError("same_branch")
    if await session.get(PartyOrganization, to_org_id) is None:
        raise TransferError("no_such_branch")
    if await _waiting_exists(session, membership.person_id):
        raise TransferError("letter_waiting")
    return await _issue(session, membership, kind=TransferKind.BETWEEN,
                        state=TransferState.WAITING, to_org_id=to_org_id, outside=None, by=by,
                        now=now, today=today, valid_days=valid_days)


async def issue_out(
    session: AsyncSession, membership_id: int, outside: str, *, by: int, now: datetime,
    today: date, valid_days: int = rules.VALID_DAYS_BEYOND,
) -> MembershipTransfer:
    """A letter to an organization the bot does not hold: the membership ends now (its
    history stays) and the letter is recorded as accepted."""
    membership = await _active(session, membership_id)
    if await _waiting_exists(session, membership.person_id):
        raise TransferError("letter_waiting")
    row = await _issue(session, membership, kind=TransferKind.OUT,
                       state=TransferState.ACCEPTED, to_org_id=None, outside=outside, by=by,
                       now=now, today=today, valid_days=valid_days)
    if not await transfer_out(session, membership, to=outside, actor_telegram_id=by, now=now):
        raise TransferError("not_active")
    return row


async def record_arrival(
    session: AsyncSession, membership_id: int, *, number: str, origin: str,
    dues_paid_to: Month | None, by: int, now: datetime, today: date,
    valid_days: int = rules.VALID_DAYS_BEYOND,
) -> MembershipTransfer:
    """A letter from outside the bot, handed in with a pending registration: the branch's
    approval of the registration accepts it, a rejection returns it (people.decide_registration)."""
    membership = await session.get(Membership, membership_id)
    if membership is None or membership.state is not MembershipState.PENDING:
        raise TransferError("not_pending")
    row = MembershipTransfer(
        kind=TransferKind.IN, state=TransferState.WAITING, letter_number=number,
        person_id=membership.person_id, to_membership_id=membership.id,
        to_organization_id=membership.party_organization_id, outside_organization=origin,
        dues_paid_year=dues_paid_to.year if dues_paid_to else None,
        dues_paid_month=dues_paid_to.month if dues_paid_to else None,
        issued_at=now, valid_until=rules.valid_until(today, valid_days), issued_by=by,
    )
    session.add(row)
    await session.flush()
    audit.record(session, by, "transfer.in", "transfer", row.id, membership=membership.id)
    return row


async def _answer(session: AsyncSession, transfer_id: int, state: TransferState, *,
                  by: int, now: datetime, reason: str | None = None,
                  org_id: int | None = None) -> MembershipTransfer:
    """Settle a waiting letter between branches once (addressed to `org_id` if given)."""
    conditions = [MembershipTransfer.id == transfer_id,
                  MembershipTransfer.kind == TransferKind.BETWEEN,
                  MembershipTransfer.state == TransferState.WAITING]
    if org_id is not None:
        conditions.append(MembershipTransfer.to_organization_id == org_id)
    result = await session.execute(
        update(MembershipTransfer).where(*conditions)
        .values(state=state, decided_at=now, decided_by=by, reason=reason)
        .execution_options(synchronize_session=False))
    row = await session.get(MembershipTransfer, transfer_id, populate_existing=True)
    if row is None:
        raise TransferError("no_such_letter")
    if result.rowcount != 1:  # type: ignore[attr-defined]
        addressed = org_id is None or row.to_organization_id == org_id
        raise TransferError("already_answered" if addressed else "not_addressed")
    audit.record(session, by, f"transfer.{state.value}", "transfer", transfer_id, reason=reason)
    return row


async def accept(session: AsyncSession, transfer_id: int, *, org_id: int, by: int,
                 now: datetime, today: date) -> MembershipTransfer:
    """The receiving branch accepts: the old membership ends and the new one begins, in the
    caller's transaction. An expired letter is expired instead (TransferError "expired")."""
    row = await session.get(MembershipTransfer, transfer_id)
    if row is not None and row.state is TransferState.WAITING and rules.is_expired(
            row.valid_until, today):
        raise TransferError("expired")
    row = await _answer(session, transfer_id, TransferState.ACCEPTED, by=by, now=now,
                        org_id=org_id)
    assert row.from_membership_id is not None and row.to_organization_id is not None
    old = await session.get(Membership, row.from_membership_id)
    receiving = await session.get(PartyOrganization, row.to_organization_id)
    assert old is not None and receiving is not None
    if not await transfer_out(session, old, to=receiving.name, actor_telegram_id=by, now=now):
        raise TransferError("not_active")
    new = Membership(person_id=old.person_id, party_organization_id=receiving.id,
                     state=MembershipState.ACTIVE, status=old.status, role=MemberRole.MEMBER,
                     joined_party_on=old.joined_party_on, requested_at=now, decided_at=now,
                     decided_by=by)
    session.add(new)
    await session.flush()  # the unique index refuses a second current membership here
    row.to_membership_id = new.id
    await development.follow_membership(session, new, now)
    audit.record(session, by, "membership.transfer_in", "membership", new.id,
                 transfer=transfer_id)
    return row


async def return_letter(session: AsyncSession, transfer_id: int, *, org_id: int, by: int,
                        now: datetime, reason: str) -> MembershipTransfer:
    """The receiving branch sends the letter back: the membership stays where it was."""
    return await _answer(session, transfer_id, TransferState.RETURNED, by=by, now=now,
                         reason=reason, org_id=org_id)


async def withdraw(session: AsyncSession, transfer_id: int, *, by: int,
                   now: datetime) -> MembershipTransfer:
    """The sending branch takes its letter back before an answer."""
    return await _answer(session, transfer_id, TransferState.WITHDRAWN, by=by, now=now)


async def expire_due(session: AsyncSession, *, today: date, now: datetime) -> list[int]:
    """Letters between branches left unanswered past their last day go back to the sender;
    returns their ids (each sender and member is told)."""
    ids = list((await session.scalars(
        update(MembershipTransfer)
        .where(MembershipTransfer.kind == TransferKind.BETWEEN,
               MembershipTransfer.state == TransferState.WAITING,
               MembershipTransfer.valid_until < today)
        .values(state=TransferState.EXPIRED, decided_at=now)
        .returning(MembershipTransfer.id)
        .execution_options(synchronize_session=False))).all())
    for transfer_id in ids:
        audit.record(session, None, "transfer.expired", "transfer", transfer_id)
    return sorted(ids)


async def letters(session: AsyncSession, *, ids: Collection[int] | None = None,
                  org_id: int | None = None, org_ids: Collection[int] | None = None,
                  person_id: int | None = None, states: Collection[TransferState] | None = None,
                  limit: int | None = None) -> list[Letter]:
    """Letters by id, to or from a branch (or any of `org_ids`), or of a person; newest
    first."""
    sender, receiver = aliased(PartyOrganization), aliased(PartyOrganization)
    query = (
        select(MembershipTransfer, Person.real_name, sender.name, receiver.name,
               Membership.status)
        .join(Person, Person.id == MembershipTransfer.person_id)
        .outerjoin(sender, sender.id == MembershipTransfer.from_organization_id)
        .outerjoin(receiver, receiver.id == MembershipTransfer.to_organization_id)
        .outerjoin(Membership, Membership.id == MembershipTransfer.from_membership_id)
        .order_by(MembershipTransfer.issued_at.desc(), MembershipTransfer.id.desc())
        .limit(limit)
    )
    if ids is not None:
        query = query.where(MembershipTransfer.id.in_(ids))
    if org_id is not None:
        org_ids = [org_id]
    if org_ids is not None:
        query = query.where(MembershipTransfer.from_organization_id.in_(org_ids)
                            | MembershipTransfer.to_organization_id.in_(org_ids))
    if person_id is not None:
        query = query.where(MembershipTransfer.person_id == person_id)
    if states is not None:
        query = query.where(MembershipTransfer.state.in_(states))
    return [Letter(
        row.id, row.letter_number, row.kind, row.state, row.person_id, name or "",
        row.from_organization_id, from_name, row.to_organization_id, to_name,
        row.outside_organization,
        Month(row.dues_paid_year, row.dues_paid_month)
        if row.dues_paid_year and row.dues_paid_month else None,
        row.issued_at, row.valid_until, row.reason, status,
    ) for row, name, from_name, to_name, status in await session.execute(query)]


async def arrivals(session: AsyncSession, membership_ids: Collection[int]) -> dict[int, Letter]:
    """The letter from outside each of these pending registrations came with, if any."""
    if not membership_ids:
        return {}
    rows = (await session.execute(
        select(MembershipTransfer.id, MembershipTransfer.to_membership_id)
        .where(MembershipTransfer.to_membership_id.in_(membership_ids),
               MembershipTransfer.kind == TransferKind.IN,
               MembershipTransfer.state == TransferState.WAITING))).all()
    by_id = {letter.id: letter for letter in await letters(session, ids=[i for i, _ in rows])}
    return {membership: by_id[i] for i, membership in rows if membership is not None}


async def moves_in_year(session: AsyncSession, org_ids: Collection[int],
                        year_start: datetime, year_end: datetime) -> dict[int, tuple[int, int]]:
    """Per branch, the members who arrived and left by accepted letters in [start, end)."""
    if not org_ids:
        return {}
    accepted = (MembershipTransfer.state == TransferState.ACCEPTED,
                MembershipTransfer.decided_at >= year_start,
                MembershipTransfer.decided_at < year_end)
    arrived = {org: n for org, n in await session.execute(
        select(MembershipTransfer.to_organization_id, func.count())
        .where(MembershipTransfer.to_organization_id.in_(org_ids), *accepted)
        .group_by(MembershipTransfer.to_organization_id))}
    left = {org: n for org, n in await session.execute(
        select(MembershipTransfer.from_organization_id, func.count())
        .where(MembershipTransfer.from_organization_id.in_(org_ids), *accepted)
        .group_by(MembershipTransfer.from_organization_id))}
    return {org: (int(arrived.get(org, 0)), int(left.get(org, 0)))
            for org in org_ids if org in arrived or org in left}
