"""The democratic appraisal a press points at: a branch's board (its committee and the leaders
above), a branch its secretary, deputy or a leader above runs, a member of it whose result is
recorded; a member's own part (their branch's appraisal) and a fellow member they grade."""

from __future__ import annotations

from handlers.access import found
from handlers.access.orgs import access_member_branch
from handlers.kit.actions import Act
from rules.appraisal import can_run, can_see_board
from storage import appraisal
from storage.appraisal import Appraisee
from storage.models import Appraisal, PartyOrganization


async def access_appraisal_board(act: Act, org_id: int) -> PartyOrganization:
    """A branch (an organization with members) whose board the actor sees (admins: any)."""
    return await access_member_branch(act, org_id, can_see_board(act.actor, org_id))


async def access_appraisal_running(act: Act, org_id: int) -> PartyOrganization:
    """A branch whose appraisal the actor opens, closes and records results of."""
    act.check(can_run(act.actor, org_id))
    return await access_appraisal_board(act, org_id)


async def access_appraised(act: Act, org_id: int, person_id: int) -> Appraisee:
    """A full or probationary member of a branch the actor runs the appraisal of."""
    await access_appraisal_running(act, org_id)
    member = next(iter(await appraisal.appraisees(act.session, org_id, only=person_id)), None)
    return found(act, member)


async def access_own_part(act: Act) -> tuple[Appraisee, Appraisal | None]:
    """The actor as an appraised member of their branch, and its current appraisal."""
    actor = act.actor
    act.check(actor.is_member and actor.org_id is not None and actor.person_id is not None)
    assert actor.org_id is not None and actor.person_id is not None
    me = next(iter(await appraisal.appraisees(act.session, actor.org_id,
                                              only=actor.person_id)), None)
    act.check(me is not None)
    assert me is not None
    return me, await appraisal.current(act.session, actor.org_id, act.today().year)


async def access_peer(act: Act, person_id: int) -> tuple[Appraisee, Appraisee, Appraisal | None]:
    """Another appraised member of the actor's branch (never the actor): the actor, them, and
    the branch's current appraisal."""
    me, current = await access_own_part(act)
    act.check(person_id != me.person_id)
    assert act.actor.org_id is not None
    peer = next(iter(await appraisal.appraisees(act.session, act.actor.org_id,
                                                only=person_id)), None)
    act.check(peer is not None)
    assert peer is not None
    return me, peer, current
