"""The pieces a flow is declared with (handlers/kit/flows.py runs them): the typed form, the
steps, how a flow starts, and a step's answers (Next, Done, Invalid/Problem, GoBack).

A step's answer (Text/Day `read`, Custom handlers): the value of the field named like the step,
`Next` (several fields, stay, or another step), `Invalid`/`Problem` (said; the step stays
current, not asked again), `Done` (what the step did ends the flow) or a Reply (ends with it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from telegram import InlineKeyboardButton, Message, ReplyKeyboardMarkup, Update
from telegram.ext import BaseHandler, ConversationHandler, filters

from handlers.kit.actions import Act, Audience, Command, Reply
from handlers.kit.buttons import ButtonData
from handlers.kit.chat import ReplyMarkup
from handlers.kit.context import BranchContext
from handlers.kit.i18n import N_, Html, Translator, plain_text
from rules.dates import Prefer
from rules.validation import Invalid, clean_text

END = ConversationHandler.END
CANCEL_DATA = "x:cancel"  # the cancel button of every flow
# Why typed text was refused (rules.validation.Invalid reasons), for every flow's text steps.
INVALID_MESSAGES = {
    "empty": N_("Please type something."),
    "control_chars": N_("That contains characters that cannot be stored. Please retype it."),
    "too_long": N_("That is too long (at most {limit} characters)."),
    "name_chars": N_("A name has only letters (and · or - between parts). Please retype it."),
    "date_format": N_("Please type a date like 2020-07-01."),
    "date_invalid": N_("That date does not exist. Please type a date like 2020-07-01."),
    "date_future": N_("That date is in the future. Please type a past date."),
    "date_too_early": N_("That date is too early. Please check the year."),
    "phone_format": N_("That does not look like a phone number (7 to 15 digits, optionally "
                       "starting with +)."),
    "number_range": N_("Please type a whole number from {low} to {limit}, in the digits 0-9."),
    "number_list": N_("Please type one to {limit} numbers, separated by commas or spaces."),
    "number_format": N_("Please type a number in the digits 0-9, for example 6 or 1.5."),
    "number_too_large": N_("That number is too large (at most {limit})."),
    # Party dues (rules/dues.py)
    "month_format": N_("Please type a month like 2026-11."),
    "months_count": N_("Please type a number of months from {low} to {limit}."),
    "months_too_far_ahead": N_("That pays too far ahead: at most {limit} months after this "
                               "month, with the branch's consent."),
    "amount_not_positive": N_("The amount must be more than zero."),
    "farmer_amount_range": N_("A farmer's monthly dues lie within the range the standard sets "
                              "(0.20 to 1 yuan)."),
}


def invalid_text(t: Translator, invalid: Invalid) -> Html:
    return t(INVALID_MESSAGES[invalid.reason], limit=invalid.limit or 0, low=invalid.low or 0)


def past_day(t: Translator, day: Any, now: datetime) -> Html | None:
    """A Day step's check for something that happened: not after today (`now` branch-local)."""
    value = day.date() if isinstance(day, datetime) else day
    if isinstance(value, date) and value > now.date():
        return t(INVALID_MESSAGES["date_future"])
    return None


def cancel_button(t: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(plain_text(t("Cancel")), callback_data=CANCEL_DATA)


def asking(message: str, **values: Any) -> Callable[[Act, Any], Awaitable[Html]]:
    """A step's question that is its text only (a message id and its values)."""

    async def ask(act: Act, form: Any) -> Html:
        return act.t(message, **values)

    return ask


def cleaned(limit: int, then: Callable[[Act, Any, str], Awaitable[Any]] | None = None
            ) -> Callable[[Act, Any, str], Awaitable[Any]]:
    """A typed-text read: one line as stored, at most `limit` characters (Invalid says why
    not), or what `then` answers with it."""

    async def read(act: Act, form: Any, text: str) -> Any:
        value = clean_text(text, max_length=limit)
        if isinstance(value, Invalid) or then is None:
            return value
        return await then(act, form, value)

    return read


async def turn_page(act: Act, form: Any, press: Any) -> Next:
    """A page button of a step (any family with a `page`) pressed: the form's `page`, the
    step asked again."""
    return Next({"page": press.page}, stay=True)


class Form(BaseModel):
    """A flow's answers so far (subclass it with optional fields, one per step)."""

    model_config = ConfigDict(extra="forbid")


F = TypeVar("F", bound=Form)
D = TypeVar("D")
Ask = Callable[[Act, F], Awaitable[Html]]
Rows = list[list[InlineKeyboardButton]]
# What a Day step checks once a reading exists: an error message, or None to accept it.
DateCheck = Callable[[Translator, Any, datetime], Html | None]
# A press handled while a step is current: its family, and what it answers (see Next).
Presses = Sequence[tuple[type[ButtonData], Callable[[Act, F, Any], Awaitable[Any]]]]


@dataclass(frozen=True)
class Option:
    """One choice of a Choose step: the value stored, the label shown."""

    value: str
    label: str


class GoBack(Exception):
    """A check found a problem with an earlier answer: say why and ask that step again; once
    it is answered the flow returns to the step that raised it (`resume`), the rest kept."""

    def __init__(self, step: str, message: str, *, resume: bool = True, **values: Any) -> None:
        super().__init__(message)
        self.step, self.message, self.resume, self.values = step, message, resume, values


@dataclass(frozen=True)
class Next:
    """A step's answer: store `values` in the form, then the next step (or `stay`, or the
    step named `to`)."""

    values: dict[str, Any]
    stay: bool = False
    to: str | None = None
    new: bool = False  # after a press, a new message asks the next step (not the pressed one)


@dataclass(frozen=True)
class Done:
    """A step's answer that ends the flow (the step did its work), or an entry's that answers
    instead of starting: `text` is shown, if any."""

    text: Html | None = None
    markup: ReplyMarkup | None = None


@dataclass(frozen=True, kw_only=True)
class Step(Generic[F]):
    """What every step has: its key (state name, button word) and when it applies."""

    key: str
    when: Callable[[F], bool] | None = None
    # A reply keyboard sent with the question (a new message) instead of its buttons; not Day.
    keyboard: Callable[[Act, F], ReplyMarkup] | None = None
    bare: bool = False  # no ‹ Back / Cancel row under its question (/cancel still leaves)

    def applies(self, form: F) -> bool:
        return self.when is None or self.when(form)


@dataclass(frozen=True, kw_only=True)
class Choose(Step[F]):
    """Pick one of the options (buttons); stored in the form field named like the step."""

    ask: Ask[F]
    options: Callable[[Act, F], Awaitable[Sequence[Option]]]


@dataclass(frozen=True, kw_only=True)
class Text(Step[F]):
    """Typed text, read by `read` into the step's answer (see the module's docstring).
    `echo` (optional) confirms the reading at the top of the next question."""

    ask: Ask[F]
    read: Callable[[Act, F, str], Awaitable[Any]]
    echo: Callable[[Act, F], Html] | None = None
    buttons: Callable[[Act, F], Awaitable[Rows]] | None = None  # above back and cancel
    presses: Presses[F] = ()  # the families of those buttons, as in Custom


@dataclass(frozen=True, kw_only=True)
class Custom(Step[F]):
    """A step with its own message and buttons: each button family in `presses` is handled
    while the step is current; each gives the step's answer (see the module's docstring)."""

    # Its message: the text and its buttons, or a reply keyboard (share a contact, a place).
    render: Callable[[Act, F], Awaitable[tuple[Html, Rows | ReplyKeyboardMarkup]]]
    presses: Presses[F] = ()
    # Messages the step takes (files, a location): (filter, handler) pairs.
    messages: Sequence[tuple[filters.BaseFilter, Callable[[Act, F, Message], Awaitable[Any]]]] = ()
    read: Callable[[Act, F, str], Awaitable[Any]] | None = None  # typed text, as in Text


@dataclass(frozen=True, kw_only=True)
class Day(Step[F]):
    """A day (or a day and a time) typed as people type it or picked with quick buttons,
    echoed with its weekday (handlers/kit/date_step.py); stored as a date or aware datetime,
    or what `read` (checks that need the database) makes of it."""

    ask: Ask[F]
    moment: bool = False
    prefer: Prefer = "future"
    check: DateCheck | None = None
    quick: bool = True
    # The value read, checked against the form: the value, or an answer as for Next.
    accept: Callable[[Act, F, Any], Awaitable[Any]] | None = None
    buttons: Callable[[Act, F], Awaitable[Rows]] | None = None
    presses: Presses[F] = ()
    # Checked against the form once read and echoed: a message refuses it (asked again).
    verify: Callable[[Act, F, Any], Awaitable[Html | None]] | None = None


@dataclass(frozen=True, kw_only=True)
class Confirm(Step[F]):
    """The summary and one button that runs `finish` (which may raise GoBack)."""

    summary: Ask[F]
    label: str  # message id of the button
    finish: Callable[[Act, F], Awaitable[Html | Reply | None]]


@dataclass(frozen=True, kw_only=True)
class Finish(Step[F]):
    """No question: `finish` runs as soon as the step before is answered (a choice that
    creates at once); it may raise GoBack like a Confirm's."""

    finish: Callable[[Act, F], Awaitable[Html | Reply | None]]


AnyStep = Choose[Any] | Text[Any] | Custom[Any] | Day[Any] | Confirm[Any] | Finish[Any]


@dataclass(frozen=True)
class Entry(Generic[D, F]):
    """How a flow starts: a button family or a command, who may, and the new form (without
    `start`: the press's fields, checked by the flow's guard)."""

    trigger: type[D] | Command
    audience: Audience
    start: Callable[[Act, D], Awaitable[F | Done | Reply]] | None = None
    intro: Callable[[Act, F], Awaitable[Html]] | None = None  # above the first question
    edit: bool = False  # the first question replaces the pressed message


@dataclass(frozen=True)
class Shared:
    """What the registration of every flow passes in: typed text that is an answer (menu
    labels and commands are not), the fallbacks every conversation shares, and the reply to
    /cancel (which also shows the menu)."""

    text_input: filters.BaseFilter
    fallbacks: Sequence[BaseHandler[Any, Any, Any]] = ()
    on_cancel: Callable[[Update, BranchContext], Awaitable[object]] | None = None


class Problem:
    """Why typed text was refused, as a message id with its values (the step is asked again)."""

    def __init__(self, message: str, **values: Any) -> None:
        self.message, self.values = message, values
