"""/development: a leader's branch pipeline (who is at which stage, what the branch owes by
when) and a person's card; an applicant, activist or probationary member sees their own stage
and what comes next."""

from __future__ import annotations

from sqlalchemy import select

from handlers.access.development import access_development, own_development
from handlers.access.orgs import access_led_org
from handlers.development import views
from handlers.kit.actions import Act, CommandArgs, Reply
from handlers.kit.buttons import OrgId, PersonId
from handlers.kit.i18n import N_, Html, html_join
from handlers.pickers import Picker
from storage import development
from storage.models import DevelopmentRecord, Person

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


async def show_person(act: Act, press: views.DevPerson) -> Reply:
    return await card_reply(act, press.person)


async def card_reply(act: Act, person_id: PersonId, head: Html | None = None) -> Reply:
    record = await access_development(act, person_id)
    return await _card(act, record, person_id, head)


async def _card(act: Act, record: DevelopmentRecord, person_id: int, head: Html | None
                ) -> Reply:
    person = await act.session.get(Person, record.person_id)
    assert person is not None
    contacts = list((await act.session.scalars(
        select(Person.real_name).where(Person.id.in_(
            [c.person_id for c in await development.contacts_of(act.session, record.id)]))
    )).all())
    text = views.card_text(act.t, record, person, [c or "" for c in contacts], act.today())
    return Reply(html_join("\n\n", [head, text]) if head else text,
                 views.card_markup(act.t, record, PersonId(person_id),
                                   OrgId(record.party_organization_id)))


async def own_reply(act: Act) -> Reply:
    record = await own_development(act)
    if record is None:
        return Reply(act.t(NOTHING_OWN))
    person = await act.session.get(Person, record.person_id)
    assert person is not None
    return Reply(views.card_text(act.t, record, person, [], act.today(), own=True))
