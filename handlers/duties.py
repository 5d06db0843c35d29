"""Reporting deadlines and term renewals by chat (issue 6; DOMAIN.md "Renewals and reporting
duties"): /duties for a branch's upcoming deadlines (mark one done, with its document or
without), the calendar an admin edits, custom deadlines; /renewal records a 换届.

Callback data (every press is checked again on the server; ids are never trusted):

==================================  ============================================================
du:pick:<page>                      the organizations whose deadlines a leader can see
du:l:<org>                          an organization's deadlines
du:o:<duty>:<org>:<occurrence>      mark an occurrence done                        ("duties")
du:dd:<org> / du:ddok               the branch's dues collection day (handlers/dues_day.py)
du:nodoc / du:ok                    done without a document / confirm        (M_FILE, M_CONFIRM)
du:cal:<page>                       the duty calendar (admins)
du:d:<duty>                         one duty of the calendar (admins)
du:e:<duty>:<d|m|l>                 edit its day, month or lead days: typed        ("duties")
du:eok                              confirm the edit                               (E_CONFIRM)
du:off:<duty>:<0|1> / du:offy:...   switch a duty off (0) or on (1) / confirm (admins)
du:new:<org>                        a custom deadline for <org> (0: everyone, admins)
du:r:<recurrence> / du:m:<month>    how often / which month                (N_REC, N_MONTH)
du:a:<s|m|sa> / du:ld / du:save     audience / default lead days / save  (N_AUD, N_LEADS, ...)
rn:pick:<page>                      organizations whose term ends or has ended (admins)
rn:o:<org>                          record a renewal: the election day is typed    ("duties")
rn:s:<person> / rn:sp:<page>        the elected secretary / another page           (RN_SEC)
rn:d:<person|0> / rn:dp:<page>      the elected deputy (0: none) / another page    (RN_DEP)
rn:ok                               confirm                                        (RN_CONFIRM)
==================================  ============================================================

"Today" is the reminder clock's (the courier's), so what is listed agrees with what is sent.
"""

from __future__ import annotations

import calendar
import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.kit.buttons import BadCallback
from handlers.kit.chat import (
    STALE_BUTTON,
    Refused,
    answer,
    current_actor,
    require,
    send,
    show,
)
from handlers.kit.context import BranchContext
from handlers.kit.date_step import DateStep
from handlers.kit.flows import invalid_text
from handlers.kit.i18n import (
    BLANK,
    N_,
    Html,
    Translator,
    html_format,
    html_join,
    plain_text,
    translator,
)
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import button, cb_args, cb_pattern, keyboard, paged, person_name
from handlers.labels import (
    APPROXIMATE_NOTE,
    DUTY_AUDIENCE_LABELS,
    DUTY_RECURRENCE_LABELS,
    duty_title,
)
from handlers.ledger import fit
from handlers.meetings import drop_buttons, step_fallbacks
from handlers.members import OrgPicker, leader_actor, open_picker, turn_picker_page
from handlers.menu import COMMAND_CALLBACKS
from handlers.registration import TEXT_INPUT
from handlers.training import EVIDENCE_TEXTS, _megabytes, evidence_of
from rules import duties as duty_rules
from rules import training as training_rules
from rules.permissions import Actor, can_manage_org
from rules.validation import (
    MAX_ORG_NAME,
    Invalid,
    clean_text,
    parse_whole,
    parse_whole_list,
)
from rules.vocabulary import MembershipState
from storage import duties as store
from storage import orgs as org_store
from storage import people
from storage.holiday_calendar import work_calendar
from storage.models import Duty, PartyOrganization

logger = logging.getLogger(__name__)

# States of the "duties" conversation.
M_FILE, M_CONFIRM = 130, 131
E_VALUE, E_CONFIRM = 132, 133
N_TITLE, N_REC, N_MONTH, N_DAY, N_ON, N_AUD, N_LEADS, N_CONFIRM = range(134, 142)
RN_ELECTED, RN_SEC, RN_DEP, RN_APPROVED, RN_CONFIRM = range(142, 147)

DRAFT = "duty_draft"  # user_data: the flow in progress, JSON-safe values only

MAX_TITLE = MAX_ORG_NAME * 2  # as Duty.title allows (200)
DEFAULT_LEADS = (7, 1)
AUDIENCES = {
    "s": ("secretaries",),
    "m": ("members",),
    "sa": ("admins", "secretaries"),
}
FIELD_NAMES = {"d": N_("day of the month"), "m": N_("month"), "l": N_("reminder days")}
ERROR_TEXTS = {
    "bad_leads": N_(
        "Reminder days are whole numbers from 0 to 180, at most 6 of them, for example 7, 1."
    ),
    "bad_fields": N_("That date does not fit this deadline. Please check it and type it again."),
    "date_future": N_("That date is in the future. Please type a past date."),
    "approved_before_elected": N_(
        "The approval cannot come before the election. Please type the approval date again."
    ),
    "elected_before_term": N_(
        "The election must come after the start of the current term ({start}). Please type "
        "the election day again."
    ),
    "same_person": N_("The deputy must be someone other than the secretary."),
    "not_member": N_("Choose active members of the organization."),
}


def error_text(t: Translator, code: str, **values: Any) -> Html:
    message = ERROR_TEXTS[code]
    return t(message, **values)


def _today(context: BranchContext) -> date:
    """The reminder clock's local date (tests move it; in production it is the wall clock)."""
    return context.now().astimezone(context.settings.tzinfo).date()


def _draft(context: BranchContext, flow: str) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT)
    if not isinstance(draft, dict) or draft.get("flow") != flow:
        raise Refused(STALE_BUTTON)
    return draft


def _start(context: BranchContext, flow: str, **values: Any) -> dict[str, Any]:
    assert context.user_data is not None
    context.user_data[DRAFT] = {"flow": flow, **values}
    return context.user_data[DRAFT]


def _cancel_row(t: Translator) -> list[InlineKeyboardButton]:
    return [button(t("Cancel"), "x", "cancel")]


def when_text(t: Translator, duty: Duty) -> Html:
    """How often and on which day, in words."""
    if duty.recurrence == "once":
        return t("once, on {date}", date=duty.on_date.isoformat() if duty.on_date else "?")
    if duty.recurrence == "monthly":
        return t("monthly, on day {day}", day=duty.day)
    if duty.recurrence == "quarterly":
        return t("quarterly, day {day} of month {month} of each quarter", day=duty.day,
                 month=duty.month)
    return t("yearly, on {date} (month-day)", date=f"{duty.month or 0:02d}-{duty.day:02d}")


def duty_summary(t: Translator, duty: Duty, org_name: str | None = None) -> Html:
    leads = ", ".join(str(d) for d in duty.lead_days) or "–"
    audience = html_join(t(", "), (t(DUTY_AUDIENCE_LABELS.get(a, a)) for a in duty.audience))
    lines = [
        html_format("{paused}<b>{title}</b>", paused="⏸ " if not duty.active else "",
                    title=duty_title(t, duty.code, duty.title)),
        t("When: {when}", when=when_text(t, duty)),
        t("Reminders: {leads} day(s) before, to {audience}", leads=leads, audience=audience),
    ]
    if org_name:
        lines.append(t("For: {org} and below", org=org_name))
    if not duty.active:
        lines.append(t("Switched off: no reminders."))
    return html_join("\n", lines)


# ---------------------------------------------------------------------------------------
# /duties: a branch's deadlines
# ---------------------------------------------------------------------------------------

DUTIES_PICKER = OrgPicker(N_("Deadlines of which organization?"), ("du", "l"), ("du", "pick"),
                          member_kinds_only=False)


async def show_duties(update: Update, context: BranchContext) -> None:
    """/duties: an admin gets the calendar; a secretary their organization's deadlines."""
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, "duties")
    if actor.is_admin:
        await render_calendar(update, context, 0, new=True)
        return
    await open_picker(
        update, context, DUTIES_PICKER, purpose="duties",
        nothing=N_("There are no branches yet."),
        on_one=lambda org_id: render_org(update, context, org_id, new=True),
    )


async def choose_org_page(update: Update, context: BranchContext) -> None:
    """du:pick:<page>."""
    assert update.callback_query is not None
    (_, page) = cb_args(update.callback_query.data, "du", str, int)
    await turn_picker_page(update, context, DUTIES_PICKER, page)


async def _org(
    session: AsyncSession, update: Update, context: BranchContext, org_id: int, what: str
) -> tuple[Actor, PartyOrganization]:
    actor = await leader_actor(session, update, context, what)
    require(can_manage_org(actor, org_id), update, what)
    org = await org_store.get_party_org(session, org_id)
    if org is None:
        raise Refused(STALE_BUTTON)
    return actor, org


def line_text(t: Translator, line: store.DutyLine, today: date) -> Html:
    title = duty_title(t, line.code, line.title)
    due = ("≈" if line.approximate else "") + line.deadline.isoformat()
    if line.deadline != line.due_on:
        due = t("{deadline} (moved from {due}, a rest day)", deadline=due,
                due=line.due_on.isoformat())
    if line.done:
        state = t("✅ done") + (" 📎" if line.file_id else "")
    elif line.deadline == today:
        state = t("⚠️ due today")
    elif line.deadline > today:
        state = t.plural("⏳ {n} day left", "⏳ {n} days left", (line.deadline - today).days)
    else:
        state = t.plural("❗ {n} day overdue", "❗ {n} days overdue", (today - line.deadline).days)
    return t("· {title} ({occurrence}): due {due} — {state}", title=title,
             occurrence=line.occurrence, due=due, state=state)


async def render_org(
    update: Update, context: BranchContext, org_id: int, note: Html = BLANK, *, new: bool = False
) -> None:
    """An organization's deadlines: overdue, done and the next of each duty, by date."""
    from handlers import dues_day

    today = _today(context)
    async with context.db.session() as session:
        actor, org = await _org(session, update, context, org_id, "duties")
        lines = await store.upcoming(session, org, today)
        dues = await dues_day.dues_duty(session, org)
    t = translator(actor.language)
    text = [note, BLANK] if note else []
    text.append(t("📋 <b>Deadlines · {org}</b> (today {today})", org=org.name,
                  today=today.isoformat()))
    if not lines:
        text.append(t("No reporting deadlines apply."))
    text += [line_text(t, line, today) for line in lines]
    if any(line.approximate for line in lines):
        text += [BLANK, t(APPROXIMATE_NOTE)]
    if dues is not None:
        text += [BLANK, dues_day.status_line(t, org, dues)]
    rows = [
        [button(t.as_plain("✅ Mark done: {title} ({occurrence})",
                        title=plain_text(duty_title(t, line.code, line.title))[:30],
                        occurrence=line.occurrence),
                "du", "o", line.duty_id, org_id, line.occurrence)]
        for line in lines if not line.done
    ]
    if dues is not None:
        rows.append([button(t("💰 Dues collection day"), "du", "dd", org_id)])
    rows.append([button(t("➕ Add a deadline"), "du", "new", org_id)])
    if actor.is_admin:
        rows.append([button(t("‹ Duty calendar"), "du", "cal", 0)])
    markup = keyboard(rows)
    await show(update, html_join("\n", text), reply_markup=markup, new=new)


async def show_org(update: Update, context: BranchContext) -> int:
    """du:l:<org> (also leaves a flow in progress)."""
    assert update.callback_query is not None and context.user_data is not None
    (_, org_id) = cb_args(update.callback_query.data, "du", str, int)
    await render_org(update, context, org_id)
    await answer(update)
    context.user_data.pop(DRAFT, None)
    return ConversationHandler.END


# Marking an occurrence done (M_FILE, M_CONFIRM)


async def _occurrence(
    session: AsyncSession, update: Update, context: BranchContext, duty_id: int, org_id: int,
    key: str,
) -> tuple[Actor, PartyOrganization, Duty, duty_rules.DutyOccurrence]:
    """The presser leads the org, the duty falls on it and has that occurrence."""
    actor, org = await _org(session, update, context, org_id, "mark duty done")
    duty = await session.get(Duty, duty_id)
    if duty is None or duty.id not in {d.id for d in await store.duties_for(session, org)}:
        raise Refused(STALE_BUTTON)
    cal = await work_calendar(session)
    occurrence = store.occurrence_of(duty, org, key, _today(context), cal)
    if occurrence is None:
        raise Refused(STALE_BUTTON)
    return actor, org, duty, occurrence


async def start_mark(update: Update, context: BranchContext) -> int:
    """du:o:<duty>:<org>:<occurrence>: attach the document, or mark it done without one."""
    assert update.callback_query is not None
    (_, duty_id, org_id, key) = cb_args(update.callback_query.data, "du", str, int, int, str)
    async with context.db.session() as session:
        actor, org, duty, occ = await _occurrence(session, update, context, duty_id, org_id, key)
    await answer(update)
    t = translator(actor.language)
    _start(context, "mark", duty=duty_id, org=org_id, occ=occ.key)
    await send(
        update,
        t("{title} ({occurrence}) for {org}: send the document handed in (a photo or a PDF, at "
          "most {mb} MB), or press Done without a document.",
          title=duty_title(t, duty.code, duty.title), occurrence=occ.key, org=org.name,
          mb=_megabytes(context.settings.training_policy.evidence_max_bytes)),
        reply_markup=keyboard([[button(t("Done without a document"), "du", "nodoc")],
                               _cancel_row(t)]),
    )
    return M_FILE


async def mark_file(update: Update, context: BranchContext) -> int:
    """The document: checked by the type and size Telegram reports, never downloaded."""
    assert update.message is not None
    draft = _draft(context, "mark")
    limit = context.settings.training_policy.evidence_max_bytes
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
    t = translator(actor.language)
    file = evidence_of(update.message)
    problem = (training_rules.EvidenceProblem.NOT_IMAGE_OR_PDF if file is None
               else training_rules.validate_evidence(file.mime_type, file.size_bytes,
                                                     max_bytes=limit))
    if problem is not None or file is None:
        size = file.size_bytes if file is not None and file.size_bytes else 0
        message = EVIDENCE_TEXTS[problem or training_rules.EvidenceProblem.NOT_IMAGE_OR_PDF]
        await send(update, t(message, size=_megabytes(size), limit=_megabytes(limit)),
                   reply_markup=keyboard([[button(t("Done without a document"), "du",
                                                  "nodoc")], _cancel_row(t)]))
        return M_FILE
    draft["file"] = {"id": file.telegram_file_id, "name": file.file_name or t("photo")}
    return await ask_mark_confirm(update, context)


async def mark_text(update: Update, context: BranchContext) -> int:
    """Text while the document is expected."""
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
    t = translator(actor.language)
    await send(update, t("Please send a photo or a PDF, or press the button below."),
               reply_markup=keyboard([[button(t("Done without a document"), "du", "nodoc")],
                                      _cancel_row(t)]))
    return M_FILE


async def mark_without_file(update: Update, context: BranchContext) -> int:
    """du:nodoc."""
    draft = _draft(context, "mark")
    draft["file"] = None
    await answer(update)
    await drop_buttons(update)
    return await ask_mark_confirm(update, context)


async def ask_mark_confirm(update: Update, context: BranchContext) -> int:
    draft = _draft(context, "mark")
    async with context.db.session() as session:
        actor, org, duty, occ = await _occurrence(session, update, context, int(draft["duty"]),
                                                  int(draft["org"]), str(draft["occ"]))
    t = translator(actor.language)
    file = draft.get("file")
    text = t("Mark {title} ({occurrence}) for {org} done?", title=duty_title(t, duty.code,
             duty.title), occurrence=occ.key, org=org.name)
    text += "\n" + (t("Document: {name}", name=file["name"]) if isinstance(file, dict)
                    else t("Without a document."))
    text += "\n" + t("Its reminders stop.")
    await send(update, text, reply_markup=keyboard([[button(t("✅ Confirm"), "du", "ok")],
                                                    _cancel_row(t)]))
    return M_CONFIRM


async def confirm_mark(update: Update, context: BranchContext) -> int:
    """du:ok: recorded once; its reminders are cancelled."""
    assert context.user_data is not None
    draft = _draft(context, "mark")
    file = draft.get("file") if isinstance(draft.get("file"), dict) else None
    async with context.db.session() as session:
        actor, org, duty, occ = await _occurrence(session, update, context, int(draft["duty"]),
                                                  int(draft["org"]), str(draft["occ"]))
        applied = await store.complete(
            session, duty, org.id, occ.key, by=actor.telegram_id,
            file_id=str(file["id"]) if file else None,
            file_name=str(file["name"]) if file else None,
        )
    await answer(update)
    await drop_buttons(update)
    context.user_data.pop(DRAFT, None)
    t = translator(actor.language)
    note = t("✅ Marked done: {title} ({occurrence}).", title=duty_title(t, duty.code, duty.title),
             occurrence=occ.key) if applied else t("It was already marked done.")
    logger.info("user %s marked duty %s %s done for org %s", pseudonym(actor.telegram_id), duty.id,
                occ.key, org.id)
    await render_org(update, context, org.id, note, new=True)
    return ConversationHandler.END


# ---------------------------------------------------------------------------------------
# The calendar (admins): edit a duty, switch it off, add a custom one
# ---------------------------------------------------------------------------------------


async def _admin(session: AsyncSession, update: Update, context: BranchContext, what: str
                 ) -> Actor:
    actor = await current_actor(session, update, context)
    require(actor.is_admin, update, what)
    return actor


async def render_calendar(
    update: Update, context: BranchContext, page: int, note: Html = BLANK, *, new: bool = False
) -> None:
    """Every duty with its dates and reminders; one button each."""
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "duty calendar")
        await store.ensure_default_duties(session, context.now())
        duties = await store.calendar(session, None)
        names = {row.org.id: row.org.name for row in await org_store.party_tree(session, None)}
    t = translator(actor.language)
    text = [note, BLANK] if note else []
    text.append(t("📅 <b>Duty calendar</b>: deadlines on a rest day move to the next working "
                  "day."))
    for duty in duties:
        text += [BLANK, duty_summary(t, duty, names.get(duty.party_organization_id or 0))]
    items = [button(("⏸ " if not d.active else "")
                    + plain_text(duty_title(t, d.code, d.title))[:40], "du", "d", d.id)
             for d in duties]
    extra = [[button(t("➕ Add a deadline for everyone"), "du", "new", 0)],
             [button(t("🏢 A branch's deadlines"), "du", "pick", 0)]]
    markup = paged(t, items, page, ("du", "cal"), extra)
    await show(update, fit(text), reply_markup=markup, new=new)


async def show_calendar(update: Update, context: BranchContext) -> int:
    """du:cal:<page> (also leaves a flow in progress)."""
    assert update.callback_query is not None and context.user_data is not None
    (_, page) = cb_args(update.callback_query.data, "du", str, int)
    await render_calendar(update, context, page)
    await answer(update)
    context.user_data.pop(DRAFT, None)
    return ConversationHandler.END


async def _duty(session: AsyncSession, update: Update, context: BranchContext, duty_id: int,
                what: str) -> tuple[Actor, Duty]:
    actor = await _admin(session, update, context, what)
    duty = await session.get(Duty, duty_id)
    if duty is None:
        raise Refused(STALE_BUTTON)
    return actor, duty


async def render_duty(update: Update, context: BranchContext, duty_id: int, note: Html = BLANK, *,
                      new: bool = False) -> None:
    async with context.db.session() as session:
        actor, duty = await _duty(session, update, context, duty_id, "duty card")
        org = (await org_store.get_party_org(session, duty.party_organization_id)
               if duty.party_organization_id else None)
    t = translator(actor.language)
    text = ([note, BLANK] if note else []) + [duty_summary(t, duty, org.name if org else None)]
    rows = [[button(t("✏️ Day"), "du", "e", duty.id, "d")]] if duty.recurrence != "once" else []
    if duty.recurrence in ("yearly", "quarterly"):
        rows.append([button(t("✏️ Month"), "du", "e", duty.id, "m")])
    rows.append([button(t("✏️ Reminder days"), "du", "e", duty.id, "l")])
    rows.append([button(t("⏸ Switch off"), "du", "off", duty.id, 0) if duty.active
                 else button(t("▶ Switch on"), "du", "off", duty.id, 1)])
    rows.append([button(t("‹ Duty calendar"), "du", "cal", 0)])
    await show(update, html_join("\n", text), reply_markup=keyboard(rows), new=new)


async def show_duty(update: Update, context: BranchContext) -> int:
    """du:d:<duty> (also leaves an edit in progress)."""
    assert update.callback_query is not None and context.user_data is not None
    (_, duty_id) = cb_args(update.callback_query.data, "du", str, int)
    await render_duty(update, context, duty_id)
    await answer(update)
    context.user_data.pop(DRAFT, None)
    return ConversationHandler.END


async def ask_switch(update: Update, context: BranchContext) -> None:
    """du:off:<duty>:<0|1>: confirm switching a duty off (or on)."""
    assert update.callback_query is not None
    data = update.callback_query.data
    (_, duty_id, on) = cb_args(data, "du", str, int, int)
    if on not in (0, 1):
        raise BadCallback(data)
    async with context.db.session() as session:
        actor, duty = await _duty(session, update, context, duty_id, "switch duty")
    await answer(update)
    t = translator(actor.language)
    title = duty_title(t, duty.code, duty.title)
    text = (t("Switch {title} on again? Its reminders resume.", title=title) if on else
            t("Switch {title} off? Nobody is reminded of it until it is switched on again.",
              title=title))
    await show(update, text, reply_markup=keyboard([
        [button(t("✅ Confirm"), "du", "offy", duty_id, on)],
        [button(t("‹ Back"), "du", "d", duty_id)],
    ]))


async def switch_duty(update: Update, context: BranchContext) -> None:
    """du:offy:<duty>:<0|1>."""
    assert update.callback_query is not None
    data = update.callback_query.data
    (_, duty_id, on) = cb_args(data, "du", str, int, int)
    if on not in (0, 1):
        raise BadCallback(data)
    async with context.db.session() as session:
        actor, duty = await _duty(session, update, context, duty_id, "switch duty")
        await store.edit_duty(session, duty, by=actor.telegram_id, active=bool(on))
    await answer(update)
    t = translator(actor.language)
    await render_duty(update, context, duty_id, t("Switched on.") if on else t("Switched off."))


async def ask_edit(update: Update, context: BranchContext) -> int:
    """du:e:<duty>:<d|m|l>: the new value is typed next."""
    assert update.callback_query is not None
    data = update.callback_query.data
    (_, duty_id, field) = cb_args(data, "du", str, int, str)
    if field not in FIELD_NAMES:
        raise BadCallback(data)
    async with context.db.session() as session:
        actor, duty = await _duty(session, update, context, duty_id, "edit duty")
    await answer(update)
    t = translator(actor.language)
    if (field == "m" and duty.recurrence not in ("yearly", "quarterly")) or (
            field == "d" and duty.recurrence == "once"):
        raise Refused(STALE_BUTTON)
    _start(context, "edit", duty=duty_id, field=field)
    questions = {
        "d": t("Which day of the month? Type 1 to 31 (31: the last day). Now {value}.",
               value=duty.day),
        "m": t("Which month? Type 1 to 12 (quarterly: 1 to 3, the month within the quarter). "
               "Now {value}.", value=duty.month),
        "l": t("How many days before the deadline should reminders come? Type numbers like "
               "30, 7, 1 (0: on the day). Now {value}.",
               value=", ".join(str(d) for d in duty.lead_days)),
    }
    await send(update, questions[field],
               reply_markup=keyboard([[button(t("‹ Back"), "du", "d", duty_id)]]))
    return E_VALUE


def parse_leads(text: str | None) -> list[int] | None:
    """"30, 14, 7 1" -> [30, 14, 7, 1]; None unless 1 to MAX_LEADS numbers up to MAX_LEAD_DAYS."""
    leads = parse_whole_list(text, minimum=0, maximum=store.MAX_LEAD_DAYS,
                             max_items=store.MAX_LEADS)
    return None if isinstance(leads, Invalid) else leads


def parse_number(text: str | None) -> int | None:
    """A typed day or month (ASCII or full-width digits); the caller checks the range."""
    number = parse_whole(text, minimum=0, maximum=9999)
    return None if isinstance(number, Invalid) else number


async def enter_edit(update: Update, context: BranchContext) -> int:
    """The typed day, month or lead days: checked against the duty, then confirmed."""
    assert update.message is not None
    draft = _draft(context, "edit")
    async with context.db.session() as session:
        actor, duty = await _duty(session, update, context, int(draft["duty"]), "edit duty")
        field = str(draft["field"])
        t = translator(actor.language)
        changes: dict[str, Any] = {}
        if field == "l":
            leads = parse_leads(update.message.text)
            if leads is None:
                await send(update, error_text(t, "bad_leads"))
                return E_VALUE
            changes["lead_days"] = leads
        else:
            number = parse_number(update.message.text)
            if number is None:
                await send(update, t("Please type a number."))
                return E_VALUE
            changes["day" if field == "d" else "month"] = number
        try:
            store.check_template(
                recurrence=duty.recurrence, day=changes.get("day", duty.day),
                month=changes.get("month", duty.month), on=duty.on_date,
                lead_days=changes.get("lead_days", duty.lead_days), audience=duty.audience,
            )
        except store.DutyError as error:
            await send(update, error_text(t, error.code))
            return E_VALUE
        before = {"d": duty.day, "m": duty.month,
                  "l": ", ".join(str(d) for d in duty.lead_days)}[field]
    after = ", ".join(str(d) for d in changes["lead_days"]) if field == "l" else next(
        iter(changes.values()))
    draft["changes"] = changes
    await send(update, t("Change the {field} of {title}: {before} → {after}?",
                         field=t(FIELD_NAMES[field]), title=duty_title(t, duty.code, duty.title),
                         before=before, after=after),
               reply_markup=keyboard([[button(t("✅ Confirm"), "du", "eok")],
                                      [button(t("‹ Back"), "du", "d", duty.id)]]))
    return E_CONFIRM


async def confirm_edit(update: Update, context: BranchContext) -> int:
    """du:eok: the change is stored (audited); reminders follow it from the next pass."""
    assert context.user_data is not None
    draft = _draft(context, "edit")
    changes = draft.get("changes")
    if not isinstance(changes, dict):
        raise Refused(STALE_BUTTON)
    async with context.db.session() as session:
        actor, duty = await _duty(session, update, context, int(draft["duty"]), "edit duty")
        try:
            await store.edit_duty(session, duty, by=actor.telegram_id, **changes)
        except store.DutyError as error:
            raise Refused(ERROR_TEXTS[error.code]) from None
        duty_id = duty.id
    await answer(update)
    await drop_buttons(update)
    context.user_data.pop(DRAFT, None)
    t = translator(actor.language)
    await render_duty(update, context, duty_id, t("✅ Saved."), new=True)
    return ConversationHandler.END


# Adding a custom deadline (N_*)


async def _new_scope(session: AsyncSession, update: Update, context: BranchContext, org_id: int
                     ) -> tuple[Actor, PartyOrganization | None]:
    """0 (everyone) is for admins; an organization for its leaders and admins."""
    actor = await leader_actor(session, update, context, "add duty")
    if org_id == 0:
        require(actor.is_admin, update, "add duty")
        return actor, None
    require(can_manage_org(actor, org_id), update, "add duty")
    org = await org_store.get_party_org(session, org_id)
    if org is None:
        raise Refused(STALE_BUTTON)
    return actor, org


async def _new_step(session: AsyncSession, update: Update, context: BranchContext
                    ) -> tuple[Actor, Translator, dict[str, Any]]:
    draft = _draft(context, "new")
    actor, _org = await _new_scope(session, update, context, int(draft["org"]))
    return actor, translator(actor.language), draft


async def start_new(update: Update, context: BranchContext) -> int:
    """du:new:<org>: the title is typed first."""
    assert update.callback_query is not None
    (_, org_id) = cb_args(update.callback_query.data, "du", str, int)
    async with context.db.session() as session:
        actor, org = await _new_scope(session, update, context, org_id)
    await answer(update)
    t = translator(actor.language)
    _start(context, "new", org=org_id, org_name=org.name if org else "")
    where = org.name if org else t("every organization")
    await send(update, t("A new deadline for {org}. What is it? Type a short title, for "
                         "example: Report on the theme education.", org=where),
               reply_markup=keyboard([_cancel_row(t)]))
    return N_TITLE


async def new_title(update: Update, context: BranchContext) -> int:
    assert update.message is not None
    async with context.db.session() as session:
        _actor, t, draft = await _new_step(session, update, context)
    title = clean_text(update.message.text, max_length=MAX_TITLE)
    if isinstance(title, Invalid):
        await send(update, invalid_text(t, title))
        return N_TITLE
    draft["title"] = title
    rows = [[button(t(label), "du", "r", code)] for code, label in DUTY_RECURRENCE_LABELS.items()]
    await send(update, t("How often is it due?"), reply_markup=keyboard([*rows, _cancel_row(t)]))
    return N_REC


async def new_recurrence(update: Update, context: BranchContext) -> int:
    """du:r:<recurrence>."""
    assert update.callback_query is not None
    data = update.callback_query.data
    (_, value) = cb_args(data, "du", str, str)
    if value not in DUTY_RECURRENCE_LABELS:
        raise BadCallback(data)
    async with context.db.session() as session:
        _actor, t, draft = await _new_step(session, update, context)
    await answer(update)
    await drop_buttons(update)
    draft["rec"] = value
    if value == "once":
        return await ON_STEP.ask(
            update, context, t("On which day is it due? Type the date as you would say it "
                               "(for example 5 Dec, next Fri or 2026-12-05) or press a day."),
            [_cancel_row(t)])
    if value == "monthly":
        return await ask_day(update, t)
    top = 12 if value == "yearly" else 3
    question = (t("In which month?") if value == "yearly"
                else t("In which month of each quarter (1st, 2nd or 3rd)?"))
    numbers = [button(str(m), "du", "m", m) for m in range(1, top + 1)]
    rows = [numbers[i:i + 6] for i in range(0, len(numbers), 6)]
    await send(update, question, reply_markup=keyboard([*rows, _cancel_row(t)]))
    return N_MONTH


async def ask_day(update: Update, t: Translator) -> int:
    await send(update, t("On which day of the month? Type 1 to 31 (31: the last day of "
                         "the month)."), reply_markup=keyboard([_cancel_row(t)]))
    return N_DAY


async def new_month(update: Update, context: BranchContext) -> int:
    """du:m:<month>."""
    assert update.callback_query is not None
    data = update.callback_query.data
    (_, month) = cb_args(data, "du", str, int)
    async with context.db.session() as session:
        _actor, t, draft = await _new_step(session, update, context)
    if not 1 <= month <= (12 if draft.get("rec") == "yearly" else 3):
        raise BadCallback(data)
    await answer(update)
    await drop_buttons(update)
    draft["month"] = month
    return await ask_day(update, t)


async def new_day(update: Update, context: BranchContext) -> int:
    assert update.message is not None
    async with context.db.session() as session:
        actor, t, draft = await _new_step(session, update, context)
    day = parse_number(update.message.text)
    month = draft.get("month")
    limit = calendar.monthrange(2028, month)[1] if draft.get("rec") == "yearly" and isinstance(
        month, int) else 31  # a leap year: 29 February is allowed
    if day is None or not 1 <= day <= limit:
        await send(update, t("Please type a day from 1 to {limit}.", limit=limit))
        return N_DAY
    draft["day"] = day
    return await ask_audience(update, t, actor)


def _not_passed(t: Translator, on: date, now: datetime) -> Html | None:
    return t("That day has passed. Please type a date from today on.") if on < now.date() \
        else None


def _not_future(t: Translator, day: date, now: datetime) -> Html | None:
    return error_text(t, "date_future") if day > now.date() else None


async def new_on(update: Update, context: BranchContext, on: date) -> int:
    """The due day, read and echoed by ON_STEP."""
    async with context.db.session() as session:
        actor, t, draft = await _new_step(session, update, context)
    draft["on"] = on.isoformat()
    draft["day"] = on.day
    return await ask_audience(update, t, actor)


async def ask_audience(update: Update, t: Translator, actor: Actor) -> int:
    rows = [[button(t("Secretaries and deputies"), "du", "a", "s")],
            [button(t("All members of the branch"), "du", "a", "m")]]
    if actor.is_admin:
        rows.append([button(t("Secretaries and the upper level (admins)"), "du", "a", "sa")])
    await send(update, t("Whom should it remind?"), reply_markup=keyboard([*rows,
                                                                          _cancel_row(t)]))
    return N_AUD


async def new_audience(update: Update, context: BranchContext) -> int:
    """du:a:<s|m|sa>."""
    assert update.callback_query is not None
    data = update.callback_query.data
    (_, value) = cb_args(data, "du", str, str)
    async with context.db.session() as session:
        actor, t, draft = await _new_step(session, update, context)
    if value not in AUDIENCES:
        raise BadCallback(data)
    require(value != "sa" or actor.is_admin, update, "duty audience")
    await answer(update)
    await drop_buttons(update)
    draft["aud"] = value
    await send(update, t("How many days before the deadline should reminders come? Type "
                         "numbers like 14, 3, 0 (0: on the day), or take the default."),
               reply_markup=keyboard([[button(t("7 and 1 days before"), "du", "ld")],
                                      _cancel_row(t)]))
    return N_LEADS


async def new_leads(update: Update, context: BranchContext) -> int:
    """Typed lead days, or du:ld (7 and 1)."""
    async with context.db.session() as session:
        _actor, t, draft = await _new_step(session, update, context)
    if update.callback_query is not None:
        await answer(update)
        await drop_buttons(update)
        leads: list[int] | None = list(DEFAULT_LEADS)
    else:
        assert update.message is not None
        leads = parse_leads(update.message.text)
    if leads is None or len(leads) > store.MAX_LEADS or any(
            d > store.MAX_LEAD_DAYS for d in leads):
        await send(update, error_text(t, "bad_leads"))
        return N_LEADS
    draft["leads"] = leads
    try:
        store.check_template(**_template_fields(draft))
    except store.DutyError as error:
        await send(update, error_text(t, error.code))
        return N_LEADS
    lines = [
        t("<b>Please check the new deadline:</b>"),
        t("Title: {title}", title=str(draft["title"])),
        t("For: {org}", org=str(draft.get("org_name")) or t("every organization")),
        t("When: {when}", when=_when_of_draft(t, draft)),
        t("Reminders: {leads} day(s) before, to {audience}",
          leads=", ".join(str(d) for d in leads),
          audience=html_join(t(", "), (t(DUTY_AUDIENCE_LABELS[a])
                                          for a in AUDIENCES[str(draft["aud"])]))),
    ]
    await send(update, html_join("\n", lines), reply_markup=keyboard([
        [button(t("✅ Save"), "du", "save")], _cancel_row(t)]))
    return N_CONFIRM


def _template_fields(draft: dict[str, Any]) -> dict[str, Any]:
    rec = str(draft.get("rec"))
    on = date.fromisoformat(str(draft["on"])) if rec == "once" and draft.get("on") else None
    return {
        "recurrence": rec, "day": int(draft.get("day") or 1),
        "month": draft.get("month") if rec in ("yearly", "quarterly") else None, "on": on,
        "lead_days": list(draft.get("leads") or []),
        "audience": list(AUDIENCES.get(str(draft.get("aud")), ())),
    }


def _when_of_draft(t: Translator, draft: dict[str, Any]) -> str:
    fields = _template_fields(draft)
    probe = Duty(recurrence=fields["recurrence"], day=fields["day"], month=fields["month"],
                 on_date=fields["on"])
    return when_text(t, probe)


async def save_new(update: Update, context: BranchContext) -> int:
    """du:save: the deadline is stored (audited); the planner reminds of it from now on."""
    assert context.user_data is not None
    async with context.db.session() as session:
        actor, t, draft = await _new_step(session, update, context)
        if "title" not in draft or "aud" not in draft or "leads" not in draft:
            raise Refused(STALE_BUTTON)
        try:
            duty = await store.create_duty(
                session, title=str(draft["title"]), org_id=int(draft["org"]) or None,
                by=actor.telegram_id, now=context.now(),
                **_template_fields(draft),
            )
        except store.DutyError as error:
            raise Refused(ERROR_TEXTS[error.code]) from None
        duty_id = duty.id
    await answer(update)
    await drop_buttons(update)
    context.user_data.pop(DRAFT, None)
    logger.info("user %s added duty %s", pseudonym(actor.telegram_id), duty_id)
    note = t("✅ Saved: {title}.", title=str(draft["title"]))
    org_id = int(draft["org"])
    if org_id:
        await render_org(update, context, org_id, note, new=True)
    else:
        await render_calendar(update, context, 0, note, new=True)
    return ConversationHandler.END


# ---------------------------------------------------------------------------------------
# /renewal (admins): record a 换届
# ---------------------------------------------------------------------------------------


async def show_renewals(update: Update, context: BranchContext, page: int = 0) -> None:
    """/renewal: organizations whose committee term ends within 6 months or has ended."""
    today = _today(context)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "renewal")
        lines = await store.terms_ending(session, None, today)
    t = translator(actor.language)
    if not lines:
        await show(update, t("No committee term ends within six months or is overdue."))
        return
    items = [button(t.as_plain("{org} · term ends {date}", org=line.name,
                            date=line.ends_on.isoformat())
                    + (" ❗" if line.ends_on < today else ""), "rn", "o", line.org_id)
             for line in lines]
    await show(update, t("🗳 <b>Renewals</b>: whose renewal election do you record?"),
               reply_markup=paged(t, items, page, ("rn", "pick")))


async def renewal_command(update: Update, context: BranchContext) -> None:
    """/renewal."""
    await show_renewals(update, context)


async def renewal_page(update: Update, context: BranchContext) -> int:
    """rn:pick:<page>."""
    assert update.callback_query is not None and context.user_data is not None
    (_, page) = cb_args(update.callback_query.data, "rn", str, int)
    await show_renewals(update, context, page)
    await answer(update)
    context.user_data.pop(DRAFT, None)
    return ConversationHandler.END


async def _renewal_org(session: AsyncSession, update: Update, context: BranchContext,
                       org_id: int) -> tuple[Actor, PartyOrganization, store.TermLine]:
    actor = await _admin(session, update, context, "renewal")
    org = await org_store.get_party_org(session, org_id)
    line = store.term_line(org) if org is not None else None
    if org is None or line is None:
        raise Refused(STALE_BUTTON)
    return actor, org, line


async def _renewal_step(session: AsyncSession, update: Update, context: BranchContext
                        ) -> tuple[Actor, Translator, PartyOrganization, store.TermLine,
                                   dict[str, Any]]:
    draft = _draft(context, "renewal")
    actor, org, line = await _renewal_org(session, update, context, int(draft["org"]))
    return actor, translator(actor.language), org, line, draft


async def start_renewal(update: Update, context: BranchContext) -> int:
    """rn:o:<org>: the election day is typed first."""
    assert update.callback_query is not None
    (_, org_id) = cb_args(update.callback_query.data, "rn", str, int)
    async with context.db.session() as session:
        actor, org, line = await _renewal_org(session, update, context, org_id)
    await answer(update)
    t = translator(actor.language)
    _start(context, "renewal", org=org_id)
    return await ELECTED_STEP.ask(
        update, context,
        t("{org}: the term began {start} and ends {end}. On which day was the new committee "
          "elected? Type the date as you would say it (for example 15 Mar or 2026-03-15) or "
          "press a day.", org=org.name, start=line.started_on.isoformat(),
          end=line.ends_on.isoformat()),
        [_cancel_row(t)])


async def renewal_elected(update: Update, context: BranchContext, elected: date) -> int:
    """The election day, read and echoed by ELECTED_STEP: after the current term began."""
    async with context.db.session() as session:
        _actor, t, _org, line, draft = await _renewal_step(session, update, context)
    if elected <= line.started_on:
        await send(update, error_text(t, "elected_before_term",
                             start=line.started_on.isoformat()))
        return RN_ELECTED
    draft["elected"] = elected.isoformat()
    await render_people(update, context, "s", 0, new=True)
    return RN_SEC


async def render_people(update: Update, context: BranchContext, which: str, page: int, *,
                        new: bool = False) -> None:
    """The branch's active members as buttons: the elected secretary (s) or deputy (d)."""
    async with context.db.session() as session:
        _actor, t, org, _line, draft = await _renewal_step(session, update, context)
        members = await people.members_of(session, org.id, (MembershipState.ACTIVE,))
    items = [button(person_name(t, m.person), "rn", which, m.person_id) for m in members
             if which == "s" or m.person_id != draft.get("secretary")]
    extra = [_cancel_row(t)]
    if which == "d":
        extra.insert(0, [button(t("No deputy"), "rn", "d", 0)])
        text = t("Who was elected deputy secretary?")
    else:
        text = t("Who was elected secretary of {org}?", org=org.name)
    markup = paged(t, items, page, ("rn", which + "p"), extra)
    await show(update, text, reply_markup=markup, new=new)


async def renewal_people_page(update: Update, context: BranchContext) -> int:
    """rn:sp:<page> / rn:dp:<page>."""
    assert update.callback_query is not None
    data = update.callback_query.data or ""
    which = data.split(":")[1][:1] if data.count(":") == 2 else ""
    (_, page) = cb_args(data, "rn", str, int)
    await render_people(update, context, which, page)
    await answer(update)
    return RN_SEC if which == "s" else RN_DEP


async def _active_member(session: AsyncSession, org_id: int, person_id: int) -> bool:
    return any(m.person_id == person_id
               for m in await people.members_of(session, org_id, (MembershipState.ACTIVE,)))


async def renewal_secretary(update: Update, context: BranchContext) -> int:
    """rn:s:<person>."""
    assert update.callback_query is not None
    (_, person_id) = cb_args(update.callback_query.data, "rn", str, int)
    async with context.db.session() as session:
        _actor, _t, org, _line, draft = await _renewal_step(session, update, context)
        if not await _active_member(session, org.id, person_id):
            raise Refused(ERROR_TEXTS["not_member"])
    await answer(update)
    draft["secretary"] = person_id
    await render_people(update, context, "d", 0)
    return RN_DEP


async def renewal_deputy(update: Update, context: BranchContext) -> int:
    """rn:d:<person|0>."""
    assert update.callback_query is not None
    (_, person_id) = cb_args(update.callback_query.data, "rn", str, int)
    async with context.db.session() as session:
        _actor, t, org, _line, draft = await _renewal_step(session, update, context)
        if person_id and (person_id == draft.get("secretary")
                          or not await _active_member(session, org.id, person_id)):
            raise Refused(ERROR_TEXTS["same_person" if person_id == draft.get("secretary")
                                      else "not_member"])
    if "secretary" not in draft:
        raise Refused(STALE_BUTTON)
    await answer(update)
    await drop_buttons(update)
    draft["deputy"] = person_id or None
    return await APPROVED_STEP.ask(
        update, context,
        t("On which day did the upper level approve the election? Type the date as you would "
          "say it (for example 20 Mar or 2026-03-20) or press a day."), [_cancel_row(t)])


async def renewal_approved(update: Update, context: BranchContext, approved: date) -> int:
    """The approval day, read and echoed by APPROVED_STEP: not before the election."""
    async with context.db.session() as session:
        _actor, t, org, _line, draft = await _renewal_step(session, update, context)
        elected = date.fromisoformat(str(draft.get("elected")))
        if approved < elected:
            await send(update, error_text(t, "approved_before_elected"))
            return RN_APPROVED
        draft["approved"] = approved.isoformat()
        names = {m.person_id: person_name(t, m.person)
                 for m in await people.members_of(session, org.id, (MembershipState.ACTIVE,))}
    deputy = draft.get("deputy")
    lines = [
        t("<b>Please check the renewal of {org}:</b>", org=org.name),
        t("Elected on: {date}", date=elected.isoformat()),
        t("Secretary: {name}", name=names.get(int(draft["secretary"]), "?")),
        t("Deputy secretary: {name}", name=names.get(int(deputy), "?") if deputy else t("none")),
        t("Approved on: {date}", date=approved.isoformat()),
        t("The new term starts on {date}; renewal reminders stop.", date=elected.isoformat()),
    ]
    await send(update, html_join("\n", lines), reply_markup=keyboard([
        [button(t("✅ Confirm"), "rn", "ok")], _cancel_row(t)]))
    return RN_CONFIRM


async def confirm_renewal(update: Update, context: BranchContext) -> int:
    """rn:ok: recorded (audited); the next term starts and its reminders are cancelled."""
    assert context.user_data is not None
    async with context.db.session() as session:
        actor, t, org, _line, draft = await _renewal_step(session, update, context)
        if not all(k in draft for k in ("elected", "approved", "secretary")):
            raise Refused(STALE_BUTTON)
        try:
            await store.renew(
                session, org, elected_on=date.fromisoformat(str(draft["elected"])),
                approved_on=date.fromisoformat(str(draft["approved"])),
                secretary_person_id=int(draft["secretary"]),
                deputy_person_id=int(draft["deputy"]) if draft.get("deputy") else None,
                by=actor.telegram_id, today=_today(context),
            )
        except store.DutyError as error:
            raise Refused(ERROR_TEXTS[error.code], start="") from None
        line = store.term_line(org)
    await answer(update)
    await drop_buttons(update)
    context.user_data.pop(DRAFT, None)
    logger.info("admin %s recorded the renewal of org %s", pseudonym(actor.telegram_id), org.id)
    assert line is not None
    await send(update, t("✅ Renewal recorded. The new term of {org} ends on {date}.",
                         org=org.name, date=line.ends_on.isoformat()))
    return ConversationHandler.END


# ---------------------------------------------------------------------------------------
# Wiring
# ---------------------------------------------------------------------------------------


ON_STEP = DateStep("duty_on", N_ON, moment=False, prefer="future", done=new_on,
                   check=_not_passed)
ELECTED_STEP = DateStep("term_elected", RN_ELECTED, moment=False, prefer="past",
                        done=renewal_elected, check=_not_future)
APPROVED_STEP = DateStep("term_approved", RN_APPROVED, moment=False, prefer="past",
                         done=renewal_approved, check=_not_future)


def register(app: Application) -> None:
    """The duties conversation, /duties, /renewal and the buttons."""
    from handlers import dues_day

    conversation = ConversationHandler(
        entry_points=[
            CallbackQueryHandler(dues_day.ask_dues_day, pattern=cb_pattern("du:dd")),
            CallbackQueryHandler(start_mark, pattern=cb_pattern("du:o")),
            CallbackQueryHandler(ask_edit, pattern=cb_pattern("du:e")),
            CallbackQueryHandler(start_new, pattern=cb_pattern("du:new")),
            CallbackQueryHandler(start_renewal, pattern=cb_pattern("rn:o")),
        ],
        states={
            M_FILE: [
                MessageHandler(filters.ATTACHMENT, mark_file),
                MessageHandler(TEXT_INPUT, mark_text),
                CallbackQueryHandler(mark_without_file, pattern=r"^du:nodoc$"),
            ],
            M_CONFIRM: [CallbackQueryHandler(confirm_mark, pattern=r"^du:ok$")],
            E_VALUE: [MessageHandler(TEXT_INPUT, enter_edit)],
            E_CONFIRM: [CallbackQueryHandler(confirm_edit, pattern=r"^du:eok$")],
            N_TITLE: [MessageHandler(TEXT_INPUT, new_title)],
            N_REC: [CallbackQueryHandler(new_recurrence, pattern=cb_pattern("du:r"))],
            N_MONTH: [CallbackQueryHandler(new_month, pattern=cb_pattern("du:m"))],
            N_DAY: [MessageHandler(TEXT_INPUT, new_day)],
            N_ON: ON_STEP.handlers(TEXT_INPUT),
            N_AUD: [CallbackQueryHandler(new_audience, pattern=cb_pattern("du:a"))],
            N_LEADS: [
                MessageHandler(TEXT_INPUT, new_leads),
                CallbackQueryHandler(new_leads, pattern=r"^du:ld$"),
            ],
            N_CONFIRM: [CallbackQueryHandler(save_new, pattern=r"^du:save$")],
            RN_ELECTED: ELECTED_STEP.handlers(TEXT_INPUT),
            RN_SEC: [
                CallbackQueryHandler(renewal_secretary, pattern=cb_pattern("rn:s")),
                CallbackQueryHandler(renewal_people_page, pattern=cb_pattern("rn:sp")),
            ],
            RN_DEP: [
                CallbackQueryHandler(renewal_deputy, pattern=cb_pattern("rn:d")),
                CallbackQueryHandler(renewal_people_page, pattern=cb_pattern("rn:dp")),
            ],
            RN_APPROVED: APPROVED_STEP.handlers(TEXT_INPUT),
            RN_CONFIRM: [CallbackQueryHandler(confirm_renewal, pattern=r"^rn:ok$")],
            dues_day.DD_VALUE: [MessageHandler(TEXT_INPUT, dues_day.enter_dues_day)],
            dues_day.DD_CONFIRM: [
                CallbackQueryHandler(dues_day.confirm_dues_day, pattern=r"^du:ddok$"),
            ],
        },
        fallbacks=[
            CallbackQueryHandler(show_org, pattern=cb_pattern("du:l")),
            CallbackQueryHandler(show_duty, pattern=cb_pattern("du:d")),
            CallbackQueryHandler(show_calendar, pattern=cb_pattern("du:cal")),
            CallbackQueryHandler(renewal_page, pattern=cb_pattern("rn:pick")),
            *step_fallbacks(),
        ],
        name="duties",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(conversation)
    app.add_handler(CommandHandler("duties", show_duties))
    app.add_handler(CommandHandler("renewal", renewal_command))
    callbacks = {
        "du:pick": choose_org_page,
        "du:l": show_org,
        "du:cal": show_calendar,
        "du:d": show_duty,
        "du:off": ask_switch,
        "du:offy": switch_duty,
        "rn:pick": renewal_page,
    }
    for prefix, callback in callbacks.items():
        app.add_handler(CallbackQueryHandler(callback, pattern=cb_pattern(prefix)))
    COMMAND_CALLBACKS.update(duties=show_duties, renewal=renewal_command)
