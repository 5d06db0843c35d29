"""Buttons, texts and keyboards of meetings, and what a branch's leaders see: its meetings and
a meeting's card (pure: no Telegram calls, no database)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.kit.buttons import AttendanceId, ButtonData, MeetingId, OrgId
from handlers.kit.flows import Problem, cancel_button
from handlers.kit.i18n import BLANK, N_, Html, Translator, html_format, html_join
from handlers.kit.ui import form_button, form_url, keyboard, paged, person_name
from handlers.labels import MEETING_KIND_LABELS, MEETING_STATE_LABELS, WEEKDAYS
from rules import meetings as rules
from rules.vocabulary import AttendanceStatus, MeetingKind, MeetingState
from storage.meetings import LIVE_STATES, MeetingError
from storage.models import Attendance, Meeting, Person

logger = logging.getLogger(__name__)

DURATIONS = {60: N_("1 h"), 90: N_("1.5 h"), 120: N_("2 h"), 240: N_("Half day (4 h)")}
SERIES_COUNTS = (3, 6, 12)
ARRIVED = (AttendanceStatus.PRESENT, AttendanceStatus.GUEST_PRESENT)
GUESTS = (AttendanceStatus.GUEST, AttendanceStatus.GUEST_PRESENT)
ANSWER_LABELS = {
    AttendanceStatus.EXPECTED: N_("Your answer: not given yet."),
    AttendanceStatus.ATTENDING: N_("Your answer: I will attend."),
    AttendanceStatus.LEAVE_REQUESTED: N_("Your answer: leave requested, waiting for approval."),
    AttendanceStatus.ON_LEAVE: N_("Your answer: on leave (approved)."),
    AttendanceStatus.PRESENT: N_("You checked in."),
    AttendanceStatus.ABSENT: N_("You were absent."),
    AttendanceStatus.GUEST: N_("You are invited as a guest (列席); guests are not counted."),
    AttendanceStatus.GUEST_PRESENT: N_("You checked in as a guest."),
}
ORDINALS = {1: N_("first"), 2: N_("second"), 3: N_("third"), 4: N_("fourth"), -1: N_("last")}
ONLINE = N_("🌐 Online meeting")
SHARE_LOCATION = N_("📍 Share the location")
MEETING_ERRORS = {
    "in_past": N_("That time is in the past. Please choose a future date and time."),
    "end_before_start": N_("The meeting would end before it starts. Please check the time."),
    "group_needed": N_("A party group meeting needs one of the branch's party groups."),
    "clash": N_("The branch already has a meeting at {when}. Please choose another time."),
    "not_live": N_("This meeting is closed or cancelled; it can no longer be changed."),
    "not_expected": N_("You are not on the list for this meeting."),
    "already_present": N_("You have already checked in at this meeting."),
}
CLASH_WITH = N_("That time clashes with another meeting of the branch: {kind}, {when}. "
                "Please type another date and time.")
BAD_LINK = N_("That is not a web link. Please send the meeting link starting with https:// or "
              "http://.")
NO_BRANCH = N_("There is no branch to schedule meetings for yet.")
NOT_REGISTERED = N_("Meetings are for registered members. Register with /start.")
SORRY = N_("Sorry, something went wrong. Please try again.")
MARKERS = {MeetingState.SCHEDULED: "🗓", MeetingState.CHECKIN_OPEN: "✅",
           MeetingState.CLOSED: "🔒", MeetingState.CANCELLED: "✖"}


# -- buttons --------------------------------------------------------------------------------


class RecordPastMeeting(ButtonData, prefix="pm:new"):
    """A leader starts recording a past meeting of this branch (on the meetings list; handled
    by handlers/past_meetings)."""

    org: OrgId


class SchedulePick(ButtonData, prefix="ms:pick"):
    page: int


class ScheduleFor(ButtonData, prefix="ms:org"):
    org: OrgId


class ChooseKind(ButtonData, prefix="ms:kind"):
    org: OrgId
    kind: MeetingKind


class Duration(ButtonData, prefix="ms:dur"):
    minutes: int


class Me(ButtonData, prefix="ms:me"):
    """The presser's own name as host or recorder."""


class ScheduleIt(ButtonData, prefix="ms:ok"):
    """Schedule as summarised."""


class ChangeWhen(ButtonData, prefix="ms:redate"):
    """Type the date and time again; the other answers are kept."""


class Attend(ButtonData, prefix="mt:yes"):
    meeting: MeetingId


class AskLeave(ButtonData, prefix="mt:leave"):
    meeting: MeetingId


class CalendarFile(ButtonData, prefix="mt:ics"):
    meeting: MeetingId


class ApproveLeave(ButtonData, prefix="mt:lok"):
    attendance: AttendanceId


class RefuseLeave(ButtonData, prefix="mt:lno"):
    attendance: AttendanceId


class MeetingsPick(ButtonData, prefix="mt:pick"):
    page: int


class ListMeetings(ButtonData, prefix="mt:list"):
    org: OrgId
    page: int


class ShowMeeting(ButtonData, prefix="mt:card"):
    meeting: MeetingId


class PostponeMeeting(ButtonData, prefix="mt:pp"):
    meeting: MeetingId


class AskCancel(ButtonData, prefix="mt:cx"):
    meeting: MeetingId


class ConfirmCancel(ButtonData, prefix="mt:cxy"):
    meeting: MeetingId


class CancelWithoutReason(ButtonData, prefix="mt:cx0"):
    meeting: MeetingId


# Check-in's buttons on a meeting's card: handlers/checkin handles them (and imports these).
class OpenCheckin(ButtonData, prefix="ck:open"):
    """A leader opens check-in: the room code for them, the members told."""

    meeting: MeetingId


class CloseMeeting(ButtonData, prefix="ck:close"):
    """Close the meeting with minutes and attachments (a flow)."""

    meeting: MeetingId


class ShowRoster(ButtonData, prefix="ck:roster"):
    meeting: MeetingId


class EditList(ButtonData, prefix="ml:edit"):
    """A meeting's expected list (handlers/meeting_lists/): who is on it (➖) and who could be
    added (➕), a page at a time; the roster shows it too."""

    meeting: MeetingId
    page: int


def kind_question(t: Translator, org: OrgId, branch: str,
                  base_url: str | None = None) -> tuple[Html, InlineKeyboardMarkup]:
    """The kinds; with a public address, also the schedule form (a Mini App) for this branch."""
    rows: list[list[InlineKeyboardButton]] = [[ChooseKind(org, kind).button(t(label))]
                                              for kind, label in MEETING_KIND_LABELS.items()]
    form = form_button(t, base_url, SCHEDULE_FORM_PATH, N_("📝 Schedule with a form"), org=org)
    if form is not None:
        rows.append([form])
    rows.append([cancel_button(t)])
    return t("<b>{branch}</b>: which kind of meeting?", branch=branch), keyboard(rows)


# -- dates ------------------------------------------------------------------------------------


def example_when(tz: tzinfo, now: datetime) -> str:
    """An example start a week from now, in the accepted format."""
    return (now.astimezone(tz) + timedelta(days=7)).strftime("%Y-%m-%d") + " 14:30"


def nth_weekday(day: date) -> tuple[int, int]:
    """(weekday, nth) of a date: the first Monday is (0, 1); a fifth one counts as the last."""
    nth = (day.day - 1) // 7 + 1
    return day.weekday(), (-1 if nth == 5 else nth)


def repeat_label(t: Translator, day: date) -> Html:
    weekday, nth = nth_weekday(day)
    return t(
        "Monthly, on the {nth} {weekday}", nth=t(ORDINALS[nth]), weekday=t(WEEKDAYS[weekday])
    )


def series_days(day: date, count: int) -> list[date]:
    weekday, nth = nth_weekday(day)
    return rules.monthly_nth_weekday(day, weekday, nth, count)


def span_text(t: Translator, tz: tzinfo, starts_at: datetime, ends_at: datetime) -> Html:
    """"2026-12-01 (Tuesday) 14:30–16:00" in the branch's time zone."""
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    same_day = start.date() == end.date()
    return t(N_("{date} ({weekday}) {start}–{end}") if same_day
             else N_("{date} ({weekday}) {start} – {end}"),
             date=start.date().isoformat(), weekday=t(WEEKDAYS[start.weekday()]),
             start=start.strftime("%H:%M"), end=end.strftime("%H:%M" if same_day
                                                             else "%Y-%m-%d %H:%M"))


def start_text(tz: tzinfo, starts_at: datetime) -> str:
    return starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def meeting_problem(error: MeetingError, tz: tzinfo) -> Problem:
    """Why a meeting change did not happen, for the person who tried it."""
    values = dict(error.values)
    when = values.get("when")
    if isinstance(when, datetime):
        values["when"] = start_text(tz, when)
    message = MEETING_ERRORS.get(error.code)
    if message is None:
        logger.error("meeting error without a message: %s", error.code)
        return Problem(SORRY)
    return Problem(message, **values)


# -- a meeting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingInfo:
    """What a message about a meeting shows; plain values, usable after the session ends."""

    id: int
    org_id: int
    org_name: str
    group_name: str | None
    kind: MeetingKind
    state: MeetingState
    starts_at: datetime
    ends_at: datetime
    place: str | None
    online_url: str | None
    located: bool
    topic: str
    host: str | None
    recorder: str | None
    lecturer: str | None
    cancelled_reason: str | None = None


def details_lines(t: Translator, tz: tzinfo, info: MeetingInfo) -> list[Html]:
    """Kind, organization, time, place or link, topic, host, recorder, lecturer."""
    title = html_format("<b>{kind}</b> · {org}", kind=t(MEETING_KIND_LABELS[info.kind]),
                        org=info.org_name)
    if info.group_name:
        title += " · " + info.group_name
    lines = [title, t("When: {when}", when=span_text(t, tz, info.starts_at, info.ends_at))]
    if info.online_url:
        lines.append(t("Online: {url}", url=info.online_url))
    if info.place:
        lines.append(t("Place: {place}", place=info.place))
    lines.append(t("Topic: {topic}", topic=info.topic))
    people = ((N_("Host: {name}"), info.host), (N_("Recorder: {name}"), info.recorder),
              (N_("Lecturer: {name}"), info.lecturer))
    return lines + [t(label, name=name) for label, name in people if name]


def member_keyboard(
    t: Translator, meeting_id: int, status: AttendanceStatus, state: MeetingState
) -> InlineKeyboardMarkup | None:
    """The buttons a member sees for their own line: attend, ask for leave, calendar."""
    if state not in LIVE_STATES:
        return None
    meeting = MeetingId(meeting_id)
    answers: list[InlineKeyboardButton] = []
    if status not in ARRIVED and status is not AttendanceStatus.ATTENDING:
        answers.append(Attend(meeting).button(t("✅ I will attend")))
    if status in (AttendanceStatus.EXPECTED, AttendanceStatus.ATTENDING):
        answers.append(AskLeave(meeting).button(t("🙋 Ask for leave")))
    return keyboard([answers, [CalendarFile(meeting).button(t("📆 Add to calendar"))]])


def member_message(
    t: Translator, tz: tzinfo, info: MeetingInfo, status: AttendanceStatus,
    heading: Html = BLANK, footer: Html = BLANK,
) -> tuple[Html, InlineKeyboardMarkup | None]:
    """A member's message about a meeting: the details, their answer and their buttons."""
    lines = [heading, *details_lines(t, tz, info), t(ANSWER_LABELS[status]), footer]
    return (html_join("\n", [line for line in lines if line]),
            member_keyboard(t, info.id, status, info.state))


def meeting_line(t: Translator, tz: tzinfo, info: MeetingInfo) -> Html:
    return t("Meeting: {kind}, {when}", kind=t(MEETING_KIND_LABELS[info.kind]),
             when=span_text(t, tz, info.starts_at, info.ends_at))


def leave_request(
    t: Translator, tz: tzinfo, info: MeetingInfo, name: str, reason: str | None, line: AttendanceId
) -> tuple[Html, InlineKeyboardMarkup]:
    """What the branch's leaders are asked to decide."""
    return html_join("\n", [
        t("🙋 <b>Leave request</b> from {name}", name=name),
        meeting_line(t, tz, info),
        t("Reason: {reason}", reason=reason or t("not given")),
    ]), keyboard([[ApproveLeave(line).button(t("✅ Approve leave")),
                   RefuseLeave(line).button(t("❌ Refuse"))]])


def cancelled_text(t: Translator, tz: tzinfo, info: MeetingInfo, reason: str | None) -> Html:
    lines = [t("✖ <b>Meeting cancelled</b>"), *details_lines(t, tz, info)]
    if reason:
        lines.append(t("Reason: {reason}", reason=reason))
    return html_join("\n", lines)


# -- what a branch's leaders see ---------------------------------------------------------------


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


def card(
    t: Translator, tz: tzinfo, info: MeetingInfo, lines: Sequence[tuple[Attendance, Person]],
    note: Html | None = None,
) -> tuple[Html, InlineKeyboardMarkup]:
    """Details, state and the counts of answers; leave requests waiting for a decision."""
    statuses = [a.status for a, _p in lines]
    counted = [s for s in statuses if s not in GUESTS]
    text = [*([note, BLANK] if note else []), *details_lines(t, tz, info),
            t("State: {state}", state=t(MEETING_STATE_LABELS[info.state]))]
    if info.located:
        text.append(t("Location check-in: on"))
    if info.state is MeetingState.CANCELLED and info.cancelled_reason:
        text.append(t("Reason: {reason}", reason=info.cancelled_reason))
    text.append(t("Expected {expected} · attending {attending} · leave requested {requested} · "
                  "on leave {on_leave} · present {present}", expected=len(counted),
                  attending=counted.count(AttendanceStatus.ATTENDING),
                  requested=counted.count(AttendanceStatus.LEAVE_REQUESTED),
                  on_leave=counted.count(AttendanceStatus.ON_LEAVE),
                  present=counted.count(AttendanceStatus.PRESENT)))
    if info.state is MeetingState.CLOSED:
        text.append(t("Absent {absent}", absent=counted.count(AttendanceStatus.ABSENT)))
    guests = [s for s in statuses if s in GUESTS]
    if guests:
        text.append(t("Guests: {invited} invited, {present} present", invited=len(guests),
                      present=guests.count(AttendanceStatus.GUEST_PRESENT)))
    requests = [(a, p) for a, p in lines if a.status is AttendanceStatus.LEAVE_REQUESTED]
    if requests:
        text.append(t("Waiting for a leave decision:"))
        text += [
            "· " + t("{name}: {reason}", name=person_name(t, p),
                     reason=a.leave_reason or t("not given"))
            for a, p in requests[:MAX_LEAVE_SHOWN]
        ]
    return html_join("\n", text), card_keyboard(t, info)


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


LEAVE_FORM_PATH = "/app/leave"  # served by bot/web/miniapp.py
SCHEDULE_FORM_PATH = "/app/schedule"  # served by bot/web/forms/schedule.py
MINUTES_FORM_PATH = "/app/minutes"  # served by bot/web/forms/minutes.py


def leave_form_url(base_url: str | None) -> str | None:
    """The leave form's address, when the bot's web server has a public (https) one."""
    return form_url(base_url, LEAVE_FORM_PATH)


def leave_form_keyboard(t: Translator, base_url: str | None) -> InlineKeyboardMarkup | None:
    """"📝 Ask for leave (form)": the leave form as a Mini App, if the bot has a public URL."""
    form = form_button(t, base_url, LEAVE_FORM_PATH, N_("📝 Ask for leave (form)"))
    return None if form is None else keyboard([[form]])
