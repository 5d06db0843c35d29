"""Reporting duties, their occurrences and committee terms a press points at."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.access import found
from handlers.access.orgs import access_led_org
from handlers.kit.actions import Act
from handlers.kit.buttons import DutyId, OrgId
from handlers.kit.chat import STALE_BUTTON
from rules.duties import DutyOccurrence
from storage import duties as store
from storage import orgs as org_store
from storage.holiday_calendar import work_calendar
from storage.models import Duty, PartyOrganization


async def access_calendar_duty(act: Act, duty_id: DutyId) -> Duty:
    """A duty of the calendar, which only admins edit."""
    act.check(act.actor.is_admin)
    return found(act, await act.session.get(Duty, duty_id))


async def access_occurrence(act: Act, duty_id: DutyId, org_id: OrgId,
                            key: str) -> tuple[PartyOrganization, Duty, DutyOccurrence]:
    """An occurrence of a duty that falls on an organization the actor runs."""
    org = await access_led_org(act, org_id)
    duty = await act.session.get(Duty, duty_id)
    if duty is None or duty.id not in {d.id for d in await store.duties_for(act.session, org)}:
        act.refuse(STALE_BUTTON)
    calendar = await work_calendar(act.session)
    return org, duty, found(act, store.occurrence_of(duty, org, key, act.today(), calendar))


async def access_duty_documents(act: Act, duty_id: DutyId, org_id: OrgId
                                ) -> tuple[PartyOrganization, Duty, list[store.DutyDocument]]:
    """The documents an organization the actor runs handed in for a duty (the deadlines view's
    check); none is a stale press."""
    org = await access_led_org(act, org_id)
    duty = found(act, await act.session.get(Duty, duty_id))
    handed_in = await store.documents(act.session, org.id, duty.id)
    act.check(bool(handed_in), STALE_BUTTON)
    return org, duty, handed_in


async def dues_duty(session: AsyncSession, org: PartyOrganization) -> Duty | None:
    """The dues duty when it falls on this organization (not switched off)."""
    return next((d for d in await store.duties_for(session, org) if d.code == "dues"), None)


async def access_dues_duty(act: Act, org_id: OrgId) -> tuple[PartyOrganization, Duty]:
    """An organization the actor runs, with the dues duty that falls on it."""
    org = await access_led_org(act, org_id)
    return org, found(act, await dues_duty(act.session, org))


async def access_duty_scope(act: Act, org_id: OrgId) -> PartyOrganization | None:
    """Where a new deadline applies: 0 is every organization (admins), else one the actor
    runs."""
    if org_id == 0:
        act.check(act.actor.is_admin)
        return None
    return await access_led_org(act, org_id)


async def access_term(act: Act, org_id: OrgId) -> tuple[PartyOrganization, store.TermLine]:
    """An organization with a recorded term, for an admin to record its renewal."""
    act.check(act.actor.is_admin)
    org = found(act, await org_store.get_party_org(act.session, org_id))
    return org, found(act, store.term_line(org))
