"""Texts, keyboards and buttons of check-in, the roster and the record (pure: no Telegram
calls, no database)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.kit.actions import Reply
from handlers.kit.buttons import AttendanceId, ButtonData, MeetingId
from handlers.kit.i18n import BLANK, N_, Html, Translator, html_format, html_join
from handlers.kit.ui import keyboard, page_of, page_row, person_name
from handlers.labels import ATTENDANCE_STATUS_LABELS, CHECKIN_METHOD_LABELS, MEETING_KIND_LABELS
from handlers.meetings.views import CloseMeeting, EditList, OpenCheckin, ShowRoster
from rules import meetings as rules
from rules.validation import Invalid, clean_text
from rules.vocabulary import AttendanceStatus, CheckinMethod, MeetingState
from storage.expected_lists import GUEST_LINES, list_follows
from storage.meetings import ARRIVED, LIVE_STATES, CheckinResult, window_of
from storage.models import Attendance, Meeting, Person

Rows = Sequence[tuple[Attendance, Person]]

MAX_MINUTES = 4000
MINUTES_SHOWN = 1500  # of the minutes in a record or a catch-up message
NAMES_SHOWN = 30  # names listed per line of a record before "and N more"
ROSTER_PAGE = 10

REFUSALS = {
    "early": N_("Check-in opens at {time}."),
    "late": N_("Check-in closed at {time}."),
    "bad_code": N_(
        "That code is wrong or no longer valid — ask for the current code in the room."
    ),
    "not_expected": N_("You are not on the list of this meeting."),
    "too_far": N_(
        "You are too far from the meeting place (about {distance} m; at most {radius} m). "
        "Check in with the code shown in the room instead."
    ),
    "no_place": N_(
        "This meeting has no place on the map: check in with the button or the room code."
    ),
    "closed": N_("This meeting is already closed."),
    "cancelled": N_("This meeting was cancelled."),
}
NO_MEETING_OPEN = N_("No meeting is open for check-in now.")
NOT_CLOSED = N_("This meeting is not closed yet.")
NOT_STARTED = N_(
    "This meeting has not started yet, so it cannot be closed. Postpone or cancel it instead."
)
# Who is told that check-in is open: everyone on the list who may still check in.
NOTIFIED = frozenset({AttendanceStatus.EXPECTED, AttendanceStatus.ATTENDING,
                      AttendanceStatus.LEAVE_REQUESTED, AttendanceStatus.GUEST})
# What a closed record's line may be corrected to.
MEMBER_FIXES = (AttendanceStatus.PRESENT, AttendanceStatus.ON_LEAVE, AttendanceStatus.ABSENT)
GUEST_FIXES = (AttendanceStatus.GUEST_PRESENT, AttendanceStatus.GUEST)


class RoomCode(ButtonData, prefix="ck:code"):
    """The current room code (edits the code message)."""

    meeting: MeetingId


class TapCheckin(ButtonData, prefix="ck:tap"):
    """A member checks in with one tap."""

    meeting: MeetingId


class CheckMeIn(ButtonData, prefix="ck:me"):
    """The leader checks in from the code message (the code stays)."""

    meeting: MeetingId


class RosterPage(ButtonData, prefix="ck:rp"):
    meeting: MeetingId
    page: int


class MarkPresent(ButtonData, prefix="ck:mark"):
    """A leader marks one person present by hand (代签)."""

    attendance: AttendanceId


class CloseDone(ButtonData, prefix="ck:done"):
    """No more attachments: the counts to confirm."""

    meeting: MeetingId


class ShowRecord(ButtonData, prefix="ck:rec"):
    meeting: MeetingId


class ConfirmMakeup(ButtonData, prefix="ck:makeup"):
    """An absent member: "I have caught up" (补学)."""

    attendance: AttendanceId


class ChooseFix(ButtonData, prefix="ck:fix"):
    """Correct one line of a closed record: pick a status."""

    attendance: AttendanceId


class FixTo(ButtonData, prefix="ck:fixto"):
    """... then type the reason (a flow)."""

    attendance: AttendanceId
    status: AttendanceStatus


class ShowAttachments(ButtonData, prefix="ck:files"):
    """The photos and documents attached to a closed meeting's minutes, sent into the chat."""

    meeting: MeetingId


class EditMinutes(ButtonData, prefix="ck:minutes"):
    """Replace the minutes of a closed meeting, with a reason (a flow)."""

    meeting: MeetingId


def clean_minutes(text: str | None) -> str | Invalid:
    """Minutes: several lines allowed, at most MAX_MINUTES characters."""
    return clean_text(text, max_length=MAX_MINUTES, multiline=True)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clock(tz: ZoneInfo, value: datetime, now: datetime) -> str:
    """HH:MM in the branch's time zone; with the date when it is not today."""
    shown = value.astimezone(tz)
    if shown.date() == now.astimezone(tz).date():
        return shown.strftime("%H:%M")
    return shown.strftime("%Y-%m-%d %H:%M")


def title(t: Translator, tz: ZoneInfo, meeting: Meeting) -> Html:
    """Kind, topic and start."""
    return t("{kind} «{topic}», {when}", kind=t(MEETING_KIND_LABELS[meeting.kind]),
             topic=meeting.topic, when=meeting.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"))


def button_label(tz: ZoneInfo, meeting: Meeting) -> str:
    """Start time and topic for a button (plain text, kept short)."""
    return f"{meeting.starts_at.astimezone(tz).strftime('%H:%M')} {shorten(meeting.topic, 24)}"


def window_state(meeting: Meeting, now: datetime) -> rules.CheckinState:
    return rules.checkin_state(now, meeting.starts_at, window_of(meeting))


def window_opens(meeting: Meeting) -> datetime:
    return meeting.starts_at - window_of(meeting).before


def window_closes(meeting: Meeting) -> datetime:
    return meeting.starts_at + window_of(meeting).after


def refusal_values(tz: ZoneInfo, radius: float, meeting: Meeting, now: datetime,
                   distance: float | None = None) -> dict[str, Any]:
    """The values every refusal message may need."""
    edge = window_opens(meeting) if window_state(meeting, now) == "early" else window_closes(
        meeting)
    return {"time": clock(tz, edge, now),
            "distance": round(distance) if distance is not None else "?",
            "radius": round(radius)}


def result_text(t: Translator, tz: ZoneInfo, radius: float, meeting: Meeting,
                result: CheckinResult, now: datetime, *, distance: float | None = None,
                first_line: bool = False) -> Html:
    """What the member is told for each outcome of a check-in (or just its first line)."""
    above = BLANK if first_line else "\n" + title(t, tz, meeting)
    if result.outcome == "present":
        return t("✅ Checked in at {time}.", time=clock(tz, now, now)) + above
    if result.outcome == "guest":
        return t("Recorded as a guest at {time}.", time=clock(tz, now, now)) + above
    if result.outcome == "already":
        return t("You are already checked in — nothing changed.") + above
    message = REFUSALS.get(result.reason or "", NO_MEETING_OPEN)
    return t(message, **refusal_values(tz, radius, meeting, now, distance))


def may_check_in(rows: Rows, telegram_id: int) -> bool:
    """Whether this person is on the list and may still check in."""
    return any(p.telegram_id == telegram_id and a.status in NOTIFIED for a, p in rows)


def so_far(t: Translator, rows: Rows) -> Html:
    """How many of a meeting's lines (guests apart) have checked in."""
    counted = [a for a, _p in rows if a.status not in GUEST_LINES]
    return t("Checked in so far: {present} of {expected}.", expected=len(counted),
             present=sum(a.status is AttendanceStatus.PRESENT for a in counted))


# -- the room code ------------------------------------------------------------------------


def code_text(t: Translator, tz: ZoneInfo, meeting: Meeting, now: datetime, rows: Rows,
              note: Html | None = None) -> Html:
    """The room code in large type, when it rotates, and how many have checked in."""
    code = rules.room_code(bytes.fromhex(meeting.code_secret), now)
    until = rules.code_valid_until(now.astimezone(tz))
    spaced = f"{code[:3]} {code[3:]}" if len(code) == 6 else code
    lines = [
        t("Room code for {meeting}:", meeting=title(t, tz, meeting)),
        BLANK,
        html_format("<b>🔢 {code}</b>", code=spaced),
        BLANK,
        t("Valid until {time}.", time=until.strftime("%H:%M")),
        t("Members type it in their chat with me. It changes every few minutes, so a code "
          "passed on later no longer works."),
        so_far(t, rows),
    ]
    if window_state(meeting, now) == "late":
        lines.append(t("The check-in window closed at {time}.",
                       time=clock(tz, window_closes(meeting), now)))
    if note:
        lines.append(note)
    return html_join("\n", lines)


def roster_and_close(t: Translator, meeting: MeetingId) -> list[InlineKeyboardButton]:
    return [ShowRoster(meeting).button(t("📋 Roster")),
            CloseMeeting(meeting).button(t("🏁 Close meeting"))]


def code_message(t: Translator, tz: ZoneInfo, meeting: Meeting, now: datetime, rows: Rows,
                 telegram_id: int, note: Html | None = None, *, new: bool = False) -> Reply:
    """The code message of the leader `telegram_id`: refresh, roster, close; and a check-in
    button when the leader is on the list too."""
    mid = MeetingId(meeting.id)
    return Reply(code_text(t, tz, meeting, now, rows, note), keyboard([
        [RoomCode(mid).button(t("🔄 Refresh code"))],
        roster_and_close(t, mid),
        [CheckMeIn(mid).button(t("✅ Check me in"))] if may_check_in(rows, telegram_id) else [],
    ]), new=new)


def too_late_to_open(t: Translator, tz: ZoneInfo, meeting: Meeting, now: datetime) -> Reply:
    """Opening after the window: mark by hand from the roster, then close."""
    return Reply(
        t("The check-in window of {meeting} closed at {time}; members can no longer check in "
          "themselves. Mark who came from the roster, then close the meeting.",
          meeting=title(t, tz, meeting), time=clock(tz, window_closes(meeting), now)),
        keyboard([roster_and_close(t, MeetingId(meeting.id))]),
        new=True,
    )


def open_notice(t: Translator, tz: ZoneInfo,
                meeting: Meeting) -> tuple[Html, InlineKeyboardMarkup]:
    """What the expected are told when check-in opens, with the button to check in."""
    lines = [t("✅ Check-in is open for {meeting}.", meeting=title(t, tz, meeting))]
    if meeting.place:
        lines.append(t("Place: {place}", place=meeting.place))
    if meeting.latitude is not None and meeting.longitude is not None:
        lines.append(t("Check in with the button, by typing the code shown in the room, or by "
                       "sharing your location there."))
    else:
        lines.append(t("Check in with the button or by typing the code shown in the room."))
    return html_join("\n", lines), keyboard([[TapCheckin(MeetingId(meeting.id)).button(
        t("✅ Check in"))]])


def checkin_list(t: Translator, tz: ZoneInfo, now: datetime, led: Sequence[Meeting],
                 own: Sequence[tuple[Meeting, Attendance]]) -> Reply:
    """/checkin: the meetings a leader runs (open or run them), then the actor's own."""
    lines: list[Html] = []
    rows: list[list[InlineKeyboardButton]] = []
    for meeting in led:
        label, mid = button_label(tz, meeting), MeetingId(meeting.id)
        if meeting.state is MeetingState.CHECKIN_OPEN:
            lines.append(t("• {meeting}: check-in is open", meeting=title(t, tz, meeting)))
            rows.append([RoomCode(mid).button(t.as_plain("🔢 Code {meeting}", meeting=label))])
            rows.append(roster_and_close(t, mid))
        else:
            lines.append(t("• {meeting}: scheduled", meeting=title(t, tz, meeting)))
            rows.append([OpenCheckin(mid).button(
                t.as_plain("Open check-in: {meeting}", meeting=label))])
    if lines:
        lines.insert(0, t("<b>Meetings you run</b>"))
    if own:
        lines.append(t("<b>Check in now</b>"))
    for meeting, attendance in own:
        if attendance.status in ARRIVED:
            lines.append(t("• {meeting}: you checked in at {time}", meeting=title(t, tz, meeting),
                           time=clock(tz, attendance.checked_in_at or now, now)))
            continue
        lines.append(t("• {meeting}", meeting=title(t, tz, meeting)))
        rows.append([TapCheckin(MeetingId(meeting.id)).button(
            t.as_plain("✅ Check in: {meeting}", meeting=button_label(tz, meeting)))])
    if not lines:
        return Reply(t(NO_MEETING_OPEN), new=True)
    return Reply(html_join("\n", lines), keyboard(rows), new=True)


# -- the roster -------------------------------------------------------------------------------


def status_text(t: Translator, tz: ZoneInfo, attendance: Attendance, names: dict[int, str],
                now: datetime) -> Html:
    """One line's status with how and when (and by whom, when marked by hand)."""
    status = attendance.status
    label = t(ATTENDANCE_STATUS_LABELS[status])
    if status in ARRIVED and attendance.method is not None:
        when = clock(tz, attendance.checked_in_at or now, now)
        if attendance.method is CheckinMethod.MANUAL:
            who = names.get(attendance.marked_by or 0, "?")
            return t("{status} (marked by {name} at {time})", status=label, name=who, time=when)
        return t("{status} ({method}, {time})", status=label,
                 method=t(CHECKIN_METHOD_LABELS[attendance.method]), time=when)
    if status in (AttendanceStatus.ON_LEAVE, AttendanceStatus.LEAVE_REQUESTED) and (
        attendance.leave_reason
    ):
        return t("{status}: {reason}", status=label, reason=attendance.leave_reason)
    if status is AttendanceStatus.ABSENT and attendance.makeup_done_at is not None:
        return t("{status}, caught up on {date}", status=label,
                 date=attendance.makeup_done_at.astimezone(tz).date().isoformat())
    return label


def page_showing(rows: Rows, attendance_id: int) -> int:
    index = next((i for i, (a, _p) in enumerate(rows) if a.id == attendance_id), 0)
    return index // ROSTER_PAGE


def roster(t: Translator, tz: ZoneInfo, meeting: Meeting, rows: Rows, names: dict[int, str],
           page: int, now: datetime, note: Html | None = None, *, new: bool = False) -> Reply:
    """One page of everyone on the list; buttons to mark (live) or correct (closed)."""
    mid = MeetingId(meeting.id)
    page, pages, shown = page_of(rows, page, ROSTER_PAGE)
    closed = meeting.state is MeetingState.CLOSED
    lines = [t("<b>Roster</b> of {meeting}", meeting=title(t, tz, meeting))]
    if note:
        lines.insert(0, note)
    if closed:
        lines.append(counts_line(t, rules.ledger_counts({a.id: a.status for a, _p in rows})))
    elif meeting.state is MeetingState.CANCELLED:
        lines.append(t(REFUSALS["cancelled"]))
    else:
        lines.append(so_far(t, rows))
    if not rows:
        lines.append(t("Nobody is on the list of this meeting."))
    buttons: list[list[InlineKeyboardButton]] = []
    for number, (attendance, person) in enumerate(shown, start=page * ROSTER_PAGE + 1):
        name = person_name(t, person)
        lines.append(t("{n}. {name}: {status}", n=number, name=name,
                       status=status_text(t, tz, attendance, names, now)))
        line = AttendanceId(attendance.id)
        if closed:
            buttons.append([ChooseFix(line).button(t.as_plain("✏️ Correct: {name}", name=name))])
        elif meeting.state in LIVE_STATES and attendance.status not in ARRIVED:
            buttons.append([MarkPresent(line).button(
                t.as_plain("Mark present: {name}", name=name))])
    buttons.append(page_row(t, page, pages, lambda number: RosterPage(mid, number)))
    if meeting.state is not MeetingState.CANCELLED and not list_follows(meeting, now):
        buttons.append([EditList(mid, 0).button(t("✏️ Change the list"))])
    if closed:
        buttons.append([ShowRecord(mid).button(t("📄 Record")),
                        EditMinutes(mid).button(t("✏️ Edit minutes"))])
    elif meeting.state in LIVE_STATES:
        buttons.append([RoomCode(mid).button(t("🔢 Room code"))
                        if meeting.state is MeetingState.CHECKIN_OPEN
                        else OpenCheckin(mid).button(t("Open check-in")),
                        CloseMeeting(mid).button(t("🏁 Close meeting"))])
    return Reply(html_join("\n", lines), keyboard(buttons), new=new)


def fix_choices(t: Translator, tz: ZoneInfo, attendance: Attendance) -> Reply:
    """Which status a line of a closed record should have."""
    line = AttendanceId(attendance.id)
    choices = GUEST_FIXES if attendance.status in GUEST_LINES else MEMBER_FIXES
    rows = [[FixTo(line, status).button(t(ATTENDANCE_STATUS_LABELS[status]))]
            for status in choices if status is not attendance.status]
    rows.append([ShowRoster(MeetingId(attendance.meeting_id)).button(t("‹ Back"))])
    return Reply(
        t("Correct the record of {name} at {meeting}. Now: {status}. Change it to:",
          name=person_name(t, attendance.membership.person),
          meeting=title(t, tz, attendance.meeting),
          status=t(ATTENDANCE_STATUS_LABELS[attendance.status])),
        keyboard(rows),
    )


def counts_line(t: Translator, counts: rules.LedgerCounts) -> Html:
    return t("Expected {expected} · present {present} · on leave {on_leave} · absent {absent}",
             expected=counts.expected, present=counts.present, on_leave=counts.on_leave,
             absent=counts.absent)
