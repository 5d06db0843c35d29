"""One-tap check-in under a meeting's post in the branch's group (issue 18): the tap check-in
of the private chat, answered with a toast; whoever is not on the list is told why (see
handlers/meetings/post.py for the checks a group press gets).

The whole branch presses at once, so a press is first offered to the check-in queue, which
writes everybody's taps in batches (as it does typed room codes) and checks the group is the
one linked to the meeting's branch; only a press it does not record (refused, forged, not on
the list) takes the declared action's way, which says why.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from handlers.checkin import views
from handlers.checkin.leading import refused_checkin
from handlers.checkin.room import tap_in
from handlers.kit.actions import Act
from handlers.kit.buttons import BadCallback
from handlers.kit.chat import answer, language_of
from handlers.kit.context import BranchContext
from handlers.kit.i18n import Html, Translator, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.slots import stepped_out
from handlers.meetings.post import posted_meeting, refuse_outsider
from handlers.meetings.post_views import CHECKED_IN, PostCheckin
from storage.meetings import CheckinResult
from storage.models import Meeting

logger = logging.getLogger(__name__)

# Before the features' handlers (group 0), after privacy (-90) and group links (-80).
GROUP = -70


def toast(t: Translator, tz: ZoneInfo, radius: float, meeting: Meeting, result: CheckinResult,
          now: datetime) -> Html:
    """What a recorded tap is answered with (present, as a guest, or already)."""
    if result.outcome == "present":
        return t(CHECKED_IN)
    return views.result_text(t, tz, radius, meeting, result, now, first_line=True)


async def checkin_from_post(act: Act, press: PostCheckin) -> None:
    """The declared action: every check, and why a press is refused."""
    meeting = await posted_meeting(act, press.meeting)
    result, _line = await tap_in(act, meeting)
    if result.outcome == "refused":
        if result.reason == "not_expected":
            await refuse_outsider(act, meeting)
        raise refused_checkin(act, meeting, result)
    act.toast = toast(act.t, act.settings.tzinfo, act.settings.checkin_radius_m, meeting, result,
                      act.now())


async def press_checkin(update: Update, context: BranchContext) -> None:
    """The hot path: the tap written in the queue's batch, the press answered with a toast,
    and no other handler runs; anything else is left to checkin_from_post."""
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    if query is None or chat is None or user is None:
        return
    try:
        press = PostCheckin.unpack(query.data)
    except BadCallback:
        return
    now = context.now()
    async with stepped_out():  # the slot goes to the next press, whose tap joins the batch
        outcome = await context.branch_app.checkin_queue.check_in_by_tap(
            user.id, press.meeting, chat.id, now)
    if outcome.meeting is None or outcome.result is None or (
            outcome.result.outcome == "refused"):
        return
    logger.info("group tap check-in of user %s at meeting %s: %s", pseudonym(user.id),
                outcome.meeting.id, outcome.result.outcome)
    t = translator(outcome.language or language_of(update, context))
    await answer(update, toast(t, context.settings.tzinfo, context.settings.checkin_radius_m,
                               outcome.meeting, outcome.result, now))
    raise ApplicationHandlerStop
