"""/overview through the chat: an admin sees coverage, meeting compliance this quarter,
renewals, overdue duties and secretaries' training matching the seeded world, with a chart;
secretaries and members are refused.

The world is seeded with the storage functions relative to today (the bot uses the wall
clock); the world builder is shared by the dashboard tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from handlers.kit.chat import NOT_ALLOWED
from handlers.kit.i18n import translator
from rules import terms
from rules.meetings import Period, period_of
from rules.training import TrainingDraft
from rules.vocabulary import (
    DriftTrigger,
    MeetingKind,
    MemberRole,
    MembershipState,
    MemberStatus,
    PartyOrgKind,
    SocialOrgType,
    TrainingKind,
)
from storage import drift_cases, meetings, orgs, people, transfers
from storage import training as training_store
from storage.models import Duty, DutyCompletion, Membership, PartyOrganization, Person
from storage.overview import add_months
from tests.harness import ADMIN_ID, Bot

TZ = ZoneInfo("Asia/Shanghai")
SEC_A, ALICE, SEC_J, SEC_C, CAROL = 810_001, 810_002, 810_101, 810_201, 810_202
NAMES = {
    SEC_A: "Sam Secretary", ALICE: "Alice Wang", SEC_J: "Jia Joint", SEC_C: "Chen Other",
    CAROL: "Carol Sun", ADMIN_ID: "Admin",
}
t = translator("en")


@dataclass
class World:
    top: int
    branch_a: int
    joint: int
    other_top: int
    branch_c: int
    past_months: int  # months of this quarter already over (each one missed by Branch A)
    duty_occurrence: str


def today() -> date:
    return datetime.now(TZ).date()


async def hold(session, org_id: int, kind: MeetingKind, day: date) -> None:
    """A meeting scheduled the day before and closed: held, as compliance counts it."""
    starts = datetime.combine(day, time(10), tzinfo=TZ)
    plan = meetings.MeetingPlan(
        org_id=org_id, kind=kind, starts_at=starts, ends_at=starts + timedelta(hours=1),
        topic=f"{kind.value} {day.isoformat()}", place="Room 1", host="Host",
        recorder="Recorder", lecturer=None, party_group_id=None,
    )
    meeting = await meetings.schedule(session, plan, created_by=ADMIN_ID,
                                      now=starts - timedelta(days=1))
    await session.flush()
    await meetings.close(session, meeting, minutes="minutes", by=ADMIN_ID,
                         now=starts + timedelta(hours=1))


async def build_world(bot: Bot, language: str = "en") -> World:
    """Two committees; Branch A (own social org, behind, term overdue, duty not done), a joint
    branch (two social orgs, on schedule, duty done, secretary trained) and one uncovered
    social organization; Branch C under another committee for isolation tests."""
    assert bot.app is not None
    now = today()
    quarter_first, _ = period_of(now, Period.QUARTER)
    past = [add_months(quarter_first, i) for i in range(3) if add_months(quarter_first, i + 1)
            <= now]
    duty_day = now - timedelta(days=20)
    async with bot.app.database.session() as s:
        top = await orgs.create_party_org(
            s, name="Harbour Committee", kind=PartyOrgKind.COMMITTEE, parent_id=None,
            actor_telegram_id=ADMIN_ID,
            # A 5-year term ending in two months: within the 6-month horizon.
            term_started_on=add_months(terms.add_years(now, -5), 2),
        )
        a = await orgs.create_party_org(
            s, name="Branch A", kind=PartyOrgKind.BRANCH, parent_id=top.id,
            actor_telegram_id=ADMIN_ID, term_started_on=terms.add_years(now, -3) - timedelta(10),
        )
        joint = await orgs.create_party_org(
            s, name="Joint Branch", kind=PartyOrgKind.JOINT_BRANCH, parent_id=top.id,
            actor_telegram_id=ADMIN_ID, term_started_on=terms.add_years(now, -1),
        )
        other = await orgs.create_party_org(
            s, name="Other Committee", kind=PartyOrgKind.COMMITTEE, parent_id=None,
            actor_telegram_id=ADMIN_ID, term_started_on=terms.add_years(now, -1),
        )
        c = await orgs.create_party_org(
            s, name="Branch C", kind=PartyOrgKind.BRANCH, parent_id=other.id,
            actor_telegram_id=ADMIN_ID, term_started_on=terms.add_years(now, -1),
        )
        for name, party_org in (("Alpha Law Firm", a.id), ("Beta Foundation", joint.id),
                                ("Gamma Community", joint.id), ("Delta Agency", None),
                                ("Epsilon Society", c.id)):
            await orgs.create_social_org(s, name=name, org_type=SocialOrgType.ASSOCIATION,
                                         party_org_id=party_org, actor_telegram_id=ADMIN_ID)
        person: dict[int, int] = {}
        for telegram_id, org, role in (
            (SEC_A, a, MemberRole.SECRETARY), (ALICE, a, MemberRole.MEMBER),
            (SEC_J, joint, MemberRole.SECRETARY), (SEC_C, c, MemberRole.SECRETARY),
            (CAROL, c, MemberRole.MEMBER),
        ):
            await people.appoint_by_telegram_id(
                s, org, telegram_id, role, status=MemberStatus.FULL, actor_telegram_id=ADMIN_ID,
                language=language,
            )
            found = await people.person_by_telegram_id(s, telegram_id)
            assert found is not None
            found.real_name = NAMES[telegram_id]
            person[telegram_id] = found.id
        admin = await people.ensure_person(s, ADMIN_ID, language=language, real_name="Admin")
        admin.language = language
        # Every organization existed long before the duty's deadline.
        await s.execute(update(PartyOrganization).values(
            created_at=datetime.combine(now - timedelta(days=800), time(0), tzinfo=TZ)))
        # The joint branch and Branch C held what the last completed periods required (they
        # have no committee and no 党小组, so they owe no committee or group meetings).
        last_month = period_of(period_of(now, Period.MONTH)[0] - timedelta(days=1),
                               Period.MONTH)[0]
        last_quarter = period_of(quarter_first - timedelta(days=1), Period.QUARTER)[0]
        for org_id in (joint.id, c.id):
            await hold(s, org_id, MeetingKind.THEME_DAY, last_month + timedelta(days=14))
            await hold(s, org_id, MeetingKind.ASSEMBLY, last_quarter + timedelta(days=20))
            await hold(s, org_id, MeetingKind.LESSON, last_quarter + timedelta(days=21))
            await hold(s, org_id, MeetingKind.ORG_LIFE, date(now.year - 1, 12, 10))
            await hold(s, org_id, MeetingKind.APPRAISAL, date(now.year - 1, 12, 11))
        # One reporting duty, due 20 days ago: the joint branch and Branch C handed it in.
        await s.execute(update(Duty).values(active=False))
        # Added before its deadline: only then is it overdue (as /duties shows it).
        duty = Duty(title="Party-building annual report", recurrence="once", day=1,
                    on_date=duty_day, lead_days=[7], audience=["secretaries"], active=True,
                    created_at=datetime.combine(now - timedelta(days=60), time(), UTC))
        s.add(duty)
        await s.flush()
        for org_id in (joint.id, c.id):
            s.add(DutyCompletion(duty_id=duty.id, party_organization_id=org_id,
                                 occurrence=duty_day.isoformat(), done_by=ADMIN_ID))
        # The joint branch's secretary did 3 days of concentrated training (or all days so far).
        first_day = max(date(now.year, 1, 1), now - timedelta(days=2))
        days = (now - first_day).days + 1
        for telegram_id in (SEC_J, SEC_C):
            await training_store.log_for_many(
                s, [person[telegram_id]],
                TrainingDraft(title=f"Secretaries' course {telegram_id}",
                              kind=TrainingKind.CONCENTRATED, starts_on=first_day, ends_on=now,
                              minutes=480 * days, organizer="County committee"),
                by=ADMIN_ID, today=now, now=bot.app.now(), verify=True,
            )
            # ...and the members' yearly study, which binds secretaries too (issue 14).
            await training_store.log_for_many(
                s, [person[telegram_id]],
                TrainingDraft(title=f"Online study {telegram_id}", kind=TrainingKind.ONLINE,
                              starts_on=first_day, ends_on=now,
                              minutes=min(32 * 60, 24 * 60 * days), organizer=None),
                by=ADMIN_ID, today=now, now=bot.app.now(), verify=True,
            )
    for telegram_id in NAMES:
        bot.person(telegram_id, NAMES[telegram_id], language_code=language)
        bot.emulator.user(telegram_id).started = True
    return World(top.id, a.id, joint.id, other.id, c.id, len(past), duty_day.isoformat())


async def test_admin_sees_the_overview_of_the_seeded_world(bot: Bot) -> None:
    world = await build_world(bot)
    assert bot.app is not None
    async with bot.app.database.session() as session:  # Alice moves to the joint branch
        alice = await session.scalar(select(Membership.id).join(Person).where(
            Person.telegram_id == ALICE, Membership.state == MembershipState.ACTIVE))
        assert alice is not None
        now = bot.app.now()
        letter = await transfers.issue_between(session, alice, world.joint, by=SEC_A, now=now,
                                               today=now.astimezone(TZ).date())
        await transfers.accept(session, letter.id, org_id=world.joint, by=SEC_J, now=now,
                               today=now.astimezone(TZ).date())
        carol = await session.scalar(select(Membership.id).join(Person).where(  # a case open
            Person.telegram_id == CAROL, Membership.state == MembershipState.ACTIVE))
        assert carol is not None
        await drift_cases.open_cases(
            session, [(carol, DriftTrigger.ABSENCE, now.date() - timedelta(days=190))], now)
    admin = bot.person(ADMIN_ID, "Admin", language_code="en")
    replies = await admin.say("/overview")
    text = "\n".join(m.text for m in replies)
    # Coverage: Alpha and Epsilon by their own branches, Beta and Gamma by the joint branch.
    assert t(
        "{covered} of {total} social organizations covered ({rate}): own party "
        "organization {own}, joint branch {joint}, not covered {none}.",
        covered=4, total=5, rate="80%", own=2, joint=2, none=1,
    ) in text
    assert t("{ok} of {n} branches on schedule, {behind} behind.", ok=2, n=3, behind=1) in text
    # Branch A held nothing: last month's theme day, last quarter's assembly and lesson and
    # last year's organizational life meeting and appraisal are missing; it has no committee.
    assert "❌ Branch A: 5 missing" in text
    assert "Joint Branch:" not in text.split("Committee terms")[0]  # on schedule: not listed
    assert "Committee terms ending within 6 months or overdue: 2" in text
    assert "🗳 Branch A: ended on" in text and "renewal overdue" in text
    assert "🗳 Harbour Committee: ends on" in text
    assert "Joint Branch: ends" not in text and "Branch C: ends" not in text
    assert "Reporting duties overdue: 1" in text
    assert f"📋 Party-building annual report ({world.duty_occurrence}, deadline" in text
    assert "1 organization has not handed it in" in text
    assert t("Secretaries on track today: {ok} of {n} ({rate}).", ok=2, n=3, rate="67%") in text
    year = datetime.now(TZ).year
    assert f"Transfers accepted in {year}: 1 in, 1 out." in text
    assert "📨 Branch A: 0 in, 1 out" in text and "📨 Joint Branch: 1 in, 0 out" in text
    assert "Six-month cases not settled by their branch: 1" in text
    assert "⚠️ Branch C: 1" in text
    photos = [m for m in replies if m.kind == "photo"]
    assert len(photos) == 1
    assert photos[0].text.startswith("Overview ")


async def test_secretaries_and_members_are_refused(bot: Bot) -> None:
    await build_world(bot)
    for telegram_id in (SEC_A, ALICE):
        person = bot.person(telegram_id, NAMES[telegram_id], language_code="en")
        replies = await person.say("/overview")
        assert [m.text for m in replies] == [t(NOT_ALLOWED)]
    stranger = bot.person(810_999, "Stranger", language_code="en")
    replies = await stranger.say("/overview")
    assert all("social organizations covered" not in m.text for m in replies)
