"""Menus: the command list per role and language (setMyCommands) and the reply keyboard,
derived from the commands the features declare (their description, label and audience) in the
order of ORDER; what every conversation shares because of them (typed answers, keyboard
buttons that leave it, /cancel)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.kit.actions import ANYONE, Act, Audience, Command
from handlers.kit.chat import answer, current_actor, send, tr
from handlers.kit.context import BranchContext
from handlers.kit.i18n import LANGUAGES, N_, Html, in_every_language, translator
from handlers.kit.pseudonyms import pseudonym
from rules.permissions import Actor
from rules.vocabulary import MemberRole, MembershipState

logger = logging.getLogger(__name__)

Callback = Callable[[Update, BranchContext], Awaitable[object]]

# The menu has one version per role (Actor.kind; someone waiting for approval gets the
# member's): a command is in it if its audience (or its `shown_to`) admits such an actor.
ROLES: dict[str, Actor] = {
    "guest": Actor(telegram_id=0, language="zh"),
    "member": Actor(telegram_id=0, language="zh", state=MembershipState.ACTIVE,
                    role=MemberRole.MEMBER, org_id=1),
    "secretary": Actor(telegram_id=0, language="zh", state=MembershipState.ACTIVE,
                       role=MemberRole.SECRETARY, org_id=1, managed_org_ids=frozenset({1})),
    "admin": Actor(telegram_id=0, language="zh", is_admin=True),
}

# The order of the command menu and the keyboard; each command is declared in its feature.
ORDER = (
    "start", "orgs", "pending", "members", "invite", "meetings", "checkin", "schedule",
    "compliance", "ledger", "dues", "talks", "appraisal", "group", "overview", "dashboard",
    "record", "training", "verify", "makeups", "behind", "notice", "notices", "duties", "renewal",
    "transfer", "development", "me", "settings", "language", "help", "cancel",
)

CANCEL = Command("cancel", description=N_("Leave the current step"))


@dataclass(frozen=True)
class MenuCommand:
    """A declared command, the roles whose menu lists it, and what its keyboard button runs."""

    command: Command
    roles: frozenset[str]
    run: Callback

    @property
    def name(self) -> str:
        return self.command.name

    @property
    def description(self) -> str:
        """Its line in the command menu (a message id)."""
        return self.command.description or ""


def _declared() -> list[tuple[Command, Audience, Callback]]:
    """Every declared command, its audience and what its keyboard button runs: actions', flows'
    entries (dispatched, so a flow starts from within another conversation) and /cancel."""
    from handlers import declared_actions, declared_flows

    found: list[tuple[Command, Audience, Callback]] = [
        (action.command, action.audience, action.perform)
        for action in declared_actions() if action.command is not None]
    found += [(entry.trigger, entry.audience, flow.dispatch) for flow in declared_flows()
              for entry in flow.entries if isinstance(entry.trigger, Command)]
    return [*found, (CANCEL, ANYONE, cancel)]


@cache  # the declarations are constants: derived once
def declared_commands() -> tuple[MenuCommand, ...]:
    """Every declared command and the roles it is shown to."""
    return tuple(
        MenuCommand(command, frozenset(role for role, actor in ROLES.items()
                                       if (command.shown_to or audience).admits(actor)), run)
        for command, audience, run in _declared())


@cache
def menu() -> tuple[MenuCommand, ...]:
    """The commands with a description, in ORDER."""
    described = {c.name: c for c in declared_commands() if c.command.description is not None}
    if unplaced := sorted(described.keys() - set(ORDER)):
        raise LookupError(f"commands with a description but no place in menu.ORDER: {unplaced}")
    return tuple(described[name] for name in ORDER if name in described)


def commands_for(kind: str) -> list[MenuCommand]:
    """The command menu of a role, in order."""
    return [c for c in menu() if kind in c.roles]


def main_keyboard(actor: Actor) -> ReplyKeyboardMarkup:
    """The reply keyboard for the actor's role, two buttons a row."""
    t = translator(actor.language)
    kind = "member" if actor.is_pending else actor.kind
    labels = [t.as_plain(c.command.label) for c in commands_for(kind) if c.command.label]
    rows = [[KeyboardButton(label) for label in labels[i : i + 2]]
            for i in range(0, len(labels), 2)]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def _bot_commands(kind: str, language: str) -> list[BotCommand]:
    t = translator(language)
    return [BotCommand(c.name, t.as_plain(c.description)) for c in commands_for(kind)]


# What Telegram shows on the bot's profile and before the first Start (issue 18).
DESCRIPTION = N_("I help a party branch with its everyday work. Members register, answer and "
                 "check in at 三会一课 meetings, ask for leave, log training, read notices and "
                 "see their own record. Secretaries approve members, schedule meetings, take "
                 "attendance and export the branch's ledger. Press Start to begin.")
SHORT_DESCRIPTION = N_("A party branch's everyday work: meetings, training, notices, dues.")


async def publish_default_commands(application: Application) -> None:
    """The command menu everyone sees before registering, and the bot's description, in each
    language (Chinese is the default for every other language)."""
    for language, locale in LANGUAGES.items():
        code = None if language == "zh" else locale[:2]
        t = translator(language)
        await application.bot.set_my_commands(
            _bot_commands("guest", language), scope=BotCommandScopeAllPrivateChats(),
            language_code=code)
        try:
            await application.bot.set_my_description(t.as_plain(DESCRIPTION),
                                                     language_code=code)
            await application.bot.set_my_short_description(t.as_plain(SHORT_DESCRIPTION),
                                                           language_code=code)
        except TelegramError as error:  # the bot works without them
            logger.warning("could not set the bot's description: %s", error)
    # Admins get their menu even before they have talked to the bot, where Telegram allows.
    settings = application.settings  # type: ignore[attr-defined]
    for admin_id in settings.admins:
        await publish_commands_for(application,
                                   Actor(telegram_id=admin_id, language="zh", is_admin=True))


async def publish_commands_for(application: Application, actor: Actor) -> None:
    """Give one chat the command menu of the actor's role and language."""
    kind = "member" if actor.is_pending else actor.kind
    try:
        await application.bot.set_my_commands(_bot_commands(kind, actor.language),
                                               scope=BotCommandScopeChat(actor.telegram_id))
    except TelegramError as exc:  # e.g. an admin who never opened the bot: "chat not found"
        logger.info("no command menu for chat %s: %s", pseudonym(actor.telegram_id), exc)


async def menu_follows(act: Act, text: Html) -> None:
    """After the reply: the actor's command menu and keyboard follow a new role or language;
    `text` comes with the keyboard."""
    update, application = act.update, act.context.application
    actor = await current_actor(act.session, update, act.context)
    act.after(lambda: publish_commands_for(application, actor))
    act.after(lambda: send(update, text, reply_markup=main_keyboard(actor)))


@cache
def _runs_by_label() -> dict[str, Callback]:
    """What each keyboard button runs, by its text in every language."""
    return {text: c.run for c in declared_commands() if c.command.label is not None
            for text in in_every_language(c.command.label)}


class _KeyboardLabel(filters.MessageFilter):
    """Text that is a keyboard button of a declared command (read when a message comes: the
    features that declare them import this module)."""

    def filter(self, message: Message) -> bool:
        return message.text is not None and message.text in _runs_by_label()


MENU_LABEL = _KeyboardLabel(name="MENU_LABEL")


async def press_menu(update: Update, context: BranchContext) -> int:
    """Run the command behind a reply keyboard button; ends any conversation in progress."""
    text = update.effective_message.text if update.effective_message else None
    run = _runs_by_label().get(text or "")
    if run is not None:
        await run(update, context)
    return ConversationHandler.END


def menu_handler() -> MessageHandler:
    """Keyboard presses: after every conversation, and in each conversation's fallbacks."""
    return MessageHandler(filters.TEXT & MENU_LABEL, press_menu)


# Typed text that answers a question: neither a command nor a keyboard button.
TEXT_INPUT = filters.TEXT & ~filters.COMMAND & ~MENU_LABEL


async def cancel(update: Update, context: BranchContext) -> int:
    """Leave whatever conversation is in progress (a flow drops its own form)."""
    t = tr(update, context)
    await answer(update)
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
    await send(update, t("Cancelled."), reply_markup=main_keyboard(actor))
    return ConversationHandler.END

