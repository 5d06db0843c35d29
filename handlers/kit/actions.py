"""Actions: a button press or a command, declared once with who may do it.

    show_compliance = Action(ShowCompliance, LEADERS, render_compliance)
    ledger = Action(Command("ledger"), LEADERS, open_ledger)

The kit does the rest for every action: it unpacks the press (a forged or stale one is "this
button is no longer valid"), opens the one database session of the update, loads the actor
from the database (never from the button), refuses (and logs) anyone outside the audience,
runs the action, answers the press and renders its Reply after the session is closed.
The object a press points at is loaded by an `access_*` function that checks the actor may
see it, so an action cannot forget the check: see handlers/access/.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Generic, NoReturn, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InputFile, LinkPreviewOptions, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers.kit.buttons import ButtonData
from handlers.kit.chat import (
    NOT_ALLOWED,
    Outgoing,
    Refused,
    ReplyMarkup,
    answer,
    current_actor,
    deliver_many,
    drop_buttons,
    reply_chat,
    send,
    show,
)
from handlers.kit.context import BranchContext, BranchSettings
from handlers.kit.i18n import Html, Translator, in_every_language, translator
from handlers.kit.pseudonyms import pseudonym
from rules.permissions import Actor
from storage import people

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Audience:
    """Who may take an action (and sees its command in the menu)."""

    name: str
    admits: Callable[[Actor], bool]


ANYONE = Audience("anyone", lambda actor: True)
MEMBERS = Audience("members", lambda actor: actor.is_member)
LEADERS = Audience("leaders", lambda actor: actor.is_admin or actor.leads_a_branch)
ADMINS = Audience("admins", lambda actor: actor.is_admin)
# For the menu (Command.shown_to): who has not registered; who has (or waits for approval).
GUESTS = Audience("guests", lambda actor: actor.kind == "guest" and not actor.is_pending)
REGISTERED = Audience("registered", lambda actor: actor.kind != "guest" or actor.is_pending)


@dataclass(frozen=True)
class Command:
    """A slash command as an action's trigger; the action gets its arguments. With a
    `description` (a message id) it is in the command menu (handlers/menu.py) of the roles its
    audience admits, or those `shown_to` admits; with a `label` (a message id) it is on the
    reply keyboard too, and the button of that text runs it."""

    name: str
    label: str | None = None
    description: str | None = None
    shown_to: Audience | None = None  # who sees it in the menu, where not its whole audience

    def handlers(self, callback: Any, *,
                 keyboard: bool = True) -> list[BaseHandler[Update, BranchContext, None]]:
        """The command, and (unless `keyboard` is off) its keyboard button in every language."""
        found: list[BaseHandler[Update, BranchContext, None]] = [
            CommandHandler(self.name, callback)]
        if keyboard and self.label is not None:
            labels = "|".join(re.escape(text) for text in in_every_language(self.label))
            found.append(MessageHandler(filters.Regex(f"^({labels})$"), callback))
        return found


@dataclass(frozen=True)
class CommandArgs:
    """What follows a command (`/renewal 2027-03-01` gives ("2027-03-01",))."""

    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    """A file sent after the reply (an export, a calendar entry)."""

    filename: str
    content: bytes
    caption: Html | None = None
    photo: bool = False


@dataclass(frozen=True)
class Reply:
    """What an action answers: the pressed message is edited, a command gets a new message."""

    text: Html
    markup: ReplyMarkup | None = None
    new: bool = False  # a new message even for a press
    preview: bool = False  # show a link preview
    files: tuple[Document, ...] = ()


@dataclass
class Act:
    """One action's run: the update, its one session, the actor loaded from the database."""

    update: Update
    context: BranchContext
    session: AsyncSession
    actor: Actor
    t: Translator
    name: str
    notes: list[Html] = field(default_factory=list)
    then: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    first: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    toast: Html | None = None  # the press is answered with this short text

    @property
    def settings(self) -> BranchSettings:
        return self.context.settings

    def now(self) -> datetime:
        return self.context.now()

    def today(self) -> date:
        """Today in the branch's time zone, by the one clock."""
        return self.now().astimezone(self.settings.tzinfo).date()

    def local(self, moment: datetime) -> datetime:
        """A stored (UTC) moment in the branch's time zone."""
        return moment.astimezone(self.settings.tzinfo)

    async def switch_language(self, language: str) -> None:
        """Replies are in `language` from now on (a stored person's too)."""
        assert self.context.user_data is not None
        self.context.user_data["lang"] = language
        if await people.person_by_telegram_id(self.session, self.actor.telegram_id) is not None:
            await people.set_language(self.session, self.actor.telegram_id, language)
        self.t = translator(language)

    def say(self, text: Html) -> None:
        """A message sent before the reply (after the session is closed)."""
        self.notes.append(text)

    def after(self, step: Callable[[], Awaitable[object]]) -> None:
        """Something sent after the reply (it opens its own session if it needs one)."""
        self.then.append(step)

    def before(self, step: Callable[[], Awaitable[object]]) -> None:
        """Something sent after the notes, before the reply (a copy of what will be sent)."""
        self.first.append(step)

    def follow(self, reply: Reply) -> None:
        """A further reply after this one, in a new message (a list after a flow's end)."""
        update = self.update
        self.after(lambda: render(update, replace(reply, new=True)))

    def deliver(self, messages: Sequence[Outgoing],
                report: Callable[[int], tuple[Html, ReplyMarkup | None] | None] | None = None,
                *, drop: bool = False) -> None:
        """After the reply: message others through the outbox, then tell the actor
        `report(how many arrived)`, unless it is None (with `drop`, the pressed message loses
        its buttons first)."""
        update, context = self.update, self.context

        async def tell() -> None:
            told = await deliver_many(context, messages)
            if drop:
                await drop_buttons(update)
            said = report(told) if report is not None else None
            if said is not None:
                text, markup = said
                await send(update, text, reply_markup=markup)

        self.after(tell)

    def refuse(self, message: str = NOT_ALLOWED, **values: Any) -> NoReturn:
        """Stop here: the actor is told `message`, the log says who and what."""
        refuse(self.update, self.name, message, **values)

    def check(self, allowed: bool, message: str = NOT_ALLOWED, **values: Any) -> None:
        if not allowed:
            self.refuse(message, **values)

    async def settle(self, reply: Reply | None,
                     put: Callable[[Update, Reply], Awaitable[None]]) -> None:
        """Once the session is closed: answer the press, say the notes, then what goes before
        the reply, the reply (by `put`) and what goes after."""
        await answer(self.update, self.toast)
        for note in self.notes:
            await send(self.update, note)
        for first in self.first:
            await first()
        if reply is not None:
            await put(self.update, reply)
        for then in self.then:
            await then()


class Checker(Protocol):
    """What an access_* function needs: the session, the actor, and a way to refuse (an Act in
    the chat; a FormAct where a Mini App form is submitted)."""

    session: AsyncSession
    actor: Actor

    def refuse(self, message: str = NOT_ALLOWED, **values: Any) -> NoReturn: ...
    def check(self, allowed: bool, message: str = NOT_ALLOWED, **values: Any) -> None: ...


@dataclass
class FormAct:
    """An actor reached through a form (a Mini App), not a chat update: the same checks, and a
    refusal is Refused for the form's server to show."""

    session: AsyncSession
    actor: Actor
    name: str

    def refuse(self, message: str = NOT_ALLOWED, **values: Any) -> NoReturn:
        logger.warning("refused %s (form) for user %s", self.name,
                       pseudonym(self.actor.telegram_id))
        raise Refused(message, **values)

    def check(self, allowed: bool, message: str = NOT_ALLOWED, **values: Any) -> None:
        if not allowed:
            self.refuse(message, **values)


def refuse(update: Update, what: str, message: str = NOT_ALLOWED, **values: Any) -> NoReturn:
    user = update.effective_user
    logger.warning("refused %s for user %s (data %r)", what, pseudonym(user.id if user else None),
                   update.callback_query.data if update.callback_query else None)
    raise Refused(message, **values)


D = TypeVar("D")
Run = Callable[[Act, D], Awaitable[Reply | None]]


@dataclass(frozen=True)
class Action(Generic[D]):
    """A button family or a command, who may use it, and what it does."""

    trigger: type[D] | Command
    audience: Audience
    run: Run[D]

    @property
    def name(self) -> str:
        return getattr(self.run, "__name__", "action")

    @property
    def button(self) -> type[ButtonData] | None:
        trigger = self.trigger
        return trigger if isinstance(trigger, type) and issubclass(trigger, ButtonData) else None

    @property
    def command(self) -> Command | None:
        return self.trigger if isinstance(self.trigger, Command) else None

    def handlers(self) -> list[BaseHandler[Update, BranchContext, None]]:
        """The PTB handlers that route this action's presses, or its command. A command's
        keyboard button is run by the menu (handlers/menu.py) once every conversation had its
        look: one pressed during a flow leaves the flow."""
        return trigger_handlers(self.trigger, self.perform, keyboard=False)

    async def perform(self, update: Update, context: BranchContext) -> None:
        data = trigger_data(self.trigger, update, context)
        async with context.db.session() as session:
            actor = await current_actor(session, update, context)
            if not self.audience.admits(actor):
                refuse(update, self.name)
            act = Act(update, context, session, actor, translator(actor.language), self.name)
            reply = await self.run(act, data)
        await act.settle(reply, render)


def trigger_handlers(trigger: type[Any] | Command, callback: Any, *,
                     keyboard: bool = True) -> list[BaseHandler[Update, BranchContext, None]]:
    """What routes a trigger to `callback`: a command (see Command.handlers), or the presses of
    a button family."""
    if isinstance(trigger, Command):
        return trigger.handlers(callback, keyboard=keyboard)
    return [CallbackQueryHandler(callback, pattern=trigger.pattern())]


def trigger_data(trigger: type[Any] | Command, update: Update, context: BranchContext) -> Any:
    """What started an action or a flow: a command's arguments, or the press unpacked (a forged
    one is BadCallback)."""
    if isinstance(trigger, Command):
        return CommandArgs(tuple(context.args or ()))
    query = update.callback_query
    return trigger.unpack(query.data if query else None)


async def render(update: Update, reply: Reply) -> None:
    """Edit the pressed message (or send one), then send the reply's files."""
    options: dict[str, Any] = {"reply_markup": reply.markup}
    if not reply.preview:
        options["link_preview_options"] = LinkPreviewOptions(is_disabled=True)
    if update.callback_query is not None and not reply.new:
        await show(update, reply.text, **options)
    else:
        await send(update, reply.text, **options)
    await send_files(update, reply.files)


async def send_files(update: Update, files: Sequence[Document]) -> None:
    """A reply's files, after its text."""
    chat = reply_chat(update)
    for document in files:
        upload = InputFile(document.content, filename=document.filename)
        if document.photo:
            await chat.send_photo(upload, caption=document.caption)
        else:
            await chat.send_document(upload, caption=document.caption)


def handlers_of(actions: Sequence[Action[Any]]) -> list[BaseHandler[Update, BranchContext, None]]:
    """The PTB handlers of a feature's actions, in declaration order."""
    return [handler for action in actions for handler in action.handlers()]
