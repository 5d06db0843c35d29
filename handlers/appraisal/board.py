"""/appraisal for a branch's committee and the leaders above: the year's board (self-assessments
in, peer-grade counts, results), and for the secretary, deputy and leaders above: open it (the
members are told through the outbox, each in their language), close it (linking the year's
民主评议 meeting if one was held)."""

from __future__ import annotations

from datetime import datetime, time

from handlers.access.appraisal import access_appraisal_board, access_appraisal_running
from handlers.appraisal import views
from handlers.kit.actions import Act, Reply
from handlers.kit.buttons import OrgId
from handlers.kit.chat import NOT_ALLOWED, Outgoing
from handlers.kit.i18n import N_, Html, html_join, translator
from handlers.pickers import Picker
from rules.appraisal import can_run
from storage import appraisal
from storage.appraisal import AppraisalError
from storage.models import Appraisal

PICKER = Picker(prompt=N_("Whose democratic appraisal? Pick an organization."),
                pick=lambda org: views.BranchAppraisal(org, 0),
                page=lambda page: views.AppraisalBranches(page))
NOTHING = N_("You run no branch with members.")


def state_of(found: Appraisal | None) -> str:
    if found is None:
        return "none"
    return "open" if found.closed_at is None else "closed"


async def several(act: Act) -> bool:
    return act.actor.is_admin or (act.actor.leads_a_branch and len(await PICKER.rows(act)) > 1)


async def turn(act: Act, press: views.AppraisalBranches) -> Reply:
    return await PICKER.turn(act, press.page)


async def show_board(act: Act, press: views.BranchAppraisal) -> Reply:
    return await board_reply(act, press.org, page=press.page)


async def board_reply(act: Act, org_id: OrgId, head: Html | None = None, *, page: int = 0,
                      back: bool = True) -> Reply:
    org = await access_appraisal_board(act, org_id)
    current = await appraisal.current(act.session, org.id, act.today().year)
    state = state_of(current)
    lines = await appraisal.board(act.session, current) if current else []
    meeting_on = None
    if current is not None and current.meeting_id is not None:
        meetings = await appraisal.appraisal_meetings(act.session, org.id, *year_span(
            act, current.year))
        meeting_on = next((act.local(starts).date() for mid, starts, _ in meetings
                           if mid == current.meeting_id), None)
    text = views.board_text(
        act.t, org.name, current.year if current else act.today().year, state=state,
        lines=lines, page=page,
        confirmed_on=current.assembly_confirmed_on if current else None,
        closed_on=act.local(current.closed_at).date() if current and current.closed_at
        else None, meeting_on=meeting_on)
    mine = act.actor.org_id == org.id and any(
        line.person_id == act.actor.person_id for line in lines)
    markup = views.board_markup(
        act.t, org.id, state, lines, page, run=can_run(act.actor, org.id), mine=mine,
        back=views.AppraisalBranches(0) if back and await several(act) else None)
    return Reply(html_join("\n\n", [head, text]) if head else text, markup)


def year_span(act: Act, year: int) -> tuple[datetime, datetime]:
    """The year in the branch's time zone, as aware moments [start, end)."""
    tz = act.settings.tzinfo
    return (datetime.combine(datetime(year, 1, 1).date(), time(), tz),
            datetime.combine(datetime(year + 1, 1, 1).date(), time(), tz))


async def ask_open(act: Act, press: views.OpenAppraisal) -> Reply:
    org = await access_appraisal_running(act, press.org)
    year = act.today().year
    if await appraisal.current(act.session, org.id, year) is not None:
        return await board_reply(act, press.org, act.t(views.REFUSALS["already_open"]))
    members = await appraisal.appraisees(act.session, org.id)
    return Reply(*views.open_question(act.t, org.id, org.name, year, len(members)))


async def open_year(act: Act, press: views.OpenConfirmed) -> Reply:
    """Open this year's appraisal; each member (but the one opening it) is told."""
    org = await access_appraisal_running(act, press.org)
    year = act.today().year
    if await appraisal.current(act.session, org.id, year) is not None:
        return await board_reply(act, press.org, act.t(views.REFUSALS["already_open"]))
    try:
        await appraisal.open_year(act.session, org_id=org.id, year=year,
                                  by=act.actor.telegram_id, now=act.now())
    except AppraisalError as refused:
        await act.session.rollback()
        return await board_reply(act, press.org, act.t(views.REFUSALS[refused.code]))
    messages: list[Outgoing] = []
    for member in await appraisal.appraisees(act.session, org.id):
        if member.person_id != act.actor.person_id:
            text, markup = views.opened_note(translator(member.language), org.name, year)
            messages.append((member.telegram_id, text, markup))
    t = act.t
    act.deliver(messages, lambda told: (t.plural("{n} member was told.",
                                                 "{n} members were told.", told), None))
    return await board_reply(act, press.org, act.t("✅ The appraisal of {year} is open.",
                                                   year=year), back=False)


async def ask_close(act: Act, press: views.CloseAppraisal) -> Reply:
    org = await access_appraisal_running(act, press.org)
    current = await appraisal.current(act.session, org.id, act.today().year)
    if current is None or current.closed_at is not None:
        return await board_reply(act, press.org, act.t(views.REFUSALS["closed"]))
    lines = await appraisal.board(act.session, current)
    meetings = [(mid, act.local(starts).date(), topic) for mid, starts, topic in
                await appraisal.appraisal_meetings(act.session, org.id,
                                                   *year_span(act, current.year))]
    return Reply(*views.close_question(act.t, org.id, current.year,
                                       sum(1 for line in lines if line.result is None),
                                       meetings))


async def close(act: Act, press: views.CloseConfirmed) -> Reply:
    org = await access_appraisal_running(act, press.org)
    current = await appraisal.current(act.session, org.id, act.today().year)
    if current is None or current.closed_at is not None:
        return await board_reply(act, press.org, act.t(views.REFUSALS["closed"]))
    if press.meeting is not None:
        meetings = await appraisal.appraisal_meetings(act.session, org.id,
                                                      *year_span(act, current.year))
        act.check(any(mid == press.meeting for mid, _, _ in meetings), NOT_ALLOWED)
    await appraisal.close(act.session, current, by=act.actor.telegram_id, now=act.now(),
                          meeting_id=press.meeting)
    return await board_reply(act, press.org, act.t("🔒 The appraisal of {year} is closed.",
                                                   year=current.year), back=False)
