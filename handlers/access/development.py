"""Member development a press points at: a person's development under way, for the leaders of
its branch (and admins above); the person sees their own. Thought reports and talks are
personal: nobody else."""

from __future__ import annotations

from handlers.access import found
from handlers.kit.actions import Act
from rules.permissions import can_manage_org
from storage import development
from storage.models import DevelopmentRecord, ThoughtReport


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


async def access_guided(act: Act, person_id: int) -> tuple[DevelopmentRecord, bool]:
    """A person's development under way, for the leaders of its branch (and admins above) and
    the person's assigned contacts (培养联系人); the flag says whether the actor leads it."""
    record = found(act, await development.open_record_of(act.session, person_id), leaders=True)
    if can_manage_org(act.actor, record.party_organization_id):
        return record, True
    act.check(await development.is_contact(act.session, record.id, act.actor.person_id))
    return record, False


async def access_thought_report(act: Act, report_id: int) -> tuple[ThoughtReport,
                                                                   DevelopmentRecord]:
    """A 思想汇报, for the person's contacts and the leaders of the branch only."""
    report = found(act, await development.thought_report(act.session, report_id))
    record = await act.session.get(DevelopmentRecord, report.record_id)
    record = found(act, record if record is not None and record.closed_on is None else None,
                   leaders=True)
    await access_guided(act, record.person_id)
    return report, record
