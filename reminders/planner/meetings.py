"""Meeting reminders: expected members before the start; leaders when check-in is not open
at the start or the minutes are still missing a day after the end."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.i18n import N_, translator
from handlers.labels import MEETING_KIND_LABELS
from reminders import rules
from reminders.planner.kit import PlanSettings, Recipient, _local, _plan, _slice, leaders
from rules.vocabulary import AttendanceStatus, MeetingState, ReminderKind
from storage import outbox
from storage.models import Attendance, Meeting, Membership, NotificationPreference, Person

# Everyone on the list who has not been excused: guests and pending leave requests included.
REMINDED_STATUSES = (
    AttendanceStatus.EXPECTED, AttendanceStatus.ATTENDING, AttendanceStatus.GUEST,
    AttendanceStatus.LEAVE_REQUESTED,
)


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
