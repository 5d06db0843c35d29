"""The conversations of transfers: a secretary issues a letter (to a branch in the bot found by
part of its name, or to an organization outside it), the receiving secretary returns one with a
reason, and a member asks their secretary for one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Message

from handlers.access.people import access_editable_member
from handlers.access.transfers import access_answerable_letter
from handlers.kit.actions import LEADERS, MEMBERS, Act, Audience, Reply
from handlers.kit.buttons import MembershipId, OrgId
from handlers.kit.chat import STALE_BUTTON, Refused
from handlers.kit.flows import (
    Choose,
    Confirm,
    Custom,
    Entry,
    Flow,
    Next,
    Option,
    Problem,
    Rows,
    Text,
)
from handlers.kit.i18n import N_, Html, html_join
from handlers.kit.ui import person_name
from handlers.menu import TEXT_INPUT
from handlers.transfers import views
from handlers.transfers.letter import letter_file
from handlers.transfers.letters import (
    letter_reply,
    refused_reply,
    reload,
    tell_leaders,
    tell_member,
)
from handlers.transfers.views import ArrivalForm, AskForm, IssueForm, ReturnForm
from rules import transfers as rules
from rules.dues import Month, parse_month
from rules.tree import MEMBER_KINDS
from rules.validation import Invalid, clean_text
from rules.vocabulary import MembershipState, TransferKind
from storage import orgs, people, transfers
from storage.models import Membership
from storage.transfers import TransferError

PENDING = Audience("waiting for approval", lambda actor: actor.is_pending)


# -- a secretary issues a letter -------------------------------------------------------------


def asking(message: str) -> Callable[[Act, Any], Awaitable[Html]]:
    """A step's question that is always the same (a message id)."""

    async def ask(act: Act, form: Any) -> Html:
        return act.t(message)

    return ask


async def member(act: Act, form: IssueForm) -> Membership:
    membership = await access_editable_member(act, form.membership)
    if membership.state is not MembershipState.ACTIVE:
        raise Refused(STALE_BUTTON)
    return membership


async def start_issue(act: Act, press: views.StartTransfer) -> IssueForm:
    form = IssueForm(membership=press.membership)
    await member(act, form)
    return form


async def ask_where(act: Act, form: IssueForm) -> Html:
    m = await member(act, form)
    return act.t("Transfer {name}: to a branch in this bot, or to an organization outside it?",
                 name=person_name(act.t, m.person))


async def where_options(act: Act, form: IssueForm) -> list[Option]:
    return [Option("inside", act.t("A branch in the bot")),
            Option("outside", act.t("An organization outside the bot"))]


async def ask_branch(act: Act, form: IssueForm) -> tuple[Html, Rows]:
    """Type part of the receiving branch's name; the branches it finds are offered."""
    t = act.t
    if not form.query:
        return t("Type part of the receiving branch's name."), []
    m = await member(act, form)
    found = await orgs.find_member_orgs(act.session, form.query, limit=views.FOUND_BRANCHES,
                                        exclude=m.party_organization_id)
    if not found:
        return t("No branch's name holds “{words}”. Type another part of its name.",
                 words=form.query), []
    return (t("Branches whose name holds “{words}”: pick one, or type again.", words=form.query),
            [[views.PickBranch(OrgId(org.id)).button(org.name)] for org in found])


async def read_query(act: Act, form: IssueForm, message: Message) -> Next | Invalid:
    words = clean_text(message.text, max_length=rules.MAX_ORG_NAME)
    return words if isinstance(words, Invalid) else Next({"query": words}, stay=True)


async def pick_branch(act: Act, form: IssueForm, press: views.PickBranch) -> Next:
    org = await orgs.get_party_org(act.session, press.org)
    m = await member(act, form)
    if org is None or org.kind not in MEMBER_KINDS or org.id == m.party_organization_id:
        raise Refused(STALE_BUTTON)
    return Next({"to_org": press.org})


async def read_outside(act: Act, form: IssueForm, text: str) -> str | Invalid:
    return rules.parse_outside_org(text)


async def summary(act: Act, form: IssueForm) -> Html:
    t, m = act.t, await member(act, form)
    inside = form.where == "inside"
    to = (await orgs.get_party_org(act.session, form.to_org or 0) if inside else None)
    settings = act.settings
    days = settings.transfer_valid_days if inside else settings.transfer_valid_days_outside
    return html_join("\n", [
        t("Issue a transfer letter for {name}?", name=person_name(t, m.person)),
        t("From: {org}", org=m.party_organization.name),
        t("To: {org}", org=to.name if to else form.outside or ""),
        t("Valid for {days} days.", days=days),
        t("The membership moves when the branch accepts the letter.") if inside else
        t("The membership ends here now: the member hands the printed letter to that "
          "organization."),
    ])


async def issue(act: Act, form: IssueForm) -> Reply:
    m = await member(act, form)
    by, now, today = act.actor.telegram_id, act.now(), act.today()
    try:
        if form.where == "inside":
            row = await transfers.issue_between(
                act.session, m.id, form.to_org or 0, by=by, now=now, today=today,
                valid_days=act.settings.transfer_valid_days)
        else:
            row = await transfers.issue_out(
                act.session, m.id, form.outside or "", by=by, now=now, today=today,
                valid_days=act.settings.transfer_valid_days_outside)
    except TransferError as refused:
        await act.session.rollback()
        return Reply(act.t(views.REFUSALS[refused.code]))
    [letter] = await transfers.letters(act.session, ids=[row.id])
    if letter.kind is TransferKind.BETWEEN:
        await tell_member(act, letter, lambda t: t(
            "📨 Your branch issued a transfer letter ({number}) to {org}. You move when {org} "
            "accepts it: /transfer shows where it stands.", number=letter.number or "",
            org=views.destination(t, letter)))
        await tell_leaders(act, letter.to_org_id, lambda t: t(
            "📨 A transfer letter ({number}) from {home} for {name} waits for your answer.",
            number=letter.number or "", home=views.origin(t, letter), name=letter.name),
            lambda t: views.keyboard([[views.ShowLetter(letter.id).button(t("Open the letter"))]]))
    else:
        await tell_member(act, letter, lambda t: t(
            "📨 Your membership was transferred out to {org} with letter {number}. Hand the "
            "printed letter to {org}; your history here is kept.", number=letter.number or "",
            org=views.destination(t, letter)), menu=True)
    reply = letter_reply(act, letter, act.t("📨 The letter was issued."))
    return Reply(reply.text, reply.markup, files=(letter_file(act.t, letter, act.settings.tzinfo),))


ISSUE = Flow(
    name="transfer_issue",
    prefix="tfi",
    form=IssueForm,
    entry=Entry(views.StartTransfer, LEADERS, start_issue),
    guard=member,
    steps=(
        Choose(key="where", ask=ask_where, options=where_options),
        Custom(key="to_org", render=ask_branch, presses=((views.PickBranch, pick_branch),),
               messages=((TEXT_INPUT, read_query),), when=lambda form: form.where == "inside"),
        Text(key="outside", ask=asking(N_(
            "Type the name of the organization that receives the membership.")),
             read=read_outside, when=lambda form: form.where == "outside"),
        Confirm(key="confirm", summary=summary, label=N_("📨 Issue the letter"), finish=issue),
    ),
)


# -- the receiving secretary returns a letter ------------------------------------------------


async def start_return(act: Act, press: views.ReturnLetter) -> ReturnForm:
    await access_answerable_letter(act, press.transfer)
    return ReturnForm(transfer=press.transfer)


async def guard_return(act: Act, form: ReturnForm) -> None:
    await access_answerable_letter(act, form.transfer)


async def ask_reason(act: Act, form: ReturnForm) -> Html:
    letter = await access_answerable_letter(act, form.transfer)
    return act.t("Why is the letter for {name} returned? Type the reason; {home} and the "
                 "member will read it.", name=letter.name, home=views.origin(act.t, letter))


async def read_reason(act: Act, form: ReturnForm, text: str) -> str | Invalid:
    return rules.parse_return_reason(text)


async def return_summary(act: Act, form: ReturnForm) -> Html:
    letter = await access_answerable_letter(act, form.transfer)
    return html_join("\n", [
        act.t("Return the letter for {name} to {home}? The membership stays there.",
              name=letter.name, home=views.origin(act.t, letter)),
        act.t("Reason given: {reason}", reason=form.reason or "")])


async def return_letter(act: Act, form: ReturnForm) -> Reply:
    letter = await access_answerable_letter(act, form.transfer)
    assert letter.to_org_id is not None
    try:
        await transfers.return_letter(act.session, letter.id, org_id=letter.to_org_id,
                                      by=act.actor.telegram_id, now=act.now(),
                                      reason=form.reason or "")
    except TransferError as refused:
        return await refused_reply(act, letter, refused)
    done = await reload(act, letter)
    await tell_member(act, done, lambda t: t(
        "↩️ {org} returned your transfer letter: {reason}. You remain a member of {home}.",
        org=views.destination(t, done), reason=done.reason or "", home=views.origin(t, done)))
    await tell_leaders(act, done.from_org_id, lambda t: t(
        "↩️ {org} returned the transfer letter {number} for {name}: {reason}.",
        org=views.destination(t, done), number=done.number or "", name=done.name,
        reason=done.reason or ""))
    return letter_reply(act, done, act.t("The letter was returned."))


RETURN = Flow(
    name="transfer_return",
    prefix="tfr",
    form=ReturnForm,
    entry=Entry(views.ReturnLetter, LEADERS, start_return),
    guard=guard_return,
    steps=(
        Text(key="reason", ask=ask_reason, read=read_reason),
        Confirm(key="confirm", summary=return_summary, label=N_("↩️ Return the letter"),
                finish=return_letter),
    ),
)


# -- a member asks for a letter --------------------------------------------------------------


async def start_ask(act: Act, press: views.AskTransfer) -> AskForm:
    act.check(act.actor.membership_id is not None)
    return AskForm()


async def read_destination(act: Act, form: AskForm, text: str) -> str | Invalid:
    return rules.parse_outside_org(text)


async def ask_summary(act: Act, form: AskForm) -> Html:
    return act.t("Ask your secretary for a transfer letter to {org}?", org=form.to or "")


async def send_request(act: Act, form: AskForm) -> Html:
    membership_id = MembershipId(act.actor.membership_id or 0)
    membership = await people.membership_with_person(act.session, membership_id)
    act.check(membership is not None and membership.state is MembershipState.ACTIVE)
    assert membership is not None
    name = person_name(act.t, membership.person)
    await tell_leaders(act, membership.party_organization_id, lambda t: t(
        "📨 {name} asks for a transfer letter to: {org}.", name=name, org=form.to or ""),
        lambda t: views.keyboard([[views.StartTransfer(membership_id).button(
            t("📨 Issue a letter"))]]))
    return act.t("Your secretary was asked. You will be told when the letter is issued.")


ASK = Flow(
    name="transfer_ask",
    prefix="tfa",
    form=AskForm,
    entry=Entry(views.AskTransfer, MEMBERS, start_ask),
    steps=(
        Text(key="to", ask=asking(N_(
            "Which organization should your membership move to? Type its name.")),
             read=read_destination),
        Confirm(key="confirm", summary=ask_summary, label=N_("📨 Ask my secretary"),
                finish=send_request),
    ),
)


# -- someone waiting for approval brings a letter from outside -------------------------------


async def start_arrival(act: Act, press: views.BringLetter) -> ArrivalForm:
    await pending_membership(act)
    return ArrivalForm()


async def pending_membership(act: Act, _: object = None) -> Membership:
    """The actor's own registration, still waiting for its decision."""
    membership = await people.membership_with_person(
        act.session, MembershipId(act.actor.membership_id or 0))
    if membership is None or membership.state is not MembershipState.PENDING:
        raise Refused(STALE_BUTTON)
    return membership


async def read_origin(act: Act, form: ArrivalForm, text: str) -> str | Invalid:
    return rules.parse_outside_org(text)


async def read_number(act: Act, form: ArrivalForm, text: str) -> str | Invalid:
    return rules.parse_outside_letter_number(text)


async def read_paid_to(act: Act, form: ArrivalForm, text: str) -> str | Problem:
    month = parse_month(text)
    if isinstance(month, Invalid) or month > Month.of(act.today()).plus(12):
        return Problem(N_("Please type the month like 2026-05."))
    return str(month)


async def paid_to_unknown(act: Act, form: ArrivalForm, press: views.PaidToUnknown) -> Next:
    return Next({"paid_to": None})


async def unknown_button(act: Act, form: ArrivalForm) -> Rows:
    return [[views.PaidToUnknown().button(act.t("The letter does not say"))]]


async def arrival_summary(act: Act, form: ArrivalForm) -> Html:
    return html_join("\n", [
        act.t("Tell your secretary about this letter?"),
        act.t("From: {org}", org=form.origin or ""),
        act.t("No. {number}", number=form.number or ""),
        act.t("Party dues paid up to: {month}", month=form.paid_to)
        if form.paid_to else act.t("Party dues paid up to: none recorded"),
        act.t("Hand the paper letter to your secretary too: it is accepted when your "
              "registration is approved."),
    ])


async def record_arrival(act: Act, form: ArrivalForm) -> Html:
    membership = await pending_membership(act)
    paid_to = parse_month(form.paid_to) if form.paid_to else None
    try:
        await transfers.record_arrival(
            act.session, membership.id, number=form.number or "", origin=form.origin or "",
            dues_paid_to=paid_to if isinstance(paid_to, Month) else None,
            by=act.actor.telegram_id, now=act.now(), today=act.today())
    except TransferError as refused:
        await act.session.rollback()
        return act.t(views.REFUSALS[refused.code])
    name = person_name(act.t, membership.person)
    await tell_leaders(act, membership.party_organization_id, lambda t: t(
        "📨 {name}, whose registration waits for approval, brings a transfer letter ({number}) "
        "from {org}. Check the paper letter when you decide (/pending).", name=name,
        number=form.number or "", org=form.origin or ""))
    return act.t("Your secretary was told about the letter.")


ARRIVE = Flow(
    name="transfer_arrive",
    prefix="tfin",
    form=ArrivalForm,
    entry=Entry(views.BringLetter, PENDING, start_arrival),
    guard=pending_membership,
    steps=(
        Text(key="origin", ask=asking(N_(
            "Which organization issued the letter? Type its name as printed.")),
             read=read_origin),
        Text(key="number", ask=asking(N_(
            "What is the letter's number (for example 〔2026〕第12号)?")), read=read_number),
        Text(key="paid_to", ask=asking(N_(
            "To which month does the letter say your Party dues are paid? Type it like 2026-05.")),
             read=read_paid_to, buttons=unknown_button,
             presses=((views.PaidToUnknown, paid_to_unknown),)),
        Confirm(key="confirm", summary=arrival_summary, label=N_("📨 Tell my secretary"),
                finish=record_arrival),
    ),
)
