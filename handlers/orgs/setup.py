"""Admins add to the tree step by step: a party organization (name, kind, parent), a social
organization (name, type, who covers it), a term start date, a 党小组. One conversation: a new
one replaces the step in progress, /cancel leaves nothing behind, and a step's old buttons
are refused once it is over."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from telegram import Message

from handlers.access.orgs import access_tree_org
from handlers.kit.actions import ADMINS, Act, Action, Reply
from handlers.kit.buttons import OrgId
from handlers.kit.chat import STALE_BUTTON, Refused
from handlers.kit.flows import (
    Custom,
    Day,
    Entry,
    Finish,
    Flow,
    Form,
    GoBack,
    Next,
    Problem,
    Text,
    invalid_text,
    turn_page,
)
from handlers.kit.i18n import N_, Html, Translator
from handlers.kit.pseudonyms import pseudonym
from handlers.menu import TEXT_INPUT
from handlers.orgs import views
from handlers.orgs.browse import card, social_list
from handlers.orgs.views import TREE_ERRORS, Rows
from rules.permissions import can_edit_tree
from rules.tree import GROUP_KINDS
from rules.validation import MAX_GROUP_NAME, MAX_ORG_NAME, Invalid, check_term_start, clean_text
from rules.vocabulary import PartyOrgKind, SocialOrgType
from storage import orgs as org_store

logger = logging.getLogger(__name__)

REMIND = N_("Please choose with the buttons above, or /cancel.")
PROMPTS = {
    "party": N_("New party organization. Type its full name (at most {limit} characters)."),
    "social": N_("New social organization. Type its registered name (at most {limit} "
                 "characters)."),
    "term": N_("When was the committee of {org} elected (the start of its term)? Type the "
               "date as you would say it, for example 1 Mar 2024 or 2024-03-01."),
    "group": N_("Type the name of the new party group in {org} (at most {limit} characters)."),
}
TAKEN = {"party": "duplicate_party_org", "social": "duplicate_social_org",
         "group": "duplicate_group"}


class SetupForm(Form):
    """What is being added, and the answers so far."""

    what: Literal["party", "social", "term", "group"]
    org: OrgId | None = None  # the organization a term or a group belongs to
    name: str | None = None
    kind: PartyOrgKind | None = None
    parent: OrgId | None = None  # 0: top level
    type: SocialOrgType | None = None
    cover: OrgId | None = None  # 0: not covered yet
    page: int = 0
    term: date | None = None
    group: str | None = None


def adding(*what: str) -> Callable[[SetupForm], bool]:
    return lambda form: form.what in what


async def guard(act: Act, form: SetupForm) -> None:
    act.check(can_edit_tree(act.actor))
    if form.org is not None:
        await access_tree_org(act, form.org)


# --- entries ------------------------------------------------------------------------------


async def start_new(act: Act, press: views.NewPartyOrg | views.NewSocialOrg) -> SetupForm:
    return SetupForm(what="party" if isinstance(press, views.NewPartyOrg) else "social")


async def start_for_org(act: Act, press: views.SetTermStart | views.NewGroup) -> SetupForm:
    """A term start, or a party group (only inside a branch)."""
    org = await access_tree_org(act, press.org)
    if isinstance(press, views.SetTermStart):
        return SetupForm(what="term", org=press.org)
    if org.kind not in GROUP_KINDS:
        raise Refused(TREE_ERRORS["groups_only_in_branches"])
    return SetupForm(what="group", org=press.org)


# --- steps --------------------------------------------------------------------------------


def name_limit(form: SetupForm) -> int:
    return MAX_GROUP_NAME if form.what == "group" else MAX_ORG_NAME


async def ask(act: Act, form: SetupForm) -> Html:
    """The name of what is added, or the term start (of the organization it belongs to)."""
    org = await access_tree_org(act, form.org) if form.org is not None else None
    return act.t(PROMPTS[form.what], org=org.name if org else "", limit=name_limit(form))


async def taken(act: Act, form: SetupForm, name: str) -> bool:
    if form.what == "party":
        return await org_store.party_org_by_name(act.session, name) is not None
    if form.what == "social":
        return await org_store.social_org_by_name(act.session, name) is not None
    assert form.org is not None
    return any(g.name == name for g in await org_store.groups_of(act.session, form.org))


async def read_name(act: Act, form: SetupForm, text: str) -> Any:
    """Valid, and not the name of another organization of the same sort (or another group
    of the organization)."""
    name = clean_text(text, max_length=name_limit(form))
    if isinstance(name, Invalid):
        return name
    if await taken(act, form, name):
        return Problem(TREE_ERRORS[TAKEN[form.what]], name=name)
    return name


async def remind(act: Act, form: SetupForm, message: Message) -> Problem:
    """Typed text where a button is expected: point at the buttons, stay in the step."""
    return Problem(REMIND)


async def render_sort(act: Act, form: SetupForm) -> tuple[Html, Rows]:
    """The kind of a party organization, or the type of a social one."""
    assert form.name is not None
    return views.sort_step(act.t, form.name, social=form.what == "social")


async def choose_sort(act: Act, form: SetupForm, press: views.ChooseKind | views.ChooseType
                      ) -> Next:
    """Pressed again from the next step, it changes and the next step stays."""
    if isinstance(press, views.ChooseKind):
        return Next({"kind": press.kind, "page": 0}, stay=form.kind is not None)
    return Next({"type": press.type, "page": 0}, stay=form.type is not None)


async def render_place(act: Act, form: SetupForm) -> tuple[Html, Rows]:
    """The parent of a party organization, or who covers a social one."""
    assert form.name is not None
    rows = await org_store.party_tree(act.session)
    if form.kind is not None:
        return views.parent_step(act.t, form.name, form.kind, rows, form.page)
    assert form.type is not None
    return views.cover_step(act.t, form.name, form.type, rows, form.page)


async def pick_place(act: Act, form: SetupForm, press: views.PickParent | views.PickCover
                     ) -> Next:
    if isinstance(press, views.PickParent):
        return Next({"parent": press.parent})
    return Next({"cover": press.party})


def term_problem(t: Translator, value: date, now: datetime) -> Html | None:
    checked = check_term_start(value, now.date())
    return invalid_text(t, checked) if isinstance(checked, Invalid) else None


# --- saving -------------------------------------------------------------------------------


async def save_party(act: Act, form: SetupForm) -> Reply:
    assert form.name is not None and form.kind is not None
    org = await org_store.create_party_org(
        act.session, name=form.name, kind=form.kind, parent_id=form.parent or None,
        actor_telegram_id=act.actor.telegram_id,
    )
    logger.info("party organization %s created by %s", org.id, pseudonym(act.actor.telegram_id))
    return await card(act, org, act.t("✅ Created."))


async def save_social(act: Act, form: SetupForm) -> Reply:
    assert form.name is not None and form.type is not None
    social = await org_store.create_social_org(
        act.session, name=form.name, org_type=form.type, party_org_id=form.cover or None,
        actor_telegram_id=act.actor.telegram_id,
    )
    logger.info("social organization %s created by %s", social.id,
                pseudonym(act.actor.telegram_id))
    return await social_list(act, 0, act.t("✅ Created."))


async def save_in_org(act: Act, form: SetupForm) -> Reply:
    """The organization's term start, or its new party group."""
    assert form.org is not None
    org, by = await access_tree_org(act, form.org), act.actor.telegram_id
    if form.what == "term":
        await org_store.set_term(act.session, org, started_on=form.term, years=org.term_years,
                                 actor_telegram_id=by)
        return await card(act, org, act.t("✅ Term start saved."))
    assert form.group is not None
    await org_store.create_group(act.session, org=org, name=form.group, actor_telegram_id=by)
    return await card(act, org, act.t("✅ Party group created."))


SAVES = {"party": save_party, "social": save_social, "term": save_in_org, "group": save_in_org}


async def save(act: Act, form: SetupForm) -> Reply:
    """A name taken meanwhile (by another admin) is asked again; the other answers are kept."""
    try:
        return await SAVES[form.what](act, form)
    except org_store.TreeError as exc:
        if exc.code == TAKEN.get(form.what):
            step = "group" if form.what == "group" else "name"
            raise GoBack(step, TREE_ERRORS[exc.code], name=exc.name) from None
        raise Refused(TREE_ERRORS.get(exc.code, STALE_BUTTON), name=exc.name) from None


async def step_over(act: Act, press: object) -> None:
    """A step's button after the step is over (or forged): nothing happens."""
    raise Refused(STALE_BUTTON)


BUTTONS_ONLY = ((TEXT_INPUT, remind),)
ORG_SETUP = Flow(
    name="org_setup",
    prefix="org",
    form=SetupForm,
    entry=(Entry(views.NewPartyOrg, ADMINS, start_new),
           Entry(views.NewSocialOrg, ADMINS, start_new),
           Entry(views.SetTermStart, ADMINS, start_for_org),
           Entry(views.NewGroup, ADMINS, start_for_org)),
    guard=guard,
    back=False,
    steps=(
        Text(key="name", ask=ask, read=read_name, when=adding("party", "social")),
        Custom(key="kind", render=render_sort, presses=((views.ChooseKind, choose_sort),),
               messages=BUTTONS_ONLY, when=adding("party")),
        Custom(key="parent", render=render_place, when=adding("party"), messages=BUTTONS_ONLY,
               presses=((views.PickParent, pick_place), (views.ParentPage, turn_page),
                        (views.ChooseKind, choose_sort))),
        Custom(key="type", render=render_sort, presses=((views.ChooseType, choose_sort),),
               messages=BUTTONS_ONLY, when=adding("social")),
        Custom(key="cover", render=render_place, when=adding("social"), messages=BUTTONS_ONLY,
               presses=((views.PickCover, pick_place), (views.CoverPage, turn_page),
                        (views.ChooseType, choose_sort))),
        Day(key="term", ask=ask, prefer="past", check=term_problem, quick=False,
            when=adding("term")),
        Text(key="group", ask=ask, read=read_name, when=adding("group")),
        Finish(key="save", finish=save),
    ),
)
# Outside their step a step's buttons are stale (and refused to anyone but admins).
STEP_OVER = tuple(Action(family, ADMINS, step_over) for family in views.STEP_BUTTONS)
