"""What each leader's press needs of its meeting's state (the meeting itself is loaded by
handlers/access/meetings.py's `access_led_meeting`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from telegram import InlineKeyboardMarkup

from handlers.access.meetings import access_led_meeting
from handlers.checkin import views
from handlers.kit.actions import Act, Checker
from handlers.kit.buttons import MeetingId
from handlers.kit.chat import Outgoing, Refused, deliver_many
from handlers.kit.i18n import Html, Translator, translator
from handlers.kit.pseudonyms import pseudonym
from rules.vocabulary import MeetingState
from storage import meetings as store
from storage.models import Attendance, Meeting

logger = logging.getLogger(__name__)
# A line's notice (text and buttons) in its person's language.
Notice = Callable[[Translator, Attendance], tuple[Html, InlineKeyboardMarkup]]


def refuse_if_not_closed(meeting: Meeting) -> None:
    if meeting.state is not MeetingState.CLOSED:
        raise Refused(views.NOT_CLOSED)


def refuse_if_not_started(meeting: Meeting, now: datetime) -> None:
    """A press that would close a meeting before its start (a kept or forged button)."""
    if now < meeting.starts_at:
        raise Refused(views.NOT_STARTED)


async def live_meeting(act: Checker, meeting_id: MeetingId) -> Meeting:
    """A meeting the actor runs that is neither closed nor cancelled."""
    meeting = await access_led_meeting(act, meeting_id)
    if meeting.state in (MeetingState.CLOSED, MeetingState.CANCELLED):
        raise Refused(views.REFUSALS[meeting.state.value])
    return meeting


def refused_checkin(act: Act, meeting: Meeting, result: store.CheckinResult) -> Refused:
    """A refused check-in as an alert on the pressed button (logged)."""
    logger.info("check-in of user %s at meeting %s refused: %s",
                pseudonym(act.actor.telegram_id), meeting.id, result.reason)
    message = views.REFUSALS.get(result.reason or "", views.NO_MEETING_OPEN)
    return Refused(message, **views.refusal_values(
        act.settings.tzinfo, act.settings.checkin_radius_m, meeting, act.now()))


def notices_to(rows: views.Rows, notice: Notice) -> list[Outgoing]:
    """Each line's notice, in its person's language."""
    return [(person.telegram_id, *notice(translator(person.language), attendance))
            for attendance, person in rows]


def tell_after(act: Act, meeting: Meeting, rows: views.Rows, told: str, notice: Notice) -> None:
    """After the reply, each line of `rows` gets its notice in the person's language; the log
    says how many were delivered."""
    send_after(act, meeting.id, notices_to(rows, notice), told)


def send_after(act: Act, meeting_id: int, notices: list[Outgoing], told: str) -> None:
    """After the reply, the notices are sent; the log says how many were delivered."""
    context = act.context

    async def tell() -> None:
        delivered = await deliver_many(context, notices)
        logger.info("meeting %s: %s of %s %s", meeting_id, delivered, len(notices), told)

    if notices:
        act.after(tell)
