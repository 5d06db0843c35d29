"""Corrections after closing: one line's status, or the minutes, each with a typed reason kept
in the log with who made it."""

from __future__ import annotations

import logging

from handlers.access.meetings import access_led_meeting, access_led_meeting_line
from handlers.checkin import record_views, views
from handlers.checkin.closing import read_minutes
from handlers.checkin.leading import refuse_if_not_closed
from handlers.checkin.roster import record_reply, roster_reply
from handlers.kit.actions import LEADERS, Act, Reply
from handlers.kit.buttons import AttendanceId, MeetingId
from handlers.kit.chat import STALE_BUTTON, Refused
from handlers.kit.flows import Entry, Flow, Form, Text, cleaned
from handlers.kit.i18n import Html
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import person_name
from handlers.labels import ATTENDANCE_STATUS_LABELS
from rules.validation import MAX_REASON
from rules.vocabulary import AttendanceStatus
from storage import meetings as store

logger = logging.getLogger(__name__)


class EditForm(Form):
    """A line to correct (attendance, status) or the minutes of a meeting."""

    attendance: AttendanceId | None = None
    status: AttendanceStatus | None = None
    meeting: MeetingId | None = None
    minutes: str | None = None


async def start_fix(act: Act, press: views.FixTo) -> EditForm:
    """A status the line may take; then its reason is asked."""
    attendance = await access_led_meeting_line(act, press.attendance)
    refuse_if_not_closed(attendance.meeting)
    allowed = (views.GUEST_FIXES if attendance.status in views.GUEST_LINES
               else views.MEMBER_FIXES)
    if press.status not in allowed or press.status is attendance.status:
        raise Refused(STALE_BUTTON)
    return EditForm(attendance=press.attendance, status=press.status)


async def start_minutes(act: Act, press: views.EditMinutes) -> EditForm:
    refuse_if_not_closed(await access_led_meeting(act, press.meeting))
    return EditForm(meeting=press.meeting)


async def guard(act: Act, form: EditForm) -> object:
    if form.attendance is not None:
        return await access_led_meeting_line(act, form.attendance)
    assert form.meeting is not None
    return await access_led_meeting(act, form.meeting)


async def ask_minutes(act: Act, form: EditForm) -> Html:
    assert form.meeting is not None
    meeting, t = await access_led_meeting(act, form.meeting), act.t
    return (t("Minutes of {meeting} now:", meeting=views.title(t, act.settings.tzinfo, meeting))
            + "\n" + record_views.minutes_text(meeting) + "\n\n"
            + t("Type the corrected minutes (at most {limit} characters).",
                limit=views.MAX_MINUTES))


async def ask_reason(act: Act, form: EditForm) -> Html:
    if form.attendance is None:
        return act.t("Why are the minutes changed? Type the reason; it is kept in the log with "
                     "your name.")
    assert form.status is not None
    attendance = await access_led_meeting_line(act, form.attendance)
    return act.t("Change {name} from {before} to {after}. Type the reason; it is kept in the "
                 "log with your name.", name=person_name(act.t, attendance.membership.person),
                 before=act.t(ATTENDANCE_STATUS_LABELS[attendance.status]),
                 after=act.t(ATTENDANCE_STATUS_LABELS[form.status]))


async def correct(act: Act, form: EditForm, reason: str) -> Reply:
    """The reason typed: the change is made and logged."""
    if form.attendance is not None:
        return await correct_line(act, form, reason)
    return await replace_minutes(act, form, reason)


async def correct_line(act: Act, form: EditForm, reason: str) -> Reply:
    assert form.attendance is not None and form.status is not None
    attendance = await access_led_meeting_line(act, form.attendance)
    refuse_if_not_closed(attendance.meeting)
    before, status = attendance.status, form.status
    name = person_name(act.t, attendance.membership.person)
    if status is not before:
        await store.correct_attendance(act.session, attendance, status=status,
                                       by=act.actor.telegram_id, reason=reason,
                                       tz=act.settings.tzinfo)
    logger.info("user %s corrected attendance %s: %s -> %s", pseudonym(act.actor.telegram_id),
                attendance.id, before.value, status.value)
    note = act.t("✏️ {name}: {before} → {after}. The change and its reason are logged.",
                 name=name, before=act.t(ATTENDANCE_STATUS_LABELS[before]),
                 after=act.t(ATTENDANCE_STATUS_LABELS[status]))
    return await roster_reply(act, attendance.meeting, note=note, showing=attendance.id,
                              new=True)


async def replace_minutes(act: Act, form: EditForm, reason: str) -> Reply:
    assert form.meeting is not None
    meeting = await access_led_meeting(act, form.meeting)
    refuse_if_not_closed(meeting)
    if not form.minutes:
        raise Refused(STALE_BUTTON)
    await store.edit_closed(act.session, meeting, field="minutes", value=form.minutes,
                            by=act.actor.telegram_id, reason=reason)
    logger.info("user %s edited the minutes of closed meeting %s",
                pseudonym(act.actor.telegram_id), meeting.id)
    note = act.t("✏️ Minutes changed. The change and its reason are logged.")
    return await record_reply(act, meeting, note)


EDIT_RECORD = Flow(
    name="meeting_edit",
    prefix="ck",
    form=EditForm,
    entry=(Entry(views.FixTo, LEADERS, start_fix, edit=True),
           Entry(views.EditMinutes, LEADERS, start_minutes)),
    guard=guard,
    back=False,
    steps=(
        Text(key="minutes", ask=ask_minutes, read=read_minutes,
             when=lambda form: form.meeting is not None),
        Text(key="reason", ask=ask_reason, read=cleaned(MAX_REASON, correct)),
    ),
)
