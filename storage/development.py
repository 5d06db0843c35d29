"""Member development (发展党员): open a person's record, take each step the rules allow (the
assembly's figures kept as held), the talk, the half-yearly reviews, the public notice, the
upper level's approvals, probation extended or withdrawn; the branch's pipeline and what it
owes by when (the planner's reminders).

Becoming probationary and then full is what changes the person's membership status everywhere
(Membership.status); the stages before both are kept here only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rules import development as rules
from rules.development import Due, Milestones, TooEarly
from rules.validation import Invalid
from rules.vocabulary import DevelopmentStage, MembershipState, MemberStatus
from rules.workdays import WorkCalendar
from storage import audit
from storage.files import remember_file
from storage.models import (
    CURRENT_STATES,
    DevelopmentContact,
    DevelopmentRecord,
    DevelopmentStep,
    Membership,
    Person,
    ThoughtReport,
)

# The events that are not stages: each sets one milestone of the record.
EVENTS = {
    "talk": "talked_on", "review": "last_review_on", "notice": "notice_from",
    "admission_approval": "admission_approved_on",
    "confirmation_approval": "confirmation_approved_on",
}
STAGE_DAYS = {
    DevelopmentStage.ACTIVIST: "activist_on", DevelopmentStage.CANDIDATE: "candidate_on",
    DevelopmentStage.PROBATIONARY: "admitted_on", DevelopmentStage.FULL: "confirmed_on",
}
# The membership status a stage gives (those before probation are not party members yet).
STATUS_OF = {DevelopmentStage.ACTIVIST: MemberStatus.ACTIVIST,
             DevelopmentStage.PROBATIONARY: MemberStatus.PROBATIONARY,
             DevelopmentStage.FULL: MemberStatus.FULL}
VOTED = frozenset({DevelopmentStage.PROBATIONARY, DevelopmentStage.FULL})  # by the assembly
MAX_THOUGHT_REPORT = 4000  # characters of a typed 思想汇报


class DevelopmentError(Exception):
    """A change the record's state does not allow; `code` names it for the message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Votes:
    """The assembly's figures as the branch held the vote."""

    entitled: int
    present: int
    in_favour: int
    against: int
    abstaining: int


def milestones(record: DevelopmentRecord) -> Milestones:
    return Milestones(
        applied_on=record.applied_on, talked_on=record.talked_on,
        activist_on=record.activist_on, candidate_on=record.candidate_on,
        notice_from=record.notice_from, admitted_on=record.admitted_on,
        admission_approved_on=record.admission_approved_on,
        extension_months=record.extension_months, confirmed_on=record.confirmed_on,
        confirmation_approved_on=record.confirmation_approved_on,
        last_review_on=record.last_review_on,
    )


async def open_record(
    session: AsyncSession, *, person_id: int, org_id: int, applied_on: date,
    birth_on: date | None, by: int, today: date, now: datetime,
) -> DevelopmentRecord:
    """An application received (入党申请书): the person's record at the first stage."""
    refused = rules.check_application(birth_on, applied_on, today)
    if refused is not None:
        raise DevelopmentError(refused.reason)
    if await open_record_of(session, person_id) is not None:
        raise DevelopmentError("development_open")
    record = DevelopmentRecord(
        person_id=person_id, party_organization_id=org_id, stage=DevelopmentStage.APPLICANT,
        birth_on=birth_on, applied_on=applied_on, created_at=now)
    session.add(record)
    await session.flush()
    _log(session, record, "applied", applied_on, by, now)
    audit.record(session, by, "development.opened", "development", record.id)
    return record


async def follow_membership(session: AsyncSession, membership: Membership, now: datetime
                            ) -> None:
    """A membership begins (a registration approved, a transfer accepted): a development under
    way moves with the person to the branch; an activist or probationary member without one
    enters the pipeline at that stage, from the day the bot learns of it (days before it are
    the secretary's to correct)."""
    record = await open_record_of(session, membership.person_id)
    if record is not None:
        record.party_organization_id = membership.party_organization_id
        return
    stage = {MemberStatus.APPLICANT: DevelopmentStage.APPLICANT,
             MemberStatus.ACTIVIST: DevelopmentStage.ACTIVIST,
             MemberStatus.PROBATIONARY: DevelopmentStage.PROBATIONARY}.get(membership.status)
    if stage is None:
        return
    # Registration asks an applicant or activist for the application's day, a member for the
    # joining's.
    said, today = membership.joined_party_on, now.date()
    days = ({"applied_on": said or today} if stage is DevelopmentStage.APPLICANT
            else {"applied_on": said or today, "activist_on": today}
            if stage is DevelopmentStage.ACTIVIST
            else {"applied_on": said or today, "admitted_on": said or today})
    session.add(DevelopmentRecord(
        person_id=membership.person_id, party_organization_id=membership.party_organization_id,
        stage=stage, created_at=now, **days))


async def open_record_of(session: AsyncSession, person_id: int) -> DevelopmentRecord | None:
    return await session.scalar(select(DevelopmentRecord).where(
        DevelopmentRecord.person_id == person_id, DevelopmentRecord.closed_on.is_(None)))


def _log(session: AsyncSession, record: DevelopmentRecord, step: str, on: date, by: int,
         now: datetime, *, document: str | None = None, note: str | None = None,
         override: str | None = None, votes: Votes | None = None) -> None:
    figures = {} if votes is None else {
        "votes_entitled": votes.entitled, "votes_present": votes.present,
        "votes_for": votes.in_favour, "votes_against": votes.against,
        "votes_abstaining": votes.abstaining}
    session.add(DevelopmentStep(
        record_id=record.id, step=step, taken_on=on, recorded_by=by, document=document,
        note=note, override_reason=override, created_at=now, **figures))


async def take_step(
    session: AsyncSession, record: DevelopmentRecord, stage: DevelopmentStage, on: date, *,
    by: int, today: date, now: datetime, document: str | None = None,
    votes: Votes | None = None, override: str | None = None, cal: WorkCalendar | None = None,
) -> Invalid | TooEarly | None:
    """Move the person into `stage` on `on` when the rules allow it (a refusal is returned,
    nothing changes); `override` (an admin's reason) lets a too-early step through, audited.
    The assembly's votes (probationary, full) must be given, quorate and passed."""
    refused = rules.check_step(stage, on, milestones(record), today, cal)
    if isinstance(refused, TooEarly) and override:
        refused = None
    if refused is not None:
        return refused
    if stage in VOTED:
        if votes is None:
            return Invalid("vote_figures")
        wrong = rules.check_vote(votes.entitled, votes.present, votes.in_favour,
                                 votes.against, votes.abstaining)
        if wrong is not None:
            return wrong
        if not rules.assembly_passes(votes.in_favour, votes.entitled):
            return Invalid("vote_not_passed")
    setattr(record, STAGE_DAYS[stage], on)
    record.stage = stage
    _log(session, record, stage.value, on, by, now, document=document, votes=votes,
         override=override)
    if stage in STATUS_OF:
        await _set_status(session, record, STATUS_OF[stage], on, by=by, now=now)
    audit.record(session, by, "development.step", "development", record.id, stage=stage.value,
                 overridden=bool(override))
    return None


async def _set_status(session: AsyncSession, record: DevelopmentRecord, status: MemberStatus,
                      on: date, *, by: int, now: datetime) -> None:
    """The person's current membership in the branch takes the status (and, on admission,
    the day they joined the party). An applicant the branch recorded without a membership
    (applicants do not register) becomes a member of the branch on admission."""
    values: dict[str, object] = {"status": status}
    if status is MemberStatus.PROBATIONARY:
        values["joined_party_on"] = on
        current = await session.scalar(select(Membership.id).where(
            Membership.person_id == record.person_id, Membership.state.in_(CURRENT_STATES)))
        if current is None:
            session.add(Membership(
                person_id=record.person_id, party_organization_id=record.party_organization_id,
                state=MembershipState.ACTIVE, status=status, joined_party_on=on,
                requested_at=now, decided_at=now, decided_by=by))
            await session.flush()
            return
    await session.execute(
        update(Membership)
        .where(Membership.person_id == record.person_id,
               Membership.party_organization_id == record.party_organization_id,
               Membership.state.in_(CURRENT_STATES))
        .values(**values).execution_options(synchronize_session=False))


async def record_event(
    session: AsyncSession, record: DevelopmentRecord, event: str, on: date, *, by: int,
    today: date, now: datetime, note: str | None = None, document: str | None = None,
) -> Invalid | None:
    """A talk, a half-yearly review, the public notice's first day or an approval: its day is
    kept (the latest review counts), and the step logged."""
    if event not in EVENTS:
        raise DevelopmentError("unknown_event")
    if on > today:
        return Invalid("date_future")
    if on < record.applied_on:
        return Invalid("date_before_application")
    stage = record.stage
    allowed = {
        "talk": stage is DevelopmentStage.APPLICANT,
        "review": stage is DevelopmentStage.ACTIVIST,
        "notice": stage is DevelopmentStage.CANDIDATE,
        "admission_approval": stage is DevelopmentStage.PROBATIONARY,
        "confirmation_approval": stage is DevelopmentStage.FULL,
    }
    if not allowed[event]:
        return Invalid("stage_out_of_order")
    setattr(record, EVENTS[event], on)
    _log(session, record, event, on, by, now, note=note, document=document)
    if event == "confirmation_approval":
        record.closed_on, record.closed_reason = on, "approved"
    audit.record(session, by, "development.event", "development", record.id, event=event)
    return None


async def extend_probation(session: AsyncSession, record: DevelopmentRecord, months: int, *,
                           by: int, now: datetime, on: date, reason: str) -> Invalid | None:
    refused = rules.check_extension(months, milestones(record))
    if refused is not None:
        return refused
    record.extension_months = months
    _log(session, record, "extended", on, by, now, note=reason)
    audit.record(session, by, "development.extended", "development", record.id, months=months)
    return None


async def close(session: AsyncSession, record: DevelopmentRecord, reason: str, *, by: int,
                on: date, now: datetime, note: str | None = None) -> None:
    """The application withdrawn, or a probationary member's status withdrawn (取消预备党员
    资格: the membership status goes back, the record stays)."""
    if record.closed_on is not None:
        raise DevelopmentError("development_closed")
    if record.stage is DevelopmentStage.PROBATIONARY:
        await _set_status(session, record, MemberStatus.ACTIVIST, on, by=by, now=now)
    record.closed_on, record.closed_reason = on, reason
    _log(session, record, reason, on, by, now, note=note)
    audit.record(session, by, "development.closed", "development", record.id, reason=reason)


async def assign_contacts(session: AsyncSession, record: DevelopmentRecord,
                          person_ids: Collection[int], *, on: date, by: int) -> None:
    """One or two full members of the branch guide the activist (replacing earlier ones)."""
    low, high = rules.CONTACTS
    chosen = set(person_ids) - {record.person_id}
    if not low <= len(chosen) <= high:
        raise DevelopmentError("contacts_count")
    full = set((await session.scalars(select(Membership.person_id).where(
        Membership.person_id.in_(chosen), Membership.state == MembershipState.ACTIVE,
        Membership.party_organization_id == record.party_organization_id,
        Membership.status == MemberStatus.FULL))).all())
    if full != chosen:
        raise DevelopmentError("contact_not_full_member")
    for old in await contacts_of(session, record.id):
        await session.delete(old)
    await session.flush()
    session.add_all(DevelopmentContact(record_id=record.id, person_id=p, assigned_on=on)
                    for p in sorted(chosen))
    audit.record(session, by, "development.contacts", "development", record.id,
                 contacts=len(chosen))


async def contacts_of(session: AsyncSession, record_id: int) -> list[DevelopmentContact]:
    return list((await session.scalars(select(DevelopmentContact).where(
        DevelopmentContact.record_id == record_id).order_by(DevelopmentContact.id))).all())


async def add_thought_report(session: AsyncSession, record: DevelopmentRecord, *,
                             text: str | None, file_id: str | None, file_name: str | None,
                             now: datetime) -> ThoughtReport:
    if not text and not file_id:
        raise DevelopmentError("thought_report_empty")
    if text is not None and len(text) > MAX_THOUGHT_REPORT:
        raise DevelopmentError("thought_report_long")
    report = ThoughtReport(record_id=record.id, text=text, file_id=file_id,
                           file_name=file_name, submitted_at=now)
    session.add(report)
    if file_id is not None:  # the file store keeps a copy (storage/files)
        await remember_file(session, file_id, file_name=file_name)
    await session.flush()
    return report


async def thought_report(session: AsyncSession, report_id: int) -> ThoughtReport | None:
    return await session.get(ThoughtReport, report_id)


async def is_contact(session: AsyncSession, record_id: int, person_id: int | None) -> bool:
    """Whether `person_id` is one of the record's assigned contacts."""
    if person_id is None:
        return False
    return await session.scalar(select(DevelopmentContact.id).where(
        DevelopmentContact.record_id == record_id,
        DevelopmentContact.person_id == person_id)) is not None


async def guided_by(session: AsyncSession, person_id: int
                    ) -> list[tuple[DevelopmentRecord, Person]]:
    """The developments under way that `person_id` is a contact for, by name."""
    rows = await session.execute(
        select(DevelopmentRecord, Person)
        .join(DevelopmentContact, DevelopmentContact.record_id == DevelopmentRecord.id)
        .join(Person, Person.id == DevelopmentRecord.person_id)
        .where(DevelopmentContact.person_id == person_id,
               DevelopmentRecord.closed_on.is_(None))
        .order_by(Person.real_name, DevelopmentRecord.id))
    return [(record, person) for record, person in rows]


# The days a leader may correct (migrated records began on the day the bot learned of them),
# in the order the stages reach them.
CORRECTABLE = ("applied_on", "activist_on", "candidate_on", "admitted_on", "confirmed_on")


def correction_refused(record: DevelopmentRecord, field: str, on: date, today: date
                       ) -> Invalid | None:
    """Why a stage's day may not be corrected to `on`: in the future, before the stage reached
    before it or after the one reached after it."""
    if field not in CORRECTABLE or getattr(record, field) is None:
        raise DevelopmentError("unknown_day")
    if on > today:
        return Invalid("date_future")
    at = CORRECTABLE.index(field)
    before = [d for f in CORRECTABLE[:at] if (d := getattr(record, f)) is not None]
    after = [d for f in CORRECTABLE[at + 1:] if (d := getattr(record, f)) is not None]
    if before and on < max(before):
        return Invalid("date_before_stage")
    if after and on > min(after):
        return Invalid("date_after_stage")
    return None


async def correct_day(session: AsyncSession, record: DevelopmentRecord, field: str, on: date,
                      *, by: int, today: date, now: datetime) -> Invalid | None:
    """A stage's day corrected where `correction_refused` allows it (the step is logged with
    the day it had, audited); the admission's day is the day the person joined the party."""
    refused = correction_refused(record, field, on, today)
    if refused is not None:
        return refused
    old = getattr(record, field)
    setattr(record, field, on)
    if field == "admitted_on":  # the day the person joined the party
        await session.execute(
            update(Membership)
            .where(Membership.person_id == record.person_id,
                   Membership.party_organization_id == record.party_organization_id,
                   Membership.state.in_(CURRENT_STATES))
            .values(joined_party_on=on).execution_options(synchronize_session=False))
    _log(session, record, "corrected", on, by, now, note=f"{field}: {old.isoformat()}")
    audit.record(session, by, "development.corrected", "development", record.id, day=field)
    return None


async def thought_reports(session: AsyncSession, record_id: int) -> list[ThoughtReport]:
    return list((await session.scalars(select(ThoughtReport).where(
        ThoughtReport.record_id == record_id).order_by(ThoughtReport.submitted_at.desc(),
                                                       ThoughtReport.id.desc()))).all())


async def pipeline(session: AsyncSession, org_id: int
                   ) -> list[tuple[DevelopmentRecord, Person]]:
    """The branch's developments under way, by stage (furthest first), then by name."""
    rows = await session.execute(
        select(DevelopmentRecord, Person).join(Person, Person.id == DevelopmentRecord.person_id)
        .where(DevelopmentRecord.party_organization_id == org_id,
               DevelopmentRecord.closed_on.is_(None)))
    order = {stage: i for i, stage in enumerate(reversed(rules.ORDER))}
    found = [(record, person) for record, person in rows]
    return sorted(found, key=lambda row: (order[row[0].stage], row[1].real_name or "",
                                          row[0].id))


@dataclass(frozen=True)
class Owed:
    """Something a branch owes one person's development, by a day (the planner's input)."""

    record_id: int
    person_id: int
    org_id: int
    due: Due


async def owed_by(session: AsyncSession, org_ids: Collection[int] | None = None, *,
                  cal: WorkCalendar | None = None) -> list[Owed]:
    """What every development under way (in `org_ids`, or all) is reminded of, earliest
    first; days counted in working days follow `cal` (the loaded holiday schedules)."""
    query = select(DevelopmentRecord).where(DevelopmentRecord.closed_on.is_(None))
    if org_ids is not None:
        query = query.where(DevelopmentRecord.party_organization_id.in_(org_ids))
    owed = [Owed(r.id, r.person_id, r.party_organization_id, due)
            for r in await session.scalars(query)
            for due in rules.reminded_of(milestones(r), cal)]
    return sorted(owed, key=lambda o: (o.due.by, o.record_id, o.due.what))
