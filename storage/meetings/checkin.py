"""Check-in: opening it, judging a check-in (window, room code, place), recording presence once,
and the live meetings a member or an organization may check in to now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from rules import meetings as rules
from rules.vocabulary import AttendanceStatus, CheckinMethod, MeetingState, MembershipState
from storage import audit, outbox
from storage.meetings.lookups import attendance_of
from storage.meetings.scheduling import LIVE_STATES, MeetingError, _subject
from storage.models import Attendance, Meeting, Membership, Person

# Statuses that count as "was there" and must not be overwritten by a later check-in.
ARRIVED = (AttendanceStatus.PRESENT, AttendanceStatus.GUEST_PRESENT)


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


def ended_refusal(meeting: Meeting) -> CheckinResult | None:
    """The refusal of a check-in at a cancelled or closed meeting."""
    if meeting.state is MeetingState.CANCELLED:
        return CheckinResult("refused", "cancelled")
    if meeting.state is MeetingState.CLOSED:
        return CheckinResult("refused", "closed")
    return None


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
    ended = ended_refusal(meeting)
    if ended is not None:
        return ended
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
    attendance = (
        line
        if line is not None and line.meeting_id == meeting.id
        and line.membership_id == membership_id
        else await attendance_of(session, meeting.id, membership_id)
    )
    if attendance is None:
        # Only the meeting's own organization hears that it ended: another branch's member
        # gets the same refusal whatever its state (its business is not theirs).
        membership = await session.get(Membership, membership_id)
        if membership is not None and (
            membership.party_organization_id == meeting.party_organization_id
        ):
            return ended_refusal(meeting) or CheckinResult("refused", "not_expected")
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
