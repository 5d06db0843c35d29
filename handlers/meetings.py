"""Scheduling meetings (三会一课), answers and leave, postponing and cancelling.

Callback data (every press is checked again on the server; ids are never trusted):

====================================  ==========================================================
ms:pick:<page>                        page of the organization picker for /schedule
ms:org:<org>                          schedule for this organization: which kind?
ms:kind:<org>:<kind>                  start the guided setup ("meeting_setup") with this kind
ms:grp:<group>                        the 党小组 of a group meeting          (state S_GROUP)
ms:dur:<minutes>                      the length: 60, 90, 120 or 240         (state S_DURATION)
ms:me                                 "Me" as host or recorder               (S_HOST, S_RECORDER)
ms:rep:once | ms:rep:monthly          one meeting or a monthly series        (state S_REPEAT)
ms:cnt:<n>                            meetings in the series: 3, 6 or 12     (state S_COUNT)
ms:ok | ms:redate                     schedule as summarised / retype time   (state S_CONFIRM)
mt:yes:<meeting>                      the member will attend
mt:leave:<meeting>                    ask for leave, reason typed ("meeting_leave")
mt:ics:<meeting>                      calendar file (handlers.ledger.send_ics)
mt:lok:<attendance> / mt:lno:<att.>   a leader approves / refuses a leave request
mt:pick:<page>                        page of the organization picker for /meetings
mt:list:<org>:<page>                  a branch's upcoming and recently closed meetings
mt:card:<meeting>                     one meeting for its leaders
mt:pp:<meeting>                       postpone: the new time is typed ("meeting_change")
mt:cx:<meeting>                       cancel? (confirmation)
mt:cxy:<meeting>                      cancel, confirmed: reason typed or skipped ("meeting_change")
mt:cx0:<meeting>                      cancel without a reason                (state CX_REASON)
====================================  ==========================================================

Check-in buttons on the card (``ck:open``, ``ck:close``, ``ck:roster``) belong to
handlers/checkin.py. Steps of the guided setup only answer while that step is current.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import TelegramError
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
    deliver,
    draft_id,
    require,
    send,
    show,
    tr,
)
from handlers.kit.context import BranchContext
from handlers.kit.date_step import DateStep, now_of
from handlers.kit.flows import invalid_text
from handlers.kit.i18n import (
    BLANK,
    N_,
    Html,
    Translator,
    html_format,
    html_join,
    in_every_language,
    translator,
)
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import button, cb_args, cb_pattern, keyboard, paged, person_name
from handlers.labels import MEETING_KIND_LABELS, MEETING_STATE_LABELS
from handlers.members import OrgPicker, leader_actor, managed_orgs, turn_picker_page
from handlers.menu import COMMAND_CALLBACKS, COMMANDS, main_keyboard
from handlers.registration import TEXT_INPUT, cancel_handlers
from rules import meetings as rules
from rules.permissions import Actor, can_manage_org
from rules.tree import MEMBER_KINDS
from rules.validation import (
    DEFAULT_MAX_AHEAD,
    MAX_REASON,
    Invalid,
    clean_link,
    clean_text,
)
from rules.vocabulary import AttendanceStatus, MeetingKind, MeetingState, MembershipState
from storage import meetings as meeting_store
from storage import orgs as org_store
from storage import people
from storage.meetings import LIVE_STATES, MeetingError, MeetingPlan
from storage.models import (
    Attendance,
    Meeting,
    Membership,
    PartyGroup,
    PartyOrganization,
    Person,
    utcnow,
)

logger = logging.getLogger(__name__)

# States of "meeting_setup".
(
    S_GROUP,
    S_WHEN,
    S_DURATION,
    S_PLACE,
    S_PLACE_NAME,
    S_LINK,
    S_TOPIC,
    S_HOST,
    S_RECORDER,
    S_LECTURER,
    S_REPEAT,
    S_COUNT,
    S_CONFIRM,
) = range(40, 53)
# State of "meeting_leave".
LEAVE_REASON = 60
# States of "meeting_change".
PP_WHEN, CX_REASON = 70, 71

DRAFT = "meeting_draft"  # user_data: the meeting being set up (JSON-safe values only)
LEAVE = "meeting_leave"  # user_data: {"id": meeting id} while the leave reason is typed
CHANGE = "meeting_change"  # user_data: {"id": meeting id} while postponing or cancelling

MAX_PLACE = 200  # Meeting.place
MAX_TOPIC = 200  # Meeting.topic
MAX_PERSON = 50  # Meeting.host / recorder / lecturer
MAX_AHEAD = DEFAULT_MAX_AHEAD  # a start more than two years ahead is a typo
RECENT = timedelta(days=90)  # closed meetings shown in a leader's list
MAX_LEAVE_SHOWN = 10  # leave requests listed on a card
DURATIONS = {60: N_("1 h"), 90: N_("1.5 h"), 120: N_("2 h"), 240: N_("Half day (4 h)")}
SERIES_COUNTS = (3, 6, 12)
ARRIVED = (AttendanceStatus.PRESENT, AttendanceStatus.GUEST_PRESENT)
GUESTS = (AttendanceStatus.GUEST, AttendanceStatus.GUEST_PRESENT)

ANSWER_LABELS = {
    AttendanceStatus.EXPECTED: N_("Your answer: not given yet."),
    AttendanceStatus.ATTENDING: N_("Your answer: I will attend."),
    AttendanceStatus.LEAVE_REQUESTED: N_("Your answer: leave requested, waiting for approval."),
    AttendanceStatus.ON_LEAVE: N_("Your answer: on leave (approved)."),
    AttendanceStatus.PRESENT: N_("You checked in."),
    AttendanceStatus.ABSENT: N_("You were absent."),
    AttendanceStatus.GUEST: N_("You are invited as a guest (列席); guests are not counted."),
    AttendanceStatus.GUEST_PRESENT: N_("You checked in as a guest."),
}
WEEKDAYS = (
    N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
    N_("Saturday"), N_("Sunday"),
)
ORDINALS = {1: N_("first"), 2: N_("second"), 3: N_("third"), 4: N_("fourth"), -1: N_("last")}
ONLINE = N_("🌐 Online meeting")
SHARE_LOCATION = N_("📍 Share the location")
MEETING_ERRORS = {
    "in_past": N_("That time is in the past. Please choose a future date and time."),
    "end_before_start": N_("The meeting would end before it starts. Please check the time."),
    "group_needed": N_("A party group meeting needs one of the branch's party groups."),
    "clash": N_("The branch already has a meeting at {when}. Please choose another time."),
    "not_live": N_("This meeting is closed or cancelled; it can no longer be changed."),
    "not_expected": N_("You are not on the list for this meeting."),
    "already_present": N_("You have already checked in at this meeting."),
}
CLASH_WITH = N_(
    "That time clashes with another meeting of the branch: {kind}, {when}. "
    "Please type another date and time."
)
BAD_LINK = N_(
    "That is not a web link. Please send the meeting link starting with https:// or http://."
)
NOT_REGISTERED = N_("Meetings are for registered members. Register with /start.")


# ---------------------------------------------------------------------------------------
# Plain helpers: parsing, formatting
# ---------------------------------------------------------------------------------------


def example_when(tz: tzinfo, now: datetime) -> str:
    """An example start a week from now, in the accepted format."""
    return (now.astimezone(tz) + timedelta(days=7)).strftime("%Y-%m-%d") + " 14:30"


def nth_weekday(day: date) -> tuple[int, int]:
    """(weekday, nth) of a date: the first Monday is (0, 1); a fifth one counts as the last."""
    nth = (day.day - 1) // 7 + 1
    return day.weekday(), (-1 if nth == 5 else nth)


def repeat_label(t: Translator, day: date) -> Html:
    weekday, nth = nth_weekday(day)
    return t(
        "Monthly, on the {nth} {weekday}", nth=t(ORDINALS[nth]), weekday=t(WEEKDAYS[weekday])
    )


def series_days(day: date, count: int) -> list[date]:
    weekday, nth = nth_weekday(day)
    return rules.monthly_nth_weekday(day, weekday, nth, count)


def span_text(t: Translator, tz: tzinfo, starts_at: datetime, ends_at: datetime) -> Html:
    """"2026-12-01 (Tuesday) 14:30–16:00" in the branch's time zone."""
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    weekday = t(WEEKDAYS[start.weekday()])
    if start.date() == end.date():
        return t(
            "{date} ({weekday}) {start}–{end}", date=start.date().isoformat(), weekday=weekday,
            start=start.strftime("%H:%M"), end=end.strftime("%H:%M"),
        )
    return t(
        "{date} ({weekday}) {start} – {end}", date=start.date().isoformat(), weekday=weekday,
        start=start.strftime("%H:%M"), end=end.strftime("%Y-%m-%d %H:%M"),
    )


def start_text(tz: tzinfo, starts_at: datetime) -> str:
    return starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class MeetingInfo:
    """What a message about a meeting shows; plain values, usable after the session ends."""

    id: int
    org_id: int
    org_name: str
    group_name: str | None
    kind: MeetingKind
    state: MeetingState
    starts_at: datetime
    ends_at: datetime
    place: str | None
    online_url: str | None
    located: bool
    topic: str
    host: str | None
    recorder: str | None
    lecturer: str | None
    cancelled_reason: str | None = None


async def meeting_info(session: AsyncSession, meeting: Meeting) -> MeetingInfo:
    org = await session.get(PartyOrganization, meeting.party_organization_id)
    group = (
        await session.get(PartyGroup, meeting.party_group_id) if meeting.party_group_id else None
    )
    return MeetingInfo(
        id=meeting.id,
        org_id=meeting.party_organization_id,
        org_name=org.name if org else "?",
        group_name=group.name if group else None,
        kind=meeting.kind,
        state=meeting.state,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        place=meeting.place,
        online_url=meeting.online_url,
        located=meeting.latitude is not None and meeting.longitude is not None,
        topic=meeting.topic,
        host=meeting.host,
        recorder=meeting.recorder,
        lecturer=meeting.lecturer,
        cancelled_reason=meeting.cancelled_reason,
    )


def details_lines(t: Translator, tz: tzinfo, info: MeetingInfo) -> list[Html]:
    """Kind, organization, time, place or link, topic, host, recorder, lecturer."""
    title = html_format("<b>{kind}</b> · {org}", kind=t(MEETING_KIND_LABELS[info.kind]),
                        org=info.org_name)
    if info.group_name:
        title += " · " + info.group_name
    lines = [title, t("When: {when}", when=span_text(t, tz, info.starts_at, info.ends_at))]
    if info.online_url:
        lines.append(t("Online: {url}", url=info.online_url))
    if info.place:
        lines.append(t("Place: {place}", place=info.place))
    lines.append(t("Topic: {topic}", topic=info.topic))
    if info.host:
        lines.append(t("Host: {name}", name=info.host))
    if info.recorder:
        lines.append(t("Recorder: {name}", name=info.recorder))
    if info.lecturer:
        lines.append(t("Lecturer: {name}", name=info.lecturer))
    return lines


def member_keyboard(
    t: Translator, meeting_id: int, status: AttendanceStatus, state: MeetingState
) -> InlineKeyboardMarkup | None:
    """The buttons a member sees for their own line: attend, ask for leave, calendar."""
    if state not in LIVE_STATES:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    answers: list[InlineKeyboardButton] = []
    if status not in ARRIVED and status is not AttendanceStatus.ATTENDING:
        answers.append(button(t("✅ I will attend"), "mt", "yes", meeting_id))
    if status in (AttendanceStatus.EXPECTED, AttendanceStatus.ATTENDING):
        answers.append(button(t("🙋 Ask for leave"), "mt", "leave", meeting_id))
    rows.append(answers)
    rows.append([button(t("📆 Add to calendar"), "mt", "ics", meeting_id)])
    return keyboard(rows)


def member_text(
    t: Translator, tz: tzinfo, info: MeetingInfo, status: AttendanceStatus, heading: Html = BLANK
) -> Html:
    lines = [heading] if heading else []
    lines += details_lines(t, tz, info)
    lines.append(t(ANSWER_LABELS[status]))
    return html_join("\n", lines)


@dataclass(frozen=True)
class Recipient:
    telegram_id: int
    language: str
    status: AttendanceStatus


async def recipients_of(
    session: AsyncSession, meeting_id: int, *, skip: int | None = None
) -> list[Recipient]:
    """Everyone on a meeting's list (guests too), except `skip` (a Telegram id)."""
    return [
        Recipient(person.telegram_id, person.language, attendance.status)
        for attendance, person in await meeting_store.roster(session, meeting_id)
        if person.telegram_id != skip
    ]


def meeting_error_text(t: Translator, error: MeetingError, tz: tzinfo) -> Html:
    values = dict(error.values)
    when = values.get("when")
    if isinstance(when, datetime):
        values["when"] = start_text(tz, when)
    message = MEETING_ERRORS.get(error.code)
    if message is None:
        logger.error("meeting error without a message: %s", error.code)
        return t("Sorry, something went wrong. Please try again.")
    return t(message, **values)


async def run_command(update: Update, context: BranchContext) -> int:
    """A command typed in the middle of a step: leave the step and run the command."""
    text = update.effective_message.text if update.effective_message else ""
    command = (text or "").split()[0].lstrip("/").split("@")[0] if text else ""
    callback = COMMAND_CALLBACKS.get(command)
    if callback is not None:
        await callback(update, context)
    else:
        t = tr(update, context)
        await send(update, t("I did not understand that. Use the menu below or /help."))
    return ConversationHandler.END


async def drop_buttons(update: Update) -> None:
    """Remove the buttons of the message whose button was pressed, keeping its text."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError as exc:
        logger.info("could not remove the buttons: %s", exc)


def step_fallbacks() -> list[Any]:
    return [*cancel_handlers(), MessageHandler(filters.COMMAND, run_command)]


# ---------------------------------------------------------------------------------------
# /schedule: the guided setup
# ---------------------------------------------------------------------------------------


def _draft(context: BranchContext) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT)
    if not isinstance(draft, dict) or "org" not in draft or "kind" not in draft:
        raise Refused(STALE_BUTTON)
    return draft


async def _setup_leader(
    session: AsyncSession, update: Update, context: BranchContext
) -> tuple[Actor, Translator, dict[str, Any]]:
    """The draft and the sender, who must still run the draft's organization."""
    draft = _draft(context)
    actor = await current_actor(session, update, context)
    require(can_manage_org(actor, int(draft["org"])), update, "schedule meeting")
    return actor, translator(actor.language), draft


def _draft_start(draft: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(draft["start"]))


def _kind_question(t: Translator, org: PartyOrganization) -> tuple[Html, InlineKeyboardMarkup]:
    rows = [
        [button(t(label), "ms", "kind", org.id, kind.value)]
        for kind, label in MEETING_KIND_LABELS.items()
    ]
    rows.append([button(t("Cancel"), "x", "cancel")])
    return t("<b>{branch}</b>: which kind of meeting?", branch=org.name), keyboard(rows)


async def start_schedule(update: Update, context: BranchContext) -> int:
    """/schedule: pick the organization (if several), then the kind of meeting."""
    assert context.user_data is not None
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, "schedule")
        rows = await managed_orgs(session, actor, member_kinds_only=True)
    t = translator(actor.language)
    context.user_data.pop(DRAFT, None)
    if not rows:
        await send(update, t("There is no branch to schedule meetings for yet."))
    elif len(rows) == 1:
        text, markup = _kind_question(t, rows[0].org)
        await send(update, text, reply_markup=markup)
    else:
        await send(
            update,
            t("Schedule a meeting for which organization?"),
            reply_markup=SCHEDULE_PICKER.markup(t, rows, 0),
        )
    return ConversationHandler.END


SCHEDULE_PICKER = OrgPicker(
    N_("Schedule a meeting for which organization?"), ("ms", "org"), ("ms", "pick")
)


async def turn_schedule_page(update: Update, context: BranchContext) -> None:
    """Another page of the organizations to schedule for."""
    assert update.callback_query is not None
    (page,) = cb_args(update.callback_query.data, "ms", str, int)[1:]
    await turn_picker_page(update, context, SCHEDULE_PICKER, page)


async def _schedulable_org(
    session: AsyncSession, update: Update, context: BranchContext, org_id: int
) -> tuple[Actor, PartyOrganization]:
    actor = await leader_actor(session, update, context, "schedule")
    require(can_manage_org(actor, org_id), update, "schedule")
    org = await org_store.get_party_org(session, org_id)
    if org is None or org.kind not in MEMBER_KINDS:
        raise Refused(STALE_BUTTON)
    return actor, org


async def choose_org(update: Update, context: BranchContext) -> None:
    """ms:org:<org>: ask the kind of meeting for this organization."""
    assert update.callback_query is not None
    (org_id,) = cb_args(update.callback_query.data, "ms", str, int)[1:]
    async with context.db.session() as session:
        actor, org = await _schedulable_org(session, update, context, int(org_id))
    await answer(update)
    text, markup = _kind_question(translator(actor.language), org)
    await show(update, text, reply_markup=markup)


async def choose_kind(update: Update, context: BranchContext) -> int:
    """ms:kind:<org>:<kind>: begin a new draft; a group meeting asks for the group next."""
    assert update.callback_query is not None and context.user_data is not None
    org_id, value = cb_args(update.callback_query.data, "ms", str, int, str)[1:]
    try:
        kind = MeetingKind(value)
    except ValueError:
        raise Refused(STALE_BUTTON) from None
    async with context.db.session() as session:
        actor, org = await _schedulable_org(session, update, context, int(org_id))
        groups = await org_store.groups_of(session, org.id) if kind is MeetingKind.GROUP else []
    await answer(update)
    t = translator(actor.language)
    context.user_data[DRAFT] = {"org": org.id, "org_name": org.name, "kind": kind.value}
    await show(
        update,
        t("<b>{branch}</b>: {kind}", branch=org.name, kind=t(MEETING_KIND_LABELS[kind])),
    )
    if kind is MeetingKind.GROUP:
        if not groups:
            context.user_data.pop(DRAFT, None)
            await send(
                update,
                t("{branch} has no party groups yet; an administrator sets them up.",
                  branch=org.name),
            )
            return ConversationHandler.END
        rows = [[button(g.name, "ms", "grp", g.id)] for g in groups]
        rows.append([button(t("Cancel"), "x", "cancel")])
        await send(update, t("Which party group meets?"), reply_markup=keyboard(rows))
        return S_GROUP
    return await ask_when(update, context, t)


async def choose_group(update: Update, context: BranchContext) -> int:
    """ms:grp:<group>: one of the branch's groups."""
    assert update.callback_query is not None
    (group_id,) = cb_args(update.callback_query.data, "ms", str, int)[1:]
    async with context.db.session() as session:
        _actor, t, draft = await _setup_leader(session, update, context)
        groups = {g.id: g.name for g in await org_store.groups_of(session, int(draft["org"]))}
    if group_id not in groups:
        raise Refused(STALE_BUTTON)
    await answer(update)
    draft["group"] = int(group_id)
    draft["group_name"] = groups[group_id]
    await show(update, t("Party group: {group}", group=groups[group_id]))
    return await ask_when(update, context, t)


async def ask_when(update: Update, context: BranchContext, t: Translator) -> int:
    return await WHEN_STEP.ask(
        update, context,
        t("When does it start? Type the date and time as you would say it, for example "
          "tomorrow 9:00, next Wed 14:30 or {example}, or press a day (time zone {zone}).",
          example=example_when(context.settings.tzinfo, now_of(context)),
          zone=context.settings.timezone),
        [[button(t("Cancel"), "x", "cancel")]],
    )


async def _clash_text(
    session: AsyncSession, t: Translator, tz: tzinfo, draft: dict[str, Any]
) -> Html | None:
    """Why the drafted time does not fit: another live meeting of the branch overlaps it."""
    start = _draft_start(draft)
    found = await meeting_store.clashes(
        session, int(draft["org"]), start, start + timedelta(minutes=int(draft["dur"]))
    )
    if not found:
        return None
    other = found[0]
    return t(
        CLASH_WITH, kind=t(MEETING_KIND_LABELS[other.kind]),
        when=span_text(t, tz, other.starts_at, other.ends_at),
    )


async def enter_when(update: Update, context: BranchContext, start: datetime) -> int:
    """The start, read and confirmed by WHEN_STEP; then the length (or the summary)."""
    tz = context.settings.tzinfo
    async with context.db.session() as session:
        actor, t, draft = await _setup_leader(session, update, context)
        draft["start"] = start.isoformat()
        clash = await _clash_text(session, t, tz, draft) if "dur" in draft else None
    if clash:
        await send(update, clash)
        return S_WHEN
    if "dur" not in draft:
        rows = [[button(t(label), "ms", "dur", minutes) for minutes, label in DURATIONS.items()]]
        await send(update, t("How long is it?"), reply_markup=keyboard(rows))
        return S_DURATION
    if draft.get("fix"):
        return await ask_summary(update, context)
    return await ask_place(update, context, actor)


async def choose_duration(update: Update, context: BranchContext) -> int:
    """ms:dur:<minutes>: the length; a clash sends the secretary back to the time."""
    assert update.callback_query is not None
    (minutes,) = cb_args(update.callback_query.data, "ms", str, int)[1:]
    if minutes not in DURATIONS:
        raise Refused(STALE_BUTTON)
    tz = context.settings.tzinfo
    async with context.db.session() as session:
        actor, t, draft = await _setup_leader(session, update, context)
        if "start" not in draft:
            raise Refused(STALE_BUTTON)
        draft["dur"] = int(minutes)
        clash = await _clash_text(session, t, tz, draft)
    await answer(update)
    await show(update, t("Length: {length}", length=t(DURATIONS[minutes])))
    if clash:
        await send(update, clash)
        return S_WHEN
    if draft.get("fix"):
        return await ask_summary(update, context)
    return await ask_place(update, context, actor)


async def ask_place(update: Update, context: BranchContext, actor: Actor) -> int:
    t = translator(actor.language)
    markup = ReplyKeyboardMarkup(
        [[KeyboardButton(t.as_plain(SHARE_LOCATION), request_location=True)],
         [KeyboardButton(t.as_plain(ONLINE))]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await send(
        update,
        t(
            "Where is it? Type the place (for example: Room 302, 5 Harbour Road), "
            "press {online} for an online meeting, or share the location with {share} "
            "so members can check in by location.",
            online=t(ONLINE), share=t(SHARE_LOCATION),
        ),
        reply_markup=markup,
    )
    return S_PLACE


def _is_online_label(text: str | None) -> bool:
    return (text or "").strip() in in_every_language(ONLINE)


async def enter_place(update: Update, context: BranchContext) -> int:
    """A typed place, or the Online button (then the link is asked)."""
    assert update.message is not None
    async with context.db.session() as session:
        actor, t, draft = await _setup_leader(session, update, context)
    if _is_online_label(update.message.text):
        draft.pop("lat", None)
        draft.pop("lon", None)
        await send(
            update,
            t("Send the link of the online meeting (starting with https://)."),
            reply_markup=main_keyboard(actor),
        )
        return S_LINK
    place = clean_text(update.message.text, max_length=MAX_PLACE)
    if isinstance(place, Invalid):
        await send(update, invalid_text(t, place))
        return S_PLACE
    draft["place"] = place
    draft.pop("url", None)
    return await ask_topic(update, actor)


async def share_location(update: Update, context: BranchContext) -> int:
    """A shared location: kept for location check-in; the place's name is asked next."""
    assert update.message is not None and update.message.location is not None
    async with context.db.session() as session:
        actor, t, draft = await _setup_leader(session, update, context)
    draft["lat"] = float(update.message.location.latitude)
    draft["lon"] = float(update.message.location.longitude)
    draft.pop("url", None)
    await send(
        update,
        t("Location saved for check-in. Now type the name of the place as members should "
          "see it (for example: Room 302, 5 Harbour Road)."),
        reply_markup=main_keyboard(actor),
    )
    return S_PLACE_NAME


async def enter_place_name(update: Update, context: BranchContext) -> int:
    """The name of a shared location."""
    assert update.message is not None
    async with context.db.session() as session:
        actor, t, draft = await _setup_leader(session, update, context)
    place = clean_text(update.message.text, max_length=MAX_PLACE)
    if isinstance(place, Invalid):
        await send(update, invalid_text(t, place))
        return S_PLACE_NAME
    draft["place"] = place
    return await ask_topic(update, actor)


async def enter_link(update: Update, context: BranchContext) -> int:
    """The link of an online meeting: http or https only."""
    assert update.message is not None
    async with context.db.session() as session:
        actor, t, draft = await _setup_leader(session, update, context)
    link = clean_link(update.message.text)
    if link is None:
        await send(update, t(BAD_LINK))
        return S_LINK
    draft["url"] = link
    draft.pop("place", None)
    return await ask_topic(update, actor)


async def ask_topic(update: Update, actor: Actor) -> int:
    t = translator(actor.language)
    await send(update, t("What is the topic?"), reply_markup=main_keyboard(actor))
    return S_TOPIC


async def enter_topic(update: Update, context: BranchContext) -> int:
    """The topic; then who hosts."""
    assert update.message is not None
    async with context.db.session() as session:
        actor, t, draft = await _setup_leader(session, update, context)
        topic = clean_text(update.message.text, max_length=MAX_TOPIC)
        if isinstance(topic, Invalid):
            await send(update, invalid_text(t, topic))
            return S_TOPIC
        draft["topic"] = topic
        me = await _my_name(session, actor)
    return await ask_person(update, t, me, t("Who hosts the meeting? Type the name, or press Me."),
                            S_HOST)


async def _my_name(session: AsyncSession, actor: Actor) -> str | None:
    person = await people.person_by_telegram_id(session, actor.telegram_id)
    return person.real_name if person is not None else None


async def ask_person(
    update: Update, t: Translator, me: str | None, question: Html, state: int
) -> int:
    rows = [[button(t.as_plain("Me ({name})", name=me), "ms", "me")]] if me else []
    rows.append([button(t("Cancel"), "x", "cancel")])
    await send(update, question, reply_markup=keyboard(rows))
    return state


async def _person_step(update: Update, context: BranchContext, field: str, state: int) -> int:
    """Host, recorder or lecturer: a typed name, or the sender's own name (ms:me)."""
    query = update.callback_query
    async with context.db.session() as session:
        actor, t, draft = await _setup_leader(session, update, context)
        me = await _my_name(session, actor)
    if query is not None:
        if me is None:
            raise Refused(STALE_BUTTON)
        name: str | Invalid = me
    else:
        assert update.message is not None
        name = clean_text(update.message.text, max_length=MAX_PERSON)
    if isinstance(name, Invalid):
        await send(update, invalid_text(t, name))
        return state
    draft[field] = name
    if query is not None:
        await answer(update)
        labels = {"host": N_("Host: {name}"), "rec": N_("Recorder: {name}")}
        await show(update, t(labels[field], name=name))
    if field == "host":
        return await ask_person(
            update, t, me, t("Who keeps the record? Type the name, or press Me."), S_RECORDER
        )
    if field == "rec" and MeetingKind(draft["kind"]) is MeetingKind.LESSON:
        await send(update, t("Who gives the lesson? Type the lecturer's name."))
        return S_LECTURER
    return await ask_repeat(update, context, t, draft)


async def enter_host(update: Update, context: BranchContext) -> int:
    """The host (主持人)."""
    return await _person_step(update, context, "host", S_HOST)


async def enter_recorder(update: Update, context: BranchContext) -> int:
    """The recorder (记录人)."""
    return await _person_step(update, context, "rec", S_RECORDER)


async def enter_lecturer(update: Update, context: BranchContext) -> int:
    """The lecturer of a party lesson (typed)."""
    return await _person_step(update, context, "lect", S_LECTURER)


async def ask_repeat(
    update: Update, context: BranchContext, t: Translator, draft: dict[str, Any]
) -> int:
    day = _draft_start(draft).astimezone(context.settings.tzinfo).date()
    await send(
        update,
        t("Once, or every month?"),
        reply_markup=keyboard(
            [
                [button(t("Once"), "ms", "rep", "once")],
                [button(repeat_label(t, day), "ms", "rep", "monthly")],
                [button(t("Cancel"), "x", "cancel")],
            ]
        ),
    )
    return S_REPEAT


async def choose_repeat(update: Update, context: BranchContext) -> int:
    """ms:rep:once | ms:rep:monthly."""
    assert update.callback_query is not None
    (choice,) = cb_args(update.callback_query.data, "ms", str, str)[1:]
    if choice not in ("once", "monthly"):
        raise Refused(STALE_BUTTON)
    async with context.db.session() as session:
        _actor, t, draft = await _setup_leader(session, update, context)
    await answer(update)
    if choice == "once":
        draft["count"] = 1
        await show(update, t("Once."))
        return await ask_summary(update, context)
    day = _draft_start(draft).astimezone(context.settings.tzinfo).date()
    await show(update, repeat_label(t, day))
    await send(
        update,
        t("How many meetings?"),
        reply_markup=keyboard(
            [[button(str(n), "ms", "cnt", n) for n in SERIES_COUNTS],
             [button(t("Cancel"), "x", "cancel")]]
        ),
    )
    return S_COUNT


async def choose_count(update: Update, context: BranchContext) -> int:
    """ms:cnt:<n>: how many meetings the monthly series has."""
    assert update.callback_query is not None
    (count,) = cb_args(update.callback_query.data, "ms", str, int)[1:]
    if count not in SERIES_COUNTS:
        raise Refused(STALE_BUTTON)
    async with context.db.session() as session:
        _actor, t, draft = await _setup_leader(session, update, context)
    await answer(update)
    draft["count"] = int(count)
    await show(update, t("{n} meetings.", n=count))
    return await ask_summary(update, context)


def _plan(draft: dict[str, Any]) -> MeetingPlan:
    start = _draft_start(draft)
    kind = MeetingKind(draft["kind"])
    return MeetingPlan(
        org_id=int(draft["org"]),
        kind=kind,
        starts_at=start,
        ends_at=start + timedelta(minutes=int(draft["dur"])),
        topic=str(draft["topic"]),
        place=draft.get("place"),
        online_url=draft.get("url"),
        latitude=draft.get("lat"),
        longitude=draft.get("lon"),
        host=draft.get("host"),
        recorder=draft.get("rec"),
        lecturer=draft.get("lect") if kind is MeetingKind.LESSON else None,
        party_group_id=draft.get("group") if kind is MeetingKind.GROUP else None,
    )


def _starts(draft: dict[str, Any], tz: tzinfo) -> list[datetime]:
    """The start of each meeting: one, or the same weekday position in the next months."""
    start = _draft_start(draft)
    count = int(draft.get("count", 1))
    if count <= 1:
        return [start]
    local = start.astimezone(tz)
    return [
        datetime.combine(day, local.time(), tzinfo=tz).astimezone(UTC)
        for day in series_days(local.date(), count)
    ]


def _draft_info(draft: dict[str, Any]) -> MeetingInfo:
    plan = _plan(draft)
    return MeetingInfo(
        id=0, org_id=plan.org_id, org_name=str(draft.get("org_name", "")),
        group_name=draft.get("group_name") if plan.kind is MeetingKind.GROUP else None,
        kind=plan.kind, state=MeetingState.SCHEDULED, starts_at=plan.starts_at,
        ends_at=plan.ends_at, place=plan.place, online_url=plan.online_url,
        located=plan.latitude is not None, topic=plan.topic, host=plan.host,
        recorder=plan.recorder, lecturer=plan.lecturer,
    )


async def expectation_for(
    session: AsyncSession, org_id: int, kind: MeetingKind, group_id: int | None
) -> rules.Expectation:
    """Who the meeting would expect today: the same rule storage applies when scheduling."""
    members = await people.members_of(session, org_id, (MembershipState.ACTIVE,))
    facts = [
        rules.MemberFacts(m.id, m.status, m.role, m.party_group_id) for m in members
    ]
    return rules.expected_attendees(kind, facts, party_group_id=group_id)


async def ask_summary(update: Update, context: BranchContext) -> int:
    """Everything entered, who is expected, and the dates of a series; then Confirm."""
    tz = context.settings.tzinfo
    async with context.db.session() as session:
        _actor, t, draft = await _setup_leader(session, update, context)
        draft.pop("fix", None)
        info = _draft_info(draft)
        expectation = await expectation_for(
            session, info.org_id, info.kind, draft.get("group")
        )
    lines = [t("<b>Please check the meeting:</b>"), *details_lines(t, tz, info)]
    if info.located:
        lines.append(t("Location check-in: on"))
    lines.append(
        t.plural("{n} member is expected.", "{n} members are expected.",
                 len(expectation.expected))
    )
    if expectation.guests:
        lines.append(
            t.plural("{n} activist is invited as a guest.", "{n} activists are invited as guests.",
                     len(expectation.guests))
        )
    starts = _starts(draft, tz)
    if len(starts) > 1:
        day = starts[0].astimezone(tz).date()
        lines.append(
            repeat_label(t, day) + ": "
            + ", ".join(start_text(tz, s) for s in starts)
        )
    await send(
        update,
        html_join("\n", lines),
        reply_markup=keyboard(
            [
                [button(t("✅ Schedule"), "ms", "ok")],
                [button(t("🕑 Change date and time"), "ms", "redate")],
                [button(t("Cancel"), "x", "cancel")],
            ]
        ),
    )
    return S_CONFIRM


async def change_when(update: Update, context: BranchContext) -> int:
    """ms:redate: type the date and time again; the other answers are kept."""
    async with context.db.session() as session:
        _actor, t, draft = await _setup_leader(session, update, context)
    await answer(update)
    draft["fix"] = True
    return await ask_when(update, context, t)


async def confirm_schedule(update: Update, context: BranchContext) -> int:
    """ms:ok: schedule (all of a series or none) and notify everyone on the list."""
    assert context.user_data is not None and update.effective_user is not None
    tz = context.settings.tzinfo
    t = tr(update, context)
    fix_markup = None
    try:
        async with context.db.session() as session:
            actor, t, draft = await _setup_leader(session, update, context)
            fix_markup = keyboard(
                [[button(t("🕑 Change date and time"), "ms", "redate")],
                 [button(t("Cancel"), "x", "cancel")]]
            )
            plan = _plan(draft)
            starts = _starts(draft, tz)
            now = utcnow()
            if len(starts) > 1:
                created = await meeting_store.schedule_series(
                    session, plan, starts, created_by=actor.telegram_id, now=now
                )
            else:
                created = [
                    await meeting_store.schedule(
                        session, plan, created_by=actor.telegram_id, now=now
                    )
                ]
            first = created[0]
            info = await meeting_info(session, first)
            recipients = await recipients_of(session, first.id)
    except MeetingError as error:
        await answer(update)
        assert fix_markup is not None
        await send(update, meeting_error_text(t, error, tz), reply_markup=fix_markup)
        return S_CONFIRM
    await answer(update)
    context.user_data.pop(DRAFT, None)
    logger.info(
        "user %s scheduled %d %s meeting(s) for org %s", pseudonym(actor.telegram_id), len(created),
        plan.kind.value, plan.org_id,
    )
    heading = N_("📅 <b>New meeting</b>")
    extra = ""
    if len(created) > 1:
        heading = N_("📅 <b>New meetings</b> (monthly)")
        extra = N_("Also on: {dates}. Answer for each in 📅 Meetings.")
    told = 0
    for recipient in recipients:
        t = translator(recipient.language)
        text = member_text(t, tz, info, recipient.status, t(heading))
        if extra:
            text += "\n" + t(
                extra, dates=", ".join(start_text(tz, m.starts_at) for m in created[1:])
            )
        told += await deliver(
            context, recipient.telegram_id, text,
            reply_markup=member_keyboard(t, info.id, recipient.status, info.state),
        )
    t = translator(actor.language)
    await drop_buttons(update)  # the summary stays as the record of what was scheduled
    text = t.plural("{n} meeting scheduled.", "{n} meetings scheduled.", len(created))
    text += "\n" + t.plural("{n} person was told.", "{n} people were told.", told)
    await send(
        update, text,
        reply_markup=keyboard([[button(t("Open the meeting"), "mt", "card", first.id)]]),
    )
    return ConversationHandler.END


# ---------------------------------------------------------------------------------------
# Members: answer, ask for leave, calendar, /meetings
# ---------------------------------------------------------------------------------------


async def _own_line(
    session: AsyncSession, update: Update, context: BranchContext, meeting_id: int
) -> tuple[Actor, Meeting, Attendance]:
    """The sender's own line on a meeting's list; refused if they are not on it."""
    actor = await current_actor(session, update, context)
    meeting = await meeting_store.get_meeting(session, meeting_id)
    if meeting is None:
        raise Refused(STALE_BUTTON)
    attendance = (
        await meeting_store.attendance_of(session, meeting.id, actor.membership_id)
        if actor.membership_id is not None and actor.is_member
        else None
    )
    require(attendance is not None, update, "answer for a meeting not on the list")
    assert attendance is not None
    return actor, meeting, attendance


async def attend(update: Update, context: BranchContext) -> None:
    """mt:yes:<meeting>: the member (or guest) will attend."""
    assert update.callback_query is not None
    (meeting_id,) = cb_args(update.callback_query.data, "mt", str, int)[1:]
    tz = context.settings.tzinfo
    try:
        async with context.db.session() as session:
            actor, meeting, attendance = await _own_line(session, update, context, meeting_id)
            t = translator(actor.language)
            await meeting_store.answer(session, meeting, attendance.membership_id, attending=True)
            info = await meeting_info(session, meeting)
            status = attendance.status
    except MeetingError as error:
        raise Refused(MEETING_ERRORS.get(error.code, STALE_BUTTON)) from None
    await answer(update)
    await show(
        update, member_text(t, tz, info, status),
        reply_markup=member_keyboard(t, info.id, status, info.state),
    )


async def attend_instead(update: Update, context: BranchContext) -> int:
    """mt:yes while the leave reason is asked: the member will attend after all."""
    assert context.user_data is not None
    context.user_data.pop(LEAVE, None)
    await attend(update, context)
    return ConversationHandler.END


async def ask_leave_reason(update: Update, context: BranchContext) -> int:
    """mt:leave:<meeting>: a member on the list asks for leave; the reason is typed next."""
    assert update.callback_query is not None and context.user_data is not None
    (meeting_id,) = cb_args(update.callback_query.data, "mt", str, int)[1:]
    tz = context.settings.tzinfo
    async with context.db.session() as session:
        actor, meeting, attendance = await _own_line(session, update, context, meeting_id)
        info = await meeting_info(session, meeting)
    t = translator(actor.language)
    if meeting.state not in LIVE_STATES:
        raise Refused(MEETING_ERRORS["not_live"])
    if attendance.status in GUESTS:
        raise Refused(N_("Guests are not counted, so they need no leave."))
    if attendance.status in ARRIVED:
        raise Refused(MEETING_ERRORS["already_present"])
    if attendance.status is AttendanceStatus.LEAVE_REQUESTED:
        raise Refused(N_("You have already asked for leave; your secretary will decide."))
    if attendance.status is AttendanceStatus.ON_LEAVE:
        raise Refused(N_("Your leave for this meeting is already approved."))
    await answer(update)
    context.user_data[LEAVE] = {"id": meeting.id}
    await send(
        update,
        t("Ask for leave from {kind}, {when}: why can you not attend? Type the reason; "
          "your secretary will see it.",
          kind=t(MEETING_KIND_LABELS[info.kind]),
          when=span_text(t, tz, info.starts_at, info.ends_at)),
        reply_markup=keyboard([[button(t("Cancel"), "x", "cancel")]]),
    )
    return LEAVE_REASON


def leave_request_text(
    t: Translator, tz: tzinfo, info: MeetingInfo, name: str, reason: str | None
) -> Html:
    return html_join("\n",
        [
            t("🙋 <b>Leave request</b> from {name}", name=name),
            t("Meeting: {kind}, {when}", kind=t(MEETING_KIND_LABELS[info.kind]),
              when=span_text(t, tz, info.starts_at, info.ends_at)),
            t("Reason: {reason}", reason=reason or t("not given")),
        ]
    )


async def enter_leave_reason(update: Update, context: BranchContext) -> int:
    """The typed reason: recorded, and the branch's leaders asked to decide."""
    assert update.message is not None and context.user_data is not None
    t = tr(update, context)
    pending = context.user_data.get(LEAVE)
    if not isinstance(pending, dict) or not isinstance(pending.get("id"), int):
        return ConversationHandler.END
    reason = clean_text(update.message.text, max_length=MAX_REASON)
    if isinstance(reason, Invalid):
        await send(update, invalid_text(t, reason))
        return LEAVE_REASON
    tz = context.settings.tzinfo
    try:
        async with context.db.session() as session:
            actor, meeting, attendance = await _own_line(session, update, context, pending["id"])
            t = translator(actor.language)
            line = await meeting_store.answer(
                session, meeting, attendance.membership_id, attending=False, reason=reason
            )
            info = await meeting_info(session, meeting)
            person = await people.person_by_telegram_id(session, actor.telegram_id)
            leaders = [
                (p.telegram_id, p.language)
                for p, _org in await people.leaders_of(session, meeting.party_organization_id)
            ]
    except MeetingError as error:
        context.user_data.pop(LEAVE, None)
        await send(update, t(MEETING_ERRORS.get(error.code, STALE_BUTTON)))
        return ConversationHandler.END
    context.user_data.pop(LEAVE, None)
    others = [leader for leader in leaders if leader[0] != actor.telegram_id]
    told = 0
    for telegram_id, language in others or leaders:
        t = translator(language)
        name = person_name(t, person) if person is not None else "?"
        told += await deliver(
            context, telegram_id, leave_request_text(t, tz, info, name, reason),
            reply_markup=keyboard(
                [[button(t("✅ Approve leave"), "mt", "lok", line.id),
                  button(t("❌ Refuse"), "mt", "lno", line.id)]]
            ),
        )
    t = translator(actor.language)
    logger.info("membership %s asked leave from meeting %s", line.membership_id, meeting.id)
    text = member_text(t, tz, info, AttendanceStatus.LEAVE_REQUESTED)
    if not told:
        text += "\n" + t("Nobody could be told yet; please tell your secretary yourself.")
    await send(
        update, text,
        reply_markup=member_keyboard(t, info.id, AttendanceStatus.LEAVE_REQUESTED, info.state),
    )
    return ConversationHandler.END


async def decide_leave(update: Update, context: BranchContext) -> None:
    """mt:lok:<attendance> / mt:lno:<attendance>: once; a second press says it was decided."""
    assert update.callback_query is not None
    action, attendance_id = cb_args(update.callback_query.data, "mt", str, int)
    approve = action == "lok"
    tz = context.settings.tzinfo
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        line = await session.get(Attendance, attendance_id)
        if line is None:
            raise Refused(STALE_BUTTON)
        meeting = await meeting_store.get_meeting(session, line.meeting_id)
        assert meeting is not None
        require(can_manage_org(actor, meeting.party_organization_id), update, "decide leave")
        if meeting.state not in LIVE_STATES:
            raise Refused(MEETING_ERRORS["not_live"])
        applied = await meeting_store.decide_leave(
            session, line, approve=approve, by=actor.telegram_id
        )
        membership = await session.get(Membership, line.membership_id)
        person = await session.get(Person, membership.person_id) if membership else None
        info = await meeting_info(session, meeting)
        status = line.status
    await answer(update)
    t = translator(actor.language)
    name = person_name(t, person) if person is not None else "?"
    meeting_line = t("Meeting: {kind}, {when}", kind=t(MEETING_KIND_LABELS[info.kind]),
                     when=span_text(t, tz, info.starts_at, info.ends_at))
    if not applied:
        await show(
            update,
            t("The leave request of {name} was already decided or withdrawn.", name=name)
            + "\n" + meeting_line,
        )
        return
    logger.info("user %s %s leave on attendance %s", pseudonym(actor.telegram_id),
                "approved" if approve else "refused", line.id)
    done = (
        t("✅ Leave approved for {name}.", name=name)
        if approve
        else t("❌ Leave refused for {name}.", name=name)
    )
    await show(update, done + "\n" + meeting_line)
    if person is None:
        return
    t = translator(person.language)
    told = (
        t("✅ Your leave was approved.")
        if approve
        else t("❌ Your leave request was not approved; you are expected to attend.")
    )
    await deliver(
        context, person.telegram_id, member_text(t, tz, info, status, told),
        reply_markup=member_keyboard(t, info.id, status, info.state),
    )


async def calendar_file(update: Update, context: BranchContext) -> None:
    """mt:ics:<meeting>: the calendar file, for people on the list and the branch's leaders."""
    assert update.callback_query is not None
    (meeting_id,) = cb_args(update.callback_query.data, "mt", str, int)[1:]
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        meeting = await meeting_store.get_meeting(session, meeting_id)
        if meeting is None:
            raise Refused(STALE_BUTTON)
        allowed = can_manage_org(actor, meeting.party_organization_id)
        if not allowed and actor.membership_id is not None and actor.is_member:
            allowed = (
                await meeting_store.attendance_of(session, meeting.id, actor.membership_id)
                is not None
            )
    require(allowed, update, "calendar file")
    from handlers.ledger import send_ics  # lazily: handlers.ledger imports this module

    await send_ics(update, context, meeting.id)  # answers the press itself


async def list_meetings(update: Update, context: BranchContext) -> None:
    """/meetings: my upcoming meetings with my answer; leaders also get the branch's list."""
    tz = context.settings.tzinfo
    now = utcnow()
    mine: list[tuple[MeetingInfo, AttendanceStatus]] = []
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        if actor.is_member and actor.membership_id is not None:
            for meeting, line in await meeting_store.upcoming_for(
                session, actor.membership_id, now
            ):
                mine.append((await meeting_info(session, meeting), line.status))
        leads = actor.is_admin or actor.leads_a_branch
        orgs = await managed_orgs(session, actor, member_kinds_only=True) if leads else []
    t = translator(actor.language)
    if not actor.is_member and not leads:
        raise Refused(NOT_REGISTERED)
    if mine:
        await send(update, t("<b>Your upcoming meetings</b>"))
        for info, status in mine:
            await send(
                update, member_text(t, tz, info, status),
                reply_markup=member_keyboard(t, info.id, status, info.state),
            )
    elif not leads:
        await send(update, t("You have no upcoming meetings."))
    if not leads:
        return
    if len(orgs) == 1:
        await render_list(update, context, orgs[0].org.id, 0)
    elif orgs:
        await send(
            update,
            t("Meetings of which organization?"),
            reply_markup=MEETINGS_PICKER.markup(t, orgs, 0),
        )
    else:
        await send(update, t("There is no branch to schedule meetings for yet."))


# ---------------------------------------------------------------------------------------
# Leaders: the branch's meetings, a meeting's card, postpone, cancel
# ---------------------------------------------------------------------------------------


MEETINGS_PICKER = OrgPicker(
    N_("Meetings of which organization?"), ("mt", "list"), ("mt", "pick"), suffix=(0,)
)


async def turn_list_page(update: Update, context: BranchContext) -> None:
    """mt:pick:<page>: another page of the organizations whose meetings can be listed."""
    assert update.callback_query is not None
    (page,) = cb_args(update.callback_query.data, "mt", str, int)[1:]
    await turn_picker_page(update, context, MEETINGS_PICKER, page)


MARKERS = {
    MeetingState.SCHEDULED: "🗓",
    MeetingState.CHECKIN_OPEN: "✅",
    MeetingState.CLOSED: "🔒",
    MeetingState.CANCELLED: "✖",
}


async def render_list(update: Update, context: BranchContext, org_id: int, page: int) -> None:
    """A branch's live meetings (soonest first), then those closed recently (latest first)."""
    tz = context.settings.tzinfo
    now = utcnow()
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, "meeting list")
        require(can_manage_org(actor, org_id), update, "meeting list")
        org = await org_store.get_party_org(session, org_id)
        if org is None:
            raise Refused(STALE_BUTTON)
        found = await meeting_store.meetings_between(
            session, org_id, now - RECENT, now + MAX_AHEAD * 3,
            states=(*LIVE_STATES, MeetingState.CLOSED),
        )
        several = actor.is_admin or len(
            await managed_orgs(session, actor, member_kinds_only=True)
        ) > 1
    t = translator(actor.language)
    live = [m for m in found if m.state in LIVE_STATES]
    closed = sorted(
        (m for m in found if m.state is MeetingState.CLOSED),
        key=lambda m: m.starts_at, reverse=True,
    )

    def label(m: Meeting) -> str:
        kind = t(MEETING_KIND_LABELS[m.kind])
        text = f"{MARKERS[m.state]} {start_text(tz, m.starts_at)} · {kind}"
        text += f" · {m.party_group.name}" if m.party_group is not None else ""
        return text + (" · 📝 " + t("entered afterwards") if m.entered_afterwards else "")

    items = [button(label(m), "mt", "card", m.id) for m in [*live, *closed]]
    title = t("<b>{branch}</b>: meetings", branch=org.name) + "\n" + t(
        "Upcoming or not yet closed: {live} · closed in the last 90 days: {closed}",
        live=len(live), closed=len(closed),
    )
    if not items:
        title += "\n" + t("Schedule one with /schedule.")
    extra = [[button(t("🗓 Schedule meeting"), "ms", "org", org_id)],
             [button(t("📝 Record a past meeting"), "pm", "new", org_id)]]
    if several:
        extra.append([button(t("‹ Organizations"), "mt", "pick", 0)])
    await show(update, title, reply_markup=paged(t, items, page, ("mt", "list", org_id), extra))


async def show_list(update: Update, context: BranchContext) -> None:
    """mt:list:<org>:<page>."""
    assert update.callback_query is not None
    org_id, page = cb_args(update.callback_query.data, "mt", str, int, int)[1:]
    await render_list(update, context, int(org_id), int(page))
    await answer(update)


async def _leader_meeting(
    session: AsyncSession, update: Update, context: BranchContext, meeting_id: int, what: str
) -> tuple[Actor, Meeting]:
    """The meeting behind a leader's button, after checking the presser runs its branch."""
    actor = await current_actor(session, update, context)
    meeting = await meeting_store.get_meeting(session, meeting_id)
    if meeting is None:
        require(actor.is_admin or actor.leads_a_branch, update, what)
        raise Refused(STALE_BUTTON)
    require(can_manage_org(actor, meeting.party_organization_id), update, what)
    return actor, meeting


def card_text(
    t: Translator, tz: tzinfo, info: MeetingInfo, lines: list[tuple[Attendance, Person]]
) -> Html:
    statuses = [a.status for a, _p in lines]
    counted = [s for s in statuses if s not in GUESTS]
    text = [
        *details_lines(t, tz, info),
        t("State: {state}", state=t(MEETING_STATE_LABELS[info.state])),
    ]
    if info.located:
        text.append(t("Location check-in: on"))
    if info.state is MeetingState.CANCELLED and info.cancelled_reason:
        text.append(t("Reason: {reason}", reason=info.cancelled_reason))
    text.append(
        t(
            "Expected {expected} · attending {attending} · leave requested {requested} · "
            "on leave {on_leave} · present {present}",
            expected=len(counted),
            attending=counted.count(AttendanceStatus.ATTENDING),
            requested=counted.count(AttendanceStatus.LEAVE_REQUESTED),
            on_leave=counted.count(AttendanceStatus.ON_LEAVE),
            present=counted.count(AttendanceStatus.PRESENT),
        )
    )
    if info.state is MeetingState.CLOSED:
        text.append(t("Absent {absent}", absent=counted.count(AttendanceStatus.ABSENT)))
    guests = [s for s in statuses if s in GUESTS]
    if guests:
        text.append(
            t("Guests: {invited} invited, {present} present", invited=len(guests),
              present=guests.count(AttendanceStatus.GUEST_PRESENT))
        )
    requests = [(a, p) for a, p in lines if a.status is AttendanceStatus.LEAVE_REQUESTED]
    if requests:
        text.append(t("Waiting for a leave decision:"))
        text += [
            "· " + t("{name}: {reason}", name=person_name(t, p),
                     reason=a.leave_reason or t("not given"))
            for a, p in requests[:MAX_LEAVE_SHOWN]
        ]
    return html_join("\n", text)


def card_keyboard(t: Translator, info: MeetingInfo) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    if info.state in LIVE_STATES:
        opened = info.state is MeetingState.CHECKIN_OPEN
        rows.append(
            [button(t("✅ Check-in (open)") if opened else t("✅ Open check-in"),
                    "ck", "open", info.id),
             button(t("🔒 Close meeting"), "ck", "close", info.id)]
        )
    rows.append([button(t("👥 Roster"), "ck", "roster", info.id)])
    if info.state in LIVE_STATES:
        rows.append(
            [button(t("⏰ Postpone"), "mt", "pp", info.id),
             button(t("✖ Cancel meeting"), "mt", "cx", info.id)]
        )
        rows.append([button(t("📆 Add to calendar"), "mt", "ics", info.id)])
    rows.append([button(t("‹ Meetings"), "mt", "list", info.org_id, 0)])
    return keyboard(rows)


async def render_card(
    update: Update, context: BranchContext, meeting_id: int, note: Html = BLANK, *,
    new: bool = False,
) -> None:
    tz = context.settings.tzinfo
    async with context.db.session() as session:
        actor, meeting = await _leader_meeting(session, update, context, meeting_id, "card")
        info = await meeting_info(session, meeting)
        lines = await meeting_store.roster(session, meeting.id)
    t = translator(actor.language)
    text = card_text(t, tz, info, lines)
    if note:
        text = note + "\n\n" + text
    await show(update, text, reply_markup=card_keyboard(t, info), new=new)


async def show_card(update: Update, context: BranchContext) -> int:
    """mt:card:<meeting>: details, counts and the leader's buttons (also leaves a step)."""
    assert update.callback_query is not None and context.user_data is not None
    (meeting_id,) = cb_args(update.callback_query.data, "mt", str, int)[1:]
    await render_card(update, context, int(meeting_id))
    await answer(update)
    context.user_data.pop(CHANGE, None)
    return ConversationHandler.END


async def ask_new_time(update: Update, context: BranchContext) -> int:
    """mt:pp:<meeting>: type the new start; the length stays."""
    assert update.callback_query is not None and context.user_data is not None
    (meeting_id,) = cb_args(update.callback_query.data, "mt", str, int)[1:]
    tz = context.settings.tzinfo
    async with context.db.session() as session:
        actor, meeting = await _leader_meeting(session, update, context, meeting_id, "postpone")
        info = await meeting_info(session, meeting)
    t = translator(actor.language)
    if meeting.state not in LIVE_STATES:
        raise Refused(MEETING_ERRORS["not_live"])
    await answer(update)
    context.user_data[CHANGE] = {"id": meeting.id}
    return await NEW_TIME_STEP.ask(
        update, context,
        t("Postpone {kind} of {when}: type the new date and time as you would say it, for "
          "example tomorrow 9:00, next Wed 14:30 or {example}, or press a day. The length "
          "stays the same; everyone on the list is told.",
          kind=t(MEETING_KIND_LABELS[info.kind]),
          when=span_text(t, tz, info.starts_at, info.ends_at),
          example=example_when(tz, now_of(context))),
        [[button(t("‹ Back"), "mt", "card", meeting.id)]],
    )


async def enter_new_time(update: Update, context: BranchContext, start: datetime) -> int:
    """The new start, read and confirmed by NEW_TIME_STEP: postponed, everyone told."""
    assert context.user_data is not None
    meeting_id = draft_id(context, CHANGE)
    if meeting_id is None:
        return ConversationHandler.END
    tz = context.settings.tzinfo
    now = utcnow()
    t = tr(update, context)
    try:
        async with context.db.session() as session:
            actor, meeting = await _leader_meeting(
                session, update, context, meeting_id, "postpone"
            )
            t = translator(actor.language)
            before = meeting.starts_at
            await meeting_store.postpone(
                session, meeting, starts_at=start, by=actor.telegram_id, now=now
            )
            info = await meeting_info(session, meeting)
            recipients = await recipients_of(session, meeting.id, skip=actor.telegram_id)
    except MeetingError as error:
        await send(update, meeting_error_text(t, error, tz))
        if error.code == "not_live":
            context.user_data.pop(CHANGE, None)
            return ConversationHandler.END
        return PP_WHEN
    context.user_data.pop(CHANGE, None)
    logger.info("user %s postponed meeting %s", pseudonym(actor.telegram_id), meeting.id)
    told = 0
    for recipient in recipients:
        t = translator(recipient.language)
        heading = t("⏰ <b>Meeting moved</b> (it was on {when})", when=start_text(tz, before))
        told += await deliver(
            context, recipient.telegram_id, member_text(t, tz, info, recipient.status, heading),
            reply_markup=member_keyboard(t, info.id, recipient.status, info.state),
        )
    t = translator(actor.language)
    note = t("Postponed.") + " " + t.plural(
        "{n} person was told.", "{n} people were told.", told
    )
    await render_card(update, context, meeting.id, note, new=True)
    return ConversationHandler.END


async def ask_cancel(update: Update, context: BranchContext) -> None:
    """mt:cx:<meeting>: are you sure?"""
    assert update.callback_query is not None
    (meeting_id,) = cb_args(update.callback_query.data, "mt", str, int)[1:]
    tz = context.settings.tzinfo
    async with context.db.session() as session:
        actor, meeting = await _leader_meeting(session, update, context, meeting_id, "cancel")
        info = await meeting_info(session, meeting)
    t = translator(actor.language)
    if meeting.state not in LIVE_STATES:
        raise Refused(MEETING_ERRORS["not_live"])
    await answer(update)
    await show(
        update,
        t("Cancel {kind} of {when}? Everyone on the list will be told.",
          kind=t(MEETING_KIND_LABELS[info.kind]),
          when=span_text(t, tz, info.starts_at, info.ends_at)),
        reply_markup=keyboard(
            [[button(t("Yes, cancel the meeting"), "mt", "cxy", meeting.id)],
             [button(t("No, keep it"), "mt", "card", meeting.id)]]
        ),
    )


async def ask_cancel_reason(update: Update, context: BranchContext) -> int:
    """mt:cxy:<meeting>: confirmed; a reason may be typed, or skipped."""
    assert update.callback_query is not None and context.user_data is not None
    (meeting_id,) = cb_args(update.callback_query.data, "mt", str, int)[1:]
    async with context.db.session() as session:
        actor, meeting = await _leader_meeting(session, update, context, meeting_id, "cancel")
    t = translator(actor.language)
    if meeting.state not in LIVE_STATES:
        raise Refused(MEETING_ERRORS["not_live"])
    await answer(update)
    context.user_data[CHANGE] = {"id": meeting.id}
    await show(
        update,
        t("Type the reason members will see, or cancel without a reason."),
        reply_markup=keyboard(
            [[button(t("Cancel without a reason"), "mt", "cx0", meeting.id)],
             [button(t("No, keep the meeting"), "mt", "card", meeting.id)]]
        ),
    )
    return CX_REASON


async def _cancel_meeting(
    update: Update, context: BranchContext, meeting_id: int, reason: str | None
) -> int:
    assert context.user_data is not None
    tz = context.settings.tzinfo
    t = tr(update, context)
    try:
        async with context.db.session() as session:
            actor, meeting = await _leader_meeting(
                session, update, context, meeting_id, "cancel"
            )
            t = translator(actor.language)
            await meeting_store.cancel(session, meeting, reason=reason, by=actor.telegram_id)
            info = await meeting_info(session, meeting)
            recipients = await recipients_of(session, meeting.id, skip=actor.telegram_id)
    except MeetingError as error:
        context.user_data.pop(CHANGE, None)
        await send(update, meeting_error_text(t, error, tz))
        return ConversationHandler.END
    context.user_data.pop(CHANGE, None)
    logger.info("user %s cancelled meeting %s", pseudonym(actor.telegram_id), meeting.id)
    told = 0
    for recipient in recipients:
        t = translator(recipient.language)
        lines = [t("✖ <b>Meeting cancelled</b>"), *details_lines(t, tz, info)]
        if reason:
            lines.append(t("Reason: {reason}", reason=reason))
        told += await deliver(context, recipient.telegram_id, html_join("\n", lines))
    t = translator(actor.language)
    await send(
        update,
        t("Cancelled.") + " " + t.plural("{n} person was told.", "{n} people were told.", told),
        reply_markup=keyboard([[button(t("‹ Meetings"), "mt", "list", info.org_id, 0)]]),
    )
    return ConversationHandler.END


async def enter_cancel_reason(update: Update, context: BranchContext) -> int:
    """The typed reason: cancel, and tell everyone on the list."""
    assert update.message is not None
    meeting_id = draft_id(context, CHANGE)
    if meeting_id is None:
        return ConversationHandler.END
    reason = clean_text(update.message.text, max_length=MAX_REASON)
    if isinstance(reason, Invalid):
        await send(update, invalid_text(tr(update, context), reason))
        return CX_REASON
    return await _cancel_meeting(update, context, meeting_id, reason)


async def cancel_without_reason(update: Update, context: BranchContext) -> int:
    """mt:cx0:<meeting> while the reason is asked."""
    assert update.callback_query is not None
    (meeting_id,) = cb_args(update.callback_query.data, "mt", str, int)[1:]
    if draft_id(context, CHANGE) != meeting_id:
        raise Refused(STALE_BUTTON)
    await answer(update)
    t = tr(update, context)
    await show(update, t("Cancelling…"))
    return await _cancel_meeting(update, context, int(meeting_id), None)


async def press_old_cancel_button(update: Update, context: BranchContext) -> None:
    """mt:cx0 outside its step (pressed twice, or after /cancel): never cancels."""
    assert update.callback_query is not None
    (meeting_id,) = cb_args(update.callback_query.data, "mt", str, int)[1:]
    async with context.db.session() as session:
        actor, meeting = await _leader_meeting(session, update, context, meeting_id, "cancel")
    if meeting.state is not MeetingState.CANCELLED:
        raise Refused(STALE_BUTTON)
    await answer(update)
    t = translator(actor.language)
    await show(update, t("This meeting was already cancelled."))


# ---------------------------------------------------------------------------------------
# Wiring
# ---------------------------------------------------------------------------------------


WHEN_STEP = DateStep("meeting_when", S_WHEN, moment=True, prefer="future", done=enter_when)
NEW_TIME_STEP = DateStep(
    "meeting_new_time", PP_WHEN, moment=True, prefer="future", done=enter_new_time
)


def register(app: Application) -> None:
    """The setup, leave and change conversations, then the meeting buttons."""
    schedule_label = next(c.label for c in COMMANDS if c.command == "schedule")
    labels = "|".join(re.escape(label) for label in in_every_language(schedule_label))
    # Leave and change first: a menu press during their step ends them (their fallback)
    # before the setup's entry point would take it and leave them waiting for text.
    leave = ConversationHandler(
        entry_points=[CallbackQueryHandler(ask_leave_reason, pattern=cb_pattern("mt:leave"))],
        states={LEAVE_REASON: [MessageHandler(TEXT_INPUT, enter_leave_reason)]},
        fallbacks=[CallbackQueryHandler(attend_instead, pattern=cb_pattern("mt:yes")),
                   *step_fallbacks()],
        name="meeting_leave",
        persistent=True,
        allow_reentry=True,
    )
    change = ConversationHandler(
        entry_points=[
            CallbackQueryHandler(ask_new_time, pattern=cb_pattern("mt:pp")),
            CallbackQueryHandler(ask_cancel_reason, pattern=cb_pattern("mt:cxy")),
        ],
        states={
            PP_WHEN: NEW_TIME_STEP.handlers(TEXT_INPUT),
            CX_REASON: [
                MessageHandler(TEXT_INPUT, enter_cancel_reason),
                CallbackQueryHandler(cancel_without_reason, pattern=cb_pattern("mt:cx0")),
            ],
        },
        fallbacks=[
            CallbackQueryHandler(show_card, pattern=cb_pattern("mt:card")),
            *step_fallbacks(),
        ],
        name="meeting_change",
        persistent=True,
        allow_reentry=True,
    )
    setup = ConversationHandler(
        entry_points=[
            CommandHandler("schedule", start_schedule),
            MessageHandler(filters.Regex(f"^({labels})$"), start_schedule),
            CallbackQueryHandler(choose_kind, pattern=cb_pattern("ms:kind")),
        ],
        states={
            S_GROUP: [CallbackQueryHandler(choose_group, pattern=cb_pattern("ms:grp"))],
            S_WHEN: WHEN_STEP.handlers(TEXT_INPUT),
            S_DURATION: [CallbackQueryHandler(choose_duration, pattern=cb_pattern("ms:dur"))],
            S_PLACE: [
                MessageHandler(filters.LOCATION, share_location),
                MessageHandler(TEXT_INPUT, enter_place),
            ],
            S_PLACE_NAME: [MessageHandler(TEXT_INPUT, enter_place_name)],
            S_LINK: [MessageHandler(TEXT_INPUT, enter_link)],
            S_TOPIC: [MessageHandler(TEXT_INPUT, enter_topic)],
            S_HOST: [
                MessageHandler(TEXT_INPUT, enter_host),
                CallbackQueryHandler(enter_host, pattern=r"^ms:me$"),
            ],
            S_RECORDER: [
                MessageHandler(TEXT_INPUT, enter_recorder),
                CallbackQueryHandler(enter_recorder, pattern=r"^ms:me$"),
            ],
            S_LECTURER: [MessageHandler(TEXT_INPUT, enter_lecturer)],
            S_REPEAT: [CallbackQueryHandler(choose_repeat, pattern=cb_pattern("ms:rep"))],
            S_COUNT: [CallbackQueryHandler(choose_count, pattern=cb_pattern("ms:cnt"))],
            S_CONFIRM: [
                CallbackQueryHandler(confirm_schedule, pattern=r"^ms:ok$"),
                CallbackQueryHandler(change_when, pattern=r"^ms:redate$"),
            ],
        },
        fallbacks=step_fallbacks(),
        name="meeting_setup",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(leave)
    app.add_handler(change)
    app.add_handler(setup)
    app.add_handler(CommandHandler("meetings", list_meetings))
    callbacks = {
        "ms:pick": turn_schedule_page,
        "ms:org": choose_org,
        "mt:yes": attend,
        "mt:ics": calendar_file,
        "mt:lok": decide_leave,
        "mt:lno": decide_leave,
        "mt:pick": turn_list_page,
        "mt:list": show_list,
        "mt:card": show_card,
        "mt:cx": ask_cancel,
        "mt:cx0": press_old_cancel_button,
    }
    for prefix, callback in callbacks.items():
        app.add_handler(CallbackQueryHandler(callback, pattern=cb_pattern(prefix)))
    COMMAND_CALLBACKS.update(schedule=start_schedule, meetings=list_meetings)
