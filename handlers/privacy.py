"""Nothing personal in group chats: the one place that decides what the bot does there.

Runs in its own handler group right after flood protection and sees every update of a chat
that is not private (groups, supergroups, channels):

- A command of ours (``/cmd`` or ``/cmd@ourbot``) is handled as if the person had typed it in
  their private chat with the bot: a copy of the update, re-addressed to that chat, goes
  through the normal update queue, so it runs in that chat's lane and lock (in order with what
  they type there), with the conversation state of (their chat, them). The group gets only a
  short "answered you privately". If the bot cannot write to them (they never pressed Start,
  or blocked it), the group gets a request to open a private chat, with a link, and nothing
  else happens.
- A leader's `/link CODE` (or `/start link-CODE`, which Telegram sends when its add-to-group
  button is used) links the group to their branch where it is typed (handlers/groups), and the
  bot being added to or removed from a group, and requests to join a group, reach that feature
  too.
- A button under a message in a group is refused with a toast, unless its action is listed in
  GROUP_ACTIONS (the meeting posts' buttons, a notice's 已阅).
- Everything else (text, room codes, locations, service messages, commands of other bots or
  that we do not know) is ignored.

Across several instances the copy keeps the original update id: it was deduplicated as the
group update, and the per-chat advisory lock and state refresh apply to the private chat.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
)

from handlers.kit.chat import tr
from handlers.kit.context import BranchContext
from handlers.kit.i18n import N_

logger = logging.getLogger(__name__)

ANSWERED_PRIVATELY = N_("I've answered you in our private chat.")
OPEN_PRIVATE_CHAT = N_("I can only answer this in a private chat. Please open a chat with me, "
                       "press Start, and send the command again there.")
OPEN_PRIVATE_BUTTON = N_("Open a private chat")
PRIVATE_ONLY_BUTTON = N_("This button works only in a private chat with me.")

# Right after flood protection (throttle.GROUP = -100), before every feature's handlers.
GROUP = -90

# Callback data prefixes (e.g. "ck:tap") whose buttons may be pressed under a group message.
# Their handler then gets the group update; `send`/`show` answer in the private chat.
GROUP_ACTIONS: frozenset[str] = frozenset({
    "gp:yes", "gp:leave", "gp:in",  # meeting posts (handlers/meetings/post_views.py)
    "ntg:rd",  # a notice's 已阅 (handlers/notices/views.py)
})


def allowed_in_group(data: str | None) -> bool:
    """A button press under a group message that a handler may see (its action is listed)."""
    return data is not None and any(data == action or data.startswith(action + ":")
                                    for action in GROUP_ACTIONS)


class PrivateCopy(Update):
    """A group command re-addressed to the sender's private chat (see module docstring)."""

    __slots__ = ()


def _commands_of(handlers: Iterable[BaseHandler[Any, Any, Any]]) -> set[str]:
    found: set[str] = set()
    for handler in handlers:
        if isinstance(handler, CommandHandler):
            found |= set(handler.commands)
        elif isinstance(handler, ConversationHandler):
            found |= _commands_of([*handler.entry_points, *handler.fallbacks,
                                   *(h for state in handler.states.values() for h in state)])
    return found


def registered_commands(app: Application[Any, Any, Any, Any, Any, Any]) -> frozenset[str]:
    """Every command some CommandHandler of the application answers (lower case)."""
    return frozenset(_commands_of(handler for group in app.handlers.values() for handler in group))


LINK_PREFIX = "link-"  # the add-to-group button's /start payload: link-CODE


def group_link_code(message: Message | None, bot_username: str) -> str | None:
    """The code of `/link CODE` or `/start link-CODE` (either `@ourbot`), else None."""
    if not our_command(message, bot_username, frozenset({"link", "start"})):
        return None
    assert message is not None and message.text is not None
    command, *args = message.text.split()
    if len(args) != 1:
        return None
    if command.split("@", 1)[0].lower() == "/link":
        return args[0]
    return args[0][len(LINK_PREFIX):] if args[0].startswith(LINK_PREFIX) else None


def our_command(message: Message | None, bot_username: str, known: frozenset[str]) -> bool:
    """The message is a command of ours: `/cmd` or `/cmd@ourbot` with cmd one we answer."""
    if message is None or not message.text or message.sender_chat is not None:
        return False
    first = message.entities[0] if message.entities else None
    if first is None or first.type != MessageEntity.BOT_COMMAND or first.offset != 0:
        return False
    name, _, addressed = message.text[1 : first.length].partition("@")
    if addressed and addressed.lower() != bot_username.lower():
        return False
    return name.lower() in known


def private_copy(update: Update, bot: Any) -> PrivateCopy:
    """The update as if its message had been typed in the sender's private chat."""
    message = update.message
    user = update.effective_user
    assert message is not None and message.text is not None and user is not None
    data = update.to_dict()
    body = data["message"]
    body["chat"] = Chat(user.id, ChatType.PRIVATE, first_name=user.first_name,
                        last_name=user.last_name, username=user.username).to_dict()
    for key in ("reply_to_message", "message_thread_id", "is_topic_message", "quote",
                "external_reply", "is_automatic_forward"):
        body.pop(key, None)
    # "/cmd@ourbot args" -> "/cmd args": what the person would type in the private chat.
    command_length = message.entities[0].length
    command = message.text[:command_length].split("@", 1)[0]
    cut = command_length - len(command)
    body["text"] = command + message.text[command_length:]
    body["entities"] = body.get("entities", [])
    for entity in body["entities"]:
        if entity["offset"] == 0:
            entity["length"] = len(command)
        else:
            entity["offset"] -= cut
    return PrivateCopy.de_json(data, bot)  # type: ignore[return-value]


async def keep_private(update: Update, context: BranchContext) -> None:
    """Let private chats through; decide everything from other chats here (module docstring)."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    query = update.callback_query
    if query is not None:
        if allowed_in_group(query.data):
            return
        try:
            t = tr(update, context)
            await query.answer(t(PRIVATE_ONLY_BUTTON))
        except TelegramError as exc:
            logger.info("could not refuse a button in a group: %s", exc)
        raise ApplicationHandlerStop
    if update.my_chat_member is not None:
        return  # the bot added to or removed from a group (handlers/groups)
    if update.chat_join_request is not None:
        return  # someone asks to join a group: decided and answered privately (handlers/groups)
    if group_link_code(update.message, context.bot.username) is not None:
        return  # linked where it is typed (handlers/groups)
    user = update.effective_user
    if user is not None and not user.is_bot and our_command(
            update.message, context.bot.username, registered_commands(context.application)):
        await _answer_privately(update, context)
    raise ApplicationHandlerStop


async def _answer_privately(update: Update, context: BranchContext) -> None:
    message = update.message
    user = update.effective_user
    assert message is not None and user is not None
    t = tr(update, context)
    reply = ReplyParameters(message.message_id, allow_sending_without_reply=True)
    try:
        # Telegram refuses even a typing indicator to someone who never pressed Start.
        await context.bot.send_chat_action(user.id, ChatAction.TYPING)
    except Forbidden:
        link = f"https://t.me/{context.bot.username}?start"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(t(OPEN_PRIVATE_BUTTON), url=link)]])
        await _tell_group(message, t(OPEN_PRIVATE_CHAT), reply, markup)
        return
    except TelegramError as exc:
        logger.warning("could not reach a private chat for a group command: %s", exc)
        return
    await context.application.update_queue.put(private_copy(update, context.bot))
    await _tell_group(message, t(ANSWERED_PRIVATELY), reply, None)


async def _tell_group(message: Message, text: str, reply: ReplyParameters,
                      markup: InlineKeyboardMarkup | None) -> None:
    try:
        await message.chat.send_message(text, reply_parameters=reply, reply_markup=markup)
    except TelegramError as exc:  # e.g. the bot may no longer write in the group
        logger.info("could not answer in a group: %s", exc)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Before the features' handlers, after flood protection."""
    app.add_handler(TypeHandler(Update, keep_private), group=GROUP)
