"""What a branch's leaders see: its meetings and a meeting's card (pure: no Telegram calls,
no database)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.kit.buttons import ButtonData, MeetingId, OrgId
from handlers.kit.i18n import Html, Translator, html_join
from handlers.kit.ui import keyboard, paged, person_name
from handlers.labels import MEETING_KIND_LABELS, MEETING_STATE_LABELS
from handlers.meetings.views import (
    GUESTS,
    MARKERS,
    AskCancel,
    CalendarFile,
    CloseMeeting,
    ConfirmCancel,
    ListMeetings,
    MeetingInfo,
    MeetingsPick,
    OpenCheckin,
    PostponeMeeting,
    ScheduleFor,
    ShowMeeting,
    ShowRoster,
    details_lines,
    span_text,
    start_text,
)
from rules.vocabulary import AttendanceStatus, MeetingState
from storage.meetings import LIVE_STATES
from storage.models import Attendance, Meeting, Person

MAX_LEAVE_SHOWN = 10  # leave requests listed on a card


def meeting_label(t: Translator, tz: tzinfo, meeting: Meeting) -> str:
    """One meeting as a button of the branch's list."""
    kind = t(MEETING_KIND_LABELS[meeting.kind])
    text = f"{MARKERS[meeting.state]} {start_text(tz, meeting.starts_at)} · {kind}"
    text += f" · {meeting.party_group.name}" if meeting.party_group is not None else ""
    return text + (" · 📝 " + t("entered afterwards") if meeting.entered_afterwards else "")


def branch_meetings(
    t: Translator, tz: tzinfo, org: OrgId, branch: str, live: Sequence[Meeting],
    closed: Sequence[Meeting], page: int, *, several: bool, record_past: ButtonData,
) -> tuple[Html, InlineKeyboardMarkup]:
    """A branch's live meetings, then those closed recently; schedule or record one."""
    items = [ShowMeeting(MeetingId(m.id)).button(meeting_label(t, tz, m))
             for m in [*live, *closed]]
    title = t("<b>{branch}</b>: meetings", branch=branch) + "\n" + t(
        "Upcoming or not yet closed: {live} · closed in the last 90 days: {closed}",
        live=len(live), closed=len(closed),
    )
    if not items:
        title += "\n" + t("Schedule one with /schedule.")
    extra = [[ScheduleFor(org).button(t("🗓 Schedule meeting"))],
             [record_past.button(t("📝 Record a past meeting"))]]
    if several:
        extra.append([MeetingsPick(0).button(t("‹ Organizations"))])
    return title, paged(t, items, page, lambda to: ListMeetings(org, to), extra)


def card_text(
    t: Translator, tz: tzinfo, info: MeetingInfo, lines: Sequence[tuple[Attendance, Person]]
) -> Html:
    """Details, state and the counts of answers; leave requests waiting for a decision."""
    statuses = [a.status for a, _p in lines]
    counted = [s for s in statuses if s not in GUESTS]
    text = [
        *details_lines(t, tz, info),
        t("State: {state}", state=t(MEETING_STATE_LABELS[info.state])),
    ]
    if info.located:
        text.append(t("Location check-in: on"))
    if info.state is MeetingState.CANCELLED and info.cancelled_reason:
        text.append(t("Reason: {reason}", reason=info.cancelled_reason))
    text.append(
        t(
            "Expected {expected} · attending {attending} · leave requested {requested} · "
            "on leave {on_leave} · present {present}",
            expected=len(counted),
            attending=counted.count(AttendanceStatus.ATTENDING),
            requested=counted.count(AttendanceStatus.LEAVE_REQUESTED),
            on_leave=counted.count(AttendanceStatus.ON_LEAVE),
            present=counted.count(AttendanceStatus.PRESENT),
        )
    )
    if info.state is MeetingState.CLOSED:
        text.append(t("Absent {absent}", absent=counted.count(AttendanceStatus.ABSENT)))
    guests = [s for s in statuses if s in GUESTS]
    if guests:
        text.append(
            t("Guests: {invited} invited, {present} present", invited=len(guests),
              present=guests.count(AttendanceStatus.GUEST_PRESENT))
        )
    requests = [(a, p) for a, p in lines if a.status is AttendanceStatus.LEAVE_REQUESTED]
    if requests:
        text.append(t("Waiting for a leave decision:"))
        text += [
            "· " + t("{name}: {reason}", name=person_name(t, p),
                     reason=a.leave_reason or t("not given"))
            for a, p in requests[:MAX_LEAVE_SHOWN]
        ]
    return html_join("\n", text)


def card_keyboard(t: Translator, info: MeetingInfo) -> InlineKeyboardMarkup:
    meeting = MeetingId(info.id)
    rows: list[list[InlineKeyboardButton]] = []
    live = info.state in LIVE_STATES
    if live:
        opened = info.state is MeetingState.CHECKIN_OPEN
        rows.append([
            OpenCheckin(meeting).button(t("✅ Check-in (open)") if opened
                                        else t("✅ Open check-in")),
            CloseMeeting(meeting).button(t("🔒 Close meeting")),
        ])
    rows.append([ShowRoster(meeting).button(t("👥 Roster"))])
    if live:
        rows.append([PostponeMeeting(meeting).button(t("⏰ Postpone")),
                     AskCancel(meeting).button(t("✖ Cancel meeting"))])
        rows.append([CalendarFile(meeting).button(t("📆 Add to calendar"))])
    rows.append([ListMeetings(OrgId(info.org_id), 0).button(t("‹ Meetings"))])
    return keyboard(rows)


def card(
    t: Translator, tz: tzinfo, info: MeetingInfo, lines: Sequence[tuple[Attendance, Person]],
    note: Html | None = None,
) -> tuple[Html, InlineKeyboardMarkup]:
    text = card_text(t, tz, info, lines)
    return (note + "\n\n" + text if note else text), card_keyboard(t, info)


def cancel_question(
    t: Translator, tz: tzinfo, info: MeetingInfo
) -> tuple[Html, InlineKeyboardMarkup]:
    meeting = MeetingId(info.id)
    return (
        t("Cancel {kind} of {when}? Everyone on the list will be told.",
          kind=t(MEETING_KIND_LABELS[info.kind]),
          when=span_text(t, tz, info.starts_at, info.ends_at)),
        keyboard([[ConfirmCancel(meeting).button(t("Yes, cancel the meeting"))],
                  [ShowMeeting(meeting).button(t("No, keep it"))]]),
    )
