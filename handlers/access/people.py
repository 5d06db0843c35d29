"""Memberships (and the people behind them) a press points at."""

from __future__ import annotations

from handlers.access import found
from handlers.kit.actions import Act
from handlers.kit.buttons import MembershipId
from rules.permissions import Actor, can_edit_member, can_manage_org, can_see_phone
from rules.validation import mask_phone
from storage import people
from storage.models import Membership


async def access_member(act: Act, membership_id: MembershipId) -> Membership:
    """A membership (its person, organization and group loaded) of an organization the actor
    runs (admins: any)."""
    membership = found(act, await people.membership_with_person(act.session, membership_id))
    act.check(can_manage_org(act.actor, membership.party_organization_id))
    return membership


async def access_editable_member(act: Act, membership_id: MembershipId) -> Membership:
    """A membership the actor may change: of an organization they run, and not their own
    (unless they run an organization above it)."""
    membership = await access_member(act, membership_id)
    act.check(may_edit(act.actor, membership))
    return membership


def may_edit(actor: Actor, membership: Membership) -> bool:
    return can_edit_member(actor, membership.party_organization_id, membership.person_id)


def shown_phone(actor: Actor, membership: Membership) -> str | None:
    """The member's phone as the actor may see it: whole, or masked."""
    phone = membership.person.phone
    seen = can_see_phone(actor, membership.party_organization_id, membership.person_id)
    return phone if seen else mask_phone(phone)
