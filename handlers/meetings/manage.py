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
from handlers.kit.chat import STALE_BUTTON, Refused, deliver_many, send
from handlers.kit.flows import Custom, Day, Done, Entry, Flow, Form
from handlers.kit.i18n import N_, Html, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import keyboard
from handlers.labels import MEETING_KIND_LABELS
from handlers.meetings.cards import branch_meetings, cancel_question, card
from handlers.meetings.loading import meeting_info, recipients_of
from handlers.meetings.steps import drop_buttons
from handlers.meetings.views import (
    MEETING_ERRORS,
    NOT_REGISTERED,
    AskCancel,
    CancelWithoutReason,
    ConfirmCancel,
    ListMeetings,
    MeetingsPick,
    PostponeMeeting,
    ShowMeeting,
    cancelled_text,
    example_when,
    meeting_problem,
    meetings_picker,
    member_keyboard,
    member_text,
    span_text,
    start_text,
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


async def list_meetings(act: Act, _: CommandArgs) -> None:
    """/meetings: my upcoming meetings with my answer; leaders also get the branch's list."""
    t, tz, actor = act.t, act.settings.tzinfo, act.actor
    leads = actor.is_admin or actor.leads_a_branch
    if not actor.is_member and not leads:
        raise Refused(NOT_REGISTERED)
    mine: list[tuple[Html, Any]] = []
    if actor.is_member and actor.membership_id is not None:
        for meeting, line in await store.upcoming_for(act.session, actor.membership_id,
                                                      act.now()):
            info = await meeting_info(act.session, meeting)
            mine.append((member_text(t, tz, info, line.status),
                         member_keyboard(t, info.id, line.status, info.state)))
    orgs = await managed_orgs(act.session, actor, member_kinds_only=True) if leads else []
    replies = [Reply(t("<b>Your upcoming meetings</b>"))] if mine else []
    replies += [Reply(text, markup) for text, markup in mine]
    if not mine and not leads:
        replies.append(Reply(t("You have no upcoming meetings.")))
    if len(orgs) == 1:
        replies.append(await branch_list(act, OrgId(orgs[0].org.id), 0))
    elif orgs:
        replies.append(Reply(t(PICK_ORG), meetings_picker(t, orgs, 0)))
    elif leads:
        replies.append(Reply(t("There is no branch to schedule meetings for yet.")))
    update = act.update

    async def show_all() -> None:
        for reply in replies:
            await render(update, reply)

    act.after(show_all)


async def turn_list_page(act: Act, press: MeetingsPick) -> Reply:
    orgs = await managed_orgs(act.session, act.actor, member_kinds_only=True)
    return Reply(act.t(PICK_ORG), meetings_picker(act.t, orgs, press.page))


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
    return Reply(*branch_meetings(act.t, act.settings.tzinfo, org_id, org.name, live, closed,
                                  page, several=several, record_past=RecordPastMeeting(org_id)))


async def show_list(act: Act, press: ListMeetings) -> Reply:
    return await branch_list(act, press.org, press.page)


async def card_of(act: Act, meeting: Meeting, note: Html | None = None) -> Reply:
    info = await meeting_info(act.session, meeting)
    lines = await store.roster(act.session, meeting.id)
    return Reply(*card(act.t, act.settings.tzinfo, info, lines, note))


async def show_card(act: Act, press: ShowMeeting) -> Reply:
    """Details, counts and the leader's buttons."""
    return await card_of(act, await access_led_meeting(act, press.meeting))


async def live_meeting(act: Act, meeting_id: MeetingId) -> Meeting:
    meeting = await access_led_meeting(act, meeting_id)
    if meeting.state not in LIVE_STATES:
        raise Refused(MEETING_ERRORS["not_live"])
    return meeting


class ChangeForm(Form):
    """The meeting being postponed or cancelled."""

    meeting: MeetingId


async def start_postpone(act: Act, press: PostponeMeeting) -> ChangeForm:
    return ChangeForm(meeting=MeetingId((await live_meeting(act, press.meeting)).id))


async def ask_new_time(act: Act, form: ChangeForm) -> Html:
    meeting, t, tz = await access_led_meeting(act, form.meeting), act.t, act.settings.tzinfo
    return t("Postpone {kind} of {when}: type the new date and time as you would say it, for "
             "example tomorrow 9:00, next Wed 14:30 or {example}, or press a day. The length "
             "stays the same; everyone on the list is told.",
             kind=t(MEETING_KIND_LABELS[meeting.kind]),
             when=span_text(t, tz, meeting.starts_at, meeting.ends_at),
             example=example_when(tz, act.now()))


async def postpone(act: Act, form: ChangeForm, start: datetime) -> Any:
    """The new start: postponed (the length stays), everyone on the list told."""
    meeting, tz = await access_led_meeting(act, form.meeting), act.settings.tzinfo
    before = meeting.starts_at
    try:
        await store.postpone(act.session, meeting, starts_at=start, by=act.actor.telegram_id,
                             now=act.now())
    except MeetingError as error:  # raised before anything is written
        problem = meeting_problem(error, tz)
        if error.code == "not_live":
            return Done(act.t(problem.message, **problem.values))
        return problem
    info = await meeting_info(act.session, meeting)
    messages = []
    for recipient in await recipients_of(act.session, meeting.id, skip=act.actor.telegram_id):
        t = translator(recipient.language)
        heading = t("⏰ <b>Meeting moved</b> (it was on {when})", when=start_text(tz, before))
        messages.append((recipient.telegram_id,
                         member_text(t, tz, info, recipient.status, heading),
                         member_keyboard(t, info.id, recipient.status, info.state)))
    logger.info("user %s postponed meeting %s", pseudonym(act.actor.telegram_id), meeting.id)
    t, update, context = act.t, act.update, act.context
    lines = await store.roster(act.session, meeting.id)

    async def tell() -> None:
        told = await deliver_many(context, messages)
        note = t("Postponed.") + " " + t.plural("{n} person was told.", "{n} people were told.",
                                                 told)
        text, markup = card(t, tz, info, lines, note)
        await send(update, text, reply_markup=markup)

    act.after(tell)
    return Done()


POSTPONE = Flow(
    name="postpone_meeting",
    prefix="pp",
    form=ChangeForm,
    entry=Entry(PostponeMeeting, LEADERS, start_postpone),
    guard=lambda act, form: access_led_meeting(act, form.meeting),
    back=False,
    steps=(Day(key="when", ask=ask_new_time, moment=True, accept=postpone),),
)


async def ask_cancel(act: Act, press: AskCancel) -> Reply:
    """Are you sure?"""
    meeting = await live_meeting(act, press.meeting)
    info = await meeting_info(act.session, meeting)
    return Reply(*cancel_question(act.t, act.settings.tzinfo, info))


async def start_cancel(act: Act, press: ConfirmCancel) -> ChangeForm:
    update = act.update
    act.after(lambda: drop_buttons(update))  # the question asked above is answered
    return ChangeForm(meeting=MeetingId((await live_meeting(act, press.meeting)).id))


async def ask_cancel_reason(act: Act, form: ChangeForm) -> tuple[Html, list[list[Any]]]:
    t, meeting = act.t, form.meeting
    return t("Type the reason members will see, or cancel without a reason."), [
        [CancelWithoutReason(meeting).button(t("Cancel without a reason"))],
        [ShowMeeting(meeting).button(t("No, keep the meeting"))]]


async def cancel_meeting(act: Act, meeting_id: MeetingId, reason: str | None,
                         shown: Html | None = None) -> Done:
    """Cancelled, and everyone on the list told."""
    tz = act.settings.tzinfo
    meeting = await access_led_meeting(act, meeting_id)
    try:
        await store.cancel(act.session, meeting, reason=reason, by=act.actor.telegram_id)
    except MeetingError as error:
        problem = meeting_problem(error, tz)
        return Done(act.t(problem.message, **problem.values))
    info = await meeting_info(act.session, meeting)
    messages = []
    for recipient in await recipients_of(act.session, meeting.id, skip=act.actor.telegram_id):
        t = translator(recipient.language)
        messages.append((recipient.telegram_id, cancelled_text(t, tz, info, reason), None))
    logger.info("user %s cancelled meeting %s", pseudonym(act.actor.telegram_id), meeting.id)
    t, update, context, back = act.t, act.update, act.context, ListMeetings(OrgId(info.org_id), 0)

    async def tell() -> None:
        told = await deliver_many(context, messages)
        await send(update, t("Cancelled.") + " " + t.plural(
            "{n} person was told.", "{n} people were told.", told),
            reply_markup=keyboard([[back.button(t("‹ Meetings"))]]))

    act.after(tell)
    return Done(shown)


async def enter_cancel_reason(act: Act, form: ChangeForm, message: Message) -> Any:
    reason = clean_text(message.text, max_length=MAX_REASON)
    if isinstance(reason, Invalid):
        return reason
    return await cancel_meeting(act, form.meeting, reason)


async def cancel_without_reason(act: Act, form: ChangeForm, press: CancelWithoutReason) -> Done:
    if press.meeting != form.meeting:
        raise Refused(STALE_BUTTON)
    return await cancel_meeting(act, form.meeting, None, act.t("Cancelling…"))


async def keep_meeting(act: Act, form: ChangeForm, press: ShowMeeting) -> Done:
    """No, keep it: its card again."""
    reply = await show_card(act, press)
    return Done(reply.text, reply.markup)


CANCEL = Flow(
    name="cancel_meeting",
    prefix="cx",
    form=ChangeForm,
    entry=Entry(ConfirmCancel, LEADERS, start_cancel),
    guard=lambda act, form: access_led_meeting(act, form.meeting),
    back=False,
    cancel=False,  # "Cancel" would read as cancelling the meeting: its own buttons say how
    steps=(Custom(key="reason", render=ask_cancel_reason,
                  presses=((CancelWithoutReason, cancel_without_reason),
                           (ShowMeeting, keep_meeting)),
                  messages=((TEXT_INPUT, enter_cancel_reason),)),),
)


async def press_old_cancel_button(act: Act, press: CancelWithoutReason) -> Reply:
    """Cancel without a reason outside its step (pressed twice, or after /cancel)."""
    meeting = await access_led_meeting(act, press.meeting)
    if meeting.state is not MeetingState.CANCELLED:
        raise Refused(STALE_BUTTON)
    return Reply(act.t("This meeting was already cancelled."))

