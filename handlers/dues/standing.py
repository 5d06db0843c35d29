"""What a branch's leader settles for its dues beyond payments: how far ahead its members may
pay (the branch's consent: none, a quarter, half a year, a year), and a member's standard for
the year, set by the secretary with the member's own questions and saved confirmed (the member
is told; the base is personal, so it is never logged)."""

from __future__ import annotations

from decimal import Decimal

from handlers.access.dues import access_dues_branch
from handlers.dues import member as own
from handlers.dues import views
from handlers.dues.branch import branch_reply
from handlers.dues.pick import member, member_step
from handlers.dues.views import AheadForm, SetBaseForm
from handlers.kit.actions import LEADERS, Act, Reply
from handlers.kit.flows import Choose, Confirm, Entry, Finish, Flow, Option
from handlers.kit.i18n import N_, Html, html_join, translator
from rules import dues as rules
from rules.vocabulary import DuesCategory
from storage import dues
from storage.dues import DuesError

AHEAD_LABELS = {
    0: N_("None: this month at most"),
    2: N_("2 months (a quarter at once)"),
    5: N_("5 months (half a year at once)"),
    11: N_("11 months (a year at once)"),
}

# -- paying ahead ----------------------------------------------------------------------------


async def start_ahead(act: Act, press: views.StartAhead) -> AheadForm:
    await access_dues_branch(act, press.org)
    return AheadForm(org=press.org)


async def guard_ahead(act: Act, form: AheadForm) -> None:
    await access_dues_branch(act, form.org)


async def ask_ahead(act: Act, form: AheadForm) -> Html:
    org = await access_dues_branch(act, form.org)
    return act.t.plural(
        "How far ahead may the members of {org} pay, after this month? Now: {n} month.",
        "How far ahead may the members of {org} pay, after this month? Now: {n} months.",
        org.dues_months_ahead, org=org.name)


async def ahead_options(act: Act, form: AheadForm) -> list[Option]:
    return [Option(str(months), act.t(AHEAD_LABELS[months]))
            for months in rules.MONTHS_AHEAD_CHOICES]


async def save_ahead(act: Act, form: AheadForm) -> Reply:
    org = await access_dues_branch(act, form.org)
    months = int(form.months or 0)
    await dues.set_months_ahead(act.session, org, months, by=act.actor.telegram_id)
    head = (act.t.plural("⏩ Members may now pay up to {n} month ahead.",
                         "⏩ Members may now pay up to {n} months ahead.", months) if months
            else act.t("⏩ Members now pay no months ahead."))
    return await branch_reply(act, form.org, head, back=False)


AHEAD = Flow(
    name="dues_ahead",
    prefix="fea",
    form=AheadForm,
    entry=Entry(views.StartAhead, LEADERS, start_ahead),
    guard=guard_ahead,
    steps=(
        Choose(key="months", ask=ask_ahead, options=ahead_options),
        Finish(key="save", finish=save_ahead),
    ),
)

# -- a member's standard ---------------------------------------------------------------------


async def start_base(act: Act, press: views.StartSetBase) -> SetBaseForm:
    await access_dues_branch(act, press.org)
    return SetBaseForm(org=press.org)


async def guard_base(act: Act, form: SetBaseForm) -> None:
    await access_dues_branch(act, form.org)
    if form.person is not None:
        await member(act, form)


async def base_summary(act: Act, form: SetBaseForm) -> Html:
    t = act.t
    lines = [t("Set this standard for {name} for {year}? It is saved as confirmed.",
               name=form.name, year=act.today().year), *own.standard_lines(act, form)]
    amount = own.monthly(act, form)
    if amount is not None:
        lines.append(t("Dues: {amount} yuan a month.", amount=views.yuan(amount)))
    return html_join("\n", lines)


async def save_base(act: Act, form: SetBaseForm) -> Reply:
    m = await member(act, form)
    year, category = act.today().year, DuesCategory(form.category or "student")
    try:
        profile = await dues.set_profile(
            act.session, m.person_id, year, category,
            base=Decimal(form.base) if form.base and own.based(form) else None,
            fixed=Decimal(form.fixed) if form.fixed else None, by=act.actor.telegram_id,
            confirmed=True, now=act.now(), standard=act.settings.dues_rules)
    except DuesError as refused:
        await act.session.rollback()
        low, high = act.settings.dues_rules.farmer_range
        return await branch_reply(act, form.org, act.t(
            views.REFUSALS[refused.code], low=views.yuan(low), high=views.yuan(high)),
            back=False)
    monthly = dues.monthly_of(profile, act.settings.dues_rules)
    if m.person.telegram_id != act.actor.telegram_id:
        t = translator(m.person.language or "zh")
        label = t(views.CATEGORY_LABELS[category])
        told = (t("✅ Your secretary set your Party dues standard for {year}: {category}, "
                  "{amount} yuan a month.", year=year, category=label,
                  amount=views.yuan(monthly)) if monthly is not None
                else t("✅ Your secretary set your Party dues category for {year}: {category}.",
                       year=year, category=label))
        act.deliver([(m.person.telegram_id, told, None)])
    head = (act.t("✅ Standard set for {name}: {amount} yuan a month.", name=form.name,
                  amount=views.yuan(monthly)) if monthly is not None
            else act.t("✅ Standard set for {name}.", name=form.name))
    return await branch_reply(act, form.org, head, back=False)


SET_BASE = Flow(
    name="dues_set_base",
    prefix="fes",
    form=SetBaseForm,
    entry=Entry(views.StartSetBase, LEADERS, start_base),
    guard=guard_base,
    steps=(
        member_step(N_("Whose standard? Pick the member."),
                    {"category": None, "base": None, "fixed": None}),
        *own.STANDARD_STEPS,
        Confirm(key="confirm", summary=base_summary, label=N_("✅ Set it"), finish=save_base),
    ),
)
