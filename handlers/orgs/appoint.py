"""Appointing a secretary, deputy or committee member from an organization's active members;
a new secretary makes the sitting one a committee member (asked first)."""

from __future__ import annotations

from handlers.access.orgs import access_tree_org
from handlers.access.people import access_member
from handlers.kit.actions import Act, Reply
from handlers.kit.buttons import MembershipId
from handlers.kit.chat import STALE_BUTTON, Refused
from handlers.kit.i18n import translator
from handlers.kit.ui import person_name
from handlers.labels import ROLE_LABELS
from handlers.members import records
from handlers.orgs import views
from handlers.orgs.browse import card
from handlers.orgs.views import APPOINTABLE_ROLES, NOT_ACTIVE, Appoint, ConfirmAppointment
from rules.permissions import COMMITTEE_ROLES, can_appoint
from rules.vocabulary import MemberRole, MembershipState
from storage import people
from storage.models import Membership

ACTIVE = (MembershipState.ACTIVE,)


async def list_appointees(act: Act, press: views.Appointees) -> Reply:
    org = await access_tree_org(act, press.org)
    members = await people.members_of(act.session, org.id, ACTIVE)
    return views.appointees(act.t, org, members, press.page)


async def appointable(act: Act, membership_id: MembershipId,
                      role: MemberRole | None) -> Membership:
    """An active membership the actor may appoint to `role` (None: to any committee role)."""
    if role is not None and role not in COMMITTEE_ROLES:
        raise Refused(STALE_BUTTON)
    membership = await access_member(act, membership_id)
    if membership.state is not MembershipState.ACTIVE:
        raise Refused(NOT_ACTIVE, name=membership.person.real_name or "?")
    for checked in [role] if role is not None else APPOINTABLE_ROLES:
        act.check(can_appoint(act.actor, membership.party_organization_id, checked))
    return membership


async def choose_appointee(act: Act, press: views.ChooseAppointee) -> Reply:
    return views.roles_for(act.t, await appointable(act, press.membership, None))


async def appoint(act: Act, press: Appoint | ConfirmAppointment) -> Reply:
    """Appoint (replacing a sitting secretary asks first); after the reply, the menus of those
    whose role changed follow and the appointee is told."""
    t, role = act.t, press.role
    m = await appointable(act, press.membership, role)
    if isinstance(press, Appoint) and role is MemberRole.SECRETARY:
        sitting = await records.sitting_secretaries(act, m)
        if sitting:
            return views.replace_secretary(t, m, sitting, role)
    try:
        who, previous = await records.appoint(act, m, role)
    except people.MembershipError:
        raise Refused(NOT_ACTIVE, name=m.person.real_name or "?") from None
    org = m.party_organization
    for actor in previous:
        records.new_menu(act, actor)
    records.new_menu(act, who, views.appointed_text(translator(who.language), role, org.name))
    return await card(act, org, t("✅ {name} is now {role} of {org}.",
                                  name=person_name(t, m.person), role=t(ROLE_LABELS[role]),
                                  org=org.name))
