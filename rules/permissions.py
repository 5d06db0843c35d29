"""Who may do what: plain checks over an Actor, evaluated on the server for every action."""

from __future__ import annotations

from dataclasses import dataclass, field

from rules.vocabulary import MemberRole, MembershipState

# Roles that run a branch (书记, 副书记): approve members, invite, edit members.
LEADING_ROLES = frozenset({MemberRole.SECRETARY, MemberRole.DEPUTY_SECRETARY})
# Roles on the branch committee (支部委员会): leading roles plus 委员.
COMMITTEE_ROLES = LEADING_ROLES | {MemberRole.COMMITTEE_MEMBER}


@dataclass(frozen=True)
class Actor:
    """The person behind an update, as far as permissions are concerned."""

    telegram_id: int
    language: str
    is_admin: bool = False
    person_id: int | None = None
    membership_id: int | None = None
    org_id: int | None = None
    state: MembershipState | None = None
    role: MemberRole | None = None
    # Organizations the actor leads, with everything below them.
    managed_org_ids: frozenset[int] = field(default_factory=frozenset)
    # Organizations strictly below the ones the actor leads.
    subordinate_org_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_member(self) -> bool:
        return self.state is MembershipState.ACTIVE

    @property
    def is_pending(self) -> bool:
        return self.state is MembershipState.PENDING

    @property
    def leads_a_branch(self) -> bool:
        return self.is_member and self.role in LEADING_ROLES

    @property
    def kind(self) -> str:
        """admin, secretary, member or guest: decides the menu and the help text."""
        if self.is_admin:
            return "admin"
        if self.leads_a_branch:
            return "secretary"
        if self.is_member:
            return "member"
        return "guest"


def can_edit_tree(actor: Actor) -> bool:
    """Creating organizations and setting terms is for the upper level (configured admins)."""
    return actor.is_admin


def can_manage_org(actor: Actor, org_id: int) -> bool:
    """Approve, invite, list and edit members: the org's leaders, or anyone above them."""
    return actor.is_admin or org_id in actor.managed_org_ids


def can_appoint(actor: Actor, org_id: int, role: MemberRole) -> bool:
    """Secretaries and deputies are appointed from above; committee members by the branch too."""
    if actor.is_admin:
        return True
    if role in LEADING_ROLES:
        return org_id in actor.subordinate_org_ids
    return can_manage_org(actor, org_id)


def can_edit_member(actor: Actor, org_id: int, member_person_id: int) -> bool:
    """A leader edits the members of their branch, but not their own record's role."""
    if not can_manage_org(actor, org_id):
        return False
    return actor.is_admin or member_person_id != actor.person_id or org_id in (
        actor.subordinate_org_ids
    )


def can_see_phone(actor: Actor, org_id: int | None, person_id: int) -> bool:
    """Phones are shown to the person, their own branch's leaders and admins; masked otherwise."""
    if actor.person_id == person_id or actor.is_admin:
        return True
    return org_id is not None and actor.leads_a_branch and actor.org_id == org_id
