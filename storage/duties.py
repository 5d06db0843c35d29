"""Reporting duties and term renewals (issue 6): a branch's upcoming deadlines, marking one
done, the calendar an admin edits (its defaults stored once), custom deadlines, and recording
a renewal.

Reminders themselves are planned by reminders/planner/duties.py; marking done and recording a
renewal cancel the queued reminders (mark_duty_done, record_renewal). Every change the chat
makes is audited here, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules import duties as duty_rules
from rules import terms
from rules.vocabulary import MembershipState, PartyOrgKind
from rules.workdays import WorkCalendar
from storage import audit, outbox
from storage.files import remember_file
from storage.holiday_calendar import work_calendar
from storage.models import Duty, DutyCompletion, Membership, PartyOrganization, TermRenewal
from storage.orgs import ancestor_ids

LOOK_BACK = timedelta(days=62)  # an occurrence this recent is still shown, done or not
# Reports to the upper level stay listed while open, as in the overview and its reminders.
REPORTING = frozenset({duty_rules.Audience.SECRETARIES, duty_rules.Audience.ADMINS})
DUES_LAST_DAY = 31  # stored for "the last day of the month" (DutyTemplate clamps it)
MAX_DUES_DAY = 28  # a day every month has
LOOK_AHEAD = timedelta(days=366)
RENEWAL_WINDOW = timedelta(days=183)  # terms ending within about 6 months are listed
MAX_LEADS = 6
MAX_LEAD_DAYS = 180


class DutyError(Exception):
    """A change refused; `code` is for the handlers to translate."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class DutyLine:
    """One occurrence of a duty for one organization."""

    duty_id: int
    code: str | None
    title: str | None
    occurrence: str
    due_on: date
    deadline: date
    done: bool
    file_id: str | None
    approximate: bool = False  # no official holiday schedule for the year (rules/workdays.py)


@dataclass(frozen=True)
class DutyDocument:
    """The document a branch handed in for one occurrence of a duty (None name: a photo)."""

    duty_id: int
    occurrence: str
    file_id: str
    file_name: str | None


async def documents(session: AsyncSession, org_id: int, duty_id: int | None = None
                    ) -> list[DutyDocument]:
    """The documents a branch handed in (for one duty, or every one), oldest occurrence
    first."""
    query = select(DutyCompletion.duty_id, DutyCompletion.occurrence, DutyCompletion.file_id,
                   DutyCompletion.file_name).where(
        DutyCompletion.party_organization_id == org_id, DutyCompletion.file_id.is_not(None))
    if duty_id is not None:
        query = query.where(DutyCompletion.duty_id == duty_id)
    rows = await session.execute(query.order_by(DutyCompletion.occurrence, DutyCompletion.id))
    return [DutyDocument(duty, occurrence, file_id, name)
            for duty, occurrence, file_id, name in rows.all() if file_id]


def _applies(duty: Duty, chain: Collection[int], kind: PartyOrgKind) -> bool:
    """The planner's rule: a duty of the org or above it; committees only report themselves."""
    scoped = duty.party_organization_id is None or duty.party_organization_id in chain
    if not scoped:
        return False
    return kind is not PartyOrgKind.COMMITTEE or duty.code == "secretary_report"


async def duties_for(session: AsyncSession, org: PartyOrganization) -> list[Duty]:
    """The active duties that fall on an organization."""
    chain = {org.id, *(await ancestor_ids(session, org.id))}
    duties = (await session.scalars(
        select(Duty).where(
            Duty.active.is_(True),
            or_(Duty.party_organization_id.is_(None), Duty.party_organization_id.in_(chain)),
        ).order_by(Duty.id)
    )).all()
    return [d for d in duties if _applies(d, chain, org.kind)]


async def upcoming(session: AsyncSession, org: PartyOrganization, today: date) -> list[DutyLine]:
    """Per duty: recent occurrences (done or not), older ones still open (reports only, as the
    overview counts them) and the next one, by deadline."""
    duties = await duties_for(session, org)
    if not duties:
        return []
    cal = await work_calendar(session)
    done_rows = await session.execute(
        select(DutyCompletion.duty_id, DutyCompletion.occurrence, DutyCompletion.file_id).where(
            DutyCompletion.party_organization_id == org.id,
            DutyCompletion.duty_id.in_([d.id for d in duties]),
        )
    )
    done = {(duty_id, occ): file_id for duty_id, occ, file_id in done_rows.all()}
    lines: list[DutyLine] = []
    for duty in duties:
        template = duty_template(duty, org)
        reporting = bool(template.audience & REPORTING)
        start = today - (duty_rules.OVERDUE_HISTORY if reporting else LOOK_BACK)
        found = duty_rules.occurrences(template, start, today + LOOK_AHEAD, cal=cal)
        ahead = [o for o in found if o.deadline >= today]
        # Missed ones only since the duty exists: a new deadline is not overdue in the past.
        # Nor before the organization existed (as the overview counts).
        since = max(duty.created_at.date() if duty.created_at else today,
                    org.created_at.date() if org.created_at else date.min)
        shown = [o for o in found if since <= o.deadline < today and (
            o.deadline >= today - LOOK_BACK or (reporting and (duty.id, o.key) not in done))]
        for occ in shown + ahead[:1]:
            key = (duty.id, occ.key)
            lines.append(DutyLine(duty.id, duty.code, duty.title, occ.key, occ.due_on,
                                  occ.deadline, key in done, done.get(key), occ.approximate))
    return sorted(lines, key=lambda line: (line.deadline, line.duty_id))


def template_of(duty: Duty, *, dues_day: int | None = None) -> duty_rules.DutyTemplate:
    """The recurrence arithmetic's view of a stored duty; `dues_day` is a branch's own
    collection day, which replaces the calendar's for the dues duty."""
    return duty_rules.DutyTemplate(
        code=duty.code or f"custom_{duty.id}",  # an identifier, as DutyTemplate requires
        recurrence=duty_rules.Recurrence(duty.recurrence),
        day=dues_day if dues_day and duty.code == "dues" else duty.day,
        month=duty.month,
        on=duty.on_date,
        lead_days=tuple(duty.lead_days),
        audience=frozenset(duty_rules.Audience(a) for a in duty.audience),
    )


def duty_template(duty: Duty, org: PartyOrganization) -> duty_rules.DutyTemplate:
    """The duty as it falls on this organization (its own dues collection day)."""
    return template_of(duty, dues_day=org.dues_day)


def occurrence_of(duty: Duty, org: PartyOrganization, key: str, today: date,
                  cal: WorkCalendar | None = None) -> duty_rules.DutyOccurrence | None:
    """The occurrence behind a key from a button, if the duty really has it (still shown)."""
    found = duty_rules.occurrences(duty_template(duty, org), today - duty_rules.OVERDUE_HISTORY,
                                   today + LOOK_AHEAD, cal=cal)
    return next((o for o in found if o.key == key), None)


async def set_dues_day(session: AsyncSession, org: PartyOrganization, day: int | None, *,
                       by: int) -> bool:
    """The branch's own dues collection day (1..28 or 31 = the last day; None: the calendar's
    default), audited; False if unchanged. Queued dues reminders follow from the next pass."""
    if day is not None and not (1 <= day <= MAX_DUES_DAY or day == DUES_LAST_DAY):
        raise DutyError("bad_dues_day")
    if org.dues_day == day:
        return False
    before = org.dues_day
    org.dues_day = day
    await session.flush()
    audit.record(session, by, "org.dues_day", "party_organization", org.id,
                 before={"dues_day": before}, after={"dues_day": day})
    return True


async def mark_duty_done(
    session: AsyncSession, duty: Duty, org_id: int, occurrence: str, *, by: int,
    file_id: str | None = None, file_name: str | None = None,
) -> bool:
    """Record a duty occurrence done for a branch; its pending reminders are cancelled."""
    exists = await session.scalar(
        select(DutyCompletion.id).where(
            DutyCompletion.duty_id == duty.id, DutyCompletion.party_organization_id == org_id,
            DutyCompletion.occurrence == occurrence,
        )
    )
    if exists is not None:
        return False
    session.add(
        DutyCompletion(duty_id=duty.id, party_organization_id=org_id, occurrence=occurrence,
                       done_by=by, file_id=file_id, file_name=file_name)
    )
    if file_id is not None:  # the file store keeps a copy (storage/files)
        await remember_file(session, file_id, file_name=file_name)
    await outbox.cancel(session, subject=f"duty:{duty.id}:{org_id}", reason="done")
    await session.flush()
    return True


async def complete(
    session: AsyncSession, duty: Duty, org_id: int, occurrence: str, *, by: int,
    file_id: str | None = None, file_name: str | None = None,
) -> bool:
    """Mark an occurrence done (its reminders stop); False if it already was."""
    applied = await mark_duty_done(session, duty, org_id, occurrence, by=by, file_id=file_id,
                                   file_name=file_name)
    if applied:
        audit.record(session, by, "duty.done", "duty", duty.id, org=org_id,
                     occurrence=occurrence, file_name=file_name, with_file=file_id is not None)
    return applied


async def ensure_default_duties(session: AsyncSession, now: datetime | None = None) -> int:
    """Store the default calendar once, so admins can edit it; returns how many were added.
    `now` (the reminder clock) dates them: nothing is overdue from before they existed."""
    existing = set((await session.scalars(select(Duty.code).where(Duty.code.is_not(None)))).all())
    added = 0
    for code, template in duty_rules.DEFAULT_DUTIES.items():
        if code in existing:
            continue
        session.add(
            Duty(
                code=code, recurrence=template.recurrence.value, month=template.month,
                day=template.day, on_date=template.on, lead_days=list(template.lead_days),
                audience=sorted(a.value for a in template.audience), active=True,
                **({"created_at": now} if now is not None else {}),
            )
        )
        added += 1
    await session.flush()
    return added


async def calendar(session: AsyncSession, org_ids: Collection[int] | None) -> list[Duty]:
    """Every duty (defaults first): all for an admin (None), else those of the given orgs."""
    statement = select(Duty).order_by(Duty.code.is_(None), Duty.id)
    if org_ids is not None:
        statement = statement.where(Duty.party_organization_id.in_(org_ids))
    return list((await session.scalars(statement)).all())


def check_template(
    *, recurrence: str, day: int, month: int | None, on: date | None,
    lead_days: Sequence[int], audience: Sequence[str],
) -> duty_rules.DutyTemplate:
    """A duty's fields as the recurrence arithmetic accepts them, else DutyError."""
    if len(lead_days) > MAX_LEADS or any(not 0 <= d <= MAX_LEAD_DAYS for d in lead_days):
        raise DutyError("bad_leads")
    try:
        return duty_rules.DutyTemplate(
            code="check", recurrence=duty_rules.Recurrence(recurrence), day=day, month=month,
            on=on, lead_days=tuple(lead_days),
            audience=frozenset(duty_rules.Audience(a) for a in audience),
        )
    except ValueError:
        raise DutyError("bad_fields") from None


async def edit_duty(
    session: AsyncSession, duty: Duty, *, by: int, day: int | None = None,
    month: int | None = None, lead_days: Sequence[int] | None = None,
    active: bool | None = None,
) -> bool:
    """Change a duty's day, month, lead days or switch it on/off (audited); False if unchanged."""
    new_day = duty.day if day is None else day
    new_month = duty.month if month is None else month
    new_leads = list(duty.lead_days) if lead_days is None else sorted(set(lead_days),
                                                                      reverse=True)
    check_template(recurrence=duty.recurrence, day=new_day, month=new_month, on=duty.on_date,
                   lead_days=new_leads, audience=duty.audience)
    before = {"day": duty.day, "month": duty.month, "lead_days": list(duty.lead_days),
              "active": duty.active}
    duty.day, duty.month, duty.lead_days = new_day, new_month, new_leads
    if active is not None:
        duty.active = active
    after = {"day": duty.day, "month": duty.month, "lead_days": list(duty.lead_days),
             "active": duty.active}
    changed = [k for k in after if after[k] != before[k]]
    if not changed:
        return False
    await session.flush()
    audit.record(session, by, "duty.edit", "duty", duty.id,
                 before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return True


async def create_duty(
    session: AsyncSession, *, title: str, org_id: int | None, recurrence: str, day: int,
    month: int | None, on: date | None, lead_days: Sequence[int], audience: Sequence[str],
    by: int, now: datetime | None = None,
) -> Duty:
    """A custom deadline for an organization's subtree (None: everyone), audited."""
    check_template(recurrence=recurrence, day=day, month=month, on=on, lead_days=lead_days,
                   audience=audience)
    duty = Duty(
        code=None, title=title, party_organization_id=org_id, recurrence=recurrence,
        month=month, day=day, on_date=on, lead_days=sorted(set(lead_days), reverse=True),
        audience=sorted(set(audience)), active=True, created_by=by,
        **({"created_at": now} if now is not None else {}),
    )
    session.add(duty)
    await session.flush()
    audit.record(session, by, "duty.create", "duty", duty.id, title=title, org=org_id,
                 recurrence=recurrence, day=day, month=month,
                 on=on.isoformat() if on else None, lead_days=list(duty.lead_days),
                 audience=list(duty.audience))
    return duty


# ---------------------------------------------------------------------------------------------
# Renewals (换届)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TermLine:
    org_id: int
    name: str
    started_on: date
    ends_on: date


def term_line(org: PartyOrganization) -> TermLine | None:
    if org.term_started_on is None:
        return None
    ends_on = terms.term_ends_on(org.term_started_on, org.kind, org.term_years)
    return TermLine(org.id, org.name, org.term_started_on, ends_on)


async def terms_ending(
    session: AsyncSession, org_ids: Collection[int] | None, today: date
) -> list[TermLine]:
    """Organizations whose committee term ends within about 6 months or has ended, oldest first."""
    statement = select(PartyOrganization).where(PartyOrganization.term_started_on.is_not(None))
    if org_ids is not None:
        statement = statement.where(PartyOrganization.id.in_(org_ids))
    lines = [line for org in (await session.scalars(statement)).all()
             if (line := term_line(org)) is not None and line.ends_on <= today + RENEWAL_WINDOW]
    return sorted(lines, key=lambda line: (line.ends_on, line.name))


async def record_renewal(
    session: AsyncSession,
    org: PartyOrganization,
    *,
    elected_on: date,
    approved_on: date,
    secretary_person_id: int | None,
    deputy_person_id: int | None,
    by: int,
) -> TermRenewal:
    """The renewal is done: the next term starts on the election day; reminders stop."""
    renewal = TermRenewal(
        party_organization_id=org.id, elected_on=elected_on, approved_on=approved_on,
        secretary_person_id=secretary_person_id, deputy_person_id=deputy_person_id,
        recorded_by=by,
    )
    session.add(renewal)
    org.term_started_on = elected_on
    await outbox.cancel(session, subject=f"renewal:{org.id}", reason="renewal recorded")
    await session.flush()
    return renewal


async def renew(
    session: AsyncSession, org: PartyOrganization, *, elected_on: date, approved_on: date,
    secretary_person_id: int, deputy_person_id: int | None, by: int, today: date,
) -> TermRenewal:
    """Record a renewal after checking dates and people; the next term starts (audited)."""
    if elected_on > today or approved_on > today:
        raise DutyError("date_future")
    if approved_on < elected_on:
        raise DutyError("approved_before_elected")
    if org.term_started_on is not None and elected_on <= org.term_started_on:
        raise DutyError("elected_before_term")
    if deputy_person_id is not None and deputy_person_id == secretary_person_id:
        raise DutyError("same_person")
    chosen = {secretary_person_id} | ({deputy_person_id} if deputy_person_id else set())
    members = set((await session.scalars(
        select(Membership.person_id).where(
            Membership.party_organization_id == org.id,
            Membership.state == MembershipState.ACTIVE,
            Membership.person_id.in_(chosen),
        )
    )).all())
    if members != chosen:
        raise DutyError("not_member")
    before = org.term_started_on
    renewal = await record_renewal(
        session, org, elected_on=elected_on, approved_on=approved_on,
        secretary_person_id=secretary_person_id, deputy_person_id=deputy_person_id, by=by,
    )
    audit.record(session, by, "term.renewal", "party_organization", org.id,
                 before={"term_started_on": before.isoformat() if before else None},
                 after={"term_started_on": elected_on.isoformat()},
                 approved_on=approved_on.isoformat(), secretary=secretary_person_id,
                 deputy=deputy_person_id)
    return renewal
