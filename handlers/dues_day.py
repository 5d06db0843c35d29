"""A branch's own dues collection day (党费收缴日), set by its leaders from /duties; the dues
duty of the reporting calendar follows it for that branch (reminders and /duties).

Part of the "duties" conversation (handlers/duties.py wires the states):

==================  ===========================================================
du:dd:<org>         ask for the day: typed next                       (DD_VALUE)
du:ddok             confirm                                          (DD_CONFIRM)
==================  ===========================================================

The day is 1 to 28 (a day every month has) or "last" (月末) for the last day of each month,
or "default" for the calendar's day again.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import ConversationHandler

from handlers.kit.chat import STALE_BUTTON, Refused, answer, send
from handlers.kit.context import BranchContext
from handlers.kit.i18n import Html, Translator, translator
from handlers.kit.ui import button, cb_args, keyboard
from handlers.meetings import drop_buttons
from storage import duties as store
from storage.models import Duty, PartyOrganization

DD_VALUE, DD_CONFIRM = 147, 148

LAST_WORDS = {"last", "lastday", "end", "月末", "最后一天", "月底", "末"}
DEFAULT_WORDS = {"default", "默认", "reset"}
DEFAULT = 0  # in the draft: back to the calendar's day (stored as None)


def parse_dues_day(text: str | None) -> int | None:
    """1..28, 31 for the last day, 0 for the calendar's default; None if not understood."""
    value = unicodedata.normalize("NFKC", text or "").strip().lower().replace(" ", "")
    if value in LAST_WORDS:
        return store.DUES_LAST_DAY
    if value in DEFAULT_WORDS:
        return DEFAULT
    value = value.removesuffix("日").removesuffix("号")
    if value.isdigit() and len(value) <= 2 and 1 <= int(value) <= store.MAX_DUES_DAY:
        return int(value)
    return None


def day_words(t: Translator, day: int | None, default: int) -> str:
    """"day 15", "the last day" or "day 10 (default)"."""
    if day is None:
        return t("day {day} (default)", day=default)
    if day == store.DUES_LAST_DAY:
        return t("the last day of the month")
    return t("day {day}", day=day)


async def dues_duty(session: AsyncSession, org: PartyOrganization) -> Duty | None:
    """The dues duty when it falls on this organization (not switched off)."""
    return next((d for d in await store.duties_for(session, org) if d.code == "dues"), None)


def status_line(t: Translator, org: PartyOrganization, duty: Duty) -> Html:
    return t("💰 Dues collection day: {day}", day=day_words(t, org.dues_day, duty.day))


async def _scope(session: AsyncSession, update: Update, context: BranchContext, org_id: int
                 ) -> tuple[Any, PartyOrganization, Duty]:
    from handlers.duties import _org

    actor, org = await _org(session, update, context, org_id, "dues day")
    duty = await dues_duty(session, org)
    if duty is None:
        raise Refused(STALE_BUTTON)
    return actor, org, duty


async def ask_dues_day(update: Update, context: BranchContext) -> int:
    """du:dd:<org>: the day is typed next."""
    from handlers.duties import _cancel_row, _start

    assert update.callback_query is not None
    (_, org_id) = cb_args(update.callback_query.data, "du", str, int)
    async with context.db.session() as session:
        actor, org, duty = await _scope(session, update, context, org_id)
    await answer(update)
    t = translator(actor.language)
    _start(context, "dues", org=org_id)
    await send(update, t(
        "On which day of the month does {org} collect party dues? Type 1 to 28, or “last” "
        "for the last day of the month (“default” goes back to day {default}). Now: {now}.",
        org=org.name, default=duty.day, now=day_words(t, org.dues_day, duty.day),
    ), reply_markup=keyboard([_cancel_row(t)]))
    return DD_VALUE


async def enter_dues_day(update: Update, context: BranchContext) -> int:
    """The typed day: checked, then confirmed."""
    from handlers.duties import _cancel_row, _draft

    assert update.message is not None
    draft = _draft(context, "dues")
    async with context.db.session() as session:
        actor, org, duty = await _scope(session, update, context, int(draft["org"]))
    t = translator(actor.language)
    day = parse_dues_day(update.message.text)
    if day is None:
        await send(update, t("Please type a day from 1 to 28, or “last” for the last day of the "
                             "month. Days 29 to 31 are not in every month."))
        return DD_VALUE
    draft["day"] = day
    new = None if day == DEFAULT else day
    await send(update, t("Change the dues collection day of {org}: {before} → {after}? Dues "
                         "reminders follow it from now on.", org=org.name,
                         before=day_words(t, org.dues_day, duty.day),
                         after=day_words(t, new, duty.day)),
               reply_markup=keyboard([[button(t("✅ Confirm"), "du", "ddok")], _cancel_row(t)]))
    return DD_CONFIRM


async def confirm_dues_day(update: Update, context: BranchContext) -> int:
    """du:ddok: stored (audited)."""
    from handlers.duties import _draft, render_org

    assert context.user_data is not None
    draft = _draft(context, "dues")
    if not isinstance(draft.get("day"), int):
        raise Refused(STALE_BUTTON)
    day = int(draft["day"])
    async with context.db.session() as session:
        actor, org, duty = await _scope(session, update, context, int(draft["org"]))
        changed = await store.set_dues_day(session, org, None if day == DEFAULT else day,
                                           by=actor.telegram_id)
        words = day_words(translator(actor.language), org.dues_day, duty.day)
        org_id = org.id
    await answer(update)
    await drop_buttons(update)
    context.user_data.pop("duty_draft", None)
    t = translator(actor.language)
    note = (t("✅ Dues collection day set: {day}.", day=words) if changed
            else t("Nothing changed."))
    await render_org(update, context, org_id, note, new=True)
    return ConversationHandler.END
