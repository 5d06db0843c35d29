"""Leaders decide registrations: each is sent to the branch's leaders (or the admins) with
approve / reject buttons; rejecting asks for a reason the applicant will see."""

from __future__ import annotations

from functools import partial

from telegram import ReplyKeyboardRemove

from handlers.access.registrations import access_registration
from handlers.kit.actions import LEADERS, Act, Reply
from handlers.kit.buttons import MembershipId
from handlers.kit.chat import Outgoing, show
from handlers.kit.flows import Custom, Entry, Flow, Next, cleaned
from handlers.kit.i18n import Html, translator
from handlers.kit.steps import Rows
from handlers.menu import main_keyboard, publish_commands_for
from handlers.registration import views
from handlers.registration.views import Approve, BackToDecision, RejectionForm, RejectWithoutReason
from rules.permissions import can_see_phone
from rules.validation import MAX_REASON
from rules.vocabulary import MembershipState
from storage import people


async def notify_leaders(act: Act, membership_id: int) -> None:
    """After the reply: the registration to each leader of the member's branch (the phone in
    full for the branch's own and admins, masked above), or to the admins if it has none."""
    membership = await people.membership_with_person(act.session, membership_id)
    assert membership is not None
    org_id, admins = membership.party_organization_id, act.settings.admins
    recipients = {leader.telegram_id: (leader.language, led == org_id)
                  for leader, led in await people.leaders_of(act.session, org_id)}
    if not recipients:  # no secretary yet: the upper level decides
        languages = await people.languages_of(act.session, admins)
        recipients = {admin: (languages.get(admin, act.settings.default_language), True)
                      for admin in admins}
    messages: list[Outgoing] = []
    for telegram_id, (language, own_branch) in recipients.items():
        t = translator(language)
        text = views.approval_text(t, membership, show_phone=own_branch or telegram_id in admins)
        messages.append((telegram_id, text, views.approval_keyboard(t, membership.id)))
    act.deliver(messages)


async def decide(act: Act, membership_id: MembershipId, *, approve: bool,
                 reason: str | None = None) -> Reply:
    """Decide once (a second press, or a second leader, is told it is already decided); after
    the reply the applicant hears it in their language (rejected: with the reason, if one was
    typed; approved: with their new menu)."""
    await access_registration(act, membership_id)
    if not approve and act.update.callback_query is not None:  # the pressed question gives way
        update, rejecting = act.update, act.t("Rejecting…")
        act.before(lambda: show(update, rejecting))
    decision = await people.decide_registration(
        act.session, membership_id, approve=approve, decided_by=act.actor.telegram_id,
        reason=reason, now=act.now())
    assert decision is not None
    membership, person, context = decision.membership, decision.membership.person, act.context
    if not decision.applied:
        return Reply(views.already_decided(act.t, membership), new=not approve)
    member = (await people.load_actor(act.session, person.telegram_id, admins=act.settings.admins,
                                      language=person.language) if approve else None)
    t = translator(person.language)
    told = views.decision_for_member(t, membership, approved=member is not None)
    markup = main_keyboard(member) if member is not None else ReplyKeyboardRemove()
    act.deliver([(person.telegram_id, told, markup)])
    if member is not None:
        act.after(partial(publish_commands_for, context.application, member))
    return Reply(views.decided_text(act.t, membership), new=not approve)


async def decide_press(act: Act, press: Approve | RejectWithoutReason) -> Reply:
    return await decide(act, press.membership, approve=isinstance(press, Approve))


async def back_to_decision(act: Act, press: BackToDecision) -> Reply:
    """The registration with its approve / reject buttons again."""
    membership = await access_registration(act, press.membership)
    show_phone = can_see_phone(act.actor, membership.party_organization_id,
                               membership.person_id)
    return Reply(views.approval_text(act.t, membership, show_phone=show_phone),
                 views.approval_keyboard(act.t, membership.id))


# -- rejecting with a reason: a flow of one step ---------------------------------------------


async def start_rejection(act: Act, press: views.Reject) -> RejectionForm | Reply:
    membership = await access_registration(act, press.membership)
    if membership.state is not MembershipState.PENDING:
        return Reply(views.already_decided(act.t, membership))
    return RejectionForm(membership=press.membership, name=membership.person.real_name or "")


async def ask_reason(act: Act, form: RejectionForm) -> tuple[Html, Rows]:
    return views.reason_question(act.t, form), views.reason_buttons(act.t, form)


async def pressed(act: Act, form: RejectionForm, press: RejectWithoutReason | BackToDecision
                  ) -> Next:
    """Rejected without a reason, or back to the approve / reject buttons."""
    return Next({"membership": press.membership, "reason": None,
                 "back": isinstance(press, BackToDecision)})


async def finish_rejection(act: Act, form: RejectionForm) -> Reply:
    if form.back:
        return await back_to_decision(act, BackToDecision(form.membership))
    return await decide(act, form.membership, approve=False, reason=form.reason)


REJECTION = Flow(
    name="rejection",
    prefix="apv",
    form=RejectionForm,
    entry=Entry(views.Reject, LEADERS, start_rejection),
    guard=lambda act, form: access_registration(act, form.membership),
    steps=(Custom(key="reason", render=ask_reason, bare=True,
                  presses=((RejectWithoutReason, pressed), (BackToDecision, pressed)),
                  read=cleaned(MAX_REASON)),),
    finish=finish_rejection,
    back=False,
)
