"""Secretaries run their branch through the chat: invite links, /pending, /members, edits."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date

from PIL import Image
from sqlalchemy import func, select

from handlers.invites import qr_png
from rules.vocabulary import MemberRole, MembershipState, MemberStatus, PartyOrgKind
from storage import orgs, people
from storage.models import AuditEvent, Invite, Membership, Person
from tests.harness import ADMIN_ID, Bot

UPPER_SEC = 720_000  # secretary of the 党委 above both branches
SEC_A = 720_001
SEC_B = 720_002
ALICE = 721_001  # member of branch A, with a phone
BOB = 721_002  # member of branch A
CAROL = 722_001  # member of branch B
DAVE = 723_001  # waiting for approval in branch A
ERIN = 723_002  # waiting for approval in branch B
ALICE_PHONE = "+8613800001234"
ALICE_PHONE_MASKED = "+86138****1234"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LINK_RE = re.compile(r"https://t\.me/(\w+)\?start=([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class Seed:
    upper: int
    branch_a: int
    branch_b: int
    group_a: int
    alice: int  # membership ids
    bob: int
    carol: int
    sec_a: int


async def _register(session, telegram_id: int, name: str, org_id: int, *,
                    phone: str | None = None, approve_by: int | None = None) -> Membership:
    membership = await people.submit_registration(
        session,
        people.RegistrationForm(
            telegram_id=telegram_id, language="en", real_name=name, org_id=org_id,
            status=MemberStatus.FULL, joined_party_on=date(2015, 7, 1), phone=phone,
            invite_id=None,
        ),
    )
    if approve_by is not None:
        await people.decide_registration(
            session, membership.id, approve=True, decided_by=approve_by
        )
    return membership


async def seed(bot: Bot, *, pending: bool = False) -> Seed:
    """A 党委 with branches A and B, their secretaries, members and a 党小组 in A."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        upper = await orgs.create_party_org(
            session, name="Harbour Party Committee", kind=PartyOrgKind.COMMITTEE,
            parent_id=None, actor_telegram_id=ADMIN_ID,
        )
        branch_a = await orgs.create_party_org(
            session, name="Branch A", kind=PartyOrgKind.BRANCH, parent_id=upper.id,
            actor_telegram_id=ADMIN_ID,
        )
        branch_b = await orgs.create_party_org(
            session, name="Branch B", kind=PartyOrgKind.BRANCH, parent_id=upper.id,
            actor_telegram_id=ADMIN_ID,
        )
        group = await orgs.create_group(
            session, org=branch_a, name="Group One", actor_telegram_id=ADMIN_ID
        )
        ids = {}
        for org, telegram_id in ((upper, UPPER_SEC), (branch_a, SEC_A), (branch_b, SEC_B)):
            appointed = await people.appoint_by_telegram_id(
                session, org, telegram_id, MemberRole.SECRETARY, status=MemberStatus.FULL,
                actor_telegram_id=ADMIN_ID, language="en",
            )
            ids[telegram_id] = appointed.id
        alice = await _register(session, ALICE, "Alice Wang", branch_a.id, phone=ALICE_PHONE,
                                approve_by=SEC_A)
        bob = await _register(session, BOB, "Bob Li", branch_a.id, approve_by=SEC_A)
        carol = await _register(session, CAROL, "Carol Zhao", branch_b.id, approve_by=SEC_B)
        if pending:
            await _register(session, DAVE, "Dave Sun", branch_a.id, phone="+8613900005678")
            await _register(session, ERIN, "Erin Hu", branch_b.id, phone="+8613700009999")
        return Seed(upper.id, branch_a.id, branch_b.id, group.id, alice.id, bob.id, carol.id,
                    ids[SEC_A])


async def membership(bot: Bot, membership_id: int) -> Membership:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        found = await session.get(Membership, membership_id)
        assert found is not None
        return found


async def count(bot: Bot, model: type) -> int:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def command_names(bot: Bot, user_id: int) -> set[str]:
    return {c["command"] for c in bot.emulator.commands_for(user_id, "en")}


def links(person) -> list[tuple[str, str]]:
    return [m.groups() for text in person.texts() for m in LINK_RE.finditer(text or "")]


# ---------------------------------------------------------------------------------------
# /invite
# ---------------------------------------------------------------------------------------


async def test_invite_shows_link_and_qr_and_a_new_link_revokes_the_old(bot: Bot) -> None:
    await seed(bot)
    secretary = bot.person(SEC_A, "Sec A", language_code="en")
    await secretary.say("/invite")

    # A QR code photo with the branch and link as caption, then the link with buttons.
    photos = [m for m in bot.emulator.bot_messages(SEC_A) if m.kind == "photo"]
    assert len(photos) == 1 and "Branch A" in photos[0].text
    assert "Invite link for Branch A" in secretary.last_text
    assert "Valid until" in secretary.last_text
    (username, code), *_ = links(secretary)
    assert username == bot.emulator.bot_username
    link = f"https://t.me/{username}?start={code}"
    assert link in photos[0].text
    png = bot.emulator.file_bytes(photos[0].file_id)
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size[0] == image.size[1] >= 150
    # It is the QR code of exactly this link.
    expected = Image.open(io.BytesIO(qr_png(link)))
    assert image.convert("1").tobytes() == expected.convert("1").tobytes()

    # /invite again shows the same link (nothing new is made).
    await secretary.say("/invite")
    assert links(secretary)[-1][1] == code
    assert await count(bot, Invite) == 1

    await secretary.tap("New link (the old one stops working)")
    assert "stops working" in secretary.last_text
    await secretary.tap("Yes, make a new link")
    new_code = links(secretary)[-1][1]
    assert new_code != code

    stranger = bot.person(730_001, "Stranger", language_code="en")
    await stranger.say(f"/start {code}")
    assert stranger.saw("replaced by a newer one")
    newcomer = bot.person(730_002, "Newcomer", language_code="en")
    await newcomer.say(f"/start {new_code}")
    assert "Choose your language" in newcomer.last_text
    assert not newcomer.saw("not valid")


async def test_single_use_link_works_once(bot: Bot) -> None:
    await seed(bot)
    secretary = bot.person(SEC_A, "Sec A", language_code="en")
    await secretary.say("/invite")
    regular = links(secretary)[-1][1]
    await secretary.tap("Single-use link")
    assert "one registration only" in secretary.last_text
    single = links(secretary)[-1][1]
    assert single != regular
    assert bot.emulator.bot_messages(SEC_A)[-2].kind == "photo"

    first = bot.person(730_011, "First", language_code="en")
    await first.say(f"/start {single}")
    await first.tap("English")
    await first.say("Frank Ma")
    assert first.saw("Branch: Branch A (from your invite link)")
    await first.tap("Full member")
    await first.say("2016-07-01")
    await first.say("Skip")
    await first.tap("✅ Submit")
    assert first.saw("Submitted")

    second = bot.person(730_012, "Second", language_code="en")
    await second.say(f"/start {single}")
    assert second.saw("already been used")
    # The branch's regular link still works.
    third = bot.person(730_013, "Third", language_code="en")
    await third.say(f"/start {regular}")
    assert not third.saw("not valid") and "Choose your language" in third.last_text


async def test_leader_of_committee_picks_the_branch_for_invite(bot: Bot) -> None:
    s = await seed(bot)
    upper = bot.person(UPPER_SEC, "Upper", language_code="en")
    await upper.say("/invite")
    assert "which organization" in upper.last_text
    # Only branches are offered (people register into a branch, not the 党委).
    assert {b.callback_data for b in upper.last.buttons} == {
        f"inv:show:{s.branch_a}", f"inv:show:{s.branch_b}"
    }
    await upper.tap("· Branch B")
    assert "Invite link for Branch B" in upper.last_text
    # The org card of the admin's tree uses inv:show as well; a 党委 has no link.
    await upper.forge(f"inv:show:{s.upper}")
    assert any("Members register in a branch" in a for a in upper.alerts())


# ---------------------------------------------------------------------------------------
# /pending
# ---------------------------------------------------------------------------------------


async def test_pending_lists_own_registrations_and_approval_works(bot: Bot) -> None:
    await seed(bot, pending=True)
    secretary = bot.person(SEC_A, "Sec A", language_code="en")
    await secretary.say("/pending")
    texts = secretary.texts()
    assert "1 registration is waiting for approval:" in texts[0]
    assert "Dave Sun" in texts[1] and "+8613900005678" in texts[1]  # own branch: unmasked
    assert not secretary.saw("Erin Hu")  # branch B is not theirs
    assert "✅ Approve" in secretary.buttons()

    dave = bot.person(DAVE, "Dave", language_code="en")
    await dave.say("/start")  # people must have opened the bot to be told anything
    await secretary.tap("✅ Approve")
    assert "Dave Sun was approved" in secretary.last_text
    assert "approved" in dave.last_text

    await secretary.say("/pending")
    assert secretary.last_text == "No registrations are waiting."

    # The 党委's secretary sees the rest of the tree, phones masked.
    upper = bot.person(UPPER_SEC, "Upper", language_code="en")
    await upper.say("📥 Registrations")  # the keyboard button
    assert upper.saw("Erin Hu") and upper.saw("+86137****9999")
    assert not upper.saw("+8613700009999")


# ---------------------------------------------------------------------------------------
# /members
# ---------------------------------------------------------------------------------------


async def test_member_list_and_card_mask_phone_for_upper_leaders(bot: Bot) -> None:
    s = await seed(bot)
    secretary = bot.person(SEC_A, "Sec A", language_code="en")
    await secretary.say("👥 Members")
    assert "Branch A" in secretary.last_text and "3 active members" in secretary.last_text
    labels = secretary.buttons()
    assert "Alice Wang · Full member · Member" in labels
    assert not any("Carol" in label for label in labels)
    await secretary.tap("Alice Wang · Full member · Member")
    card = secretary.last_text
    assert "Alice Wang" in card and ALICE_PHONE in card and "Registered:" in card
    assert {"Political status", "Role", "Party group", "📨 Transfer", "‹ Back"} <= set(
        secretary.buttons()
    )

    upper = bot.person(UPPER_SEC, "Upper", language_code="en")
    await upper.say("/members")
    assert "Members of which organization?" in upper.last_text
    await upper.tap(f"mem:list:{s.branch_a}:0")
    await upper.tap(f"mem:card:{s.alice}")
    assert ALICE_PHONE_MASKED in upper.last_text and ALICE_PHONE not in upper.last_text

    # A secretary's own card offers no edits (they cannot change their own role).
    await secretary.forge(f"mem:card:{s.sec_a}")
    assert "cannot change your own record" in secretary.last_text
    assert secretary.buttons() == ["‹ Back"]


async def test_status_group_and_role_changes(bot: Bot) -> None:
    s = await seed(bot)
    secretary = bot.person(SEC_A, "Sec A", language_code="en")
    alice = bot.person(ALICE, "Alice", language_code="en")
    await alice.say("/start")
    await secretary.say("/members")
    await secretary.tap(f"mem:card:{s.alice}")

    await secretary.tap("Political status")
    await secretary.tap("Probationary member")
    assert "Status changed: Probationary member." in secretary.last_text

    await secretary.tap("Party group")
    await secretary.tap("Group One")
    assert "Party group: Group One" in secretary.last_text

    await secretary.tap("Role")
    # A branch secretary names committee members; deputies and secretaries come from above.
    assert set(secretary.buttons()) == {"✓ Member", "Committee member", "‹ Back"}
    assert command_names(bot, ALICE) == {"start", "language", "help", "cancel"}
    await secretary.tap("Committee member")
    assert "Role changed: Committee member." in secretary.last_text
    assert "Your role in Branch A is now: Committee member." in alice.last_text
    assert command_names(bot, ALICE) == {
        "me", "meetings", "checkin", "dues", "appraisal", "record", "training", "notices",
        "transfer", "development", "settings", "language", "help", "cancel",
    }

    stored = await membership(bot, s.alice)
    assert stored.status is MemberStatus.PROBATIONARY
    assert stored.party_group_id == s.group_a
    assert stored.role is MemberRole.COMMITTEE_MEMBER

    # The 党委's secretary appoints a deputy: Alice's menu becomes a leader's menu.
    upper = bot.person(UPPER_SEC, "Upper", language_code="en")
    await upper.say("/members")
    await upper.tap(f"mem:list:{s.branch_a}:0")
    await upper.tap(f"mem:card:{s.alice}")
    await upper.tap("Role")
    assert {"Deputy secretary", "Secretary"} <= set(upper.buttons())
    await upper.tap("Deputy secretary")
    assert "Your role in Branch A is now: Deputy secretary." in alice.last_text
    assert {"pending", "members", "invite"} <= command_names(bot, ALICE)
    assert "👥 Members" in alice.keyboard()
    assert (await membership(bot, s.alice)).role is MemberRole.DEPUTY_SECRETARY


async def test_transfer_out_keeps_history_and_member_can_register_elsewhere(bot: Bot) -> None:
    s = await seed(bot)
    secretary = bot.person(SEC_A, "Sec A", language_code="en")
    bob = bot.person(BOB, "Bob", language_code="en")
    await bob.say("/start")
    await secretary.say("/members")
    await secretary.tap(f"mem:card:{s.bob}")
    await secretary.tap("📨 Transfer")
    await secretary.tap("An organization outside the bot")
    assert "Type the name of the organization that receives the membership" in (
        secretary.last_text)

    await secretary.say("x" * 101)
    assert "too long" in secretary.last_text
    await secretary.say("\u3164\u200b")  # a Hangul filler and a zero-width space: nothing visible
    assert secretary.last_text == "Please type something."
    await secretary.say("Bad\x07name")
    assert "cannot be stored" in secretary.last_text
    await secretary.say("Riverside Street Committee")
    assert "Issue a transfer letter for Bob Li?" in secretary.last_text
    assert "To: Riverside Street Committee" in secretary.last_text
    assert (await membership(bot, s.bob)).state is MembershipState.ACTIVE  # not yet
    confirm = secretary.message_with_button("📨 Issue the letter")
    await secretary.tap("📨 Issue the letter")
    assert secretary.saw("📨 The letter was issued.")
    assert "transferred out to Riverside Street Committee" in bob.last_text

    stored = await membership(bot, s.bob)
    assert stored.state is MembershipState.TRANSFERRED_OUT
    assert stored.transferred_to == "Riverside Street Committee"
    assert stored.transferred_out_at is not None and stored.decided_at is not None
    events = await count(bot, AuditEvent)

    # Pressing the confirmation again changes nothing.
    await secretary.forge("tfi:confirm", message_id=confirm)
    assert any("no longer valid" in a for a in secretary.alerts())
    assert await count(bot, AuditEvent) == events

    # The history stays visible.
    await secretary.say("/members")
    assert "2 active members" in secretary.last_text
    await secretary.tap("Transferred out")
    await secretary.tap(f"mem:card:{s.bob}")
    assert "Riverside Street Committee" in secretary.last_text
    assert secretary.buttons() == ["‹ Back"]

    # Bob is a guest again and can join branch B.
    assert "start" in command_names(bot, BOB)
    sec_b = bot.person(SEC_B, "Sec B", language_code="en")
    await sec_b.say("/invite")
    code_b = links(sec_b)[-1][1]
    await bob.say(f"/start {code_b}")
    await bob.tap("English")
    await bob.say("Bob Li")
    await bob.tap("Full member")
    await bob.say("2015-07-01")
    await bob.say("Skip")
    await bob.tap("✅ Submit")
    assert bob.saw("Submitted")
    assert bot.app is not None
    async with bot.app.database.session() as session:
        states = (
            await session.scalars(
                select(Membership.state).join(Person).where(Person.telegram_id == BOB)
                .order_by(Membership.id)
            )
        ).all()
    assert states == [MembershipState.TRANSFERRED_OUT, MembershipState.PENDING]


async def test_cancelled_transfer_cannot_be_confirmed_later(bot: Bot) -> None:
    s = await seed(bot)
    secretary = bot.person(SEC_A, "Sec A", language_code="en")
    await secretary.say("/members")
    await secretary.tap(f"mem:card:{s.bob}")
    await secretary.tap("📨 Transfer")
    await secretary.tap("An organization outside the bot")
    await secretary.say("Riverside Street Committee")
    confirm = secretary.message_with_button("📨 Issue the letter")
    await secretary.tap("Cancel")
    assert "Cancelled." in secretary.last_text
    await secretary.forge("tfi:confirm", message_id=confirm)
    assert any("no longer valid" in a for a in secretary.alerts())
    assert (await membership(bot, s.bob)).state is MembershipState.ACTIVE


# ---------------------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------------------


async def test_plain_member_is_refused(bot: Bot) -> None:
    await seed(bot)
    alice = bot.person(ALICE, "Alice", language_code="en")
    for command in ("/members", "/pending", "/invite"):
        await alice.say(command)
        assert alice.last_text == "You are not allowed to do that."
    assert await count(bot, Invite) == 0


async def test_forged_buttons_of_another_branch_change_nothing(bot: Bot) -> None:
    s = await seed(bot)
    secretary = bot.person(SEC_A, "Sec A", language_code="en")
    bot.person(CAROL, "Carol", language_code="en")
    await secretary.say("/start")
    invites_before = await count(bot, Invite)
    events_before = await count(bot, AuditEvent)

    forged = [
        f"mem:card:{s.carol}",
        f"mem:list:{s.branch_b}:0",
        f"mem:setst:{s.carol}:activist",
        f"mem:setrl:{s.carol}:committee_member",
        f"tf:new:{s.carol}",
        f"inv:show:{s.branch_b}",
        f"inv:new:{s.branch_b}",
        f"inv:renew:{s.branch_b}",
        f"inv:one:{s.branch_b}",
        # Their own role, and a deputy appointment only the upper level may make.
        f"mem:setrl:{s.sec_a}:member",
        f"mem:setrl:{s.alice}:deputy_secretary",
        f"mem:setrl:{s.alice}:secretary",
    ]
    for data in forged:
        before = len(secretary.alerts())
        await secretary.forge(data)
        assert secretary.alerts()[before:] == ["You are not allowed to do that."], data
    for data in ("mem:card:abc", f"mem:setst:{s.alice}:emperor", f"mem:setgp:{s.alice}:99999",
                 f"mem:card:{s.alice}:1", "inv:show:"):
        before = len(secretary.alerts())
        await secretary.forge(data)
        assert "no longer valid" in secretary.alerts()[before], data

    assert await count(bot, Invite) == invites_before
    assert await count(bot, AuditEvent) == events_before
    carol = await membership(bot, s.carol)
    assert (carol.state, carol.status, carol.role) == (
        MembershipState.ACTIVE, MemberStatus.FULL, MemberRole.MEMBER
    )
    assert (await membership(bot, s.sec_a)).role is MemberRole.SECRETARY
    assert (await membership(bot, s.alice)).role is MemberRole.MEMBER
    assert not bot.emulator.bot_messages(CAROL)


async def test_admin_uses_org_card_buttons_and_appoints_a_new_secretary(bot: Bot) -> None:
    s = await seed(bot)
    admin = bot.person(ADMIN_ID, "Admin", language_code="en")
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    alice = bot.person(ALICE, "Alice", language_code="en")
    for person in (sec_a, alice):
        await person.say("/start")
    await admin.say("/members")
    assert "Members of which organization?" in admin.last_text
    assert admin.buttons() == ["Harbour Party Committee", "· Branch A", "· Branch B"]
    # The buttons of the org card in the admin's tree.
    await admin.forge(f"inv:show:{s.branch_b}")
    assert "Invite link for Branch B" in admin.last_text
    await admin.forge(f"mem:list:{s.branch_a}:0")
    assert "Branch A" in admin.last_text and "‹ Organizations" in admin.buttons()
    await admin.tap(f"mem:card:{s.alice}")
    assert ALICE_PHONE in admin.last_text  # admins see phones
    await admin.tap("Role")
    await admin.tap("Secretary")
    assert "Role changed: Secretary." in admin.last_text

    # The previous secretary becomes a committee member; both are told, both menus change.
    assert "Your role in Branch A is now: Secretary." in alice.last_text
    assert "Your role in Branch A is now: Committee member." in sec_a.last_text
    assert "members" in command_names(bot, ALICE)
    assert "members" not in command_names(bot, SEC_A)
    assert (await membership(bot, s.sec_a)).role is MemberRole.COMMITTEE_MEMBER
    assert (await membership(bot, s.alice)).role is MemberRole.SECRETARY
