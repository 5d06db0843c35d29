"""Membership transfers kept in storage (issue 16): a letter accepted, returned, expired,
withdrawn, one to outside and one from outside; history kept and never two memberships, also
under two accepts at once. SQLite and PostgreSQL; the branch of test_meetings_storage.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from rules.dues import Month
from rules.vocabulary import DuesMethod, MembershipState, TransferKind, TransferState
from storage import dues, people, transfers
from storage.db import Database
from storage.models import DuesPayment, Membership, MembershipTransfer
from storage.transfers import TransferError
from tests.storage.test_meetings_storage import LEADER, Branch, build_branch

NOW = datetime(2030, 6, 20, 2, tzinfo=UTC)
TODAY = date(2030, 6, 20)
OTHER_SECRETARY = 9_901


async def memberships_of(db: Database, membership_id: int) -> list[tuple[int, MembershipState]]:
    """The person's memberships (branch, state), oldest first."""
    async with db.session() as session:
        first = await session.get(Membership, membership_id)
        assert first is not None
        rows = await session.execute(
            select(Membership.party_organization_id, Membership.state)
            .where(Membership.person_id == first.person_id).order_by(Membership.id))
        return [(org, state) for org, state in rows]


async def letter_to_other(db: Database, b: Branch, membership: int) -> int:
    async with db.session() as session:
        row = await transfers.issue_between(session, membership, b.other_org, by=LEADER,
                                            now=NOW, today=TODAY)
        return row.id


async def test_a_letter_accepted_moves_the_membership_and_keeps_its_history(
    db: Database,
) -> None:
    b = await build_branch(db)
    async with db.session() as session:
        member = await session.get(Membership, b.m1)
        assert member is not None
        await dues.record_payment(
            session, person_id=member.person_id, org_id=b.org,
            months=[Month(2030, 1).plus(i) for i in range(5)], amount=Decimal("50"),
            paid_on=date(2030, 5, 2), method=DuesMethod.CASH, by=LEADER, now=NOW)
    letter_id = await letter_to_other(db, b, b.m1)
    async with db.session() as session:
        [letter] = await transfers.letters(session, ids=[letter_id])
    assert letter.kind is TransferKind.BETWEEN and letter.state is TransferState.WAITING
    assert letter.number == f"2030-{letter_id:04d}"
    assert letter.dues_paid_to == Month(2030, 5)
    assert letter.valid_until == TODAY + timedelta(days=30)
    assert await memberships_of(db, b.m1) == [(b.org, MembershipState.ACTIVE)]  # not yet

    # Only the branch it is addressed to may accept it.
    with pytest.raises(TransferError, match="not_addressed"):
        async with db.session() as session:
            await transfers.accept(session, letter_id, org_id=b.org, by=LEADER, now=NOW,
                                   today=TODAY)
    async with db.session() as session:
        await transfers.accept(session, letter_id, org_id=b.other_org, by=OTHER_SECRETARY,
                               now=NOW, today=TODAY)
    assert await memberships_of(db, b.m1) == [
        (b.org, MembershipState.TRANSFERRED_OUT), (b.other_org, MembershipState.ACTIVE)]
    with pytest.raises(TransferError, match="already_answered"):
        async with db.session() as session:
            await transfers.accept(session, letter_id, org_id=b.other_org,
                                   by=OTHER_SECRETARY, now=NOW, today=TODAY)
    async with db.session() as session:
        # The dues stay with the member: the old branch no longer counts them as owing.
        owing = await dues.arrears(session, [b.org], Month(2030, 6), offset_minutes=480,
                                   at_least=1)
        assert letter.person_id not in {line.person_id for line in owing}
        kept = await session.scalar(select(func.count()).where(
            DuesPayment.person_id == letter.person_id, DuesPayment.party_organization_id == b.org))
        assert kept == 5
        moves = await transfers.moves_in_year(
            session, [b.org, b.other_org], datetime(2030, 1, 1, tzinfo=UTC),
            datetime(2031, 1, 1, tzinfo=UTC))
    assert moves == {b.org: (0, 1), b.other_org: (1, 0)}


async def test_two_accepts_at_once_move_the_member_once(db: Database) -> None:
    b = await build_branch(db)
    letter_id = await letter_to_other(db, b, b.m3)

    async def accept() -> str:
        try:
            async with db.session() as session:
                await transfers.accept(session, letter_id, org_id=b.other_org,
                                       by=OTHER_SECRETARY, now=NOW, today=TODAY)
            return "accepted"
        except TransferError as error:
            return error.code

    assert sorted(await asyncio.gather(accept(), accept())) == ["accepted", "already_answered"]
    assert await memberships_of(db, b.m3) == [
        (b.org, MembershipState.TRANSFERRED_OUT), (b.other_org, MembershipState.ACTIVE)]


async def test_returned_withdrawn_and_expired_letters_leave_the_member_where_they_were(
    db: Database,
) -> None:
    b = await build_branch(db)
    first = await letter_to_other(db, b, b.m1)
    with pytest.raises(TransferError, match="letter_waiting"):  # one letter at a time
        await letter_to_other(db, b, b.m1)
    async with db.session() as session:
        returned = await transfers.return_letter(
            session, first, org_id=b.other_org, by=OTHER_SECRETARY, now=NOW,
            reason="Wrong branch: she works in our Haidian office")
    assert returned.state is TransferState.RETURNED and returned.reason is not None
    second = await letter_to_other(db, b, b.m1)
    async with db.session() as session:
        await transfers.withdraw(session, second, by=LEADER, now=NOW)
    third = await letter_to_other(db, b, b.m1)
    async with db.session() as session:
        assert await transfers.expire_due(session, today=TODAY + timedelta(days=30),
                                          now=NOW) == []  # its last day
        with pytest.raises(TransferError, match="expired"):
            await transfers.accept(session, third, org_id=b.other_org, by=OTHER_SECRETARY,
                                   now=NOW, today=TODAY + timedelta(days=31))
    async with db.session() as session:
        assert await transfers.expire_due(session, today=TODAY + timedelta(days=31),
                                          now=NOW) == [third]
        states = [letter.state for letter in await transfers.letters(session, org_id=b.org)]
    assert sorted(states) == sorted(
        [TransferState.RETURNED, TransferState.WITHDRAWN, TransferState.EXPIRED])
    assert await memberships_of(db, b.m1) == [(b.org, MembershipState.ACTIVE)]


async def test_a_letter_to_outside_ends_the_membership_and_one_from_outside_waits(
    db: Database,
) -> None:
    b = await build_branch(db)
    async with db.session() as session:
        out = await transfers.issue_out(session, b.m2, "Shanghai Pudong Branch", by=LEADER,
                                        now=NOW, today=TODAY)
    assert out.state is TransferState.ACCEPTED
    assert out.valid_until == TODAY + timedelta(days=90)
    assert await memberships_of(db, b.m2) == [(b.org, MembershipState.TRANSFERRED_OUT)]

    async with db.session() as session:
        arriving = await transfers.record_arrival(
            session, b.pending, number="〔2030〕第12号", origin="Tianjin Binhai Branch",
            dues_paid_to=Month(2030, 5), by=LEADER, now=NOW, today=TODAY)
        await people.decide_registration(session, b.pending, approve=True, decided_by=LEADER,
                                         now=NOW)
    async with db.session() as session:
        row = await session.get(MembershipTransfer, arriving.id)
        assert row is not None
    assert row.state is TransferState.ACCEPTED and row.kind is TransferKind.IN
    assert (row.dues_paid_year, row.dues_paid_month) == (2030, 5)


async def test_a_rejected_registration_returns_the_letter_it_came_with(db: Database) -> None:
    b = await build_branch(db)
    async with db.session() as session:
        arriving = await transfers.record_arrival(
            session, b.pending, number="〔2030〕第13号", origin="Tianjin Binhai Branch",
            dues_paid_to=None, by=LEADER, now=NOW, today=TODAY)
        await people.decide_registration(session, b.pending, approve=False, decided_by=LEADER,
                                         reason="not ours", now=NOW)
    async with db.session() as session:
        row = await session.get(MembershipTransfer, arriving.id)
        assert row is not None
    assert (row.state, row.reason, row.decided_by) == (TransferState.RETURNED, "not ours", LEADER)
