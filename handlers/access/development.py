"""Member development a press points at: a person's development under way, for the leaders of
its branch (and admins above); the person sees their own. Thought reports and talks are
personal: nobody else."""

from __future__ import annotations

from handlers.access import found
from handlers.kit.actions import Act
from rules.permissions import can_manage_org
from storage import development
from storage.models import DevelopmentRecord


async def access_development(act: Act, person_id: int) -> DevelopmentRecord:
    """A person's development under way in a branch the actor runs."""
    record = found(act, await development.open_record_of(act.session, person_id), leaders=True)
    act.check(can_manage_org(act.actor, record.party_organization_id))
    return record


async def own_development(act: Act) -> DevelopmentRecord | None:
    """The actor's own development under way, if any."""
    if act.actor.person_id is None:
        return None
    return await development.open_record_of(act.session, act.actor.person_id)
