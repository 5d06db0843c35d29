"""An unanswered transfer letter reminds the receiving secretary every three days while it is
valid; past its last day it expires, and the sending secretary and the member are told that the
membership stayed (issue 16). Planner and courier run on the test's clock."""

from __future__ import annotations

from datetime import timedelta

from rules.vocabulary import MemberRole, MembershipState, MemberStatus, PartyOrgKind
from storage import orgs, people, transfers
from tests.chat.test_drift import membership_of
from tests.chat.test_reminders import ALICE, SECRETARY, T0, World, world
from tests.harness import ADMIN_ID, Bot

SECRETARY_B = 81_010
WAITING = "waits for your answer"
EXPIRED = "has expired"


async def branch_b(w: World) -> int:
    assert w.bot.app is not None
    w.bot.emulator.add_user(SECRETARY_B, "SecB", language_code="en").started = True
    async with w.bot.app.database.session() as session:
        branch = await orgs.create_party_org(
            session, name="Branch B", kind=PartyOrgKind.BRANCH, parent_id=w.committee,
            actor_telegram_id=ADMIN_ID)
        await people.appoint_by_telegram_id(
            session, branch, SECRETARY_B, MemberRole.SECRETARY, status=MemberStatus.FULL,
            actor_telegram_id=ADMIN_ID, language="en")
        return branch.id


def said(w: World, telegram_id: int, words: str) -> list[str]:
    return [text for text in w.texts(telegram_id) if words in text]


async def test_an_unanswered_letter_reminds_then_expires_back_to_the_sender(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    to_branch = await branch_b(w)
    alice = await membership_of(w, ALICE)
    async with bot.app.database.session() as session:
        letter = await transfers.issue_between(session, alice.id, to_branch, by=SECRETARY,
                                               now=T0, today=T0.date())
        number = letter.letter_number
    await w.plan(T0)
    await w.plan(T0 + timedelta(days=2))
    assert said(w, SECRETARY_B, WAITING) == []  # not before three days

    for day in range(3, 31):
        await w.plan(T0 + timedelta(days=day))
    reminders = said(w, SECRETARY_B, WAITING)
    assert len(reminders) == 10  # days 3, 6, … 30: every three days, once each
    assert f"The transfer letter {number} for Name {ALICE} from Branch A" in reminders[0]
    assert said(w, SECRETARY, EXPIRED) == [] and said(w, ALICE, EXPIRED) == []

    for day in range(31, 36):  # its last day (day 30, local) is over
        await w.plan(T0 + timedelta(days=day))
    assert len(said(w, SECRETARY_B, WAITING)) == 10  # no reminder once expired
    [to_sender] = said(w, SECRETARY, EXPIRED)
    assert f"{number} for Name {ALICE} to Branch B" in to_sender
    assert "the membership stays with Branch A" in to_sender
    [to_member] = said(w, ALICE, EXPIRED)
    assert "you remain a member of Branch A" in to_member
    still = await membership_of(w, ALICE)
    assert (still.id, still.state) == (alice.id, MembershipState.ACTIVE)
