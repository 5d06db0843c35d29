"""/meetings and what is done with a meeting once scheduled: members answer for their own line
(attend, or ask for leave with a reason that the branch's leaders approve or refuse) and get a
calendar file; a branch's leaders see its list and a meeting's card, postpone it (everyone on
the list is told the new time) or cancel it (with a reason or without). Also what scheduling
shares: a meeting as plain values and telling everyone on its list."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.access.meetings import (
    access_led_meeting,
    access_led_meeting_line,
    access_own_line,
    access_seen_meeting,
)
from handlers.access.orgs import access_led_org
from handlers.kit.actions import ANYONE, LEADERS, MEMBERS, Act, Checker, CommandArgs, Reply
from handlers.kit.buttons import AttendanceId, MeetingId, OrgId
from handlers.kit.chat import STALE_BUTTON, Outgoing, Refused, ReplyMarkup, drop_buttons
from handlers.kit.flows import AnyStep, Custom, Day, Done, Entry, Flow, Form, cleaned
from handlers.kit.i18n import BLANK, N_, Html, Translator, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import keyboard, person_name
from handlers.labels import MEETING_KIND_LABELS
from handlers.ledger import send_ics
from handlers.meetings import post_views, views
from handlers.pickers import Picker, managed_orgs
from rules.permissions import Actor
from rules.validation import DEFAULT_MAX_AHEAD, MAX_REASON
from rules.vocabulary import AttendanceStatus, MeetingState
from storage import meetings as store
from storage import people
from storage.meetings import LIVE_STATES, MeetingError, MeetingPlan
from storage.models import Attendance, Meeting, PartyGroup, PartyOrganization

logger = logging.getLogger(__name__)
# The message of one person on a meeting's list, in their language, for their status.
Writer = Callable[[Translator, AttendanceStatus], tuple[Html, ReplyMarkup | None]]


# -- shared with scheduling ---------------------------------------------------------------------


async def meeting_info(session: AsyncSession, meeting: Meeting | MeetingPlan
                       ) -> views.MeetingInfo:
    """A meeting as plain values; a plan (being scheduled) as the meeting it will be."""
    if isinstance(meeting, MeetingPlan):
        meeting_id, org_id, state, reason = 0, meeting.org_id, MeetingState.SCHEDULED, None
    else:
        meeting_id, org_id, state, reason = (meeting.id, meeting.party_organization_id,
                                             meeting.state, meeting.cancelled_reason)
    org = await session.get(PartyOrganization, org_id)
    group = (
        await session.get(PartyGroup, meeting.party_group_id) if meeting.party_group_id else None
    )
    return views.MeetingInfo(
        id=meeting_id, org_id=org_id, org_name=org.name if org else "?",
        group_name=group.name if group else None, kind=meeting.kind, state=state,
        starts_at=meeting.starts_at, ends_at=meeting.ends_at, place=meeting.place,
        online_url=meeting.online_url,
        located=meeting.latitude is not None and meeting.longitude is not None,
        topic=meeting.topic, host=meeting.host, recorder=meeting.recorder,
        lecturer=meeting.lecturer, cancelled_reason=reason,
    )


async def list_messages(
    act: Checker, meeting_id: int, write: Writer, *, skip: int | None = None
) -> list[Outgoing]:
    """A message to everyone on a meeting's list (guests too) in their language, but `skip`."""
    return [
        (person.telegram_id, *write(translator(person.language), attendance.status))
        for attendance, person in await store.roster(act.session, meeting_id)
        if person.telegram_id != skip
    ]


def told_text(t: Translator, told: int) -> Html:
    return t.plural("{n} person was told.", "{n} people were told.", told)


# -- /meetings, the card, postponing and cancelling ------------------------------------------


RECENT = timedelta(days=90)  # closed meetings shown in a leader's list
PICKER = Picker(N_("Meetings of which organization?"), lambda org: views.ListMeetings(org, 0),
                views.MeetingsPick)


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
            mine.append(Reply(*views.member_message(t, tz, info, line.status)))
    form = views.leave_form_keyboard(t, act.settings.forms_url) if mine else None
    replies: list[Reply | None] = [Reply(t("<b>Your upcoming meetings</b>"), form), *mine
                                   ] if mine else []
    if not mine and not leads:
        replies.append(Reply(t("You have no upcoming meetings.")))
    if leads:  # the branch's list, or a choice of organizations first
        replies.append(await PICKER.open(
            act, nothing=views.NO_BRANCH,
            on_one=lambda org: show_list(act, views.ListMeetings(org, 0))))
    for reply in replies:
        if reply is not None:
            act.follow(reply)


async def show_list(act: Act, press: views.ListMeetings) -> Reply:
    """A branch's live meetings (soonest first), then those closed recently (latest first)."""
    org_id = press.org
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
        act.t, act.settings.tzinfo, org_id, org.name, live, closed, press.page, several=several,
        record_past=views.RecordPastMeeting(org_id)))


async def show_card(act: Act, press: views.ShowMeeting) -> Reply:
    """Details, counts and the leader's buttons."""
    meeting = await access_led_meeting(act, press.meeting)
    info = await meeting_info(act.session, meeting)
    lines = await store.roster(act.session, meeting.id)
    return Reply(*views.card(act.t, act.settings.tzinfo, info, lines))


def live(meeting: Meeting) -> Meeting:
    """The meeting, unless it is closed or cancelled (then the actor is told so)."""
    if meeting.state not in LIVE_STATES:
        raise Refused(views.MEETING_ERRORS["not_live"])
    return meeting


async def live_meeting(act: Act, meeting_id: MeetingId) -> Meeting:
    return live(await access_led_meeting(act, meeting_id))


class MeetingForm(Form):
    """The meeting being postponed or cancelled, or asked leave from."""

    meeting: MeetingId


def one_step_flow(
    name: str, prefix: str, entry: Entry[Any, MeetingForm] | Sequence[Entry[Any, MeetingForm]],
    step: AnyStep, *,
    guard: Callable[[Act, MeetingForm], Awaitable[object]] | None = None, cancel: bool = True,
) -> Flow[MeetingForm]:
    """A flow of one step about one meeting (by default one the actor runs), without ‹ Back."""
    return Flow(name=name, prefix=prefix, form=MeetingForm, entry=entry, steps=(step,),
                guard=guard or (lambda act, form: access_led_meeting(act, form.meeting)),
                back=False, cancel=cancel)


async def start_postpone(act: Act, press: views.PostponeMeeting) -> MeetingForm:
    return MeetingForm(meeting=MeetingId((await live_meeting(act, press.meeting)).id))


async def ask_new_time(act: Act, form: MeetingForm) -> Html:
    meeting, t, tz = await access_led_meeting(act, form.meeting), act.t, act.settings.tzinfo
    return t("Postpone {kind} of {when}: type the new date and time as you would say it, for "
             "example tomorrow 9:00, next Wed 14:30 or {example}, or press a day. The length "
             "stays the same; everyone on the list is told.",
             kind=t(MEETING_KIND_LABELS[meeting.kind]),
             when=views.span_text(t, tz, meeting.starts_at, meeting.ends_at),
             example=views.example_when(tz, act.now()))


async def postpone(act: Act, form: MeetingForm, start: datetime) -> Any:
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
    messages = await list_messages(act, meeting.id, lambda t, status: views.member_message(
        t, tz, info, status, t("⏰ <b>Meeting moved</b> (it was on {when})",
                               when=views.start_text(tz, before))), skip=by)
    logger.info("user %s postponed meeting %s", pseudonym(by), meeting.id)
    t, lines = act.t, await store.roster(act.session, meeting.id)
    act.deliver(messages, lambda told: views.card(
        t, tz, info, lines, t("Postponed.") + " " + told_text(t, told)))
    return Done()


POSTPONE = one_step_flow(
    "postpone_meeting", "pp", Entry(views.PostponeMeeting, LEADERS, start_postpone),
    Day(key="when", ask=ask_new_time, moment=True, accept=postpone))


async def ask_cancel(act: Act, press: views.AskCancel) -> Reply:
    info = await meeting_info(act.session, await live_meeting(act, press.meeting))
    return Reply(*views.cancel_question(act.t, act.settings.tzinfo, info))


async def start_cancel(act: Act, press: views.ConfirmCancel) -> MeetingForm:
    update = act.update
    act.after(lambda: drop_buttons(update))  # the question asked above is answered
    return MeetingForm(meeting=MeetingId((await live_meeting(act, press.meeting)).id))


async def ask_cancel_reason(act: Act, form: MeetingForm) -> tuple[Html, list[list[Any]]]:
    t, meeting = act.t, form.meeting
    return t("Type the reason members will see, or cancel without a reason."), [
        [views.CancelWithoutReason(meeting).button(t("Cancel without a reason"))],
        [views.ShowMeeting(meeting).button(t("No, keep the meeting"))]]


async def cancel_meeting(act: Act, form: MeetingForm, reason: str | None,
                         shown: Html | None = None) -> Done:
    """Cancelled, and everyone on the list told."""
    tz, by = act.settings.tzinfo, act.actor.telegram_id
    meeting = await access_led_meeting(act, form.meeting)
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
    act.deliver(messages, lambda told: (t("Cancelled.") + " " + told_text(t, told),
                                        keyboard([[back.button(t("‹ Meetings"))]])))
    return Done(shown)


async def cancel_without_reason(
    act: Act, form: MeetingForm, press: views.CancelWithoutReason
) -> Done:
    if press.meeting != form.meeting:
        raise Refused(STALE_BUTTON)
    return await cancel_meeting(act, form, None, act.t("Cancelling…"))


async def keep_meeting(act: Act, form: MeetingForm, press: views.ShowMeeting) -> Reply:
    """No, keep it: its card again."""
    return await show_card(act, press)


CANCEL = one_step_flow(
    "cancel_meeting", "cx", Entry(views.ConfirmCancel, LEADERS, start_cancel),
    Custom(key="reason", render=ask_cancel_reason,
           presses=((views.CancelWithoutReason, cancel_without_reason),
                    (views.ShowMeeting, keep_meeting)),
           read=cleaned(MAX_REASON, cancel_meeting)),
    cancel=False)  # "Cancel" would read as cancelling the meeting: its own buttons say how


async def press_old_cancel_button(act: Act, press: views.CancelWithoutReason) -> Reply:
    """Cancel without a reason outside its step (pressed twice, or after /cancel)."""
    meeting = await access_led_meeting(act, press.meeting)
    if meeting.state is not MeetingState.CANCELLED:
        raise Refused(STALE_BUTTON)
    return Reply(act.t("This meeting was already cancelled."))


# -- members answer --------------------------------------------------------------------------


async def record_attending(act: Act, meeting: Meeting, line: Attendance) -> None:
    """The actor's own line says they will attend (here, or pressed under the group post)."""
    try:
        await store.answer(act.session, meeting, line.membership_id, attending=True)
    except MeetingError as error:
        raise Refused(views.MEETING_ERRORS.get(error.code, STALE_BUTTON)) from None


async def attend(act: Act, press: views.Attend) -> Reply:
    """The member (or guest) will attend: their message shows the answer."""
    meeting, line = await access_own_line(act, press.meeting)
    await record_attending(act, meeting, line)
    info = await meeting_info(act.session, meeting)
    return Reply(*views.member_message(act.t, act.settings.tzinfo, info, line.status))


LEAVE_REFUSALS: dict[AttendanceStatus, str] = {
    **dict.fromkeys(views.GUESTS, N_("Guests are not counted, so they need no leave.")),
    **dict.fromkeys(views.ARRIVED, views.MEETING_ERRORS["already_present"]),
    AttendanceStatus.LEAVE_REQUESTED:
        N_("You have already asked for leave; your secretary will decide."),
    AttendanceStatus.ON_LEAVE: N_("Your leave for this meeting is already approved."),
}


async def leave_line(who: Checker, meeting_id: MeetingId) -> tuple[Meeting, Attendance]:
    """A live meeting the actor is expected at (or attending), not yet asked leave from, and
    their line; else Refused. The chat's leave flow and the leave form check with this."""
    meeting, line = await access_own_line(who, meeting_id)
    may_ask_leave(meeting, line)
    return meeting, line


def may_ask_leave(meeting: Meeting, line: Attendance) -> None:
    """Only a member expected (or attending) may ask, once (else Refused, saying why)."""
    live(meeting)
    if line.status in LEAVE_REFUSALS:
        raise Refused(LEAVE_REFUSALS[line.status])


async def leave_choices(session: AsyncSession, actor: Actor, now: datetime
                        ) -> list[tuple[Meeting, Attendance]]:
    """The actor's upcoming meetings they may still ask leave from, soonest first."""
    if not actor.is_member or actor.membership_id is None:
        return []
    return [(meeting, line)
            for meeting, line in await store.upcoming_for(session, actor.membership_id, now)
            if line.status not in LEAVE_REFUSALS]


@dataclass(frozen=True)
class LeaveAsked:
    """Leave recorded: the meeting, and the requests for the branch's leaders to decide."""

    info: views.MeetingInfo
    messages: list[Outgoing]


async def ask_leave(who: Checker, meeting_id: MeetingId, reason: str, tz: tzinfo) -> LeaveAsked:
    """Leave asked with a (cleaned) reason, from the chat or the form: checked as a forged
    press would be, recorded, and a request written for each of the branch's leaders."""
    session = who.session
    meeting, line = await leave_line(who, meeting_id)
    try:
        await store.answer(session, meeting, line.membership_id, attending=False, reason=reason)
    except MeetingError as error:
        raise Refused(views.MEETING_ERRORS.get(error.code, STALE_BUTTON)) from None
    info = await meeting_info(session, meeting)
    person = await people.person_by_telegram_id(session, who.actor.telegram_id)
    leaders = [(p.telegram_id, p.language)
               for p, _org in await people.leaders_of(session, meeting.party_organization_id)]
    others = [leader for leader in leaders if leader[0] != who.actor.telegram_id]
    messages: list[Outgoing] = []
    for telegram_id, language in others or leaders:
        t = translator(language)
        name = person_name(t, person) if person is not None else "?"
        messages.append((telegram_id, *views.leave_request(t, tz, info, name, reason,
                                                           AttendanceId(line.id))))
    logger.info("membership %s asked leave from meeting %s", line.membership_id, meeting.id)
    return LeaveAsked(info, messages)


async def start_leave(act: Act, press: views.AskLeave) -> MeetingForm:
    """Only a member expected (or attending) may ask, once."""
    meeting, _line = await leave_line(act, press.meeting)
    return MeetingForm(meeting=MeetingId(meeting.id))


async def start_leave_from_post(act: Act, press: post_views.PostLeave) -> MeetingForm:
    """"Ask for leave" under the group post: the same question, in the presser's private chat."""
    from handlers.meetings import post  # lazily: the group post's checks build on this module

    meeting = await post.leave_from_post(act, press)
    return MeetingForm(meeting=MeetingId(meeting.id))


async def ask_reason(act: Act, form: MeetingForm) -> tuple[Html, list[list[Any]]]:
    meeting, _line = await access_own_line(act, form.meeting)
    t = act.t
    return t("Ask for leave from {kind}, {when}: why can you not attend? Type the reason; "
             "your secretary will see it.", kind=t(MEETING_KIND_LABELS[meeting.kind]),
             when=views.span_text(t, act.settings.tzinfo, meeting.starts_at, meeting.ends_at)), []


async def attend_instead(act: Act, form: MeetingForm, press: views.Attend) -> Reply:
    """"I will attend" while the reason is asked: no leave after all."""
    return await attend(act, press)


async def enter_reason(act: Act, form: MeetingForm, reason: str) -> Done:
    """The typed reason: recorded, and the branch's leaders asked to decide."""
    try:
        asked = await ask_leave(act, form.meeting, reason, act.settings.tzinfo)
    except Refused as refused:
        return Done(act.t(refused.message, **refused.values))
    t, tz, info = act.t, act.settings.tzinfo, asked.info
    nobody = t("Nobody could be told yet; please tell your secretary yourself.")
    act.deliver(asked.messages, lambda told: views.member_message(
        t, tz, info, AttendanceStatus.LEAVE_REQUESTED, footer=BLANK if told else nobody))
    return Done()


LEAVE = one_step_flow(
    "ask_leave", "lv", (Entry(views.AskLeave, MEMBERS, start_leave),
                        # Anyone may press under the post; who is not on the list is told why.
                        Entry(post_views.PostLeave, ANYONE, start_leave_from_post)),
    Custom(key="reason", render=ask_reason, presses=((views.Attend, attend_instead),),
           read=cleaned(MAX_REASON, enter_reason)),
    guard=lambda act, form: access_own_line(act, form.meeting))


async def decide_leave(act: Act, press: views.ApproveLeave | views.RefuseLeave) -> Reply:
    """Once; a second press says it was decided already."""
    approve = isinstance(press, views.ApproveLeave)
    line = await access_led_meeting_line(act, press.attendance)
    meeting, person = live(line.meeting), line.membership.person
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
    text, markup = views.member_message(t, tz, info, status, told)
    act.deliver([(person.telegram_id, text, markup)])
    return Reply(done + "\n" + views.meeting_line(act.t, tz, info))


async def calendar_file(act: Act, press: views.CalendarFile) -> None:
    """The calendar file, for people on the list and the branch's leaders."""
    meeting = await access_seen_meeting(act, press.meeting)
    update, context, meeting_id = act.update, act.context, meeting.id
    act.after(lambda: send_ics(update, context, meeting_id))  # it answers the press itself
