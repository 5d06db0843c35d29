"""Everyone's commands: /help, /me, /language."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers.kit.chat import Refused, answer, current_actor, send, show
from handlers.kit.context import BranchContext
from handlers.kit.i18n import BLANK, N_, escape, html_join, translator
from handlers.kit.ui import button, cb_args, fmt_date, keyboard
from handlers.labels import MEMBER_STATUS_LABELS, MEMBERSHIP_STATE_LABELS, ROLE_LABELS
from handlers.menu import COMMAND_CALLBACKS, commands_for, main_keyboard, publish_commands_for
from rules.validation import mask_phone
from rules.vocabulary import MembershipState
from storage import people

logger = logging.getLogger(__name__)

ROLE_INTROS = {
    "guest": N_("You have not registered yet. Press Register or send /start to begin."),
    "member": N_("You are a member. You can see your profile and change the language."),
    "secretary": N_(
        "You lead a branch: approve registrations, manage members and share the invite link."
    ),
    "admin": N_(
        "You are an administrator: build the organization tree, appoint secretaries "
        "and act for any branch."
    ),
}


async def show_help(update: Update, context: BranchContext) -> None:
    """List what the sender's role can do, command by command."""
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
    t = translator(actor.language)
    kind = "member" if actor.is_pending else actor.kind
    lines = [t(ROLE_INTROS[kind]), BLANK]
    lines += [f"/{c.command} — " + t(c.description) for c in commands_for(kind)]
    lines += [BLANK, t("Every command is also on the keyboard below.")]
    await send(update, html_join("\n", lines), reply_markup=main_keyboard(actor))


async def show_profile(update: Update, context: BranchContext) -> None:
    """Show the sender's own record (phone unmasked: it is their own)."""
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        t = translator(actor.language)
        person = await people.person_by_telegram_id(session, actor.telegram_id)
        membership = await people.current_membership(session, person.id) if person else None
    if person is None or membership is None:
        intro = ROLE_INTROS["guest"]
        await send(update, t(intro), reply_markup=main_keyboard(actor))
        return
    lines = [
        t("<b>My profile</b>"),
        t("Name: {name}", name=person.real_name or t("not set")),
        t("Branch: {branch}", branch=membership.party_organization.name),
        t("Registration: {state}", state=t(MEMBERSHIP_STATE_LABELS[membership.state])),
        t("Status: {status}", status=t(MEMBER_STATUS_LABELS[membership.status])),
        t("Role: {role}", role=t(ROLE_LABELS[membership.role])),
        t("Party group: {group}",
          group=membership.party_group.name if membership.party_group else t("none")),
        t("Date: {date}", date=fmt_date(t, membership.joined_party_on)),
        t("Phone: {phone}", phone=person.phone or t("not given")),
    ]
    if membership.state is MembershipState.PENDING:
        lines += [escape(""), t("Your registration is waiting for approval.")]
    if person.real_name is None:
        lines += [escape(""),
                  t("You were appointed before registering; send /start to add your details.")]
    await send(update, html_join("\n", lines), reply_markup=main_keyboard(actor))


async def ask_language(update: Update, context: BranchContext) -> None:
    """Offer the two languages."""
    await send(
        update,
        escape("请选择语言 / Choose your language"),
        reply_markup=keyboard(
            [[button("中文", "lang", "zh"), button("English", "lang", "en")]]
        ),
    )


async def set_language(update: Update, context: BranchContext) -> None:
    """Switch the language of replies, keyboard and command menu."""
    assert update.callback_query is not None and context.user_data is not None
    assert update.effective_user is not None
    (language,) = cb_args(update.callback_query.data, "lang", str)
    if language not in ("zh", "en"):
        raise Refused(N_("This button is no longer valid. Please open the menu again."))
    context.user_data["lang"] = language
    async with context.db.session() as session:
        if await people.person_by_telegram_id(session, update.effective_user.id) is not None:
            await people.set_language(session, update.effective_user.id, str(language))
        actor = await current_actor(session, update, context)
    await answer(update)
    t = translator(str(language))
    await show(update, t("Language: English") if language == "en" else t("Language: Chinese"))
    await publish_commands_for(context.application, actor)
    await send(update, t("Done. The menu is below."), reply_markup=main_keyboard(actor))


def mask_for(phone: str | None, visible: bool) -> str:
    return (phone or "") if visible else mask_phone(phone)


def register(app: Application) -> None:
    """Help, profile and language for everyone."""
    app.add_handler(CommandHandler("help", show_help))
    app.add_handler(CommandHandler("me", show_profile))
    app.add_handler(CommandHandler("language", ask_language))
    app.add_handler(CallbackQueryHandler(set_language, pattern=r"^lang:"))
    COMMAND_CALLBACKS.update(help=show_help, me=show_profile, language=ask_language)
