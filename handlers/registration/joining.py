"""/start: a newcomer registers (language, name, branch, status, date joined, phone), or one
appointed before registering completes their details; returning people are greeted."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from telegram import Message, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.ext import filters

from handlers.kit.actions import ANYONE, GUESTS, Act, Command, CommandArgs, Reply
from handlers.kit.buttons import InviteId, OrgId
from handlers.kit.chat import STALE_BUTTON, send, show
from handlers.kit.flows import (
    Choose,
    Confirm,
    Custom,
    Day,
    Entry,
    Flow,
    Next,
    Option,
    Problem,
    Text,
    asking,
    invalid_text,
    turn_page,
)
from handlers.kit.i18n import (
    N_,
    Html,
    Translator,
    html_join,
    in_every_language,
)
from handlers.kit.steps import Rows
from handlers.kit.ui import language_chosen, language_question, paged_rows
from handlers.labels import MEMBER_STATUS_LABELS
from handlers.menu import TEXT_INPUT, main_keyboard, menu_follows
from handlers.registration import views
from handlers.registration.decisions import notify_leaders
from handlers.registration.views import (
    INVITE_PROBLEMS,
    BranchPage,
    ChooseLanguage,
    JoinForm,
    PickBranch,
)
from rules.validation import Invalid, check_join_date, clean_phone, clean_real_name
from storage import invites as invite_store
from storage import orgs as org_store
from storage import people


async def start(act: Act, args: CommandArgs) -> JoinForm | Reply:
    """Greet a returning member, or begin the guided registration (with an invite code)."""
    actor, t = act.actor, act.t
    payload = args.args[0] if args.args else None
    if actor.is_member or actor.is_pending:
        membership = await people.current_membership(act.session, actor.person_id or 0)
        org_name = membership.party_organization.name if membership else ""
        person = await people.person_by_telegram_id(act.session, actor.telegram_id)
        if membership is not None and person is not None and person.real_name is None:
            # Appointed from above before registering: ask only for the missing details.
            act.say(t("You were appointed in {branch}. Please complete your details.",
                      branch=org_name))
            return JoinForm(complete=True, org=OrgId(membership.party_organization_id),
                            org_name=org_name)
        if actor.is_member:
            text = t("Welcome back! You are registered in {branch}.", branch=org_name)
        else:
            text = t("Your registration for {branch} is waiting for approval. You will be "
                     "told as soon as it is decided.", branch=org_name)
        return Reply(text, main_keyboard(actor), new=True)
    if actor.is_admin and not payload:
        # Remember the admin's language, for messages the bot sends them later.
        await people.ensure_person(act.session, actor.telegram_id, language=actor.language)
        return Reply(t("Welcome, administrator. Use the menu below or /help."),
                     main_keyboard(actor), new=True)
    if not payload:
        return JoinForm()
    invite = await invite_store.find_invite(act.session, payload)
    problem = invite_store.invite_problem(invite, act.now())
    if problem is None and invite is not None:
        return JoinForm(invite=InviteId(invite.id), org=OrgId(invite.party_organization_id),
                        org_name=invite.party_organization.name)
    act.say(t(INVITE_PROBLEMS[problem or "invite_unknown"]) + "\n"
            + t("Ask your branch secretary for a new link, or pick your branch below."))
    return JoinForm()


async def ask_language(act: Act, form: JoinForm) -> tuple[Html, Rows]:
    """The first question, asked in both languages."""
    return language_question(ChooseLanguage)


async def choose_language(act: Act, form: JoinForm, press: ChooseLanguage) -> Next:
    """Replies are in the chosen language from now on."""
    await act.switch_language(press.language)
    chosen, update = language_chosen(act.t, press.language), act.update
    act.before(lambda: show(update, chosen))
    return Next({"lang": press.language}, new=True)


async def read_name(act: Act, form: JoinForm, text: str) -> Any:
    name = clean_real_name(text)
    if not isinstance(name, Invalid) and form.invite is not None:
        act.say(act.t("Branch: {branch} (from your invite link).", branch=form.org_name))
    return name


def picks_branch(form: JoinForm) -> bool:
    """No invite and no appointment named the branch."""
    return form.invite is None and not form.complete


async def ask_branch(act: Act, form: JoinForm) -> tuple[Html, Rows]:
    """The branches to pick from, a page at a time."""
    t = act.t
    orgs = await org_store.member_orgs(act.session)
    if not orgs:
        return t("No branch has been set up yet. Ask your secretary for an invite link, then "
                 "open it to continue."), []
    return t("Which branch do you belong to?"), paged_rows(
        t, [PickBranch(OrgId(o.id)).button(o.name) for o in orgs], form.page, BranchPage)


async def pick_branch(act: Act, form: JoinForm, press: PickBranch) -> Next:
    org = await org_store.get_party_org(act.session, press.org)
    if org is None:
        act.refuse(STALE_BUTTON)
    chosen, update = act.t("Branch: {branch}", branch=org.name), act.update
    act.before(lambda: show(update, chosen))
    return Next({"org": org.id, "org_name": org.name}, new=True)


async def status_options(act: Act, form: JoinForm) -> list[Option]:
    return [Option(status.value, act.t(label)) for status, label in MEMBER_STATUS_LABELS.items()]


async def ask_joined(act: Act, form: JoinForm) -> Html:
    return views.joined_question(act.t, form.status)


def join_problem(t: Translator, joined: date, now: datetime) -> Html | None:
    checked = check_join_date(joined, now.date())
    return invalid_text(t, checked) if isinstance(checked, Invalid) else None


async def ask_phone(act: Act, form: JoinForm) -> tuple[Html, ReplyKeyboardMarkup]:
    t = act.t
    return t("Optionally share your phone number so your secretary can reach you. Only your "
             "secretary and administrators see it in full."), views.phone_keyboard(t)


def _phone_given(act: Act, phone: str | None) -> Next:
    """The phone keyboard goes away before the summary."""
    thanks, update = act.t("Thank you."), act.update
    act.before(lambda: send(update, thanks, reply_markup=ReplyKeyboardRemove()))
    return Next({"phone": phone})


async def share_phone(act: Act, form: JoinForm, message: Message) -> Any:
    """The person's own contact only."""
    contact = message.contact
    assert contact is not None
    if contact.user_id != act.actor.telegram_id:
        return Problem(N_("Please share your own contact with the button below."))
    phone = clean_phone(contact.phone_number)
    return phone if isinstance(phone, Invalid) else _phone_given(act, phone)


async def phone_typed(act: Act, form: JoinForm, message: Message) -> Any:
    """'Skip' in either language; anything else points at the buttons."""
    if (message.text or "").strip() in in_every_language(views.SKIP):
        return _phone_given(act, None)
    return Problem(N_("Please use the button to share your phone number, or press Skip."))


async def ask_summary(act: Act, form: JoinForm) -> Html:
    return views.summary(act.t, form)


async def submit(act: Act, form: JoinForm) -> Html:
    """Store the registration and ask the branch's leaders to decide (or, completing an
    appointment, store the details at once)."""
    t = act.t
    if not (form.name and form.org and form.status and form.joined):
        return t(views.MISSING)
    language = form.lang or act.actor.language
    if form.complete:
        saved = await people.complete_profile(
            act.session, act.actor.telegram_id, language=language, real_name=form.name,
            status=form.status, joined_party_on=form.joined, phone=form.phone)
        if not saved:
            return t(views.MISSING)
        await menu_follows(act, t("Done. The menu is below."))
        return t("Your details are saved.")
    registration = people.RegistrationForm(
        telegram_id=act.actor.telegram_id, language=language, real_name=form.name,
        org_id=form.org, status=form.status, joined_party_on=form.joined, phone=form.phone,
        invite_id=form.invite,
    )
    try:
        membership = await people.submit_registration(act.session, registration)
    except people.MembershipError as exc:
        return t(INVITE_PROBLEMS.get(exc.code) or views.ALREADY_REGISTERED)
    await menu_follows(act, t("You can look at your profile with /me."))
    await notify_leaders(act, membership.id)
    return html_join("\n\n", [views.summary(t, form, heading=False), html_join("\n", [
        t("Submitted. Your secretary will review it; I will tell you the result."),
        t("Bringing a transfer letter from another organization? Enter it with /transfer.")])])


REGISTRATION = Flow(
    name="registration",
    prefix="reg",
    form=JoinForm,
    # Anyone may send /start (the registered return to the start); the menu lists it for guests.
    entry=Entry(Command("start", label=N_("📝 Register"),
                        description=N_("Register or return to the start"), shown_to=GUESTS),
                ANYONE, start),
    # The questions stand alone, as they always did: /cancel leaves, the summary goes back.
    steps=(
        Custom(key="lang", render=ask_language, presses=((ChooseLanguage, choose_language),),
               bare=True),
        Text(key="name", ask=asking(N_("Please type your real name, as in the party records.")),
             read=read_name, bare=True),
        Custom(key="org", render=ask_branch, when=picks_branch, bare=True,
               presses=((PickBranch, pick_branch), (BranchPage, turn_page))),
        Choose(key="status", ask=asking(N_("What is your party status?")),
               options=status_options, bare=True),
        Day(key="joined", ask=ask_joined, prefer="past", check=join_problem, quick=False,
            bare=True),
        Custom(key="phone", render=ask_phone,
               messages=((filters.CONTACT, share_phone), (TEXT_INPUT, phone_typed))),
        Confirm(key="submit", summary=ask_summary, label=views.SUBMIT, finish=submit),
    ),
)
