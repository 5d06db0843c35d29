"""The ledger (台账): compliance at a glance, the .xlsx export and chart, own records, .ics.

Callback data (every press is checked again on the server; ids are never trusted):

    lg:cpick:<page>                     page of the organization picker for /compliance
    lg:comp:<org>:<m|q|y|lq|ly>         compliance of one organization for a period
    lg:cpg:<org>:<m|q|y|lq|ly>:<page>   another page of its member attendance list
    lg:lpick:<page>                     page of the organization picker for /ledger
    lg:lorg:<org>                       choose the period of the ledger
    lg:xlsx:<org>:<tq|lq|ty|ly>         send the workbook, then the monthly chart
    lg:rec:<year>                       my own record for this year or last year

The calendar button `mt:ics:<meeting>` belongs to handlers/meetings.py, which calls send_ics.
No rankings or leaderboards (national rules against formalism): members are listed by name.
The files are built from storage.ledger's plain data in workbook.py, chart.py and
calendar_file.py.
"""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import date

from telegram import InlineKeyboardButton, InputFile, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers.kit.chat import (
    STALE_BUTTON,
    Refused,
    answer,
    current_actor,
    reply_chat,
    require,
    send,
    show,
)
from handlers.kit.context import BranchContext
from handlers.kit.i18n import (
    BLANK,
    N_,
    Html,
    Translator,
    escape,
    html_join,
    plain_text,
    translator,
)
from handlers.kit.ui import BadCallback, button, cb_args, cb_pattern, keyboard
from handlers.labels import meeting_kind_labels
from handlers.ledger import chart
from handlers.ledger.calendar_file import meeting_ics
from handlers.ledger.workbook import WORKBOOK_TEXTS, build_workbook
from handlers.members import (
    OrgPicker,
    leader_actor,
    open_picker,
    turn_picker_page,
)
from handlers.menu import COMMAND_CALLBACKS
from rules.meetings import Period
from rules.permissions import can_manage_org
from rules.vocabulary import AttendanceStatus, MeetingState
from storage import ledger as store
from storage import meetings as meeting_store
from storage import orgs as org_store
from storage.models import utcnow

logger = logging.getLogger(__name__)

NO_BRANCHES = N_("There are no branches yet.")

COMPLIANCE_CODES = ("m", "q", "y", "lq", "ly")
LEDGER_CODES = ("tq", "lq", "ty", "ly")
MEMBERS_PER_PAGE = 30
MAX_RECORD_LINES = 80
MAX_MESSAGE = 4096

PERIOD_BUTTONS = {
    "m": N_("This month"),
    "q": N_("This quarter"),
    "y": N_("This year"),
    "lq": N_("Last quarter"),
    "ly": N_("Last year"),
    "tq": N_("This quarter"),
    "ty": N_("This year"),
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


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f}%"


def fit(lines: list[Html]) -> Html:
    """Join whole lines (each valid HTML on its own) up to Telegram's message length."""
    kept: list[Html] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > MAX_MESSAGE - 2:
            kept.append(escape("…"))
            break
        kept.append(line)
        size += len(line) + 1
    return html_join("\n", kept)


def local_today(context: BranchContext) -> date:
    """Today in the deployment's zone by the bot's clock (the wall clock; tests move it)."""
    return context.now().astimezone(context.settings.tzinfo).date()


def parse_code(data: str | None, code: str, allowed: tuple[str, ...]) -> str:
    if code not in allowed:
        raise BadCallback(data)
    return code


# ---------------------------------------------------------------------------------------
# /compliance
# ---------------------------------------------------------------------------------------


async def show_compliance_menu(update: Update, context: BranchContext) -> None:
    """/compliance: this quarter of the leader's branch, or a choice of organizations."""
    await open_picker(
        update, context, COMPLIANCE_PICKER, purpose="compliance", nothing=NO_BRANCHES,
        on_one=lambda org_id: render_compliance(update, context, org_id, "q", 0),
    )


COMPLIANCE_PICKER = OrgPicker(
    N_("Compliance of which organization?"), ("lg", "comp"), ("lg", "cpick"), suffix=("q",)
)


async def turn_compliance_page(update: Update, context: BranchContext) -> None:
    """lg:cpick:<page>: another page of the organization picker."""
    assert update.callback_query is not None
    (_, page) = cb_args(update.callback_query.data, "lg", str, int)
    await turn_picker_page(update, context, COMPLIANCE_PICKER, page)


def compliance_text(
    t: Translator, org_name: str, report: store.ComplianceReport, page: int
) -> tuple[Html, int]:
    """The message and the number of member pages."""
    labels = meeting_kind_labels(t)
    period = report.period
    lines = [
        t(
            "📊 <b>{org}</b>: compliance {period} ({first} – {last})",
            org=org_name, period=period.label, first=period.first.isoformat(),
            last=period.last.isoformat(),
        ),
        t("✅ met · ⚠️ due · ❌ missing · — not required"),
        BLANK,
    ]
    for item in report.kinds:
        label = labels[item.kind]
        if item.group_name:
            label = label + " · " + item.group_name
        mark = STATUS_MARKS[item.status]
        if item.not_applicable:
            lines.append(t(NOT_APPLICABLE[item.not_applicable], mark=mark, kind=label,
                           date=report.created_on.isoformat() if report.created_on else "?"))
            continue
        if item.requirement.minimum == 0:
            lines.append(
                t("{mark} {kind}: not required (held {n})", mark=mark, kind=label, n=item.held)
            )
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
    pages = max(1, -(-len(members) // MEMBERS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    lines += [BLANK, t("<b>Attendance per member</b> (closed meetings, by name)")]
    if not members:
        lines.append(t("No closed meetings in this period."))
    for member in members[page * MEMBERS_PER_PAGE : (page + 1) * MEMBERS_PER_PAGE]:
        lines.append(
            t(
                "{name}: {present} of {expected} ({rate}); on leave {leave}, absent {absent}",
                name=member.name, present=member.present, expected=member.expected,
                rate=percent(member.rate), leave=member.on_leave, absent=member.absent,
            )
        )
    return fit(lines), pages


async def render_compliance(
    update: Update, context: BranchContext, org_id: int, code: str, page: int
) -> None:
    """Held vs required per kind and each member's rate, with the period buttons."""
    tz = context.settings.tzinfo
    today = local_today(context)
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, "compliance")
        require(can_manage_org(actor, org_id), update, "compliance")
        org = await org_store.get_party_org(session, org_id)
        if org is None:
            raise Refused(STALE_BUTTON)
        report = await store.compliance_report(
            session, org_id, store.report_period(code, today), tz=tz,
            requirements=context.settings.requirements, today=today,
            inquorate_counts=context.settings.inquorate_committee_counts,
        )
    t = translator(actor.language)
    text, pages = compliance_text(t, org.name, report, page)
    page = min(max(page, 0), pages - 1)

    def period_button(c: str) -> InlineKeyboardButton:
        label = t(PERIOD_BUTTONS[c])
        return button(f"• {label}" if c == code else label, "lg", "comp", org_id, c)

    rows = [
        [period_button(c) for c in ("m", "q", "y")],
        [period_button(c) for c in ("lq", "ly")],
    ]
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(button(t("‹ Previous"), "lg", "cpg", org_id, code, page - 1))
        nav.append(button(f"{page + 1}/{pages}", "lg", "cpg", org_id, code, page))
        if page < pages - 1:
            nav.append(button(t("Next ›"), "lg", "cpg", org_id, code, page + 1))
        rows.append(nav)
    if actor.is_admin or len(actor.managed_org_ids) > 1:
        rows.append([button(t("‹ Organizations"), "lg", "cpick", 0)])
    await show(update, text, reply_markup=keyboard(rows))


async def show_compliance(update: Update, context: BranchContext) -> None:
    """lg:comp:<org>:<period>."""
    assert update.callback_query is not None
    data = update.callback_query.data
    _, org_id, code = cb_args(data, "lg", str, int, str)
    await render_compliance(update, context, org_id, parse_code(data, code, COMPLIANCE_CODES), 0)
    await answer(update)


async def turn_member_page(update: Update, context: BranchContext) -> None:
    """lg:cpg:<org>:<period>:<page>."""
    assert update.callback_query is not None
    data = update.callback_query.data
    _, org_id, code, page = cb_args(data, "lg", str, int, str, int)
    await render_compliance(
        update, context, org_id, parse_code(data, code, COMPLIANCE_CODES), page
    )
    await answer(update)


# ---------------------------------------------------------------------------------------
# /ledger
# ---------------------------------------------------------------------------------------


async def show_ledger_menu(update: Update, context: BranchContext) -> None:
    """/ledger: the period choice for the leader's branch, or a choice of organizations."""
    await open_picker(
        update, context, LEDGER_PICKER, purpose="ledger", nothing=NO_BRANCHES,
        on_one=lambda org_id: render_ledger_periods(update, context, org_id),
    )


LEDGER_PICKER = OrgPicker(
    N_("Ledger of which organization?"), ("lg", "lorg"), ("lg", "lpick")
)


async def turn_ledger_page(update: Update, context: BranchContext) -> None:
    """lg:lpick:<page>: another page of the organization picker."""
    assert update.callback_query is not None
    (_, page) = cb_args(update.callback_query.data, "lg", str, int)
    await turn_picker_page(update, context, LEDGER_PICKER, page)


async def render_ledger_periods(update: Update, context: BranchContext, org_id: int) -> None:
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, "ledger")
        require(can_manage_org(actor, org_id), update, "ledger")
        org = await org_store.get_party_org(session, org_id)
        if org is None:
            raise Refused(STALE_BUTTON)
    t = translator(actor.language)
    rows = [
        [button(t(PERIOD_BUTTONS[c]), "lg", "xlsx", org_id, c) for c in ("tq", "lq")],
        [button(t(PERIOD_BUTTONS[c]), "lg", "xlsx", org_id, c) for c in ("ty", "ly")],
    ]
    if actor.is_admin or len(actor.managed_org_ids) > 1:
        rows.append([button(t("‹ Organizations"), "lg", "lpick", 0)])
    await show(
        update,
        t(
            "📒 Ledger (台账) of <b>{org}</b>: closed meetings as an .xlsx workbook and a chart "
            "of the attendance rate per month. Which period?",
            org=org.name,
        ),
        reply_markup=keyboard(rows),
    )


async def choose_ledger_period(update: Update, context: BranchContext) -> None:
    """lg:lorg:<org>."""
    assert update.callback_query is not None
    (_, org_id) = cb_args(update.callback_query.data, "lg", str, int)
    await render_ledger_periods(update, context, org_id)
    await answer(update)


async def export_ledger(update: Update, context: BranchContext) -> None:
    """lg:xlsx:<org>:<period>: the workbook, then the chart (both built off the event loop)."""
    assert update.callback_query is not None
    data = update.callback_query.data
    _, org_id, raw_code = cb_args(data, "lg", str, int, str)
    code = parse_code(data, raw_code, LEDGER_CODES)
    tz = context.settings.tzinfo
    today = local_today(context)
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, "ledger export")
        require(can_manage_org(actor, org_id), update, "ledger export")
        org = await org_store.get_party_org(session, org_id)
        if org is None:
            raise Refused(STALE_BUTTON)
        ledger = await store.ledger_data(
            session, org_id, org.name, store.report_period(code, today), tz=tz,
            requirements=context.settings.requirements, today=today,
            inquorate_counts=context.settings.inquorate_committee_counts,
        )
    await answer(update)
    t = translator(actor.language)
    chat = reply_chat(update)
    try:
        await chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    except TelegramError as exc:
        logger.info("chat action failed: %s", exc)
    texts = {key: t(message) for key, message in WORKBOOK_TEXTS.items()}
    workbook = await asyncio.to_thread(build_workbook, ledger, texts, meeting_kind_labels(t))
    period = ledger.period
    held = len(ledger.meetings)
    await chat.send_document(
        InputFile(io.BytesIO(workbook), filename=f"ledger-{org_id}-{period.label}.xlsx"),
        caption=t.plural(
            "Ledger of {org}, {period}: {n} closed meeting.",
            "Ledger of {org}, {period}: {n} closed meetings.",
            held, org=org.name, period=period.label,
        ),
    )
    if not ledger.meetings:
        await send(update, t("No meetings were closed in this period, so there is no chart."))
        return
    await send_chart(update, context, t, ledger, today)


def chart_label(t: Translator, font: object, message: str) -> str:
    """A chart's label: in English when no Chinese font can draw it."""
    t = t if font is not None else translator("en")
    return t.as_plain(message)


async def send_chart(
    update: Update, context: BranchContext, t: Translator, ledger: store.LedgerData, today: date
) -> None:
    """Attendance rate per month as a PNG; English labels when no Chinese font is installed."""
    points = store.monthly_rates(ledger, today)
    present = sum(m.present for m in ledger.meetings)
    expected = sum(m.expected for m in ledger.meetings)
    overall = present / expected if expected else None
    font = await asyncio.to_thread(chart.cjk_font)
    org_name = ledger.org_name if font is not None or ledger.org_name.isascii() else ""
    title = chart_label(t, font, CHART_TITLE) + (f" · {org_name}" if org_name else "")
    title += f" · {ledger.period.label}"
    try:
        png = await asyncio.to_thread(
            chart.chart_png, points,
            title=title,
            ylabel=chart_label(t, font, CHART_YLABEL),
            overall=overall,
            overall_label=chart_label(t, font, CHART_OVERALL) + f" {percent(overall)}",
            font=font,
        )
    except Exception:  # the workbook is already sent; a chart failure must not hide that
        logger.exception("could not draw the attendance chart")
        await send(update, t("Sorry, the chart could not be drawn this time."))
        return
    chat = reply_chat(update)
    await chat.send_photo(
        InputFile(io.BytesIO(png), filename="attendance.png"),
        caption=t(
            "Attendance rate per month, {period}: {rate} overall ({present} of {expected}).",
            period=ledger.period.label, rate=percent(overall), present=present,
            expected=expected,
        ),
    )


# ---------------------------------------------------------------------------------------
# /record
# ---------------------------------------------------------------------------------------


async def show_record(update: Update, context: BranchContext) -> None:
    """/record: my closed meetings this year, my status at each and my rate."""
    await render_record(update, context, store.local_today(context.settings.tzinfo).year)


async def show_record_year(update: Update, context: BranchContext) -> None:
    """lg:rec:<year>: this year or last year only."""
    assert update.callback_query is not None
    data = update.callback_query.data
    (_, year) = cb_args(data, "lg", str, int)
    this_year = store.local_today(context.settings.tzinfo).year
    if year not in (this_year, this_year - 1):
        raise BadCallback(data)
    await render_record(update, context, year)
    await answer(update)


async def render_record(update: Update, context: BranchContext, year: int) -> None:
    tz = context.settings.tzinfo
    first, last = store.year_bounds(year)
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        if not actor.is_member or actor.membership_id is None or actor.org_id is None:
            raise Refused(N_("Only members of a branch have an attendance record."))
        lines = await store.member_record(session, actor.membership_id, first, last, tz)
        start, end = meeting_store.day_bounds(first, last, tz)
        totals = await meeting_store.member_attendance(
            session, actor.org_id, start, end, membership_id=actor.membership_id
        )
    t = translator(actor.language)
    labels = meeting_kind_labels(t)
    text = [t("📈 <b>My attendance in {year}</b>", year=year)]
    if totals and totals[0].expected:
        mine = totals[0]
        text.append(
            t(
                "Present at {present} of {expected} meetings ({rate}); on leave {leave}, "
                "absent {absent}.",
                present=mine.present, expected=mine.expected, rate=percent(mine.rate),
                leave=mine.on_leave, absent=mine.absent,
            )
        )
    if not lines:
        text.append(t("No closed meetings of yours in {year}.", year=year))
    shown = lines[-MAX_RECORD_LINES:]
    if len(shown) < len(lines):
        text.append(t("(only the latest {n} are shown)", n=len(shown)))
    pending = 0
    if lines:
        text.append(BLANK)
    for line in shown:
        mark, status = RECORD_STATUS.get(line.status, ("·", line.status.value))
        entry = t(
            "{mark} {date} · {kind}: {status}", mark=mark,
            date=line.starts_at.date().isoformat(), kind=labels[line.kind], status=t(status),
        )
        if line.entered_afterwards:
            entry += " · 📝 " + t("entered afterwards")
        if line.status is AttendanceStatus.ABSENT:
            if line.caught_up:
                entry += " " + t("(caught up ✔)")
            else:
                entry += " " + t("⏳ not caught up yet (补学)")
                pending += 1
        text.append(entry)
    if pending:
        text += [BLANK, t("Absences to catch up (补学): {n}.", n=pending)]
    this_year = store.local_today(tz).year
    choice = [
        button(("• " if y == year else "") + t(label), "lg", "rec", y)
        for y, label in ((this_year, N_("This year")), (this_year - 1, N_("Last year")))
    ]
    await show(update, fit(text), reply_markup=keyboard([choice]))


# ---------------------------------------------------------------------------------------
# Calendar file
# ---------------------------------------------------------------------------------------


async def send_ics(update: Update, context: BranchContext, meeting_id: int) -> None:
    """Send one meeting as an .ics file to someone on its list or a leader of its branch.

    Called by handlers/meetings.py for `mt:ics:<meeting>`; answers the button press itself
    (a second answer by the caller is harmless). Refusals are raised as Refused.
    """
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        meeting = await meeting_store.get_meeting(session, meeting_id)
        if meeting is None:
            raise Refused(STALE_BUTTON)
        on_list = actor.is_member and actor.membership_id is not None and (
            await meeting_store.attendance_of(session, meeting.id, actor.membership_id)
        ) is not None
        require(
            on_list or can_manage_org(actor, meeting.party_organization_id), update, "calendar"
        )
        if meeting.state is MeetingState.CANCELLED:
            raise Refused(N_("This meeting was cancelled; there is nothing to add."))
    t = translator(actor.language)
    summary = f"{plain_text(meeting_kind_labels(t)[meeting.kind])}: {meeting.topic}"  # plain text
    details = []
    if meeting.host:
        details.append(t.as_plain("Host: {name}", name=meeting.host))
    if meeting.lecturer:
        details.append(t.as_plain("Lecturer: {name}", name=meeting.lecturer))
    if meeting.party_group is not None:
        details.append(t.as_plain("Party group: {name}", name=meeting.party_group.name))
    details.append(meeting.party_organization.name)
    data = meeting_ics(
        meeting_id=meeting.id,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        summary=summary,
        location=meeting.place or meeting.online_url,
        description="\n".join(details),
        url=meeting.online_url,
        now=utcnow(),
    )
    chat = reply_chat(update)
    await chat.send_document(
        InputFile(io.BytesIO(data), filename=f"meeting-{meeting.id}.ics"),
        caption=t("Open this file to add the meeting to your calendar."),
    )
    await answer(update)


def register(app: Application) -> None:
    """/compliance, /ledger, /record and their buttons."""
    app.add_handler(CommandHandler("compliance", show_compliance_menu))
    app.add_handler(CommandHandler("ledger", show_ledger_menu))
    app.add_handler(CommandHandler("record", show_record))
    callbacks = {
        "lg:cpick": turn_compliance_page,
        "lg:comp": show_compliance,
        "lg:cpg": turn_member_page,
        "lg:lpick": turn_ledger_page,
        "lg:lorg": choose_ledger_period,
        "lg:xlsx": export_ledger,
        "lg:rec": show_record_year,
    }
    for prefix, callback in callbacks.items():
        app.add_handler(CallbackQueryHandler(callback, pattern=cb_pattern(prefix)))
    COMMAND_CALLBACKS.update(
        compliance=show_compliance_menu, ledger=show_ledger_menu, record=show_record
    )
