"""Texts and keyboards of closing a meeting, its frozen record and catching up
(pure: no Telegram calls, no database)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from handlers.checkin import views
from handlers.kit.actions import Reply
from handlers.kit.buttons import AttendanceId, MeetingId
from handlers.kit.i18n import BLANK, N_, Html, Translator, escape, html_format, html_join
from handlers.kit.steps import Rows
from handlers.kit.ui import keyboard, person_name
from handlers.meetings.views import AskCancel, PostponeMeeting, ShowMeeting
from rules import meetings as rules
from rules.vocabulary import AttendanceStatus, MeetingKind
from storage.models import Meeting

CLOSE_AND_FREEZE = N_("🔒 Close and freeze")


def quorum_line(t: Translator, meeting: Meeting, counts: rules.LedgerCounts) -> Html | None:
    """For a committee meeting without more than half of the committee: say so."""
    if meeting.kind is not MeetingKind.COMMITTEE:
        return None
    if rules.committee_quorum_met(counts.present, counts.expected):
        return None
    return t("⚠️ Quorum not met: {present} of {size} committee members present; more than "
             "half is needed.", present=counts.present, size=counts.expected)


def minutes_text(meeting: Meeting) -> Html:
    """The minutes, escaped and shortened for a message."""
    return escape(views.shorten(meeting.minutes or "", views.MINUTES_SHOWN))


def name_list(t: Translator, names: list[Html]) -> Html:
    shown = html_join(", ", names[:views.NAMES_SHOWN])
    if len(names) > views.NAMES_SHOWN:
        shown = html_join(" ", [shown, t("and {n} more", n=len(names) - views.NAMES_SHOWN)])
    return shown


def record_text(t: Translator, tz: ZoneInfo, meeting: Meeting, rows: views.Rows, files: int,
                closer: str) -> Html:
    """The frozen record: 应到 / 实到 / 请假 / 缺席, minutes and attachments."""
    counts = rules.ledger_counts({a.id: a.status for a, _p in rows})
    lines = [t("<b>Record</b> of {meeting}", meeting=views.title(t, tz, meeting))]
    if meeting.place:
        lines.append(t("Place: {place}", place=meeting.place))
    for label, value in ((N_("Host: {name}"), meeting.host),
                         (N_("Recorder: {name}"), meeting.recorder),
                         (N_("Lecturer: {name}"), meeting.lecturer)):
        if value:
            lines.append(t(label, name=value))
    lines.append(views.counts_line(t, counts))
    quorum = quorum_line(t, meeting, counts)
    if quorum:
        lines.append(quorum)
    on_leave = [
        html_format("{name} ({reason})", name=person_name(t, p), reason=a.leave_reason)
        if a.leave_reason else escape(person_name(t, p))
        for a, p in rows if a.status is AttendanceStatus.ON_LEAVE
    ]
    absent = [escape(person_name(t, p)) for a, p in rows if a.status is AttendanceStatus.ABSENT]
    if on_leave:
        lines.append(t("On leave: {names}", names=name_list(t, on_leave)))
    if absent:
        lines.append(t("Absent: {names}", names=name_list(t, absent)))
    if meeting.entered_afterwards and meeting.closed_at is not None:
        lines.append(t("📝 Entered afterwards by {name} on {day}; not run in the bot.",
                       name=closer, day=meeting.closed_at.astimezone(tz).date().isoformat()))
    elif meeting.closed_at is not None:
        lines.append(t("Closed by {name} at {time}.", name=closer,
                       time=meeting.closed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")))
    lines += [BLANK, t("<b>Minutes</b>"), minutes_text(meeting),
              t("Attachments: {n}", n=files)]
    return html_join("\n", lines)


def record(t: Translator, tz: ZoneInfo, meeting: Meeting, rows: views.Rows, files: int, closer: str,
           note: Html | None = None, *, new: bool = True) -> Reply:
    """The record with the roster and minutes buttons (a note above it)."""
    text = record_text(t, tz, meeting, rows, files, closer)
    mid = MeetingId(meeting.id)
    files_row = [views.ShowAttachments(mid).button(
        t.plural("📎 {n} attachment", "📎 {n} attachments", files))] if files else []
    return Reply(note + "\n\n" + text if note else text,
                 keyboard([[views.ShowRoster(mid).button(t("📋 Roster")),
                            views.EditMinutes(mid).button(t("✏️ Edit minutes"))], files_row]),
                 new=new)


def catch_up(t: Translator, tz: ZoneInfo, meeting: Meeting,
             attendance: AttendanceId) -> tuple[Html, InlineKeyboardMarkup]:
    """What an absent member is asked, with the button to confirm the catch-up."""
    lines = [t("You were absent from {meeting}.", meeting=views.title(t, tz, meeting)),
             t("Please catch up (补学): read the minutes below, ask your secretary for the "
               "materials, then press the button.")]
    if meeting.minutes:
        lines += [BLANK, t("<b>Minutes</b>"), minutes_text(meeting)]
    return html_join("\n", lines), keyboard([[views.ConfirmMakeup(attendance).button(
        t("✅ I have caught up"))]])


def makeup_answer(t: Translator, tz: ZoneInfo, meeting: Meeting, done: bool,
                  already: datetime | None) -> Html:
    """What the member reads after "I have caught up"."""
    about = views.title(t, tz, meeting)
    if done:
        return t("✅ Thank you. Your catch-up of {meeting} is recorded.", meeting=about)
    if already is not None:
        return t("Your catch-up of {meeting} was already recorded on {date}.", meeting=about,
                 date=already.astimezone(tz).date().isoformat())
    return t("There is nothing to catch up for {meeting}.", meeting=about)


# -- closing ----------------------------------------------------------------------------------


def not_started(t: Translator, tz: ZoneInfo, meeting: Meeting,
                now: datetime) -> tuple[Html, InlineKeyboardMarkup]:
    """Why a meeting that has not begun cannot be closed; postpone or cancel instead."""
    text = t("{meeting} has not started yet (it starts at {time}). A meeting is closed after it "
             "was held; closing it now would record everyone not checked in as absent. To call "
             "it off, postpone or cancel it.",
             meeting=views.title(t, tz, meeting), time=views.clock(tz, meeting.starts_at, now))
    mid = MeetingId(meeting.id)
    return text, keyboard([[PostponeMeeting(mid).button(t("⏰ Postpone")),
                            AskCancel(mid).button(t("✖ Cancel meeting"))],
                           [ShowMeeting(mid).button(t("‹ Back"))]])


def attachments(t: Translator, meeting: MeetingId, files: int, prompt: str) -> tuple[Html, Rows]:
    """What the attachments step says after the minutes, a file, or text."""
    if prompt == "attached":
        text = t.plural("Attached ({n} file so far). Send more or press Done.",
                        "Attached ({n} files so far). Send more or press Done.", files)
    elif prompt == "waiting":
        text = t("Send photos or documents, or press Done.")
    else:
        text = t("Minutes noted. Now send photos or documents of the meeting (sign-in sheet, "
                 "materials), one per message, or press Done.")
    return text, [[views.CloseDone(meeting).button(t("Done"))]]


def confirm_close(t: Translator, tz: ZoneInfo, meeting: Meeting, rows: views.Rows,
                  files: int) -> Html:
    """The counts the record will freeze, before closing."""
    counts = rules.ledger_counts({a.id: a.status for a, _p in rows})
    lines = [
        t("Close {meeting} and freeze its record?", meeting=views.title(t, tz, meeting)),
        views.counts_line(t, counts),
        t("Everyone not checked in and without approved leave is recorded absent."),
        t.plural("{n} attachment.", "{n} attachments.", files),
    ]
    quorum = quorum_line(t, meeting, counts)
    if quorum:
        lines.append(quorum + " " + t("The meeting is still recorded, with this noted."))
    return html_join("\n", lines)
