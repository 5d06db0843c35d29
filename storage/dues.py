"""Dues (党费) kept per member and month: the yearly profile (category and base), payments the
branch records or a member reports, a branch's members with what they owe, and arrears.

Amounts are integer fen here and Decimal yuan in rules/dues.py (`to_fen`/`to_yuan` between).
Every write is audited; the base is personal data, so the audit says it changed, not what to.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Integer, case, cast, delete, extract, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from rules import dues as rules
from rules.dues import Month
from rules.vocabulary import (
    DuesCategory,
    DuesMethod,
    DuesPaymentState,
    MembershipState,
    MemberStatus,
)
from storage import audit
from storage.models import DuesPayment, DuesProfile, Membership, PartyOrganization, Person
from storage.sql_functions import LocalDate

OWING_STATUSES = (MemberStatus.FULL, MemberStatus.PROBATIONARY)  # activists owe no dues


def to_fen(yuan: Decimal) -> int:
    return int((yuan * 100).to_integral_value(ROUND_HALF_UP))


def to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(rules.FEN)


class DuesError(Exception):
    """A dues write refused; `code` is a message id the handlers translate."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def months_ahead(session: AsyncSession, org_id: int) -> int:
    """How many months after this one the branch lets its members pay (0: not without it)."""
    found = await session.scalar(
        select(PartyOrganization.dues_months_ahead).where(PartyOrganization.id == org_id))
    return found or 0


async def set_months_ahead(session: AsyncSession, org: PartyOrganization, months: int, *,
                           by: int) -> bool:
    """The branch's consent to paying ahead (one of rules.MONTHS_AHEAD_CHOICES), audited;
    False if unchanged."""
    if months not in rules.MONTHS_AHEAD_CHOICES:
        raise DuesError("number_format")
    if org.dues_months_ahead == months:
        return False
    before, org.dues_months_ahead = org.dues_months_ahead, months
    await session.flush()
    audit.record(session, by, "org.dues_months_ahead", "party_organization", org.id,
                 before={"months": before}, after={"months": months})
    return True


async def set_profile(
    session: AsyncSession, person_id: int, year: int, category: DuesCategory, *,
    base: Decimal | None, fixed: Decimal | None, by: int, confirmed: bool, now: datetime,
    standard: rules.DuesStandard = rules.DEFAULT_STANDARD,
) -> DuesProfile:
    """The member's category and base for `year` (stated by them, or set by a leader, who then
    confirms it too); a farmer's fixed amount must lie in the standard's range."""
    if category is DuesCategory.FARMER and (
        fixed is None or rules.farmer_amount_ok(standard, fixed) is not None
    ):
        raise DuesError("farmer_amount_range")
    if base is not None and base < 0:
        raise DuesError("number_format")
    profile = await session.get(DuesProfile, (person_id, year))
    if profile is None:
        profile = DuesProfile(person_id=person_id, year=year)
        session.add(profile)
    before = {"category": profile.category, "base_set": profile.base_fen is not None}
    profile.category = category
    profile.base_fen = None if base is None or category not in rules.BASED_CATEGORIES \
        else to_fen(base)
    profile.fixed_fen = to_fen(fixed) if category is DuesCategory.FARMER and fixed else None
    profile.stated_by, profile.confirmed_by = by, by if confirmed else None
    profile.updated_at = now
    await session.flush()
    audit.record(session, by, "dues.profile", "person", person_id, year=year, before=before,
                 after={"category": category, "base_set": profile.base_fen is not None,
                        "confirmed": confirmed})
    return profile


async def confirm_profile(
    session: AsyncSession, person_id: int, year: int, *, by: int, now: datetime
) -> DuesProfile | None:
    """A leader confirms the profile a member stated for `year` as it stands; None if there is
    none or it was confirmed already."""
    profile = await session.get(DuesProfile, (person_id, year))
    if profile is None or profile.confirmed_by is not None:
        return None
    profile.confirmed_by, profile.updated_at = by, now
    await session.flush()
    audit.record(session, by, "dues.profile_confirmed", "person", person_id, year=year)
    return profile


async def profiles_for(
    session: AsyncSession, person_ids: Collection[int], year: int
) -> dict[int, DuesProfile]:
    """Each person's profile for `year`, or else their latest earlier one (the base is set once
    a year; until a new one is stated the last one applies)."""
    if not person_ids:
        return {}
    latest = (
        select(DuesProfile.person_id, func.max(DuesProfile.year).label("year"))
        .where(DuesProfile.person_id.in_(person_ids), DuesProfile.year <= year)
        .group_by(DuesProfile.person_id).subquery()
    )
    rows = await session.scalars(select(DuesProfile).join(
        latest, (DuesProfile.person_id == latest.c.person_id) & (DuesProfile.year == latest.c.year)
    ))
    return {p.person_id: p for p in rows}


def monthly_of(profile: DuesProfile | None,
               standard: rules.DuesStandard = rules.DEFAULT_STANDARD) -> Decimal | None:
    """The monthly standard a profile sets; None without a profile or while its base is unset."""
    if profile is None:
        return None
    return rules.monthly_dues(
        standard, profile.category,
        None if profile.base_fen is None else to_yuan(profile.base_fen),
        None if profile.fixed_fen is None else to_yuan(profile.fixed_fen),
    )


def split_fen(total: int, parts: int) -> list[int]:
    """A payment for several months, month by month: equal, the odd fen to the first ones."""
    each, rest = divmod(total, parts)
    return [each + (1 if i < rest else 0) for i in range(parts)]


@dataclass(frozen=True)
class Recorded:
    """Months a payment was recorded for, and months it skipped (already paid or reported)."""

    months: list[Month]
    already: list[Month]


async def record_payment(
    session: AsyncSession, *, person_id: int, org_id: int, months: Sequence[Month],
    amount: Decimal, paid_on: date, method: DuesMethod, by: int, now: datetime,
    paid_by_name: str | None = None, reported: bool = False,
) -> Recorded:
    """One payment over `months` (late, current or ahead: the months say which): confirmed when
    a leader records it, REPORTED when the member does. Months already holding a row are left
    as they are and returned in `already`; the amount is split over the others."""
    if not months or amount <= 0:
        raise DuesError("amount_not_positive")
    taken = set(await _months_with_rows(session, person_id, months))
    fresh = [m for m in months if m not in taken]
    if fresh and to_fen(amount) < len(fresh):
        raise DuesError("amount_not_positive")  # less than a fen a month
    for month, fen in zip(fresh, split_fen(to_fen(amount), len(fresh)) if fresh else [],
                          strict=True):
        session.add(DuesPayment(
            person_id=person_id, party_organization_id=org_id, year=month.year,
            month=month.month, amount_fen=fen, paid_on=paid_on, method=method,
            paid_by_name=paid_by_name,
            state=DuesPaymentState.REPORTED if reported else DuesPaymentState.CONFIRMED,
            recorded_by=by, recorded_at=now, confirmed_by=None if reported else by,
        ))
    if fresh:
        await session.flush()
        audit.record(session, by, "dues.reported" if reported else "dues.paid", "person",
                     person_id, months=[str(m) for m in fresh], amount_fen=to_fen(amount),
                     proxy=paid_by_name is not None)
    return Recorded(fresh, [m for m in months if m in taken])


async def _months_with_rows(
    session: AsyncSession, person_id: int, months: Sequence[Month]
) -> list[Month]:
    rows = await session.execute(
        select(DuesPayment.year, DuesPayment.month).where(
            DuesPayment.person_id == person_id,
            tuple_(DuesPayment.year, DuesPayment.month).in_([(m.year, m.month) for m in months]),
        )
    )
    return [Month(y, m) for y, m in rows]


async def decide_reported(
    session: AsyncSession, person_id: int, months: Sequence[Month], *, accept: bool, by: int
) -> int:
    """A leader confirms (or, not accepting, removes) what a member reported for these months;
    returns how many months changed. Confirmed rows are never touched here."""
    where = (
        DuesPayment.person_id == person_id, DuesPayment.state == DuesPaymentState.REPORTED,
        tuple_(DuesPayment.year, DuesPayment.month).in_([(m.year, m.month) for m in months]),
    )
    rows = list(await session.scalars(select(DuesPayment).where(*where)))
    if accept:
        for row in rows:
            row.state, row.confirmed_by = DuesPaymentState.CONFIRMED, by
    else:
        await session.execute(delete(DuesPayment).where(*where))
    if rows:
        audit.record(session, by, "dues.confirmed" if accept else "dues.returned", "person",
                     person_id, months=[f"{r.year:04d}-{r.month:02d}" for r in rows])
    await session.flush()
    return len(rows)


@dataclass(frozen=True)
class MemberDues:
    """One member of a branch with their dues through a month."""

    person_id: int
    name: str
    monthly: Decimal | None
    paid: frozenset[Month]  # confirmed
    reported: frozenset[Month]  # waiting for the secretary
    owed: tuple[Month, ...]  # neither, from owing_since through the month


async def books_opened(session: AsyncSession, org_id: int) -> Month | None:
    """The first month the branch recorded any dues: before it, nothing is owed in the bot."""
    row = (await session.execute(
        select(DuesPayment.year, DuesPayment.month)
        .where(DuesPayment.party_organization_id == org_id)
        .order_by(DuesPayment.year, DuesPayment.month).limit(1)
    )).first()
    return None if row is None else Month(row[0], row[1])


async def branch_dues(
    session: AsyncSession, org_id: int, through: Month,
    standard: rules.DuesStandard = rules.DEFAULT_STANDARD, *, person_id: int | None = None,
) -> list[MemberDues]:
    """The branch's current party members (activists owe none) with their standard, months
    paid, reported and owed through `through`, by name; only `person_id` if given."""
    query = (
        select(Person.id, Person.real_name, Membership.joined_party_on, Membership.decided_at)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.party_organization_id == org_id,
               Membership.state == MembershipState.ACTIVE,
               Membership.status.in_(OWING_STATUSES))
        .order_by(Person.real_name, Person.id)
    )
    if person_id is not None:
        query = query.where(Person.id == person_id)
    members = (await session.execute(query)).all()
    ids = [m.id for m in members]
    opened = await books_opened(session, org_id)
    profiles = await profiles_for(session, ids, through.year)
    rows = (await session.execute(
        select(DuesPayment.person_id, DuesPayment.year, DuesPayment.month, DuesPayment.state)
        .where(DuesPayment.person_id.in_(ids))
    )).all() if ids else []
    paid: dict[int, set[Month]] = {i: set() for i in ids}
    reported: dict[int, set[Month]] = {i: set() for i in ids}
    for person_id, year, month, state in rows:
        (paid if state is DuesPaymentState.CONFIRMED else reported)[person_id].add(
            Month(year, month))
    result = []
    for member in members:
        on_books = (member.decided_at or datetime.min).date()
        since = rules.owing_since(member.joined_party_on, on_books, opened)
        owed = () if since is None else tuple(rules.months_owed(
            since, through, paid[member.id] | reported[member.id]))
        result.append(MemberDues(
            member.id, member.real_name or "", monthly_of(profiles.get(member.id), standard),
            frozenset(paid[member.id]), frozenset(reported[member.id]), owed,
        ))
    return result


@dataclass(frozen=True)
class Arrears:
    """A member with at least the asked number of months owed (paid or reported count as not)."""

    org_id: int
    person_id: int
    name: str
    months: int


async def arrears(
    session: AsyncSession, org_ids: Collection[int], through: Month, *, offset_minutes: int,
    at_least: int = 3,
) -> list[Arrears]:
    """Across these branches, current party members owing at least `at_least` months through
    `through`, most owed first; one query (the admin's view of a province)."""
    if not org_ids:
        return []
    # A branch's first recorded month: one probe of (org, year, month) per branch, not a scan.
    first = (
        select(DuesPayment.year * 12 + DuesPayment.month - 1)
        .where(DuesPayment.party_organization_id == PartyOrganization.id)
        .order_by(DuesPayment.year, DuesPayment.month).limit(1)
        .correlate(PartyOrganization).scalar_subquery()
    )
    opened = (
        select(PartyOrganization.id.label("org_id"), first.label("first"))
        .where(PartyOrganization.id.in_(org_ids)).subquery()
    )
    became = func.coalesce(Membership.joined_party_on,
                           LocalDate(Membership.decided_at, offset_minutes))
    member_since = extract("year", became) * 12 + extract("month", became) - 1
    since = cast(case((member_since > opened.c.first, member_since), else_=opened.c.first),
                 Integer)
    # Computed once: PostgreSQL would otherwise inline `since` into every payment row it checks.
    members = (
        select(Membership.party_organization_id.label("org_id"), Person.id.label("person_id"),
               Person.real_name.label("name"), since.label("since"))
        .join(Person, Person.id == Membership.person_id)
        .join(opened, opened.c.org_id == Membership.party_organization_id)
        .where(Membership.state == MembershipState.ACTIVE,
               Membership.status.in_(OWING_STATUSES), opened.c.first.is_not(None))
        .cte("owing_members").prefix_with("MATERIALIZED", dialect="postgresql")
    )
    index = DuesPayment.year * 12 + DuesPayment.month - 1
    last = through.year * 12 + through.month - 1
    owed = (last - members.c.since + 1 - func.count(DuesPayment.id)).label("owed")
    rows = await session.execute(
        select(members.c.org_id, members.c.person_id, members.c.name, owed)
        .outerjoin(DuesPayment, (DuesPayment.person_id == members.c.person_id)
                   & (index >= members.c.since) & (index <= last))
        .group_by(members.c.org_id, members.c.person_id, members.c.name, members.c.since)
        .having(owed >= at_least)
        .order_by(owed.desc(), members.c.name, members.c.person_id)
    )
    return [Arrears(org, person, name or "", int(months)) for org, person, name, months in rows]


async def totals_by_month(
    session: AsyncSession, org_ids: Collection[int], year: int
) -> dict[tuple[int, int], Decimal]:
    """Dues confirmed per branch and month of `year` (what a branch hands to the level above)."""
    if not org_ids:
        return {}
    rows = await session.execute(
        select(DuesPayment.party_organization_id, DuesPayment.month,
               func.sum(DuesPayment.amount_fen))
        .where(DuesPayment.party_organization_id.in_(org_ids), DuesPayment.year == year,
               DuesPayment.state == DuesPaymentState.CONFIRMED)
        .group_by(DuesPayment.party_organization_id, DuesPayment.month)
    )
    return {(org, month): to_yuan(int(fen)) for org, month, fen in rows}


@dataclass(frozen=True)
class PaymentRow:
    """One month's dues paid to a branch (confirmed or reported), for its ledger."""

    person_id: int
    name: str
    month: Month
    amount: Decimal
    paid_on: date
    method: DuesMethod
    state: DuesPaymentState
    paid_by_name: str | None = None  # someone else paid it for the member (代缴)


async def member_dues(session: AsyncSession, org_id: int, person_id: int, through: Month,
                      standard: rules.DuesStandard = rules.DEFAULT_STANDARD
                      ) -> MemberDues | None:
    """One member's dues in their branch (None: not a member who owes dues there)."""
    found = await branch_dues(session, org_id, through, standard, person_id=person_id)
    return found[0] if found else None


async def payments_in(session: AsyncSession, org_id: int, year: int) -> list[PaymentRow]:
    """Every month of `year` paid to this branch (also by members who left it since), by
    month and name."""
    rows = await session.execute(
        select(DuesPayment.person_id, Person.real_name, DuesPayment.month,
               DuesPayment.amount_fen, DuesPayment.paid_on, DuesPayment.method,
               DuesPayment.state, DuesPayment.paid_by_name)
        .join(Person, Person.id == DuesPayment.person_id)
        .where(DuesPayment.party_organization_id == org_id, DuesPayment.year == year)
        .order_by(DuesPayment.month, Person.real_name, DuesPayment.person_id)
    )
    return [PaymentRow(person, name or "", Month(year, month), to_yuan(fen), paid_on, method,
                       state, paid_by)
            for person, name, month, fen, paid_on, method, state, paid_by in rows]
