"""Talks a press points at: a branch's (its secretary, deputy and committee members, and the
leaders above), and a member of it to record a talk with. The member is not told: talk records
are for the branch's leaders."""

from __future__ import annotations

from handlers.access import found
from handlers.access.orgs import access_member_branch
from handlers.kit.actions import Act
from rules.talks import can_keep_talks, can_record_talk
from storage import talks
from storage.models import PartyOrganization
from storage.talks import Candidate


async def access_talks_branch(act: Act, org_id: int) -> PartyOrganization:
    """A branch (an organization with members) whose talks the actor keeps (admins: any)."""
    return await access_member_branch(act, org_id, can_keep_talks(act.actor, org_id))


async def access_talks_recording(act: Act, org_id: int) -> PartyOrganization:
    """A branch the actor may record a talk of (by whom: a person)."""
    act.check(can_record_talk(act.actor, org_id))
    return await access_talks_branch(act, org_id)


async def access_talk_member(act: Act, org_id: int, person_id: int) -> Candidate:
    """A party member of a branch the actor records talks of, not the actor."""
    await access_talks_recording(act, org_id)
    member = next(iter(await talks.candidates(act.session, org_id, act.today().year,
                                              besides=act.actor.person_id, only=person_id)),
                  None)
    return found(act, member)
