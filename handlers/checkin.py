"""Check-in at a meeting, closing it with minutes, and catching up (补学).

A leader opens check-in and shows the rotating room code; members check in with one tap,
by typing the code, or by sharing their location; the leader marks people by hand (代签),
closes the meeting with minutes and attachments, and the record is frozen. Absent members
are asked to catch up. Corrections after closing are logged with who and why.

Callback data (every press is checked again on the server; ids are never trusted):

    ck:open:<meeting>             leader opens check-in: room code for the leader, members told
    ck:code:<meeting>             leader: the current room code (edits the code message)
    ck:tap:<meeting>              member: check in with one tap
    ck:me:<meeting>               the leader checks in from the code message (the code stays)
    ck:roster:<meeting>           leader: everyone on the list with their status (first page)
    ck:rp:<meeting>:<page>        leader: another page of the roster
    ck:mark:<attendance>          leader: mark one person present by hand (代签)
    ck:close:<meeting>            leader: close the meeting (conversation "meeting_close")
    ck:done:<meeting>             ... no more attachments: show the counts to confirm
    ck:freeze:<meeting>           ... close and freeze the record
    ck:rec:<meeting>              leader: the frozen record of a closed meeting
    ck:makeup:<attendance>        absent member: "I have caught up" (补学)
    ck:fix:<attendance>           leader: correct one line of a closed record: pick a status
    ck:fixto:<attendance>:<st>    ... then type the reason (conversation "meeting_edit")
    ck:minutes:<meeting>          leader: replace the minutes of a closed meeting, with a reason
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.kit.chat import (
    STALE_BUTTON,
    Refused,
    answer,
    current_actor,
    deliver_many,
    language_of,
    require,
    send,
    show,
)
from handlers.kit.context import BranchContext
from handlers.kit.flows import invalid_text
from handlers.kit.i18n import (
    BLANK,
    N_,
    Html,
    Translator,
    escape,
    html_format,
    html_join,
    translator,
)
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.slots import stepped_out
from handlers.kit.ui import button, cb_args, cb_pattern, keyboard, person_name
from handlers.labels import (
    ATTENDANCE_STATUS_LABELS,
    CHECKIN_METHOD_LABELS,
    MEETING_KIND_LABELS,
)
from handlers.menu import COMMAND_CALLBACKS
from handlers.registration import TEXT_INPUT, cancel_handlers
from handlers.registration import cancel as cancel_conversation
from rules import meetings as rules
from rules.permissions import Actor, can_manage_org
from rules.validation import MAX_REASON, Invalid, clean_text
from rules.vocabulary import AttendanceStatus, CheckinMethod, MeetingKind, MeetingState
from storage import meetings as store
from storage import people
from storage.checkin_queue import open_now
from storage.expected_lists import list_follows
from storage.models import Attendance, Meeting, Person, utcnow

logger = logging.getLogger(__name__)

# Conversation states of "meeting_close" and "meeting_edit".
CLOSE_MINUTES, CLOSE_FILES, CLOSE_CONFIRM = range(40, 43)
FIX_REASON, MINUTES_TEXT, MINUTES_REASON = range(43, 46)
# user_data keys of the drafts.
CLOSE = "ck_close"  # {"mid": meeting id, "minutes": text or None, "files": count}
FIX = "ck_fix"  # {"aid": attendance id, "status": new status}
MINUTES = "ck_minutes"  # {"mid": meeting id, "text": new minutes or None}

MAX_MINUTES = 4000
MINUTES_SHOWN = 1500  # of the minutes in a record or a catch-up message
NAMES_SHOWN = 30  # names listed per line of a record before "and N more"
ROSTER_PAGE = 10
CANDIDATE_SPAN = timedelta(days=1)  # meetings looked at around now
CODE_TEXT = filters.Regex(r"^\s*(?:\d\s*){4,9}$")

REFUSALS = {
    "early": N_("Check-in opens at {time}."),
    "late": N_("Check-in closed at {time}."),
    "bad_code": N_(
        "That code is wrong or no longer valid — ask for the current code in the room."
    ),
    "not_expected": N_("You are not on the list of this meeting."),
    "too_far": N_(
        "You are too far from the meeting place (about {distance} m; at most {radius} m). "
        "Check in with the code shown in the room instead."
    ),
    "no_place": N_(
        "This meeting has no place on the map: check in with the button or the room code."
    ),
    "closed": N_("This meeting is already closed."),
    "cancelled": N_("This meeting was cancelled."),
}
NO_MEETING_OPEN = N_("No meeting is open for check-in now.")
NOT_CLOSED = N_("This meeting is not closed yet.")
NOT_STARTED = N_(
    "This meeting has not started yet, so it cannot be closed. Postpone or cancel it instead."
)
# Who is told that check-in is open: everyone on the list who may still check in.
NOTIFIED = frozenset(
    {
        AttendanceStatus.EXPECTED,
        AttendanceStatus.ATTENDING,
        AttendanceStatus.LEAVE_REQUESTED,
        AttendanceStatus.GUEST,
    }
)
ARRIVED = frozenset({AttendanceStatus.PRESENT, AttendanceStatus.GUEST_PRESENT})
GUEST_LINES = frozenset({AttendanceStatus.GUEST, AttendanceStatus.GUEST_PRESENT})
# What a closed record's line may be corrected to.
MEMBER_FIXES = (AttendanceStatus.PRESENT, AttendanceStatus.ON_LEAVE, AttendanceStatus.ABSENT)
GUEST_FIXES = (AttendanceStatus.GUEST_PRESENT, AttendanceStatus.GUEST)


# ---------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------


def ck_args(update: Update, *kinds: type) -> list[Any]:
    """The values after `ck:<action>:` in the pressed button's data (BadCallback if malformed)."""
    assert update.callback_query is not None
    return cb_args(update.callback_query.data, "ck", str, *kinds)[1:]


def local(context: BranchContext, value: datetime) -> datetime:
    return value.astimezone(context.settings.tzinfo)


def clock(context: BranchContext, value: datetime, now: datetime) -> str:
    """HH:MM in the branch's time zone; with the date when it is not today."""
    shown = local(context, value)
    if shown.date() == local(context, now).date():
        return shown.strftime("%H:%M")
    return shown.strftime("%Y-%m-%d %H:%M")


def meeting_title(context: BranchContext, t: Translator, meeting: Meeting) -> Html:
    """Kind, topic and start, as HTML."""
    return t(
        "{kind} «{topic}», {when}",
        kind=t(MEETING_KIND_LABELS[meeting.kind]),
        topic=meeting.topic,
        when=local(context, meeting.starts_at).strftime("%Y-%m-%d %H:%M"),
    )


def meeting_button_label(context: BranchContext, meeting: Meeting) -> str:
    """Start time and topic for a button (plain text, kept short)."""
    topic = meeting.topic if len(meeting.topic) <= 24 else meeting.topic[:23] + "…"
    return f"{local(context, meeting.starts_at).strftime('%H:%M')} {topic}"


def window_state(meeting: Meeting, now: datetime) -> rules.CheckinState:
    return rules.checkin_state(now, meeting.starts_at, store.window_of(meeting))


def window_opens(meeting: Meeting) -> datetime:
    return meeting.starts_at - store.window_of(meeting).before


def window_closes(meeting: Meeting) -> datetime:
    return meeting.starts_at + store.window_of(meeting).after


def refusal_values(
    context: BranchContext, meeting: Meeting, now: datetime, *, distance: float | None = None
) -> dict[str, Any]:
    """The values every refusal message may need."""
    return {
        "time": clock(
            context,
            window_opens(meeting) if window_state(meeting, now) == "early"
            else window_closes(meeting),
            now,
        ),
        "distance": round(distance) if distance is not None else "?",
        "radius": round(context.settings.checkin_radius_m),
    }


def result_text(
    context: BranchContext,
    t: Translator,
    meeting: Meeting,
    result: store.CheckinResult,
    now: datetime,
    *,
    distance: float | None = None,
    first_line: bool = False,
) -> Html:
    """What the member is told for each outcome of a check-in (or just its first line)."""
    title = BLANK if first_line else "\n" + meeting_title(context, t, meeting)
    if result.outcome == "present":
        return t("✅ Checked in at {time}.", time=clock(context, now, now)) + title
    if result.outcome == "guest":
        return t("Recorded as a guest at {time}.", time=clock(context, now, now)) + title
    if result.outcome == "already":
        return t("You are already checked in — nothing changed.") + title
    message = REFUSALS.get(result.reason or "", NO_MEETING_OPEN)
    return t(message, **refusal_values(context, meeting, now, distance=distance))


def refuse_checkin(
    context: BranchContext, meeting: Meeting, result: store.CheckinResult, now: datetime
) -> Refused:
    """A refused check-in as an alert on the pressed button."""
    message = REFUSALS.get(result.reason or "", NO_MEETING_OPEN)
    return Refused(message, **refusal_values(context, meeting, now))


async def leader_meeting(
    session: AsyncSession, update: Update, context: BranchContext, meeting_id: int, what: str
) -> tuple[Actor, Meeting]:
    """The meeting behind a leader's button, after checking the presser runs its branch."""
    actor = await current_actor(session, update, context)
    meeting = await store.get_meeting(session, meeting_id)
    if meeting is None:
        require(actor.is_admin or actor.leads_a_branch, update, what)
        raise Refused(STALE_BUTTON)
    require(can_manage_org(actor, meeting.party_organization_id), update, what)
    return actor, meeting


async def leader_attendance(
    session: AsyncSession, update: Update, context: BranchContext, attendance_id: int, what: str
) -> tuple[Actor, Attendance]:
    """The attendance line behind a leader's button, after the same check on its meeting."""
    actor = await current_actor(session, update, context)
    attendance = await store.get_attendance(session, attendance_id)
    if attendance is None:
        require(actor.is_admin or actor.leads_a_branch, update, what)
        raise Refused(STALE_BUTTON)
    require(can_manage_org(actor, attendance.meeting.party_organization_id), update, what)
    return actor, attendance


def refuse_if_not_live(meeting: Meeting) -> None:
    if meeting.state is MeetingState.CLOSED:
        raise Refused(REFUSALS["closed"])
    if meeting.state is MeetingState.CANCELLED:
        raise Refused(REFUSALS["cancelled"])


def refuse_if_not_started(meeting: Meeting, now: datetime) -> None:
    """A press that would close a meeting before its start (a kept or forged button)."""
    if now < meeting.starts_at:
        raise Refused(NOT_STARTED)


def clean_minutes(text: str | None) -> str | Invalid:
    """Minutes: several lines allowed, at most MAX_MINUTES characters."""
    return clean_text(text, max_length=MAX_MINUTES, multiline=True)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def names_by_telegram_id(session: AsyncSession, t: Translator, ids: set[int]) -> dict[
    int, str
]:
    """Names of the leaders who marked or corrected lines (few distinct people)."""
    names: dict[int, str] = {}
    for telegram_id in ids:
        person = await people.person_by_telegram_id(session, telegram_id)
        names[telegram_id] = person_name(t, person) if person else str(telegram_id)
    return names


# ---------------------------------------------------------------------------------------
# Opening check-in and the room code
# ---------------------------------------------------------------------------------------


def code_text(
    context: BranchContext, t: Translator, meeting: Meeting, now: datetime, present: int,
    expected: int, note: Html | None = None,
) -> Html:
    """The room code in large type, when it rotates, and how many have checked in."""
    code = rules.room_code(bytes.fromhex(meeting.code_secret), now)
    until = rules.code_valid_until(local(context, now))
    spaced = f"{code[:3]} {code[3:]}" if len(code) == 6 else code
    lines = [
        t("Room code for {meeting}:", meeting=meeting_title(context, t, meeting)),
        BLANK,
        html_format("<b>🔢 {code}</b>", code=spaced),
        BLANK,
        t("Valid until {time}.", time=until.strftime("%H:%M")),
        t("Members type it in their chat with me. It changes every few minutes, so a code "
          "passed on later no longer works."),
        t("Checked in so far: {present} of {expected}.", present=present, expected=expected),
    ]
    if window_state(meeting, now) == "late":
        lines.append(
            t("The check-in window closed at {time}.", time=clock(context, window_closes(meeting),
                                                              now))
        )
    if note:
        lines.append(note)
    return html_join("\n", lines)


def code_keyboard(t: Translator, meeting_id: int, *, self_tap: bool) -> InlineKeyboardMarkup:
    """Refresh, roster, close; and a check-in button when the leader is on the list too."""
    return keyboard(
        [
            [button(t("🔄 Refresh code"), "ck", "code", meeting_id)],
            [button(t("📋 Roster"), "ck", "roster", meeting_id),
             button(t("🏁 Close meeting"), "ck", "close", meeting_id)],
            [button(t("✅ Check me in"), "ck", "me", meeting_id)] if self_tap else [],
        ]
    )


def may_check_in(rows: Sequence[tuple[Attendance, Person]], telegram_id: int) -> bool:
    """Whether this person is on the list and may still check in."""
    return any(p.telegram_id == telegram_id and a.status in NOTIFIED for a, p in rows)


def count_present(rows: Sequence[tuple[Attendance, Person]]) -> tuple[int, int]:
    """Present and expected (guests apart) among a meeting's lines."""
    counted = [a for a, _p in rows if a.status not in GUEST_LINES]
    return sum(a.status is AttendanceStatus.PRESENT for a in counted), len(counted)


def open_notice(context: BranchContext, t: Translator, meeting: Meeting) -> Html:
    lines = [t("✅ Check-in is open for {meeting}.", meeting=meeting_title(context, t, meeting))]
    if meeting.place:
        lines.append(t("Place: {place}", place=meeting.place))
    if meeting.latitude is not None and meeting.longitude is not None:
        lines.append(
            t("Check in with the button, by typing the code shown in the room, or by sharing "
              "your location there.")
        )
    else:
        lines.append(t("Check in with the button or by typing the code shown in the room."))
    return html_join("\n", lines)


async def open_checkin(update: Update, context: BranchContext) -> None:
    """ck:open:<meeting>: open check-in, show the room code and tell the expected members."""
    (meeting_id,) = ck_args(update, int)
    now = utcnow()
    notices: list[tuple[int, Html, InlineKeyboardMarkup | None]] = []
    async with context.db.session() as session:
        actor, meeting = await leader_meeting(session, update, context, meeting_id, "open checkin")
        t = translator(actor.language)
        refuse_if_not_live(meeting)
        state = window_state(meeting, now)
        if state == "early":
            raise Refused(
                N_("Check-in can be opened from {time}."),
                time=clock(context, window_opens(meeting), now),
            )
        was_open = meeting.state is MeetingState.CHECKIN_OPEN
        if state == "late" and not was_open:
            await answer(update)
            await send(
                update,
                t("The check-in window of {meeting} closed at {time}; members can no longer "
                  "check in themselves. Mark who came from the roster, then close the meeting.",
                  meeting=meeting_title(context, t, meeting),
                  time=clock(context, window_closes(meeting), now)),
                reply_markup=keyboard(
                    [[button(t("📋 Roster"), "ck", "roster", meeting.id),
                      button(t("🏁 Close meeting"), "ck", "close", meeting.id)]]
                ),
            )
            return
        await store.open_checkin(session, meeting, by=actor.telegram_id, now=now)
        rows = await store.roster(session, meeting.id)
        present, expected = count_present(rows)
        self_tap = may_check_in(rows, actor.telegram_id)
        if not was_open:
            for attendance, person in rows:
                if attendance.status not in NOTIFIED or person.telegram_id == actor.telegram_id:
                    continue
                t = translator(person.language)
                notices.append(
                    (
                        person.telegram_id,
                        open_notice(context, t, meeting),
                        keyboard([[button(t("✅ Check in"), "ck", "tap", meeting.id)]]),
                    )
                )
            t = translator(actor.language)
    await answer(update)
    logger.info("user %s opened check-in of meeting %s", pseudonym(actor.telegram_id), meeting.id)
    await send(
        update,
        code_text(context, t, meeting, now, present, expected),
        reply_markup=code_keyboard(t, meeting.id, self_tap=self_tap),
    )
    if notices:
        delivered = await deliver_many(context, notices)
        logger.info("check-in of meeting %s: %s of %s told", meeting.id, delivered, len(notices))


async def render_code(
    update: Update, context: BranchContext, meeting_id: int, note: Html | None = None
) -> None:
    """Edit the code message to show the current code and how many have checked in."""
    now = utcnow()
    async with context.db.session() as session:
        actor, meeting = await leader_meeting(session, update, context, meeting_id, "room code")
        refuse_if_not_live(meeting)
        if meeting.state is not MeetingState.CHECKIN_OPEN:
            raise Refused(N_("Check-in is not open for this meeting."))
        rows = await store.roster(session, meeting.id)
    present, expected = count_present(rows)
    t = translator(actor.language)
    await show(
        update,
        code_text(context, t, meeting, now, present, expected, note),
        reply_markup=code_keyboard(
            t, meeting.id, self_tap=may_check_in(rows, actor.telegram_id)
        ),
    )


async def refresh_code(update: Update, context: BranchContext) -> None:
    """ck:code:<meeting>: edit the code message to show the current code."""
    (meeting_id,) = ck_args(update, int)
    await render_code(update, context, meeting_id)
    await answer(update)


# ---------------------------------------------------------------------------------------
# Members checking in: tap, code, location; /checkin
# ---------------------------------------------------------------------------------------


async def check_in_by_tap(
    update: Update, context: BranchContext, meeting_id: int
) -> tuple[Actor, Meeting, store.CheckinResult, datetime]:
    """Check the presser in at the meeting; a refusal is raised as an alert."""
    now = utcnow()
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        meeting = await store.get_meeting(session, meeting_id)
        if meeting is None:
            raise Refused(STALE_BUTTON)
        if actor.membership_id is None:
            result = store.CheckinResult("refused", "not_expected")
        else:
            result = await store.check_in(
                session, meeting, actor.membership_id, method=CheckinMethod.TAP, now=now,
                by=actor.telegram_id,
            )
    if result.outcome == "refused":
        logger.info("check-in of user %s at meeting %s refused: %s", pseudonym(actor.telegram_id),
                    meeting.id, result.reason)
        raise refuse_checkin(context, meeting, result, now)
    return actor, meeting, result, now


async def tap_checkin(update: Update, context: BranchContext) -> None:
    """ck:tap:<meeting>: the member checks themselves in with one tap."""
    (meeting_id,) = ck_args(update, int)
    actor, meeting, result, now = await check_in_by_tap(update, context, meeting_id)
    t = translator(actor.language)
    await answer(update)
    await show(update, result_text(context, t, meeting, result, now))


async def tap_checkin_on_code(update: Update, context: BranchContext) -> None:
    """ck:me:<meeting>: the leader showing the code checks themselves in; the code stays."""
    (meeting_id,) = ck_args(update, int)
    actor, meeting, result, now = await check_in_by_tap(update, context, meeting_id)
    t = translator(actor.language)
    note = result_text(context, t, meeting, result, now, first_line=True)
    if can_manage_org(actor, meeting.party_organization_id) and (
        meeting.state is MeetingState.CHECKIN_OPEN
    ):
        await render_code(update, context, meeting.id, note)
    else:
        await show(update, result_text(context, t, meeting, result, now))
    await answer(update)


async def own_candidates(
    session: AsyncSession, update: Update, context: BranchContext, now: datetime
) -> tuple[list[tuple[Meeting, Attendance]], Translator]:
    """The sender's meetings around now and their language, in one query.

    The hot path of a room full of people typing the code at once: the lines come from the
    sender's own active membership, so there is nothing else to check or load.
    """
    assert update.effective_user is not None
    rows = await store.checkin_candidates_for(
        session, update.effective_user.id, now, span=CANDIDATE_SPAN
    )
    # Not cached in user_data: that would cost a write per person on the hot path.
    language = rows[0][2] if rows else language_of(update, context)
    return [(m, a) for m, a, _language in rows], translator(language)


async def type_code(update: Update, context: BranchContext) -> None:
    """4–9 digits typed in private chat: the room code of the member's meeting now on."""
    assert update.message is not None and update.effective_user is not None
    user_id = update.effective_user.id
    now = utcnow()
    # Batched with everyone else typing the code right now: one transaction for all. The
    # queue's one writer does the work; waiting for it leaves the slot to the next code.
    async with stepped_out():
        outcome = await context.branch_app.checkin_queue.check_in_by_code(
            user_id, update.message.text or "", now
        )
    t = translator(outcome.language or language_of(update, context))
    if outcome.meeting is None or outcome.result is None:
        await send(update, t(NO_MEETING_OPEN))
        return
    logger.info("code check-in of user %s at meeting %s: %s %s", pseudonym(user_id),
                outcome.meeting.id, outcome.result.outcome, outcome.result.reason or "")
    await send(update, result_text(context, t, outcome.meeting, outcome.result, now))


async def share_location(update: Update, context: BranchContext) -> None:
    """A shared location: check in at the open meeting nearest to it, if close enough."""
    assert update.message is not None and update.message.location is not None
    assert update.effective_user is not None
    position = (update.message.location.latitude, update.message.location.longitude)
    user_id = update.effective_user.id
    now = utcnow()
    radius = context.settings.checkin_radius_m

    def distance(m: Meeting) -> float:
        assert m.latitude is not None and m.longitude is not None
        return rules.distance_m(m.latitude, m.longitude, *position)

    async with context.db.session() as session:
        candidates, t = await own_candidates(session, update, context, now)
        windows = open_now(candidates, now)
        placed = [
            (m, a) for m, a in windows if m.latitude is not None and m.longitude is not None
        ]
        if not placed:
            refusal = REFUSALS["no_place"] if windows else NO_MEETING_OPEN
            await send(update, t(refusal))
            return
        meeting, line = min(placed, key=lambda pair: distance(pair[0]))
        result = await store.check_in(
            session, meeting, line.membership_id, method=CheckinMethod.LOCATION, now=now,
            by=user_id, location=position, radius_m=radius,
        )
    logger.info("location check-in of user %s at meeting %s: %s %s", pseudonym(user_id), meeting.id,
                result.outcome, result.reason or "")
    await send(update, result_text(context, t, meeting, result, now, distance=distance(meeting)))


async def checkin_command(update: Update, context: BranchContext) -> None:
    """/checkin: leaders see their meetings to open or run; members the meetings open now."""
    now = utcnow()
    span = CANDIDATE_SPAN
    lines: list[Html] = []
    rows: list[list[InlineKeyboardButton]] = []
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        t = translator(actor.language)
        if actor.is_admin or actor.leads_a_branch:
            org_ids = None if actor.is_admin else actor.managed_org_ids
            for meeting in await store.live_meetings(session, org_ids, now - span, now + span):
                label = meeting_button_label(context, meeting)
                if meeting.state is MeetingState.CHECKIN_OPEN:
                    lines.append(t("• {meeting}: check-in is open",
                                   meeting=meeting_title(context, t, meeting)))
                    rows.append([button(t.as_plain("🔢 Code {meeting}", meeting=label), "ck",
                                        "code", meeting.id)])
                    rows.append([button(t("📋 Roster"), "ck", "roster", meeting.id),
                                 button(t("🏁 Close meeting"), "ck", "close", meeting.id)])
                else:
                    lines.append(t("• {meeting}: scheduled",
                                   meeting=meeting_title(context, t, meeting)))
                    rows.append([button(t.as_plain("Open check-in: {meeting}", meeting=label), "ck",
                                        "open", meeting.id)])
            if lines:
                lines.insert(0, t("<b>Meetings you run</b>"))
        if actor.membership_id is not None:
            own = open_now(
                await store.checkin_candidates(session, actor.membership_id, now, span=span), now
            )
            if own:
                lines.append(t("<b>Check in now</b>"))
            for meeting, attendance in own:
                if attendance.status in ARRIVED:
                    lines.append(
                        t("• {meeting}: you checked in at {time}",
                          meeting=meeting_title(context, t, meeting),
                          time=clock(context, attendance.checked_in_at or now, now))
                    )
                    continue
                lines.append(t("• {meeting}", meeting=meeting_title(context, t, meeting)))
                rows.append([button(t.as_plain("✅ Check in: {meeting}",
                                      meeting=meeting_button_label(context, meeting)),
                                    "ck", "tap", meeting.id)])
    if not lines:
        await send(update, t(NO_MEETING_OPEN))
        return
    await send(update, html_join("\n", lines), reply_markup=keyboard(rows))


# ---------------------------------------------------------------------------------------
# The roster: statuses, marking by hand (代签), corrections after closing
# ---------------------------------------------------------------------------------------


def status_text(
    context: BranchContext, t: Translator, attendance: Attendance, names: dict[int, str],
    now: datetime,
) -> Html:
    """One line's status with how and when (and by whom, when marked by hand)."""
    status = attendance.status
    label = t(ATTENDANCE_STATUS_LABELS[status])
    if status in ARRIVED and attendance.method is not None:
        when = clock(context, attendance.checked_in_at or now, now)
        if attendance.method is CheckinMethod.MANUAL:
            who = names.get(attendance.marked_by or 0, "?")
            return t("{status} (marked by {name} at {time})", status=label, name=who, time=when)
        return t("{status} ({method}, {time})", status=label,
                 method=t(CHECKIN_METHOD_LABELS[attendance.method]), time=when)
    if status in (AttendanceStatus.ON_LEAVE, AttendanceStatus.LEAVE_REQUESTED) and (
        attendance.leave_reason
    ):
        return t("{status}: {reason}", status=label, reason=attendance.leave_reason)
    if status is AttendanceStatus.ABSENT and attendance.makeup_done_at is not None:
        return t("{status}, caught up on {date}", status=label,
                 date=local(context, attendance.makeup_done_at).date().isoformat())
    return label


async def render_roster(
    update: Update, context: BranchContext, meeting_id: int, page: int, note: Html | None = None,
    *, new_message: bool = False,
) -> None:
    """One page of everyone on the list; buttons to mark (live) or correct (closed)."""
    now = utcnow()
    async with context.db.session() as session:
        actor, meeting = await leader_meeting(session, update, context, meeting_id, "roster")
        rows = await store.roster(session, meeting.id)
        t = translator(actor.language)
        markers = {a.marked_by for a, _p in rows if a.marked_by is not None}
        names = await names_by_telegram_id(session, t, markers)
    pages = max(1, -(-len(rows) // ROSTER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = rows[page * ROSTER_PAGE : (page + 1) * ROSTER_PAGE]
    closed = meeting.state is MeetingState.CLOSED
    present, expected = count_present(rows)
    lines = [t("<b>Roster</b> of {meeting}", meeting=meeting_title(context, t, meeting))]
    if note:
        lines.insert(0, note)
    if closed:
        counts = rules.ledger_counts({a.id: a.status for a, _p in rows})
        lines.append(counts_line(t, counts))
    elif meeting.state is MeetingState.CANCELLED:
        lines.append(t(REFUSALS["cancelled"]))
    else:
        lines.append(t("Checked in so far: {present} of {expected}.", present=present,
                       expected=expected))
    if not rows:
        lines.append(t("Nobody is on the list of this meeting."))
    buttons: list[list[InlineKeyboardButton]] = []
    for number, (attendance, person) in enumerate(shown, start=page * ROSTER_PAGE + 1):
        name = person_name(t, person)
        lines.append(
            t("{n}. {name}: {status}", n=number, name=name,
              status=status_text(context, t, attendance, names, now))
        )
        if closed:
            buttons.append([button(t.as_plain("✏️ Correct: {name}", name=name), "ck",
                                   "fix", attendance.id)])
        elif meeting.state in store.LIVE_STATES and attendance.status not in ARRIVED:
            buttons.append([button(t.as_plain("Mark present: {name}", name=name), "ck",
                                   "mark", attendance.id)])
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(button(t("‹ Previous"), "ck", "rp", meeting.id, page - 1))
        nav.append(button(f"{page + 1}/{pages}", "ck", "rp", meeting.id, page))
        if page < pages - 1:
            nav.append(button(t("Next ›"), "ck", "rp", meeting.id, page + 1))
        buttons.append(nav)
    if meeting.state is not MeetingState.CANCELLED and not list_follows(meeting, now):
        buttons.append([button(t("✏️ Change the list"), "ml", "edit", meeting.id, 0)])
    if closed:
        buttons.append([button(t("📄 Record"), "ck", "rec", meeting.id),
                        button(t("✏️ Edit minutes"), "ck", "minutes", meeting.id)])
    elif meeting.state is MeetingState.CHECKIN_OPEN:
        buttons.append([button(t("🔢 Room code"), "ck", "code", meeting.id),
                        button(t("🏁 Close meeting"), "ck", "close", meeting.id)])
    elif meeting.state is MeetingState.SCHEDULED:
        buttons.append([button(t("Open check-in"), "ck", "open", meeting.id),
                        button(t("🏁 Close meeting"), "ck", "close", meeting.id)])
    text = html_join("\n", lines)
    if new_message:
        await send(update, text, reply_markup=keyboard(buttons))
    else:
        await show(update, text, reply_markup=keyboard(buttons))


async def show_roster(update: Update, context: BranchContext) -> None:
    """ck:roster:<meeting>: the first page of the roster."""
    (meeting_id,) = ck_args(update, int)
    await render_roster(update, context, meeting_id, 0)
    await answer(update)


async def turn_roster_page(update: Update, context: BranchContext) -> None:
    """ck:rp:<meeting>:<page>: another page of the roster."""
    meeting_id, page = ck_args(update, int, int)
    await render_roster(update, context, meeting_id, page)
    await answer(update)


async def page_of(session: AsyncSession, attendance: Attendance) -> int:
    rows = await store.roster(session, attendance.meeting_id)
    index = next((i for i, (a, _p) in enumerate(rows) if a.id == attendance.id), 0)
    return index // ROSTER_PAGE


async def mark_present(update: Update, context: BranchContext) -> None:
    """ck:mark:<attendance>: the leader marks someone present by hand (代签)."""
    assert update.effective_user is not None
    (attendance_id,) = ck_args(update, int)
    now = utcnow()
    async with context.db.session() as session:
        actor, attendance = await leader_attendance(
            session, update, context, attendance_id, "mark present"
        )
        meeting = attendance.meeting
        t = translator(actor.language)
        name = person_name(t, attendance.membership.person)
        result = await store.check_in(
            session, meeting, attendance.membership_id, method=CheckinMethod.MANUAL, now=now,
            by=actor.telegram_id,
        )
        if result.outcome == "refused":
            raise refuse_checkin(context, meeting, result, now)
        page = await page_of(session, attendance)
    logger.info("user %s marked attendance %s present by hand: %s", pseudonym(actor.telegram_id),
                attendance.id, result.outcome)
    note = (
        t("{name} was already checked in — nothing changed.", name=name)
        if result.outcome == "already"
        else t("✅ {name} marked present by hand.", name=name)
    )
    await answer(update)
    await render_roster(update, context, meeting.id, page, note)


async def choose_fix(update: Update, context: BranchContext) -> None:
    """ck:fix:<attendance>: which status a line of a closed record should have."""
    (attendance_id,) = ck_args(update, int)
    async with context.db.session() as session:
        actor, attendance = await leader_attendance(
            session, update, context, attendance_id, "correct attendance"
        )
    meeting = attendance.meeting
    if meeting.state is not MeetingState.CLOSED:
        raise Refused(NOT_CLOSED)
    t = translator(actor.language)
    choices = GUEST_FIXES if attendance.status in GUEST_LINES else MEMBER_FIXES
    rows = [
        [button(t(ATTENDANCE_STATUS_LABELS[status]), "ck", "fixto", attendance.id, status.value)]
        for status in choices
        if status is not attendance.status
    ]
    rows.append([button(t("‹ Back"), "ck", "roster", meeting.id)])
    await answer(update)
    await show(
        update,
        t("Correct the record of {name} at {meeting}. Now: {status}. Change it to:",
          name=person_name(t, attendance.membership.person),
          meeting=meeting_title(context, t, meeting),
          status=t(ATTENDANCE_STATUS_LABELS[attendance.status])),
        reply_markup=keyboard(rows),
    )


# ---------------------------------------------------------------------------------------
# Corrections after closing (conversation "meeting_edit")
# ---------------------------------------------------------------------------------------


async def ask_fix_reason(update: Update, context: BranchContext) -> int:
    """ck:fixto:<attendance>:<status>: ask why the frozen line changes."""
    assert context.user_data is not None
    attendance_id, value = ck_args(update, int, str)
    try:
        status = AttendanceStatus(value)
    except ValueError:
        raise Refused(STALE_BUTTON) from None
    async with context.db.session() as session:
        actor, attendance = await leader_attendance(
            session, update, context, attendance_id, "correct attendance"
        )
    if attendance.meeting.state is not MeetingState.CLOSED:
        raise Refused(NOT_CLOSED)
    allowed = GUEST_FIXES if attendance.status in GUEST_LINES else MEMBER_FIXES
    if status not in allowed or status is attendance.status:
        raise Refused(STALE_BUTTON)
    t = translator(actor.language)
    context.user_data[FIX] = {"aid": attendance.id, "status": status.value}
    await answer(update)
    await show(
        update,
        t("Change {name} from {before} to {after}. Type the reason; it is kept in the log "
          "with your name.",
          name=person_name(t, attendance.membership.person),
          before=t(ATTENDANCE_STATUS_LABELS[attendance.status]),
          after=t(ATTENDANCE_STATUS_LABELS[status])),
        reply_markup=keyboard([[button(t("Cancel"), "x", "cancel")]]),
    )
    return FIX_REASON


async def enter_fix_reason(update: Update, context: BranchContext) -> int:
    """Correct the line with the typed reason (logged with who and why)."""
    assert update.message is not None and context.user_data is not None
    draft = context.user_data.get(FIX)
    if not isinstance(draft, dict):
        return ConversationHandler.END
    async with context.db.session() as session:
        actor, attendance = await leader_attendance(
            session, update, context, int(draft["aid"]), "correct attendance"
        )
        t = translator(actor.language)
        reason = clean_text(update.message.text, max_length=MAX_REASON)
        if isinstance(reason, Invalid):
            await send(update, invalid_text(t, reason))
            return FIX_REASON
        if attendance.meeting.state is not MeetingState.CLOSED:
            raise Refused(NOT_CLOSED)
        status = AttendanceStatus(str(draft["status"]))
        before = attendance.status
        name = person_name(t, attendance.membership.person)
        meeting_id = attendance.meeting_id
        if status is not before:
            await store.correct_attendance(
                session, attendance, status=status, by=actor.telegram_id, reason=reason,
                tz=context.settings.tzinfo,
            )
        page = await page_of(session, attendance)
    context.user_data.pop(FIX, None)
    logger.info("user %s corrected attendance %s: %s -> %s", pseudonym(actor.telegram_id),
                attendance.id, before.value, status.value)
    note = t("✏️ {name}: {before} → {after}. The change and its reason are logged.",
             name=name, before=t(ATTENDANCE_STATUS_LABELS[before]),
             after=t(ATTENDANCE_STATUS_LABELS[status]))
    await render_roster(update, context, meeting_id, page, note, new_message=True)
    return ConversationHandler.END


async def ask_new_minutes(update: Update, context: BranchContext) -> int:
    """ck:minutes:<meeting>: show the minutes and ask for the corrected text."""
    assert context.user_data is not None
    (meeting_id,) = ck_args(update, int)
    async with context.db.session() as session:
        actor, meeting = await leader_meeting(session, update, context, meeting_id, "edit minutes")
    if meeting.state is not MeetingState.CLOSED:
        raise Refused(NOT_CLOSED)
    t = translator(actor.language)
    context.user_data[MINUTES] = {"mid": meeting.id, "text": None}
    await answer(update)
    await send(
        update,
        t("Minutes of {meeting} now:", meeting=meeting_title(context, t, meeting))
        + "\n"
        + escape(shorten(meeting.minutes or "", MINUTES_SHOWN))
        + "\n\n"
        + t("Type the corrected minutes (at most {limit} characters).", limit=MAX_MINUTES),
        reply_markup=keyboard([[button(t("Cancel"), "x", "cancel")]]),
    )
    return MINUTES_TEXT


async def enter_new_minutes(update: Update, context: BranchContext) -> int:
    """Keep the new text and ask why the minutes change."""
    assert update.message is not None and context.user_data is not None
    draft = context.user_data.get(MINUTES)
    if not isinstance(draft, dict):
        return ConversationHandler.END
    async with context.db.session() as session:
        actor, _meeting = await leader_meeting(
            session, update, context, int(draft["mid"]), "edit minutes"
        )
    t = translator(actor.language)
    text = clean_minutes(update.message.text)
    if isinstance(text, Invalid):
        await send(update, invalid_text(t, text))
        return MINUTES_TEXT
    draft["text"] = text
    await send(
        update,
        t("Why are the minutes changed? Type the reason; it is kept in the log with your name."),
        reply_markup=keyboard([[button(t("Cancel"), "x", "cancel")]]),
    )
    return MINUTES_REASON


async def enter_minutes_reason(update: Update, context: BranchContext) -> int:
    """Replace the minutes, logged with the reason."""
    assert update.message is not None and context.user_data is not None
    draft = context.user_data.get(MINUTES)
    if not isinstance(draft, dict) or not draft.get("text"):
        return ConversationHandler.END
    async with context.db.session() as session:
        actor, meeting = await leader_meeting(
            session, update, context, int(draft["mid"]), "edit minutes"
        )
        t = translator(actor.language)
        reason = clean_text(update.message.text, max_length=MAX_REASON)
        if isinstance(reason, Invalid):
            await send(update, invalid_text(t, reason))
            return MINUTES_REASON
        if meeting.state is not MeetingState.CLOSED:
            raise Refused(NOT_CLOSED)
        await store.edit_closed(
            session, meeting, field="minutes", value=str(draft["text"]), by=actor.telegram_id,
            reason=reason,
        )
    context.user_data.pop(MINUTES, None)
    logger.info("user %s edited the minutes of closed meeting %s", pseudonym(actor.telegram_id),
                meeting.id)
    await send_record(
        update, context, meeting.id, t("✏️ Minutes changed. The change and its reason are logged.")
    )
    return ConversationHandler.END


# ---------------------------------------------------------------------------------------
# Closing (conversation "meeting_close") and the frozen record
# ---------------------------------------------------------------------------------------


def counts_line(t: Translator, counts: rules.LedgerCounts) -> Html:
    return t(
        "Expected {expected} · present {present} · on leave {on_leave} · absent {absent}",
        expected=counts.expected, present=counts.present, on_leave=counts.on_leave,
        absent=counts.absent,
    )


def quorum_line(t: Translator, meeting: Meeting, counts: rules.LedgerCounts) -> Html | None:
    """For a committee meeting without more than half of the committee: say so."""
    if meeting.kind is not MeetingKind.COMMITTEE:
        return None
    if rules.committee_quorum_met(counts.present, counts.expected):
        return None
    return t(
        "⚠️ Quorum not met: {present} of {size} committee members present; more than half "
        "is needed.",
        present=counts.present, size=counts.expected,
    )


def name_list(t: Translator, names: list[Html]) -> Html:
    shown = html_join(", ", names[:NAMES_SHOWN])
    if len(names) > NAMES_SHOWN:
        shown = html_join(" ", [shown, t("and {n} more", n=len(names) - NAMES_SHOWN)])
    return shown


def record_text(
    context: BranchContext, t: Translator, meeting: Meeting,
    rows: Sequence[tuple[Attendance, Person]], files: int, closer: str,
) -> Html:
    """The frozen record: 应到 / 实到 / 请假 / 缺席, minutes and attachments."""
    counts = rules.ledger_counts({a.id: a.status for a, _p in rows})
    lines = [t("<b>Record</b> of {meeting}", meeting=meeting_title(context, t, meeting))]
    if meeting.place:
        lines.append(t("Place: {place}", place=meeting.place))
    for label, value in (
        (N_("Host: {name}"), meeting.host),
        (N_("Recorder: {name}"), meeting.recorder),
        (N_("Lecturer: {name}"), meeting.lecturer),
    ):
        if value:
            lines.append(t(label, name=value))
    lines.append(counts_line(t, counts))
    quorum = quorum_line(t, meeting, counts)
    if quorum:
        lines.append(quorum)
    on_leave = [
        html_format("{name} ({reason})", name=person_name(t, p), reason=a.leave_reason)
        if a.leave_reason else escape(person_name(t, p))
        for a, p in rows
        if a.status is AttendanceStatus.ON_LEAVE
    ]
    absent = [escape(person_name(t, p)) for a, p in rows
              if a.status is AttendanceStatus.ABSENT]
    if on_leave:
        lines.append(t("On leave: {names}", names=name_list(t, on_leave)))
    if absent:
        lines.append(t("Absent: {names}", names=name_list(t, absent)))
    if meeting.entered_afterwards and meeting.closed_at is not None:
        lines.append(
            t("📝 Entered afterwards by {name} on {day}; not run in the bot.", name=closer,
              day=local(context, meeting.closed_at).date().isoformat())
        )
    elif meeting.closed_at is not None:
        lines.append(
            t("Closed by {name} at {time}.", name=closer,
              time=local(context, meeting.closed_at).strftime("%Y-%m-%d %H:%M"))
        )
    lines.append(BLANK)
    lines.append(t("<b>Minutes</b>"))
    lines.append(escape(shorten(meeting.minutes or "", MINUTES_SHOWN)))
    lines.append(t("Attachments: {n}", n=files))
    return html_join("\n", lines)


async def send_record(
    update: Update, context: BranchContext, meeting_id: int, note: Html | None = None,
    *, edit: bool = False,
) -> None:
    """The frozen record of a closed meeting, with the roster and minutes buttons."""
    async with context.db.session() as session:
        actor, meeting = await leader_meeting(session, update, context, meeting_id, "record")
        if meeting.state is not MeetingState.CLOSED:
            raise Refused(NOT_CLOSED)
        t = translator(actor.language)
        rows = await store.roster(session, meeting.id)
        files = await store.files_of(session, meeting.id)
        closer = "?"
        if meeting.closed_by is not None:
            names = await names_by_telegram_id(session, t, {meeting.closed_by})
            closer = names[meeting.closed_by]
    text = record_text(context, t, meeting, rows, len(files), closer)
    if note:
        text = note + "\n\n" + text
    markup = keyboard(
        [[button(t("📋 Roster"), "ck", "roster", meeting.id),
          button(t("✏️ Edit minutes"), "ck", "minutes", meeting.id)]]
    )
    if edit:
        await show(update, text, reply_markup=markup)
    else:
        await send(update, text, reply_markup=markup)


async def show_record(update: Update, context: BranchContext) -> None:
    """ck:rec:<meeting>: the record of a closed meeting."""
    (meeting_id,) = ck_args(update, int)
    await send_record(update, context, meeting_id, edit=True)
    await answer(update)


def _close_draft(context: BranchContext, meeting_id: int | None = None) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.get(CLOSE)
    if not isinstance(draft, dict) or (meeting_id is not None and draft.get("mid") != meeting_id):
        raise Refused(STALE_BUTTON)
    return draft


def not_started_text(
    context: BranchContext, t: Translator, meeting: Meeting, now: datetime
) -> Html:
    """Why a meeting that has not begun cannot be closed, and what to do instead."""
    return t(
        "{meeting} has not started yet (it starts at {time}). A meeting is closed after it "
        "was held; closing it now would record everyone not checked in as absent. To call it "
        "off, postpone or cancel it.",
        meeting=meeting_title(context, t, meeting), time=clock(context, meeting.starts_at, now),
    )


def not_started_keyboard(t: Translator, meeting_id: int) -> InlineKeyboardMarkup:
    """Postpone or cancel (handlers/meetings.py) instead of closing early."""
    return keyboard(
        [[button(t("⏰ Postpone"), "mt", "pp", meeting_id),
          button(t("✖ Cancel meeting"), "mt", "cx", meeting_id)],
         [button(t("‹ Back"), "mt", "card", meeting_id)]]
    )


def done_keyboard(t: Translator, meeting_id: int) -> InlineKeyboardMarkup:
    return keyboard(
        [[button(t("Done"), "ck", "done", meeting_id)], [button(t("Cancel"), "x", "cancel")]]
    )


async def ask_minutes(update: Update, context: BranchContext) -> int:
    """ck:close:<meeting>: begin closing; the minutes come first."""
    assert context.user_data is not None
    (meeting_id,) = ck_args(update, int)
    now = utcnow()
    async with context.db.session() as session:
        actor, meeting = await leader_meeting(session, update, context, meeting_id, "close")
    refuse_if_not_live(meeting)
    t = translator(actor.language)
    if now < meeting.starts_at:
        context.user_data.pop(CLOSE, None)
        await answer(update)
        await send(update, not_started_text(context, t, meeting, now),
                   reply_markup=not_started_keyboard(t, meeting.id))
        return ConversationHandler.END
    context.user_data[CLOSE] = {"mid": meeting.id, "minutes": None, "files": 0}
    await answer(update)
    await send(
        update,
        t("Closing {meeting}.", meeting=meeting_title(context, t, meeting))
        + "\n"
        + t("Type the minutes: what was discussed and decided (at most {limit} characters).",
            limit=MAX_MINUTES),
        reply_markup=keyboard([[button(t("Cancel"), "x", "cancel")]]),
    )
    return CLOSE_MINUTES


async def enter_minutes(update: Update, context: BranchContext) -> int:
    """Keep the minutes; then photos or documents may be attached."""
    assert update.message is not None
    draft = _close_draft(context)
    async with context.db.session() as session:
        actor, meeting = await leader_meeting(session, update, context, int(draft["mid"]), "close")
    refuse_if_not_live(meeting)
    t = translator(actor.language)
    minutes = clean_minutes(update.message.text)
    if isinstance(minutes, Invalid):
        await send(update, invalid_text(t, minutes))
        return CLOSE_MINUTES
    draft["minutes"] = minutes
    await send(
        update,
        t("Minutes noted. Now send photos or documents of the meeting (sign-in sheet, "
          "materials), one per message, or press Done."),
        reply_markup=done_keyboard(t, meeting.id),
    )
    return CLOSE_FILES


async def minutes_first(update: Update, context: BranchContext) -> int:
    """A photo or document before the minutes: ask for the minutes first."""
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
    t = translator(actor.language)
    await send(
        update,
        t(
            "Please type the minutes first; photos and documents come next."
        ),
    )
    return CLOSE_MINUTES


async def attach_file(update: Update, context: BranchContext) -> int:
    """A photo (its largest size) or a document for the minutes."""
    assert update.message is not None and update.effective_user is not None
    message = update.message
    draft = _close_draft(context)
    if message.photo:
        file_id, kind, file_name = message.photo[-1].file_id, "photo", None
    elif message.document is not None:
        document = message.document
        file_id, kind, file_name = document.file_id, "document", document.file_name
    else:  # pragma: no cover - the filters only let photos and documents in
        return CLOSE_FILES
    async with context.db.session() as session:
        actor, meeting = await leader_meeting(session, update, context, int(draft["mid"]), "close")
        refuse_if_not_live(meeting)
        await store.add_file(
            session, meeting, telegram_file_id=file_id, kind=kind,
            file_name=shorten(file_name, 200) if file_name else None, by=actor.telegram_id,
        )
    draft["files"] = int(draft.get("files", 0)) + 1
    t = translator(actor.language)
    await send(
        update,
        t.plural("Attached ({n} file so far). Send more or press Done.",
                 "Attached ({n} files so far). Send more or press Done.", draft["files"]),
        reply_markup=done_keyboard(t, meeting.id),
    )
    return CLOSE_FILES


async def files_or_done(update: Update, context: BranchContext) -> int:
    """Text while attachments are expected: say what is expected."""
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
    t = translator(actor.language)
    draft = _close_draft(context)
    await send(
        update,
        t("Send photos or documents, or press Done."),
        reply_markup=done_keyboard(t, int(draft["mid"])),
    )
    return CLOSE_FILES


async def confirm_close(update: Update, context: BranchContext) -> int:
    """ck:done:<meeting>: the counts the record will freeze, before closing."""
    (meeting_id,) = ck_args(update, int)
    draft = _close_draft(context, meeting_id)
    async with context.db.session() as session:
        actor, meeting = await leader_meeting(session, update, context, meeting_id, "close")
        refuse_if_not_live(meeting)
        refuse_if_not_started(meeting, utcnow())
        rows = await store.roster(session, meeting.id)
    t = translator(actor.language)
    counts = rules.ledger_counts({a.id: a.status for a, _p in rows})
    lines = [
        t("Close {meeting} and freeze its record?", meeting=meeting_title(context, t, meeting)),
        counts_line(t, counts),
        t("Everyone not checked in and without approved leave is recorded absent."),
        t.plural("{n} attachment.", "{n} attachments.", int(draft.get("files", 0))),
    ]
    quorum = quorum_line(t, meeting, counts)
    if quorum:
        lines.append(quorum + " " + t("The meeting is still recorded, with this noted."))
    await answer(update)
    await show(
        update,
        html_join("\n", lines),
        reply_markup=keyboard(
            [[button(t("🔒 Close and freeze"), "ck", "freeze", meeting.id)],
             [button(t("Cancel"), "x", "cancel")]]
        ),
    )
    return CLOSE_CONFIRM


async def freeze(update: Update, context: BranchContext) -> int:
    """ck:freeze:<meeting>: close, freeze the record, ask the absent to catch up."""
    assert context.user_data is not None
    (meeting_id,) = ck_args(update, int)
    draft = _close_draft(context, meeting_id)
    minutes = draft.get("minutes")
    if not isinstance(minutes, str) or not minutes:
        raise Refused(STALE_BUTTON)  # the minutes are required; this flow lost them
    now = utcnow()
    catch_up: list[tuple[int, Html, InlineKeyboardMarkup | None]] = []
    async with context.db.session() as session:
        actor, meeting = await leader_meeting(session, update, context, meeting_id, "close")
        refuse_if_not_live(meeting)
        try:
            counts = await store.close(
                session, meeting, minutes=minutes, by=actor.telegram_id, now=now,
                tz=context.settings.tzinfo,
            )
        except store.MeetingError as error:
            refuse_if_not_started(meeting, now)
            raise Refused(REFUSALS["closed"]) from error
        # close() updates the loaded lines; the roster reads them back from the session.
        for attendance, person in await store.roster(session, meeting.id):
            if attendance.status is not AttendanceStatus.ABSENT:
                continue
            t = translator(person.language)
            catch_up.append(
                (
                    person.telegram_id,
                    catch_up_text(context, t, meeting),
                    keyboard([[button(t("✅ I have caught up"), "ck", "makeup",
                                      attendance.id)]]),
                )
            )
    context.user_data.pop(CLOSE, None)
    logger.info("user %s closed meeting %s: %s", pseudonym(actor.telegram_id), meeting.id, counts)
    t = translator(actor.language)
    await answer(update)
    await show(update, t("🔒 Closed. The record is frozen."))
    await send_record(update, context, meeting.id)
    if catch_up:
        delivered = await deliver_many(context, catch_up)
        logger.info("meeting %s: %s of %s absent members asked to catch up", meeting.id,
                    delivered, len(catch_up))
    return ConversationHandler.END


def catch_up_text(context: BranchContext, t: Translator, meeting: Meeting) -> Html:
    lines = [
        t("You were absent from {meeting}.", meeting=meeting_title(context, t, meeting)),
        t("Please catch up (补学): read the minutes below, ask your secretary for the "
          "materials, then press the button."),
    ]
    if meeting.minutes:
        lines += [BLANK, t("<b>Minutes</b>"), escape(shorten(meeting.minutes, MINUTES_SHOWN))]
    return html_join("\n", lines)


async def confirm_makeup(update: Update, context: BranchContext) -> None:
    """ck:makeup:<attendance>: the absent member confirms the catch-up, once."""
    (attendance_id,) = ck_args(update, int)
    now = utcnow()
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        attendance = await store.get_attendance(session, attendance_id)
        if attendance is None:
            raise Refused(STALE_BUTTON)
        require(
            attendance.membership.person.telegram_id == actor.telegram_id, update, "makeup"
        )
        done = await store.confirm_makeup(session, attendance, now)
        meeting = attendance.meeting
        already = attendance.makeup_done_at
    t = translator(actor.language)
    await answer(update)
    title = meeting_title(context, t, meeting)
    if done:
        logger.info("user %s caught up on meeting %s", pseudonym(actor.telegram_id), meeting.id)
        await show(update, t("✅ Thank you. Your catch-up of {meeting} is recorded.",
                             meeting=title))
    elif already is not None:
        await show(update, t("Your catch-up of {meeting} was already recorded on {date}.",
                             meeting=title,
                             date=local(context, already).date().isoformat()))
    else:
        await show(update, t("There is nothing to catch up for {meeting}.", meeting=title))


async def cancel_flow(update: Update, context: BranchContext) -> int:
    """Leave closing or editing a meeting; nothing is frozen or changed."""
    assert context.user_data is not None
    for key in (CLOSE, FIX, MINUTES):
        context.user_data.pop(key, None)
    return await cancel_conversation(update, context)


def own_cancel_handlers() -> list[Any]:
    return [
        CommandHandler("cancel", cancel_flow),
        CallbackQueryHandler(cancel_flow, pattern=r"^x:cancel$"),
        *cancel_handlers(),
    ]


def register(app: Application) -> None:
    """Check-in, roster, closing and corrections; typed codes and shared locations."""
    attachments = filters.PHOTO | filters.Document.ALL
    closing = ConversationHandler(
        entry_points=[CallbackQueryHandler(ask_minutes, pattern=cb_pattern("ck:close"))],
        states={
            CLOSE_MINUTES: [
                MessageHandler(TEXT_INPUT, enter_minutes),
                MessageHandler(attachments, minutes_first),
            ],
            CLOSE_FILES: [
                MessageHandler(attachments, attach_file),
                CallbackQueryHandler(confirm_close, pattern=cb_pattern("ck:done")),
                MessageHandler(TEXT_INPUT, files_or_done),
            ],
            CLOSE_CONFIRM: [
                CallbackQueryHandler(freeze, pattern=cb_pattern("ck:freeze")),
            ],
        },
        fallbacks=own_cancel_handlers(),
        name="meeting_close",
        persistent=True,
        allow_reentry=True,
    )
    editing = ConversationHandler(
        entry_points=[
            CallbackQueryHandler(ask_fix_reason, pattern=cb_pattern("ck:fixto")),
            CallbackQueryHandler(ask_new_minutes, pattern=cb_pattern("ck:minutes")),
        ],
        states={
            FIX_REASON: [MessageHandler(TEXT_INPUT, enter_fix_reason)],
            MINUTES_TEXT: [MessageHandler(TEXT_INPUT, enter_new_minutes)],
            MINUTES_REASON: [MessageHandler(TEXT_INPUT, enter_minutes_reason)],
        },
        fallbacks=own_cancel_handlers(),
        name="meeting_edit",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(closing)
    app.add_handler(editing)
    app.add_handler(CommandHandler("checkin", checkin_command))
    callbacks = {
        "ck:open": open_checkin,
        "ck:code": refresh_code,
        "ck:tap": tap_checkin,
        "ck:me": tap_checkin_on_code,
        "ck:roster": show_roster,
        "ck:rp": turn_roster_page,
        "ck:mark": mark_present,
        "ck:rec": show_record,
        "ck:makeup": confirm_makeup,
        "ck:fix": choose_fix,
    }
    for prefix, callback in callbacks.items():
        app.add_handler(CallbackQueryHandler(callback, pattern=cb_pattern(prefix)))
    private_new = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(
        MessageHandler(private_new & filters.TEXT & ~filters.COMMAND & CODE_TEXT, type_code)
    )
    app.add_handler(MessageHandler(private_new & filters.LOCATION, share_location))
    COMMAND_CALLBACKS.update(checkin=checkin_command)

