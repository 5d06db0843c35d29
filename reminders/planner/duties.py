"""Reporting duty reminders: before each deadline to the duty's audience, and weekly after a
missed one to the branch's leaders and the level above, until it is marked done."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.i18n import translator
from handlers.labels import APPROXIMATE_NOTE, duty_title
from reminders import rules
from reminders.duties import duty_dues
from reminders.planner.kit import (
    CHECK_WINDOW,
    PlanSettings,
    Recipient,
    _admins,
    _ancestors,
    _aware,
    _parents,
    _plan,
    _recipients,
    _slice,
    leaders,
)
from rules import duties as duty_rules
from rules.meetings import MEMBER_STATUSES
from rules.vocabulary import MembershipState, PartyOrgKind, ReminderKind
from rules.workdays import WorkCalendar
from storage.duties import template_of
from storage.models import (
    DuesPayment,
    Duty,
    DutyCompletion,
    Membership,
    PartyOrganization,
    Person,
)


async def plan_duties(session: AsyncSession, now: datetime, settings: PlanSettings) -> None:
    """Reminders of each reporting duty not yet marked done, at its lead days, to its audience,
    on the days whose 08:00 falls in the slice (after an outage: the latest per occurrence);
    after a missed deadline weekly to the branch's leaders and the level above until done."""
    after, until = _slice(now, settings, fresh=CHECK_WINDOW)
    days = rules.day_checks(after, until, settings.tz)
    if not days:
        return
    duties = (await session.scalars(select(Duty).where(Duty.active.is_(True)))).all()
    if not duties:
        return
    parents = await _parents(session)
    org_rows = await session.execute(
        select(PartyOrganization.id, PartyOrganization.kind, PartyOrganization.name,
               PartyOrganization.dues_day, PartyOrganization.created_at)
    )
    kinds: dict[int, PartyOrgKind] = {}
    names: dict[int, str] = {}
    dues_days: dict[int, int | None] = {}
    created: dict[int, date] = {}
    for org_id, kind, name, dues_day, created_at in org_rows.all():
        kinds[org_id], names[org_id], dues_days[org_id] = kind, name, dues_day
        created[org_id] = _aware(created_at).astimezone(settings.tz).date()
    done_rows = await session.execute(
        select(DutyCompletion.duty_id, DutyCompletion.party_organization_id,
               DutyCompletion.occurrence)
    )
    done = {(duty_id, org_id, occurrence) for duty_id, org_id, occurrence in done_rows.all()}
    heads: dict[int, list[Recipient]] | None = None
    admins = await _admins(session, settings)
    cal = settings.calendar
    for duty in duties:
        scope = [
            org_id for org_id in kinds
            if duty.party_organization_id is None or org_id == duty.party_organization_id
            or duty.party_organization_id in _ancestors(org_id, parents)
        ]
        # Duties fall on branches; committees report through their own leaders too.
        targets = [o for o in scope if kinds[o] is not PartyOrgKind.COMMITTEE or
                   duty.code == "secretary_report"]
        # A branch's own dues collection day makes its own template (one group per day).
        groups: dict[int | None, list[int]] = {}
        for org_id in targets:
            own = dues_days[org_id] if duty.code == "dues" else None
            groups.setdefault(own, []).append(org_id)
        if heads is None:
            heads = await leaders(session, kinds)
        for own_day, group in groups.items():
            template = template_of(duty, dues_day=own_day)
            # A member's key names a branch's own day: a changed day is reminded afresh.
            suffix = f"@{own_day}" if own_day else ""
            await _plan_duty_group(session, settings, duty, template, group, days, done=done,
                                   heads=heads, admins=admins, names=names, cal=cal,
                                   suffix=suffix)
            if template.audience & {duty_rules.Audience.SECRETARIES, duty_rules.Audience.ADMINS}:
                _plan_overdue(settings, duty, template, group, days, done=done, heads=heads,
                              admins=admins, names=names, parents=parents, created=created)


async def _plan_duty_group(
    session: AsyncSession, settings: PlanSettings, duty: Duty,
    template: duty_rules.DutyTemplate, targets: list[int], days: list[date], *,
    done: set[tuple[int, int, str]], heads: dict[int, list[Recipient]],
    admins: list[Recipient], names: dict[int, str], cal: WorkCalendar, suffix: str = "",
) -> None:
    """The reminders before the deadline of one duty for organizations sharing a template."""
    latest: dict[str, rules.Due] = {}
    for found in duty_dues(template, days[0], days[-1], settings.tz, cal=cal):
        latest[found.occurrence.split("/", 1)[0]] = found  # in time order: the last wins
    if not latest:
        return
    longest = max(template.lead_days, default=0)
    occurrences = {
        o.key: o for o in duty_rules.occurrences(
            template, days[0] - timedelta(days=31), days[-1] + timedelta(days=longest + 62),
            cal=cal)
    }
    audience = set(duty.audience)
    for occurrence, due in latest.items():
        occ = occurrences.get(occurrence)
        open_orgs = [o for o in targets if (duty.id, o, occurrence) not in done]
        if not open_orgs or occ is None:
            continue
        if "secretaries" in audience:
            for org_id in open_orgs:
                for person in heads.get(org_id, []):
                    _plan(
                        settings, person, kind=ReminderKind.DUTY,
                        subject=f"duty:{duty.id}:{org_id}",
                        key=f"duty:{duty.id}:{org_id}:{due.occurrence}{suffix}", due=due.at,
                        text=_duty_text(duty, person.language, names[org_id], occ),
                    )
        if "admins" in audience and admins:
            for person in admins:
                t = translator(person.language)
                # Outside t.plural: a `t` among its arguments would hide the plural from pybabel.
                title = duty_title(t, duty.code, duty.title)
                _plan(
                    settings, person, kind=ReminderKind.DUTY, subject=f"duty:{duty.id}",
                    key=f"duty:{duty.id}:admin:{due.occurrence}", due=due.at,
                    text=t.plural(
                        "📋 {title} ({occurrence}, due {deadline}): {n} organization has not "
                        "marked it done yet. See /duties.",
                        "📋 {title} ({occurrence}, due {deadline}): {n} organizations have not "
                        "marked it done yet. See /duties.",
                        len(open_orgs), title=title, occurrence=occurrence,
                        deadline=deadline_text(occ),
                    ) + approximate_note(t, occ),
                )
        if "members" in audience:
            owing = [Membership.state == MembershipState.ACTIVE,
                     Membership.party_organization_id.in_(open_orgs)]
            if duty.code == "dues":
                owing += _dues_owing(occurrence)
            members = await _recipients(session, [
                Person.id.in_(select(Membership.person_id).where(*owing))
            ])
            for person, _person_id in members:
                t = translator(person.language)
                # Dues: at most once a month per member (issue 16), whatever the lead or day.
                key = (f"duty:{duty.id}:member:{occurrence}" if duty.code == "dues"
                       else f"duty:{duty.id}:member:{due.occurrence}{suffix}")
                _plan(
                    settings, person, kind=ReminderKind.DUTY, subject=f"duty:{duty.id}",
                    key=key, due=due.at,
                    text=t("📋 Reminder: {title} ({occurrence}), due {deadline}.",
                           title=duty_title(t, duty.code, duty.title), occurrence=occurrence,
                           deadline=deadline_text(occ)) + approximate_note(t, occ),
                )


def _dues_owing(occurrence: str) -> list[ColumnElement[bool]]:
    """The dues reminder goes to party members only (activists owe none), and not to those
    whose dues for the month are already recorded or reported (a quarter: its first month)."""
    year, _, part = occurrence.partition("-")
    month = (int(part[1:]) - 1) * 3 + 1 if part.startswith("Q") else int(part)
    paid = select(DuesPayment.person_id).where(
        DuesPayment.year == int(year), DuesPayment.month == month)
    return [Membership.status.in_(MEMBER_STATUSES), Membership.person_id.not_in(paid)]


def _plan_overdue(
    settings: PlanSettings, duty: Duty, template: duty_rules.DutyTemplate, targets: list[int],
    days: list[date], *, done: set[tuple[int, int, str]], heads: dict[int, list[Recipient]],
    admins: list[Recipient], names: dict[int, str], parents: dict[int, int | None],
    created: dict[int, date],
) -> None:
    """Weekly after a missed deadline, to the branch's leaders and the level above (the
    parent's leaders; admins for a top-level organization), until it is done or switched off."""
    since = _aware(duty.created_at).astimezone(settings.tz).date() if duty.created_at else days[0]
    first = max(since, days[0] - duty_rules.OVERDUE_HISTORY)
    missed = [o for o in duty_rules.occurrences(template, first - timedelta(days=31),
                                                days[-1], cal=settings.calendar)
              if since <= o.deadline < days[-1]]
    for occ in missed:
        # Only the latest week due in this slice (after an outage: no backlog).
        weeks = [(day, n) for day in days if (n := duty_rules.overdue_week(occ.deadline, day))]
        if not weeks:
            continue
        day, week = weeks[-1]
        at = rules.local_to_utc(day, rules.DEFAULT_DAY_TIME, settings.tz)
        for org_id in targets:
            if (duty.id, org_id, occ.key) in done or created.get(org_id, day) > occ.deadline:
                continue
            people: dict[int, Recipient] = {}
            above = parents.get(org_id)
            for chain_org in [org_id] + ([above] if above is not None else []):
                for person in heads.get(chain_org, []):
                    people.setdefault(person.telegram_id, person)
            if above is None or not heads.get(above):
                for person in admins:
                    people.setdefault(person.telegram_id, person)
            for person in people.values():
                t = translator(person.language)
                title = duty_title(t, duty.code, duty.title)
                _plan(
                    settings, person, kind=ReminderKind.DUTY, subject=f"duty:{duty.id}:{org_id}",
                    key=f"duty:{duty.id}:{org_id}:{occ.key}/overdue{week}w", due=at,
                    text=t.plural(
                        "❗ {title} for {org} ({occurrence}) was due on {deadline}, {n} week "
                        "ago, and is not marked done. Mark it done in /duties once it is "
                        "handed in.",
                        "❗ {title} for {org} ({occurrence}) was due on {deadline}, {n} weeks "
                        "ago, and is not marked done. Mark it done in /duties once it is "
                        "handed in.",
                        week, title=title, org=names[org_id],
                        occurrence=occ.key, deadline=deadline_text(occ),
                    ) + approximate_note(t, occ),
                )


def deadline_text(occ: duty_rules.DutyOccurrence) -> str:
    """The deadline as shown everywhere: "≈" before an approximate one."""
    return ("≈" if occ.approximate else "") + occ.deadline.isoformat()


def approximate_note(t: Any, occ: duty_rules.DutyOccurrence) -> str:
    return "\n" + t(APPROXIMATE_NOTE) if occ.approximate else ""


def _duty_text(duty: Duty, language: str, org_name: str, occ: duty_rules.DutyOccurrence) -> str:
    t = translator(language)
    return t(
        "📋 {title} for {org} ({occurrence}) is due on {deadline} and not marked done. "
        "Mark it done in /duties when it is handed in.",
        title=duty_title(t, duty.code, duty.title), org=org_name, occurrence=occ.key,
        deadline=deadline_text(occ),
    ) + approximate_note(t, occ)
