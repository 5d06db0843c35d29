"""Menus: the command list per role and language (setMyCommands) and the reply keyboard;
what every conversation shares because of them (typed answers, leaving with /cancel)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
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

from handlers.kit.chat import answer, current_actor, send, tr
from handlers.kit.context import BranchContext
from handlers.kit.flows import CANCEL_DATA
from handlers.kit.i18n import LANGUAGES, N_, in_every_language, translator
from handlers.kit.pseudonyms import pseudonym
from rules.permissions import Actor

logger = logging.getLogger(__name__)

Callback = Callable[[Update, BranchContext], Awaitable[object]]


@dataclass(frozen=True)
class MenuCommand:
    command: str
    label: str  # reply keyboard button (message id)
    description: str  # command menu description (message id)
    kinds: frozenset[str]  # actor kinds that see it: guest, member, secretary, admin
    on_keyboard: bool = True


ALL = frozenset({"guest", "member", "secretary", "admin"})
LEADERS = frozenset({"secretary", "admin"})

# Order here is the order in the command menu and on the keyboard.
COMMANDS: tuple[MenuCommand, ...] = (
    MenuCommand("start", N_("📝 Register"), N_("Register or return to the start"),
                frozenset({"guest"})),
    MenuCommand("orgs", N_("🏛 Organizations"), N_("Organization tree (admins)"),
                frozenset({"admin"})),
    MenuCommand("pending", N_("📥 Registrations"), N_("Registrations waiting for approval"),
                LEADERS),
    MenuCommand("members", N_("👥 Members"), N_("Branch members"), LEADERS),
    MenuCommand("invite", N_("🔗 Invite link"), N_("Invite link and QR code for a branch"),
                LEADERS),
    MenuCommand("meetings", N_("📅 Meetings"), N_("Meetings: upcoming, answer, leave"),
                ALL - {"guest"}),
    MenuCommand("checkin", N_("✅ Check in"), N_("Check in at the meeting now on"),
                frozenset({"member", "secretary"})),
    MenuCommand("schedule", N_("🗓 Schedule meeting"), N_("Schedule a meeting (三会一课)"),
                LEADERS),
    MenuCommand("compliance", N_("📊 Compliance"), N_("Meetings held against what is required"),
                LEADERS),
    MenuCommand("ledger", N_("📒 Ledger"), N_("Export the meeting ledger (台账) as .xlsx"),
                LEADERS),
    MenuCommand("overview", N_("🔭 Overview"),
                N_("Coverage, compliance, renewals, duties and training below me (admins)"),
                frozenset({"admin"})),
    MenuCommand("dashboard", N_("🖥 Dashboard"), N_("Sign-in link to the web dashboard"),
                LEADERS, on_keyboard=False),
    MenuCommand("record", N_("📈 My attendance"), N_("My attendance record and rate"),
                frozenset({"member", "secretary"})),
    MenuCommand("training", N_("📚 Training"),
                N_("Training hours: my year, log a training; leaders: verify, export"),
                ALL - {"guest"}),
    MenuCommand("verify", N_("🎓 Verify training"), N_("Training records waiting for verification"),
                LEADERS, on_keyboard=False),
    MenuCommand("makeups", N_("📝 Catch-ups to accept"),
                N_("Catch-ups (补学) members confirmed, waiting for acceptance"), LEADERS,
                on_keyboard=False),
    MenuCommand("behind", N_("⏳ Behind on training"),
                N_("Who is below the pro-rata training target today"), LEADERS,
                on_keyboard=False),
    MenuCommand("notice", N_("📣 Notice"), N_("Send a notice to members"), LEADERS),
    MenuCommand("notices", N_("📬 Notices"), N_("Notices sent to me"), ALL - {"guest"}),
    MenuCommand("duties", N_("📋 Deadlines"),
                N_("Reporting deadlines: mark done; admins: the duty calendar"), LEADERS),
    MenuCommand("renewal", N_("🗳 Renewal"), N_("Record a committee renewal election (换届)"),
                frozenset({"admin"}), on_keyboard=False),
    MenuCommand("me", N_("🪪 My profile"), N_("My profile"), ALL - {"guest"}),
    MenuCommand("settings", N_("🔔 Reminders"), N_("Which reminders I receive"), ALL - {"guest"},
                on_keyboard=False),
    MenuCommand("language", N_("🌐 Language"), N_("Change language / 切换语言"), ALL),
    MenuCommand("help", N_("❓ Help"), N_("What I can do for you"), ALL),
    MenuCommand("cancel", N_("Cancel"), N_("Leave the current step"), ALL, on_keyboard=False),
)

# Filled by each feature's register(): command name -> its callback, for keyboard presses.
COMMAND_CALLBACKS: dict[str, Callback] = {}


def label_of(command: str) -> str:
    """The keyboard label (message id) of a command in the menu, for its declaration."""
    return next(c.label for c in COMMANDS if c.command == command)


def commands_for(kind: str) -> list[MenuCommand]:
    return [c for c in COMMANDS if kind in c.kinds]


def main_keyboard(actor: Actor) -> ReplyKeyboardMarkup:
    """The reply keyboard for the actor's role, two buttons a row."""
    t = translator(actor.language)
    kind = "member" if actor.is_pending else actor.kind
    labels = [t.as_plain(c.label) for c in commands_for(kind) if c.on_keyboard]
    rows = [
        [KeyboardButton(label) for label in labels[i : i + 2]] for i in range(0, len(labels), 2)
    ]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def _bot_commands(kind: str, language: str) -> list[BotCommand]:
    t = translator(language)
    return [BotCommand(c.command, t.as_plain(c.description)) for c in commands_for(kind)]


async def publish_default_commands(application: Application) -> None:
    """The command menu everyone sees before registering, in each language."""
    for language, locale in LANGUAGES.items():
        await application.bot.set_my_commands(
            _bot_commands("guest", language),
            scope=BotCommandScopeAllPrivateChats(),
            language_code=None if language == "zh" else locale[:2],
        )
    # Admins get their menu even before they have talked to the bot, where Telegram allows.
    settings = application.settings  # type: ignore[attr-defined]
    for admin_id in settings.admins:
        await publish_commands_for(
            application, Actor(telegram_id=admin_id, language="zh", is_admin=True)
        )


async def publish_commands_for(application: Application, actor: Actor) -> None:
    """Give one chat the command menu of the actor's role and language."""
    kind = "member" if actor.is_pending else actor.kind
    try:
        await application.bot.set_my_commands(
            _bot_commands(kind, actor.language), scope=BotCommandScopeChat(actor.telegram_id)
        )
    except TelegramError as exc:  # e.g. an admin who never opened the bot: "chat not found"
        logger.info("no command menu for chat %s: %s", pseudonym(actor.telegram_id), exc)


def _label_pattern() -> str:
    import re

    labels = {
        label for c in COMMANDS if c.on_keyboard for label in in_every_language(c.label)
    }
    return "^(" + "|".join(re.escape(label) for label in sorted(labels)) + ")$"


MENU_LABEL = filters.Regex(_label_pattern())


def command_for_label(text: str) -> str | None:
    for c in COMMANDS:
        if text in in_every_language(c.label):
            return c.command
    return None


async def press_menu(update: Update, context: BranchContext) -> int:
    """Run the command behind a reply keyboard button; ends any conversation in progress."""
    text = update.effective_message.text if update.effective_message else ""
    command = command_for_label(text or "")
    callback = COMMAND_CALLBACKS.get(command or "")
    if callback is not None:
        await callback(update, context)
    return ConversationHandler.END


def menu_handler() -> MessageHandler:
    """Keyboard presses outside conversations; conversations add it as a fallback too."""
    return MessageHandler(filters.TEXT & MENU_LABEL, press_menu)


# Typed text that answers a question: neither a command nor a keyboard button.
TEXT_INPUT = filters.TEXT & ~filters.COMMAND & ~MENU_LABEL
# What conversations not yet on the flow kit keep in user_data; /cancel drops them (a flow
# drops its own form).
DRAFTS = ("transfer", "org_draft")


async def cancel(update: Update, context: BranchContext) -> int:
    """Leave whatever conversation is in progress; drafts of it are dropped."""
    assert context.user_data is not None
    t = tr(update, context)
    for draft in DRAFTS:
        context.user_data.pop(draft, None)
    await answer(update)
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
    await send(update, t("Cancelled."), reply_markup=main_keyboard(actor))
    return ConversationHandler.END


def cancel_handlers() -> list[Any]:
    """Fallbacks shared by every conversation: /cancel, cancel buttons, the menu keyboard."""
    return [
        CommandHandler("cancel", cancel),
        CallbackQueryHandler(cancel, pattern=rf"^{CANCEL_DATA}$"),
        menu_handler(),
    ]
