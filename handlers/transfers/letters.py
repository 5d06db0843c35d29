"""/transfer: the letters a person may see, one letter with what they may do with it, its .docx,
and the receiving secretary's accept or the sending one's withdraw (each confirmed first).
Everyone concerned is told through the outbox."""

from __future__ import annotations

from collections.abc import Callable

from handlers.access.transfers import (
    access_answerable_letter,
    access_letter,
    access_withdrawable_letter,
    runs_receiver,
    runs_sender,
)
from handlers.kit.actions import Act, CommandArgs, Reply
from handlers.kit.chat import ReplyMarkup, deliver_many
from handlers.kit.i18n import Html, Translator, html_join, translator
from handlers.menu import main_keyboard, publish_commands_for
from handlers.transfers import views
from handlers.transfers.letter import letter_file
from rules.vocabulary import TransferKind, TransferState
from storage import people, transfers
from storage.models import Person
from storage.transfers import Letter, TransferError

Said = Callable[[Translator], Html]  # a message in the recipient's language
Buttons = Callable[[Translator], ReplyMarkup]
Message = tuple[int, Html, ReplyMarkup | None]


async def show_letters(act: Act, _: CommandArgs | views.ShowLetters) -> Reply:
    """A leader sees the letters of the organizations they run, a member their own."""
    leader = act.actor.is_admin or act.actor.leads_a_branch
    waiting = {TransferState.WAITING}
    if leader:
        scope = None if act.actor.is_admin else act.actor.managed_org_ids
        found = [*await transfers.letters(act.session, org_ids=scope, states=waiting),
                 *await transfers.letters(act.session, org_ids=scope, limit=views.SHOWN_SETTLED,
                                          states=set(TransferState) - waiting)]
    else:
        found = await transfers.letters(act.session, person_id=act.actor.person_id, limit=10)
    free = not any(letter.state is TransferState.WAITING for letter in found)
    return Reply(views.letters_text(act.t, found, leader=leader), views.letters_markup(
        act.t, found, may_ask=act.actor.is_member and not leader and free,
        may_bring=act.actor.is_pending and free))


async def show_letter(act: Act, press: views.ShowLetter) -> Reply:
    letter = await access_letter(act, press.transfer)
    return letter_reply(act, letter)


def letter_reply(act: Act, letter: Letter, head: Html | None = None) -> Reply:
    text = views.letter_text(act.t, letter, act.settings.tzinfo)
    return Reply(html_join("\n\n", [head, text]) if head else text, views.letter_markup(
        act.t, letter, answer=runs_receiver(act, letter), withdraw=runs_sender(act, letter)))


async def send_file(act: Act, press: views.LetterFile) -> Reply:
    letter = await access_letter(act, press.transfer)
    act.check(letter.kind is not TransferKind.IN)
    reply = letter_reply(act, letter)
    return Reply(reply.text, reply.markup, files=(letter_file(act.t, letter, act.settings.tzinfo),))


async def ask_accept(act: Act, press: views.AcceptLetter) -> Reply:
    letter = await access_answerable_letter(act, press.transfer)
    if letter.state is not TransferState.WAITING:
        return letter_reply(act, letter)
    return Reply(act.t("Accept {name} into {org}? Their membership moves from {origin} now; "
                       "their history goes with them.", name=letter.name,
                       org=views.destination(act.t, letter), origin=views.origin(act.t, letter)),
                 views.confirm_markup(act.t, views.ConfirmAccept(letter.id),
                                      act.t("✅ Accept the member"), letter))


async def accept(act: Act, press: views.ConfirmAccept) -> Reply:
    letter = await access_answerable_letter(act, press.transfer)
    assert letter.to_org_id is not None
    try:
        await transfers.accept(act.session, letter.id, org_id=letter.to_org_id,
                               by=act.actor.telegram_id, now=act.now(), today=act.today())
    except TransferError as refused:
        return await refused_reply(act, letter, refused)
    done = await reload(act, letter)
    await tell_member(act, done, lambda t: t(
        "✅ {org} accepted your transfer letter: you are now a member of {org}.",
        org=views.destination(t, done)), menu=True)
    await tell_leaders(act, done.from_org_id, lambda t: t(
        "✅ {org} accepted the transfer letter {number} for {name}.",
        org=views.destination(t, done), number=done.number or "", name=done.name))
    return letter_reply(act, done, act.t("✅ {name} is now a member of {org}.", name=done.name,
                                         org=views.destination(act.t, done)))


async def ask_withdraw(act: Act, press: views.WithdrawLetter) -> Reply:
    letter = await access_withdrawable_letter(act, press.transfer)
    if letter.state is not TransferState.WAITING:
        return letter_reply(act, letter)
    return Reply(act.t("Withdraw the transfer letter for {name} to {org}? The membership stays "
                       "with {origin}.", name=letter.name, org=views.destination(act.t, letter),
                       origin=views.origin(act.t, letter)),
                 views.confirm_markup(act.t, views.ConfirmWithdraw(letter.id),
                                      act.t("✖️ Withdraw the letter"), letter))


async def withdraw(act: Act, press: views.ConfirmWithdraw) -> Reply:
    letter = await access_withdrawable_letter(act, press.transfer)
    try:
        await transfers.withdraw(act.session, letter.id, by=act.actor.telegram_id, now=act.now())
    except TransferError as refused:
        return await refused_reply(act, letter, refused)
    done = await reload(act, letter)
    await tell_member(act, done, lambda t: t(
        "✖️ Your transfer letter to {org} was withdrawn: you remain a member of {home}.",
        org=views.destination(t, done), home=views.origin(t, done)))
    await tell_leaders(act, done.to_org_id, lambda t: t(
        "✖️ {home} withdrew the transfer letter {number} for {name}.",
        home=views.origin(t, done), number=done.number or "", name=done.name))
    return letter_reply(act, done, act.t("The letter was withdrawn."))


async def reload(act: Act, letter: Letter) -> Letter:
    [again] = await transfers.letters(act.session, ids=[letter.id])
    return again


async def refused_reply(act: Act, letter: Letter, refused: TransferError) -> Reply:
    """Answered meanwhile (a second press, another secretary) or expired: say so, show it."""
    await act.session.rollback()
    return letter_reply(act, await reload(act, letter), act.t(views.REFUSALS[refused.code]))


async def tell_member(act: Act, letter: Letter, said: Said, *, menu: bool = False) -> None:
    """The member is told (through the outbox); with `menu`, their commands and keyboard
    follow their new membership."""
    person = await act.session.get(Person, letter.person_id)
    if person is None:
        return
    context = act.context
    member = await people.load_actor(act.session, person.telegram_id,
                                     admins=act.settings.admins, language=person.language)
    markup = main_keyboard(member) if menu else None
    message: Message = (person.telegram_id, said(translator(member.language)), markup)
    if menu:
        act.after(lambda: publish_commands_for(context.application, member))
    act.after(lambda: deliver_many(context, [message]))


async def tell_leaders(act: Act, org_id: int | None, said: Said,
                       buttons: Buttons | None = None) -> None:
    """The secretaries (else the nearest leaders above) of an organization are told."""
    if org_id is None:
        return
    messages: list[Message] = []
    for person, _ in await people.leaders_of(act.session, org_id):
        if person.telegram_id == act.actor.telegram_id:
            continue
        t = translator(person.language or "zh")
        messages.append((person.telegram_id, said(t), buttons(t) if buttons else None))
    context = act.context
    act.after(lambda: deliver_many(context, messages))
