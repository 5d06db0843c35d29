"""The questions a payment is asked with, shared by the member's report and the secretary's
record: the first month, how many months, the amount (confirmed when far above the standard,
offered as a button from the standard), how it was paid and the day (past)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from handlers.dues import views
from handlers.dues.views import PaymentForm
from handlers.kit.actions import Act
from handlers.kit.flows import (
    Choose,
    Day,
    Next,
    Option,
    Problem,
    Rows,
    Text,
    past_day,
)
from handlers.kit.i18n import N_, Html, translator
from rules import dues as rules
from rules.dues import Month
from rules.validation import Invalid, parse_whole
from rules.vocabulary import DuesMethod

# The member's monthly standard for a form (None: not stated), and whose it is ("your").
Standard = Callable[[Act, Any], Awaitable[Decimal | None]]
# How many months after this one the payment may reach (the branch's consent).
Limit = Callable[[Act, Any], Awaitable[int]]
NOT_AHEAD = N_("That pays ahead, and your branch has not agreed to payments ahead: the last "
               "month can be this month at most.")
TOO_FAR = N_("That pays too far ahead: your branch lets members pay at most {limit} months "
             "after this month.")
TOO_FAR_RECORDED = N_("That pays too far ahead: at most {limit} months after this month can be "
                      "recorded (the branch's limit, at least a quarter).")


def current(act: Act) -> Month:
    return Month.of(act.today())


async def ask_first(act: Act, form: PaymentForm) -> Html:
    return act.t("Which month does the payment begin with? Type it like {month}.",
                 month=str(current(act)))


async def read_first(act: Act, form: PaymentForm, text: str) -> Next | Invalid:
    month = rules.parse_month(text)
    if isinstance(month, Invalid):
        return month
    return Next({"first": str(month), "count": None, "amount": None, "big": False,
                 "sure": None})


async def ask_count(act: Act, form: PaymentForm) -> Html:
    return act.t("How many months does it pay, from {month} on? Type a number (1 for that "
                 "month only).", month=form.first or "")


def count_step(limit: Limit, *, recording: bool) -> Text[Any]:
    """How many months, up to `limit` after this month; a leader recording (`recording`) is
    told the limit as theirs, a member as the branch's."""

    async def read_count(act: Act, form: PaymentForm, text: str) -> Next | Invalid | Problem:
        count = parse_whole(text, minimum=1, maximum=120)
        if isinstance(count, Invalid):
            return Invalid("months_count", 120, 1)
        ahead = await limit(act, form)
        months = rules.payment_months(views.first_month(form), count, current(act),
                                      months_ahead=ahead)
        if isinstance(months, Invalid) and months.reason == "months_too_far_ahead":
            return Problem(TOO_FAR_RECORDED if recording else TOO_FAR if ahead else NOT_AHEAD,
                           limit=ahead)
        if isinstance(months, Invalid):
            return months
        return Next({"count": count, "amount": None, "big": False, "sure": None})

    return Text(key="count", ask=ask_count, read=read_count)


def amount_steps(standard: Standard) -> tuple[Text[Any], Choose[Any]]:
    """The amount (a button with the standard's sum, where there is one) and, when it is far
    above the standard, the question whether it is right."""

    async def due(act: Act, form: PaymentForm) -> Decimal | None:
        monthly = await standard(act, form)
        return None if monthly is None else monthly * (form.count or 1)

    async def ask_amount(act: Act, form: PaymentForm) -> Html:
        total = await due(act, form)
        if total is None:
            return act.t("How much was paid, in yuan? Type it like 30 or 12.50.")
        return act.t("How much was paid, in yuan? The standard for {count} months is {amount} "
                     "yuan: press it, or type another amount.", count=form.count or 1,
                     amount=views.yuan(total))

    async def standard_button(act: Act, form: PaymentForm) -> Rows:
        total = await due(act, form)
        if total is None or total <= 0:
            return []
        return [[views.UseStandard().button(act.t("{amount} yuan", amount=views.yuan(total)))]]

    async def use_standard(act: Act, form: PaymentForm, press: views.UseStandard) -> Next:
        total = await due(act, form)
        if total is None or total <= 0:
            return Next({}, stay=True)
        return Next({"amount": str(total), "big": False, "sure": None})

    async def read_amount(act: Act, form: PaymentForm, text: str) -> Next | Invalid:
        amount = rules.parse_amount(text)
        if isinstance(amount, Invalid):
            return amount
        big = rules.looks_too_much(amount, await standard(act, form), form.count or 1)
        return Next({"amount": str(amount), "big": big, "sure": None})

    async def ask_sure(act: Act, form: PaymentForm) -> Html:
        return act.t("{amount} yuan is more than {times} times the standard for these months. "
                     "Is it right? (Members may pay more of their own will.) Press ‹ Back to "
                     "retype it.", amount=views.yuan(Decimal(form.amount or "0")),
                     times=rules.WARN_TIMES_STANDARD)

    async def sure_options(act: Act, form: PaymentForm) -> list[Option]:
        return [Option("yes", act.t("Yes, the amount is right"))]

    return (
        Text(key="amount", ask=ask_amount, read=read_amount, buttons=standard_button,
             presses=((views.UseStandard, use_standard),)),
        Choose(key="sure", ask=ask_sure, options=sure_options, when=lambda form: form.big),
    )


async def ask_method(act: Act, form: PaymentForm) -> Html:
    return act.t("How was it paid?")


async def method_options(act: Act, form: PaymentForm) -> list[Option]:
    return [Option(method.value, act.t(views.METHOD_LABELS[method])) for method in DuesMethod]


async def ask_day(act: Act, form: PaymentForm) -> Html:
    return act.t("On which day was it paid? Type it like {day}, or press a day.",
                 day=act.today().isoformat())


def payment_steps(standard: Standard, limit: Limit, *, recording: bool) -> tuple[Any, ...]:
    amount, sure = amount_steps(standard)
    return (
        Text(key="first", ask=ask_first, read=read_first),
        count_step(limit, recording=recording),
        amount, sure,
        Choose(key="method", ask=ask_method, options=method_options),
        Day(key="paid_on", ask=ask_day, prefer="past", check=past_day),
    )


def months_of(act: Act, form: PaymentForm, limit: int) -> list[Month]:
    """The months the form covers, checked again (the clock may have moved since)."""
    months = rules.payment_months(views.first_month(form), form.count or 1, current(act),
                                  months_ahead=limit)
    return views.covered(form) if isinstance(months, Invalid) else months


def thanks(language: str | None, months: list[Month], paid_by: str | None = None) -> Html:
    """What a member whose payment the branch recorded reads, in their language."""
    t = translator(language or "zh")
    if paid_by:
        return t("✅ Your branch recorded your Party dues for {months}, paid for you by {name}.",
                 months=views.months_text(months), name=paid_by)
    return t("✅ Your branch recorded your Party dues for {months}: thank you.",
             months=views.months_text(months))
