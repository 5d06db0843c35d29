"""/transfer through the chat (issue 16): a member asks, their secretary issues a letter to a
branch found by part of its name (with a printable .docx), the receiving secretary accepts it
and the membership moves in one go; a letter can be returned with a reason or withdrawn, and one
to an organization outside the bot ends the membership at once. Everyone concerned is told."""

from __future__ import annotations

import io

from docx import Document
from sqlalchemy import select

from rules.vocabulary import MembershipState, TransferState
from storage.models import Membership, MembershipTransfer, Person
from tests.chat.test_members_chat import ALICE, BOB, DAVE, SEC_A, SEC_B, Seed, seed
from tests.harness import Bot
from tests.harness import Person as Someone


async def memberships(bot: Bot, telegram_id: int) -> list[tuple[str, MembershipState]]:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        rows = await session.execute(
            select(Membership.party_organization_id, Membership.state)
            .join(Person, Person.id == Membership.person_id)
            .where(Person.telegram_id == telegram_id).order_by(Membership.id))
        return [(str(org), state) for org, state in rows.all()]


async def letter_states(bot: Bot) -> list[TransferState]:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        return list((await session.scalars(
            select(MembershipTransfer.state).order_by(MembershipTransfer.id))).all())


def docx_text(bot: Bot, user_id: int) -> str:
    [document] = [m for m in bot.emulator.bot_messages(user_id) if m.kind == "document"]
    opened = Document(io.BytesIO(bot.emulator.file_bytes(document.file_id)))
    return "\n".join(paragraph.text for paragraph in opened.paragraphs)


async def issue_to_branch_b(secretary: Someone, *, start: str) -> None:
    """The secretary goes through the letter's questions from the button `start`."""
    await secretary.tap(start)
    assert "to a branch in this bot, or to an organization outside it?" in secretary.last_text
    await secretary.tap("A branch in the bot")
    assert "Type part of the receiving branch's name" in secretary.last_text
    await secretary.say("nowhere")
    assert "No branch's name holds “nowhere”" in secretary.last_text
    await secretary.say("branch")
    # Branch A is the member's own: only B is offered.
    assert secretary.buttons() == ["Branch B", "‹ Back", "Cancel"]
    await secretary.tap("Branch B")
    assert "Issue a transfer letter for Alice Wang?" in secretary.last_text
    assert "Valid for 30 days." in secretary.last_text
    await secretary.tap("📨 Issue the letter")


async def test_a_member_asks_and_moves_to_another_branch_when_it_accepts(bot: Bot) -> None:
    s: Seed = await seed(bot)
    alice = bot.person(ALICE, "Alice", language_code="en")
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    sec_b = bot.person(SEC_B, "Sec B", language_code="en")
    for secretary in (sec_a, sec_b):
        await secretary.say("/transfer")
        assert "No transfer letters of your branches yet" in secretary.last_text

    await alice.say("/transfer")
    assert "You have no transfer letters" in alice.last_text
    await alice.tap("📨 Ask for a transfer")
    await alice.say("Branch B, across the river")
    await alice.tap("📨 Ask my secretary")
    assert "Your secretary was asked." in alice.last_text
    assert "Alice Wang asks for a transfer letter to: Branch B, across the river." in (
        sec_a.last_text)

    await issue_to_branch_b(sec_a, start="📨 Issue a letter")
    assert any("📨 The letter was issued." in text for text in sec_a.texts())
    letter = docx_text(bot, SEC_A)
    assert "To Branch B:" in letter and "Comrade Alice Wang (Full member)" in letter
    assert "No Party dues are recorded as paid." in letter
    assert "Your branch issued a transfer letter" in alice.last_text
    assert "waits for your answer" in sec_b.last_text
    assert await memberships(bot, ALICE) == [(str(s.branch_a), MembershipState.ACTIVE)]

    await sec_b.tap("Open the letter")
    assert "Member: Alice Wang (Full member)" in sec_b.last_text
    await sec_b.tap("✅ Accept")
    assert "Accept Alice Wang into Branch B?" in sec_b.last_text
    await sec_b.tap("✅ Accept the member")
    assert "✅ Alice Wang is now a member of Branch B." in sec_b.last_text
    assert "✅ Accept" not in sec_b.buttons()

    assert await memberships(bot, ALICE) == [(str(s.branch_a), MembershipState.TRANSFERRED_OUT),
                                             (str(s.branch_b), MembershipState.ACTIVE)]
    assert "you are now a member of Branch B" in alice.last_text
    assert "Branch B accepted the transfer letter" in sec_a.last_text

    # The confirmation pressed again changes nothing and says why.
    await sec_b.forge(f"tf:accok:{(await bot_letter_ids(bot))[0]}")
    assert "This letter was answered already." in sec_b.last_text
    assert await letter_states(bot) == [TransferState.ACCEPTED]


async def test_a_letter_is_returned_with_a_reason_or_withdrawn(bot: Bot) -> None:
    s = await seed(bot)
    alice = bot.person(ALICE, "Alice", language_code="en")
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    sec_b = bot.person(SEC_B, "Sec B", language_code="en")
    bob = bot.person(BOB, "Bob", language_code="en")
    for secretary in (sec_a, sec_b):
        await secretary.say("/transfer")
    await alice.say("/transfer")
    await alice.tap("📨 Ask for a transfer")
    await alice.say("Branch B")
    await alice.tap("📨 Ask my secretary")
    await issue_to_branch_b(sec_a, start="📨 Issue a letter")

    # Someone else's press is refused and nothing changes (callback data can be forged).
    letter_id = (await bot_letter_ids(bot))[0]
    await bob.say("/transfer")
    await bob.forge(f"tf:accok:{letter_id}")
    assert "not allowed" in bob.alerts()[-1]
    assert await letter_states(bot) == [TransferState.WAITING]

    await sec_b.tap("Open the letter")
    await sec_b.tap("↩️ Return")
    assert "Why is the letter for Alice Wang returned?" in sec_b.last_text
    await sec_b.say("We have no such member on our list")
    await sec_b.tap("↩️ Return the letter")
    assert "The letter was returned." in sec_b.last_text
    assert ("returned your transfer letter: We have no such member on our list. You remain a "
            "member of Branch A.") in alice.last_text
    assert "returned the transfer letter" in sec_a.last_text
    assert await memberships(bot, ALICE) == [(str(s.branch_a), MembershipState.ACTIVE)]

    # A second letter, withdrawn by its sender before an answer.
    await alice.say("/transfer")
    await alice.tap("📨 Ask for a transfer")
    await alice.say("Branch B")
    await alice.tap("📨 Ask my secretary")
    await issue_to_branch_b(sec_a, start="📨 Issue a letter")
    await sec_a.say("/transfer")
    assert "1 waiting for an answer" in sec_a.last_text
    await sec_a.tap("⏳ waiting")
    await sec_a.tap("✖️ Withdraw the letter")
    await sec_a.tap("✖️ Withdraw the letter")
    assert "The letter was withdrawn." in sec_a.last_text
    assert "was withdrawn: you remain a member of Branch A" in alice.last_text
    assert "withdrew the transfer letter" in sec_b.last_text
    assert await letter_states(bot) == [TransferState.RETURNED, TransferState.WITHDRAWN]


async def bot_letter_ids(bot: Bot) -> list[int]:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        return list((await session.scalars(
            select(MembershipTransfer.id).order_by(MembershipTransfer.id))).all())


async def test_a_letter_to_an_organization_outside_the_bot_ends_the_membership_at_once(
    bot: Bot,
) -> None:
    s = await seed(bot)
    alice = bot.person(ALICE, "Alice", language_code="en")
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    await sec_a.say("/transfer")
    await alice.say("/transfer")
    await alice.tap("📨 Ask for a transfer")
    await alice.say("Shanghai Pudong Branch")
    await alice.tap("📨 Ask my secretary")

    await sec_a.tap("📨 Issue a letter")
    await sec_a.tap("An organization outside the bot")
    await sec_a.say("Shanghai Pudong Branch")
    assert "The membership ends here now" in sec_a.last_text
    await sec_a.tap("📨 Issue the letter")
    assert "To Shanghai Pudong Branch:" in docx_text(bot, SEC_A)
    assert "transferred out to Shanghai Pudong Branch" in alice.last_text
    assert await memberships(bot, ALICE) == [(str(s.branch_a), MembershipState.TRANSFERRED_OUT)]
    assert await letter_states(bot) == [TransferState.ACCEPTED]
    # No longer a member: the keyboard and the letter list say so.
    assert "👥 Members" not in alice.keyboard()
    await alice.say("/transfer")
    assert "Shanghai Pudong Branch" in " ".join(alice.buttons())


async def test_a_registration_brings_a_letter_from_outside_accepted_with_it(bot: Bot) -> None:
    s = await seed(bot, pending=True)
    dave = bot.person(DAVE, "Dave", language_code="en")
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    await sec_a.say("/transfer")
    await dave.say("/transfer")
    await dave.tap("📨 I bring a letter from another organization")
    await dave.say("Tianjin Binhai Branch")
    await dave.say("〔2026〕第 12 号")
    await dave.say("May")
    assert "Please type the month like 2026-05." in dave.last_text
    await dave.say("2026年5月")
    assert "No. 〔2026〕第12号" in dave.last_text
    assert "Party dues paid up to: 2026-05" in dave.last_text
    await dave.tap("📨 Tell my secretary")
    assert "Your secretary was told about the letter." in dave.last_text
    assert "Dave Sun, whose registration waits for approval, brings a transfer letter" in (
        sec_a.last_text)

    await sec_a.say("/pending")
    request = next(text for text in sec_a.texts() if "Name: Dave Sun" in text)
    assert "Brings a transfer letter (〔2026〕第12号) from Tianjin Binhai Branch" in request
    await sec_a.tap("✅ Approve", sec_a.message_with_button("✅ Approve"))
    assert await letter_states(bot) == [TransferState.ACCEPTED]
    assert await memberships(bot, DAVE) == [(str(s.branch_a), MembershipState.ACTIVE)]
    async with bot.app.database.session() as session:  # type: ignore[union-attr]
        paid = (await session.execute(select(MembershipTransfer.dues_paid_year,
                                             MembershipTransfer.dues_paid_month))).one()
    assert tuple(paid) == (2026, 5)
