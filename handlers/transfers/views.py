"""Transfer letters as the chat shows them: the button families, the forms, the texts and the
keyboards (pure: no database, no Telegram calls)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.kit.buttons import ButtonData, MembershipId, OrgId
from handlers.kit.flows import Form
from handlers.kit.i18n import N_, Html, Translator, html_join
from handlers.kit.ui import keyboard
from handlers.labels import MEMBER_STATUS_LABELS
from rules.dues import Month
from rules.vocabulary import TransferKind, TransferState
from storage.transfers import Letter

SHOWN_SETTLED = 5  # /transfer lists every waiting letter and the last few answered ones
FOUND_BRANCHES = 8  # branches offered for a typed part of a name

STATE_LABELS = {
    TransferState.WAITING: N_("⏳ waiting for an answer"),
    TransferState.ACCEPTED: N_("✅ accepted"),
    TransferState.RETURNED: N_("↩️ returned"),
    TransferState.EXPIRED: N_("⌛ expired unanswered"),
    TransferState.WITHDRAWN: N_("✖️ withdrawn"),
}


class StartTransfer(ButtonData, prefix="tf:new"):
    """A secretary begins a letter for a member (from the member's card, or their request)."""

    membership: MembershipId


class AskTransfer(ButtonData, prefix="tf:ask"):
    """A member asks their secretary for a letter."""


class BringLetter(ButtonData, prefix="tf:in"):
    """Someone waiting for approval enters the letter they bring from outside the bot."""


class ShowLetters(ButtonData, prefix="tf:all"):
    """Back to /transfer's list."""


class ShowLetter(ButtonData, prefix="tf:one"):
    transfer: int


class LetterFile(ButtonData, prefix="tf:doc"):
    """The letter as a .docx to print, stamp and hand over."""

    transfer: int


class AcceptLetter(ButtonData, prefix="tf:acc"):
    """The receiving secretary asks to accept: the confirmation is shown."""

    transfer: int


class ConfirmAccept(ButtonData, prefix="tf:accok"):
    transfer: int


class ReturnLetter(ButtonData, prefix="tf:ret"):
    """The receiving secretary sends the letter back with a reason (a flow)."""

    transfer: int


class WithdrawLetter(ButtonData, prefix="tf:wd"):
    transfer: int


class ConfirmWithdraw(ButtonData, prefix="tf:wdok"):
    transfer: int


class PickBranch(ButtonData, prefix="tf:to"):
    """A receiving branch found by the typed part of its name."""

    org: OrgId


class IssueForm(Form):
    membership: MembershipId
    where: str | None = None  # "inside" the bot, or "outside" it
    query: str | None = None  # what was typed to find the receiving branch
    to_org: OrgId | None = None
    outside: str | None = None


class ReturnForm(Form):
    transfer: int
    reason: str | None = None


class AskForm(Form):
    to: str | None = None


class ArrivalForm(Form):
    origin: str | None = None
    number: str | None = None
    paid_to: str | None = None  # the month the letter says dues are paid to (2026-05)


class PaidToUnknown(ButtonData, prefix="tf:nopaid"):
    """The letter does not say to which month dues are paid."""


def destination(t: Translator, letter: Letter) -> str:
    return letter.to_org or letter.outside or t("not given")


def origin(t: Translator, letter: Letter) -> str:
    return letter.from_org or letter.outside or t("not given")


def letter_text(t: Translator, letter: Letter, tz: tzinfo) -> Html:
    """A letter's facts and where it stands."""
    status = MEMBER_STATUS_LABELS.get(letter.status) if letter.status else None
    lines = [
        t("📨 <b>Transfer letter {number}</b>: {state}", number=letter.number or "",
          state=t(STATE_LABELS[letter.state])),
        t("Member: {name}", name=letter.name) + (f" ({t(status)})" if status else ""),
        t("From: {org}", org=origin(t, letter)),
        t("To: {org}", org=destination(t, letter)),
        t("Party dues paid up to: {month}", month=month_text(letter.dues_paid_to))
        if letter.dues_paid_to else t("Party dues paid up to: none recorded"),
        t("Issued {issued}, valid until {until}", issued=issued_on(letter, tz).isoformat(),
          until=letter.valid_until.isoformat()),
    ]
    if letter.reason:
        lines.append(t("Reason given: {reason}", reason=letter.reason))
    return html_join("\n", lines)


def letter_markup(t: Translator, letter: Letter, *, answer: bool, withdraw: bool,
                  back: bool = True) -> InlineKeyboardMarkup:
    """The receiving secretary may answer a waiting letter, the sending one withdraw it; every
    letter between branches can be printed."""
    rows: list[list[InlineKeyboardButton]] = []
    waiting = letter.state is TransferState.WAITING
    if waiting and answer:
        rows.append([AcceptLetter(letter.id).button(t("✅ Accept")),
                     ReturnLetter(letter.id).button(t("↩️ Return"))])
    if waiting and withdraw:
        rows.append([WithdrawLetter(letter.id).button(t("✖️ Withdraw the letter"))])
    if letter.kind is not TransferKind.IN:
        rows.append([LetterFile(letter.id).button(t("📄 The letter to print (.docx)"))])
    if back:
        rows.append([ShowLetters().button(t("‹ All letters"))])
    return keyboard(rows)


def letters_text(t: Translator, letters: Sequence[Letter], *, leader: bool) -> Html:
    if not letters:
        return (t("📨 No transfer letters of your branches yet. A letter is issued from a "
                  "member's card in /members.") if leader else
                t("📨 You have no transfer letters. To move your membership to another "
                  "organization, ask your secretary here; if you bring a letter from another "
                  "organization while your registration waits, enter it here."))
    waiting = sum(letter.state is TransferState.WAITING for letter in letters)
    return t("📨 Transfer letters: {waiting} waiting for an answer. Pick one to see it.",
             waiting=waiting)


def letters_markup(t: Translator, letters: Sequence[Letter], *, may_ask: bool,
                   may_bring: bool = False) -> InlineKeyboardMarkup | None:
    rows = [[ShowLetter(letter.id).button(
        f"{letter.number or ''} · {letter.name} → {destination(t, letter)} · "
        f"{t(STATE_LABELS[letter.state])}")] for letter in letters]
    if may_ask:
        rows.append([AskTransfer().button(t("📨 Ask for a transfer"))])
    if may_bring:
        rows.append([BringLetter().button(t("📨 I bring a letter from another organization"))])
    return keyboard(rows) if rows else None


def confirm_markup(t: Translator, yes: ButtonData, label: str,
                   letter: Letter) -> InlineKeyboardMarkup:
    return keyboard([[yes.button(label)], [ShowLetter(letter.id).button(t("‹ Back"))]])


def issued_on(letter: Letter, tz: tzinfo) -> date:
    """The day the letter was issued, in the branch's time zone."""
    return letter.issued_at.astimezone(tz).date()


def month_text(month: Month) -> str:
    return f"{month.year}-{month.month:02d}"


# Why storage refused (storage.transfers.TransferError codes).
REFUSALS = {
    "not_active": N_("The member is no longer active in this branch."),
    "same_branch": N_("That is the member's own branch."),
    "no_such_branch": N_("That branch no longer exists."),
    "letter_waiting": N_("A transfer letter for this member already waits for an answer."),
    "expired": N_("This letter expired unanswered: it went back to the sending branch."),
    "already_answered": N_("This letter was answered already."),
    "not_addressed": N_("This letter is not addressed to your branch."),
    "no_such_letter": N_("This letter no longer exists."),
    "not_pending": N_("The registration was decided already."),
}
