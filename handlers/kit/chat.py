"""What every handler needs: who is acting, in which language, and how refusals are told."""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatType
from telegram.error import TelegramError

from handlers.kit.buttons import BadCallback
from handlers.kit.context import BranchContext, BranchServices
from handlers.kit.i18n import (
    N_,
    Html,
    Translator,
    language_from_telegram,
    normalize_language,
    plain_text,
    translator,
)
from handlers.kit.pseudonyms import pseudonym
from rules.permissions import Actor
from storage.models import Person
from storage.outbox import DIRECT_KIND, Outcome, Planned, enqueue, mark_reachable
from storage.people import load_actor

logger = logging.getLogger(__name__)

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
Outgoing = tuple[int, Html, ReplyMarkup | None]  # a message to someone else: chat, text, buttons


class Refused(Exception):
    """The actor may not do this (or the input is stale); `message` is a message id."""

    def __init__(self, message: str, **values: Any) -> None:
        super().__init__(message)
        self.message, self.values = message, values


NOT_ALLOWED = N_("You are not allowed to do that.")
STALE_BUTTON = N_("This button is no longer valid. Please open the menu again.")


def language_of(update: Update, context: BranchContext) -> str:
    """The language remembered for this user, else their Telegram client's."""
    data = context.user_data if context.user_data is not None else {}
    if data.get("lang"):
        return normalize_language(data["lang"])
    user = update.effective_user
    return language_from_telegram(user.language_code if user else None)


def tr(update: Update, context: BranchContext) -> Translator:
    return translator(language_of(update, context))


async def current_actor(session: AsyncSession, update: Update, context: BranchContext) -> Actor:
    """Load the sender's roles from the database (never from the button they pressed)."""
    user = update.effective_user
    assert user is not None
    actor = await load_actor(session, user.id, admins=context.settings.admins,
                             language=language_of(update, context))
    if context.user_data is not None and context.user_data.get("lang") != actor.language:
        context.user_data["lang"] = actor.language
    if actor.person_id is not None:
        # They wrote to us, so messages reach them again (load_actor cached the row: no query).
        person = await session.get(Person, actor.person_id)
        if person is not None and await mark_reachable(session, person):
            logger.info("person %s is reachable again", actor.person_id)
    return actor


def reply_chat(update: Update) -> Chat:
    """Where answers go: the private chat the update came from, else the sender's private chat
    (handlers/privacy.py keeps group updates away; a group action it lets through answers so)."""
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        return chat
    user = update.effective_user
    assert user is not None
    private = Chat(user.id, ChatType.PRIVATE, first_name=user.first_name)
    private.set_bot(update.get_bot())
    return private


async def send(update: Update, text: Html, **kwargs: Any) -> None:
    """Reply in the person's private chat (where the message or button press came from)."""
    await reply_chat(update).send_message(text, **kwargs)


async def show(update: Update, text: Html, *, new: bool = False, **kwargs: Any) -> None:
    """Edit the message whose button was pressed, or send a new one (typed input, or `new`).

    Only a message in the private chat is edited: a group's message never shows personal data.
    """
    query = update.callback_query
    message = query.message if query is not None else None
    if not new and query is not None and message is not None and (
        message.chat.type == ChatType.PRIVATE
    ):
        try:
            await query.edit_message_text(text, **kwargs)
            return
        except TelegramError as exc:
            if "not modified" in str(exc):
                return
            logger.info("could not edit message, sending a new one: %s", exc)
    await send(update, text, **kwargs)


async def drop_buttons(update: Update) -> None:
    """Remove the buttons of the message whose button was pressed, keeping its text."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError as exc:
        logger.info("could not remove the buttons: %s", exc)


# A fresh row is the sender's to send for this long: the courier's passes (in the bulk lane,
# behind a broadcast) take it only after, i.e. if the process died before sending it.
DIRECT_HOLD = timedelta(seconds=30)
DIRECT_OPTIONS = frozenset({"reply_markup"})  # what a row keeps of send_message's options


async def deliver(context: BranchContext, telegram_id: int, text: Html, **kwargs: Any) -> bool:
    """Message someone else through the outbox: recorded, then sent at once in the reply lane.
    True if it arrived now; after a transient failure the courier retries it (False now), and a
    blocked bot or a chat never opened is recorded (the person unreachable), not raised. Call it
    outside a database session: it commits its own (SQLite has one writer at a time)."""
    if unknown := set(kwargs) - DIRECT_OPTIONS:
        raise TypeError(f"deliver() does not keep {sorted(unknown)} in the outbox")
    return await deliver_many(context, [(telegram_id, text, kwargs.get("reply_markup"))]) == 1


async def deliver_many(context: BranchContext, messages: Sequence[Outgoing]) -> int:
    """Send each (chat, text, markup) like `deliver`; returns how many arrived now."""
    return await deliver_through(context.branch_app, messages)


async def deliver_through(services: BranchServices, messages: Sequence[Outgoing]) -> int:
    """`deliver_many` for a front without a chat update (a Mini App form's server)."""
    if not messages:
        return 0
    due = services.now() + DIRECT_HOLD
    rows = [Planned(key=f"{DIRECT_KIND}:{uuid.uuid4().hex}", kind=DIRECT_KIND, chat_id=chat,
                    text=str(text), due_at=due, urgent=True,
                    reply_markup=markup.to_dict() if markup is not None else None)
            for chat, text, markup in messages]
    async with services.database.session() as session:  # committed before anything is sent
        await enqueue(session, rows)
    outcomes = await services.deliver_now([row.key for row in rows])
    for row in rows:
        outcome = outcomes.get(row.key)
        if outcome is Outcome.RETRY:
            logger.warning("could not message %s yet; the courier retries",
                           pseudonym(row.chat_id))
        elif outcome is not Outcome.SENT:
            logger.warning("could not message %s", pseudonym(row.chat_id))
    return sum(1 for row in rows if outcomes.get(row.key) is Outcome.SENT)


# Presses answered already, by object identity (the object is kept so its id is not reused).
_ANSWERED: OrderedDict[int, CallbackQuery] = OrderedDict()
MAX_REMEMBERED_ANSWERS = 1000


def first_answer(update: Update) -> bool:
    """True once per press: a shared step and the flow it hands over to may both answer."""
    query = update.callback_query
    if query is None or _ANSWERED.get(id(query)) is query:
        return False
    _ANSWERED[id(query)] = query
    while len(_ANSWERED) > MAX_REMEMBERED_ANSWERS:
        _ANSWERED.popitem(last=False)
    return True


async def answer(update: Update, text: Html | None = None) -> None:
    """Acknowledge a button press so the client stops its spinner (once per press), with a
    short `text` shown for a moment if given."""
    if update.callback_query is not None and first_answer(update):
        try:
            await update.callback_query.answer(plain_text(text)[:200] if text else None)
        except TelegramError as exc:
            logger.info("callback answer failed: %s", exc)


async def handle_error(update: object, context: BranchContext) -> None:
    """Tell the person what went wrong in their language; log what they must not see."""
    error = context.error
    if not isinstance(update, Update):
        logger.error("error outside an update", exc_info=error)
        return
    t = tr(update, context)
    if isinstance(error, BadCallback):
        user = update.effective_user
        logger.warning("forged or stale callback data %r from user %s",
                       error.args[0] if error.args else None, pseudonym(user.id if user else None))
        text = t(STALE_BUTTON)
    elif isinstance(error, Refused):
        text = t(error.message, **error.values)
    else:
        logger.error("error while handling an update", exc_info=error)
        text = t("Sorry, something went wrong. Please try again.")
    if update.callback_query is not None and first_answer(update):
        try:
            await update.callback_query.answer(plain_text(text)[:200], show_alert=True)
            return
        except TelegramError as exc:  # already answered: say it in the chat instead
            logger.info("could not answer the callback with the error: %s", exc)
    if update.effective_chat is not None:
        try:
            await send(update, text)
        except TelegramError as exc:
            logger.info("could not tell the user about an error: %s", exc)
