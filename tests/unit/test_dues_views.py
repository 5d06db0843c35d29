"""The dues chat's pure parts (handlers/dues/views.py, workbook.py): months shown as runs,
names and values literal in HTML, every Invalid reason of rules/dues.py worded, and the ledger
workbook's cells."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from handlers.dues import views
from handlers.dues.workbook import LEDGER_TEXTS, build_dues_workbook
from handlers.kit.flows import INVALID_MESSAGES
from handlers.kit.i18n import translator
from rules import dues as rules
from rules.dues import Month
from rules.validation import Invalid
from rules.vocabulary import DuesMethod, DuesPaymentState
from storage.dues import Arrears, MemberDues, PaymentRow

t = translator("en")
HOSTILE = "<b>Eve</b> & =HYPERLINK(\"x\")"


def member(person_id: int, name: str, *, owed: tuple[Month, ...] = (),
           reported: frozenset[Month] = frozenset()) -> MemberDues:
    return MemberDues(person_id, name, Decimal("15.00"), frozenset({Month(2030, 1)}), reported,
                      owed)


def test_months_are_shown_as_runs() -> None:
    months = [Month(2030, 3), Month(2029, 12), Month(2030, 1), Month(2030, 2), Month(2030, 5)]
    assert views.months_text(months) == "2029-12–2030-03, 2030-05"
    assert views.months_text([]) == ""


def test_every_reason_the_dues_rules_give_is_worded() -> None:
    reasons = {
        rules.parse_month("2030-13"), rules.parse_month("x"),
        rules.payment_months(Month(2030, 1), 0, Month(2030, 1)),
        rules.payment_months(Month(2030, 1), 9, Month(2030, 1)),
        rules.parse_amount("0"), rules.parse_amount("x"), rules.parse_amount("9" * 9),
        rules.farmer_amount_ok(rules.DEFAULT_STANDARD, Decimal(5)), rules.parse_base("-1"),
    }
    for reason in reasons:
        assert isinstance(reason, Invalid) and reason.reason in INVALID_MESSAGES, reason


def test_names_stay_literal_in_the_branch_and_admin_pages() -> None:
    owing = member(7, HOSTILE, owed=(Month(2030, 2), Month(2030, 3)),
                   reported=frozenset({Month(2030, 4)}))
    text = views.branch_text(t, "<i>Branch</i>", Month(2030, 3), [owing, member(8, "")])
    assert "&lt;b&gt;Eve&lt;/b&gt; &amp;" in text and "<b>Eve</b>" not in text
    assert "&lt;i&gt;Branch&lt;/i&gt;" in text
    assert "2 months (2030-02–2030-03)" in text
    markup = views.branch_markup(t, 1, 2030, [owing], own=True, back=None)
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert labels[:2] == [f"✅ {HOSTILE}", "↩️ Return"]
    admin = views.admin_text(t, Month(2030, 3), [Arrears(1, 7, HOSTILE, 4)],
                             {(1, 1): Decimal("30.00"), (1, 2): Decimal("15.00")},
                             {1: "<u>A</u>"})
    assert "&lt;b&gt;Eve" in admin
    assert "&lt;u&gt;A&lt;/u&gt;: 01: 30.00 · 02: 15.00; year 45.00" in admin


def test_the_ledger_workbook_keeps_text_as_text() -> None:
    texts = {key: t.as_plain(message) for key, message in LEDGER_TEXTS.items()}
    paid = [PaymentRow(7, HOSTILE, Month(2030, 1), Decimal("15.00"), date(2030, 1, 5),
                       DuesMethod.BANK, DuesPaymentState.CONFIRMED),
            PaymentRow(7, HOSTILE, Month(2030, 2), Decimal("15.00"), date(2030, 2, 5),
                       DuesMethod.CASH, DuesPaymentState.REPORTED, HOSTILE)]
    content = build_dues_workbook("Branch", 2030, Month(2030, 2),
                                  [member(7, HOSTILE, owed=())], paid, texts,
                                  datetime(2030, 2, 10, 10, 0))
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Year per member", "2030-01", "2030-02"]
    january = list(book["2030-01"].iter_rows(values_only=True))
    assert (HOSTILE, 15, 15, datetime(2030, 1, 5), "Bank transfer", "paid", None) in january
    assert book["2030-01"]["A3"].data_type == "s"
    february = list(book["2030-02"].iter_rows(values_only=True))
    assert (HOSTILE, 15, 15, datetime(2030, 2, 5), "Cash", "reported, not confirmed",
            HOSTILE) in february  # the payer (代缴) is text too
    assert book["2030-02"]["G3"].data_type == "s"
    year = list(book["Year per member"].iter_rows(values_only=True))
    row = next(r for r in year if r[0] == HOSTILE)
    assert row[2] == 15 and row[3] is None and row[14] == 15  # reported is not counted
