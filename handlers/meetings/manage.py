"""/meetings, and what a branch's leaders do with its meetings: the list, a meeting's card,
postponing (everyone on the list is told the new time) and cancelling (with a reason or
without)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import Message

from handlers.access.meetings import access_led_meeting
from handlers.access.orgs import access_led_org
from handlers.kit.actions import LEADERS, Act, CommandArgs, Reply, render
from handlers.kit.buttons import MeetingId, OrgId
from handlers.kit.chat import STALE_BUTTON, Refused
from handlers.kit.flows import Custom, Day, Done, Entry, Flow, Form
from handlers.kit.i18n import N_, Html
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import keyboard
from handlers.labels import MEETING_KIND_LABELS
from handlers.meetings import views
from handlers.meetings.loading import (
    drop_buttons,
    list_messages,
    meeting_info,
    tell_then,
    told_text,
)
from handlers.menu import TEXT_INPUT
from handlers.pickers import managed_orgs
from rules.validation import DEFAULT_MAX_AHEAD, MAX_REASON, Invalid, clean_text
from rules.vocabulary import MeetingState
from storage import meetings as store
from storage.meetings import LIVE_STATES, MeetingError
from storage.models import Meeting

logger = logging.getLogger(__name__)

RECENT = timedelta(days=90)  # closed meetings shown in a leader's list
PICK_ORG = N_("Meetings of which organization?")


def picker(act: Act, rows: Any, page: int) -> Reply:
    return Reply(act.t(PICK_ORG), views.org_picker(
        act.t, rows, page, lambda org: views.ListMeetings(org, 0), views.MeetingsPick))


async def list_meetings(act: Act, _: CommandArgs) -> None:
    """/meetings: my upcoming meetings with my answer; leaders also get the branch's list."""
    t, tz, actor = act.t, act.settings.tzinfo, act.actor
    leads = actor.is_admin or actor.leads_a_branch
    if not actor.is_member and not leads:
        raise Refused(views.NOT_REGISTERED)
    mine: list[Reply] = []
    if actor.is_member and actor.membership_id is not None:
        for meeting, line in await store.upcoming_for(act.session, actor.membership_id,
                                                      act.now()):
            info = await meeting_info(act.session, meeting)
            mine.append(Reply(views.member_text(t, tz, info, line.status),
                              views.member_keyboard(t, info.id, line.status, info.state)))
    orgs = await managed_orgs(act.session, actor, member_kinds_only=True) if leads else []
    replies = [Reply(t("<b>Your upcoming meetings</b>")), *mine] if mine else []
    if not mine and not leads:
        replies.append(Reply(t("You have no upcoming meetings.")))
    if len(orgs) == 1:
        replies.append(await branch_list(act, OrgId(orgs[0].org.id), 0))
    elif orgs:
        replies.append(picker(act, orgs, 0))
    elif leads:
        replies.append(Reply(t("There is no branch to schedule meetings for yet.")))
    update = act.update

    async def show_all() -> None:
        for reply in replies:
            await render(update, reply)

    act.after(show_all)


async def turn_list_page(act: Act, press: views.MeetingsPick) -> Reply:
    return picker(act, await managed_orgs(act.session, act.actor, member_kinds_only=True),
                  press.page)


async def branch_list(act: Act, org_id: OrgId, page: int) -> Reply:
    """A branch's live meetings (soonest first), then those closed recently (latest first)."""
    # Lazily: past meetings (and check-in, which it imports) build on this feature.
    from handlers.past_meetings import RecordPastMeeting

    org = await access_led_org(act, org_id)
    now = act.now()
    found = await store.meetings_between(
        act.session, org.id, now - RECENT, now + DEFAULT_MAX_AHEAD * 3,
        states=(*LIVE_STATES, MeetingState.CLOSED),
    )
    several = act.actor.is_admin or len(
        await managed_orgs(act.session, act.actor, member_kinds_only=True)) > 1
    live = [m for m in found if m.state in LIVE_STATES]
    closed = sorted((m for m in found if m.state is MeetingState.CLOSED),
                    key=lambda m: m.starts_at, reverse=True)
    return Reply(*views.branch_meetings(
        act.t, act.settings.tzinfo, org_id, org.name, live, closed, page, several=several,
        record_past=RecordPastMeeting(org_id)))


async def show_list(act: Act, press: views.ListMeetings) -> Reply:
    return await branch_list(act, press.org, press.page)


async def show_card(act: Act, press: views.ShowMeeting) -> Reply:
    """Details, counts and the leader's buttons."""
    meeting = await access_led_meeting(act, press.meeting)
    info = await meeting_info(act.session, meeting)
    lines = await store.roster(act.session, meeting.id)
    return Reply(*views.card(act.t, act.settings.tzinfo, info, lines))


async def live_meeting(act: Act, meeting_id: MeetingId) -> Meeting:
    meeting = await access_led_meeting(act, meeting_id)
    if meeting.state not in LIVE_STATES:
        raise Refused(views.MEETING_ERRORS["not_live"])
    return meeting


class ChangeForm(Form):
    """The meeting being postponed or cancelled."""

    meeting: MeetingId


async def start_postpone(act: Act, press: views.PostponeMeeting) -> ChangeForm:
    return ChangeForm(meeting=MeetingId((await live_meeting(act, press.meeting)).id))


async def ask_new_time(act: Act, form: ChangeForm) -> Html:
    meeting, t, tz = await access_led_meeting(act, form.meeting), act.t, act.settings.tzinfo
    return t("Postpone {kind} of {when}: type the new date and time as you would say it, for "
             "example tomorrow 9:00, next Wed 14:30 or {example}, or press a day. The length "
             "stays the same; everyone on the list is told.",
             kind=t(MEETING_KIND_LABELS[meeting.kind]),
             when=views.span_text(t, tz, meeting.starts_at, meeting.ends_at),
             example=views.example_when(tz, act.now()))


async def postpone(act: Act, form: ChangeForm, start: datetime) -> Any:
    """The new start: postponed (the length stays), everyone on the list told."""
    tz, by = act.settings.tzinfo, act.actor.telegram_id
    meeting = await access_led_meeting(act, form.meeting)
    before = meeting.starts_at
    try:
        await store.postpone(act.session, meeting, starts_at=start, by=by, now=act.now())
    except MeetingError as error:  # raised before anything is written
        problem = views.meeting_problem(error, tz)
        if error.code == "not_live":
            return Done(act.t(problem.message, **problem.values))
        return problem
    info = await meeting_info(act.session, meeting)
    messages = await list_messages(act, meeting.id, lambda t, status: (
        views.member_text(t, tz, info, status, t("⏰ <b>Meeting moved</b> (it was on {when})",
                                                 when=views.start_text(tz, before))),
        views.member_keyboard(t, info.id, status, info.state)), skip=by)
    logger.info("user %s postponed meeting %s", pseudonym(by), meeting.id)
    t, lines = act.t, await store.roster(act.session, meeting.id)
    tell_then(act, messages, lambda told: views.card(
        t, tz, info, lines, t("Postponed.") + " " + told_text(t, told)))
    return Done()


POSTPONE = Flow(
    name="postpone_meeting",
    prefix="pp",
    form=ChangeForm,
    entry=Entry(views.PostponeMeeting, LEADERS, start_postpone),
    guard=lambda act, form: access_led_meeting(act, form.meeting),
    back=False,
    steps=(Day(key="when", ask=ask_new_time, moment=True, accept=postpone),),
)


async def ask_cancel(act: Act, press: views.AskCancel) -> Reply:
    info = await meeting_info(act.session, await live_meeting(act, press.meeting))
    return Reply(*views.cancel_question(act.t, act.settings.tzinfo, info))


async def start_cancel(act: Act, press: views.ConfirmCancel) -> ChangeForm:
    update = act.update
    act.after(lambda: drop_buttons(update))  # the question asked above is answered
    return ChangeForm(meeting=MeetingId((await live_meeting(act, press.meeting)).id))


async def ask_cancel_reason(act: Act, form: ChangeForm) -> tuple[Html, list[list[Any]]]:
    t, meeting = act.t, form.meeting
    return t("Type the reason members will see, or cancel without a reason."), [
        [views.CancelWithoutReason(meeting).button(t("Cancel without a reason"))],
        [views.ShowMeeting(meeting).button(t("No, keep the meeting"))]]


async def cancel_meeting(act: Act, meeting_id: MeetingId, reason: str | None,
                         shown: Html | None = None) -> Done:
    """Cancelled, and everyone on the list told."""
    tz, by = act.settings.tzinfo, act.actor.telegram_id
    meeting = await access_led_meeting(act, meeting_id)
    try:
        await store.cancel(act.session, meeting, reason=reason, by=by)
    except MeetingError as error:
        problem = views.meeting_problem(error, tz)
        return Done(act.t(problem.message, **problem.values))
    info = await meeting_info(act.session, meeting)
    messages = await list_messages(
        act, meeting.id, lambda t, _status: (views.cancelled_text(t, tz, info, reason), None),
        skip=by)
    logger.info("user %s cancelled meeting %s", pseudonym(by), meeting.id)
    t, back = act.t, views.ListMeetings(OrgId(info.org_id), 0)
    tell_then(act, messages, lambda told: (t("Cancelled.") + " " + told_text(t, told),
                                           keyboard([[back.button(t("‹ Meetings"))]])))
    return Done(shown)


async def enter_cancel_reason(act: Act, form: ChangeForm, message: Message) -> Any:
    reason = clean_text(message.text, max_length=MAX_REASON)
    if isinstance(reason, Invalid):
        return reason
    return await cancel_meeting(act, form.meeting, reason)


async def cancel_without_reason(
    act: Act, form: ChangeForm, press: views.CancelWithoutReason
) -> Done:
    if press.meeting != form.meeting:
        raise Refused(STALE_BUTTON)
    return await cancel_meeting(act, form.meeting, None, act.t("Cancelling…"))


async def keep_meeting(act: Act, form: ChangeForm, press: views.ShowMeeting) -> Reply:
    """No, keep it: its card again."""
    return await show_card(act, press)


CANCEL = Flow(
    name="cancel_meeting",
    prefix="cx",
    form=ChangeForm,
    entry=Entry(views.ConfirmCancel, LEADERS, start_cancel),
    guard=lambda act, form: access_led_meeting(act, form.meeting),
    back=False,
    cancel=False,  # "Cancel" would read as cancelling the meeting: its own buttons say how
    steps=(Custom(key="reason", render=ask_cancel_reason,
                  presses=((views.CancelWithoutReason, cancel_without_reason),
                           (views.ShowMeeting, keep_meeting)),
                  messages=((TEXT_INPUT, enter_cancel_reason),)),),
)


async def press_old_cancel_button(act: Act, press: views.CancelWithoutReason) -> Reply:
    """Cancel without a reason outside its step (pressed twice, or after /cancel)."""
    meeting = await access_led_meeting(act, press.meeting)
    if meeting.state is not MeetingState.CANCELLED:
        raise Refused(STALE_BUTTON)
    return Reply(act.t("This meeting was already cancelled."))
