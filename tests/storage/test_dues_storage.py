"""Dues kept per member and month (issue 16): a branch's half year with late, advance and proxy
payments, a member's report confirmed or returned, and what stays personal. SQLite and
PostgreSQL; the branch of tests/storage/test_meetings_storage.py (members since 2015)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from rules.dues import Month
from rules.vocabulary import DuesCategory, DuesMethod, DuesPaymentState
from storage import dues
from storage.db import Database
from storage.models import AuditEvent, DuesPayment, Membership, PartyOrganization
from tests.storage.test_meetings_storage import LEADER, Branch, build_branch

NOW = datetime(2030, 6, 20, 2, tzinfo=UTC)


async def person_of(db: Database, membership_id: int) -> int:
    async with db.session() as session:
        membership = await session.get(Membership, membership_id)
        assert membership is not None
        return membership.person_id


async def pay(db: Database, b: Branch, person: int, first: Month, count: int, amount: str,
              paid_on: date, **more: object) -> dues.Recorded:
    async with db.session() as session:
        return await dues.record_payment(
            session, person_id=person, org_id=b.org, months=[first.plus(i) for i in range(count)],
            amount=Decimal(amount), paid_on=paid_on, method=DuesMethod.CASH, by=LEADER, now=NOW,
            **more,  # type: ignore[arg-type]
        )


async def test_a_branchs_half_year_of_dues(db: Database) -> None:
    b = await build_branch(db)
    m1, m2, m3 = [await person_of(db, m) for m in (b.m1, b.m2, b.m3)]
    async with db.session() as session:
        await dues.set_profile(session, m1, 2030, DuesCategory.EMPLOYED, base=Decimal(8000),
                               fixed=None, by=LEADER, confirmed=True, now=NOW)
        await dues.set_profile(session, m2, 2029, DuesCategory.STUDENT, base=None, fixed=None,
                               by=m2, confirmed=False, now=NOW)
    # January on time; February and March late (补缴, paid in April); April–June at once.
    await pay(db, b, m1, Month(2030, 1), 1, "120", date(2030, 1, 10))
    await pay(db, b, m1, Month(2030, 2), 2, "240", date(2030, 4, 2))
    await pay(db, b, m1, Month(2030, 4), 3, "360", date(2030, 4, 2))
    await pay(db, b, m2, Month(2030, 3), 1, "0.2", date(2030, 3, 5), paid_by_name="Her mother")
    again = await pay(db, b, m1, Month(2030, 6), 2, "240", date(2030, 6, 1))
    assert again.already == [Month(2030, 6)] and again.months == [Month(2030, 7)]

    async with db.session() as session:
        lines = {d.person_id: d for d in await dues.branch_dues(session, b.org, Month(2030, 6))}
        proxy = await session.scalar(select(DuesPayment).where(DuesPayment.person_id == m2))
    assert lines[m1].monthly == Decimal("120.00")  # 1.5% of 8,000
    assert lines[m1].owed == () and Month(2030, 7) in lines[m1].paid
    # Last year's profile applies until this year's is stated; owed since the books opened.
    assert lines[m2].monthly == Decimal("0.20")
    assert lines[m2].owed == (Month(2030, 1), Month(2030, 2), Month(2030, 4), Month(2030, 5),
                              Month(2030, 6))
    assert lines[m3].monthly is None and len(lines[m3].owed) == 6
    activist, pending = await person_of(db, b.activist), await person_of(db, b.pending)
    assert activist not in lines and pending not in lines  # activists owe none; not yet members
    assert proxy is not None and proxy.paid_by_name == "Her mother"
    assert proxy.state is DuesPaymentState.CONFIRMED and proxy.confirmed_by == LEADER


async def test_a_reported_payment_waits_for_the_secretary(db: Database) -> None:
    b = await build_branch(db)
    m3 = await person_of(db, b.m3)
    await pay(db, b, m3, Month(2030, 4), 2, "100.01", date(2030, 5, 1), reported=True)
    async with db.session() as session:
        line = next(d for d in await dues.branch_dues(session, b.org, Month(2030, 5))
                    if d.person_id == m3)
        amounts = list(await session.scalars(
            select(DuesPayment.amount_fen).where(DuesPayment.person_id == m3)
            .order_by(DuesPayment.month)))
    assert line.reported == {Month(2030, 4), Month(2030, 5)} and not line.paid
    assert line.owed == ()  # reported months are not chased meanwhile
    assert amounts == [5001, 5000]  # the odd fen goes to the first month

    async with db.session() as session:
        assert await dues.decide_reported(session, m3, [Month(2030, 4)], accept=True,
                                          by=LEADER) == 1
        assert await dues.decide_reported(session, m3, [Month(2030, 5)], accept=False,
                                          by=LEADER) == 1
        assert await dues.decide_reported(session, m3, [Month(2030, 4)], accept=False,
                                          by=LEADER) == 0  # confirmed: never removed here
        line = next(d for d in await dues.branch_dues(session, b.org, Month(2030, 5))
                    if d.person_id == m3)
    assert line.paid == {Month(2030, 4)} and line.owed == (Month(2030, 5),)


async def test_bad_amounts_and_the_base_kept_out_of_the_audit(db: Database) -> None:
    b = await build_branch(db)
    m1 = await person_of(db, b.m1)
    async with db.session() as session:
        with pytest.raises(dues.DuesError) as farmer:
            await dues.set_profile(session, m1, 2030, DuesCategory.FARMER, base=None,
                                   fixed=Decimal(5), by=LEADER, confirmed=True, now=NOW)
        assert farmer.value.code == "farmer_amount_range"
        with pytest.raises(dues.DuesError):
            await dues.record_payment(
                session, person_id=m1, org_id=b.org, months=[Month(2030, 1)], amount=Decimal(0),
                paid_on=date(2030, 1, 1), method=DuesMethod.BANK, by=LEADER, now=NOW)
        await dues.set_profile(session, m1, 2030, DuesCategory.EMPLOYED, base=Decimal("12345.67"),
                               fixed=None, by=LEADER, confirmed=True, now=NOW)
    async with db.session() as session:
        events = list(await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "dues.profile")))
        profile = (await dues.profiles_for(session, [m1], 2031))[m1]
    assert len(events) == 1 and "12345" not in str(events[0].details)
    assert profile.base_fen == 1_234_567 and dues.monthly_of(profile) == Decimal("246.91")


async def test_arrears_and_monthly_totals_across_branches(db: Database) -> None:
    b = await build_branch(db)
    m1, m2, m3, stranger = [await person_of(db, m) for m in (b.m1, b.m2, b.m3, b.stranger)]
    await pay(db, b, m1, Month(2030, 1), 6, "720", date(2030, 1, 10))  # paid up to June
    await pay(db, b, m2, Month(2030, 1), 2, "0.4", date(2030, 1, 10))  # owes March to June
    await pay(db, b, m3, Month(2030, 5), 1, "50", date(2030, 5, 3), reported=True)
    async with db.session() as session:
        found = await dues.arrears(session, [b.org, b.other_org], Month(2030, 6),
                                   offset_minutes=480)
        totals = await dues.totals_by_month(session, [b.org, b.other_org], 2030)
        lines = {d.person_id: d for d in await dues.branch_dues(session, b.org, Month(2030, 6))}
    by_person = {a.person_id: a for a in found}
    assert by_person[m2].months == 4 and by_person[m2].org_id == b.org
    assert by_person[m3].months == 5  # January–June but the reported May
    assert m1 not in by_person
    assert stranger not in by_person  # Branch B keeps no dues in the bot yet
    secretary = await person_of(db, b.secretary)
    assert {a.person_id for a in found} == {m2, m3, secretary, await person_of(db, b.committee)}
    # The same count as the branch's own view.
    assert all(a.months == len(lines[a.person_id].owed) for a in found)
    assert totals[(b.org, 1)] == Decimal("120.20") and totals[(b.org, 6)] == Decimal("120.00")
    assert (b.org, 5) in totals and totals[(b.org, 5)] == Decimal("120.00")  # reported: not yet


async def test_the_branchs_consent_to_paying_ahead(db: Database) -> None:
    b = await build_branch(db)
    async with db.session() as session:
        assert await dues.months_ahead(session, b.org) == 0
        org = await session.get(PartyOrganization, b.org)
        assert org is not None
        with pytest.raises(dues.DuesError):
            await dues.set_months_ahead(session, org, 3, by=LEADER)  # not one of the choices
        assert await dues.set_months_ahead(session, org, 2, by=LEADER) is True
        assert await dues.set_months_ahead(session, org, 2, by=LEADER) is False  # unchanged
    async with db.session() as session:
        assert await dues.months_ahead(session, b.org) == 2
        events = list(await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "org.dues_months_ahead")))
    assert [e.details for e in events] == [{"before": {"months": 0}, "after": {"months": 2}}]
