"""/talks for a branch's leaders: this year's count, who is not talked with yet (paged) and
the latest talks; a leader of several branches (or an admin) picks the branch first."""

from __future__ import annotations

from handlers.access.talks import access_talks_branch
from handlers.kit.actions import Act, CommandArgs, Reply
from handlers.kit.buttons import OrgId
from handlers.kit.i18n import N_, Html, html_join
from handlers.pickers import Picker
from handlers.talks import views
from rules.talks import can_record_talk
from storage import talks

PICKER = Picker(prompt=N_("Whose one-to-one talks? Pick an organization."),
                pick=lambda org: views.BranchTalks(org, 0),
                page=lambda page: views.TalksBranches(page))
NOTHING = N_("You run no branch with members.")


async def open_talks(act: Act, _: CommandArgs) -> Reply | None:
    """Leaders and admins: their branch (or a choice); committee members: their own branch."""
    if act.actor.is_admin or act.actor.leads_a_branch:
        return await PICKER.open(act, nothing=NOTHING,
                                 on_one=lambda org: branch_reply(act, org, back=False))
    return await branch_reply(act, OrgId(act.actor.org_id or 0), back=False)


async def turn(act: Act, press: views.TalksBranches) -> Reply:
    return await PICKER.turn(act, press.page)


async def show_branch(act: Act, press: views.BranchTalks) -> Reply:
    return await branch_reply(act, press.org, page=press.page)


async def branch_reply(act: Act, org_id: OrgId, head: Html | None = None, *, page: int = 0,
                       back: bool = True) -> Reply:
    org = await access_talks_branch(act, org_id)
    year = act.today().year
    behind = await talks.not_talked_with(act.session, org.id, year)
    first, last = talks.year_bounds(year)
    latest = await talks.talks_in(act.session, org.id, first, last, limit=views.LATEST)
    count = await talks.count_in_year(act.session, org.id, year)
    pages = views.pages_of(behind)
    page = min(max(page, 0), pages - 1)
    several = act.actor.is_admin or (act.actor.leads_a_branch
                                     and len(await PICKER.rows(act)) > 1)
    text = views.branch_text(act.t, org.name, year, count, behind, page, latest)
    return Reply(html_join("\n\n", [head, text]) if head else text,
                 views.branch_markup(act.t, org.id, page, pages,
                                     record=can_record_talk(act.actor, org.id),
                                     back=views.TalksBranches(0) if back and several else None))
