"""Organizations a press points at."""

from __future__ import annotations

from handlers.access import found
from handlers.kit.actions import Act, Checker
from handlers.kit.buttons import OrgId
from rules.permissions import can_edit_tree, can_manage_org
from rules.tree import MEMBER_KINDS
from storage import orgs as org_store
from storage.models import PartyOrganization, SocialOrganization


async def access_led_org(act: Checker, org_id: OrgId) -> PartyOrganization:
    """An organization the actor runs (admins: any)."""
    act.check(can_manage_org(act.actor, org_id))
    return found(act, await org_store.get_party_org(act.session, org_id))


async def access_tree_org(act: Act, org_id: OrgId) -> PartyOrganization:
    """A party organization of the tree, for someone who may change the tree (admins)."""
    act.check(can_edit_tree(act.actor))
    return found(act, await org_store.get_party_org(act.session, org_id))


async def access_social_org(act: Act, social_id: int) -> SocialOrganization:
    """A social organization, for someone who may change the tree (admins)."""
    act.check(can_edit_tree(act.actor))
    socials = await org_store.social_orgs(act.session)
    return found(act, next((s for s in socials if s.id == social_id), None))


async def access_member_branch(act: Act, org_id: int, allowed: bool) -> PartyOrganization:
    """A branch (an organization with members) the actor was `allowed` to act on."""
    act.check(allowed)
    org = found(act, await org_store.get_party_org(act.session, org_id))
    act.check(org.kind in MEMBER_KINDS)
    return org
