"""The dues ledger (党费收缴登记表) as .xlsx: one sheet per month of the year (member, standard,
amount, paid on, method, state, who paid it for the member: 代缴), a sheet per member for the
year with the year's total. Built with the ledger's cell helpers (handlers/ledger/workbook.py),
off the event loop, from plain values and texts already translated."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from handlers.kit.i18n import N_
from handlers.kit.sheets import header, put, require_texts, sheet_title
from rules.dues import Month
from rules.vocabulary import DuesMethod, DuesPaymentState
from storage.dues import MemberDues, PaymentRow

LEDGER_TEXTS: Mapping[str, str] = {
    "title": N_("Party dues ledger (党费收缴登记表)"), "organization": N_("Organization"),
    "year": N_("Year"), "generated": N_("Generated"), "member": N_("Member"),
    "standard": N_("Monthly standard"), "amount": N_("Amount (yuan)"), "paid_on": N_("Paid on"),
    "method": N_("Method"), "state": N_("State"), "paid": N_("paid"),
    "reported": N_("reported, not confirmed"), "owed": N_("owed"), "total": N_("Total"),
    "year_sheet": N_("Year per member"), "year_total": N_("The year's total (confirmed)"),
    "cash": N_("Cash"), "bank": N_("Bank transfer"), "online": N_("Online payment"),
    "not_stated": N_("not stated"), "paid_by": N_("Paid by"),
}
YUAN = "0.00"


def build_dues_workbook(org_name: str, year: int, through: Month, members: Sequence[MemberDues],
                        paid: Sequence[PaymentRow], texts: Mapping[str, str],
                        generated: datetime) -> bytes:
    """Sheets for January through `through` (or December) of `year`, then the year's."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    require_texts(LEDGER_TEXTS, texts)
    workbook = Workbook()
    taken: set[str] = set()
    first = workbook.active
    workbook.remove(first)
    standard = {m.person_id: m.monthly for m in members}
    owed = {m.person_id: set(m.owed) for m in members}
    names = {m.person_id: m.name for m in members} | {p.person_id: p.name for p in paid}
    by_key = {(p.person_id, p.month): p for p in paid}
    people = [m.person_id for m in members] + sorted(
        {p.person_id for p in paid} - {m.person_id for m in members})
    last = through.month if through.year == year else 12
    widths = [22, 14, 12, 12, 14, 20, 20]

    for number in range(1, last + 1):
        month = Month(year, number)
        sheet = workbook.create_sheet(sheet_title(str(month), taken))
        put(sheet, 1, 1, f"{texts['title']} · {org_name} · {month}").font = Font(bold=True)
        header(sheet, 2, [texts[k] for k in ("member", "standard", "amount", "paid_on",
                                            "method", "state", "paid_by")], widths)
        sheet.freeze_panes = "A3"
        row = 2
        total = Decimal(0)
        for person in people:
            payment = by_key.get((person, month))
            if payment is None and month not in owed.get(person, set()):
                continue
            row += 1
            monthly = standard.get(person)
            put(sheet, row, 1, names.get(person, ""))
            put(sheet, row, 2, float(monthly) if monthly is not None else texts["not_stated"],
                number_format=YUAN)
            if payment is None:
                put(sheet, row, 6, texts["owed"])
                continue
            confirmed = payment.state is DuesPaymentState.CONFIRMED
            total += payment.amount if confirmed else 0
            put(sheet, row, 3, float(payment.amount), number_format=YUAN)
            put(sheet, row, 4, payment.paid_on, number_format="yyyy-mm-dd")
            put(sheet, row, 5, texts[DuesMethod(payment.method).value])
            put(sheet, row, 6, texts["paid" if confirmed else "reported"])
            if payment.paid_by_name:
                put(sheet, row, 7, payment.paid_by_name)
        put(sheet, row + 1, 1, texts["total"]).font = Font(bold=True)
        put(sheet, row + 1, 3, float(total), number_format=YUAN).font = Font(bold=True)

    sheet = workbook.create_sheet(sheet_title(texts["year_sheet"], taken), 0)
    put(sheet, 1, 1, texts["title"]).font = Font(bold=True, size=14)
    for line, (key, value) in enumerate([("organization", org_name), ("year", str(year)),
                                         ("generated", generated.strftime("%Y-%m-%d %H:%M"))],
                                        start=2):
        put(sheet, line, 1, texts[key])
        put(sheet, line, 2, value)
    months = [f"{year}-{number:02d}" for number in range(1, 13)]
    header(sheet, 6, [texts["member"], texts["standard"], *months, texts["total"]],
           [22, 14, *[10] * 12, 12])
    row, grand = 6, Decimal(0)
    for person in people:
        row += 1
        monthly = standard.get(person)
        put(sheet, row, 1, names.get(person, ""))
        put(sheet, row, 2, float(monthly) if monthly is not None else texts["not_stated"],
            number_format=YUAN)
        own = Decimal(0)
        for number in range(1, 13):
            payment = by_key.get((person, Month(year, number)))
            if payment is not None and payment.state is DuesPaymentState.CONFIRMED:
                own += payment.amount
                put(sheet, row, 2 + number, float(payment.amount), number_format=YUAN)
            elif Month(year, number) in owed.get(person, set()):
                put(sheet, row, 2 + number, texts["owed"])
        put(sheet, row, 15, float(own), number_format=YUAN)
        grand += own
    put(sheet, row + 2, 1, texts["year_total"]).font = Font(bold=True)
    put(sheet, row + 2, 15, float(grand), number_format=YUAN).font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
