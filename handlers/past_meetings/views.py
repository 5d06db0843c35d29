"""Texts and buttons of recording a past meeting (pure: no Telegram calls, no database)."""

from __future__ import annotations

from datetime import date, time

from pydantic import Field
from telegram import InlineKeyboardButton

from handlers.kit.buttons import ButtonData, MembershipId, OrgId
from handlers.kit.flows import Form
from handlers.kit.i18n import N_, Html, Translator, html_join
from handlers.kit.ui import paged_rows
from handlers.labels import MEETING_KIND_LABELS, WEEKDAYS
from rules.vocabulary import AttendanceStatus, MeetingKind

NEXT_STATUS = {
    AttendanceStatus.PRESENT: AttendanceStatus.ON_LEAVE,
    AttendanceStatus.ON_LEAVE: AttendanceStatus.ABSENT,
    AttendanceStatus.ABSENT: AttendanceStatus.PRESENT,
}
MARKS = {AttendanceStatus.PRESENT: "✅", AttendanceStatus.ON_LEAVE: "🟡",
         AttendanceStatus.ABSENT: "❌"}
ERRORS = {
    "in_future": N_("That day is in the future. Schedule a coming meeting with /schedule."),
    "before_branch": N_("That day is before the branch existed (it is known from {day}). "
                        "Please check the date."),
    "same_day": N_("A meeting of this kind is already recorded on that day; it is not entered "
                   "twice."),
    "group_needed": N_("Please choose the party group again."),
    "not_in_branch": N_("The members of the branch changed meanwhile. Please start again."),
}
DATE_HELP = N_(
    "Please type the day like {example}, optionally with the time (like {example} 14:30)."
)


class ToggleAttendance(ButtonData, prefix="pm:t"):
    """present → on leave → absent → present, for one member on the list."""

    membership: MembershipId


class PeoplePage(ButtonData, prefix="pm:pg"):
    page: int


class PeopleDone(ButtonData, prefix="pm:next"):
    """The attendance is complete: the minutes next."""


class PastMeetingForm(Form):
    org: OrgId
    kind: MeetingKind | None = None
    group: int | None = None
    day: date | None = None
    at: time | None = None
    topic: str | None = None
    people: dict[int, tuple[str, AttendanceStatus]] = Field(default_factory=dict)  # by membership
    page: int = 0
    minutes: str | None = None


def intro(t: Translator, branch: str) -> Html:
    return html_join("\n", [
        t("<b>Record a past meeting</b> of {branch}", branch=branch),
        t("For a meeting held before the branch used the bot, or while it was down. It is "
          "marked as entered afterwards, counts for compliance and appears in the ledger. "
          "Nobody is asked to catch up for it."),
    ])


def day_text(t: Translator, form: PastMeetingForm) -> str:
    assert form.day is not None
    text = f"{form.day.isoformat()} {t(WEEKDAYS[form.day.weekday()])}"
    return f"{text} {form.at:%H:%M}" if form.at else text


def counts(form: PastMeetingForm) -> dict[str, int]:
    statuses = [status for _name, status in form.people.values()]
    return {"present": statuses.count(AttendanceStatus.PRESENT),
            "on_leave": statuses.count(AttendanceStatus.ON_LEAVE),
            "absent": statuses.count(AttendanceStatus.ABSENT)}


def people(t: Translator, form: PastMeetingForm) -> tuple[Html, list[list[InlineKeyboardButton]]]:
    """Who was there, a page of name buttons, and Continue."""
    lines = [
        t("Who was there? Press a name to change it: ✅ present → 🟡 on leave → ❌ absent."),
        t("Present {present} · on leave {on_leave} · absent {absent}", **counts(form)),
    ]
    if not form.people:
        lines.append(t("Nobody in the branch is expected at this kind of meeting."))
    names = [ToggleAttendance(MembershipId(mid)).button(f"{MARKS[status]} {name}")
             for mid, (name, status) in form.people.items()]
    return html_join("\n", lines), paged_rows(t, names, form.page, PeoplePage,
                                              [[PeopleDone().button(t("Continue ›"))]])


def summary(t: Translator, form: PastMeetingForm) -> Html:
    assert form.kind is not None
    return html_join("\n", [
        t("Record this meeting as entered afterwards?"),
        t("{kind} «{topic}», {day}", kind=t(MEETING_KIND_LABELS[form.kind]),
          topic=form.topic, day=day_text(t, form)),
        t("Expected {expected} · present {present} · on leave {on_leave} · absent {absent}",
          expected=len(form.people), **counts(form)),
        t("It counts for compliance; nobody is asked to catch up for it."),
    ])
