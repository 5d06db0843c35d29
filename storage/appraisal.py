"""The yearly democratic appraisal of members (民主评议党员) kept per branch: open the year's
(one per branch and year), members' self-assessments, peer grades (anonymous: counts per member
worked out in SQL, the grader never returned to anyone but themself), the branch's result per
member, the assembly's confirmation, close it (linking the year's 民主评议 meeting).

Writes are audited without texts or grades given by members (the audit says a self-assessment
was submitted or a grade given, not what it says).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules import appraisal as rules
from rules.tree import MEMBER_KINDS
from rules.vocabulary import (
    AppraisalGrade,
    MeetingKind,
    MeetingState,
    MembershipState,
    MemberStatus,
)
from storage import audit
from storage.models import (
    Appraisal,
    AppraisalPeerGrade,
    AppraisalResult,
    AppraisalSelf,
    Meeting,
    Membership,
    PartyOrganization,
    Person,
)


class AppraisalError(Exception):
    """An appraisal step refused; `code` is a key of the handlers' messages."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Appraisee:
    """An active party member of the branch: appraised this year."""

    person_id: int
    name: str
    status: MemberStatus
    telegram_id: int
    language: str


@dataclass(frozen=True)
class BoardLine:
    """One member on the committee's board: self-assessment in?, peer-grade counts, result."""

    person_id: int
    name: str
    self_submitted: bool
    counts: dict[AppraisalGrade, int] = field(default_factory=lambda: rules.tally(()))
    result: AppraisalGrade | None = None
    note: str | None = None


@dataclass(frozen=True)
class LedgerLine:
    """A member's result in the branch ledger."""

    year: int
    name: str
    grade: AppraisalGrade
    note: str | None
    confirmed_on: date | None


def _appraised(org_id: int) -> list[ColumnElement[bool]]:
    return [Membership.party_organization_id == org_id,
            Membership.state == MembershipState.ACTIVE,
            Membership.status.in_(rules.APPRAISED_STATUSES)]


async def of_year(session: AsyncSession, org_id: int, year: int) -> Appraisal | None:
    return await session.scalar(select(Appraisal).where(
        Appraisal.party_organization_id == org_id, Appraisal.year == year))


async def current(session: AsyncSession, org_id: int, year: int) -> Appraisal | None:
    """The branch's appraisal of `year`, else last year's while still open (opened in
    December, closed in January)."""
    found = await of_year(session, org_id, year)
    if found is None:
        found = await of_year(session, org_id, year - 1)
        if found is not None and found.closed_at is not None:
            return None
    return found


async def appraisees(session: AsyncSession, org_id: int, *,
                     only: int | None = None) -> list[Appraisee]:
    """The branch's active full and probationary members, by name (only `only` if given)."""
    query = (select(Person.id, Person.real_name, Membership.status, Person.telegram_id,
                    Person.language)
             .join(Membership, Membership.person_id == Person.id)
             .where(*_appraised(org_id)).order_by(Person.real_name, Person.id))
    if only is not None:
        query = query.where(Person.id == only)
    return [Appraisee(pid, name or "", status, telegram_id, language)
            for pid, name, status, telegram_id, language in await session.execute(query)]


async def _is_appraised(session: AsyncSession, org_id: int, person_id: int) -> bool:
    return bool(await appraisees(session, org_id, only=person_id))


def _open(appraisal: Appraisal) -> None:
    if appraisal.closed_at is not None:
        raise AppraisalError("closed")


async def open_year(session: AsyncSession, *, org_id: int, year: int, by: int,
                    now: datetime) -> Appraisal:
    """The branch's appraisal of `year`: one per branch and year."""
    if await of_year(session, org_id, year) is not None:
        raise AppraisalError("already_open")
    appraisal = Appraisal(party_organization_id=org_id, year=year, opened_at=now, opened_by=by)
    session.add(appraisal)
    await session.flush()
    audit.record(session, by, "appraisal.opened", "party_organization", org_id,
                 appraisal=appraisal.id, year=year)
    return appraisal


async def appraisal_meetings(session: AsyncSession, org_id: int, start: datetime,
                             end: datetime) -> list[tuple[int, datetime, str]]:
    """The branch's 民主评议 meetings (not cancelled) starting in [start, end): id, start,
    topic."""
    rows = await session.execute(
        select(Meeting.id, Meeting.starts_at, Meeting.topic)
        .where(Meeting.party_organization_id == org_id, Meeting.kind == MeetingKind.APPRAISAL,
               Meeting.state != MeetingState.CANCELLED, Meeting.starts_at >= start,
               Meeting.starts_at < end)
        .order_by(Meeting.starts_at, Meeting.id))
    return [(mid, starts, topic) for mid, starts, topic in rows.all()]


async def close(session: AsyncSession, appraisal: Appraisal, *, by: int, now: datetime,
                meeting_id: int | None = None) -> None:
    """Close it (nothing changes after); `meeting_id` links the year's 民主评议 meeting (the
    caller checks it is one of appraisal_meetings)."""
    _open(appraisal)
    appraisal.closed_at, appraisal.closed_by, appraisal.meeting_id = now, by, meeting_id
    await session.flush()
    audit.record(session, by, "appraisal.closed", "party_organization",
                 appraisal.party_organization_id, appraisal=appraisal.id, meeting=meeting_id)


async def submit_self(session: AsyncSession, appraisal: Appraisal, *, person_id: int, text: str,
                      by: int, now: datetime) -> None:
    """A member's self-assessment, replacing theirs."""
    _open(appraisal)
    if not await _is_appraised(session, appraisal.party_organization_id, person_id):
        raise AppraisalError("not_a_member")
    mine = await session.scalar(select(AppraisalSelf).where(
        AppraisalSelf.appraisal_id == appraisal.id, AppraisalSelf.person_id == person_id))
    if mine is None:
        session.add(AppraisalSelf(appraisal_id=appraisal.id, person_id=person_id, text=text,
                                  submitted_at=now))
    else:
        mine.text, mine.submitted_at = text, now
    await session.flush()
    audit.record(session, by, "appraisal.self_submitted", "person", person_id,
                 appraisal=appraisal.id, replaced=mine is not None)


async def own_self(session: AsyncSession, appraisal_id: int, person_id: int) -> str | None:
    return await session.scalar(select(AppraisalSelf.text).where(
        AppraisalSelf.appraisal_id == appraisal_id, AppraisalSelf.person_id == person_id))


async def _peer_pair(session: AsyncSession, appraisal: Appraisal, grader: int,
                     graded: int) -> AppraisalPeerGrade | None:
    _open(appraisal)
    if grader == graded:
        raise AppraisalError("oneself")
    org = appraisal.party_organization_id
    both = await session.scalar(select(func.count()).select_from(Membership).where(
        *_appraised(org), Membership.person_id.in_((grader, graded))))
    if both != 2:
        raise AppraisalError("not_a_member")
    return await session.scalar(select(AppraisalPeerGrade).where(
        AppraisalPeerGrade.appraisal_id == appraisal.id,
        AppraisalPeerGrade.grader_person_id == grader,
        AppraisalPeerGrade.graded_person_id == graded))


async def give_grade(session: AsyncSession, appraisal: Appraisal, *, grader: int, graded: int,
                     grade: AppraisalGrade, by: int, now: datetime) -> None:
    """A member's grade of another member of the branch, replacing theirs for that member."""
    given = await _peer_pair(session, appraisal, grader, graded)
    if given is None:
        session.add(AppraisalPeerGrade(appraisal_id=appraisal.id, grader_person_id=grader,
                                       graded_person_id=graded, grade=grade, given_at=now))
    else:
        given.grade, given.given_at = grade, now
    await session.flush()
    audit.record(session, by, "appraisal.grade_given", "appraisal", appraisal.id)


async def withdraw_grade(session: AsyncSession, appraisal: Appraisal, *, grader: int,
                         graded: int, by: int) -> bool:
    """Take back one's grade of a member; False if there was none."""
    given = await _peer_pair(session, appraisal, grader, graded)
    if given is None:
        return False
    await session.delete(given)
    await session.flush()
    audit.record(session, by, "appraisal.grade_withdrawn", "appraisal", appraisal.id)
    return True


async def grades_given(session: AsyncSession, appraisal_id: int,
                       grader: int) -> dict[int, AppraisalGrade]:
    """The grades a member gave (for that member's eyes only), by graded person."""
    rows = await session.execute(
        select(AppraisalPeerGrade.graded_person_id, AppraisalPeerGrade.grade)
        .where(AppraisalPeerGrade.appraisal_id == appraisal_id,
               AppraisalPeerGrade.grader_person_id == grader))
    return {person: grade for person, grade in rows.all()}


async def counts(session: AsyncSession,
                 appraisal_id: int) -> dict[int, dict[AppraisalGrade, int]]:
    """How many of each grade each member got (no graders), grouped in SQL."""
    rows = await session.execute(
        select(AppraisalPeerGrade.graded_person_id, AppraisalPeerGrade.grade, func.count())
        .where(AppraisalPeerGrade.appraisal_id == appraisal_id)
        .group_by(AppraisalPeerGrade.graded_person_id, AppraisalPeerGrade.grade))
    found: dict[int, dict[AppraisalGrade, int]] = {}
    for person, grade, count in rows.all():
        found.setdefault(person, rules.tally(()))[grade] = int(count)
    return found


async def record_result(session: AsyncSession, appraisal: Appraisal, *, person_id: int,
                        grade: AppraisalGrade, note: str | None, by: int,
                        now: datetime) -> None:
    """The branch's result for a member, replacing an earlier one."""
    _open(appraisal)
    if not await _is_appraised(session, appraisal.party_organization_id, person_id):
        raise AppraisalError("not_a_member")
    result = await session.scalar(select(AppraisalResult).where(
        AppraisalResult.appraisal_id == appraisal.id, AppraisalResult.person_id == person_id))
    if result is None:
        session.add(AppraisalResult(appraisal_id=appraisal.id, person_id=person_id, grade=grade,
                                    note=note, recorded_by=by, recorded_at=now))
    else:
        result.grade, result.note, result.recorded_by, result.recorded_at = grade, note, by, now
    await session.flush()
    audit.record(session, by, "appraisal.result_recorded", "person", person_id,
                 appraisal=appraisal.id, grade=grade.value)


async def own_result(session: AsyncSession, appraisal_id: int,
                     person_id: int) -> tuple[AppraisalGrade, str | None] | None:
    row = (await session.execute(select(AppraisalResult.grade, AppraisalResult.note).where(
        AppraisalResult.appraisal_id == appraisal_id,
        AppraisalResult.person_id == person_id))).first()
    return (row[0], row[1]) if row else None


async def confirm(session: AsyncSession, appraisal: Appraisal, *, on: date, by: int) -> None:
    """The assembly (党员大会) confirmed the results on `on`: every member has one first."""
    _open(appraisal)
    board_lines = await board(session, appraisal)
    if any(line.result is None for line in board_lines):
        raise AppraisalError("results_missing")
    appraisal.assembly_confirmed_on = on
    await session.flush()
    audit.record(session, by, "appraisal.confirmed", "party_organization",
                 appraisal.party_organization_id, appraisal=appraisal.id, on=on.isoformat())


async def board(session: AsyncSession, appraisal: Appraisal) -> list[BoardLine]:
    """Every member appraised, by name: self-assessment in?, counts, result."""
    members = await appraisees(session, appraisal.party_organization_id)
    selves = set((await session.scalars(select(AppraisalSelf.person_id).where(
        AppraisalSelf.appraisal_id == appraisal.id))).all())
    results = {person: (grade, note) for person, grade, note in (await session.execute(
        select(AppraisalResult.person_id, AppraisalResult.grade, AppraisalResult.note)
        .where(AppraisalResult.appraisal_id == appraisal.id))).all()}
    tallies = await counts(session, appraisal.id)
    return [BoardLine(m.person_id, m.name, m.person_id in selves,
                      tallies.get(m.person_id, rules.tally(())),
                      *results.get(m.person_id, (None, None)))
            for m in members]


async def ledger_lines(session: AsyncSession, org_id: int, first_year: int,
                       last_year: int) -> list[LedgerLine]:
    """The recorded results of the branch's appraisals of these years, by year and name."""
    rows = await session.execute(
        select(Appraisal.year, Person.real_name, AppraisalResult.grade, AppraisalResult.note,
               Appraisal.assembly_confirmed_on)
        .join(AppraisalResult, AppraisalResult.appraisal_id == Appraisal.id)
        .join(Person, Person.id == AppraisalResult.person_id)
        .where(Appraisal.party_organization_id == org_id,
               Appraisal.year.between(first_year, last_year))
        .order_by(Appraisal.year, Person.real_name, Person.id))
    return [LedgerLine(year, name or "", grade, note, confirmed)
            for year, name, grade, note, confirmed in rows.all()]



@dataclass(frozen=True)
class Unwritten:
    """An open appraisal's member who has not written a self-assessment."""

    appraisal_id: int
    org_name: str
    year: int
    opened_at: datetime
    person_id: int


async def not_opened(session: AsyncSession, year: int) -> list[tuple[int, str]]:
    """Branches with party members and no appraisal of `year`: (id, name), by id."""
    appraised = (select(Membership.id).where(
        Membership.party_organization_id == PartyOrganization.id,
        Membership.state == MembershipState.ACTIVE,
        Membership.status.in_(rules.APPRAISED_STATUSES)).exists())
    opened = (select(Appraisal.id).where(Appraisal.party_organization_id == PartyOrganization.id,
                                         Appraisal.year == year).exists())
    rows = await session.execute(
        select(PartyOrganization.id, PartyOrganization.name)
        .where(PartyOrganization.kind.in_(MEMBER_KINDS), appraised, ~opened)
        .order_by(PartyOrganization.id))
    return [(org_id, name) for org_id, name in rows]


async def without_self_assessment(session: AsyncSession) -> list[Unwritten]:
    """Members of every open appraisal who have not written their self-assessment."""
    written = (select(AppraisalSelf.id).where(AppraisalSelf.appraisal_id == Appraisal.id,
                                              AppraisalSelf.person_id == Membership.person_id)
               .exists())
    rows = await session.execute(
        select(Appraisal.id, PartyOrganization.name, Appraisal.year, Appraisal.opened_at,
               Membership.person_id)
        .join(PartyOrganization, PartyOrganization.id == Appraisal.party_organization_id)
        .join(Membership, Membership.party_organization_id == Appraisal.party_organization_id)
        .where(Appraisal.closed_at.is_(None), Membership.state == MembershipState.ACTIVE,
               Membership.status.in_(rules.APPRAISED_STATUSES), ~written)
        .order_by(Appraisal.id, Membership.person_id))
    return [Unwritten(*row) for row in rows]
