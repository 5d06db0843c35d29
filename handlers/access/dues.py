"""Dues a press points at: a branch's (its leaders and the admins above) and a member's (their
own branch's leaders). Income bases are personal: only the member, their secretary and admins."""

from __future__ import annotations

from handlers.access import found
from handlers.kit.actions import Act
from rules.permissions import can_manage_org
from rules.tree import MEMBER_KINDS
from rules.vocabulary import MembershipState
from storage import orgs, people
from storage.models import Membership, PartyOrganization


async def access_dues_branch(act: Act, org_id: int) -> PartyOrganization:
    """A branch (an organization with members) the actor runs (admins: any)."""
    act.check(can_manage_org(act.actor, org_id))
    org = found(act, await orgs.get_party_org(act.session, org_id))
    act.check(org.kind in MEMBER_KINDS)
    return org


async def access_dues_member(act: Act, person_id: int) -> Membership:
    """A person's active membership (person and organization loaded) in a branch the actor
    runs: whose dues the actor records and confirms."""
    current = found(act, await people.current_membership(act.session, person_id),
                    leaders=True)
    act.check(can_manage_org(act.actor, current.party_organization_id))
    if current.state is not MembershipState.ACTIVE:
        act.refuse()
    return found(act, await people.membership_with_person(act.session, current.id))


def own_membership(act: Act) -> int:
    """The actor's own active membership's organization (a member's own dues)."""
    act.check(act.actor.is_member and act.actor.org_id is not None
              and act.actor.person_id is not None)
    assert act.actor.org_id is not None
    return act.actor.org_id
