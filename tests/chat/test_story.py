"""The whole foundation as people live it, by chat only: an admin builds the tree, a secretary
is found and appointed, invites, three members register and one is rejected."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from rules.vocabulary import MemberRole, MembershipState
from storage.models import Invite, Membership, Person, utcnow
from tests.harness import ADMIN_ID, Bot

SECRETARY, MEMBERS = 801, (802, 803, 804)


def invite_code(text: str) -> str:
    match = re.search(r"\?start=([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


async def register(person, code: str, name: str, status: str = "Full member") -> None:
    await person.say(f"/start {code}")
    await person.tap("English")
    await person.say(name)
    await person.tap(status)
    await person.say("2012-07-01")
    await person.say("Skip")
    await person.tap("✅ Submit")
    assert person.saw("Submitted")


async def test_admin_builds_secretary_invites_three_register_one_rejected(bot: Bot) -> None:
    admin = bot.person(ADMIN_ID, "Admin", language_code="en")
    await admin.say("/start")
    assert "administrator" in admin.last_text
    assert "🏛 Organizations" in admin.keyboard()

    # The admin creates a committee and a branch under it.
    await admin.say("/orgs")
    await admin.tap("➕ Party organization")
    await admin.say("Sunshine Social Work Party Committee")
    await admin.tap("Party committee")
    await admin.tap("Top level")
    assert "Created" in admin.last_text
    await admin.say("/orgs")
    await admin.tap("➕ Party organization")
    await admin.say("Sunshine Branch")
    await admin.tap("Branch")
    await admin.tap("Sunshine Social Work Party Committee")
    assert "Created" in admin.last_text and "Sunshine Branch" in admin.last_text

    # The admin shares the branch's invite link with the future secretary.
    replies = await admin.tap("🔗 Invite link")
    code = invite_code(" ".join(r.text for r in replies))
    assert any(r.kind == "photo" for r in replies)  # the QR code
    secretary = bot.person(SECRETARY, "Zhao", language_code="en")
    await register(secretary, code, "Zhao Min")
    # No secretary yet: the registration goes to the admin, who approves it.
    assert "Zhao Min" in admin.last_text
    await admin.tap("✅ Approve")
    assert "Welcome" in secretary.last_text

    # ...and appoints them secretary from the branch's card.
    await admin.say("/orgs")
    await admin.tap("Sunshine Branch")
    await admin.tap("Appoint secretary / deputy / committee member")
    await admin.tap("Zhao Min")
    await admin.tap("Secretary")
    assert "Zhao Min" in admin.last_text and "Secretary" in admin.last_text
    assert secretary.saw("You have been appointed")
    assert "👥 Members" in secretary.keyboard()
    commands = [c["command"] for c in bot.emulator.commands_for(SECRETARY, "en")]
    assert {"pending", "members", "invite"} <= set(commands)

    # The secretary's own link; three people register, one is rejected.
    replies = await secretary.say("/invite")
    code = invite_code(" ".join(r.text for r in replies))
    people = [bot.person(uid, f"P{uid}", language_code="en") for uid in MEMBERS]
    for person, name in zip(people, ("Li Na", "Wang Wei", "Chen Jie"), strict=True):
        await register(person, code, name)
        assert name in secretary.last_text
    def request_of(name: str) -> int:
        return next(
            m.message_id for m in bot.emulator.bot_messages(SECRETARY)
            if name in m.text and m.inline_keyboard
        )

    await secretary.tap("✅ Approve", request_of("Li Na"))
    await secretary.tap("✅ Approve", request_of("Wang Wei"))
    await secretary.tap("❌ Reject", request_of("Chen Jie"))
    await secretary.say("Not a member of our organization")

    assert "approved" in people[1].last_text
    assert "not approved" in people[2].last_text
    assert "Not a member of our organization" in people[2].last_text

    replies = await secretary.say("/members")
    listed = [b for r in replies for b in secretary.buttons(r)]
    assert any("Wang Wei" in b for b in listed) and not any("Chen Jie" in b for b in listed)

    async with bot.app.database.session() as session:  # type: ignore[union-attr]
        rows = dict(
            (
                await session.execute(
                    select(Person.real_name, Membership.state).join(Membership)
                )
            ).all()
        )
        role_rows = await session.execute(
            select(Person.real_name, Membership.role).join(Membership)
        )
        roles = dict(role_rows.all())
    approved = {n for n, s in rows.items() if s is MembershipState.ACTIVE}
    assert approved == {"Zhao Min", "Li Na", "Wang Wei"}
    assert rows["Chen Jie"] is MembershipState.REJECTED
    assert roles["Zhao Min"] is MemberRole.SECRETARY


async def test_invite_codes_that_cannot_be_used(bot: Bot) -> None:
    admin = bot.person(ADMIN_ID, "Admin", language_code="en")
    await admin.say("/orgs")
    await admin.tap("➕ Party organization")
    await admin.say("Harbour Branch")
    await admin.tap("Branch")
    await admin.tap("Top level")
    replies = await admin.tap("🔗 Invite link")
    code = invite_code(" ".join(r.text for r in replies))

    visitor = bot.person(901, "Visitor", language_code="en")
    await visitor.say("/start NoSuchCode123")
    assert visitor.saw("This invite link is not valid.")
    assert visitor.saw("pick your branch")
    await visitor.say("/start ../../etc/passwd")
    assert sum("This invite link is not valid." in text for text in visitor.texts()) == 2

    async with bot.app.database.session() as session:  # type: ignore[union-attr]
        await session.execute(
            update(Invite).where(Invite.code == code).values(expires_at=utcnow() - timedelta(1))
        )
    await visitor.say(f"/start {code}")
    assert visitor.saw("This invite link has expired.")
    # The way on: pick the branch from the list instead.
    await visitor.tap("English")
    await visitor.say("Liu Yang")
    await visitor.tap("Harbour Branch")
    assert visitor.saw("What is your party status?")
