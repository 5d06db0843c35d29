"""Members answer for their own line: they will attend, or ask for leave with a reason (the
branch's leaders approve or refuse it); and anyone on the list gets a calendar file."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message

from handlers.access.meetings import (
    access_led_meeting_line,
    access_own_line,
    access_seen_meeting,
)
from handlers.kit.actions import MEMBERS, Act, Reply
from handlers.kit.buttons import MeetingId
from handlers.kit.chat import STALE_BUTTON, Refused, deliver
from handlers.kit.flows import Custom, Done, Entry, Flow, Form
from handlers.kit.i18n import N_, Html, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import person_name
from handlers.labels import MEETING_KIND_LABELS
from handlers.ledger import send_ics
from handlers.meetings import views
from handlers.meetings.loading import meeting_info, tell_then
from handlers.menu import TEXT_INPUT
from rules.validation import MAX_REASON, Invalid, clean_text
from rules.vocabulary import AttendanceStatus
from storage import meetings as store
from storage import people
from storage.meetings import LIVE_STATES, MeetingError

logger = logging.getLogger(__name__)


async def attend(act: Act, press: views.Attend) -> Reply:
    """The member (or guest) will attend: their message shows the answer."""
    meeting, line = await access_own_line(act, press.meeting)
    try:
        await store.answer(act.session, meeting, line.membership_id, attending=True)
    except MeetingError as error:
        raise Refused(views.MEETING_ERRORS.get(error.code, STALE_BUTTON)) from None
    info = await meeting_info(act.session, meeting)
    return Reply(views.member_text(act.t, act.settings.tzinfo, info, line.status),
                 views.member_keyboard(act.t, info.id, line.status, info.state))


class LeaveForm(Form):
    meeting: MeetingId


async def start_leave(act: Act, press: views.AskLeave) -> LeaveForm:
    """Only a member expected (or attending) may ask, once."""
    meeting, line = await access_own_line(act, press.meeting)
    if meeting.state not in LIVE_STATES:
        raise Refused(views.MEETING_ERRORS["not_live"])
    refusals = {
        **dict.fromkeys(views.GUESTS, N_("Guests are not counted, so they need no leave.")),
        **dict.fromkeys(views.ARRIVED, views.MEETING_ERRORS["already_present"]),
        AttendanceStatus.LEAVE_REQUESTED:
            N_("You have already asked for leave; your secretary will decide."),
        AttendanceStatus.ON_LEAVE: N_("Your leave for this meeting is already approved."),
    }
    if line.status in refusals:
        raise Refused(refusals[line.status])
    return LeaveForm(meeting=MeetingId(meeting.id))


async def ask_reason(act: Act, form: LeaveForm) -> tuple[Html, list[list[Any]]]:
    meeting, _line = await access_own_line(act, form.meeting)
    t = act.t
    return t("Ask for leave from {kind}, {when}: why can you not attend? Type the reason; "
             "your secretary will see it.", kind=t(MEETING_KIND_LABELS[meeting.kind]),
             when=views.span_text(t, act.settings.tzinfo, meeting.starts_at, meeting.ends_at)), []


async def attend_instead(act: Act, form: LeaveForm, press: views.Attend) -> Reply:
    """"I will attend" while the reason is asked: no leave after all."""
    return await attend(act, press)


async def enter_reason(act: Act, form: LeaveForm, message: Message) -> Any:
    """The typed reason: recorded, and the branch's leaders asked to decide."""
    reason = clean_text(message.text, max_length=MAX_REASON)
    if isinstance(reason, Invalid):
        return reason
    tz, session = act.settings.tzinfo, act.session
    meeting, line = await access_own_line(act, form.meeting)
    try:
        await store.answer(session, meeting, line.membership_id, attending=False, reason=reason)
    except MeetingError as error:
        return Done(act.t(views.MEETING_ERRORS.get(error.code, STALE_BUTTON)))
    info = await meeting_info(session, meeting)
    person = await people.person_by_telegram_id(session, act.actor.telegram_id)
    leaders = [(p.telegram_id, p.language)
               for p, _org in await people.leaders_of(session, meeting.party_organization_id)]
    others = [leader for leader in leaders if leader[0] != act.actor.telegram_id]
    messages = []
    for telegram_id, language in others or leaders:
        t = translator(language)
        name = person_name(t, person) if person is not None else "?"
        messages.append((telegram_id, views.leave_request_text(t, tz, info, name, reason),
                         views.leave_request_keyboard(t, line.id)))
    logger.info("membership %s asked leave from meeting %s", line.membership_id, meeting.id)
    t, asked = act.t, AttendanceStatus.LEAVE_REQUESTED
    nobody = t("Nobody could be told yet; please tell your secretary yourself.")
    tell_then(act, messages, lambda told: (
        views.member_text(t, tz, info, asked) + ("" if told else "\n" + nobody),
        views.member_keyboard(t, info.id, asked, info.state)))
    return Done()


LEAVE = Flow(
    name="ask_leave",
    prefix="lv",
    form=LeaveForm,
    entry=Entry(views.AskLeave, MEMBERS, start_leave),
    guard=lambda act, form: access_own_line(act, form.meeting),
    back=False,
    steps=(Custom(key="reason", render=ask_reason, presses=((views.Attend, attend_instead),),
                  messages=((TEXT_INPUT, enter_reason),)),),
)


async def decide_leave(act: Act, press: views.ApproveLeave | views.RefuseLeave) -> Reply:
    """Once; a second press says it was decided already."""
    approve = isinstance(press, views.ApproveLeave)
    line = await access_led_meeting_line(act, press.attendance)
    meeting, person = line.meeting, line.membership.person
    if meeting.state not in LIVE_STATES:
        raise Refused(views.MEETING_ERRORS["not_live"])
    info = await meeting_info(act.session, meeting)
    applied = await store.decide_leave(act.session, line, approve=approve,
                                       by=act.actor.telegram_id)
    t, tz, status = act.t, act.settings.tzinfo, line.status
    name = person_name(t, person)
    if not applied:
        return Reply(t("The leave request of {name} was already decided or withdrawn.",
                       name=name) + "\n" + views.meeting_line(t, tz, info))
    logger.info("user %s %s leave on attendance %s", pseudonym(act.actor.telegram_id),
                "approved" if approve else "refused", line.id)
    done = (t("✅ Leave approved for {name}.", name=name) if approve
            else t("❌ Leave refused for {name}.", name=name))
    t = translator(person.language)
    told = (t("✅ Your leave was approved.") if approve
            else t("❌ Your leave request was not approved; you are expected to attend."))
    text = views.member_text(t, tz, info, status, told)
    markup = views.member_keyboard(t, info.id, status, info.state)
    context, telegram_id = act.context, person.telegram_id
    act.after(lambda: deliver(context, telegram_id, text, reply_markup=markup))
    return Reply(done + "\n" + views.meeting_line(act.t, tz, info))


async def calendar_file(act: Act, press: views.CalendarFile) -> None:
    """The calendar file, for people on the list and the branch's leaders."""
    meeting = await access_seen_meeting(act, press.meeting)
    update, context, meeting_id = act.update, act.context, meeting.id
    act.after(lambda: send_ics(update, context, meeting_id))  # it answers the press itself
