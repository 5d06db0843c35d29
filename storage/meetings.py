"""Meetings (三会一课): scheduling, answers and leave, check-in, closing, ledger queries."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from rules import meetings as rules
from rules.vocabulary import (
    AttendanceStatus,
    CheckinMethod,
    MeetingKind,
    MeetingState,
    MembershipState,
)
from storage import audit, lesson_attendances, meeting_counts, outbox
from storage.models import Attendance, Meeting, MeetingFile, Membership, PartyGroup, Person, utcnow

# Statuses that count as "was there" and must not be overwritten by a later check-in.
ARRIVED = (AttendanceStatus.PRESENT, AttendanceStatus.GUEST_PRESENT)
LIVE_STATES = (MeetingState.SCHEDULED, MeetingState.CHECKIN_OPEN)


class MeetingError(Exception):
    """A meeting change that cannot happen; `code` is a message id key for the handlers."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class MeetingPlan:
    """What the secretary entered when scheduling."""

    org_id: int
    kind: MeetingKind
    starts_at: datetime
    ends_at: datetime
    topic: str
    place: str | None = None
    online_url: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    host: str | None = None
    recorder: str | None = None
    lecturer: str | None = None
    party_group_id: int | None = None
    checkin_minutes_before: int = 30
    checkin_minutes_after: int = 30


async def _member_facts(
    session: AsyncSession, org_id: int
) -> list[rules.MemberFacts]:
    rows = await session.execute(
        select(Membership.id, Membership.status, Membership.role, Membership.party_group_id).where(
            Membership.party_organization_id == org_id,
            Membership.state == MembershipState.ACTIVE,
        )
    )
    return [
        rules.MemberFacts(
            membership_id=mid, status=status, role=role, party_group_id=group_id
        )
        for mid, status, role, group_id in rows.all()
    ]


member_facts = _member_facts  # storage/expected_lists.py keeps lists up to date with it


async def clashes(
    session: AsyncSession, org_id: int, starts_at: datetime, ends_at: datetime,
    *, ignore_id: int | None = None,
) -> list[Meeting]:
    """Live meetings of the same organization overlapping [starts_at, ends_at)."""
    query = select(Meeting).where(
        Meeting.party_organization_id == org_id,
        Meeting.state.in_(LIVE_STATES),
        Meeting.starts_at < ends_at,
        Meeting.ends_at > starts_at,
    )
    if ignore_id is not None:
        query = query.where(Meeting.id != ignore_id)
    return list((await session.scalars(query)).all())


async def schedule(
    session: AsyncSession,
    plan: MeetingPlan,
    *,
    created_by: int,
    now: datetime,
    series_id: str | None = None,
) -> Meeting:
    """Create a meeting and its expected list (应到) from the kind's rule."""
    if plan.starts_at <= now:
        raise MeetingError("in_past")
    if plan.ends_at <= plan.starts_at:
        raise MeetingError("end_before_start")
    if plan.kind is MeetingKind.GROUP:
        group = await session.get(PartyGroup, plan.party_group_id or 0)
        if group is None or group.party_organization_id != plan.org_id:
            raise MeetingError("group_needed")
    if await clashes(session, plan.org_id, plan.starts_at, plan.ends_at):
        raise MeetingError("clash", when=plan.starts_at)
    expectation = rules.expected_attendees(
        plan.kind,
        await _member_facts(session, plan.org_id),
        party_group_id=plan.party_group_id,
    )
    meeting = Meeting(
        party_organization_id=plan.org_id,
        party_group_id=plan.party_group_id if plan.kind is MeetingKind.GROUP else None,
        series_id=series_id,
        kind=plan.kind,
        state=MeetingState.SCHEDULED,
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        place=plan.place,
        online_url=plan.online_url,
        latitude=plan.latitude,
        longitude=plan.longitude,
        topic=plan.topic,
        host=plan.host,
        recorder=plan.recorder,
        lecturer=plan.lecturer,
        checkin_minutes_before=plan.checkin_minutes_before,
        checkin_minutes_after=plan.checkin_minutes_after,
        code_secret=rules.new_code_secret().hex(),
        created_by=created_by,
    )
    session.add(meeting)
    await session.flush()
    session.add_all(
        [Attendance(meeting_id=meeting.id, membership_id=m, status=AttendanceStatus.EXPECTED)
         for m in sorted(expectation.expected)]
        + [Attendance(meeting_id=meeting.id, membership_id=m, status=AttendanceStatus.GUEST)
           for m in sorted(expectation.guests)]
    )
    audit.record(
        session, created_by, "meeting.schedule", "meeting", meeting.id,
        kind=plan.kind.value, starts_at=plan.starts_at.isoformat(), series_id=series_id,
    )
    return meeting


async def schedule_series(
    session: AsyncSession,
    plan: MeetingPlan,
    starts: Sequence[datetime],
    *,
    created_by: int,
    now: datetime,
) -> list[Meeting]:
    """The same meeting at each start time (e.g. the first Monday of each month); all or none."""
    series_id = secrets.token_hex(8)
    duration = plan.ends_at - plan.starts_at
    created = []
    for start in starts:
        one = MeetingPlan(**{**plan.__dict__, "starts_at": start, "ends_at": start + duration})
        created.append(
            await schedule(session, one, created_by=created_by, now=now, series_id=series_id)
        )
    return created


async def get_meeting(session: AsyncSession, meeting_id: int) -> Meeting | None:
    return await session.scalar(
        select(Meeting)
        .options(selectinload(Meeting.party_organization), selectinload(Meeting.party_group))
        .where(Meeting.id == meeting_id)
    )


async def attendance_of(
    session: AsyncSession, meeting_id: int, membership_id: int
) -> Attendance | None:
    return await session.scalar(
        select(Attendance).where(
            Attendance.meeting_id == meeting_id, Attendance.membership_id == membership_id
        )
    )


async def roster(session: AsyncSession, meeting_id: int) -> list[tuple[Attendance, Person]]:
    """Everyone on a meeting's list with their person, by name."""
    rows = await session.execute(
        select(Attendance, Person)
        .join(Membership, Membership.id == Attendance.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(Attendance.meeting_id == meeting_id)
        .order_by(Person.real_name, Attendance.id)
    )
    return [(a, p) for a, p in rows.all()]


async def upcoming_for(
    session: AsyncSession, membership_id: int, now: datetime, limit: int = 10
) -> list[tuple[Meeting, Attendance]]:
    """A member's live meetings that have not ended, soonest first."""
    rows = await session.execute(
        select(Meeting, Attendance)
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(
            Attendance.membership_id == membership_id,
            Meeting.state.in_(LIVE_STATES),
            Meeting.ends_at > now,
        )
        .order_by(Meeting.starts_at)
        .limit(limit)
    )
    return [(m, a) for m, a in rows.all()]


async def meetings_between(
    session: AsyncSession, org_id: int, start: datetime, end: datetime,
    *, states: Sequence[MeetingState] | None = None,
) -> list[Meeting]:
    query = (
        select(Meeting)
        .options(selectinload(Meeting.party_group))
        .where(
            Meeting.party_organization_id == org_id,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
        .order_by(Meeting.starts_at)
    )
    if states is not None:
        query = query.where(Meeting.state.in_(states))
    return list((await session.scalars(query)).all())


async def answer(
    session: AsyncSession, meeting: Meeting, membership_id: int, *, attending: bool,
    reason: str | None = None,
) -> Attendance:
    """A member says they will come, or asks for leave with a reason."""
    if meeting.state not in LIVE_STATES:
        raise MeetingError("not_live")
    attendance = await attendance_of(session, meeting.id, membership_id)
    if attendance is None:
        raise MeetingError("not_expected")
    if attendance.status in (AttendanceStatus.GUEST, AttendanceStatus.GUEST_PRESENT) and (
        not attending
    ):
        raise MeetingError("not_expected")  # guests are not counted, so need no leave
    if attendance.status in ARRIVED:
        raise MeetingError("already_present")
    if attending:
        if attendance.status is not AttendanceStatus.GUEST:
            attendance.status = AttendanceStatus.ATTENDING
            attendance.leave_reason = None
    else:
        attendance.status = AttendanceStatus.LEAVE_REQUESTED
        attendance.leave_reason = reason
        attendance.leave_decided_by = None
    return attendance


async def decide_leave(
    session: AsyncSession, attendance: Attendance, *, approve: bool, by: int
) -> bool:
    """Approve (请假) or refuse a leave request once; False if it was no longer pending."""
    result = await session.execute(
        update(Attendance)
        .where(
            Attendance.id == attendance.id,
            Attendance.status == AttendanceStatus.LEAVE_REQUESTED,
        )
        .values(
            status=AttendanceStatus.ON_LEAVE if approve else AttendanceStatus.EXPECTED,
            leave_decided_by=by,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await session.refresh(attendance)
    audit.record(
        session, by, "attendance.leave_approve" if approve else "attendance.leave_refuse",
        "attendance", attendance.id, reason=attendance.leave_reason,
    )
    return True


def _subject(meeting: Meeting) -> str:
    """What outbox rows about this meeting are filed under (reminders/planner.py)."""
    return f"meeting:{meeting.id}"


def window_of(meeting: Meeting) -> rules.CheckinWindow:
    return rules.CheckinWindow(
        before=timedelta(minutes=meeting.checkin_minutes_before),
        after=timedelta(minutes=meeting.checkin_minutes_after),
    )


async def open_checkin(session: AsyncSession, meeting: Meeting, *, by: int, now: datetime) -> None:
    if meeting.state is MeetingState.CHECKIN_OPEN:
        return
    if meeting.state is not MeetingState.SCHEDULED:
        raise MeetingError("not_live")
    meeting.state = MeetingState.CHECKIN_OPEN
    meeting.checkin_opened_at = now
    audit.record(session, by, "meeting.open_checkin", "meeting", meeting.id)
    await outbox.cancel(session, subject=_subject(meeting), reason="check-in opened",
                        kinds=("checkin",))


@dataclass(frozen=True)
class CheckinResult:
    outcome: str  # present | already | guest | refused
    reason: str | None = None


def assess_checkin(
    meeting: Meeting,
    attendance: Attendance,
    *,
    method: CheckinMethod,
    now: datetime,
    code: str | None = None,
    location: tuple[float, float] | None = None,
    radius_m: float = 300.0,
) -> CheckinResult | None:
    """Why a check-in is refused or needs nothing (already there); None when it may be stored."""
    if meeting.state is MeetingState.CANCELLED:
        return CheckinResult("refused", "cancelled")
    if meeting.state is MeetingState.CLOSED:
        return CheckinResult("refused", "closed")
    if attendance.status in ARRIVED:
        return CheckinResult("already")
    if method is CheckinMethod.MANUAL:
        return None  # 代签 by a leader: no window, code or place
    state = rules.checkin_state(now, meeting.starts_at, window_of(meeting))
    if state != "open":
        return CheckinResult("refused", state)
    if method is CheckinMethod.CODE and not rules.code_is_valid(
        bytes.fromhex(meeting.code_secret), code or "", now
    ):
        return CheckinResult("refused", "bad_code")
    if method is CheckinMethod.LOCATION:
        if meeting.latitude is None or meeting.longitude is None or location is None:
            return CheckinResult("refused", "no_place")
        if not rules.within_radius(
            meeting.latitude, meeting.longitude, location[0], location[1], radius_m
        ):
            return CheckinResult("refused", "too_far")
    return None


async def check_in(
    session: AsyncSession,
    meeting: Meeting,
    membership_id: int,
    *,
    method: CheckinMethod,
    now: datetime,
    by: int,
    code: str | None = None,
    location: tuple[float, float] | None = None,
    radius_m: float = 300.0,
    line: Attendance | None = None,
) -> CheckinResult:
    """Record presence once; checks window, code or place. Twice is harmless.

    `line` is the member's attendance line when the caller has just loaded it (saves a query
    on the hot path of a room checking in at once).
    """
    if meeting.state is MeetingState.CANCELLED:
        return CheckinResult("refused", "cancelled")
    if meeting.state is MeetingState.CLOSED:
        return CheckinResult("refused", "closed")
    attendance = (
        line
        if line is not None and line.meeting_id == meeting.id
        and line.membership_id == membership_id
        else await attendance_of(session, meeting.id, membership_id)
    )
    if attendance is None:
        return CheckinResult("refused", "not_expected")
    refusal = assess_checkin(
        meeting, attendance, method=method, now=now, code=code, location=location,
        radius_m=radius_m,
    )
    if refusal is not None:
        return refusal
    guest = attendance.status is AttendanceStatus.GUEST
    new_status = AttendanceStatus.GUEST_PRESENT if guest else AttendanceStatus.PRESENT
    # Conditional update: two check-ins racing record one presence.
    result = await session.execute(
        update(Attendance)
        .where(Attendance.id == attendance.id, Attendance.status.not_in(ARRIVED))
        .values(status=new_status, checked_in_at=now, method=method, marked_by=by)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return CheckinResult("already")
    if method is CheckinMethod.MANUAL:
        audit.record(session, by, "attendance.manual", "attendance", attendance.id)
    return CheckinResult("guest" if guest else "present")


async def close(
    session: AsyncSession, meeting: Meeting, *, minutes: str | None, by: int, now: datetime,
    tz: tzinfo | None = None,
) -> rules.LedgerCounts:
    """Freeze the record: whoever did not come and had no approved leave is absent.

    The meeting is counted for compliance (in `tz`'s months) in the same transaction."""
    if meeting.state is MeetingState.CLOSED:
        raise MeetingError("already_closed")
    if meeting.state is MeetingState.CANCELLED:
        raise MeetingError("not_live")
    if now < meeting.starts_at:
        # Closing marks everyone not checked in absent: only after the meeting began.
        raise MeetingError("not_started", starts_at=meeting.starts_at)
    attendances = list(
        (await session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))).all()
    )
    frozen = rules.freeze_statuses({a.id: a.status for a in attendances})
    for attendance in attendances:
        attendance.status = frozen[attendance.id]
    meeting.state = MeetingState.CLOSED
    meeting.minutes = minutes
    meeting.closed_at = now
    meeting.closed_by = by
    # Reminders about it (before it, check-in, minutes) are moot once it is closed.
    await outbox.cancel(session, subject=_subject(meeting), reason="meeting closed")
    counts = rules.ledger_counts(frozen)
    await meeting_counts.meeting_closed(session, meeting, counts, tz)
    await lesson_attendances.sync(session, meeting_id=meeting.id)
    audit.record(
        session, by, "meeting.close", "meeting", meeting.id,
        expected=counts.expected, present=counts.present, on_leave=counts.on_leave,
        absent=counts.absent,
    )
    return counts


async def cancel(
    session: AsyncSession, meeting: Meeting, *, reason: str | None, by: int
) -> None:
    if meeting.state not in LIVE_STATES:
        raise MeetingError("not_live")
    meeting.state = MeetingState.CANCELLED
    meeting.cancelled_reason = reason
    audit.record(session, by, "meeting.cancel", "meeting", meeting.id, reason=reason)
    await outbox.cancel(session, subject=_subject(meeting), reason="meeting cancelled")


async def postpone(
    session: AsyncSession, meeting: Meeting, *, starts_at: datetime, by: int, now: datetime
) -> None:
    """Move a live meeting, keeping its length; answers and leave stay as they were."""
    if meeting.state not in LIVE_STATES:
        raise MeetingError("not_live")
    if starts_at <= now:
        raise MeetingError("in_past")
    ends_at = starts_at + (meeting.ends_at - meeting.starts_at)
    if await clashes(
        session, meeting.party_organization_id, starts_at, ends_at, ignore_id=meeting.id
    ):
        raise MeetingError("clash", when=starts_at)
    before = meeting.starts_at
    meeting.starts_at, meeting.ends_at = starts_at, ends_at
    meeting.state = MeetingState.SCHEDULED
    meeting.checkin_opened_at = None
    # The planner plans the moved meeting afresh (its keys carry the start time).
    await outbox.cancel(session, subject=_subject(meeting), reason="meeting moved")
    audit.record(
        session, by, "meeting.postpone", "meeting", meeting.id,
        before=before.isoformat(), after=starts_at.isoformat(),
    )


async def edit_closed(
    session: AsyncSession, meeting: Meeting, *, field: str, value: str | None, by: int,
    reason: str,
) -> None:
    """Change a closed meeting's text fields; never silently: who, why, before and after."""
    if field not in ("minutes", "topic", "place", "host", "recorder", "lecturer"):
        raise MeetingError("not_editable")
    before = getattr(meeting, field)
    setattr(meeting, field, value)
    audit.record(
        session, by, "meeting.edit_closed", "meeting", meeting.id,
        field=field, before=before, after=value, reason=reason,
    )


async def correct_attendance(
    session: AsyncSession, attendance: Attendance, *, status: AttendanceStatus, by: int,
    reason: str, tz: tzinfo | None = None,
) -> None:
    """Fix one line of a frozen record, logged with who and why; a committee meeting's
    quorum is counted again in the same transaction."""
    meeting = await session.get(Meeting, attendance.meeting_id)
    closed = meeting is not None and meeting.state is MeetingState.CLOSED
    was_short = closed and await meeting_counts.meeting_inquorate(
        session, attendance.meeting_id, meeting.kind if meeting else MeetingKind.ASSEMBLY
    )
    before = attendance.status
    attendance.status = status
    attendance.marked_by = by
    if closed and meeting is not None:
        await session.flush()
        await meeting_counts.quorum_changed(session, meeting, was_short, tz)
        await lesson_attendances.sync(session, attendance_ids=[attendance.id])
    audit.record(
        session, by, "attendance.correct", "attendance", attendance.id,
        before=before, after=status, reason=reason,
    )


async def add_file(
    session: AsyncSession, meeting: Meeting, *, telegram_file_id: str, kind: str,
    file_name: str | None, by: int,
) -> MeetingFile:
    attachment = MeetingFile(
        meeting_id=meeting.id, telegram_file_id=telegram_file_id, kind=kind,
        file_name=file_name, added_by=by,
    )
    session.add(attachment)
    await session.flush()
    return attachment


async def confirm_makeup(session: AsyncSession, attendance: Attendance, now: datetime) -> bool:
    """An absent member confirms they caught up (补学); once."""
    if attendance.status is not AttendanceStatus.ABSENT or attendance.makeup_done_at:
        return False
    attendance.makeup_done_at = now
    return True


# --- ledger queries (aggregated in SQL) -------------------------------------------------------


async def held_meetings(
    session: AsyncSession, org_id: int, start: datetime, end: datetime
) -> list[tuple[MeetingKind, datetime]]:
    """Kind and start of each closed meeting in [start, end): what compliance counts."""
    rows = await session.execute(
        select(Meeting.kind, Meeting.starts_at).where(
            Meeting.party_organization_id == org_id,
            Meeting.state == MeetingState.CLOSED,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
    )
    return [(kind, starts) for kind, starts in rows.all()]


@dataclass(frozen=True)
class MemberAttendance:
    membership_id: int
    name: str
    expected: int
    present: int
    on_leave: int
    absent: int

    @property
    def rate(self) -> float | None:
        return rules.attendance_rate(self.present, self.expected)


async def member_attendance(
    session: AsyncSession, org_id: int, start: datetime, end: datetime,
    *, membership_id: int | None = None,
) -> list[MemberAttendance]:
    """Per member over closed meetings in [start, end): expected / present / leave / absent."""
    counted = Attendance.status.not_in((AttendanceStatus.GUEST, AttendanceStatus.GUEST_PRESENT))

    def count(*statuses: AttendanceStatus) -> Any:
        return func.sum(case((Attendance.status.in_(statuses), 1), else_=0))

    query = (
        select(
            Attendance.membership_id,
            Person.real_name,
            func.sum(case((counted, 1), else_=0)),
            count(AttendanceStatus.PRESENT),
            count(AttendanceStatus.ON_LEAVE),
            count(AttendanceStatus.ABSENT),
        )
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Membership, Membership.id == Attendance.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            and_(
                Meeting.party_organization_id == org_id,
                Meeting.state == MeetingState.CLOSED,
                Meeting.starts_at >= start,
                Meeting.starts_at < end,
            )
        )
        .group_by(Attendance.membership_id, Person.real_name)
        .order_by(Person.real_name)
    )
    if membership_id is not None:
        query = query.where(Attendance.membership_id == membership_id)
    rows = await session.execute(query)
    return [
        MemberAttendance(mid, name or "?", int(e or 0), int(p or 0), int(lv or 0), int(ab or 0))
        for mid, name, e, p, lv, ab in rows.all()
    ]


def day_bounds(first: date, last: date, tz: object) -> tuple[datetime, datetime]:
    """[start, end) in UTC for the local days first..last inclusive."""
    from datetime import time as dtime

    start = datetime.combine(first, dtime.min, tzinfo=tz)  # type: ignore[arg-type]
    end = datetime.combine(last + timedelta(days=1), dtime.min, tzinfo=tz)  # type: ignore[arg-type]
    return start, end



# --- check-in queries (added for handlers/checkin.py) ------------------------------------------


async def checkin_candidates(
    session: AsyncSession, membership_id: int, now: datetime,
    *, span: timedelta = timedelta(days=1),
) -> list[tuple[Meeting, Attendance]]:
    """A member's live meetings starting within `span` of now, soonest first.

    The caller decides with rules.checkin_state which of them has its window open.
    """
    rows = await session.execute(
        select(Meeting, Attendance)
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(
            Attendance.membership_id == membership_id,
            Meeting.state.in_(LIVE_STATES),
            Meeting.starts_at >= now - span,
            Meeting.starts_at <= now + span,
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return [(m, a) for m, a in rows.all()]


async def checkin_candidates_for(
    session: AsyncSession, telegram_id: int, now: datetime,
    *, span: timedelta = timedelta(days=1),
) -> list[tuple[Meeting, Attendance, str]]:
    """checkin_candidates by Telegram id in one query, with the person's language.

    Only lines of the person's active membership count (not those of a branch they left).
    """
    rows = await session.execute(
        select(Meeting, Attendance, Person.language)
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .join(Membership, Membership.id == Attendance.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Person.telegram_id == telegram_id,
            Membership.state == MembershipState.ACTIVE,
            Meeting.state.in_(LIVE_STATES),
            Meeting.starts_at >= now - span,
            Meeting.starts_at <= now + span,
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return [(m, a, language) for m, a, language in rows.all()]


async def live_meetings(
    session: AsyncSession, org_ids: set[int] | frozenset[int] | None, start: datetime,
    end: datetime, *, limit: int = 20,
) -> list[Meeting]:
    """Live meetings of these organizations (None: all) starting in [start, end)."""
    query = (
        select(Meeting)
        .options(selectinload(Meeting.party_organization), selectinload(Meeting.party_group))
        .where(
            Meeting.state.in_(LIVE_STATES),
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    )
    if org_ids is not None:
        query = query.where(Meeting.party_organization_id.in_(org_ids))
    return list((await session.scalars(query)).all())


async def get_attendance(session: AsyncSession, attendance_id: int) -> Attendance | None:
    """One attendance line with its meeting and the member's person."""
    return await session.scalar(
        select(Attendance)
        .options(
            selectinload(Attendance.meeting).selectinload(Meeting.party_organization),
            selectinload(Attendance.membership).selectinload(Membership.person),
        )
        .where(Attendance.id == attendance_id)
    )


async def files_of(session: AsyncSession, meeting_id: int) -> list[MeetingFile]:
    """Photos and documents attached to a meeting's minutes, in the order they were added."""
    return list(
        (
            await session.scalars(
                select(MeetingFile)
                .where(MeetingFile.meeting_id == meeting_id)
                .order_by(MeetingFile.id)
            )
        ).all()
    )

__all__ = ["MeetingError", "MeetingPlan", "utcnow"]
