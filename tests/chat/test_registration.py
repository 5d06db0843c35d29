"""A member registers through the chat; a secretary approves or rejects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from rules.vocabulary import MemberRole, MembershipState, MemberStatus, PartyOrgKind
from storage import invites, orgs, people
from storage.models import Membership, Person
from tests.harness import ADMIN_ID, Bot

SECRETARY_ID = 700_001


async def seed_branch(bot: Bot, name: str = "阳光社工服务中心党支部") -> tuple[int, str]:
    """A branch with a secretary (appointed by an admin) and a current invite code."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        org = await orgs.create_party_org(
            session, name=name, kind=PartyOrgKind.BRANCH, parent_id=None,
            actor_telegram_id=ADMIN_ID,
        )
        await people.appoint_by_telegram_id(
            session, org, SECRETARY_ID, MemberRole.SECRETARY, status=MemberStatus.FULL,
            actor_telegram_id=ADMIN_ID, language="zh",
        )
        invite = await invites.create_invite(
            session, org_id=org.id, created_by=SECRETARY_ID, valid_days=14, now=bot.app.now()
        )
        return org.id, invite.code


async def register(bot: Bot, member, code: str, *, name: str, status: str = "正式党员",
                   phone: str | None = None) -> None:
    await member.say(f"/start {code}")
    await member.tap("中文")
    assert "真实姓名" in member.last_text
    await member.say(name)
    assert member.saw("党支部")
    await member.tap(status)
    await member.say("2015-07-01")
    if phone:
        await member.share_contact(phone)
    else:
        await member.say("跳过")
    assert "请核对" in member.last_text
    await member.tap("✅ 提交")


async def test_member_registers_by_invite_and_secretary_approves(bot: Bot) -> None:
    _, code = await seed_branch(bot)
    secretary = bot.person(SECRETARY_ID, "书记")
    await secretary.say("/start")
    alice = bot.person(1001, "Alice")

    await register(bot, alice, code, name="王丽", phone="+8613800001234")

    assert alice.saw("已提交")
    # The secretary sees the request with the phone (own branch) and buttons.
    request = secretary.last
    assert "王丽" in request.text and "+8613800001234" in request.text
    assert "✅ 批准" in secretary.buttons(request)

    await secretary.tap("✅ 批准")
    assert "已批准" in secretary.last_text
    assert "批准" in alice.last_text and "欢迎" in alice.last_text

    # Pressing approve again changes nothing and says so.
    async with bot.app.database.session() as session:  # type: ignore[union-attr]
        membership_id = await session.scalar(
            select(Membership.id).join(Person).where(Person.telegram_id == 1001)
        )
    await secretary.forge(f"apv:y:{membership_id}", message_id=request.message_id)
    assert "已经处理" in secretary.last_text

    async with bot.app.database.session() as session:  # type: ignore[union-attr]
        rows = (
            await session.execute(
                select(Person.real_name, Person.phone, Membership.state, Membership.status)
                .join(Membership)
                .where(Person.telegram_id == 1001)
            )
        ).all()
    assert rows == [("王丽", "+8613800001234", MembershipState.ACTIVE, MemberStatus.FULL)]

    await alice.say("/me")
    assert "王丽" in alice.last_text and "阳光社工服务中心党支部" in alice.last_text


async def test_secretary_rejects_with_reason_and_member_may_try_again(bot: Bot) -> None:
    _, code = await seed_branch(bot)
    secretary = bot.person(SECRETARY_ID, "书记")
    await secretary.say("/start")
    bob = bot.person(1002, "Bob", language_code="en")
    await bob.say(f"/start {code}")
    await bob.tap("English")
    await bob.say("Bob Li")
    await bob.tap("Activist")
    await bob.say("2023-03-15")
    await bob.say("Skip")
    await bob.tap("✅ Submit")
    assert bob.saw("Submitted")

    await secretary.tap("❌ 拒绝")
    assert "原因" in secretary.last_text
    await secretary.say("不是本组织成员")
    assert "已拒绝" in secretary.last_text
    assert "not approved" in bob.last_text and "不是本组织成员" in bob.last_text

    async with bot.app.database.session() as session:  # type: ignore[union-attr]
        state = await session.scalar(
            select(Membership.state).join(Person).where(Person.telegram_id == 1002)
        )
        assert state is MembershipState.REJECTED
    # Rejected people can register again.
    await bob.say(f"/start {code}")
    assert "Choose your language" in bob.last_text


async def test_restart_mid_registration_keeps_what_was_entered(bot: Bot) -> None:
    _, code = await seed_branch(bot)
    carol = bot.person(1003, "Carol")
    await carol.say(f"/start {code}")
    await carol.tap("中文")
    await carol.say("张三")
    await carol.tap("预备党员")

    await bot.restart()

    await carol.say("2020-01-02")
    assert "手机号" in carol.last_text
    await carol.say("跳过")
    assert "张三" in carol.last_text and "预备党员" in carol.last_text
    await carol.tap("✅ 提交")
    async with bot.app.database.session() as session:  # type: ignore[union-attr]
        count = await session.scalar(
            select(func.count()).select_from(Membership).where(
                Membership.state == MembershipState.PENDING
            )
        )
    assert count == 1


async def test_appointed_secretary_completes_their_details_without_approval(bot: Bot) -> None:
    await seed_branch(bot)
    secretary = bot.person(SECRETARY_ID, "Secretary", language_code="en")
    await secretary.say("/me")  # appointed in Chinese by the admin: no name yet
    assert "请发送 /start 补充个人信息" in secretary.last_text
    await secretary.say("/start")
    assert secretary.saw("请补充您的个人信息")
    await secretary.tap("English")
    await secretary.say("Zhao Min")
    await secretary.tap("Full member")
    await secretary.say("2008-07-01")
    await secretary.say("Skip")
    await secretary.tap("✅ Submit")
    assert secretary.saw("Your details are saved.")
    async with bot.app.database.session() as session:  # type: ignore[union-attr]
        row = (
            await session.execute(
                select(Person.real_name, Membership.state, Membership.role)
                .join(Membership)
                .where(Person.telegram_id == SECRETARY_ID)
            )
        ).one()
    assert tuple(row) == ("Zhao Min", MembershipState.ACTIVE, MemberRole.SECRETARY)
    await secretary.say("/me")
    assert "Zhao Min" in secretary.last_text and "Secretary" in secretary.last_text


async def test_the_invite_and_the_approval_go_by_the_bots_clock(bot: Bot) -> None:
    assert bot.app is not None
    made = datetime(2026, 12, 5, 16, 40, tzinfo=UTC)  # 00:40 on 6 December in Shanghai
    clock = [made]
    bot.app.courier.clock = lambda: clock[0]
    _, code = await seed_branch(bot)  # valid for 14 days
    secretary = bot.person(SECRETARY_ID, "书记")
    await secretary.say("/start")

    clock[0] = made + timedelta(days=13, hours=23)  # the last hour of the link
    alice = bot.person(1001, "Alice")
    await register(bot, alice, code, name="王丽")
    assert alice.saw("已提交")
    await secretary.tap("✅ 批准")
    assert "已批准" in secretary.last_text
    async with bot.app.database.session() as session:
        decided_at = await session.scalar(
            select(Membership.decided_at).join(Person).where(Person.telegram_id == 1001)
        )
    assert decided_at == clock[0]

    clock[0] = made + timedelta(days=14)
    bob = bot.person(1002, "Bob", language_code="en")
    await bob.say(f"/start {code}")
    assert bob.saw("This invite link has expired.")


async def test_an_applicant_registers_and_enters_member_development(bot: Bot) -> None:
    """入党申请人 is a status a newcomer may choose: on approval the branch's development
    pipeline holds them at the first stage, from the application's day, and the talk the
    branch owes within a month is due from that day."""
    assert bot.app is not None
    now = datetime(2030, 3, 10, 2, 0, tzinfo=UTC)
    bot.app.courier.clock = lambda: now
    _, code = await seed_branch(bot)
    secretary = bot.person(SECRETARY_ID, "书记")
    await secretary.say("/start")
    dan = bot.person(1004, "Dan", language_code="en")
    await dan.say(f"/start {code}")
    await dan.tap("English")
    await dan.say("Dan Wu")
    assert "Applicant (application handed in)" in dan.buttons()
    await dan.tap("Applicant (application handed in)")
    assert "When did you apply to join the party?" in dan.last_text
    await dan.say("2030-03-02")
    await dan.say("Skip")
    assert "Status: Applicant (application handed in)" in dan.last_text
    await dan.tap("✅ Submit")
    assert "政治面貌：入党申请人" in secretary.last_text
    await secretary.tap("✅ 批准")

    async with bot.app.database.session() as session:
        status = await session.scalar(
            select(Membership.status).join(Person).where(Person.telegram_id == 1004))
    assert status is MemberStatus.APPLICANT
    await dan.say("/development")
    assert "Your way to membership: Applicant" in dan.last_text
    assert "Application: 2030-03-02" in dan.last_text
    await secretary.say("/development")
    assert "Dan Wu" in secretary.last_text
    assert "Dan Wu — 2030-04-02前与入党申请人谈话" in secretary.last_text
    # Not a party member yet: no dues.
    await dan.say("/dues")
    assert "Applicants and activists pay no Party dues" in dan.last_text
