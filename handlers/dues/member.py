"""A member's own dues: their standard, this year's months, what they owe; reporting a payment
for the secretary to confirm (the secretaries are told, with buttons to confirm it), and
stating their category and base for the year."""

from __future__ import annotations

from decimal import Decimal

from handlers.access.dues import own_membership
from handlers.dues import payment, views
from handlers.dues.views import BaseForm, ReportForm, SetBaseForm
from handlers.kit.actions import MEMBERS, Act, Reply
from handlers.kit.buttons import PersonId
from handlers.kit.chat import ReplyMarkup, deliver_many
from handlers.kit.flows import Choose, Confirm, Entry, Flow, Option, Problem, Text
from handlers.kit.i18n import N_, Html, html_join, translator
from handlers.kit.ui import keyboard
from rules import dues as rules
from rules.dues import Month
from rules.validation import Invalid
from rules.vocabulary import DuesCategory, DuesMethod
from storage import dues, people
from storage.dues import DuesError
from storage.models import Person

# -- the member's page -----------------------------------------------------------------------

NO_DUES = N_("💴 Applicants and activists pay no Party dues: they begin in the month they "
             "become probationary members.")


async def member_reply(act: Act, head: Html | None = None) -> Reply:
    """The member's own dues through this month (branch-local)."""
    org_id = own_membership(act)
    person_id = act.actor.person_id or 0
    through = payment.current(act)
    rules_in_force = act.settings.dues_rules
    mine = await dues.member_dues(act.session, org_id, person_id, through, rules_in_force)
    profile = (await dues.profiles_for(act.session, [person_id], through.year)).get(person_id)
    standard = views.standard_text(
        act.t, profile.category if profile else None, dues.monthly_of(profile, rules_in_force),
        confirmed=profile is not None and profile.confirmed_by is not None)
    text = views.member_text(act.t, standard, mine, through.year)
    leader = act.actor.is_admin or act.actor.leads_a_branch
    back = views.DuesBranches(0) if leader else None
    if mine is None:  # an activist: no dues until they become a probationary member
        text = act.t(NO_DUES)
    return Reply(html_join("\n\n", [head, text]) if head else text,
                 views.member_markup(act.t, back=back, owes=mine is not None))


async def owes_dues(act: Act) -> bool:
    """Whether the actor is a (full or probationary) member who owes dues."""
    org_id = own_membership(act)
    return await dues.member_dues(act.session, org_id, act.actor.person_id or 0,
                                  payment.current(act), act.settings.dues_rules) is not None


async def show_mine(act: Act, _: views.MyDues) -> Reply:
    return await member_reply(act)


# -- reporting a payment ---------------------------------------------------------------------


async def own_standard(act: Act, form: object) -> Decimal | None:
    person_id = act.actor.person_id or 0
    profiles = await dues.profiles_for(act.session, [person_id], payment.current(act).year)
    return dues.monthly_of(profiles.get(person_id), act.settings.dues_rules)


async def own_limit(act: Act, form: object) -> int:
    """A member pays ahead only as far as their branch agreed."""
    return await dues.months_ahead(act.session, own_membership(act))


async def start_report(act: Act, _: views.ReportPayment) -> ReportForm | Reply:
    if not await owes_dues(act):
        return Reply(act.t(NO_DUES))
    return ReportForm()


async def guard(act: Act, form: object) -> None:
    own_membership(act)


async def report_summary(act: Act, form: ReportForm) -> Html:
    return html_join("\n", [act.t("Report this payment to your secretary?"),
                            *views.payment_lines(act.t, form)])


async def report(act: Act, form: ReportForm) -> Reply:
    org_id = own_membership(act)
    person_id = act.actor.person_id or 0
    try:
        done = await dues.record_payment(
            act.session, person_id=person_id, org_id=org_id,
            months=payment.months_of(act, form, await own_limit(act, form)),
            amount=Decimal(form.amount or "0"),
            paid_on=form.paid_on or act.today(), method=DuesMethod(form.method or "cash"),
            by=act.actor.telegram_id, now=act.now(), reported=True)
    except DuesError as refused:
        await act.session.rollback()
        return await member_reply(act, act.t(views.REFUSALS[refused.code]))
    if done.months:
        await tell_secretaries(act, org_id, person_id, done.months,
                               Decimal(form.amount or "0"))
    return await member_reply(act, views.recorded_text(act.t, done.months, done.already,
                                                       reported=True))


async def tell_secretaries(act: Act, org_id: int, person_id: int, months: list[Month],
                           amount: Decimal) -> None:
    """The branch's secretaries (else the leaders above) are told, with buttons to confirm."""
    person = await act.session.get(Person, person_id)
    name = person.real_name or "" if person is not None else ""
    messages: list[tuple[int, Html, ReplyMarkup | None]] = []
    for leader, _ in await people.leaders_of(act.session, org_id):
        if leader.telegram_id == act.actor.telegram_id:
            continue
        t = translator(leader.language or "zh")
        messages.append((leader.telegram_id, t(
            "🧾 {name} reports paying Party dues for {months}: {amount} yuan. Please confirm "
            "it once you have checked.", name=name, months=views.months_text(months),
            amount=views.yuan(amount)), keyboard([[
                views.DecideReported(PersonId(person_id), True).button(t("✅ Confirm")),
                views.DecideReported(PersonId(person_id), False).button(t("↩️ Return"))]])))
    context = act.context
    act.after(lambda: deliver_many(context, messages))


REPORT = Flow(
    name="dues_report",
    prefix="fer",
    form=ReportForm,
    entry=Entry(views.ReportPayment, MEMBERS, start_report),
    guard=guard,
    steps=(
        *payment.payment_steps(own_standard, own_limit, recording=False),
        Confirm(key="confirm", summary=report_summary, label=N_("🧾 Report it"), finish=report),
    ),
)


# -- stating the base ------------------------------------------------------------------------


async def start_base(act: Act, _: views.StateBase) -> BaseForm | Reply:
    if not await owes_dues(act):
        return Reply(act.t(NO_DUES))
    return BaseForm()


async def ask_category(act: Act, form: BaseForm) -> Html:
    if isinstance(form, SetBaseForm):
        return act.t("Which describes {name} this year?", name=form.name)
    return act.t("Which describes you this year?")


async def category_options(act: Act, form: BaseForm) -> list[Option]:
    return [Option(c.value, act.t(views.CATEGORY_LABELS[c])) for c in DuesCategory]


def based(form: BaseForm) -> bool:
    return form.category in {c.value for c in rules.BASED_CATEGORIES}


async def ask_base(act: Act, form: BaseForm) -> Html:
    retired = form.category == DuesCategory.RETIRED.value
    if isinstance(form, SetBaseForm):
        return (act.t("Type {name}'s monthly pension in yuan, like 4200. Only they, their "
                      "secretary and the administrators see it.", name=form.name) if retired
                else act.t("Type {name}'s monthly base pay in yuan (the fixed, regular part of "
                           "their pay), like 6500. Only they, their secretary and the "
                           "administrators see it.", name=form.name))
    if retired:
        return act.t("Type your monthly pension in yuan, like 4200. Only you, your secretary "
                     "and the administrators see it.")
    return act.t("Type your monthly base pay in yuan (the fixed, regular part of your pay), "
                 "like 6500. Only you, your secretary and the administrators see it.")


async def read_base(act: Act, form: BaseForm, text: str) -> str | Invalid:
    base = rules.parse_base(text)
    return base if isinstance(base, Invalid) else str(base)


async def ask_fixed(act: Act, form: BaseForm) -> Html:
    low, high = act.settings.dues_rules.farmer_range
    if isinstance(form, SetBaseForm):
        return act.t("Type the monthly amount the branch set for {name}, from {low} to {high} "
                     "yuan.", name=form.name, low=views.yuan(low), high=views.yuan(high))
    return act.t("Type the monthly amount your branch set for you, from {low} to {high} yuan.",
                 low=views.yuan(low), high=views.yuan(high))


async def read_fixed(act: Act, form: BaseForm, text: str) -> str | Invalid | Problem:
    amount = rules.parse_amount(text)
    if isinstance(amount, Invalid):
        return amount
    low, high = act.settings.dues_rules.farmer_range
    if rules.farmer_amount_ok(act.settings.dues_rules, amount) is not None:
        return Problem(views.REFUSALS["farmer_amount_range"], low=views.yuan(low),
                       high=views.yuan(high))
    return str(amount)


def monthly(act: Act, form: BaseForm) -> Decimal | None:
    return rules.monthly_dues(act.settings.dues_rules, DuesCategory(form.category or "student"),
                              Decimal(form.base) if form.base else None,
                              Decimal(form.fixed) if form.fixed else None)


def standard_lines(act: Act, form: BaseForm) -> list[Html]:
    """The category and base a summary shows (the base only to whom may see it)."""
    t, category = act.t, DuesCategory(form.category or "student")
    lines = [t("Category: {category}", category=t(views.CATEGORY_LABELS[category]))]
    if form.base is not None and based(form):
        lines.append(t("Monthly base: {amount} yuan", amount=views.yuan(Decimal(form.base))))
    return lines


# The questions a standard is set with: by the member (stated) or their secretary (confirmed).
STANDARD_STEPS = (
    Choose(key="category", ask=ask_category, options=category_options),
    Text(key="base", ask=ask_base, read=read_base, when=based),
    Text(key="fixed", ask=ask_fixed, read=read_fixed,
         when=lambda form: form.category == DuesCategory.FARMER.value),
)


async def base_summary(act: Act, form: BaseForm) -> Html:
    t = act.t
    lines = [t("State this for {year}?", year=act.today().year), *standard_lines(act, form)]
    amount = monthly(act, form)
    if amount is not None:
        lines.append(t("Your dues: {amount} yuan a month.", amount=views.yuan(amount)))
    lines.append(t("Your secretary confirms it."))
    return html_join("\n", lines)


async def save_base(act: Act, form: BaseForm) -> Reply:
    own_membership(act)
    category = DuesCategory(form.category or "student")
    try:
        await dues.set_profile(
            act.session, act.actor.person_id or 0, act.today().year, category,
            base=Decimal(form.base) if form.base and based(form) else None,
            fixed=Decimal(form.fixed) if form.fixed else None, by=act.actor.telegram_id,
            confirmed=False, now=act.now(), standard=act.settings.dues_rules)
    except DuesError as refused:
        await act.session.rollback()
        low, high = act.settings.dues_rules.farmer_range
        return await member_reply(act, act.t(views.REFUSALS[refused.code], low=views.yuan(low),
                                             high=views.yuan(high)))
    return await member_reply(act, act.t("📝 Your dues base for {year} was saved.",
                                          year=act.today().year))


BASE = Flow(
    name="dues_base",
    prefix="feb",
    form=BaseForm,
    entry=Entry(views.StateBase, MEMBERS, start_base),
    guard=guard,
    steps=(
        *STANDARD_STEPS,
        Confirm(key="confirm", summary=base_summary, label=N_("📝 Save"), finish=save_base),
    ),
)
