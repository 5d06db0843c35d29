"""/settings: which reminders a person receives, and a daily digest for leaders."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers.kit.chat import Refused, answer, current_actor, send, show
from handlers.kit.context import BranchContext
from handlers.kit.i18n import BLANK, N_, Html, Translator, html_join, translator
from handlers.kit.ui import button, cb_args, keyboard
from handlers.labels import REMINDER_KIND_LABELS
from handlers.menu import COMMAND_CALLBACKS
from rules.permissions import Actor
from rules.vocabulary import MUTABLE_REMINDER_KINDS, ReminderKind
from storage import people
from storage import reminders as store

logger = logging.getLogger(__name__)

LEADER_KINDS = frozenset({ReminderKind.COMPLIANCE, ReminderKind.DRIFT, ReminderKind.RENEWAL})
NOT_REGISTERED = N_("Register first (/start): reminders follow your branch.")


def kinds_for(actor: Actor) -> list[str]:
    """The kinds a person can receive at all: leaders' kinds only for leaders and admins."""
    leads = actor.is_admin or actor.leads_a_branch
    return [k for k in MUTABLE_REMINDER_KINDS if leads or k not in LEADER_KINDS]


def settings_view(
    t: Translator, actor: Actor, muted: frozenset[str], digest: bool
) -> tuple[Html, list[list[InlineKeyboardButton]]]:
    """The text and toggle buttons of /settings."""
    lines = [t("<b>Reminders</b>"), t("Tap a line to switch it on or off."), BLANK]
    rows: list[list[InlineKeyboardButton]] = []
    for kind in kinds_for(actor):
        label = t(REMINDER_KIND_LABELS[kind])
        mark = "🔕" if kind in muted else "🔔"
        lines.append(mark + " " + label)
        rows.append([button(f"{mark} {label}", "rset", "k", kind)])
    lines.append(BLANK)
    lines.append(t("Quiet hours: 22:00–08:00 (branch time). Reminders wait until morning."))
    if actor.is_admin or actor.leads_a_branch:
        digest_label = (
            t("Daily digest at 08:00: on") if digest else t("Daily digest at 08:00: off")
        )
        lines.append(digest_label)
        rows.append([button(digest_label, "rset", "d", "1" if not digest else "0")])
    return html_join("\n", lines), rows


async def show_settings(update: Update, context: BranchContext) -> None:
    """/settings: the person's reminder switches."""
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        t = translator(actor.language)
        person = await people.person_by_telegram_id(session, actor.telegram_id)
        if person is None:
            await send(update, t(NOT_REGISTERED))
            return
        muted, digest = await store.preferences(session, person.id)
    text, rows = settings_view(t, actor, muted, digest)
    await send(update, text, reply_markup=keyboard(rows))


async def toggle_setting(update: Update, context: BranchContext) -> None:
    """rset:k:<kind> mutes or unmutes a kind; rset:d:<0|1> switches the digest."""
    assert update.callback_query is not None
    what, value = cb_args(update.callback_query.data, "rset", str, str)
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        t = translator(actor.language)
        person = await people.person_by_telegram_id(session, actor.telegram_id)
        if person is None:
            raise Refused(NOT_REGISTERED)
        if what == "k" and value in kinds_for(actor):
            await store.toggle_muted(session, person.id, value, telegram_id=actor.telegram_id)
        elif what == "d" and value in ("0", "1") and (actor.is_admin or actor.leads_a_branch):
            await store.set_digest(session, person.id, value == "1")
        else:
            raise Refused(N_("This button is no longer valid. Please open the menu again."))
        muted, digest = await store.preferences(session, person.id)
    await answer(update)
    text, rows = settings_view(t, actor, muted, digest)
    await show(update, text, reply_markup=keyboard(rows))


def register(app: Application) -> None:
    """/settings and its buttons."""
    app.add_handler(CommandHandler("settings", show_settings))
    app.add_handler(CallbackQueryHandler(toggle_setting, pattern=r"^rset:"))
    COMMAND_CALLBACKS.update(settings=show_settings)
