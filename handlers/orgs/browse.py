"""The tree, an organization's card, the social organizations, term lengths and coverage."""

from __future__ import annotations

from handlers.access.orgs import access_social_org, access_tree_org
from handlers.kit.actions import Act, CommandArgs, Reply
from handlers.kit.chat import STALE_BUTTON, Refused
from handlers.kit.i18n import Html
from handlers.orgs import views
from rules.terms import MAX_TERM_YEARS, MIN_TERM_YEARS
from rules.vocabulary import MembershipState
from storage import orgs as org_store
from storage import people
from storage.models import PartyOrganization


async def show_tree(act: Act, press: views.ShowTree | CommandArgs) -> Reply:
    """A page of the tree (/orgs and its keyboard button: the first)."""
    rows = await org_store.party_tree(act.session)
    socials = await org_store.social_orgs(act.session)
    covered = sum(1 for s in socials if s.party_organization_id is not None)
    page = press.page if isinstance(press, views.ShowTree) else 0
    return views.tree(act.t, rows, covered, len(socials), page, act.today())


async def card(act: Act, org: PartyOrganization, note: Html | None = None) -> Reply:
    session = act.session
    parent = await org_store.get_party_org(session, org.parent_id) if org.parent_id else None
    members = await people.members_of(session, org.id, (MembershipState.ACTIVE,))
    covered = await org_store.social_orgs_of(session, org.id)
    groups = await org_store.groups_of(session, org.id)
    return views.card(act.t, org, parent, members, covered, groups, act.today(), note)


async def party_names(act: Act) -> dict[int, str]:
    return {row.org.id: row.org.name for row in await org_store.party_tree(act.session)}


async def social_list(act: Act, page: int, note: Html | None = None) -> Reply:
    socials = await org_store.social_orgs(act.session)
    return views.social_list(act.t, socials, await party_names(act), page, note)


async def show_card(act: Act, press: views.ShowCard) -> Reply:
    return await card(act, await access_tree_org(act, press.org))


async def show_social(act: Act, press: views.ShowSocial) -> Reply:
    return await social_list(act, press.page)


async def term_length(act: Act, press: views.TermLength) -> Reply:
    return views.term_length_menu(act.t, await access_tree_org(act, press.org))


async def set_term_length(act: Act, press: views.SetTermLength) -> Reply:
    """Store the term length override (0: back to the default)."""
    if press.years != 0 and not MIN_TERM_YEARS <= press.years <= MAX_TERM_YEARS:
        raise Refused(STALE_BUTTON)
    org = await access_tree_org(act, press.org)
    await org_store.set_term(act.session, org, started_on=org.term_started_on,
                             years=press.years or None, actor_telegram_id=act.actor.telegram_id)
    return await card(act, org, act.t("✅ Term length saved."))


async def cover_list(act: Act, press: views.CoverList) -> Reply:
    org = await access_tree_org(act, press.org)
    socials = await org_store.social_orgs(act.session)
    return views.cover_list(act.t, org, socials, await party_names(act), press.page)


async def cover(act: Act, press: views.Cover | views.ConfirmCover) -> Reply:
    """Cover a social organization; one covered by another organization asks first (then
    confirmed, it is taken from there)."""
    org = await access_tree_org(act, press.org)
    social = await access_social_org(act, press.social)
    current = (await org_store.get_party_org(act.session, social.party_organization_id)
               if social.party_organization_id is not None else None)
    if isinstance(press, views.Cover) and current is not None:
        if current.id == org.id:
            return await card(act, org, act.t("{org} already covers {social}.", org=org.name,
                                              social=social.name))
        return views.move_cover(act.t, org, social, current)
    await org_store.set_coverage(act.session, social, org.id, act.actor.telegram_id)
    return await card(act, org, act.t("✅ {org} now covers {social}.", org=org.name,
                                      social=social.name))
