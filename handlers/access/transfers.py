"""Transfer letters a press points at: the member's own, or one to or from an organization the
actor runs; answering needs the receiving side, withdrawing the sending side."""

from __future__ import annotations

from handlers.access import found
from handlers.kit.actions import Act
from rules.permissions import can_manage_org
from storage import transfers
from storage.transfers import Letter


async def access_letter(act: Act, transfer_id: int) -> Letter:
    letter = found(act, next(iter(await transfers.letters(act.session, ids=[transfer_id])), None))
    act.check(letter.person_id == act.actor.person_id or runs_receiver(act, letter)
              or runs_sender(act, letter))
    return letter


async def access_answerable_letter(act: Act, transfer_id: int) -> Letter:
    """A letter addressed to an organization the actor runs (accept or return it)."""
    letter = await access_letter(act, transfer_id)
    act.check(runs_receiver(act, letter))
    return letter


async def access_withdrawable_letter(act: Act, transfer_id: int) -> Letter:
    """A letter from an organization the actor runs (take it back)."""
    letter = await access_letter(act, transfer_id)
    act.check(runs_sender(act, letter))
    return letter


def runs_receiver(act: Act, letter: Letter) -> bool:
    return letter.to_org_id is not None and can_manage_org(act.actor, letter.to_org_id)


def runs_sender(act: Act, letter: Letter) -> bool:
    return letter.from_org_id is not None and can_manage_org(act.actor, letter.from_org_id)
