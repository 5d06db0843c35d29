"""Party dues (党费) as the chat shows them: the button families, the forms, the texts and the
keyboards (pure: no database, no Telegram calls). Amounts are Decimal yuan, months `Month`s."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.kit.buttons import ButtonData, OrgId, PersonId
from handlers.kit.flows import Form
from handlers.kit.i18n import BLANK, N_, Html, Translator, html_join
from handlers.kit.ui import keyboard
from rules.dues import Month
from rules.vocabulary import DuesCategory, DuesMethod
from storage.dues import Arrears, MemberDues

SHOWN_MEMBERS = 30  # owing and waiting members listed on the branch's page; the rest counted
SHOWN_ARREARS = 40  # members in arrears listed on the admin's page

CATEGORY_LABELS = {
    DuesCategory.EMPLOYED: N_("Employed (share of the monthly base pay)"),
    DuesCategory.RETIRED: N_("Retired (share of the monthly pension)"),
    DuesCategory.FARMER: N_("Farmer (a fixed amount)"),
    DuesCategory.STUDENT: N_("Student"),
    DuesCategory.UNEMPLOYED: N_("Unemployed"),
    DuesCategory.SUBSISTENCE: N_("On subsistence allowance (低保)"),
}
METHOD_LABELS = {
    DuesMethod.CASH: N_("Cash"),
    DuesMethod.BANK: N_("Bank transfer"),
    DuesMethod.ONLINE: N_("Online payment"),
}
# Why storage refused a write (storage.dues.DuesError codes).
REFUSALS = {
    "amount_not_positive": N_("The amount must be more than zero (at least a fen a month)."),
    "farmer_amount_range": N_("A farmer's monthly dues lie between {low} and {high} yuan."),
    "number_format": N_("Please type a number in the digits 0-9, for example 6 or 1.5."),
}


class MyDues(ButtonData, prefix="fee:me"):
    """A member's own dues."""


class ReportPayment(ButtonData, prefix="fee:rep"):
    """A member reports a payment for the secretary to confirm (a flow)."""


class StateBase(ButtonData, prefix="fee:base"):
    """A member states their category and base for this year (a flow)."""


class BranchDues(ButtonData, prefix="fee:br"):
    org: OrgId


class DuesBranches(ButtonData, prefix="fee:brs"):
    """The branches a leader (or an admin) may open, a page of them."""

    page: int


class DecideReported(ButtonData, prefix="fee:dec"):
    """A secretary confirms (or returns) what a member reported."""

    person: PersonId
    accept: bool


class ConfirmBase(ButtonData, prefix="fee:cb"):
    """A secretary confirms the category and base a member stated for this year."""

    person: PersonId


class StartRecord(ButtonData, prefix="fee:rec"):
    """A secretary records a payment for a member of the branch (a flow)."""

    org: OrgId


class DuesLedger(ButtonData, prefix="fee:xl"):
    """The branch's dues ledger for a year as .xlsx."""

    org: OrgId
    year: int


class AdminDues(ButtonData, prefix="fee:adm"):
    """An admin's view: arrears and totals across the tree."""


class StartMany(ButtonData, prefix="fee:many"):
    """A secretary records one month for many members at once (a flow)."""

    org: OrgId


class TogglePaid(ButtonData, prefix="fee:tick"):
    person: PersonId


class ManyPage(ButtonData, prefix="fee:mpg"):
    page: int


class ManyDone(ButtonData, prefix="fee:mdone"):
    """The members are ticked: on to the month."""


class PickMember(ButtonData, prefix="fee:pm"):
    person: PersonId


class MemberPage(ButtonData, prefix="fee:pg"):
    page: int


class UseStandard(ButtonData, prefix="fee:std"):
    """The amount the standard sets for the months chosen."""


class StartAhead(ButtonData, prefix="fee:ahd"):
    """A leader sets how far ahead the branch's members may pay (a flow)."""

    org: OrgId


class StartSetBase(ButtonData, prefix="fee:setb"):
    """A secretary sets a member's category and base for this year, confirmed (a flow)."""

    org: OrgId


@dataclass(frozen=True)
class StatedBase:
    """A member's standard for the year as they stated it, not confirmed by the branch yet."""

    person_id: int
    name: str
    category: DuesCategory
    monthly: Decimal | None


class PaymentForm(Form):
    """What a payment covers and how it was paid (reported by a member, or recorded)."""

    first: str | None = None  # the first month, "2026-11"
    count: int | None = None
    amount: str | None = None  # Decimal yuan
    big: bool = False  # far above the standard: the next step asks to confirm it
    sure: str | None = None
    method: str | None = None
    paid_on: date | None = None


class ReportForm(PaymentForm):
    pass


class RecordForm(PaymentForm):
    org: OrgId
    page: int = 0
    person: PersonId | None = None
    payer: str | None = None  # "member", or "other": someone paid for them (代缴)
    paid_by: str | None = None  # who, when someone else paid


class AheadForm(Form):
    org: OrgId
    months: str | None = None  # one of rules.MONTHS_AHEAD_CHOICES


class ManyForm(Form):
    org: OrgId
    page: int = 0
    picked: tuple[int, ...] = ()  # person ids ticked
    month: str | None = None  # "2026-11"
    method: str | None = None
    paid_on: date | None = None


class BaseForm(Form):
    category: str | None = None
    base: str | None = None  # Decimal yuan: monthly base pay or pension
    fixed: str | None = None  # Decimal yuan: a farmer's monthly amount


class SetBaseForm(BaseForm):
    """A secretary sets a member's standard: the same questions, about the member picked."""

    org: OrgId
    page: int = 0
    person: PersonId | None = None
    name: str = ""


def named(t: Translator, name: str, person_id: int) -> str:
    """A member's name, or a placeholder for someone appointed before they registered."""
    return name or t.as_plain("Member without a name (no. {id})", id=person_id)


def yuan(amount: Decimal) -> str:
    return f"{amount:.2f}"


def months_text(months: Iterable[Month]) -> str:
    """Months as runs: 2026-01–2026-03, 2026-05."""
    runs: list[list[Month]] = []
    for month in sorted(set(months)):
        if runs and runs[-1][-1].plus(1) == month:
            runs[-1].append(month)
        else:
            runs.append([month])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs)


def of_year(months: Iterable[Month], year: int) -> list[Month]:
    return [m for m in months if m.year == year]


def first_month(form: PaymentForm) -> Month:
    year, month = (form.first or "1921-01").split("-")
    return Month(int(year), int(month))


def covered(form: PaymentForm) -> list[Month]:
    first = first_month(form)
    return [first.plus(i) for i in range(form.count or 1)]


def standard_text(t: Translator, category: DuesCategory | None, monthly: Decimal | None, *,
                  confirmed: bool) -> Html:
    if category is None:
        return t("Standard: not stated yet. Use “State my dues base” below.")
    if monthly is None:
        return t("Standard: {category}, base not stated yet.",
                 category=t(CATEGORY_LABELS[category]))
    line = t("Standard: {category}, {amount} yuan a month.",
             category=t(CATEGORY_LABELS[category]), amount=yuan(monthly))
    return line if confirmed else html_join(" ", [line, t("(as you stated it; not confirmed "
                                                          "by the branch yet)")])


def member_text(t: Translator, standard: Html, dues: MemberDues | None, year: int) -> Html:
    """A member's own page: the standard, this year's paid and reported months, what is owed."""
    lines = [t("💴 <b>Your Party dues</b>"), standard]
    if dues is None:
        return html_join("\n", lines)
    paid, reported = of_year(dues.paid, year), sorted(dues.reported)
    lines += [
        t("Paid in {year}: {months}", year=year, months=months_text(paid)) if paid
        else t("Paid in {year}: none recorded", year=year),
    ]
    if reported:
        lines.append(t("Reported, waiting for the secretary: {months}",
                       months=months_text(reported)))
    lines.append(t("Owed: {months}", months=months_text(dues.owed)) if dues.owed
                 else t("Nothing owed. Thank you."))
    return html_join("\n", lines)


def member_markup(t: Translator, *, back: ButtonData | None = None,
                  owes: bool = True) -> InlineKeyboardMarkup | None:
    rows = [[ReportPayment().button(t("🧾 Report a payment"))],
            [StateBase().button(t("📝 State my dues base"))]] if owes else []
    if back is not None:
        rows.append([back.button(t("‹ Back"))])
    return keyboard(rows) if rows else None


def branch_text(t: Translator, org_name: str, through: Month, members: Sequence[MemberDues],
                stated: Sequence[StatedBase] = ()) -> Html:
    """A branch's dues through a month: who owes which months, who reported what."""
    owing = [m for m in members if m.owed]
    waiting = [m for m in members if m.reported]
    lines = [t("💴 <b>Party dues of {org}</b> through {month}", org=org_name, month=str(through)),
             t("Members owing dues: {members}; paid up: {paid}.", members=len(members),
               paid=len(members) - len(owing))]
    if not members:
        return html_join("\n", lines)
    if owing:
        lines += [BLANK, t("<b>Owed</b>")]
        lines += [owed_line(t, m) for m in owing[:SHOWN_MEMBERS]]
        if len(owing) > SHOWN_MEMBERS:
            lines.append(t("… and {count} more (see the ledger).",
                           count=len(owing) - SHOWN_MEMBERS))
    if waiting:
        lines += [BLANK, t("<b>Reported, waiting for you</b>")]
        lines += [t("• {name}: {months}", name=named(t, m.name, m.person_id),
                    months=months_text(m.reported)) for m in waiting[:SHOWN_MEMBERS]]
    if stated:
        lines += [BLANK, t("<b>Standards stated, waiting for you</b>")]
        lines += [stated_line(t, base) for base in stated[:SHOWN_MEMBERS]]
    return html_join("\n", lines)


def stated_line(t: Translator, base: StatedBase) -> Html:
    name, category = named(t, base.name, base.person_id), t(CATEGORY_LABELS[base.category])
    if base.monthly is None:
        return t("• {name}: {category}", name=name, category=category)
    return t("• {name}: {category}, {amount} yuan a month", name=name, category=category,
             amount=yuan(base.monthly))


def owed_line(t: Translator, member: MemberDues) -> Html:
    name, months = named(t, member.name, member.person_id), months_text(member.owed)
    return t.plural("• {name}: {n} month ({months})", "• {name}: {n} months ({months})",
                    len(member.owed), name=name, months=months)


def branch_markup(t: Translator, org_id: int, year: int, members: Sequence[MemberDues], *,
                  own: bool, back: ButtonData | None, stated: Sequence[StatedBase] = (),
                  months_ahead: int = 0) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = [
        [DecideReported(PersonId(m.person_id), True).button(
            t("✅ {name}", name=named(t, m.name, m.person_id))),
         DecideReported(PersonId(m.person_id), False).button(t("↩️ Return"))]
        for m in members if m.reported][:SHOWN_MEMBERS]
    rows += [[ConfirmBase(PersonId(base.person_id)).button(t(
        "✅ Standard: {name}", name=named(t, base.name, base.person_id)))]
        for base in stated[:SHOWN_MEMBERS]]
    rows += [[StartRecord(OrgId(org_id)).button(t("✍️ Record a payment")),
              StartMany(OrgId(org_id)).button(t("👥 One month for many"))],
             [StartSetBase(OrgId(org_id)).button(t("✏️ Set a member's standard"))],
             [StartAhead(OrgId(org_id)).button(t.plural(
                 "⏩ Paying ahead: {n} month", "⏩ Paying ahead: {n} months", months_ahead))],
             [DuesLedger(OrgId(org_id), year).button(t("📊 Dues ledger (.xlsx)"))]]
    if own:
        rows.append([MyDues().button(t("💴 My own dues"))])
    if back is not None:
        rows.append([back.button(t("‹ Back"))])
    return keyboard(rows)


def admin_text(t: Translator, through: Month, arrears: Sequence[Arrears],
               totals: Mapping[tuple[int, int], Decimal], names: Mapping[int, str]) -> Html:
    """Members 3+ months behind, by branch; the year's totals per branch and month."""
    lines = [t("💴 <b>Party dues across the organizations</b> through {month}",
               month=str(through)), BLANK]
    if arrears:
        lines.append(t("<b>Members with 3 or more months unpaid</b>"))
        by_org: dict[int, list[Arrears]] = defaultdict(list)
        for row in arrears[:SHOWN_ARREARS]:
            by_org[row.org_id].append(row)
        for org_id, rows in sorted(by_org.items(), key=lambda item: names.get(item[0], "")):
            lines.append(t("{org}:", org=names.get(org_id, "")))
            lines += [t("• {name}: {count} months", name=named(t, row.name, row.person_id),
                        count=row.months)
                      for row in rows]
        if len(arrears) > SHOWN_ARREARS:
            lines.append(t("… and {count} more.", count=len(arrears) - SHOWN_ARREARS))
    else:
        lines.append(t("No member has 3 or more months unpaid."))
    lines += [BLANK, t("<b>Dues confirmed in {year}</b>", year=through.year)]
    orgs = sorted({org for org, _ in totals}, key=lambda org: names.get(org, ""))
    for org in orgs:
        months = [(month, totals[(org, month)]) for month in range(1, 13)
                  if (org, month) in totals]
        shown = " · ".join(f"{month:02d}: {yuan(amount)}" for month, amount in months)
        lines.append(t("{org}: {months}; year {total} yuan", org=names.get(org, ""),
                       months=shown,
                       total=yuan(sum((amount for _, amount in months), Decimal(0)))))
    if not orgs:
        lines.append(t("No dues recorded yet this year."))
    return html_join("\n", lines)


def admin_markup(t: Translator) -> InlineKeyboardMarkup:
    return keyboard([[DuesBranches(0).button(t("🏢 A branch's dues"))]])


def payment_lines(t: Translator, form: PaymentForm) -> list[Html]:
    months = covered(form)
    method = DuesMethod(form.method) if form.method else None
    lines = [
        t("Months: {months} ({count})", months=months_text(months), count=len(months)),
        t("Amount: {amount} yuan", amount=yuan(Decimal(form.amount or "0"))),
        t("Paid by: {method}", method=t(METHOD_LABELS[method]) if method else ""),
        t("Paid on: {day}", day=form.paid_on.isoformat() if form.paid_on else ""),
    ]
    if isinstance(form, RecordForm) and form.payer == "other" and form.paid_by:
        lines.append(t("Paid for the member by: {name}", name=form.paid_by))
    return lines


def recorded_text(t: Translator, fresh: Sequence[Month], already: Sequence[Month], *,
                  reported: bool) -> Html:
    lines: list[Html] = []
    if fresh:
        lines.append(t("🧾 Reported for {months}: your secretary confirms it.",
                       months=months_text(fresh)) if reported
                     else t("✅ Recorded for {months}.", months=months_text(fresh)))
    if already:
        lines.append(t("Already recorded or reported, so not counted again: {months}.",
                       months=months_text(already)))
    return html_join("\n", lines)
