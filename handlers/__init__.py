"""Chat handlers, one module per feature; register_all wires them in order."""

from __future__ import annotations

import warnings
from importlib import import_module
from types import ModuleType
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from handlers import privacy, throttle
from handlers.kit.actions import Action, handlers_of
from handlers.kit.buttons import BadCallback
from handlers.kit.chat import current_actor, handle_error, send
from handlers.kit.context import BranchContext
from handlers.kit.flows import Flow, Shared
from handlers.kit.i18n import translator
from handlers.menu import TEXT_INPUT, cancel, main_keyboard, menu_handler

# Conversations are tracked per chat and user, not per message: a flow spans several
# messages (text and buttons), so PTB's per_message hint does not apply.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)


async def press_unknown_button(update: Update, context: BranchContext) -> None:
    """A button no handler knows: forged, or left over from an older message."""
    raise BadCallback(update.callback_query.data if update.callback_query else None)


async def reply_unknown(update: Update, context: BranchContext) -> None:
    """Text or a command we do not understand: point at the menu."""
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
    t = translator(actor.language)
    await send(update, t("I did not understand that. Use the menu below or /help."),
               reply_markup=main_keyboard(actor))


# The chat's features in registration order (earlier ones see an update first). A feature
# package declares ACTIONS (presses and commands) and FLOWS (conversations); one still written
# the older way has a register(app). Conversations come first: while one waits for text, it
# must see that text; notices come before check-in, so a location sent while composing a notice
# is refused there; dues before check-in too (a typed base of 4 to 9 digits is no check-in code).
FEATURES = (
    "registration", "orgs", "members", "transfers", "dues", "development", "talks",
    "appraisal", "invites", "meetings", "notices", "checkin", "meeting_lists", "past_meetings",
    "ledger", "makeups", "training", "duties", "overview", "dashboard", "reminder_settings",
    "profile", "groups",
)


def features() -> tuple[ModuleType, ...]:
    """The feature packages, imported in FEATURES order."""
    return tuple(import_module(f"handlers.{name}") for name in FEATURES)


def declared_actions() -> list[Action[Any]]:
    """Every action the features declare (the permission matrix forges each of them)."""
    return [action for feature in features() for action in getattr(feature, "ACTIONS", ())]


def declared_flows() -> list[Flow[Any]]:
    return [flow for feature in features() for flow in getattr(feature, "FLOWS", ())]


def register_all(app: Application) -> None:
    """Add every feature's handlers; earlier registrations win within group 0."""
    # A keyboard button pressed during a conversation leaves it and runs its command.
    shared = Shared(TEXT_INPUT, fallbacks=[menu_handler()], on_cancel=cancel)
    # Before everything (its own group): drop updates of a person who floods the bot.
    throttle.register(app)
    # Then (its own group): group chats get no personal answers; their commands go private.
    privacy.register(app)
    for feature in features():
        for flow in getattr(feature, "FLOWS", ()):
            app.add_handler(flow.handler(shared))
        app.add_handlers(handlers_of(getattr(feature, "ACTIONS", ())))
        if hasattr(feature, "register"):
            feature.register(app)
    # Keyboard buttons outside conversations (after them all: one pressed during a flow is the
    # flow's to leave), then /cancel with nothing to cancel.
    app.add_handler(menu_handler())
    app.add_handler(CommandHandler("cancel", cancel))
    # Last: whatever nobody handled.
    app.add_handler(CallbackQueryHandler(press_unknown_button))
    app.add_handler(MessageHandler(filters.ALL & filters.ChatType.PRIVATE, reply_unknown))
    app.add_error_handler(handle_error)
