"""Registrations (memberships) a leader decides on."""

from __future__ import annotations

from handlers.kit.actions import Act
from handlers.kit.buttons import MembershipId
from handlers.kit.chat import STALE_BUTTON
from rules.permissions import can_manage_org
from storage import people
from storage.models import Membership


async def access_registration(act: Act, membership_id: MembershipId) -> Membership:
    """A membership (its person and organization loaded) of an organization the actor runs;
    whether it is still pending is for the decision to tell."""
    membership = await people.membership_with_person(act.session, membership_id)
    if membership is None:
        act.refuse(STALE_BUTTON)
    act.check(can_manage_org(act.actor, membership.party_organization_id))
    return membership
