"""Transfer out (组织关系转出): the destination is typed (or skipped), then confirmed. The
membership keeps its history; the member becomes a guest who may register elsewhere."""

from __future__ import annotations

import logging

from telegram import Message

from handlers.access.people import access_editable_member
from handlers.kit.actions import LEADERS, Act, Reply
from handlers.kit.chat import STALE_BUTTON, Refused
from handlers.kit.flows import Custom, Entry, Finish, Flow, Next
from handlers.kit.i18n import Html, html_join, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.steps import Rows
from handlers.kit.ui import person_name
from handlers.members import views
from handlers.members.records import active_member, new_menu
from handlers.members.views import ConfirmTransfer, SkipDestination, TransferForm
from handlers.menu import TEXT_INPUT
from rules.validation import Invalid, clean_text
from rules.vocabulary import MembershipState
from storage import people

logger = logging.getLogger(__name__)


async def start(act: Act, press: views.TransferOut) -> TransferForm:
    await active_member(act, press.membership)
    return TransferForm(membership=press.membership)


async def guard(act: Act, form: TransferForm) -> None:
    await access_editable_member(act, form.membership)


async def ask_destination(act: Act, form: TransferForm) -> tuple[Html, Rows]:
    m, t = await active_member(act, form.membership), act.t
    return t("Transfer out {name}: type the party organization that receives the membership, "
             "or press Skip if it is not known.", name=person_name(t, m.person)), [
        [SkipDestination(form.membership).button(t("Skip"))]]


async def pressed(act: Act, form: TransferForm, press: SkipDestination | ConfirmTransfer
                  ) -> Next:
    """Skip the destination, or confirm; a button of another transfer is stale."""
    if press.membership != form.membership:
        raise Refused(STALE_BUTTON)
    return Next({"to": None} if isinstance(press, SkipDestination) else {"confirmed": True})


async def read_destination(act: Act, form: TransferForm, message: Message) -> Next | Invalid:
    to = clean_text(message.text, max_length=views.MAX_DESTINATION)
    return to if isinstance(to, Invalid) else Next({"to": to})


async def ask_confirmation(act: Act, form: TransferForm) -> tuple[Html, Rows]:
    m, t = await active_member(act, form.membership), act.t
    text = html_join("\n", [
        t("Transfer out {name}? This keeps their history.", name=person_name(t, m.person)),
        t("Transferred to: {to}", to=form.to or t("not given")),
    ])
    return text, [[ConfirmTransfer(form.membership).button(t("✅ Transfer out"))]]


async def transfer(act: Act, form: TransferForm) -> Reply:
    """Transfer out once, as confirmed; the member is told and their menu changes."""
    t = act.t
    m = await access_editable_member(act, form.membership)
    # Read before the transfer, which reloads the row.
    branch, person, name = m.party_organization.name, m.person, person_name(t, m.person)
    if m.state is not MembershipState.ACTIVE or not await people.transfer_out(
        act.session, m, to=form.to, actor_telegram_id=act.actor.telegram_id, now=act.now()
    ):
        return views.already_transferred(t, m)
    logger.info("user %s transferred membership %s out", pseudonym(act.actor.telegram_id), m.id)
    member = await people.load_actor(act.session, person.telegram_id,
                                     admins=act.settings.admins, language=person.language)
    new_menu(act, member, views.transferred_text(translator(member.language), branch, form.to))
    return views.to_members(t, t("{name} was transferred out. Their history is kept.",
                                 name=name), m)


async def old_confirmation(act: Act, press: ConfirmTransfer) -> Reply:
    """The confirmation outside its flow (pressed twice, or after Cancel): never transfers."""
    m = await access_editable_member(act, press.membership)
    if m.state is MembershipState.ACTIVE:
        raise Refused(STALE_BUTTON)
    return views.already_transferred(act.t, m)


TRANSFER = Flow(
    name="transfer_out",
    prefix="mem",
    form=TransferForm,
    entry=Entry(views.TransferOut, LEADERS, start),
    guard=guard,
    back=False,
    steps=(
        Custom(key="to", render=ask_destination, presses=((SkipDestination, pressed),),
               messages=((TEXT_INPUT, read_destination),)),
        Custom(key="confirm", render=ask_confirmation, presses=((ConfirmTransfer, pressed),)),
        Finish(key="save", finish=transfer),
    ),
)


