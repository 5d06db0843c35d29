"""Admins build the organization tree by chat; everyone else is refused."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from handlers.kit.pseudonyms import pseudonym
from rules.terms import add_years
from rules.vocabulary import MemberRole, MemberStatus, PartyOrgKind, SocialOrgType
from storage import orgs, people
from storage.models import (
    AuditEvent,
    Membership,
    PartyGroup,
    PartyOrganization,
    SocialOrganization,
)
from tests.harness import ADMIN_ID, Bot, Person

COMMITTEE = "Sunshine Party Committee"
GENERAL = "Social Work General Branch"
BRANCH = "Harbour Branch"
JOINT = "Riverside Joint Branch"


def session(bot: Bot) -> Any:
    assert bot.app is not None
    return bot.app.database.session()


def today(bot: Bot) -> date:
    return datetime.now(bot.settings.tzinfo).date()


async def count(bot: Bot, model: type) -> int:
    async with session(bot) as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def seed_tree(bot: Bot) -> tuple[int, int]:
    """A committee with a branch under it, made directly in storage."""
    async with session(bot) as s:
        committee = await orgs.create_party_org(
            s, name=COMMITTEE, kind=PartyOrgKind.COMMITTEE, parent_id=None,
            actor_telegram_id=ADMIN_ID,
        )
        branch = await orgs.create_party_org(
            s, name=BRANCH, kind=PartyOrgKind.BRANCH, parent_id=committee.id,
            actor_telegram_id=ADMIN_ID,
        )
        return committee.id, branch.id


async def seed_member(bot: Bot, org_id: int, telegram_id: int, name: str) -> int:
    """A registered member, approved: what the registration flow leaves behind."""
    async with session(bot) as s:
        membership = await people.submit_registration(
            s,
            people.RegistrationForm(
                telegram_id=telegram_id, language="en", real_name=name, org_id=org_id,
                status=MemberStatus.FULL, joined_party_on=date(2015, 7, 1), phone=None,
                invite_id=None,
            ),
        )
        await people.decide_registration(s, membership.id, approve=True, decided_by=ADMIN_ID)
        return membership.id


def english_admin(bot: Bot) -> Person:
    return bot.person(ADMIN_ID, "Admin", language_code="en")


async def new_party_org(admin: Person, name: str, kind: str, parent: str) -> None:
    await admin.say("/orgs")
    await admin.tap("➕ Party organization")
    assert "Type its full name" in admin.last_text
    await admin.say(name)
    assert "What kind" in admin.last_text
    await admin.tap(kind)
    assert "directly under" in admin.last_text
    await admin.tap(parent)
    assert "✅ Created." in admin.last_text, admin.last_text


async def new_social_org(admin: Person, name: str, org_type: str, cover: str) -> None:
    await admin.say("/orgs")
    await admin.tap("➕ Social organization")
    await admin.say(name)
    assert "What type" in admin.last_text
    await admin.tap(org_type)
    assert "covers it" in admin.last_text
    await admin.tap(cover)
    assert "✅ Created." in admin.last_text, admin.last_text


async def open_card(admin: Person, button: str) -> None:
    await admin.say("/orgs")
    await admin.tap(button)


async def test_admin_builds_the_tree_by_chat(bot: Bot) -> None:
    admin = english_admin(bot)
    await admin.say("/orgs")
    assert "No party organizations yet" in admin.last_text

    await new_party_org(admin, COMMITTEE, "Party committee", "Top level")
    assert "Kind: Party committee" in admin.last_text
    assert "Parent: none (top level)" in admin.last_text
    assert "Term length: 5 years (default for this kind)" in admin.last_text
    await new_party_org(admin, GENERAL, "General branch", COMMITTEE)
    await new_party_org(admin, BRANCH, "Branch", f"└ {GENERAL}")
    await new_party_org(admin, JOINT, "Joint branch", f"└ {GENERAL}")
    assert f"Parent: {GENERAL}" in admin.last_text

    # One social organization covered as it is created, one covered later from the card.
    await new_social_org(
        admin, "Riverside Elderly Care Center",
        "Private non-profit (social service organization)", f"└─ {JOINT}",
    )
    await new_social_org(
        admin, "Riverside Volunteers Association", "Social association", "Not covered yet"
    )
    assert "Riverside Volunteers Association — Social association — not covered" in (
        admin.last_text
    )
    await open_card(admin, f"└─ {JOINT}")
    await admin.tap("Cover a social organization")
    await admin.tap("Riverside Volunteers Association")
    assert f"✅ {JOINT} now covers Riverside Volunteers Association." in admin.last_text
    assert "Covers: Riverside Elderly Care Center, Riverside Volunteers Association" in (
        admin.last_text
    )

    # A 党小组 in the branch (the button is only on branch cards).
    await open_card(admin, f"└─ {BRANCH}")
    await admin.tap("➕ Party group")
    await admin.say("First Party Group")
    assert "Party groups: First Party Group" in admin.last_text

    await admin.say("/orgs")
    tree = admin.last_text
    lines = [line.strip(" \u2003└") for line in tree.splitlines()]
    assert [line.split(" — ")[0] for line in lines[1:5]] == [COMMITTEE, GENERAL, BRANCH, JOINT]
    assert "Social organizations covered: 2 of 2" in tree

    async with session(bot) as s:
        stored = {
            o.name: (o.kind, o.parent_id) for o in (await s.scalars(select(PartyOrganization)))
        }
        ids = {o.name: o.id for o in (await s.scalars(select(PartyOrganization)))}
        socials = {
            o.name: (o.org_type, o.party_organization_id)
            for o in (await s.scalars(select(SocialOrganization)))
        }
        groups = (await s.execute(select(PartyGroup.name, PartyGroup.party_organization_id))).all()
        actions = sorted(
            (await s.scalars(select(AuditEvent.action).where(
                AuditEvent.actor_telegram_id == ADMIN_ID
            ))).all()
        )
    assert stored == {
        COMMITTEE: (PartyOrgKind.COMMITTEE, None),
        GENERAL: (PartyOrgKind.GENERAL_BRANCH, ids[COMMITTEE]),
        BRANCH: (PartyOrgKind.BRANCH, ids[GENERAL]),
        JOINT: (PartyOrgKind.JOINT_BRANCH, ids[GENERAL]),
    }
    assert socials == {
        "Riverside Elderly Care Center": (SocialOrgType.PRIVATE_NON_PROFIT, ids[JOINT]),
        "Riverside Volunteers Association": (SocialOrgType.ASSOCIATION, ids[JOINT]),
    }
    assert groups == [("First Party Group", ids[BRANCH])]
    assert actions == sorted(
        ["party_org.create"] * 4 + ["social_org.create"] * 2
        + ["social_org.cover", "party_group.create"]
    )


async def test_term_start_end_and_override(bot: Bot) -> None:
    committee_id, branch_id = await seed_tree(bot)
    admin = english_admin(bot)
    now = today(bot)

    start = add_years(now, -1)
    await open_card(admin, COMMITTEE)
    await admin.tap("Set term start")
    assert "Type the date" in admin.last_text
    await admin.say(start.isoformat())
    card = admin.last_text
    assert f"Term started: {start.isoformat()}" in card
    assert f"Term ends: {add_years(start, 5).isoformat()}" in card and "overdue" not in card

    # A branch elected four years ago is overdue (3-year term) ...
    old = add_years(now, -4)
    await open_card(admin, f"└ {BRANCH}")
    await admin.tap("Set term start")
    await admin.say(old.isoformat())
    assert f"Term ends: {add_years(old, 3).isoformat()} (overdue)" in admin.last_text
    # ... and shown so in the tree.
    await admin.say("/orgs")
    assert f"term ended {add_years(old, 3).isoformat()} (overdue)" in admin.last_text

    # Override the length, then go back to the default.
    await admin.tap(f"└ {BRANCH}")
    await admin.tap("Term length")
    await admin.tap("5 years")
    assert "Term length: 5 years (set for this organization)" in admin.last_text
    assert f"Term ends: {add_years(old, 5).isoformat()}" in admin.last_text
    async with session(bot) as s:
        branch = await orgs.get_party_org(s, branch_id)
        assert branch is not None
        assert (branch.term_started_on, branch.term_years) == (old, 5)
    await admin.tap("Term length")
    await admin.tap("Default (3 years)")
    assert "Term length: 3 years (default for this kind)" in admin.last_text
    async with session(bot) as s:
        rows = (await s.execute(select(
            PartyOrganization.id, PartyOrganization.term_started_on, PartyOrganization.term_years
        ).order_by(PartyOrganization.id))).all()
        terms = await s.scalar(
            select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "party_org.term"
            )
        )
    assert rows == [(committee_id, start, None), (branch_id, old, None)]
    assert terms == 4


async def test_admin_appoints_a_secretary_from_the_members(bot: Bot) -> None:
    _, branch_id = await seed_tree(bot)
    wang_id = await seed_member(bot, branch_id, 5001, "Wang Li")
    zhao_id = await seed_member(bot, branch_id, 5002, "Zhao Min")
    wang = bot.person(5001, "Wang", language_code="en")
    await wang.say("/start")  # registered members have talked to the bot before
    assert "Welcome back" in wang.last_text
    admin = english_admin(bot)

    await open_card(admin, f"└ {BRANCH}")
    assert "Secretary: none" in admin.last_text and "Active members: 2" in admin.last_text
    await admin.tap("Appoint secretary / deputy / committee member")
    assert admin.buttons()[:2] == ["Wang Li · Member", "Zhao Min · Member"]
    await admin.tap("Wang Li · Member")
    await admin.tap("Secretary")
    assert f"✅ Wang Li is now Secretary of {BRANCH}." in admin.last_text
    assert "Secretary: Wang Li" in admin.last_text
    assert f"You have been appointed Secretary of {BRANCH}." in wang.last_text

    # Replacing the secretary asks first; the previous one stays on the committee.
    await admin.tap("Appoint secretary / deputy / committee member")
    await admin.tap("Zhao Min · Member")
    await admin.tap("Secretary")
    assert "Wang Li is the secretary" in admin.last_text
    async with session(bot) as s:  # nothing changed before the confirmation
        assert await s.scalar(select(Membership.role).where(Membership.id == zhao_id)) is (
            MemberRole.MEMBER
        )
    await admin.tap("Yes, replace the secretary")
    assert "Secretary: Zhao Min" in admin.last_text
    assert "Committee members: Wang Li" in admin.last_text

    async with session(bot) as s:
        roles = dict((await s.execute(select(Membership.id, Membership.role))).all())
        edits = await s.scalar(
            select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "membership.edit", AuditEvent.actor_telegram_id == ADMIN_ID
            )
        )
    assert roles == {wang_id: MemberRole.COMMITTEE_MEMBER, zhao_id: MemberRole.SECRETARY}
    assert edits == 3


async def test_long_tree_is_paged_and_the_keyboard_button_opens_it(bot: Bot) -> None:
    committee_id, _ = await seed_tree(bot)
    async with session(bot) as s:
        for i in range(8):
            await orgs.create_party_org(
                s, name=f"Zone Joint Branch {i}", kind=PartyOrgKind.JOINT_BRANCH,
                parent_id=committee_id, actor_telegram_id=ADMIN_ID,
            )
    admin = english_admin(bot)
    await admin.say("🏛 Organizations")  # the reply keyboard button, as typed by the client
    assert admin.last_text.startswith("Organization tree")
    assert "1/2" in admin.buttons() and "Zone Joint Branch 7" not in admin.last_text
    await admin.tap("Next ›")
    assert "Zone Joint Branch 7 — Joint branch · 0 members" in admin.last_text
    assert COMMITTEE not in admin.last_text
    await admin.tap("└ Zone Joint Branch 7")
    assert admin.last_text.startswith("Zone Joint Branch 7\nKind: Joint branch")


def callback_data(message: Any) -> list[str]:
    return [b.callback_data for row in message.inline_keyboard for b in row]


async def test_moving_coverage_asks_first_and_steps_survive_a_restart(bot: Bot) -> None:
    committee_id, branch_id = await seed_tree(bot)
    async with session(bot) as s:
        law_firm = await orgs.create_social_org(
            s, name="Harbour Law Firm", org_type=SocialOrgType.INTERMEDIARY,
            party_org_id=branch_id, actor_telegram_id=ADMIN_ID,
        )
        law_firm_id = law_firm.id
    admin = english_admin(bot)

    await open_card(admin, COMMITTEE)
    assert "➕ Party group" not in admin.buttons()  # 党小组 only inside branches
    assert f"mem:list:{committee_id}:0" in callback_data(admin.last)
    await admin.tap("Cover a social organization")
    await admin.tap(f"Harbour Law Firm ({BRANCH})")
    assert admin.last_text == (
        f"Harbour Law Firm is covered by {BRANCH} now. Move it to {COMMITTEE}?"
    )

    async def covering() -> int | None:
        async with session(bot) as s:
            return await s.scalar(
                select(SocialOrganization.party_organization_id).where(
                    SocialOrganization.id == law_firm_id
                )
            )

    assert await covering() == branch_id
    await admin.tap("Yes, move it")
    assert f"✅ {COMMITTEE} now covers Harbour Law Firm." in admin.last_text
    assert await covering() == committee_id

    # The branch card links to the invite and member screens of handlers.members.
    await open_card(admin, f"└ {BRANCH}")
    assert {f"inv:show:{branch_id}", f"mem:list:{branch_id}:0"} <= set(callback_data(admin.last))

    # A guided creation is persistent: the bot restarts between the steps.
    await admin.say("/orgs")
    await admin.tap("➕ Social organization")
    await bot.restart()
    await admin.say("Harbour Volunteers")
    assert "What type" in admin.last_text
    await admin.tap("Community organization")
    await bot.restart()
    await admin.tap(f"└ {BRANCH}")
    assert "Harbour Volunteers — Community organization — covered by Harbour Branch" in (
        admin.last_text
    )
    async with session(bot) as s:
        stored = (await s.execute(
            select(SocialOrganization.org_type, SocialOrganization.party_organization_id)
            .where(SocialOrganization.name == "Harbour Volunteers")
        )).all()
    assert stored == [(SocialOrgType.COMMUNITY, branch_id)]


async def test_bad_names_and_dates_are_refused_with_a_retry(bot: Bot) -> None:
    _, branch_id = await seed_tree(bot)
    admin = english_admin(bot)
    await admin.say("/orgs")
    await admin.tap("➕ Party organization")
    await admin.say("   ")
    assert admin.last_text == "Please type something."
    await admin.say("x" * 101)
    assert admin.last_text == "That is too long (at most 100 characters)."
    await admin.say("\u3164\u200b")  # a Hangul filler and a zero-width space: nothing visible
    assert admin.last_text == "Please type something."
    await admin.say("Bad\x07name")
    assert "cannot be stored" in admin.last_text
    await admin.say(COMMITTEE)
    assert admin.last_text == (
        f"A party organization named {COMMITTEE} already exists. Please type another name."
    )
    await admin.say("x" * 100)  # exactly the limit is fine
    assert "What kind" in admin.last_text
    await admin.say("/cancel")
    assert admin.last_text == "Cancelled."
    assert bot.app is not None and "org_draft" not in bot.app.user_data[ADMIN_ID]
    # The old kind button is stale after /cancel: nothing is created.
    await admin.tap("Party committee")
    assert admin.alerts()[-1] == "This button is no longer valid. Please open the menu again."

    await admin.say("/orgs")
    await admin.tap("➕ Social organization")
    await admin.say("\u3000 ")  # ideographic and plain space only
    assert admin.last_text == "Please type something."
    async with session(bot) as s:
        await orgs.create_social_org(
            s, name="Taken Association", org_type=SocialOrgType.ASSOCIATION, party_org_id=None,
            actor_telegram_id=ADMIN_ID,
        )
    await admin.say("Taken Association")
    assert "already exists" in admin.last_text

    await open_card(admin, f"└ {BRANCH}")
    await admin.tap("Set term start")
    for typed, reply in [
        ((today(bot) + timedelta(days=1)).isoformat(),
         "That date is in the future. Please type a past date."),
        ("2023-02-30", "That date does not exist. Please check the day and the month."),
        ("01/02/2024", "I understood: Thu 1 Feb 2024. Is that right?"),  # day/month in English
        ("last spring", "I could not read a date in that. Type it as you would say it, for "
                        "example yesterday, last Fri, 5 Dec, 5/12 (day/month) or 2026-12-05."),
    ]:
        await admin.say(typed)
        assert admin.last_text == reply
    await admin.say("/cancel")
    await admin.say("2020-01-01")  # outside the step: not taken as a date
    assert "did not understand" in admin.last_text

    await open_card(admin, f"└ {BRANCH}")
    await admin.tap("➕ Party group")
    await admin.say("y" * 51)
    assert admin.last_text == "That is too long (at most 50 characters)."
    await admin.say("Group A")
    await admin.tap("➕ Party group")
    await admin.say("Group A")
    assert "already has a party group named Group A" in admin.last_text

    # Forged or stale data from an admin: refused, nothing changes.
    for data in ("org:card:99999", "org:card:abc", f"org:ty:{branch_id}:9", "org:pp:0"):
        await admin.forge(data)
        assert admin.alerts()[-1] == (
            "This button is no longer valid. Please open the menu again."
        ), data

    async with session(bot) as s:
        party = (await s.scalars(select(PartyOrganization.name))).all()
        branch = await orgs.get_party_org(s, branch_id)
        assert branch is not None and branch.term_started_on is None
        assert branch.term_years is None
        groups = (await s.scalars(select(PartyGroup.name))).all()
    assert sorted(party) == sorted([COMMITTEE, BRANCH])
    assert await count(bot, SocialOrganization) == 1
    assert groups == ["Group A"]


async def test_members_and_guests_are_refused(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    committee_id, branch_id = await seed_tree(bot)
    await seed_member(bot, branch_id, 5001, "Wang Li")
    audit_before = await count(bot, AuditEvent)
    member = bot.person(5001, "Wang", language_code="en")
    guest = bot.person(5003, "Guest", language_code="en")

    await member.say("/orgs")
    assert member.last_text == "You are not allowed to do that."
    assert "🏛 Organizations" not in member.keyboard()
    caplog.set_level(logging.WARNING, logger="handlers.kit.chat")
    for person in (member, guest):
        if person is guest:
            await guest.say("/orgs")
            assert guest.last_text == "You are not allowed to do that."
        for data in (
            "org:tree:0",
            f"org:card:{branch_id}",
            "org:new:p",
            "org:pp:0",
            f"org:ty:{branch_id}:2",
            f"org:ar:1:{MemberRole.SECRETARY.value}",
            f"org:cy:{committee_id}:1",
        ):
            await person.forge(data)
            assert person.alerts()[-1] == "You are not allowed to do that.", data
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 16  # two /orgs and fourteen forged buttons, each logged
    assert any("org:cy:" in line and pseudonym(5003) in line for line in refusals)

    assert await count(bot, PartyOrganization) == 2
    assert await count(bot, AuditEvent) == audit_before
    async with session(bot) as s:
        branch = await orgs.get_party_org(s, branch_id)
        assert branch is not None and branch.term_years is None
        role = await s.scalar(select(Membership.role))
    assert role is MemberRole.MEMBER
