"""/development: a leader's branch pipeline (who is at which stage, what the branch owes by
when) and a person's card; an applicant, activist or probationary member sees their own stage
and what comes next."""

from __future__ import annotations

from sqlalchemy import select

from handlers.access.development import access_guided, own_development
from handlers.access.orgs import access_led_org
from handlers.development import views
from handlers.kit.actions import Act, Audience, CommandArgs, Reply
from handlers.kit.buttons import OrgId, PersonId
from handlers.kit.i18n import N_, Html, html_join
from handlers.pickers import Picker
from storage import development
from storage.holiday_calendar import work_calendar
from storage.models import DevelopmentRecord, Person

# Leaders see their branches', anyone else their own (an applicant may hold no membership yet)
# and the people they are a contact for.
KNOWN = Audience("people the bot knows", lambda actor: (
    actor.is_member or actor.is_admin or actor.person_id is not None))
PICKER = Picker(prompt=N_("Whose member development? Pick an organization."),
                pick=lambda org: views.DevBranch(org), page=lambda page: views.DevBranches(page))
NOTHING_OWN = N_("🌱 No member development is on record for you. An applicant, activist or "
                 "probationary member sees their stage here once the branch records it.")


async def open_development(act: Act, _: CommandArgs) -> Reply | None:
    """Leaders and admins: their branch (or a choice); others: their own way."""
    if act.actor.is_admin or act.actor.leads_a_branch:
        return await PICKER.open(act, nothing=views.NO_BRANCH,
                                 on_one=lambda org: branch_reply(act, org, back=False))
    return await own_reply(act)


async def turn(act: Act, press: views.DevBranches) -> Reply:
    return await PICKER.turn(act, press.page)


async def show_branch(act: Act, press: views.DevBranch) -> Reply:
    return await branch_reply(act, press.org, page=press.page)


async def branch_reply(act: Act, org_id: OrgId, head: Html | None = None, *, page: int = 0,
                       back: bool = True) -> Reply:
    org = await access_led_org(act, org_id)
    rows = await development.pipeline(act.session, org.id)
    several = act.actor.is_admin or len(await PICKER.rows(act)) > 1
    text = views.branch_text(act.t, org.name, rows, act.today())
    return Reply(html_join("\n\n", [head, text]) if head else text,
                 views.branch_markup(act.t, OrgId(org.id), rows, page, back and several))


async def show_person(act: Act, press: views.DevPerson | views.Guided) -> Reply:
    return await card_reply(act, press.person)


async def card_reply(act: Act, person_id: PersonId, head: Html | None = None) -> Reply:
    """The person's card, for the leaders of the branch and the person's contacts (who see
    what they may do: the review, the thought reports)."""
    record, leader = await access_guided(act, person_id)
    return await _card(act, record, person_id, head, leader)


async def closed_reply(act: Act, record: DevelopmentRecord, head: Html, *, leader: bool
                       ) -> Reply:
    """The last card of a record the actor's step has just closed, loaded through an access
    function before it (which sees records under way only): what it reached, nothing to press."""
    return await _card(act, record, record.person_id, head, leader)


async def contact_names(act: Act, record: DevelopmentRecord) -> list[str]:
    ids = [c.person_id for c in await development.contacts_of(act.session, record.id)]
    names = {p.id: p.real_name or "" for p in (await act.session.scalars(
        select(Person).where(Person.id.in_(ids)))).all()}
    return [names.get(i, "") for i in ids]


async def _card(act: Act, record: DevelopmentRecord, person_id: int, head: Html | None,
                leader: bool) -> Reply:
    person = await act.session.get(Person, record.person_id)
    assert person is not None
    reports = len(await development.thought_reports(act.session, record.id))
    text = views.card_text(act.t, record, person, await contact_names(act, record), act.today(),
                           await work_calendar(act.session))
    return Reply(html_join("\n\n", [head, text]) if head else text,
                 views.card_markup(act.t, record, PersonId(person_id),
                                   OrgId(record.party_organization_id) if leader else None,
                                   leader=leader, reports=reports))


async def own_reply(act: Act, head: Html | None = None) -> Reply:
    """The person's own stage (with a thought report to hand in), and the people they are a
    contact for."""
    record = await own_development(act)
    guided = ([] if act.actor.person_id is None
              else await development.guided_by(act.session, act.actor.person_id))
    parts: list[Html | None] = [head]
    if record is not None:
        person = await act.session.get(Person, record.person_id)
        assert person is not None
        parts.append(views.card_text(act.t, record, person, await contact_names(act, record),
                                     act.today(), await work_calendar(act.session), own=True))
    if guided:
        parts.append(views.guided_text(act.t, guided))
    if record is None and not guided:
        parts.append(act.t(NOTHING_OWN))
    return Reply(html_join("\n\n", [p for p in parts if p]),
                 views.own_markup(act.t, record, guided))
