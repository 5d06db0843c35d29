"""Recording a committee renewal (换届, admins): the election day, the elected secretary and
deputy among the active members, the day the upper level approved it. The next term starts
on the election day and the renewal reminders stop."""

from __future__ import annotations

import logging
from datetime import date

from telegram import InlineKeyboardButton

from handlers.access.duties import access_term
from handlers.duties import browse, views
from handlers.kit.actions import ADMINS, Act
from handlers.kit.buttons import OrgId, PersonId
from handlers.kit.flows import (
    Confirm,
    Custom,
    Day,
    Entry,
    Flow,
    Form,
    GoBack,
    Next,
    past_day,
)
from handlers.kit.i18n import N_, Html
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.steps import asking, turn_page
from handlers.kit.ui import person_name
from rules.vocabulary import MembershipState
from storage import duties as store
from storage import people
from storage.models import Membership, PartyOrganization

logger = logging.getLogger(__name__)
# Which answer a refusal of the final check is about.
STEP_OF_ERROR = {"approved_before_elected": "approved", "same_person": "deputy",
                 "not_member": "secretary"}


class RenewalForm(Form):
    org: OrgId
    elected: date | None = None
    secretary: PersonId | None = None
    deputy: PersonId | None = None  # None: no deputy
    page: int = 0
    approved: date | None = None


async def guard(act: Act, form: RenewalForm) -> tuple[PartyOrganization, store.TermLine]:
    return await access_term(act, form.org)


async def members(act: Act, form: RenewalForm) -> list[Membership]:
    return await people.members_of(act.session, form.org, (MembershipState.ACTIVE,))


async def ask_elected(act: Act, form: RenewalForm) -> Html:
    org, line = await guard(act, form)
    return act.t("{org}: the term began {start} and ends {end}. On which day was the new "
                 "committee elected? Type the date as you would say it (for example 15 Mar or "
                 "2026-03-15) or press a day.", org=org.name,
                 start=line.started_on.isoformat(), end=line.ends_on.isoformat())


async def verify_elected(act: Act, form: RenewalForm, elected: date) -> Html | None:
    """After the current term began."""
    _org, line = await guard(act, form)
    if elected <= line.started_on:
        return act.t(views.ERROR_TEXTS["elected_before_term"],
                     start=line.started_on.isoformat())
    return None


async def ask_secretary(act: Act, form: RenewalForm
                        ) -> tuple[Html, list[list[InlineKeyboardButton]]]:
    org, _line = await guard(act, form)
    return (act.t("Who was elected secretary of {org}?", org=org.name),
            views.people(act.t, await members(act, form), form.page, deputy=False))


async def pick_secretary(act: Act, form: RenewalForm, press: views.PickSecretary) -> Next:
    if press.person not in {m.person_id for m in await members(act, form)}:
        act.refuse(views.ERROR_TEXTS["not_member"])
    return Next({"secretary": press.person, "page": 0})


async def ask_deputy(act: Act, form: RenewalForm
                     ) -> tuple[Html, list[list[InlineKeyboardButton]]]:
    others = [m for m in await members(act, form) if m.person_id != form.secretary]
    return (act.t("Who was elected deputy secretary?"),
            views.people(act.t, others, form.page, deputy=True))


async def pick_deputy(act: Act, form: RenewalForm, press: views.PickDeputy) -> Next:
    """Another active member, or nobody (0)."""
    if press.person == form.secretary:
        act.refuse(views.ERROR_TEXTS["same_person"])
    if press.person and press.person not in {m.person_id for m in await members(act, form)}:
        act.refuse(views.ERROR_TEXTS["not_member"])
    return Next({"deputy": press.person or None})


async def verify_approved(act: Act, form: RenewalForm, approved: date) -> Html | None:
    """Not before the election."""
    if form.elected is not None and approved < form.elected:
        return act.t(views.ERROR_TEXTS["approved_before_elected"])
    return None


async def summary(act: Act, form: RenewalForm) -> Html:
    org, _line = await guard(act, form)
    assert form.elected is not None and form.approved is not None
    names = {m.person_id: person_name(act.t, m.person) for m in await members(act, form)}
    return views.renewal_summary(
        act.t, org.name, form.elected, form.approved, names.get(form.secretary or 0, "?"),
        names.get(form.deputy, "?") if form.deputy else None)


async def save(act: Act, form: RenewalForm) -> Html:
    """Recorded (audited); the next term starts and its reminders are cancelled."""
    org, line = await guard(act, form)
    assert form.elected and form.approved and form.secretary
    try:
        await store.renew(
            act.session, org, elected_on=form.elected, approved_on=form.approved,
            secretary_person_id=form.secretary, deputy_person_id=form.deputy,
            by=act.actor.telegram_id, today=act.today(),
        )
    except store.DutyError as error:
        raise GoBack(STEP_OF_ERROR.get(error.code, "elected"), views.ERROR_TEXTS[error.code],
                     start=line.started_on.isoformat()) from None
    logger.info("admin %s recorded the renewal of org %s", pseudonym(act.actor.telegram_id),
                org.id)
    renewed = store.term_line(org)
    assert renewed is not None
    return act.t("✅ Renewal recorded. The new term of {org} ends on {date}.",
                 org=org.name, date=renewed.ends_on.isoformat())


RENEWAL = Flow(
    name="renewal",
    prefix="rn",
    form=RenewalForm,
    entry=Entry(views.StartRenewal, ADMINS),
    guard=guard,
    steps=(
        Day(key="elected", ask=ask_elected, prefer="past", check=past_day,
            verify=verify_elected),
        Custom(key="secretary", render=ask_secretary,
               presses=((views.PickSecretary, pick_secretary), (views.SecretaryPage, turn_page))),
        Custom(key="deputy", render=ask_deputy,
               presses=((views.PickDeputy, pick_deputy), (views.DeputyPage, turn_page))),
        Day(key="approved", ask=asking(N_(
            "On which day did the upper level approve the election? Type the date as you "
            "would say it (for example 20 Mar or 2026-03-20) or press a day.")),
            prefer="past", check=past_day, verify=verify_approved),
        Confirm(key="ok", summary=summary, label=views.CONFIRM, finish=save),
    ),
    exits=browse.EXITS,
)
