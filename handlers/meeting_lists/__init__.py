"""Changing a meeting's fixed expected list (应到): add or remove someone, with a reason.

Until check-in opens the list follows the branch by itself (storage/expected_lists.py); from
then on a leader changes it here (from the roster), and each change is logged with who and why.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from sqlalchemy import select

from handlers.access.meetings import access_led_meeting, access_led_meeting_line
from handlers.checkin import render_roster
from handlers.checkin.views import title as meeting_title
from handlers.kit.actions import LEADERS, Act, Action, Reply
from handlers.kit.buttons import AttendanceId, MeetingId, MembershipId
from handlers.kit.chat import STALE_BUTTON, Refused
from handlers.kit.flows import Custom, Done, Entry, Flow, Form, cleaned
from handlers.kit.i18n import N_, Html
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import person_name
from handlers.meeting_lists.views import (
    CANCELLED,
    ERRORS,
    AddToList,
    EditList,
    RemoveFromList,
    list_editor,
)
from handlers.meetings import ShowRoster
from rules.validation import MAX_REASON
from rules.vocabulary import MeetingState, MembershipState
from storage import expected_lists
from storage import meetings as store
from storage.models import Attendance, Meeting, Membership, Person

logger = logging.getLogger(__name__)

__all__ = ["ACTIONS", "FLOWS", "AddToList", "EditList", "RemoveFromList"]

def refuse_unless_fixed(act: Act, meeting: Meeting) -> None:
    if meeting.state is MeetingState.CANCELLED:
        raise Refused(CANCELLED)
    if expected_lists.list_follows(meeting, act.now()):
        raise Refused(ERRORS["list_follows"])


async def show_list_edit(act: Act, press: EditList) -> Reply:
    """Who is on the list, and the branch's other active members."""
    meeting = await access_led_meeting(act, press.meeting)
    refuse_unless_fixed(act, meeting)
    on_list = await store.roster(act.session, meeting.id)
    listed = {a.membership_id for a, _p in on_list}
    members = (await act.session.execute(
        select(Membership.id, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.party_organization_id == meeting.party_organization_id,
               Membership.state == MembershipState.ACTIVE)
        .order_by(Person.real_name, Membership.id)
    )).all()
    others = [(mid, p) for mid, p in members if mid not in listed]
    title = meeting_title(act.t, act.settings.tzinfo, meeting)
    return Reply(*list_editor(act.t, title, press.meeting, on_list, others, press.page))


class ListForm(Form):
    """One change of the list: a line taken off, or a member put on."""

    meeting: MeetingId
    op: Literal["add", "rm"]
    attendance: AttendanceId | None = None
    membership: MembershipId | None = None


async def start_remove(act: Act, press: RemoveFromList) -> ListForm:
    line = await access_led_meeting_line(act, press.attendance)
    refuse_unless_fixed(act, line.meeting)
    return ListForm(meeting=MeetingId(line.meeting_id), op="rm", attendance=press.attendance)


async def member_of(act: Act, meeting: Meeting, membership_id: MembershipId | None) -> Membership:
    """A member of the meeting's branch (one of another branch was never offered)."""
    membership = await act.session.get(Membership, membership_id) if membership_id else None
    if membership is None or membership.party_organization_id != meeting.party_organization_id:
        raise Refused(STALE_BUTTON)
    return membership


async def start_add(act: Act, press: AddToList) -> ListForm:
    meeting = await access_led_meeting(act, press.meeting)
    refuse_unless_fixed(act, meeting)
    await member_of(act, meeting, press.membership)
    return ListForm(meeting=press.meeting, op="add", membership=press.membership)


async def subject(act: Act, form: ListForm) -> tuple[Meeting, Attendance | Membership, str]:
    """The meeting, the line taken off or the member put on, and their name."""
    meeting = await access_led_meeting(act, form.meeting)
    if form.op == "rm" and form.attendance is not None:
        line = await access_led_meeting_line(act, form.attendance)
        return meeting, line, person_name(act.t, line.membership.person)
    membership = await member_of(act, meeting, form.membership)
    person = await act.session.get(Person, membership.person_id)
    assert person is not None
    return meeting, membership, person_name(act.t, person)


async def ask_reason(act: Act, form: ListForm) -> tuple[Html, list[list[Any]]]:
    t = act.t
    meeting, _who, name = await subject(act, form)
    question = (N_("Take {name} off the list of {meeting}? Type the reason.") if form.op == "rm"
                else N_("Put {name} on the list of {meeting}? Type the reason."))
    return t(question, name=name, meeting=meeting_title(t, act.settings.tzinfo, meeting)), [
        [ShowRoster(form.meeting).button(t("‹ Roster"))]]


async def enter_reason(act: Act, form: ListForm, reason: str) -> Done:
    """The typed reason: the change is made and logged with who and why."""
    t, tz, now, by = act.t, act.settings.tzinfo, act.now(), act.actor.telegram_id
    meeting, who, name = await subject(act, form)
    try:  # raises before anything is written
        if isinstance(who, Attendance):
            await expected_lists.remove_line(act.session, who, by=by, reason=reason, now=now,
                                             tz=tz)
            note = t("➖ {name} is off the list. The change and its reason are logged.",
                     name=name)
        else:
            await expected_lists.add_line(act.session, meeting, who, by=by, reason=reason,
                                          now=now, tz=tz)
            note = t("➕ {name} is on the list. The change and its reason are logged.",
                     name=name)
    except store.MeetingError as error:
        return Done(t(ERRORS.get(error.code, STALE_BUTTON), name=name))
    logger.info("user %s changed the list of meeting %s (%s)", pseudonym(by), meeting.id,
                form.op)
    update, context, meeting_id = act.update, act.context, meeting.id
    act.after(lambda: render_roster(update, context, meeting_id, 0, note, new_message=True))
    return Done()


CHANGE_LIST = Flow(
    name="change_meeting_list",
    prefix="mlr",
    form=ListForm,
    entry=(Entry(RemoveFromList, LEADERS, start_remove), Entry(AddToList, LEADERS, start_add)),
    guard=lambda act, form: access_led_meeting(act, form.meeting),
    back=False,
    steps=(Custom(key="reason", render=ask_reason, read=cleaned(MAX_REASON, enter_reason)),),
)

ACTIONS = (Action(EditList, LEADERS, show_list_edit),)
FLOWS = (CHANGE_LIST,)
