"""Chat handlers, one module per feature; register_all wires them in order."""

from __future__ import annotations

import logging
import warnings

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from handlers.kit.context import BranchContext

logger = logging.getLogger(__name__)

# Conversations are tracked per chat and user, not per message: a flow spans several
# messages (text and buttons), so PTB's per_message hint does not apply.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)


async def press_unknown_button(update: Update, context: BranchContext) -> None:
    """A button no handler knows: forged, or left over from an older message."""
    from handlers.kit.buttons import BadCallback

    raise BadCallback(update.callback_query.data if update.callback_query else None)


async def reply_unknown(update: Update, context: BranchContext) -> None:
    """Text or a command we do not understand: point at the menu."""
    from handlers.kit.chat import current_actor, send
    from handlers.kit.i18n import translator
    from handlers.menu import main_keyboard

    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
    t = translator(actor.language)
    await send(
        update,
        t("I did not understand that. Use the menu below or /help."),
        reply_markup=main_keyboard(actor),
    )


def register_all(app: Application) -> None:
    """Add every feature's handlers; earlier registrations win within group 0."""
    from handlers import (
        checkin,
        dashboard,
        duties,
        ledger,
        makeups,
        meeting_lists,
        meetings,
        members,
        notices,
        orgs,
        overview,
        past_meetings,
        privacy,
        profile,
        registration,
        reminders,
        throttle,
        training,
    )
    from handlers.kit.actions import handlers_of
    from handlers.kit.chat import handle_error
    from handlers.kit.flows import Shared
    from handlers.menu import menu_handler
    from handlers.registration import TEXT_INPUT
    from handlers.registration import cancel as cancel_conversation

    shared = Shared(TEXT_INPUT, fallbacks=[menu_handler()], on_cancel=cancel_conversation)
    # Before everything (its own group): drop updates of a person who floods the bot.
    throttle.register(app)
    # Then (its own group): group chats get no personal answers; their commands go private.
    privacy.register(app)
    # Conversations first: while one is waiting for text, it must see that text.
    registration.register(app)
    orgs.register(app)
    members.register(app)
    meetings.register(app)
    notices.register(app)  # before check-in: a location sent while composing is refused here
    checkin.register(app)
    meeting_lists.register(app)
    app.add_handler(past_meetings.FLOW.handler(shared))
    ledger.register(app)
    app.add_handlers(handlers_of(makeups.ACTIONS))
    training.register(app)
    duties.register(app)
    overview.register(app)
    dashboard.register(app)
    reminders.register(app)
    profile.register(app)
    # Keyboard buttons outside conversations, then /cancel with nothing to cancel.
    app.add_handler(menu_handler())
    app.add_handler(CommandHandler("cancel", registration.cancel))
    # Last: whatever nobody handled.
    app.add_handler(CallbackQueryHandler(press_unknown_button))
    app.add_handler(MessageHandler(filters.ALL & filters.ChatType.PRIVATE, reply_unknown))
    app.add_error_handler(handle_error)
