"""Texts, keyboards and buttons of /compliance, /ledger and /record (pure: no Telegram calls,
no database)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.kit.buttons import ButtonData, OrgId
from handlers.kit.i18n import BLANK, N_, Html, Translator, escape
from handlers.kit.ui import fit, keyboard, page_of, page_row, percent
from handlers.labels import meeting_kind_labels
from rules.meetings import Period
from rules.vocabulary import AttendanceStatus
from storage import ledger as store
from storage.meetings import MemberAttendance

CompliancePeriod = Literal["m", "q", "y", "lq", "ly"]
LedgerPeriod = Literal["tq", "lq", "ty", "ly"]

NO_BRANCHES = N_("There are no branches yet.")
MEMBERS_PER_PAGE = 30
MAX_RECORD_LINES = 80

PERIOD_BUTTONS = {
    "m": N_("This month"), "q": N_("This quarter"), "y": N_("This year"), "lq": N_("Last quarter"),
    "ly": N_("Last year"), "tq": N_("This quarter"), "ty": N_("This year"),
}
REQUIREMENT_TEXT = {
    Period.MONTH: N_("at least {n} a month"),
    Period.QUARTER: N_("at least {n} a quarter"),
    Period.YEAR: N_("at least {n} a year"),
}
# Chart texts (drawn in English when no Chinese font is installed).
CHART_TITLE = N_("Attendance rate per month")
CHART_YLABEL = N_("Present / expected (%)")
CHART_OVERALL = N_("Overall")
STATUS_MARKS = {"met": "✅", "due": "⚠️", "missing": "❌", "not_required": "—"}
RECORD_STATUS = {
    AttendanceStatus.PRESENT: ("✅", N_("present")),
    AttendanceStatus.ON_LEAVE: ("🟦", N_("on leave")),
    AttendanceStatus.ABSENT: ("❌", N_("absent")),
    AttendanceStatus.GUEST_PRESENT: ("👤", N_("attended as a guest")),
    AttendanceStatus.GUEST: ("👤", N_("invited as a guest, did not attend")),
}
# Why a kind is not judged (rules.verdicts.NotApplicable).
NOT_APPLICABLE = {
    "no_groups": N_("{mark} {kind}: no party groups"),
    "no_committee": N_("{mark} {kind}: not required, no committee (fewer than 7 full members "
                       "and none recorded besides the secretary)"),
    "before_creation": N_("{mark} {kind}: not judged, the branch was created on {date}"),
}


class CompliancePickerPage(ButtonData, prefix="lg:cpick"):
    page: int


class ShowCompliance(ButtonData, prefix="lg:comp"):
    org: OrgId
    period: CompliancePeriod


class MemberPage(ButtonData, prefix="lg:cpg"):
    """Another page of its member attendance list."""

    org: OrgId
    period: CompliancePeriod
    page: int


class LedgerPickerPage(ButtonData, prefix="lg:lpick"):
    page: int


class LedgerPeriods(ButtonData, prefix="lg:lorg"):
    """Choose the period of an organization's ledger."""

    org: OrgId


class ExportLedger(ButtonData, prefix="lg:xlsx"):
    """The workbook, then the monthly chart."""

    org: OrgId
    period: LedgerPeriod


class RecordYear(ButtonData, prefix="lg:rec"):
    year: int








def compliance_text(t: Translator, org_name: str, report: store.ComplianceReport,
                    page: int) -> tuple[Html, int]:
    """The message and the number of member pages."""
    labels = meeting_kind_labels(t)
    period = report.period
    lines = [
        t("📊 <b>{org}</b>: compliance {period} ({first} – {last})", org=org_name,
          period=period.label, first=period.first.isoformat(), last=period.last.isoformat()),
        t("✅ met · ⚠️ due · ❌ missing · — not required"),
        BLANK,
    ]
    for item in report.kinds:
        label = labels[item.kind] + (" · " + item.group_name if item.group_name else "")
        mark = STATUS_MARKS[item.status]
        if item.not_applicable:
            lines.append(t(NOT_APPLICABLE[item.not_applicable], mark=mark, kind=label,
                           date=report.created_on.isoformat() if report.created_on else "?"))
            continue
        if item.requirement.minimum == 0:
            lines.append(t("{mark} {kind}: not required (held {n})", mark=mark, kind=label,
                           n=item.held))
            continue
        rule = t(REQUIREMENT_TEXT[item.requirement.period], n=item.requirement.minimum)
        lines.append(t("{mark} <b>{kind}</b> ({rule})", mark=mark, kind=label, rule=rule))
        cells = [
            f"{row.period_label} {STATUS_MARKS[row.status]} {row.counted}/{row.required}"
            + (t(" ({n} without quorum)", n=row.inquorate) if row.inquorate else "")
            for row in item.rows
        ]
        for start in range(0, len(cells), 3):
            lines.append(escape("    " + " · ".join(cells[start : start + 3])))

    if any(item.inquorate for item in report.kinds):
        lines.append(
            t("Committee meetings without quorum (half of the committee or fewer present) "
              "count toward the requirement.") if report.inquorate_counts else
            t("Committee meetings without quorum (half of the committee or fewer present) "
              "do not count toward the requirement.")
        )
    members = report.members
    page, pages, shown = page_of(members, page, MEMBERS_PER_PAGE)
    lines += [BLANK, t("<b>Attendance per member</b> (closed meetings, by name)")]
    if not members:
        lines.append(t("No closed meetings in this period."))
    for member in shown:
        lines.append(t(
            "{name}: {present} of {expected} ({rate}); on leave {leave}, absent {absent}",
            name=member.name, present=member.present, expected=member.expected,
            rate=percent(member.rate), leave=member.on_leave, absent=member.absent,
        ))
    return fit(lines), pages


def compliance_keyboard(t: Translator, org: OrgId, code: CompliancePeriod, page: int,
                        pages: int, *, several: bool) -> InlineKeyboardMarkup:
    """The periods, the member pages, and back to the organizations (if several)."""
    page = min(max(page, 0), pages - 1)

    def period_button(c: CompliancePeriod) -> InlineKeyboardButton:
        label = t(PERIOD_BUTTONS[c])
        return ShowCompliance(org, c).button(f"• {label}" if c == code else label)

    choices: tuple[tuple[CompliancePeriod, ...], ...] = (("m", "q", "y"), ("lq", "ly"))
    rows = [[period_button(c) for c in row] for row in choices]
    rows.append(page_row(t, page, pages, lambda number: MemberPage(org, code, number)))
    if several:
        rows.append([CompliancePickerPage(0).button(t("‹ Organizations"))])
    return keyboard(rows)


def ledger_periods(t: Translator, org: OrgId, org_name: str, *,
                   several: bool) -> tuple[Html, InlineKeyboardMarkup]:
    choices: tuple[tuple[LedgerPeriod, ...], ...] = (("tq", "lq"), ("ty", "ly"))
    rows = [[ExportLedger(org, c).button(t(PERIOD_BUTTONS[c])) for c in row] for row in choices]
    if several:
        rows.append([LedgerPickerPage(0).button(t("‹ Organizations"))])
    return t("📒 Ledger (台账) of <b>{org}</b>: closed meetings as an .xlsx workbook and a chart "
             "of the attendance rate per month. Which period?", org=org_name), keyboard(rows)


def record(t: Translator, year: int, this_year: int, totals: Sequence[MemberAttendance],
           lines: Sequence[store.RecordLine]) -> tuple[Html, InlineKeyboardMarkup]:
    """My closed meetings in a year, my status at each, my rate; this year or last."""
    labels = meeting_kind_labels(t)
    text = [t("📈 <b>My attendance in {year}</b>", year=year)]
    if totals and totals[0].expected:
        mine = totals[0]
        text.append(t(
            "Present at {present} of {expected} meetings ({rate}); on leave {leave}, "
            "absent {absent}.",
            present=mine.present, expected=mine.expected, rate=percent(mine.rate),
            leave=mine.on_leave, absent=mine.absent,
        ))
    if not lines:
        text.append(t("No closed meetings of yours in {year}.", year=year))
    shown = lines[-MAX_RECORD_LINES:]
    if len(shown) < len(lines):
        text.append(t("(only the latest {n} are shown)", n=len(shown)))
    pending = sum(1 for line in shown if line.status is AttendanceStatus.ABSENT
                  and not line.caught_up)
    if lines:
        text.append(BLANK)
    for line in shown:
        mark, status = RECORD_STATUS.get(line.status, ("·", line.status.value))
        entry = t("{mark} {date} · {kind}: {status}", mark=mark,
                  date=line.starts_at.date().isoformat(), kind=labels[line.kind],
                  status=t(status))
        if line.entered_afterwards:
            entry += " · 📝 " + t("entered afterwards")
        if line.status is AttendanceStatus.ABSENT:
            entry += " " + (t("(caught up ✔)") if line.caught_up
                            else t("⏳ not caught up yet (补学)"))
        text.append(entry)
    if pending:
        text += [BLANK, t("Absences to catch up (补学): {n}.", n=pending)]
    choice = [RecordYear(y).button(("• " if y == year else "") + t(label))
              for y, label in ((this_year, N_("This year")), (this_year - 1, N_("Last year")))]
    return fit(text), keyboard([choice])
