"""A leader picks one or two full members of the branch as a person's contacts (培养联系人),
from a list with buttons; picked again later, they replace the earlier ones."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from handlers.access.development import access_development
from handlers.development import views
from handlers.development.pages import card_reply
from handlers.kit.actions import LEADERS, Act, Reply
from handlers.kit.buttons import PersonId
from handlers.kit.flows import Custom, Entry, Flow, Form, Next, turn_page
from handlers.kit.i18n import Html, html_join
from handlers.kit.ui import paged_rows
from rules import development as rules
from rules.vocabulary import MembershipState, MemberStatus
from storage import development, people
from storage.models import Person

LOW, HIGH = rules.CONTACTS


class ContactsForm(Form):
    person: PersonId
    chosen: list[int] = Field(default_factory=list)
    page: int = 0


async def start(act: Act, press: views.DevContacts) -> ContactsForm | Reply:
    record = await access_development(act, press.person)
    if record.stage not in views.GUIDED_STAGES:
        return await card_reply(act, press.person)
    chosen = [c.person_id for c in await development.contacts_of(act.session, record.id)]
    return ContactsForm(person=press.person, chosen=chosen)


async def guard(act: Act, form: ContactsForm) -> None:
    await access_development(act, form.person)


async def candidates(act: Act, form: ContactsForm) -> list[Person]:
    """The branch's full members in good standing, besides the person."""
    record = await access_development(act, form.person)
    members = await people.members_of(act.session, record.party_organization_id,
                                      (MembershipState.ACTIVE,))
    return [m.person for m in members
            if m.status is MemberStatus.FULL and m.person_id != record.person_id]


def name(act: Act, person: Person) -> str:
    return person.real_name or act.t("Member without a name ({id})", id=person.id)


async def render(act: Act, form: ContactsForm) -> tuple[Html, list[list[Any]]]:
    t = act.t
    record = await access_development(act, form.person)
    person = await act.session.get(Person, record.person_id)
    found = await candidates(act, form)
    names = [name(act, p) for p in found if p.id in form.chosen]
    text = html_join("\n", [
        t("👥 Pick one or two full members of the branch as {name}'s contacts (培养联系人); "
          "press a name again to unpick it.", name=person.real_name if person else ""),
        t("Picked: {names}", names=", ".join(names)) if names else t("Nobody picked yet.")])
    if not found:
        text = t("The branch has no other full member to be a contact.")
    items = [views.PickContact(PersonId(p.id)).button(
        ("✅ " if p.id in form.chosen else "") + name(act, p)) for p in found]
    rows = paged_rows(t, items, form.page, views.ContactsPage,
                      [[views.SaveContacts().button(t("💾 Keep these contacts"))]] if names
                      else [])
    return text, rows


async def pick(act: Act, form: ContactsForm, press: views.PickContact) -> Next:
    if press.member not in {p.id for p in await candidates(act, form)}:
        act.refuse()
    if press.member in form.chosen:
        return Next({"chosen": [p for p in form.chosen if p != press.member]}, stay=True)
    if len(form.chosen) >= HIGH:
        act.toast = act.t("At most {count} contacts: unpick one first.", count=HIGH)
        return Next({}, stay=True)
    return Next({"chosen": [*form.chosen, press.member]}, stay=True)


async def save(act: Act, form: ContactsForm, press: views.SaveContacts) -> Reply | Next:
    record = await access_development(act, form.person)
    allowed = {p.id for p in await candidates(act, form)}
    chosen = [p for p in form.chosen if p in allowed]
    if not LOW <= len(chosen) <= HIGH:
        act.toast = act.t("Pick one or two contacts.")
        return Next({"chosen": chosen}, stay=True)
    await development.assign_contacts(act.session, record, chosen, on=act.today(),
                                      by=act.actor.telegram_id)
    return await card_reply(act, form.person, act.t("✅ Contacts kept."))


CONTACTS = Flow(
    name="development_contacts",
    prefix="fdvc",
    form=ContactsForm,
    entry=Entry(views.DevContacts, LEADERS, start),
    guard=guard,
    back=False,
    steps=(
        Custom(key="pick", render=render,
               presses=((views.PickContact, pick), (views.ContactsPage, turn_page),
                        (views.SaveContacts, save))),
    ),
)
