"""Registration: /start (or an invite link) guides a member in; leaders approve or reject."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.kit.chat import (
    Refused,
    answer,
    current_actor,
    language_of,
    require,
    send,
    show,
    tr,
)
from handlers.kit.context import BranchContext
from handlers.kit.date_step import DateStep
from handlers.kit.flows import invalid_text
from handlers.kit.i18n import (
    BLANK,
    N_,
    Html,
    Translator,
    escape,
    html_join,
    in_every_language,
    translator,
)
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import button, cb_args, cb_pattern, keyboard, paged
from handlers.labels import MEMBER_STATUS_LABELS
from handlers.menu import MENU_LABEL, main_keyboard, menu_handler, publish_commands_for
from rules.permissions import can_manage_org, can_see_phone
from rules.validation import (
    MAX_REASON,
    Invalid,
    check_join_date,
    clean_phone,
    clean_real_name,
    clean_text,
    mask_phone,
)
from rules.vocabulary import MemberStatus
from storage import invites as invite_store
from storage import orgs as org_store
from storage import people
from storage.models import Membership, utcnow

logger = logging.getLogger(__name__)

LANGUAGE, NAME, BRANCH, STATUS, JOINED, PHONE, CONFIRM = range(7)
REJECT_REASON = 10

DRAFT = "registration"
TEXT_INPUT = filters.TEXT & ~filters.COMMAND & ~MENU_LABEL

INVITE_PROBLEMS = {
    "invite_unknown": N_("This invite link is not valid."),
    "invite_expired": N_("This invite link has expired."),
    "invite_revoked": N_("This invite link has been replaced by a newer one."),
    "invite_used": N_("This single-use invite link has already been used."),
}


def _draft(context: BranchContext) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data.setdefault(DRAFT, {})


async def start_registration(update: Update, context: BranchContext) -> int:
    """Greet a returning member, or begin the guided registration (with an invite code)."""
    assert context.user_data is not None
    payload = context.args[0] if context.args else None
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        t = translator(actor.language)
        if actor.is_member or actor.is_pending:
            membership = await people.current_membership(session, actor.person_id or 0)
            org_name = membership.party_organization.name if membership else ""
            person = await people.person_by_telegram_id(session, actor.telegram_id)
            if membership is not None and person is not None and person.real_name is None:
                # Appointed from above before registering: ask only for the missing details.
                assert context.user_data is not None
                context.user_data[DRAFT] = {
                    "complete": True,
                    "org_id": membership.party_organization_id,
                    "org_name": org_name,
                }
                await send(update, t("You were appointed in {branch}. Please complete your "
                                     "details.", branch=org_name))
                return await ask_language(update)
            if actor.is_member:
                text = t("Welcome back! You are registered in {branch}.", branch=org_name)
            else:
                text = t(
                    "Your registration for {branch} is waiting for approval. "
                    "You will be told as soon as it is decided.",
                    branch=org_name,
                )
            await send(update, text, reply_markup=main_keyboard(actor))
            return ConversationHandler.END
        if actor.is_admin and not payload:
            # Remember the admin's language, for messages the bot sends them later.
            await people.ensure_person(session, actor.telegram_id, language=actor.language)
            await send(
                update,
                t("Welcome, administrator. Use the menu below or /help."),
                reply_markup=main_keyboard(actor),
            )
            return ConversationHandler.END
        draft: dict[str, Any] = {}
        if payload:
            invite = await invite_store.find_invite(session, payload)
            problem = invite_store.invite_problem(invite, utcnow())
            if problem is None and invite is not None:
                draft["invite_id"] = invite.id
                draft["org_id"] = invite.party_organization_id
                draft["org_name"] = invite.party_organization.name
            else:
                problem_text = INVITE_PROBLEMS[problem or "invite_unknown"]
                await send(
                    update,
                    t(problem_text)
                    + "\n"
                    + t("Ask your branch secretary for a new link, or pick your branch below."),
                )
    context.user_data[DRAFT] = draft
    return await ask_language(update)


async def ask_language(update: Update) -> int:
    """The first question, asked in both languages."""
    await send(
        update,
        escape("请选择语言 / Choose your language"),
        reply_markup=keyboard(
            [[button("中文", "reg", "lang", "zh"), button("English", "reg", "lang", "en")]]
        ),
    )
    return LANGUAGE


async def choose_language(update: Update, context: BranchContext) -> int:
    """Remember the chosen language and ask for the real name."""
    assert update.callback_query is not None and context.user_data is not None
    (language,) = cb_args(update.callback_query.data, "reg", str, str)[1:]
    if language not in ("zh", "en"):
        raise Refused(N_("This button is no longer valid. Please open the menu again."))
    await answer(update)
    context.user_data["lang"] = language
    _draft(context)["lang"] = language
    t = translator(str(language))
    await show(update, t("Language: English") if language == "en" else t("Language: Chinese"))
    await send(
        update,
        t("Please type your real name, as in the party records."),
        reply_markup=ReplyKeyboardRemove(),
    )
    return NAME


async def enter_name(update: Update, context: BranchContext) -> int:
    """Validate the name; then ask for the branch unless the invite named it."""
    assert update.message is not None
    t = tr(update, context)
    name = clean_real_name(update.message.text)
    if isinstance(name, Invalid):
        await send(update, invalid_text(t, name))
        return NAME
    draft = _draft(context)
    draft["name"] = name
    if draft.get("org_id"):
        if not draft.get("complete"):
            await send(
                update, t("Branch: {branch} (from your invite link).", branch=draft["org_name"])
            )
        return await ask_status(update, context)
    return await ask_branch(update, context, page=0)


async def ask_branch(update: Update, context: BranchContext, page: int) -> int:
    """Offer the branches to pick from, a page at a time."""
    t = tr(update, context)
    async with context.db.session() as session:
        orgs = await org_store.member_orgs(session)
    if not orgs:
        await send(
            update,
            t("No branch has been set up yet. Ask your secretary for an invite link, "
              "then open it to continue."),
        )
        return BRANCH
    markup = paged(
        t, [button(o.name, "reg", "org", o.id) for o in orgs], page, ("reg", "page")
    )
    await show(update, t("Which branch do you belong to?"), reply_markup=markup)
    return BRANCH


async def turn_branch_page(update: Update, context: BranchContext) -> int:
    """Show another page of the branch list."""
    assert update.callback_query is not None
    (page,) = cb_args(update.callback_query.data, "reg", str, int)[1:]
    await answer(update)
    return await ask_branch(update, context, page=int(page))


async def choose_branch(update: Update, context: BranchContext) -> int:
    """Remember the branch picked from the list."""
    assert update.callback_query is not None
    (org_id,) = cb_args(update.callback_query.data, "reg", str, int)[1:]
    t = tr(update, context)
    async with context.db.session() as session:
        org = await org_store.get_party_org(session, int(org_id))
        if org is None:
            raise Refused(N_("This button is no longer valid. Please open the menu again."))
        draft = _draft(context)
        draft["org_id"], draft["org_name"] = org.id, org.name
    await answer(update)
    await show(update, t("Branch: {branch}", branch=draft["org_name"]))
    return await ask_status(update, context)


async def ask_status(update: Update, context: BranchContext) -> int:
    """Ask full / probationary member or activist."""
    t = tr(update, context)
    await send(
        update,
        t("What is your party status?"),
        reply_markup=keyboard(
            [[button(t(label), "reg", "status", status.value)]
             for status, label in MEMBER_STATUS_LABELS.items()]
        ),
    )
    return STATUS


async def choose_status(update: Update, context: BranchContext) -> int:
    """Remember the status and ask for the date joined."""
    assert update.callback_query is not None
    (value,) = cb_args(update.callback_query.data, "reg", str, str)[1:]
    try:
        status = MemberStatus(value)
    except ValueError:
        raise Refused(N_("This button is no longer valid. Please open the menu again.")) from None
    t = tr(update, context)
    await answer(update)
    _draft(context)["status"] = status.value
    await show(update, t("Status: {status}", status=t(MEMBER_STATUS_LABELS[status])))
    if status is MemberStatus.ACTIVIST:
        question = t("When did you apply to join the party? Type the date as you would say "
                     "it, for example 15 Mar 2023 or 2023-03-15.")
    else:
        question = t("When did you join the party? Type the date as you would say it, for "
                     "example 1 Jul 2015 or 2015-07-01.")
    return await JOINED_STEP.ask(update, context, question)


def _join_problem(t: Translator, joined: date, now: datetime) -> Html | None:
    checked = check_join_date(joined, now.date())
    return invalid_text(t, checked) if isinstance(checked, Invalid) else None


async def enter_joined(update: Update, context: BranchContext, joined: date) -> int:
    """The date, read and echoed by JOINED_STEP; then offer to share the phone number."""
    t = tr(update, context)
    _draft(context)["joined"] = joined.isoformat()
    await send(
        update,
        t("Optionally share your phone number so your secretary can reach you. "
          "Only your secretary and administrators see it in full."),
        reply_markup=ReplyKeyboardMarkup(
            [[KeyboardButton(t.as_plain("📱 Share my phone number"), request_contact=True)],
             [KeyboardButton(t.as_plain("Skip"))]],
            resize_keyboard=True,
            one_time_keyboard=True,
        ),
    )
    return PHONE


JOINED_STEP = DateStep("joined", JOINED, moment=False, prefer="past", done=enter_joined,
                      check=_join_problem, quick=False)


async def share_phone(update: Update, context: BranchContext) -> int:
    """Accept the person's own contact only."""
    assert update.message is not None and update.message.contact is not None
    t = tr(update, context)
    contact = update.message.contact
    user = update.effective_user
    if user is None or contact.user_id != user.id:
        await send(update, t("Please share your own contact with the button below."))
        return PHONE
    phone = clean_phone(contact.phone_number)
    if isinstance(phone, Invalid):
        await send(update, invalid_text(t, phone))
        return PHONE
    _draft(context)["phone"] = phone
    return await confirm(update, context)


async def skip_phone(update: Update, context: BranchContext) -> int:
    """Go on without a phone number."""
    _draft(context).pop("phone", None)
    return await confirm(update, context)


async def phone_as_text(update: Update, context: BranchContext) -> int:
    """Typed text at the phone step: 'Skip' in either language, else point at the button."""
    assert update.message is not None
    if (update.message.text or "").strip() in in_every_language(N_("Skip")):
        return await skip_phone(update, context)
    t = tr(update, context)
    await send(update, t("Please use the button to share your phone number, or press Skip."))
    return PHONE


def draft_summary(t: Translator, draft: dict[str, Any], *, heading: bool = True) -> Html:
    status = MemberStatus(draft["status"])
    lines = [
        t("Please check your registration:") if heading else BLANK,
        t("Name: {name}", name=draft["name"]),
        t("Branch: {branch}", branch=draft["org_name"]),
        t("Status: {status}", status=t(MEMBER_STATUS_LABELS[status])),
        t("Date: {date}", date=draft["joined"]),
        t("Phone: {phone}", phone=draft.get("phone") or t("not given")),
    ]
    return html_join("\n", lines[0 if heading else 1 :])


async def confirm(update: Update, context: BranchContext) -> int:
    """Show what was entered, with submit / start over."""
    t = tr(update, context)
    await send(update, t("Thank you."), reply_markup=ReplyKeyboardRemove())
    await send(
        update,
        draft_summary(t, _draft(context)),
        reply_markup=keyboard(
            [[button(t("✅ Submit"), "reg", "submit")],
             [button(t("✏️ Start over"), "reg", "redo"), button(t("Cancel"), "reg", "cancel")]]
        ),
    )
    return CONFIRM


async def submit(update: Update, context: BranchContext) -> int:
    """Store the registration and ask the branch's leaders to decide."""
    assert context.user_data is not None and update.effective_user is not None
    t = tr(update, context)
    draft = _draft(context)
    required = ("name", "org_id", "status", "joined")
    if not all(draft.get(k) for k in required):
        await answer(update)
        await show(update, t("Something is missing. Let us start again with /start."))
        return ConversationHandler.END
    if draft.get("complete"):
        return await save_completed_profile(update, context, draft)
    form = people.RegistrationForm(
        telegram_id=update.effective_user.id,
        language=language_of(update, context),
        real_name=draft["name"],
        org_id=int(draft["org_id"]),
        status=MemberStatus(str(draft["status"])),
        joined_party_on=datetime.fromisoformat(draft["joined"]).date(),
        phone=draft.get("phone"),
        invite_id=draft.get("invite_id"),
    )
    try:
        async with context.db.session() as session:
            membership = await people.submit_registration(session, form)
            leaders = await people.leaders_of(session, membership.party_organization_id)
            admin_languages = await people.languages_of(session, context.settings.admins)
            loaded = await people.membership_with_person(session, membership.id)
            assert loaded is not None
            membership = loaded
            actor = await current_actor(session, update, context)
    except people.MembershipError as exc:
        await answer(update)
        message = INVITE_PROBLEMS.get(exc.code) or N_("You already have a registration. See /me.")
        await show(update, t(message))
        return ConversationHandler.END
    await answer(update)
    context.user_data.pop(DRAFT, None)
    await show(
        update,
        draft_summary(t, draft, heading=False)
        + "\n\n"
        + t("Submitted. Your secretary will review it; I will tell you the result."),
    )
    await publish_commands_for(context.application, actor)
    await send(
        update, t("You can look at your profile with /me."), reply_markup=main_keyboard(actor)
    )
    # Leaders of the member's own branch (and admins) see the phone; leaders above see it masked.
    recipients = {
        leader.telegram_id: (leader.language, org_id == membership.party_organization_id)
        for leader, org_id in leaders
    }
    if not recipients:  # no secretary yet: the upper level decides
        recipients = {
            admin: (admin_languages.get(admin, context.settings.default_language), True)
            for admin in context.settings.admins
        }
    for telegram_id, (language, own_branch) in recipients.items():
        show_phone = own_branch or telegram_id in context.settings.admins
        await notify_leader(context, telegram_id, language, membership, show_phone=show_phone)
    return ConversationHandler.END


async def save_completed_profile(
    update: Update, context: BranchContext, draft: dict[str, Any]
) -> int:
    """An appointed member's own details: stored at once, no approval needed."""
    assert context.user_data is not None and update.effective_user is not None
    t = tr(update, context)
    async with context.db.session() as session:
        saved = await people.complete_profile(
            session,
            update.effective_user.id,
            language=language_of(update, context),
            real_name=draft["name"],
            status=MemberStatus(str(draft["status"])),
            joined_party_on=datetime.fromisoformat(draft["joined"]).date(),
            phone=draft.get("phone"),
        )
        actor = await current_actor(session, update, context)
    await answer(update)
    context.user_data.pop(DRAFT, None)
    if not saved:
        await show(update, t("Something is missing. Let us start again with /start."))
        return ConversationHandler.END
    await show(update, t("Your details are saved."))
    await publish_commands_for(context.application, actor)
    await send(update, t("Done. The menu is below."), reply_markup=main_keyboard(actor))
    return ConversationHandler.END


def approval_text(t: Translator, membership: Membership, *, show_phone: bool) -> Html:
    person = membership.person
    phone = person.phone if show_phone else mask_phone(person.phone)
    return html_join("\n",
        [
            t("New registration for {branch}:", branch=membership.party_organization.name),
            t("Name: {name}", name=person.real_name or "?"),
            t("Status: {status}", status=t(MEMBER_STATUS_LABELS[membership.status])),
            t("Date: {date}", date=membership.joined_party_on or "?"),
            t("Phone: {phone}", phone=phone or t("not given")),
        ]
    )


def approval_keyboard(t: Translator, membership_id: int) -> Any:
    return keyboard(
        [[button(t("✅ Approve"), "apv", "y", membership_id),
          button(t("❌ Reject"), "apv", "n", membership_id)]]
    )


async def notify_leader(
    context: BranchContext,
    telegram_id: int,
    language: str,
    membership: Membership,
    *,
    show_phone: bool,
) -> None:
    """Send one leader the registration with approve / reject buttons."""
    t = translator(language)
    try:
        await context.bot.send_message(
            telegram_id,
            approval_text(t, membership, show_phone=show_phone),
            reply_markup=approval_keyboard(t, membership.id),
        )
    except TelegramError as exc:
        logger.warning("could not notify leader %s of a registration: %s", pseudonym(telegram_id),
                       exc)


async def load_for_decision(
    session: AsyncSession, update: Update, context: BranchContext, membership_id: int
) -> Membership:
    """The membership behind an approve/reject button, after checking the presser may decide."""
    actor = await current_actor(session, update, context)
    membership = await people.membership_with_person(session, membership_id)
    if membership is None:
        raise Refused(N_("This button is no longer valid. Please open the menu again."))
    require(can_manage_org(actor, membership.party_organization_id), update, "decide registration")
    return membership


def decided_text(t: Translator, membership: Membership) -> Html:
    name = membership.person.real_name or "?"
    if membership.state.value == "active":
        return t("✅ {name} was approved.", name=name)
    if membership.state.value == "rejected":
        return t("❌ {name} was rejected.", name=name)
    return t("{name}: this registration is no longer pending.", name=name)


async def approve_registration(update: Update, context: BranchContext) -> None:
    """Approve once; a second press (or a second leader) is told it is already decided."""
    assert update.callback_query is not None and update.effective_user is not None
    (membership_id,) = cb_args(update.callback_query.data, "apv", str, int)[1:]
    t = tr(update, context)
    async with context.db.session() as session:
        await load_for_decision(session, update, context, int(membership_id))
        decision = await people.decide_registration(
            session, int(membership_id), approve=True, decided_by=update.effective_user.id
        )
        assert decision is not None
        member_actor = await people.load_actor(
            session,
            decision.membership.person.telegram_id,
            admins=context.settings.admins,
            language=decision.membership.person.language,
        )
    await answer(update)
    if not decision.applied:
        await show(update, t("Already decided.") + "\n" + decided_text(t, decision.membership))
        return
    await show(update, decided_text(t, decision.membership))
    await tell_member(context, decision.membership, approved=True)
    await publish_commands_for(context.application, member_actor)


async def tell_member(context: BranchContext, membership: Membership, *, approved: bool) -> None:
    """Tell the applicant the decision, in their language."""
    person = membership.person
    t = translator(person.language)
    branch = membership.party_organization.name
    if approved:
        member_actor = await _actor_after_decision(context, membership)
        text = t("Your registration for {branch} was approved. Welcome!", branch=branch)
        markup: Any = main_keyboard(member_actor)
    else:
        text = t("Your registration for {branch} was not approved.", branch=branch)
        if membership.reject_reason:
            text = html_join("\n", [text, t("Reason: {reason}", reason=membership.reject_reason)])
        text = html_join("\n", [text, t(
            "If this is a mistake, talk to your secretary and register again with /start."
        )])
        markup = ReplyKeyboardRemove()
    try:
        await context.bot.send_message(person.telegram_id, text, reply_markup=markup)
    except TelegramError as exc:
        logger.warning("could not tell member %s the decision: %s",
                       pseudonym(person.telegram_id), exc)


async def _actor_after_decision(context: BranchContext, membership: Membership) -> Any:
    async with context.db.session() as session:
        return await people.load_actor(
            session,
            membership.person.telegram_id,
            admins=context.settings.admins,
            language=membership.person.language,
        )


async def ask_reject_reason(update: Update, context: BranchContext) -> int | None:
    """Before rejecting, ask for a reason the applicant will see."""
    assert update.callback_query is not None and context.user_data is not None
    (membership_id,) = cb_args(update.callback_query.data, "apv", str, int)[1:]
    t = tr(update, context)
    async with context.db.session() as session:
        membership = await load_for_decision(session, update, context, int(membership_id))
    await answer(update)
    if membership.state.value != "pending":
        await show(update, t("Already decided.") + "\n" + decided_text(t, membership))
        return ConversationHandler.END
    context.user_data["rejecting"] = membership.id
    await show(
        update,
        t("Why is {name} rejected? Type the reason the applicant will see, "
          "or press the button to reject without a reason.", name=membership.person.real_name),
        reply_markup=keyboard(
            [[button(t("Reject without a reason"), "apv", "n0", membership.id)],
             [button(t("Back"), "apv", "back", membership.id)]]
        ),
    )
    return REJECT_REASON


async def _reject(
    update: Update, context: BranchContext, membership_id: int, reason: str | None
) -> int:
    assert update.effective_user is not None and context.user_data is not None
    t = tr(update, context)
    async with context.db.session() as session:
        await load_for_decision(session, update, context, membership_id)
        decision = await people.decide_registration(
            session, membership_id, approve=False, decided_by=update.effective_user.id,
            reason=reason,
        )
    assert decision is not None
    context.user_data.pop("rejecting", None)
    if not decision.applied:
        await send(update, t("Already decided.") + "\n" + decided_text(t, decision.membership))
        return ConversationHandler.END
    await send(update, decided_text(t, decision.membership))
    await tell_member(context, decision.membership, approved=False)
    return ConversationHandler.END


async def enter_reject_reason(update: Update, context: BranchContext) -> int:
    """Reject with the typed reason."""
    assert update.message is not None and context.user_data is not None
    t = tr(update, context)
    reason = clean_text(update.message.text, max_length=MAX_REASON)
    if isinstance(reason, Invalid):
        await send(update, invalid_text(t, reason))
        return REJECT_REASON
    membership_id = context.user_data.get("rejecting")
    if not isinstance(membership_id, int):
        return ConversationHandler.END
    return await _reject(update, context, membership_id, reason)


async def reject_without_reason(update: Update, context: BranchContext) -> int:
    """Reject with no reason given."""
    assert update.callback_query is not None
    (membership_id,) = cb_args(update.callback_query.data, "apv", str, int)[1:]
    async with context.db.session() as session:  # refuse before acknowledging the press
        await load_for_decision(session, update, context, membership_id)
    await answer(update)
    t = tr(update, context)
    await show(update, t("Rejecting…"))
    return await _reject(update, context, int(membership_id), None)


async def back_to_decision(update: Update, context: BranchContext) -> int:
    """Put the approve / reject buttons back."""
    assert update.callback_query is not None and context.user_data is not None
    (membership_id,) = cb_args(update.callback_query.data, "apv", str, int)[1:]
    t = tr(update, context)
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        membership = await load_for_decision(session, update, context, int(membership_id))
    await answer(update)
    context.user_data.pop("rejecting", None)
    show_phone = can_see_phone(actor, membership.party_organization_id, membership.person_id)
    await show(
        update,
        approval_text(t, membership, show_phone=show_phone),
        reply_markup=approval_keyboard(t, membership.id),
    )
    return ConversationHandler.END


async def cancel(update: Update, context: BranchContext) -> int:
    """Leave whatever conversation is in progress; drafts of it are dropped."""
    assert context.user_data is not None
    t = tr(update, context)
    context.user_data.pop(DRAFT, None)
    for draft in ("rejecting", "transfer", "org_draft"):
        context.user_data.pop(draft, None)
    await answer(update)
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
    await send(update, t("Cancelled."), reply_markup=main_keyboard(actor))
    return ConversationHandler.END


async def restart_registration(update: Update, context: BranchContext) -> int:
    """'Start over' on the summary: ask everything again (keeping the invite)."""
    assert context.user_data is not None
    draft = _draft(context)
    kept = {k: draft[k] for k in ("invite_id", "org_id", "org_name", "lang") if k in draft}
    if "invite_id" not in kept:
        kept.pop("org_id", None)
        kept.pop("org_name", None)
    context.user_data[DRAFT] = kept
    await answer(update)
    t = tr(update, context)
    await show(update, t("Let us start again."))
    await send(update, t("Please type your real name, as in the party records."))
    return NAME


def cancel_handlers() -> list[Any]:
    """Fallbacks shared by every conversation: /cancel, cancel buttons, the menu keyboard."""
    return [
        CommandHandler("cancel", cancel),
        CallbackQueryHandler(cancel, pattern=r"^(reg|x):cancel$"),
        menu_handler(),
    ]


def register(app: Application) -> None:
    """Registration conversation and the leaders' decision buttons."""
    from handlers.menu import COMMANDS

    register_label = "|".join(in_every_language(COMMANDS[0].label))
    registration = ConversationHandler(
        entry_points=[
            CommandHandler("start", start_registration),
            MessageHandler(filters.Regex(f"^({register_label})$"), start_registration),
        ],
        states={
            LANGUAGE: [CallbackQueryHandler(choose_language, pattern=r"^reg:lang:")],
            NAME: [MessageHandler(TEXT_INPUT, enter_name)],
            BRANCH: [
                CallbackQueryHandler(choose_branch, pattern=r"^reg:org:"),
                CallbackQueryHandler(turn_branch_page, pattern=r"^reg:page:"),
            ],
            STATUS: [CallbackQueryHandler(choose_status, pattern=r"^reg:status:")],
            JOINED: JOINED_STEP.handlers(TEXT_INPUT),
            PHONE: [
                MessageHandler(filters.CONTACT, share_phone),
                MessageHandler(TEXT_INPUT, phone_as_text),
            ],
            CONFIRM: [
                CallbackQueryHandler(submit, pattern=r"^reg:submit$"),
                CallbackQueryHandler(restart_registration, pattern=r"^reg:redo$"),
            ],
        },
        fallbacks=[
            *cancel_handlers(),
            # /start again mid-way restarts from the beginning.
            CommandHandler("start", start_registration),
        ],
        name="registration",
        persistent=True,
        allow_reentry=True,
    )
    rejection = ConversationHandler(
        entry_points=[CallbackQueryHandler(ask_reject_reason, pattern=r"^apv:n:")],
        states={
            REJECT_REASON: [
                MessageHandler(TEXT_INPUT, enter_reject_reason),
                CallbackQueryHandler(reject_without_reason, pattern=r"^apv:n0:"),
                CallbackQueryHandler(back_to_decision, pattern=r"^apv:back:"),
            ],
        },
        fallbacks=cancel_handlers(),
        name="rejection",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(registration)
    app.add_handler(rejection)
    app.add_handler(CallbackQueryHandler(approve_registration, pattern=cb_pattern("apv:y")))
    app.add_handler(CallbackQueryHandler(reject_without_reason, pattern=r"^apv:n0:"))
    app.add_handler(CallbackQueryHandler(back_to_decision, pattern=r"^apv:back:"))
