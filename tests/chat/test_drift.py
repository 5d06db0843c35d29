"""Drift warnings (失联, 党章 art. 9): who is warned about, what resets the clock, and the
six-month case. Planner and courier run on a clock the test moves (tests/chat/test_reminders.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update

from rules.dues import Month
from rules.vocabulary import (
    AttendanceStatus,
    CaseOutcome,
    CheckinMethod,
    DuesMethod,
    MeetingKind,
    MemberRole,
    MemberStatus,
    PartyOrgKind,
    ReminderKind,
)
from storage import dues as dues_store
from storage import meetings as meeting_store
from storage import orgs, people
from storage.models import Attendance, DriftCase, Membership, NotificationPreference, Person
from tests.chat.test_reminders import ALICE, BOB, SECRETARY, T0, World, reminders_about, world
from tests.harness import ADMIN_ID, Bot

CAROL, SECRETARY_B = 81_004, 81_005
DRIFT = "no organizational life for 3 months"


async def joined_at(w: World, when: datetime) -> None:
    """Everyone's membership was decided at `when` (the fixture approves at the wall clock)."""
    assert w.bot.app is not None
    async with w.bot.app.database.session() as session:
        await session.execute(update(Membership).values(decided_at=when, requested_at=when))


async def membership_of(w: World, telegram_id: int) -> Membership:
    assert w.bot.app is not None
    async with w.bot.app.database.session() as session:
        found = await session.scalar(
            select(Membership).join(Person, Person.id == Membership.person_id)
            .where(Person.telegram_id == telegram_id).order_by(Membership.id.desc())
        )
        assert found is not None
        return found


def drift_lines(w: World, fragment: str = DRIFT, to: int = SECRETARY) -> list[str]:
    return [part for text in w.texts(to) for part in text.split("\n\n") if fragment in part]


async def test_activists_are_not_warned_about(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    bot.emulator.add_user(CAROL, "Carol", language_code="en").started = True
    async with bot.app.database.session() as session:
        membership = await people.submit_registration(
            session,
            people.RegistrationForm(
                telegram_id=CAROL, language="en", real_name="Name 81004", org_id=w.branch,
                status=MemberStatus.ACTIVIST, joined_party_on=None, phone=None, invite_id=None,
            ),
        )
        await people.decide_registration(session, membership.id, approve=True,
                                         decided_by=SECRETARY)
    await joined_at(w, T0)
    await w.plan(T0 + timedelta(days=95))
    lines = drift_lines(w)
    assert any(line.startswith("👥 Name 81002 has") for line in lines)
    assert not any("Name 81004" in line for line in lines)  # the activist


async def test_a_self_confirmed_catch_up_counts_once_the_secretary_accepts_it(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    await joined_at(w, T0)
    starts = T0 + timedelta(days=10)
    alice = await membership_of(w, ALICE)
    bob = await membership_of(w, BOB)
    async with bot.app.database.session() as session:
        meeting = await meeting_store.schedule(
            session,
            meeting_store.MeetingPlan(
                org_id=w.branch, kind=MeetingKind.ASSEMBLY, starts_at=starts,
                ends_at=starts + timedelta(hours=2), topic="Study session", place="Room 1",
            ),
            created_by=SECRETARY, now=T0,
        )
        await meeting_store.check_in(session, meeting, bob.id, method=CheckinMethod.MANUAL,
                                     now=starts, by=SECRETARY)
        await meeting_store.close(session, meeting, minutes="notes", by=SECRETARY,
                                  now=starts + timedelta(hours=2))
        line = await meeting_store.attendance_of(session, meeting.id, alice.id)
        assert line is not None and line.status is AttendanceStatus.ABSENT
        assert await meeting_store.confirm_makeup(session, line, starts + timedelta(days=2))
    # Three months after joining: Alice's own "I have caught up" has not stopped the clock.
    await w.plan(T0 + timedelta(days=95))
    lines = drift_lines(w)
    assert any(line.startswith("👥 Name 81002 has") for line in lines)
    assert not any("Name 81003" in line for line in lines)  # Bob was present

    secretary = bot.person(SECRETARY, "Sec", "en")
    await secretary.say("/makeups")
    assert "Name 81002: Branch general assembly «Study session»" in secretary.last_text
    await secretary.tap("✅ Accept: Name 81002, 01-17")
    assert "No catch-ups are waiting" in secretary.last_text
    async with bot.app.database.session() as session:
        accepted = await session.scalar(
            select(Attendance.makeup_accepted_by).where(Attendance.membership_id == alice.id)
        )
    assert accepted == SECRETARY
    # Accepted: her organizational life is the catch-up of 19 January (three months: 19 April).
    await w.plan(T0 + timedelta(days=101))  # 18 April
    assert len([x for x in drift_lines(w) if "Name 81002" in x]) == 1
    await w.plan(T0 + timedelta(days=102, hours=1))  # 19 April
    assert [x for x in drift_lines(w) if "Name 81002" in x][-1].endswith(
        "(last: 2030-01-19). Please get in touch; after 6 months party rules treat a member as "
        "having left."
    )
    # A member cannot accept a catch-up: the button is checked on the server.
    member = bot.person(ALICE, "Alice", "en")
    await member.say("/makeups")
    refusal = member.last_text
    await member.forge(f"mk:ok:{line.id}")
    assert member.alerts() or member.last_text == refusal


async def test_a_transfer_between_branches_does_not_restart_the_clock(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    bot.emulator.add_user(SECRETARY_B, "SecB", language_code="en").started = True
    await joined_at(w, T0 - timedelta(days=60))
    alice = await membership_of(w, ALICE)
    async with bot.app.database.session() as session:
        branch_b = await orgs.create_party_org(
            session, name="Branch B", kind=PartyOrgKind.BRANCH, parent_id=w.committee,
            actor_telegram_id=ADMIN_ID,
        )
        await people.appoint_by_telegram_id(
            session, branch_b, SECRETARY_B, MemberRole.SECRETARY, status=MemberStatus.FULL,
            actor_telegram_id=ADMIN_ID, language="en",
        )
        old = await session.get(Membership, alice.id)
        assert old is not None
        assert await people.transfer_out(session, old, to="Branch B",
                                         actor_telegram_id=SECRETARY)
        moved = await people.submit_registration(
            session,
            people.RegistrationForm(
                telegram_id=ALICE, language="en", real_name="Name 81002", org_id=branch_b.id,
                status=MemberStatus.FULL, joined_party_on=date(2015, 7, 1), phone=None,
                invite_id=None,
            ),
        )
        await people.decide_registration(session, moved.id, approve=True,
                                         decided_by=SECRETARY_B)
        # Accepted in Branch B today (T0): the clock still runs from 60 days before.
        moved.decided_at = T0
        moved.requested_at = T0
    await w.plan(T0 + timedelta(days=35))
    assert any(line.startswith("👥 Name 81002 has") for line in drift_lines(w, to=SECRETARY_B))
    assert not any("Name 81002" in line for line in drift_lines(w))  # no longer Branch A's


async def test_at_six_months_the_secretary_gets_a_case_even_with_drift_muted(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    await joined_at(w, T0)
    async with bot.app.database.session() as session:
        secretary = await session.scalar(select(Person.id).where(Person.telegram_id == SECRETARY))
        assert secretary is not None
        session.add(NotificationPreference(person_id=secretary, muted_kinds=[ReminderKind.DRIFT]))
    await w.plan(T0 + timedelta(days=170))
    assert drift_lines(w, "organizational life") == []  # muted: 3 and 5 months
    await w.plan(T0 + timedelta(days=182))  # 7 July: six months complete
    cases = drift_lines(w, "Case to handle")
    assert len(cases) == 3  # Alice, Bob, and the secretary
    alice = next(c for c in cases if "Name 81002" in c)
    assert alice == (
        "⚠️ Case to handle: Name 81002 has taken part in no organizational life for 6 months "
        "(last: 2030-01-07). Party rules (党章 art. 9) treat a member who, without good reason, "
        "takes no part for 6 months as having left the party. Please talk with them and decide: "
        "if they have caught up, accept it in /makeups; if they have good reason (ill, abroad, "
        "elderly), excuse them on their card in /members; otherwise report the case to the level "
        "above."
    )
    await w.plan(T0 + timedelta(days=183))
    assert len(drift_lines(w, "Case to handle")) == 3  # once each
    assert reminders_about(w.texts(ALICE), "Case to handle") == []

    # The cases wait on the members' cards: Alice's is reported, Bob is excused (a good reason).
    alice_m, bob_m = await membership_of(w, ALICE), await membership_of(w, BOB)
    sec = bot.person(SECRETARY, "Sec", language_code="en")
    await sec.say("/members")
    await sec.tap(f"mem:card:{alice_m.id}")
    assert "⚠️ Six-month case: no organizational life since 2030-01-07." in sec.last_text
    await sec.tap("📤 Reported to the level above")
    assert "Recorded: the case was reported to the level above." in sec.last_text
    assert "Six-month case" not in sec.last_text
    await sec.say("/members")
    await sec.tap(f"mem:card:{bob_m.id}")
    await sec.tap("🕊 Excuse from organizational life")
    await sec.tap("Ill")
    await sec.tap("Until the branch ends it")
    assert "Six-month case" not in sec.last_text
    await sec.forge(f"mem:case:{bob_m.id}")  # settled already: nothing to report
    assert "No case of this member is open any more." in sec.last_text
    await w.plan(T0 + timedelta(days=190))  # the same runs open no second case
    async with bot.app.database.session() as session:
        settled = (await session.execute(
            select(DriftCase.membership_id, DriftCase.outcome).order_by(DriftCase.membership_id)
            .where(DriftCase.membership_id.in_((alice_m.id, bob_m.id))))).all()
    assert [tuple(row) for row in settled] == [
        (alice_m.id, CaseOutcome.REPORTED), (bob_m.id, CaseOutcome.EXCUSED)]


async def test_unpaid_dues_warn_at_three_and_five_months_and_open_a_case_at_six(bot: Bot) -> None:
    """The six-month rule's second trigger: no dues confirmed by the branch (a member's own
    report does not stop the clock until confirmed); a confirmation restarts the run."""
    w = await world(bot)
    assert bot.app is not None
    await joined_at(w, T0)
    alice, bob = await membership_of(w, ALICE), await membership_of(w, BOB)
    async with bot.app.database.session() as session:
        await dues_store.record_payment(
            session, person_id=alice.person_id, org_id=w.branch, months=[Month(2030, 1)],
            amount=Decimal(15), paid_on=date(2030, 1, 7), method=DuesMethod.CASH, by=SECRETARY,
            now=T0)
        await dues_store.record_payment(
            session, person_id=bob.person_id, org_id=w.branch,
            months=[Month(2030, m) for m in range(1, 7)], amount=Decimal(90),
            paid_on=date(2030, 1, 7), method=DuesMethod.ONLINE, by=BOB, now=T0, reported=True)

    def dues_lines(name: str) -> list[str]:
        return [x for x in drift_lines(w, "paid no party dues") if name in x]

    await w.plan(datetime(2030, 4, 1, 2, tzinfo=UTC))  # 10:00 on 1 April in Shanghai
    assert dues_lines("Name 81003") == [
        "💰 Name 81003 has paid no party dues for 3 months (paid up to 2029-12). Please get in "
        "touch; after 6 months party rules treat a member as having left."]
    assert dues_lines("Name 81002") == []  # January paid: her run starts in February
    await w.plan(datetime(2030, 5, 1, 2, tzinfo=UTC))
    assert [x.split(" (")[0] for x in dues_lines("Name 81002")] == [
        "💰 Name 81002 has paid no party dues for 3 months"]
    await w.plan(datetime(2030, 7, 1, 2, tzinfo=UTC))
    bob_lines = dues_lines("Name 81003")
    assert len(bob_lines) == 3 and "for 5 months" in bob_lines[1]
    assert bob_lines[2].startswith("⚠️ Case to handle: Name 81003 has paid no party dues for 6")
    assert "for 5 months (paid up to 2030-01)" in dues_lines("Name 81002")[-1]

    async with bot.app.database.session() as session:  # the secretary confirms Bob's report
        assert await dues_store.decide_reported(
            session, bob.person_id, [Month(2030, m) for m in range(1, 7)], accept=True,
            by=SECRETARY) == 6
    await w.plan(datetime(2030, 8, 1, 2, tzinfo=UTC))
    assert len(dues_lines("Name 81003")) == 3  # paid up to June: nothing new for him
    assert dues_lines("Name 81002")[-1].startswith(
        "⚠️ Case to handle: Name 81002 has paid no party dues for 6 months (paid up to 2030-01)")


async def test_a_member_the_branch_excused_is_not_warned_about_while_excused(bot: Bot) -> None:
    """党员教育管理工作条例: a member excused from organizational life (ill, abroad, elderly) is
    not drifting; the secretary records it on the member's card, and warnings resume after."""
    w = await world(bot)
    assert bot.app is not None
    await joined_at(w, T0)
    bob = await membership_of(w, BOB)
    secretary = bot.person(SECRETARY, "Sec", language_code="en")
    await secretary.say("/members")
    await secretary.tap(f"mem:card:{bob.id}")
    await secretary.tap("🕊 Excuse from organizational life")
    assert set(secretary.buttons()) >= {"Ill", "Abroad", "Elderly", "Another good reason"}
    await secretary.tap("Abroad")
    await secretary.tap("6 months")
    assert "Name 81003 is excused from organizational life." in secretary.last_text
    assert "Excused from organizational life (Abroad) until 2030-07-07" in secretary.last_text
    assert "End the excuse" in secretary.buttons()

    await w.plan(T0 + timedelta(days=95))
    assert any(line.startswith("👥 Name 81002 has") for line in drift_lines(w))
    assert not any("Name 81003" in line for line in drift_lines(w))

    await w.plan(datetime(2030, 7, 8, 2, tzinfo=UTC))  # the excuse ended on 7 July
    assert any("Name 81003" in line for line in drift_lines(w, "organizational life"))
