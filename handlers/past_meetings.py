"""Recording a meeting held before the branch used the bot, or while it was down.

The secretary picks the kind (and 党小组), types the day (optionally with the time), the
topic, marks each member present, on leave or absent with buttons (everyone starts present),
types the minutes and confirms. The meeting is stored closed and marked "entered
afterwards" (storage/past_meetings.py); it counts for compliance and appears in the ledger.
Nobody is asked to catch up (补学) for it.

Callback data (every press is checked again on the server; ids are never trusted):

    pm:new:<org>                 leader: record a past meeting of this branch ("past_meeting")
    pm:kind:<kind>               its kind                                    (state PM_KIND)
    pm:grp:<group>               the 党小组 of a group meeting                (state PM_GROUP)
    pm:t:<membership>            present → on leave → absent → present        (state PM_PEOPLE)
    pm:pg:<page>                 another page of members                     (state PM_PEOPLE)
    pm:next                      the attendance is complete: the minutes next (state PM_PEOPLE)
    pm:save                      store it                                    (state PM_CONFIRM)
"""

from __future__ import annotations

import logging
from datetime import date, time
from typing import Any

from telegram import InlineKeyboardButton, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
)

from handlers.checkin import clean_minutes, own_cancel_handlers, send_record
from handlers.common import STALE_BUTTON, Refused, answer, current_actor, require, send, show
from handlers.kit.context import BranchContext
from handlers.kit.i18n import N_, Html, Translator, html_join, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.labels import MEETING_KIND_LABELS
from handlers.meetings import MAX_TOPIC, WEEKDAYS
from handlers.registration import INVALID_MESSAGES, TEXT_INPUT, invalid_text
from handlers.ui import button, cb_args, cb_pattern, keyboard, person_name
from rules.dates import read_day, read_moment
from rules.permissions import Actor, can_manage_org
from rules.validation import Invalid, clean_text
from rules.vocabulary import AttendanceStatus, MeetingKind
from storage import meetings as meeting_store
from storage import orgs as org_store
from storage import past_meetings as store
from storage.models import PartyOrganization, utcnow

logger = logging.getLogger(__name__)

PM_KIND, PM_GROUP, PM_DATE, PM_TOPIC, PM_PEOPLE, PM_MINUTES, PM_CONFIRM = range(70, 77)
DRAFT = "pm_draft"
PAGE = 8  # members a page
NEXT_STATUS = {
    AttendanceStatus.PRESENT: AttendanceStatus.ON_LEAVE,
    AttendanceStatus.ON_LEAVE: AttendanceStatus.ABSENT,
    AttendanceStatus.ABSENT: AttendanceStatus.PRESENT,
}
MARKS = {AttendanceStatus.PRESENT: "✅", AttendanceStatus.ON_LEAVE: "🟡",
         AttendanceStatus.ABSENT: "❌"}
ERRORS = {
    "in_future": N_("That day is in the future. Schedule a coming meeting with /schedule."),
    "before_branch": N_(
        "That day is before the branch existed (it is known from {day}). Please check the "
        "date."
    ),
    "same_day": N_(
        "A meeting of this kind is already recorded on that day; it is not entered twice."
    ),
    "group_needed": N_("Please choose the party group again."),
    "not_in_branch": N_("The members of the branch changed meanwhile. Please start again."),
    "not_live": STALE_BUTTON,
}
DATE_HELP = N_(
    "Please type the day like {example}, optionally with the time (like {example} 14:30)."
)


def _draft(context: BranchContext) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT)
    if not isinstance(draft, dict) or not isinstance(draft.get("org"), int):
        raise Refused(STALE_BUTTON)
    return draft


async def _leader(
    session: Any, update: Update, context: BranchContext, org_id: int
) -> tuple[Actor, PartyOrganization]:
    """The presser, who must run this branch (checked again at every step)."""
    actor = await current_actor(session, update, context)
    require(can_manage_org(actor, org_id), update, "past meeting")
    org = await org_store.get_party_org(session, org_id)
    if org is None:
        raise Refused(STALE_BUTTON)
    return actor, org


def _kind_of(draft: dict[str, Any]) -> MeetingKind:
    return MeetingKind(str(draft["kind"]))


def _day_text(t: Translator, draft: dict[str, Any]) -> str:
    day = date.fromisoformat(str(draft["day"]))
    text = f"{day.isoformat()} {t(WEEKDAYS[day.weekday()])}"
    return f"{text} {draft['at']}" if draft.get("at") else text


async def start(update: Update, context: BranchContext) -> int:
    """pm:new:<org>: which kind of meeting was held?"""
    assert context.user_data is not None and update.callback_query is not None
    (org_id,) = cb_args(update.callback_query.data, "pm", str, int)[1:]
    async with context.db.session() as session:
        actor, org = await _leader(session, update, context, org_id)
        groups = await org_store.groups_of(session, org.id)
    t = translator(actor.language)
    context.user_data[DRAFT] = {"org": org.id}
    kinds = [k for k in MeetingKind if k is not MeetingKind.GROUP or groups]
    await answer(update)
    await send(
        update,
        html_join("\n", [
            t("<b>Record a past meeting</b> of {branch}", branch=org.name),
            t("For a meeting held before the branch used the bot, or while it was down. It is "
              "marked as entered afterwards, counts for compliance and appears in the ledger. "
              "Nobody is asked to catch up for it."),
            t("Which kind of meeting was it?"),
        ]),
        reply_markup=keyboard(
            [[button(t(MEETING_KIND_LABELS[k]), "pm", "kind", k.value)] for k in kinds]
            + [[button(t("Cancel"), "x", "cancel")]]
        ),
    )
    return PM_KIND


async def choose_kind(update: Update, context: BranchContext) -> int:
    """pm:kind:<kind>: a group meeting needs its 党小组; every kind then the day."""
    assert update.callback_query is not None
    (value,) = cb_args(update.callback_query.data, "pm", str, str)[1:]
    draft = _draft(context)
    try:
        kind = MeetingKind(value)
    except ValueError:
        raise Refused(STALE_BUTTON) from None
    async with context.db.session() as session:
        actor, org = await _leader(session, update, context, draft["org"])
        groups = await org_store.groups_of(session, org.id)
    t = translator(actor.language)
    draft["kind"] = kind.value
    await answer(update)
    if kind is MeetingKind.GROUP:
        if not groups:
            raise Refused(STALE_BUTTON)
        await show(update, t("Which party group met?"), reply_markup=keyboard(
            [[button(g.name, "pm", "grp", g.id)] for g in groups]
            + [[button(t("Cancel"), "x", "cancel")]]
        ))
        return PM_GROUP
    return await ask_day(update, t)


async def choose_group(update: Update, context: BranchContext) -> int:
    """pm:grp:<group>."""
    assert update.callback_query is not None
    (group_id,) = cb_args(update.callback_query.data, "pm", str, int)[1:]
    draft = _draft(context)
    async with context.db.session() as session:
        actor, org = await _leader(session, update, context, draft["org"])
        groups = {g.id for g in await org_store.groups_of(session, org.id)}
    if group_id not in groups or draft.get("kind") != MeetingKind.GROUP.value:
        raise Refused(STALE_BUTTON)
    draft["group"] = group_id
    await answer(update)
    return await ask_day(update, translator(actor.language))


async def ask_day(update: Update, t: Translator) -> int:
    await show(update, t("On which day was it held? Type the day like {example}, optionally "
                         "with the time (like {example} 14:30).",
                         example=utcnow().date().replace(day=1).isoformat()))
    return PM_DATE


def read_when(text: str | None, today: date, language: str) -> tuple[date, time | None] | Invalid:
    """A past day, with the time when one was typed."""
    moment = read_moment(text, today, language=language, prefer="past")
    if not isinstance(moment, Invalid):
        return moment.day, moment.at
    day = read_day(text, today, language=language, prefer="past")
    return day if isinstance(day, Invalid) else (day, None)


async def enter_day(update: Update, context: BranchContext) -> int:
    """The typed day: not in the future, not before the branch existed; echoed back."""
    assert update.message is not None
    draft = _draft(context)
    tz = context.settings.tzinfo
    now = utcnow()
    today = now.astimezone(tz).date()
    async with context.db.session() as session:
        actor, org = await _leader(session, update, context, draft["org"])
    t = translator(actor.language)
    when = read_when(update.message.text, today, actor.language)
    if isinstance(when, Invalid):
        example = today.replace(day=1).isoformat()
        await send(update, invalid_text(t, when) if when.reason in INVALID_MESSAGES
                   and when.reason != "date_format" else t(DATE_HELP, example=example))
        return PM_DATE
    day, at = when
    problem = store.check_day(day, org, now=now, tz=tz)
    if problem is None and at is not None and day == today and at > now.astimezone(tz).time():
        problem = "in_future"
    if problem:
        await send(update, t(ERRORS[problem], day=store.earliest_day(org, tz).isoformat()))
        return PM_DATE
    draft["day"], draft["at"] = day.isoformat(), at.strftime("%H:%M") if at else None
    await send(update, t("Understood: {day}.", day=_day_text(t, draft)) + "\n"
               + t("What was the topic?"))
    return PM_TOPIC


async def enter_topic(update: Update, context: BranchContext) -> int:
    """The topic; then who was there, everyone present to begin with."""
    assert update.message is not None
    draft = _draft(context)
    async with context.db.session() as session:
        actor, org = await _leader(session, update, context, draft["org"])
        t = translator(actor.language)
        topic = clean_text(update.message.text, max_length=MAX_TOPIC)
        if isinstance(topic, Invalid):
            await send(update, invalid_text(t, topic))
            return PM_TOPIC
        expected = await store.who_was_expected(session, org.id, _kind_of(draft),
                                                draft.get("group"))
    draft["topic"] = topic
    draft["people"] = {str(mid): [person_name(t, p), AttendanceStatus.PRESENT.value]
                       for mid, p in expected}
    await render_people(update, t, draft, 0, new=True)
    return PM_PEOPLE


async def render_people(
    update: Update, t: Translator, draft: dict[str, Any], page: int, *, new: bool = False
) -> None:
    people: dict[str, list[str]] = draft["people"]
    ids = list(people)
    pages = max(1, -(-len(ids) // PAGE))
    page = min(max(page, 0), pages - 1)
    statuses = [AttendanceStatus(s) for _n, s in people.values()]
    lines = [
        t("Who was there? Press a name to change it: ✅ present → 🟡 on leave → ❌ absent."),
        t("Present {present} · on leave {on_leave} · absent {absent}",
          present=statuses.count(AttendanceStatus.PRESENT),
          on_leave=statuses.count(AttendanceStatus.ON_LEAVE),
          absent=statuses.count(AttendanceStatus.ABSENT)),
    ]
    if not ids:
        lines.append(t("Nobody in the branch is expected at this kind of meeting."))
    rows: list[list[InlineKeyboardButton]] = [
        [button(f"{MARKS[AttendanceStatus(people[mid][1])]} {people[mid][0]}", "pm", "t", mid)]
        for mid in ids[page * PAGE : (page + 1) * PAGE]
    ]
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(button(t("‹ Previous"), "pm", "pg", page - 1))
        nav.append(button(f"{page + 1}/{pages}", "pm", "pg", page))
        if page < pages - 1:
            nav.append(button(t("Next ›"), "pm", "pg", page + 1))
        rows.append(nav)
    rows.append([button(t("Continue ›"), "pm", "next")])
    rows.append([button(t("Cancel"), "x", "cancel")])
    draft["page"] = page
    await show(update, html_join("\n", lines), reply_markup=keyboard(rows), new=new)


async def toggle(update: Update, context: BranchContext) -> int:
    """pm:t:<membership>: the next status for one member on the list."""
    assert update.callback_query is not None
    (membership_id,) = cb_args(update.callback_query.data, "pm", str, int)[1:]
    draft = _draft(context)
    line = draft.get("people", {}).get(str(membership_id))
    if line is None:
        raise Refused(STALE_BUTTON)
    async with context.db.session() as session:
        actor, _org = await _leader(session, update, context, draft["org"])
    line[1] = NEXT_STATUS[AttendanceStatus(line[1])].value
    await answer(update)
    await render_people(update, translator(actor.language), draft, int(draft.get("page", 0)))
    return PM_PEOPLE


async def turn_page(update: Update, context: BranchContext) -> int:
    """pm:pg:<page>."""
    assert update.callback_query is not None
    (page,) = cb_args(update.callback_query.data, "pm", str, int)[1:]
    draft = _draft(context)
    async with context.db.session() as session:
        actor, _org = await _leader(session, update, context, draft["org"])
    await answer(update)
    await render_people(update, translator(actor.language), draft, page)
    return PM_PEOPLE


async def ask_minutes(update: Update, context: BranchContext) -> int:
    """pm:next: the minutes."""
    draft = _draft(context)
    async with context.db.session() as session:
        actor, _org = await _leader(session, update, context, draft["org"])
    t = translator(actor.language)
    await answer(update)
    await show(update, t("Type the minutes: what was discussed and decided (at most {limit} "
                         "characters).", limit=4000))
    return PM_MINUTES


def summary(t: Translator, draft: dict[str, Any]) -> Html:
    statuses = [AttendanceStatus(s) for _n, s in draft["people"].values()]
    return html_join("\n", [
        t("Record this meeting as entered afterwards?"),
        t("{kind} «{topic}», {day}", kind=t(MEETING_KIND_LABELS[_kind_of(draft)]),
          topic=draft["topic"], day=_day_text(t, draft)),
        t("Expected {expected} · present {present} · on leave {on_leave} · absent {absent}",
          expected=len(statuses), present=statuses.count(AttendanceStatus.PRESENT),
          on_leave=statuses.count(AttendanceStatus.ON_LEAVE),
          absent=statuses.count(AttendanceStatus.ABSENT)),
        t("It counts for compliance; nobody is asked to catch up for it."),
    ])


async def enter_minutes(update: Update, context: BranchContext) -> int:
    """The minutes; then the summary to confirm."""
    assert update.message is not None
    draft = _draft(context)
    async with context.db.session() as session:
        actor, _org = await _leader(session, update, context, draft["org"])
    t = translator(actor.language)
    minutes = clean_minutes(update.message.text)
    if isinstance(minutes, Invalid):
        await send(update, invalid_text(t, minutes))
        return PM_MINUTES
    draft["minutes"] = minutes
    await send(update, summary(t, draft), reply_markup=keyboard(
        [[button(t("💾 Save the record"), "pm", "save")], [button(t("Cancel"), "x", "cancel")]]
    ))
    return PM_CONFIRM


async def save(update: Update, context: BranchContext) -> int:
    """pm:save: store the closed meeting, counted; show its record."""
    assert context.user_data is not None
    draft = _draft(context)
    if not draft.get("minutes") or "people" not in draft:
        raise Refused(STALE_BUTTON)
    tz = context.settings.tzinfo
    async with context.db.session() as session:
        actor, org = await _leader(session, update, context, draft["org"])
        t = translator(actor.language)
        past = store.PastMeeting(
            org_id=org.id, kind=_kind_of(draft), day=date.fromisoformat(draft["day"]),
            at=time.fromisoformat(draft["at"]) if draft.get("at") else None,
            topic=draft["topic"], minutes=draft["minutes"], party_group_id=draft.get("group"),
            attendance={int(mid): AttendanceStatus(s) for mid, (_n, s) in draft["people"].items()},
        )
        try:
            meeting = await store.record_past(session, past, by=actor.telegram_id, now=utcnow(),
                                              tz=tz)
        except meeting_store.MeetingError as error:  # raised before anything is written
            context.user_data.pop(DRAFT, None)
            raise Refused(ERRORS.get(error.code, STALE_BUTTON),
                          day=store.earliest_day(org, tz).isoformat()) from None
        meeting_id = meeting.id
    context.user_data.pop(DRAFT, None)
    logger.info("user %s recorded past meeting %s", pseudonym(actor.telegram_id), meeting_id)
    await answer(update)
    await show(update, t("📝 Recorded as entered afterwards."))
    await send_record(update, context, meeting_id)
    return ConversationHandler.END


def register(app: Application) -> None:
    """The past-meeting conversation; its buttons answer only in their step."""
    app.add_handler(ConversationHandler(
        entry_points=[CallbackQueryHandler(start, pattern=cb_pattern("pm:new"))],
        states={
            PM_KIND: [CallbackQueryHandler(choose_kind, pattern=cb_pattern("pm:kind"))],
            PM_GROUP: [CallbackQueryHandler(choose_group, pattern=cb_pattern("pm:grp"))],
            PM_DATE: [MessageHandler(TEXT_INPUT, enter_day)],
            PM_TOPIC: [MessageHandler(TEXT_INPUT, enter_topic)],
            PM_PEOPLE: [
                CallbackQueryHandler(toggle, pattern=cb_pattern("pm:t")),
                CallbackQueryHandler(turn_page, pattern=cb_pattern("pm:pg")),
                CallbackQueryHandler(ask_minutes, pattern=r"^pm:next$"),
            ],
            PM_MINUTES: [MessageHandler(TEXT_INPUT, enter_minutes)],
            PM_CONFIRM: [CallbackQueryHandler(save, pattern=r"^pm:save$")],
        },
        fallbacks=own_cancel_handlers(),
        name="past_meeting",
        persistent=True,
        allow_reentry=True,
    ))
