"""The expected list (应到) through the chat: it follows the branch until check-in opens
(approving and transferring out in /pending and /members), then changes are edits with a
reason (the roster's "Change the list"). Branch A of tests/chat/test_checkin_chat.py."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from rules.vocabulary import MemberStatus
from storage import people
from storage.models import AuditEvent
from tests.chat import test_checkin_chat as ck
from tests.harness import Bot

HANK = 741_050  # registers after the meeting was scheduled


async def register_pending(bot: Bot, branch: int) -> int:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        membership = await people.submit_registration(session, people.RegistrationForm(
            telegram_id=HANK, language="en", real_name="Hank Hill", org_id=branch,
            status=MemberStatus.FULL, joined_party_on=date(2020, 7, 1), phone=None,
            invite_id=None,
        ))
        bot.person(HANK, "Hank Hill", language_code="en")
        bot.emulator.user(HANK).started = True
        return membership.id


async def card_of(sec: object) -> str:
    await sec.say("/meetings")  # type: ignore[attr-defined]
    await sec.tap("Branch general assembly")  # type: ignore[attr-defined]
    return str(sec.last_text)  # type: ignore[attr-defined]


async def test_the_list_follows_the_branch_until_check_in_opens(bot: Bot) -> None:
    w = await ck.seed(bot, starts_in=timedelta(days=2))
    sec, bob = ck.person(bot, ck.SEC), ck.person(bot, ck.BOB)
    assert "Expected 6 · " in await card_of(sec)
    hank_membership = await register_pending(bot, w.branch)
    hank = bot.person(HANK, "Hank Hill", language_code="en")
    await hank.say("/start")

    await sec.say("/pending")
    await sec.tap("✅ Approve")
    assert "Hank Hill was approved" in sec.last_text
    await hank.say("/meetings")
    assert hank.saw("Study the constitution")
    await sec.say("/members")
    await sec.tap(f"mem:card:{w.memberships[ck.BOB]}")
    await sec.tap("📨 Transfer")
    await sec.tap("An organization outside the bot")
    await sec.say("Riverside Street Committee")
    await sec.tap("📨 Issue the letter")
    assert sec.saw("📨 The letter was issued.")
    # Bob is off the list (no reminders, no 补学 request later); Hank is on it.
    card = await card_of(sec)
    assert "Expected 6 · " in card
    lines = await ck.lines(bot, w.meeting)
    assert w.memberships[ck.BOB] not in lines and hank_membership in lines
    before = len(bob.texts())
    await bob.say("/meetings")
    assert not any("Study the constitution" in t for t in bob.texts()[before:])
    # While the list follows the branch there is nothing to change by hand.
    await sec.forge(f"ml:edit:{w.meeting}:0")
    assert "follows the branch's members by itself" in sec.alerts()[-1]
    bot.assert_all_accepted()


async def test_after_check_in_opens_the_list_changes_only_with_a_reason(bot: Bot) -> None:
    w = await ck.seed(bot, open_checkin=True)
    sec, alice, frank = (ck.person(bot, i) for i in (ck.SEC, ck.ALICE, ck.FRANK))
    hank_membership = await register_pending(bot, w.branch)
    await sec.say("/pending")
    await sec.tap("✅ Approve")
    assert hank_membership not in await ck.lines(bot, w.meeting)  # fixed: nobody joins

    await sec.say("/checkin")
    await sec.tap("📋 Roster")
    await sec.tap("✏️ Change the list")
    assert "Change the list of" in sec.last_text
    await sec.tap("➕ Hank Hill")
    assert "Put Hank Hill on the list" in sec.last_text and "Type the reason" in sec.last_text
    await sec.say("Approved this morning, came to the meeting")
    assert "➕ Hank Hill is on the list. The change and its reason are logged." in sec.last_text
    assert "Hank Hill: expected" in sec.last_text

    await sec.tap("✏️ Change the list")
    await sec.tap("➖ Carol Chen")
    await sec.say("Abroad since last week")
    assert "➖ Carol Chen is off the list." in sec.last_text
    lines = await ck.lines(bot, w.meeting)
    assert hank_membership in lines and w.memberships[ck.CAROL] not in lines

    alice_line = lines[w.memberships[ck.ALICE]]
    for who in (alice, frank):  # not leaders of the branch
        await who.say("/help")
        for data in (f"ml:edit:{w.meeting}:0", f"ml:rm:{alice_line.id}",
                     f"ml:add:{w.meeting}:{hank_membership}"):
            await who.forge(data)
            assert who.alerts()[-1] == ck.NOT_ALLOWED, (who.name, data)
    await sec.forge(f"ml:add:{w.meeting}:{w.memberships[ck.FRANK]}")  # another branch
    assert sec.alerts()[-1] == "This button is no longer valid. Please open the menu again."
    await sec.forge("ml:rm:x")
    assert sec.alerts()[-1] == "This button is no longer valid. Please open the menu again."

    assert bot.app is not None
    async with bot.app.database.session() as session:
        events = (await session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(("attendance.add",
                                                            "attendance.remove")))
            .order_by(AuditEvent.id))).all()
    assert [(e.action, e.actor_telegram_id, e.details["reason"]) for e in events] == [
        ("attendance.add", ck.SEC, "Approved this morning, came to the meeting"),
        ("attendance.remove", ck.SEC, "Abroad since last week"),
    ]
    bot.assert_all_accepted()
