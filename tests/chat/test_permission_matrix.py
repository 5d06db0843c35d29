"""Every command and button × member / secretary of another branch / secretary / admin.

Buttons are pressed as forged callback data (a modified client can send any), so what counts
is the server's check: refused presses change nothing in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from handlers.kit.chat import NOT_ALLOWED, STALE_BUTTON
from handlers.kit.i18n import translator
from rules.vocabulary import (
    MemberRole,
    MembershipState,
    MemberStatus,
    PartyOrgKind,
    SocialOrgType,
    TransferState,
)
from storage import invites, orgs, people
from storage.models import (
    AuditEvent,
    Invite,
    Membership,
    MembershipTransfer,
    PartyGroup,
    PartyOrganization,
    SocialOrganization,
)
from tests.harness import ADMIN_ID, Bot

SECRETARY_A, SECRETARY_B, MEMBER_A, APPLICANT_A = 701, 702, 703, 704
t = translator("zh")
REFUSALS = (t(NOT_ALLOWED), t(STALE_BUTTON))


@dataclass
class World:
    branch_a: int
    branch_b: int
    member_a: int  # membership id
    applicant_a: int  # pending membership id
    group_a: int
    social: int


async def build_world(bot: Bot) -> World:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        top = await orgs.create_party_org(
            session, name="综合党委", kind=PartyOrgKind.COMMITTEE, parent_id=None,
            actor_telegram_id=ADMIN_ID,
        )
        a = await orgs.create_party_org(
            session, name="甲支部", kind=PartyOrgKind.BRANCH, parent_id=top.id,
            actor_telegram_id=ADMIN_ID,
        )
        b = await orgs.create_party_org(
            session, name="乙支部", kind=PartyOrgKind.BRANCH, parent_id=top.id,
            actor_telegram_id=ADMIN_ID,
        )
        for org, secretary in ((a, SECRETARY_A), (b, SECRETARY_B)):
            await people.appoint_by_telegram_id(
                session, org, secretary, MemberRole.SECRETARY, status=MemberStatus.FULL,
                actor_telegram_id=ADMIN_ID, language="zh",
            )
            await invites.create_invite(session, org_id=org.id, created_by=ADMIN_ID, valid_days=9,
                                        now=bot.app.now())
        group = await orgs.create_group(session, org=a, name="第一党小组", actor_telegram_id=None)
        social = await orgs.create_social_org(
            session, name="阳光协会", org_type=SocialOrgType.ASSOCIATION, party_org_id=None,
            actor_telegram_id=ADMIN_ID,
        )
        ids = []
        for telegram_id, name in ((MEMBER_A, "甲党员"), (APPLICANT_A, "甲申请人")):
            membership = await people.submit_registration(
                session,
                people.RegistrationForm(
                    telegram_id=telegram_id, language="zh", real_name=name, org_id=a.id,
                    status=MemberStatus.FULL, joined_party_on=date(2010, 1, 1),
                    phone="+8613900000000", invite_id=None,
                ),
            )
            ids.append(membership.id)
        await people.decide_registration(session, ids[0], approve=True, decided_by=ADMIN_ID)
        return World(a.id, b.id, ids[0], ids[1], group.id, social.id)


def buttons(w: World) -> list[str]:
    """Callback data of every button that acts on branch A (or the tree), from every feature."""
    m, a = w.member_a, w.branch_a
    return [
        # registration decisions
        f"apv:y:{w.applicant_a}", f"apv:n:{w.applicant_a}", f"apv:n0:{w.applicant_a}",
        f"apv:back:{w.applicant_a}",
        # member records
        f"mem:list:{a}:0", f"mem:gone:{a}:0", f"mem:card:{m}", f"mem:st:{m}",
        f"mem:setst:{m}:probationary", f"mem:rl:{m}", f"mem:setrl:{m}:committee_member",
        f"mem:gp:{m}", f"mem:setgp:{m}:{w.group_a}",
        # a transfer letter to branch B: begun from the card, the branch picked, confirmed
        f"tf:new:{m}", "tfi:where:inside", f"tf:to:{w.branch_b}", "tfi:confirm",
        # invites
        f"inv:show:{a}", f"inv:new:{a}", f"inv:renew:{a}", f"inv:keep:{a}", f"inv:one:{a}",
        # organization tree (admins only)
        "org:tree:0", f"org:card:{a}", "org:soc:0", "org:new:p", "org:new:s", f"org:ts:{a}",
        f"org:tl:{a}", f"org:ty:{a}:5", f"org:grp:{a}", f"org:cv:{a}:0", f"org:cs:{a}:{w.social}",
        f"org:cy:{a}:{w.social}", f"org:ap:{a}:0", f"org:am:{m}", f"org:ar:{m}:secretary",
        f"org:ay:{m}:secretary",
    ]


async def snapshot(bot: Bot) -> dict[str, Any]:
    """Everything a press could change."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        return {
            "memberships": (
                await session.execute(
                    select(
                        Membership.id, Membership.state, Membership.status, Membership.role,
                        Membership.party_group_id,
                    ).order_by(Membership.id)
                )
            ).all(),
            "transfers": (
                await session.execute(
                    select(MembershipTransfer.from_membership_id, MembershipTransfer.state)
                    .order_by(MembershipTransfer.id)
                )
            ).all(),
            "invites": (
                await session.execute(
                    select(Invite.id, Invite.revoked_at, Invite.uses).order_by(Invite.id)
                )
            ).all(),
            "orgs": (
                await session.execute(
                    select(
                        PartyOrganization.id, PartyOrganization.term_started_on,
                        PartyOrganization.term_years,
                    ).order_by(PartyOrganization.id)
                )
            ).all(),
            "coverage": (
                await session.execute(
                    select(SocialOrganization.id, SocialOrganization.party_organization_id)
                )
            ).all(),
            "groups": await session.scalar(select(func.count()).select_from(PartyGroup)),
            "audit": await session.scalar(select(func.count()).select_from(AuditEvent)),
        }


async def press_all(person: Any, data: list[str]) -> dict[str, str]:
    """Forge each callback; return what each press answered (alert text, or '' for none)."""
    answers: dict[str, str] = {}
    for item in data:
        before = len(person.alerts())
        await person.forge(item)
        alerts = person.alerts()
        answers[item] = alerts[-1] if len(alerts) > before else ""
    return answers


async def test_members_and_other_branches_are_refused_everything(bot: Bot) -> None:
    world = await build_world(bot)
    member = bot.person(MEMBER_A, "甲党员")
    other_secretary = bot.person(SECRETARY_B, "乙书记")
    for person in (member, other_secretary):
        await person.say("/start")
    before = await snapshot(bot)

    # Commands: the member is refused; the other secretary only ever sees branch B.
    for command in ("/orgs", "/pending", "/members", "/invite"):
        await member.say(command)
        assert member.last_text == t(NOT_ALLOWED), command
    await other_secretary.say("/orgs")
    assert other_secretary.last_text == t(NOT_ALLOWED)
    for command in ("/pending", "/members", "/invite"):
        replies = await other_secretary.say(command)
        seen = " ".join(r.text for r in replies)
        assert "甲" not in seen, (command, seen)
        assert "乙支部" in seen or "没有待审批" in seen, (command, seen)

    for person in (member, other_secretary):
        answers = await press_all(person, buttons(world))
        not_refused = {k: v for k, v in answers.items() if v not in REFUSALS}
        assert not not_refused, (person.name, not_refused)
    assert await snapshot(bot) == before


async def test_secretary_may_run_own_branch_but_not_the_tree(bot: Bot) -> None:
    world = await build_world(bot)
    secretary = bot.person(SECRETARY_A, "甲书记")
    await secretary.say("/start")
    before = await snapshot(bot)

    await secretary.say("/orgs")
    assert secretary.last_text == t(NOT_ALLOWED)
    replies = await secretary.say("/members")
    assert any("甲党员" in b for r in replies for b in secretary.buttons(r))
    replies = await secretary.say("/pending")
    assert any("甲申请人" in r.text for r in replies)
    replies = await secretary.say("/invite")
    assert any("start=" in r.text for r in replies)

    answers = await press_all(secretary, buttons(world))
    tree = {k: v for k, v in answers.items() if k.startswith("org:")}
    branch = {k: v for k, v in answers.items() if not k.startswith("org:")}
    assert all(v == t(NOT_ALLOWED) for v in tree.values()), tree
    assert not [k for k, v in branch.items() if v == t(NOT_ALLOWED)], branch
    after = await snapshot(bot)
    # The secretary's own-branch presses took effect: approval, status, role, group, and
    # finally a transfer letter to branch B, which waits for B's answer.
    member_row = next(r for r in after["memberships"] if r.id == world.member_a)
    applicant_row = next(r for r in after["memberships"] if r.id == world.applicant_a)
    assert applicant_row.state is MembershipState.ACTIVE
    assert member_row.status is MemberStatus.PROBATIONARY
    assert member_row.party_group_id == world.group_a
    assert member_row.state is MembershipState.ACTIVE
    assert [tuple(r) for r in after["transfers"]] == [(world.member_a, TransferState.WAITING)]
    async with bot.app.database.session() as session:  # type: ignore[union-attr]
        edits = (
            await session.scalars(
                select(AuditEvent.details).where(
                    AuditEvent.action == "membership.edit",
                    AuditEvent.target_id == world.member_a,
                )
            )
        ).all()
    assert any(e["after"]["role"] == "committee_member" for e in edits), edits
    # ...and the tree was not touched.
    for part in ("orgs", "coverage", "groups"):
        assert after[part] == before[part], part


async def test_admin_may_press_every_button(bot: Bot) -> None:
    world = await build_world(bot)
    admin = bot.person(ADMIN_ID, "管理员")
    await admin.say("/start")
    for command in ("/orgs", "/pending", "/members", "/invite"):
        await admin.say(command)
        assert admin.last_text != t(NOT_ALLOWED), command
    answers = await press_all(admin, buttons(world))
    assert not [k for k, v in answers.items() if v == t(NOT_ALLOWED)], answers
    after = await snapshot(bot)
    orgs_by_id = {row.id: row for row in after["orgs"]}
    assert orgs_by_id[world.branch_a].term_years == 5
    assert (world.social, world.branch_a) in after["coverage"]


async def meeting_world(bot: Bot) -> tuple[World, int, int, int]:
    """The world above plus an assembly of branch A starting in 10 minutes."""
    from datetime import timedelta

    from rules.vocabulary import MeetingKind
    from storage import meetings
    from storage.models import Attendance, utcnow

    world = await build_world(bot)
    assert bot.app is not None
    now = utcnow()
    async with bot.app.database.session() as session:
        meeting = await meetings.schedule(
            session,
            meetings.MeetingPlan(
                org_id=world.branch_a, kind=MeetingKind.ASSEMBLY,
                starts_at=now + timedelta(minutes=10), ends_at=now + timedelta(hours=1),
                topic="学习", place="会议室",
            ),
            created_by=ADMIN_ID, now=now,
        )
        lines = dict(
            (await session.execute(
                select(Attendance.membership_id, Attendance.id).where(
                    Attendance.meeting_id == meeting.id
                )
            )).all()
        )
    return world, meeting.id, lines[world.member_a], lines[
        next(m for m in lines if m != world.member_a)
    ]


def meeting_buttons(world: World, meeting: int, other_line: int) -> list[str]:
    """Leader-only meeting, check-in and ledger actions on branch A."""
    a = world.branch_a
    return [
        f"ms:org:{a}", f"mt:list:{a}:0", f"mt:card:{meeting}", f"mt:pp:{meeting}",
        f"mt:cx:{meeting}", f"mt:cxy:{meeting}", f"mt:cx0:{meeting}", f"mt:lok:{other_line}",
        f"mt:lno:{other_line}", f"ck:open:{meeting}", f"ck:code:{meeting}",
        f"ck:roster:{meeting}", f"ck:rp:{meeting}:0", f"ck:mark:{other_line}",
        f"ck:close:{meeting}", f"ck:rec:{meeting}", f"ck:fix:{other_line}",
        f"ck:fixto:{other_line}:present", f"ck:minutes:{meeting}", f"lg:comp:{a}:q",
        f"lg:lorg:{a}", f"lg:xlsx:{a}:tq",
    ]


async def meeting_snapshot(bot: Bot) -> dict[str, Any]:
    from storage.models import Attendance, Meeting

    assert bot.app is not None
    async with bot.app.database.session() as session:
        return {
            "meetings": (await session.execute(
                select(Meeting.id, Meeting.state, Meeting.starts_at, Meeting.minutes)
            )).all(),
            "lines": (await session.execute(
                select(Attendance.id, Attendance.status, Attendance.method).order_by(
                    Attendance.id
                )
            )).all(),
            "audit": await session.scalar(select(func.count()).select_from(AuditEvent)),
        }


async def test_meeting_actions_are_for_the_branch_leaders(bot: Bot) -> None:
    world, meeting, member_line, other_line = await meeting_world(bot)
    member = bot.person(MEMBER_A, "甲党员")
    other_secretary = bot.person(SECRETARY_B, "乙书记")
    for person in (member, other_secretary):
        await person.say("/start")
    before = await meeting_snapshot(bot)
    for person in (member, other_secretary):
        answers = await press_all(person, meeting_buttons(world, meeting, other_line))
        not_refused = {k: v for k, v in answers.items() if v not in REFUSALS}
        assert not not_refused, (person.name, not_refused)
    # A member of another branch cannot answer, check in or catch up on branch A's meeting.
    answers = await press_all(
        other_secretary,
        [f"mt:yes:{meeting}", f"mt:leave:{meeting}", f"mt:ics:{meeting}",
         f"ck:tap:{meeting}", f"ck:makeup:{member_line}"],
    )
    assert all(answers.values()), answers
    # Nobody got a file (ledger, calendar) or made a change: nothing stored.
    assert await meeting_snapshot(bot) == before
    kinds = {m.kind for m in bot.emulator.bot_messages(MEMBER_A)} | {
        m.kind for m in bot.emulator.bot_messages(SECRETARY_B)
    }
    assert kinds <= {"text"}, kinds

    # The member's own line is theirs to answer.
    await member.forge(f"mt:yes:{meeting}")
    after = await meeting_snapshot(bot)
    own = next(line for line in after["lines"] if line.id == member_line)
    assert own.status.value == "attending"


async def training_world(bot: Bot) -> tuple[World, int]:
    """The world above plus a pending training record of branch A's member, with evidence."""
    from rules.training import TrainingDraft
    from rules.vocabulary import TrainingKind
    from storage import training

    world = await build_world(bot)
    assert bot.app is not None
    today = bot.app.now().astimezone(bot.app.settings.tzinfo).date()
    async with bot.app.database.session() as session:
        membership = await session.get(Membership, world.member_a)
        assert membership is not None
        record = await training.log_training(
            session, membership.person_id,
            TrainingDraft(title="党史学习", kind=TrainingKind.ONLINE, starts_on=today,
                          ends_on=today, minutes=120),
            by=MEMBER_A, today=today, now=bot.app.now(),
            evidence=[training.EvidenceFile("photo-1", "uniq-1", "image/jpeg", 1000, None)],
        )
    return world, record.id


def training_buttons(world: World, record: int, year: int) -> list[str]:
    """Leader-only training actions on branch A and on the member's record."""
    a = world.branch_a
    return [
        f"tr:br:{a}", f"tr:bulk:{a}", f"tr:q:{a}:0", f"tr:bh:{a}:0", f"tr:ov:{a}:{year}",
        f"tr:x:{a}:{year}", f"tr:rc:{record}", f"tr:ok:{record}", f"tr:no:{record}",
        f"tr:fx:{record}",
    ]


async def training_snapshot(bot: Bot) -> dict[str, Any]:
    from storage.models import TrainingEvidence, TrainingRecord, TrainingYear

    assert bot.app is not None
    async with bot.app.database.session() as session:
        return {
            "records": (await session.execute(
                select(TrainingRecord.id, TrainingRecord.state, TrainingRecord.minutes,
                       TrainingRecord.reject_reason, TrainingRecord.decided_by)
                .order_by(TrainingRecord.id)
            )).all(),
            "years": (await session.execute(
                select(TrainingYear.record_id, TrainingYear.year, TrainingYear.minutes)
            )).all(),
            "evidence": await session.scalar(
                select(func.count()).select_from(TrainingEvidence)
            ),
            "audit": await session.scalar(select(func.count()).select_from(AuditEvent)),
        }


async def test_training_actions_are_for_the_branch_leaders(bot: Bot) -> None:
    from rules.vocabulary import TrainingState
    from storage.models import TrainingRecord

    world, record = await training_world(bot)
    assert bot.app is not None
    year = bot.app.now().astimezone(bot.app.settings.tzinfo).year
    member = bot.person(MEMBER_A, "甲党员")
    other_secretary = bot.person(SECRETARY_B, "乙书记")
    for person in (member, other_secretary):
        await person.say("/start")
    before = await training_snapshot(bot)

    # Commands: the member is refused; the other secretary sees nothing of branch A.
    for command in ("/verify", "/behind"):
        await member.say(command)
        assert member.last_text == t(NOT_ALLOWED), command
        replies = await other_secretary.say(command)
        seen = " ".join(r.text for r in replies)
        assert "甲" not in seen and "党史学习" not in seen, (command, seen)

    member_presses = [*training_buttons(world, record, year), "tr:q:0:0", "tr:bh:0:0"]
    answers = await press_all(member, member_presses)
    not_refused = {k: v for k, v in answers.items() if v not in REFUSALS}
    assert not not_refused, not_refused
    answers = await press_all(
        other_secretary,
        [*training_buttons(world, record, year), f"tr:ev:{record}", f"tr:wd:{record}"],
    )
    not_refused = {k: v for k, v in answers.items() if v not in REFUSALS}
    assert not not_refused, not_refused
    # Logging for members of branch B, the other secretary cannot slip branch A's member in.
    async with bot.app.database.session() as session:
        membership = await session.get(Membership, world.member_a)
        assert membership is not None
        member_person = membership.person_id
    await other_secretary.forge(f"tr:bulk:{world.branch_b}")
    answers = await press_all(other_secretary, [f"tr:pk:{member_person}"])
    assert all(v in REFUSALS for v in answers.values()), answers
    assert "甲党员" not in " ".join(other_secretary.buttons())
    # Nothing changed and no file (evidence, export) reached either of them.
    assert await training_snapshot(bot) == before
    kinds = {m.kind for m in bot.emulator.bot_messages(MEMBER_A)} | {
        m.kind for m in bot.emulator.bot_messages(SECRETARY_B)
    }
    assert kinds <= {"text"}, kinds

    # The branch's own secretary may do all of it.
    secretary = bot.person(SECRETARY_A, "甲书记")
    await secretary.say("/start")
    answers = await press_all(secretary, training_buttons(world, record, year))
    assert not [k for k, v in answers.items() if v == t(NOT_ALLOWED)], answers
    async with bot.app.database.session() as session:
        stored = await session.get(TrainingRecord, record)
        assert stored is not None
        assert stored.state is TrainingState.VERIFIED and stored.decided_by == SECRETARY_A
    assert any(m.kind == "document" for m in bot.emulator.bot_messages(SECRETARY_A))


async def test_duty_documents_are_for_the_branch_leaders(bot: Bot) -> None:
    """du:docs sends a branch's handed-in documents: never to its member or another branch's
    secretary (forged presses), only to its own secretary and admins."""
    from storage import duties

    world = await build_world(bot)
    assert bot.app is not None
    secretary = bot.person(SECRETARY_A, "甲书记")
    member = bot.person(MEMBER_A, "甲党员")
    other_secretary = bot.person(SECRETARY_B, "乙书记")
    admin = bot.person(ADMIN_ID, "管理员")
    for person in (secretary, member, other_secretary, admin):
        await person.say("/start")
    bot.emulator.send_document(SECRETARY_A, b"%PDF-1.4 report", "报告.pdf", "application/pdf")
    await bot.settle()
    [handed] = [m for m in bot.emulator.messages(SECRETARY_A) if m.kind == "document"]
    today = bot.app.now().astimezone(bot.app.settings.tzinfo).date()
    async with bot.app.database.session() as session:
        org_a = await orgs.get_party_org(session, world.branch_a)
        assert org_a is not None
        duty = await duties.create_duty(
            session, title="年度报告", org_id=world.branch_a, recurrence="yearly", day=10,
            month=5, on=None, lead_days=[3], audience=["secretaries"], by=ADMIN_ID)
        occurrence = next(line.occurrence for line in await duties.upcoming(session, org_a, today)
                          if line.duty_id == duty.id)
        await duties.complete(session, duty, world.branch_a, occurrence, by=SECRETARY_A,
                              file_id=handed.file_id, file_name="报告.pdf")
    presses = [f"du:docs:{duty.id}:{world.branch_a}"]
    before = await snapshot(bot)
    for person in (member, other_secretary):
        answers = await press_all(person, presses)
        assert all(v in REFUSALS for v in answers.values()), (person.name, answers)
    kinds = {m.kind for user in (MEMBER_A, SECRETARY_B) for m in bot.emulator.bot_messages(user)}
    assert kinds <= {"text"}, kinds
    assert await snapshot(bot) == before
    for person, user in ((secretary, SECRETARY_A), (admin, ADMIN_ID)):
        answers = await press_all(person, presses)
        assert not [v for v in answers.values() if v in REFUSALS], answers
        sent = [m for m in bot.emulator.bot_messages(user) if m.kind == "document"]
        assert [m.file_id for m in sent] == [handed.file_id], user
        assert "年度报告" in sent[0].text and "甲支部" in sent[0].text


def talk_buttons(world: World) -> list[str]:
    """The talks (谈心谈话) of branch A: its page, and recording one."""
    return [f"tk:br:{world.branch_a}:0", f"tk:new:{world.branch_a}"]


async def talks_snapshot(bot: Bot) -> dict[str, Any]:
    from storage.models import Talk

    assert bot.app is not None
    async with bot.app.database.session() as session:
        return {
            "talks": await session.scalar(select(func.count()).select_from(Talk)),
            "audit": await session.scalar(select(func.count()).select_from(AuditEvent)),
        }


async def test_talks_are_for_the_branch_leaders(bot: Bot) -> None:
    world = await build_world(bot)
    member = bot.person(MEMBER_A, "甲党员")
    other_secretary = bot.person(SECRETARY_B, "乙书记")
    for person in (member, other_secretary):
        await person.say("/start")
    before = await talks_snapshot(bot)

    # A member cannot open /talks at all; the other secretary sees only branch B.
    await member.say("/talks")
    assert member.last_text == t(NOT_ALLOWED)
    replies = await other_secretary.say("/talks")
    seen = " ".join(r.text for r in replies)
    assert "乙支部" in seen and "甲" not in seen, seen
    answers = await press_all(member, [*talk_buttons(world), "tk:brs:0"])
    assert all(v in REFUSALS for v in answers.values()), answers
    answers = await press_all(other_secretary, talk_buttons(world))
    assert all(v == t(NOT_ALLOWED) for v in answers.values()), answers
    assert await talks_snapshot(bot) == before

    # The branch's secretary and the admin may open it; the secretary may record.
    secretary = bot.person(SECRETARY_A, "甲书记")
    admin = bot.person(ADMIN_ID, "管理员")
    for person in (secretary, admin):
        await person.say("/start")
        answers = await press_all(person, talk_buttons(world)[:1])
        assert not [k for k, v in answers.items() if v == t(NOT_ALLOWED)], answers
        assert "甲支部" in person.last_text
    answers = await press_all(secretary, talk_buttons(world)[1:])
    assert not [k for k, v in answers.items() if v == t(NOT_ALLOWED)], answers
    assert "甲党员" in " ".join(secretary.buttons())
