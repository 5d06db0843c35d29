"""The ledger (台账): compliance at a glance, the .xlsx export and chart, own records, .ics.

No rankings or leaderboards (national rules against formalism): members are listed by name.
The files are built from storage.ledger's plain data in workbook.py, chart.py and
exports.py; handlers/meetings.py's "Add to calendar" button calls send_ics.
"""

from __future__ import annotations

from handlers.access.orgs import access_led_org
from handlers.kit.actions import ANYONE, LEADERS, MEMBERS, Act, Action, Command, CommandArgs, Reply
from handlers.kit.buttons import BadCallback
from handlers.kit.chat import Refused
from handlers.kit.i18n import N_
from handlers.ledger import views
from handlers.ledger.exports import send_ics, send_ledger
from handlers.ledger.views import CHART_OVERALL, CHART_TITLE, CHART_YLABEL
from handlers.ledger.workbook import WORKBOOK_TEXTS
from handlers.pickers import Picker
from storage import ledger as store
from storage import meetings as meeting_store

COMPLIANCE_PICKER = Picker(N_("Compliance of which organization?"),
                           pick=lambda org: views.ShowCompliance(org, "q"),
                           page=views.CompliancePickerPage)
LEDGER_PICKER = Picker(N_("Ledger of which organization?"), pick=views.LedgerPeriods,
                       page=views.LedgerPickerPage)


def several(act: Act) -> bool:
    """Whether the actor picks among organizations (then a way back to the choice)."""
    return act.actor.is_admin or len(act.actor.managed_org_ids) > 1


async def compliance_menu(act: Act, _: CommandArgs) -> Reply | None:
    """/compliance: this quarter of the leader's branch, or a choice of organizations."""
    return await COMPLIANCE_PICKER.open(
        act, nothing=views.NO_BRANCHES,
        on_one=lambda org: show_compliance(act, views.ShowCompliance(org, "q")))


async def show_compliance(act: Act, press: views.ShowCompliance | views.MemberPage) -> Reply:
    """Held vs required per kind and each member's rate, with the period buttons."""
    page = press.page if isinstance(press, views.MemberPage) else 0
    org = await access_led_org(act, press.org)
    today = act.today()
    report = await store.compliance_report(
        act.session, press.org, store.report_period(press.period, today), tz=act.settings.tzinfo,
        requirements=act.settings.requirements, today=today,
        inquorate_counts=act.settings.inquorate_committee_counts,
    )
    text, pages = views.compliance_text(act.t, org.name, report, page)
    return Reply(text, views.compliance_keyboard(act.t, press.org, press.period, page, pages,
                                                 several=several(act)))


async def ledger_menu(act: Act, _: CommandArgs) -> Reply | None:
    """/ledger: the period choice for the leader's branch, or a choice of organizations."""
    return await LEDGER_PICKER.open(
        act, nothing=views.NO_BRANCHES,
        on_one=lambda org: ledger_periods(act, views.LedgerPeriods(org)))


async def ledger_periods(act: Act, press: views.LedgerPeriods) -> Reply:
    org = await access_led_org(act, press.org)
    return Reply(*views.ledger_periods(act.t, press.org, org.name, several=several(act)))


async def export_ledger(act: Act, press: views.ExportLedger) -> None:
    """The workbook, then the chart: sent after the session is closed."""
    org = await access_led_org(act, press.org)
    today = act.today()
    ledger = await store.ledger_data(
        act.session, press.org, org.name, store.report_period(press.period, today),
        tz=act.settings.tzinfo, requirements=act.settings.requirements, today=today,
        now=act.now(), inquorate_counts=act.settings.inquorate_committee_counts,
    )
    update, t = act.update, act.t
    act.after(lambda: send_ledger(update, t, press.org, ledger, today))


async def my_record(act: Act, _: CommandArgs) -> Reply:
    """/record: this year."""
    return await record(act, views.RecordYear(act.today().year))


async def record(act: Act, press: views.RecordYear) -> Reply:
    """My closed meetings in a year (this year or last year only), my status at each and my
    rate."""
    actor, tz, this_year = act.actor, act.settings.tzinfo, act.today().year
    if press.year not in (this_year, this_year - 1):
        raise BadCallback(press.pack())
    if not actor.is_member or actor.membership_id is None or actor.org_id is None:
        raise Refused(N_("Only members of a branch have an attendance record."))
    first, last = store.year_bounds(press.year)
    lines = await store.member_record(act.session, actor.membership_id, first, last, tz)
    start, end = meeting_store.day_bounds(first, last, tz)
    totals = await meeting_store.member_attendance(
        act.session, actor.org_id, start, end, membership_id=actor.membership_id
    )
    return Reply(*views.record(act.t, press.year, this_year, totals, lines))


ACTIONS = (
    Action(Command("compliance", label=N_("📊 Compliance"),
                   description=N_("Meetings held against what is required")),
           LEADERS, compliance_menu),
    Action(Command("ledger", label=N_("📒 Ledger"),
                   description=N_("Export the meeting ledger (台账) as .xlsx")),
           LEADERS, ledger_menu),
    # Anyone may ask (others are told why not); the menu lists it for those who attend meetings.
    Action(Command("record", label=N_("📈 My attendance"),
                   description=N_("My attendance record and rate"), shown_to=MEMBERS),
           ANYONE, my_record),
    Action(views.CompliancePickerPage, LEADERS, COMPLIANCE_PICKER.turn_page),
    Action(views.ShowCompliance, LEADERS, show_compliance),
    Action(views.MemberPage, LEADERS, show_compliance),
    Action(views.LedgerPickerPage, LEADERS, LEDGER_PICKER.turn_page),
    Action(views.LedgerPeriods, LEADERS, ledger_periods),
    Action(views.ExportLedger, LEADERS, export_ledger),
    Action(views.RecordYear, ANYONE, record),
)

__all__ = [
    "ACTIONS", "CHART_OVERALL", "CHART_TITLE", "CHART_YLABEL", "WORKBOOK_TEXTS", "send_ics",
]
