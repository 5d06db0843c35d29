"""Opening check-in and the room code; members checking in by tap, code or location.

A typed code is the hot path (a room of 500 typing it at once): it takes no session of its
own, the check-in queue writes everybody's codes in batches, and the reply waits for its send
token outside the update's slot.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update

from handlers.access.checkin import access_meeting_to_check_in
from handlers.checkin import views
from handlers.checkin.leading import live_meeting, refused_checkin, tell_after
from handlers.checkin.roster import reload_line
from handlers.kit.actions import Act, CommandArgs, Reply
from handlers.kit.chat import Refused, language_of, send
from handlers.kit.context import BranchContext
from handlers.kit.i18n import N_, Html, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.slots import stepped_out
from rules import meetings as rules
from rules.permissions import can_manage_org
from rules.vocabulary import CheckinMethod, MeetingState
from storage import meetings as store
from storage.checkin_queue import open_now
from storage.models import Attendance, Meeting

logger = logging.getLogger(__name__)

CANDIDATE_SPAN = timedelta(days=1)  # meetings looked at around now


async def open_checkin(act: Act, press: views.OpenCheckin) -> Reply:
    """Open check-in, show the room code and tell the expected members."""
    meeting = await live_meeting(act, press.meeting)
    now, tz = act.now(), act.settings.tzinfo
    state = views.window_state(meeting, now)
    if state == "early":
        raise Refused(N_("Check-in can be opened from {time}."),
                      time=views.clock(tz, views.window_opens(meeting), now))
    was_open = meeting.state is MeetingState.CHECKIN_OPEN
    if state == "late" and not was_open:
        return views.too_late_to_open(act.t, tz, meeting, now)
    await store.open_checkin(act.session, meeting, by=act.actor.telegram_id, now=now)
    rows = await store.roster(act.session, meeting.id)
    if not was_open:
        expected = [(attendance, person) for attendance, person in rows
                    if attendance.status in views.NOTIFIED
                    and person.telegram_id != act.actor.telegram_id]
        tell_after(act, meeting, expected, "told check-in is open",
                   lambda t, _line: views.open_notice(t, tz, meeting))
    logger.info("user %s opened check-in of meeting %s", pseudonym(act.actor.telegram_id),
                meeting.id)
    return views.code_message(act.t, tz, meeting, now, rows, act.actor.telegram_id, new=True)


async def code_reply(act: Act, meeting: Meeting, note: Html | None = None) -> Reply:
    """The code message: the current code and how many have checked in."""
    if meeting.state is not MeetingState.CHECKIN_OPEN:
        raise Refused(N_("Check-in is not open for this meeting."))
    rows = await store.roster(act.session, meeting.id)
    return views.code_message(act.t, act.settings.tzinfo, meeting, act.now(), rows,
                              act.actor.telegram_id, note)


async def refresh_code(act: Act, press: views.RoomCode) -> Reply:
    return await code_reply(act, await live_meeting(act, press.meeting))


async def tap_in(act: Act, meeting: Meeting) -> tuple[store.CheckinResult, Attendance | None]:
    """The actor checks themselves in with one tap (here, or under the group post): the
    result (refused: not recorded) and their line, if they are on the list."""
    if act.actor.membership_id is None:
        return store.CheckinResult("refused", "not_expected"), None
    line = await store.attendance_of(act.session, meeting.id, act.actor.membership_id)
    result = await store.check_in(
        act.session, meeting, act.actor.membership_id, method=CheckinMethod.TAP,
        now=act.now(), by=act.actor.telegram_id, line=line,
    )
    return result, line


async def tap_checkin(act: Act, press: views.TapCheckin | views.CheckMeIn) -> Reply:
    """The member checks themselves in with one tap; a refusal is raised as an alert. The
    leader showing the code (views.CheckMeIn) keeps the code message, with the answer above it."""
    meeting = await access_meeting_to_check_in(act, press.meeting)
    result, line = await tap_in(act, meeting)
    if result.outcome == "refused":
        raise refused_checkin(act, meeting, result)
    tz, radius, now = act.settings.tzinfo, act.settings.checkin_radius_m, act.now()
    if isinstance(press, views.CheckMeIn) and can_manage_org(
        act.actor, meeting.party_organization_id
    ) and meeting.state is MeetingState.CHECKIN_OPEN:
        if line is not None:
            await reload_line(act, line)
        note = views.result_text(act.t, tz, radius, meeting, result, now, first_line=True)
        return await code_reply(act, meeting, note)
    return Reply(views.result_text(act.t, tz, radius, meeting, result, now))


async def checkin_command(act: Act, _: CommandArgs) -> Reply:
    """/checkin: leaders see their meetings to open or run; members the meetings open now."""
    now, span, actor = act.now(), CANDIDATE_SPAN, act.actor
    led: list[Meeting] = []
    own: list[tuple[Meeting, Attendance]] = []
    if actor.is_admin or actor.leads_a_branch:
        org_ids = None if actor.is_admin else actor.managed_org_ids
        led = await store.live_meetings(act.session, org_ids, now - span, now + span)
    if actor.membership_id is not None:
        own = open_now(await store.checkin_candidates(act.session, actor.membership_id, now,
                                                      span=span), now)
    return views.checkin_list(act.t, act.settings.tzinfo, now, led, own)


# -- typed codes and shared locations (plain handlers: no session or actor per message) ------


async def type_code(update: Update, context: BranchContext) -> None:
    """4–9 digits typed in private chat: the room code of the member's meeting now on."""
    assert update.message is not None and update.effective_user is not None
    user_id = update.effective_user.id
    now = context.now()
    # Batched with everyone else typing the code right now: one transaction for all. The
    # queue's one writer does the work; waiting for it leaves the slot to the next code.
    async with stepped_out():
        outcome = await context.branch_app.checkin_queue.check_in_by_code(
            user_id, update.message.text or "", now
        )
    t = translator(outcome.language or language_of(update, context))
    if outcome.meeting is None or outcome.result is None:
        await send(update, t(views.NO_MEETING_OPEN))
        return
    logger.info("code check-in of user %s at meeting %s: %s %s", pseudonym(user_id),
                outcome.meeting.id, outcome.result.outcome, outcome.result.reason or "")
    await send(update, views.result_text(t, context.settings.tzinfo,
                                         context.settings.checkin_radius_m, outcome.meeting,
                                         outcome.result, now))


async def share_location(update: Update, context: BranchContext) -> None:
    """A shared location: check in at the open meeting nearest to it, if close enough."""
    assert update.message is not None and update.message.location is not None
    assert update.effective_user is not None
    position = (update.message.location.latitude, update.message.location.longitude)
    user_id = update.effective_user.id
    now = context.now()
    radius = context.settings.checkin_radius_m

    def distance(m: Meeting) -> float:
        assert m.latitude is not None and m.longitude is not None
        return rules.distance_m(m.latitude, m.longitude, *position)

    async with context.db.session() as session:
        # The sender's own lines and language in one query (nothing else to check or load).
        found = await store.checkin_candidates_for(session, user_id, now, span=CANDIDATE_SPAN)
        # Not cached in user_data: that would cost a write per person.
        t = translator(found[0][2] if found else language_of(update, context))
        windows = open_now([(m, a) for m, a, _language in found], now)
        placed = [(m, a) for m, a in windows if m.latitude is not None and m.longitude is not None]
        if not placed:
            await send(update, t(views.REFUSALS["no_place"] if windows else views.NO_MEETING_OPEN))
            return
        meeting, line = min(placed, key=lambda pair: distance(pair[0]))
        result = await store.check_in(
            session, meeting, line.membership_id, method=CheckinMethod.LOCATION, now=now,
            by=user_id, location=position, radius_m=radius,
        )
    logger.info("location check-in of user %s at meeting %s: %s %s", pseudonym(user_id),
                meeting.id, result.outcome, result.reason or "")
    await send(update, views.result_text(t, context.settings.tzinfo, radius, meeting, result,
                                         now, distance=distance(meeting)))
