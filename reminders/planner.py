"""The planner: turns the state of the database into outbox rows, each under a unique key.

A pass runs at start and then every PLAN_EVERY and plans by time slice: only what falls due
between the previous pass's `planned_until` (a watermark kept in the database) and now plus
PLAN_AHEAD, so rows are written a few intervals before they are sent, a pass costs what falls
due in its slice, and after a restart or an outage the next pass catches up exactly on what
was missed (what is still meaningful; meeting reminders expire at the start). It is
idempotent: a reminder already recorded is not recorded again (its key exists), so passes may
overlap, repeat after a restart or run on two instances. The rules of when come from
reminders/rules.py, reminders/duties.py and rules/duties.py; whom comes from the database;
whether a person wants it from their preferences. Reminders that only matter while something
is still undone (check-in not opened, minutes missing, a duty not done, a renewal not
recorded) are cancelled by storage when it is done (storage/meetings.py, storage/duties.py).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.i18n import N_, html_join, translator
from handlers.labels import APPROXIMATE_NOTE, LIST_SEPARATOR, MEETING_KIND_LABELS, duty_title
from reminders import rules
from reminders.duties import duty_dues
from rules import duties as duty_rules
from rules import terms
from rules.meetings import DEFAULT_REQUIREMENTS, Period, Requirement
from rules.training import DEFAULT_POLICY, TrainingPolicy
from rules.vocabulary import (
    AttendanceStatus,
    MeetingKind,
    MeetingState,
    MemberRole,
    MembershipState,
    PartyOrgKind,
    ReminderKind,
)
from rules.workdays import WorkCalendar
from storage import outbox
from storage.duties import ensure_default_duties, template_of
from storage.models import (
    Attendance,
    Duty,
    DutyCompletion,
    Meeting,
    Membership,
    NotificationPreference,
    OutboxMessage,
    PartyOrganization,
    Person,
    PlannerWatermark,
)
from storage.outbox import Planned

logger = logging.getLogger(__name__)

PLAN_EVERY = timedelta(minutes=5)
PLAN_AHEAD = 3 * PLAN_EVERY  # a pass plans what falls due up to this far ahead
WATERMARK = "reminders"  # the planner_watermarks row of this planner
LEADING_ROLES = (MemberRole.SECRETARY, MemberRole.DEPUTY_SECRETARY)
# Everyone on the list who has not been excused: guests and pending leave requests included.
REMINDED_STATUSES = (
    AttendanceStatus.EXPECTED, AttendanceStatus.ATTENDING, AttendanceStatus.GUEST,
    AttendanceStatus.LEAVE_REQUESTED,
)
URGENT_KINDS = frozenset({ReminderKind.CHECKIN})  # goes through quiet hours: the meeting is now


@dataclass(frozen=True)
class Recipient:
    """Someone to tell, in their language, with their preferences."""

    telegram_id: int
    language: str
    muted: frozenset[str] = frozenset()
    digest: bool = False


@dataclass
class PlanSettings:
    """What a deployment may change about reminders."""

    tz: tzinfo
    admins: frozenset[int] = frozenset()
    meeting_leads: Sequence[timedelta] = rules.DEFAULT_MEETING_LEADS
    quiet: rules.QuietHours = rules.DEFAULT_QUIET_HOURS
    drift_months: Sequence[int] = rules.DEFAULT_DRIFT_MONTHS
    requirements: Mapping[MeetingKind, Requirement] = field(
        default_factory=lambda: dict(DEFAULT_REQUIREMENTS)
    )
    training_policy: TrainingPolicy = DEFAULT_POLICY
    # Loaded holiday schedules; plan_all reads them from the database at each pass.
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    inquorate_counts: bool = False  # committee meetings without quorum count (a setting)
    planned: list[Planned] = field(default_factory=list)
    # The pass's slice (after, until] of due times, set by plan_all.
    after: datetime | None = None
    until: datetime | None = None


def _slice(
    now: datetime, settings: PlanSettings, *, fresh: timedelta = rules.DEFAULT_LATE_GRACE
) -> tuple[datetime, datetime]:
    """The due times this pass plans; the first pass ever (no watermark) looks back `fresh`."""
    until = settings.until or now + PLAN_AHEAD
    after = settings.after if settings.after is not None else now - fresh
    return min(after, until), until


def _plan(
    settings: PlanSettings,
    recipient: Recipient,
    *,
    kind: str,
    key: str,
    due: datetime,
    text: str,
    subject: str | None = None,
    latest: datetime | None = None,
    expires: datetime | None = None,
) -> None:
    """Add one message unless muted; non-urgent ones wait for the end of quiet hours, and for
    the daily digest if the person chose one, unless that comes after `latest` (too late)."""
    if kind in recipient.muted:
        return
    urgent = kind in URGENT_KINDS
    at = _deferred(due, settings.tz, urgent=urgent, quiet=settings.quiet)
    if latest is not None and at >= latest:
        at = due  # an early meeting: better during quiet hours than after it began
    bundle = recipient.digest and not urgent
    if bundle:
        digest_at = max(at, rules.next_digest(at - timedelta(seconds=1), settings.tz,
                                              cal=settings.calendar))
        if latest is not None and digest_at >= latest:
            bundle = False
        else:
            at = digest_at
    settings.planned.append(
        Planned(
            key=f"{key}:{recipient.telegram_id}"[:200], kind=kind, chat_id=recipient.telegram_id,
            text=text, due_at=at, subject=subject, urgent=urgent, bundle=bundle,
            expires_at=expires,
        )
    )


# Many recipients share one due time (a branch's meeting): compute its deferral once.
_deferred = functools.lru_cache(maxsize=4096)(rules.defer_for_quiet_hours)


async def _recipients(session: AsyncSession, person_filter: Iterable[Any]) -> list[
    tuple[Recipient, int]
]:
    rows = await session.execute(
        select(
            Person.telegram_id, Person.language, Person.id,
            NotificationPreference.muted_kinds, NotificationPreference.digest,
        )
        .outerjoin(NotificationPreference, NotificationPreference.person_id == Person.id)
        .where(*person_filter)
    )
    return [
        (Recipient(tg, language or "zh", frozenset(muted or ()), bool(digest)), person_id)
        for tg, language, person_id, muted, digest in rows.all()
    ]


async def leaders(session: AsyncSession, org_ids: Iterable[int]) -> dict[int, list[Recipient]]:
    """Secretary and deputies of each organization."""
    ids = set(org_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(
            Membership.party_organization_id, Person.telegram_id, Person.language,
            NotificationPreference.muted_kinds, NotificationPreference.digest,
        )
        .join(Person, Person.id == Membership.person_id)
        .outerjoin(NotificationPreference, NotificationPreference.person_id == Person.id)
        .where(
            Membership.party_organization_id.in_(ids),
            Membership.state == MembershipState.ACTIVE,
            Membership.role.in_(LEADING_ROLES),
        )
    )
    result: dict[int, list[Recipient]] = {}
    for org_id, tg, language, muted, digest in rows.all():
        result.setdefault(org_id, []).append(
            Recipient(tg, language or "zh", frozenset(muted or ()), bool(digest))
        )
    return result


async def _parents(session: AsyncSession) -> dict[int, int | None]:
    rows = await session.execute(select(PartyOrganization.id, PartyOrganization.parent_id))
    return {org_id: parent for org_id, parent in rows.all()}


def _ancestors(org_id: int, parents: dict[int, int | None]) -> list[int]:
    chain: list[int] = []
    current = parents.get(org_id)
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


async def _admins(session: AsyncSession, settings: PlanSettings) -> list[Recipient]:
    """The configured admins (who may have no membership), in their language."""
    if not settings.admins:
        return []
    known = {
        r.telegram_id: r
        for r, _ in await _recipients(session, [Person.telegram_id.in_(settings.admins)])
    }
    return [known.get(tg, Recipient(tg, "zh")) for tg in sorted(settings.admins)]


def _local(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------------------------------------
# Meetings
# ---------------------------------------------------------------------------------------------


async def plan_meetings(session: AsyncSession, now: datetime, settings: PlanSettings) -> None:
    """Expected members before the start; leaders when check-in or minutes are late.

    Only meetings with something due in the slice are read (SQL on start and end times), and
    the slice also looks back a grace so a meeting scheduled at short notice is not missed.
    """
    after, until = _slice(now, settings)
    after = min(after, now - rules.DEFAULT_LATE_GRACE)
    live = (MeetingState.SCHEDULED, MeetingState.CHECKIN_OPEN)
    checkin_grace, minutes_delay = rules.DEFAULT_CHECKIN_GRACE, rules.DEFAULT_MINUTES_DELAY
    meetings = (
        await session.scalars(
            select(Meeting).where(
                Meeting.state.in_(live),
                or_(
                    *(and_(Meeting.starts_at > max(after + lead, now),
                           Meeting.starts_at <= until + lead)
                      for lead in settings.meeting_leads),
                    and_(Meeting.state == MeetingState.SCHEDULED,
                         Meeting.starts_at > after - checkin_grace,
                         Meeting.starts_at <= until - checkin_grace),
                    # Not closed a day after the end: the minutes reminder.
                    and_(Meeting.ends_at > after - minutes_delay,
                         Meeting.ends_at <= until - minutes_delay),
                ),
            )
        )
    ).all()
    if not meetings:
        return
    dues = {
        m.id: rules.meeting_reminders_between(m.starts_at, after, until, now,
                                              leads=settings.meeting_leads)
        for m in meetings
    }
    expected: dict[int, list[Recipient]] = {}
    reminded = [m.id for m in meetings if dues[m.id]]
    if reminded:
        rows = await session.execute(
            select(
                Attendance.meeting_id, Person.telegram_id, Person.language,
                NotificationPreference.muted_kinds, NotificationPreference.digest,
            )
            .join(Membership, Membership.id == Attendance.membership_id)
            .join(Person, Person.id == Membership.person_id)
            .outerjoin(NotificationPreference, NotificationPreference.person_id == Person.id)
            .where(
                Attendance.meeting_id.in_(reminded),
                Attendance.status.in_(REMINDED_STATUSES),
            )
        )
        for meeting_id, tg, language, muted, digest in rows.all():
            expected.setdefault(meeting_id, []).append(
                Recipient(tg, language or "zh", frozenset(muted or ()), bool(digest))
            )
    by_org = await leaders(session, {m.party_organization_id for m in meetings})
    # Recorded on an earlier pass (slices overlap by the look-back): not built again.
    recorded = await outbox.recorded_keys(session, [f"meeting:{m.id}" for m in meetings])
    for meeting in meetings:
        subject = f"meeting:{meeting.id}"
        start_key = meeting.starts_at.strftime("%Y%m%d%H%M")
        kind_label = MEETING_KIND_LABELS[meeting.kind]
        where = meeting.place or meeting.online_url or ""
        texts: dict[str, str] = {}  # one translation per language, not per person
        for due in dues[meeting.id]:
            key = f"meeting:{meeting.id}:{start_key}:{due.occurrence}"
            for person in expected.get(meeting.id, []):
                if f"{key}:{person.telegram_id}" in recorded:
                    continue
                if person.language not in texts:
                    t = translator(person.language)
                    texts[person.language] = t(
                        "⏰ Reminder: {kind} “{topic}” starts at {when}. {where}\n"
                        "Check in with /checkin when you arrive.",
                        kind=t(kind_label), topic=meeting.topic,
                        when=_local(meeting.starts_at, settings.tz), where=where,
                    )
                _plan(
                    settings, person, kind=ReminderKind.MEETING, subject=subject, key=key,
                    due=due.at, latest=meeting.starts_at, expires=meeting.starts_at,
                    text=texts[person.language],
                )
        # Leaders' follow-ups; storage cancels them once check-in opens or the meeting closes.
        follow_ups: list[tuple[str, rules.Due, str, datetime | None]] = []
        checkin_due = rules.checkin_check(meeting.starts_at, grace=checkin_grace)
        if meeting.state is MeetingState.SCHEDULED and after < checkin_due.at <= until:
            # Pointless once check-in has closed (members can no longer check in).
            closes = meeting.starts_at + timedelta(minutes=meeting.checkin_minutes_after)
            follow_ups.append((ReminderKind.CHECKIN, checkin_due, CHECKIN_LATE, closes))
        minutes_due = rules.minutes_check(meeting.ends_at, delay=minutes_delay)
        if after < minutes_due.at <= until:
            follow_ups.append((ReminderKind.MINUTES, minutes_due, MINUTES_MISSING, None))
        for kind, due, message, expires in follow_ups:
            for person in by_org.get(meeting.party_organization_id, []):
                if f"{kind}:{meeting.id}:{start_key}:{person.telegram_id}" in recorded:
                    continue
                t = translator(person.language)
                _plan(
                    settings, person, kind=kind, subject=subject,
                    key=f"{kind}:{meeting.id}:{start_key}", due=due.at, expires=expires,
                    text=t(
                        message, kind=t(kind_label), topic=meeting.topic,
                        when=_local(meeting.starts_at, settings.tz),
                    ),
                )


CHECKIN_LATE = N_(
    "⚠️ {kind} “{topic}” started at {when} but check-in is not open. "
    "Open it with /checkin so members can check in."
)
MINUTES_MISSING = N_(
    "📝 {kind} “{topic}” of {when} has no minutes yet. Close it with "
    "/meetings and record the minutes so the ledger is complete."
)


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Term renewal (换届)
# ---------------------------------------------------------------------------------------------


async def plan_renewals(session: AsyncSession, now: datetime, settings: PlanSettings) -> None:
    """Leaders and the levels above, 6, 3, 1 months before a term ends, then weekly (at
    08:00 local: only the pass whose slice holds a day's 08:00 looks)."""
    after, until = _slice(now, settings, fresh=CHECK_WINDOW)
    if not rules.day_checks(after, until, settings.tz):
        return
    now = until
    orgs = (
        await session.scalars(
            select(PartyOrganization).where(PartyOrganization.term_started_on.is_not(None))
        )
    ).all()
    if not orgs:
        return
    parents = await _parents(session)
    ends = {
        org.id: terms.term_ends_on(org.term_started_on, org.kind, org.term_years)
        for org in orgs if org.term_started_on is not None
    }
    # Only the last reminder that fell due in the last week: an outage does not send a backlog.
    since = now - timedelta(days=7)
    due_orgs = {
        org_id: dues[-1]
        for org_id, ends_on in ends.items()
        if (dues := rules.renewal_dues(ends_on, now, settings.tz, since=since))
    }
    if not due_orgs:
        return
    names = {org.id: org.name for org in orgs}
    above = {org_id: _ancestors(org_id, parents) for org_id in due_orgs}
    heads = await leaders(session, set(due_orgs) | {a for chain in above.values() for a in chain})
    admins = await _admins(session, settings)
    for org_id, due in due_orgs.items():
        people: dict[int, Recipient] = {}
        for chain_org in [org_id, *above[org_id]]:
            for person in heads.get(chain_org, []):
                people.setdefault(person.telegram_id, person)
        for person in admins:
            people.setdefault(person.telegram_id, person)
        overdue = due.occurrence.startswith("overdue")
        for person in people.values():
            t = translator(person.language)
            text = (
                t("🗳 The committee term of {org} ended on {date}: the renewal is overdue. "
                  "An admin records it with /renewal once the election is approved.",
                  org=names[org_id], date=ends[org_id].isoformat())
                if overdue else
                t("🗳 The committee term of {org} ends on {date}. Prepare the renewal "
                  "election and its approval by the upper level in time.",
                  org=names[org_id], date=ends[org_id].isoformat())
            )
            _plan(
                settings, person, kind=ReminderKind.RENEWAL, subject=f"renewal:{org_id}",
                key=f"renewal:{org_id}:{due.occurrence}", due=due.at, text=text,
            )


# ---------------------------------------------------------------------------------------------
# Reporting duties
# ---------------------------------------------------------------------------------------------


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
            members = await _recipients(session, [
                Person.id.in_(
                    select(Membership.person_id).where(
                        Membership.state == MembershipState.ACTIVE,
                        Membership.party_organization_id.in_(open_orgs),
                    )
                )
            ])
            for person, _person_id in members:
                t = translator(person.language)
                _plan(
                    settings, person, kind=ReminderKind.DUTY, subject=f"duty:{duty.id}",
                    key=f"duty:{duty.id}:member:{due.occurrence}{suffix}", due=due.at,
                    text=t("📋 Reminder: {title} ({occurrence}), due {deadline}.",
                           title=duty_title(t, duty.code, duty.title), occurrence=occurrence,
                           deadline=deadline_text(occ)) + approximate_note(t, occ),
                )


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


# ---------------------------------------------------------------------------------------------
# Compliance and training: checks on fixed days
# ---------------------------------------------------------------------------------------------

CHECK_WINDOW = timedelta(days=1)  # a check day missed by a longer outage is not caught up
BRANCH_KINDS = (PartyOrgKind.BRANCH, PartyOrgKind.JOINT_BRANCH)


async def _planned_already(session: AsyncSession, prefix: str) -> set[str]:
    """Keys recorded under a prefix (a check already planned on an earlier pass)."""
    rows = await session.scalars(
        select(OutboxMessage.key).where(OutboxMessage.key.startswith(prefix, autoescape=True))
    )
    return set(rows.all())


async def plan_compliance(session: AsyncSession, now: datetime, settings: PlanSettings) -> None:
    """Leaders, on the check day of a month, quarter or year, when a required kind is not held."""
    from storage import ledger

    after, until = _slice(now, settings, fresh=CHECK_WINDOW)
    after = max(after, now - CHECK_WINDOW)
    days = rules.day_checks(after, until, settings.tz, at=rules.DEFAULT_COMPLIANCE_SCHEDULE.at)
    checks = [
        (day, period, rules.compliance_check(day, period, settings.tz))
        for day in days for period in (Period.MONTH, Period.QUARTER, Period.YEAR)
    ]
    for today, period, due in checks:
        if not after < due.at <= until:
            continue
        kinds = {k for k, r in settings.requirements.items() if r.period is period and r.minimum}
        if not kinds:
            continue
        prefix = f"compliance:{due.occurrence}:"
        done = {key.split(":")[2] for key in await _planned_already(session, prefix)}
        branches = (
            await session.execute(
                select(PartyOrganization.id, PartyOrganization.name).where(
                    PartyOrganization.kind.in_(BRANCH_KINDS),
                    PartyOrganization.id.not_in([int(d) for d in done if d.isdigit()]),
                )
            )
        ).all()
        first, last = rules_period_bounds(today, period)
        report_period = ledger.ReportPeriod("check", period, first, last)
        heads = await leaders(session, {org_id for org_id, _name in branches})
        for org_id, name in branches:
            if not heads.get(org_id):
                continue
            report = await ledger.compliance_report(
                session, org_id, report_period, tz=settings.tz,
                requirements=settings.requirements, today=today,
                inquorate_counts=settings.inquorate_counts,
            )
            missing = sorted(
                {k.kind for k in report.kinds
                 if k.kind in kinds and k.status in ("due", "missing")},
                key=list(MeetingKind).index,
            )
            if not missing:
                continue
            for person in heads[org_id]:
                t = translator(person.language)
                labels = html_join(t(LIST_SEPARATOR),
                                   (t(MEETING_KIND_LABELS[kind]) for kind in missing))
                _plan(
                    settings, person, kind=ReminderKind.COMPLIANCE, subject=f"compliance:{org_id}",
                    key=f"{prefix}{org_id}", due=due.at,
                    text=t(
                        "📅 {org}, {period}: not held yet: {kinds}. The period ends on {last}; "
                        "schedule them with /schedule.",
                        org=name, period=due.occurrence, kinds=labels, last=last.isoformat(),
                    ),
                )


def rules_period_bounds(day: date, period: Period) -> tuple[date, date]:
    from rules.meetings import period_of

    return period_of(day, period)


async def plan_training(session: AsyncSession, now: datetime, settings: PlanSettings) -> None:
    """At quarter starts and monthly in the last quarter: whoever is behind, and a summary to
    their leaders."""
    from reminders.training_note import study_note
    from rules.training import days_and_hours
    from storage import training

    after, until = _slice(now, settings, fresh=CHECK_WINDOW)
    after = max(after, now - CHECK_WINDOW)
    years = sorted({after.astimezone(settings.tz).year, until.astimezone(settings.tz).year})
    checks = [
        c for year in years for c in rules.training_checks(year, settings.tz,
                                                            cal=settings.calendar)
        if after < c.at <= until
    ]
    if not checks:
        return
    check = checks[0]
    prefix = f"training:{check.occurrence}:"
    if await _planned_already(session, prefix):
        return  # planned on an earlier pass
    on = date(check.training_year, 12, 31) if check.whole_year else check.on
    policy = settings.training_policy
    behind = await training.behind(session, None, on, tz=settings.tz, policy=policy)
    if not behind:
        return
    people = {
        person_id: recipient
        for recipient, person_id in await _recipients(
            session, [Person.id.in_({row.person_id for row in behind})]
        )
    }
    per_day = int(settings.training_policy.hours_per_day)

    def shown(t: Any, minutes: int) -> str:
        split = days_and_hours(minutes, per_day)
        return t("{days} d {hours} h", days=split.days, hours=split.hours)

    by_org: dict[int, list[Any]] = {}
    for row in behind:
        by_org.setdefault(row.org_id, []).append(row)
        person = people.get(row.person_id)
        if person is None:
            continue
        t = translator(person.language)
        _plan(
            settings, person, kind=ReminderKind.TRAINING, subject=f"training:{check.training_year}",
            key=f"{prefix}{row.person_id}", due=check.at,
            text=t(
                "📚 Training {year}: {counted} counted of {required} required ({target} expected "
                "by now). Log what you attended with /training.",
                year=check.training_year, counted=shown(t, row.counted),
                required=shown(t, row.required), target=shown(t, row.target),
            ) + study_note(t, row, shown),
        )
    heads = await leaders(session, by_org)
    for org_id, rows in by_org.items():
        for person in heads.get(org_id, []):
            t = translator(person.language)
            names = t(LIST_SEPARATOR).join(r.name or "?" for r in rows[:20])
            _plan(
                settings, person, kind=ReminderKind.TRAINING,
                subject=f"training:{check.training_year}", key=f"{prefix}summary:{org_id}",
                due=check.at,
                text=t.plural(
                    "📚 Training {year}, {org}: {n} person is behind: {names}. See /training.",
                    "📚 Training {year}, {org}: {n} people are behind: {names}. See /training.",
                    len(rows), year=check.training_year, org=rows[0].org_name, names=names,
                ),
            )


# ---------------------------------------------------------------------------------------------
# One pass
# ---------------------------------------------------------------------------------------------

async def plan_calendar_check(session: AsyncSession, now: datetime, settings: PlanSettings
                              ) -> None:
    from reminders.calendar_check import plan_calendar_warning

    await plan_calendar_warning(session, now, settings)


from reminders.drift import plan_drift  # noqa: E402  (it uses this module's pieces)

PLANNERS = (plan_meetings, plan_compliance, plan_training, plan_drift, plan_renewals, plan_duties,
            plan_calendar_check)


async def plan_all(session: AsyncSession, now: datetime, settings: PlanSettings) -> int:
    """Run every planner and record what is due; returns how many rows are new."""
    from storage.holiday_calendar import work_calendar

    settings.planned = []
    settings.calendar = await work_calendar(session)
    await ensure_default_duties(session, now)
    planned_until = await session.scalar(
        select(PlannerWatermark.planned_until).where(PlannerWatermark.name == WATERMARK)
    )
    until = now + PLAN_AHEAD
    # Later passes start where the last one stopped; the first ever looks back (see _slice).
    after = _aware(planned_until) if planned_until is not None else None
    settings.after, settings.until = after and min(after, until), until
    if after is not None and after < now - PLAN_AHEAD - PLAN_EVERY:
        logger.warning("planner catching up on reminders due since %s", after.isoformat())
    try:
        for planner in PLANNERS:
            await planner(session, now, settings)
    finally:
        settings.after = settings.until = None
    # One key once, even if two planners produced it.
    unique = {p.key: p for p in settings.planned}
    added = await outbox.enqueue(session, list(unique.values()))
    await _advance(session, until, now)
    if added:
        logger.info("planned %d reminders", added)
    return added


async def _advance(session: AsyncSession, until: datetime, now: datetime) -> None:
    """Move the watermark to `until`, never back (another instance may have gone further)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(PlannerWatermark).values(name=WATERMARK, planned_until=until,
                                                updated_at=now)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"planned_until": statement.excluded.planned_until,
                  "updated_at": statement.excluded.updated_at},
            where=PlannerWatermark.planned_until < statement.excluded.planned_until,
        )
    )
