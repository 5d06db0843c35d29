"""The only way an action loads what a press points at: each access_* checks the actor may.

Like Zulip's access_* functions: an object comes back only if the actor may see (or act on) it;
otherwise the action stops with "not allowed" (logged), or "no longer valid" if it is gone.
"""

from __future__ import annotations

from handlers.kit.actions import Act
from handlers.kit.buttons import AttendanceId, OrgId
from handlers.kit.chat import STALE_BUTTON
from rules.permissions import can_manage_org
from storage import makeups as makeup_store
from storage import orgs as org_store
from storage.models import PartyOrganization


async def access_led_org(act: Act, org_id: OrgId) -> PartyOrganization:
    """An organization the actor runs (admins: any)."""
    act.check(can_manage_org(act.actor, org_id))
    org = await org_store.get_party_org(act.session, org_id)
    if org is None:
        act.refuse(STALE_BUTTON)
    return org


async def access_led_attendance(act: Act, attendance_id: AttendanceId) -> OrgId:
    """An attendance line of a member of an organization the actor runs; its organization."""
    org_id = await makeup_store.org_of(act.session, attendance_id)
    if org_id is None:
        act.refuse(STALE_BUTTON)
    act.check(can_manage_org(act.actor, org_id))
    return OrgId(org_id)
