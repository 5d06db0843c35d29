"""Attendance lines a press points at."""

from __future__ import annotations

from handlers.access import found
from handlers.kit.actions import Act
from handlers.kit.buttons import AttendanceId, OrgId
from rules.permissions import can_manage_org
from storage import makeups as makeup_store


async def access_led_attendance(act: Act, attendance_id: AttendanceId) -> OrgId:
    """An attendance line of a member of an organization the actor runs; its organization."""
    org_id = found(act, await makeup_store.org_of(act.session, attendance_id))
    act.check(can_manage_org(act.actor, org_id))
    return OrgId(org_id)
