"""/members: the member lists of the organizations a leader runs, a member's record, and its
changes (political status, role, 党小组). Every change is audited in storage."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from handlers.access.orgs import access_led_org
from handlers.access.people import access_editable_member, access_member, may_edit, shown_phone
from handlers.kit.actions import Act, CommandArgs, Reply
from handlers.kit.buttons import MembershipId, OrgId
from handlers.kit.chat import STALE_BUTTON, Refused
from handlers.kit.i18n import Html, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import person_name
from handlers.labels import MEMBER_STATUS_LABELS, ROLE_LABELS
from handlers.members import views
from handlers.members.views import NOT_ACTIVE
from handlers.menu import main_keyboard, publish_commands_for
from handlers.pickers import Picker
from rules.dates import add_months
from rules.permissions import Actor, can_appoint
from rules.vocabulary import CaseOutcome, MemberRole, MembershipState
from storage import drift_cases, people
from storage import orgs as org_store
from storage.models import Membership

logger = logging.getLogger(__name__)

PICKER = Picker(views.PICK, pick=lambda org: views.MemberList(org, 0), page=views.MembersPage,
                member_kinds_only=False)


async def members_menu(act: Act, _: CommandArgs) -> Reply | None:
    """/members: the list of the leader's branch, or a choice of organizations first."""
    return await PICKER.open(act, nothing=views.NOTHING,
                             on_one=lambda org: member_list(act, org, 0, gone=False))


async def member_list(act: Act, org_id: OrgId, page: int, *, gone: bool) -> Reply:
    org = await access_led_org(act, org_id)
    states = (MembershipState.TRANSFERRED_OUT,) if gone else (MembershipState.ACTIVE,)
    members = await people.members_of(act.session, org.id, states)
    many = act.actor.is_admin or len(act.actor.managed_org_ids) > 1
    return views.member_list(act.t, act.settings.tzinfo, OrgId(org.id), org.name, members, page,
                             gone=gone, many_orgs=many)


async def show_list(act: Act, press: views.MemberList | views.Transferred) -> Reply:
    """Active members, or those who left (their records stay)."""
    return await member_list(act, press.org, press.page,
                             gone=isinstance(press, views.Transferred))


async def card(act: Act, m: Membership, note: Html | None = None) -> Reply:
    """The record as this actor may see it (with its open six-month cases), with the buttons
    they may use."""
    return views.card(act.t, act.settings.tzinfo, m, shown_phone(act.actor, m),
                      editable=may_edit(act.actor, m),
                      may_appoint=can_appoint(act.actor, m.party_organization_id, m.role),
                      note=note, cases=await drift_cases.open_cases_of(act.session, m.id))


async def show_card(act: Act, press: views.MemberCard) -> Reply:
    return await card(act, await access_member(act, press.membership))


async def active_member(act: Act, membership_id: MembershipId, *,
                        giving: Sequence[MemberRole] | None = None) -> Membership:
    """A member the actor may change, still active; `giving` (a role change): the actor may
    give the member's present role and each of these."""
    m = await access_editable_member(act, membership_id)
    for role in [m.role, *giving] if giving is not None else []:
        act.check(can_appoint(act.actor, m.party_organization_id, role))
    if m.state is not MembershipState.ACTIVE:
        raise Refused(NOT_ACTIVE, name=person_name(act.t, m.person))
    return m


async def status_menu(act: Act, press: views.StatusMenu) -> Reply:
    """Full / probationary / activist."""
    return views.status_menu(act.t, await active_member(act, press.membership))


async def set_status(act: Act, press: views.SetStatus) -> Reply:
    m = await active_member(act, press.membership)
    if m.status is not press.status:
        await people.update_member(act.session, m, actor_telegram_id=act.actor.telegram_id,
                                   status=press.status, now=act.now())
        logger.info("user %s set status of membership %s to %s",
                    pseudonym(act.actor.telegram_id), m.id, press.status.value)
    t = act.t
    return await card(act, m, t("Status changed: {status}.",
                                status=t(MEMBER_STATUS_LABELS[m.status])))


async def excuse_menu(act: Act, press: views.ExcuseMenu) -> Reply:
    return views.excuse_menu(act.t, await active_member(act, press.membership))


async def excuse_length(act: Act, press: views.ExcuseFor) -> Reply:
    return views.excuse_length_menu(act.t, await active_member(act, press.membership),
                                    press.reason)


async def set_excuse(act: Act, press: views.SetExcuse | views.EndExcuse) -> Reply:
    """Excuse the member (the six-month rule's warnings wait), or end the excuse."""
    m, t = await active_member(act, press.membership), act.t
    if isinstance(press, views.EndExcuse):
        await people.excuse(act.session, m, None, None, actor_telegram_id=act.actor.telegram_id)
        return await card(act, m, t("The excuse ended: warnings about {name} resume.",
                              name=person_name(t, m.person)))
    act.check(press.months in views.EXCUSE_MONTHS)
    until = add_months(act.today(), press.months) if press.months else None
    await people.excuse(act.session, m, press.reason, until,
                        actor_telegram_id=act.actor.telegram_id)
    await drift_cases.settle(act.session, m.id, CaseOutcome.EXCUSED,
                             by=act.actor.telegram_id, now=act.now())
    return await card(act, m, t("{name} is excused from organizational life.",
                          name=person_name(t, m.person)))


async def report_case(act: Act, press: views.ReportCase) -> Reply:
    """The branch reported the member's six-month case to the level above: it is settled."""
    m, t = await active_member(act, press.membership), act.t
    settled = await drift_cases.settle(act.session, m.id, CaseOutcome.REPORTED,
                                       by=act.actor.telegram_id, now=act.now())
    return await card(act, m, t("Recorded: the case was reported to the level above.")
                      if settled else t("No case of this member is open any more."))


async def role_menu(act: Act, press: views.RoleMenu) -> Reply:
    """The roles this actor may give (secretaries and deputies are appointed from above)."""
    m = await active_member(act, press.membership, giving=())
    roles = [role for role in views.ROLE_CHOICES
             if can_appoint(act.actor, m.party_organization_id, role)]
    return views.role_menu(act.t, m, roles)


async def sitting_secretaries(act: Act, m: Membership) -> list[Membership]:
    """The organization's secretaries other than `m`."""
    members = await people.members_of(act.session, m.party_organization_id,
                                      (MembershipState.ACTIVE,))
    return [o for o in members if o.role is MemberRole.SECRETARY and o.id != m.id]


async def appoint(act: Act, m: Membership, role: MemberRole) -> tuple[Actor, list[Actor]]:
    """Appoint (a new secretary makes the sitting one a committee member): the appointee and
    the others whose role changed, as actors, for their menus."""
    previous = await sitting_secretaries(act, m) if role is MemberRole.SECRETARY else []
    await people.appoint(act.session, m, role, actor_telegram_id=act.actor.telegram_id,
                         now=act.now())
    changed = [await people.load_actor(act.session, o.person.telegram_id,
                                       admins=act.settings.admins, language=o.person.language)
               for o in [m, *previous]]
    return changed[0], changed[1:]


async def set_role(act: Act, press: views.SetRole) -> Reply:
    """Appoint; everyone whose role changes gets a new menu and is told in their language."""
    role = press.role
    m = await active_member(act, press.membership, giving=[role])
    if m.role is not role:
        appointee, previous = await appoint(act, m, role)
        logger.info("user %s set role of membership %s to %s", pseudonym(act.actor.telegram_id),
                    m.id, role.value)
        for member in [*previous, appointee]:
            t = translator(member.language)
            new_menu(act, member, t("Your role in {branch} is now: {role}.",
                                    branch=m.party_organization.name,
                                    role=t(ROLE_LABELS[member.role or MemberRole.MEMBER])))
    return await card(act, m, act.t("Role changed: {role}.", role=act.t(ROLE_LABELS[role])))


def new_menu(act: Act, member: Actor, text: Html | None = None) -> None:
    """After the reply: the member's command menu follows their role; `text` tells them why,
    with their new keyboard."""
    application = act.context.application
    act.after(lambda: publish_commands_for(application, member))
    if text is not None:
        act.deliver([(member.telegram_id, text, main_keyboard(member))])


async def group_menu(act: Act, press: views.GroupMenu) -> Reply:
    """The branch's 党小组, and "none"."""
    m = await active_member(act, press.membership)
    groups = await org_store.groups_of(act.session, m.party_organization_id)
    return views.group_menu(act.t, m, groups)


async def set_group(act: Act, press: views.SetGroup) -> Reply:
    """Put the member into one of their branch's groups (0: none)."""
    m = await active_member(act, press.membership)
    groups = {g.id: g.name for g in await org_store.groups_of(act.session,
                                                              m.party_organization_id)}
    if press.group and press.group not in groups:
        raise Refused(STALE_BUTTON)  # a group of another branch, or deleted
    group = press.group or None
    if m.party_group_id != group:
        await people.update_member(act.session, m, actor_telegram_id=act.actor.telegram_id,
                                   party_group_id=group, now=act.now())
        await act.session.refresh(m, ["party_group"])
        logger.info("user %s put membership %s into group %s", pseudonym(act.actor.telegram_id),
                    m.id, group)
    t = act.t
    return await card(act, m, t("Party group: {group}",
                                group=groups[group] if group else t("none")))
