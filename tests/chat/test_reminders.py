"""Reminders end to end: the planner records them, the courier delivers them through the
emulator, people read them. Planner and courier run on a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from reminders import rules as when
from reminders.delivery import Courier
from reminders.duties import duty_dues
from reminders.planner import PlanSettings, plan_all
from rules.vocabulary import MeetingKind, MemberRole, MemberStatus, PartyOrgKind
from storage import meetings as meeting_store
from storage import orgs, people
from storage.duties import mark_duty_done, record_renewal, template_of
from storage.models import (
    Duty,
    NotificationPreference,
    OutboxMessage,
    OutboxState,
    PartyOrganization,
    Person,
)
from tests.harness import ADMIN_ID, Bot

SECRETARY, ALICE, BOB = 81_001, 81_002, 81_003
# Monday 2030-01-07, 10:00 in Shanghai: a working day outside quiet hours.
T0 = datetime(2030, 1, 7, 2, 0, tzinfo=UTC)


@dataclass
class World:
    bot: Bot
    branch: int
    committee: int
    clock: list[datetime]

    @property
    def courier(self) -> Courier:
        assert self.bot.app is not None
        return self.bot.app.courier

    def settings(self) -> PlanSettings:
        assert self.bot.app is not None
        return PlanSettings(tz=self.bot.app.settings.tzinfo, admins=frozenset({ADMIN_ID}))

    async def plan(self, at: datetime) -> int:
        """A planner pass at `at`, then the courier delivers what is due at `at`."""
        assert self.bot.app is not None
        self.clock[0] = at
        async with self.bot.app.database.session() as session:
            added = await plan_all(session, at, self.settings())
        await self.courier.deliver_due()
        return added

    def texts(self, user_id: int) -> list[str]:
        return [m.text for m in self.bot.emulator.bot_messages(user_id)]


async def world(bot: Bot) -> World:
    """A committee with a branch: a secretary and two members, all of whom opened the bot."""
    assert bot.app is not None
    clock = [T0]
    bot.app.courier.clock = lambda: clock[0]  # the bot's planner and courier jobs use it too
    for user_id, name in ((SECRETARY, "Sec"), (ALICE, "Alice"), (BOB, "Bob"), (ADMIN_ID, "Adm")):
        bot.emulator.add_user(user_id, name, language_code="en").started = True
    async with bot.app.database.session() as session:
        top = await orgs.create_party_org(
            session, name="Committee", kind=PartyOrgKind.COMMITTEE, parent_id=None,
            actor_telegram_id=ADMIN_ID,
        )
        branch = await orgs.create_party_org(
            session, name="Branch A", kind=PartyOrgKind.BRANCH, parent_id=top.id,
            actor_telegram_id=ADMIN_ID,
        )
        await people.appoint_by_telegram_id(
            session, branch, SECRETARY, MemberRole.SECRETARY, status=MemberStatus.FULL,
            actor_telegram_id=ADMIN_ID, language="en",
        )
        for user_id in (ALICE, BOB):
            membership = await people.submit_registration(
                session,
                people.RegistrationForm(
                    telegram_id=user_id, language="en", real_name=f"Name {user_id}",
                    org_id=branch.id, status=MemberStatus.FULL, joined_party_on=date(2015, 7, 1),
                    phone=None, invite_id=None,
                ),
            )
            await people.decide_registration(session, membership.id, approve=True,
                                             decided_by=SECRETARY)
        branch_id, top_id = branch.id, top.id
    return World(bot, branch_id, top_id, clock)


async def schedule(w: World, starts_at: datetime, *, now: datetime) -> int:
    assert w.bot.app is not None
    async with w.bot.app.database.session() as session:
        meeting = await meeting_store.schedule(
            session,
            meeting_store.MeetingPlan(
                org_id=w.branch, kind=MeetingKind.ASSEMBLY, starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=2), topic="Study session", place="Room 1",
            ),
            created_by=SECRETARY, now=now,
        )
        return meeting.id


async def outbox_rows(w: World, kind: str | None = None) -> list[OutboxMessage]:
    assert w.bot.app is not None
    async with w.bot.app.database.session() as session:
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            statement = statement.where(OutboxMessage.kind == kind)
        return list((await session.scalars(statement)).all())


def reminders_about(texts: list[str], fragment: str) -> list[str]:
    return [t for t in texts if fragment in t]


async def test_members_are_reminded_a_day_and_an_hour_before_once_each(bot: Bot) -> None:
    w = await world(bot)
    starts = T0 + timedelta(days=2)
    await schedule(w, starts, now=T0)
    await w.plan(T0)
    assert await outbox_rows(w, "meeting") == []  # two days ahead: nothing to record yet
    await w.plan(starts - timedelta(hours=25))
    assert await outbox_rows(w, "meeting") == []  # planned by time slice, not a day ahead
    await w.plan(starts - timedelta(hours=24, minutes=10))
    rows = await outbox_rows(w, "meeting")
    # Alice, Bob and the secretary are expected: recorded a few minutes before they are due.
    assert len(rows) == 3 and {r.state for r in rows} == {OutboxState.PENDING}
    assert reminders_about(w.texts(ALICE), "⏰ Reminder") == []
    await w.plan(starts - timedelta(hours=24))
    assert reminders_about(w.texts(ALICE), "⏰ Reminder") == [
        "⏰ Reminder: Branch general assembly “Study session” starts at 2030-01-09 10:00. Room 1\n"
        "Check in with /checkin when you arrive."
    ]
    await w.plan(starts - timedelta(hours=24) + timedelta(minutes=5))  # a repeated pass
    await w.plan(starts - timedelta(hours=1))
    for user_id in (ALICE, BOB, SECRETARY):
        assert len(reminders_about(w.texts(user_id), "⏰ Reminder")) == 2
    assert {r.state for r in await outbox_rows(w, "meeting")} == {OutboxState.SENT}


async def test_a_moved_meeting_is_reminded_at_its_new_time_only(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    starts = T0 + timedelta(hours=4)  # 14:00 today
    meeting_id = await schedule(w, starts, now=T0)
    await w.plan(T0)
    assert await outbox_rows(w, "meeting") == []  # four hours ahead: nothing falls due yet
    await w.plan(starts - timedelta(hours=1, minutes=10))
    planned = await outbox_rows(w, "meeting")
    assert len(planned) == 3  # the one-hour reminders, recorded ahead of time
    later = starts + timedelta(days=1)
    async with bot.app.database.session() as session:
        meeting = await meeting_store.get_meeting(session, meeting_id)
        assert meeting is not None
        await meeting_store.postpone(session, meeting, starts_at=later, by=SECRETARY, now=T0)
    assert {r.state for r in await outbox_rows(w, "meeting")} == {OutboxState.CANCELLED}
    await w.plan(starts - timedelta(hours=1))  # the old time: nothing is sent
    assert reminders_about(w.texts(ALICE), "⏰") == []
    await w.plan(later - timedelta(hours=24))
    await w.plan(later - timedelta(hours=1))
    expected = (
        "⏰ Reminder: Branch general assembly “Study session” starts at 2030-01-08 14:00. Room 1\n"
        "Check in with /checkin when you arrive."
    )
    assert reminders_about(w.texts(ALICE), "⏰") == [expected, expected]


async def test_quiet_hours_hold_an_early_reminder_and_muting_stops_it(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    # 07:00 local on Wednesday: the 24-hour reminder would fall at 07:00 on Tuesday.
    starts = datetime(2030, 1, 8, 23, 0, tzinfo=UTC)
    async with bot.app.database.session() as session:
        bob = await session.scalar(select(Person.id).where(Person.telegram_id == BOB))
        assert bob is not None
        session.add(NotificationPreference(person_id=bob, muted_kinds=["meeting"]))
    await schedule(w, starts, now=T0)
    await w.plan(starts - timedelta(hours=24))  # 07:00: still quiet
    alice_rows = [r for r in await outbox_rows(w, "meeting") if r.chat_id == ALICE]
    held = min(r.due_at for r in alice_rows)
    assert held == datetime(2030, 1, 8, 0, 0, tzinfo=UTC)  # 08:00 Tuesday in Shanghai
    assert reminders_about(w.texts(ALICE), "⏰") == []
    await w.plan(held)
    assert len(reminders_about(w.texts(ALICE), "⏰")) == 1
    assert not [r for r in await outbox_rows(w, "meeting") if r.chat_id == BOB]


async def test_secretary_is_told_when_checkin_is_not_opened_unless_it_is(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    first = await schedule(w, T0 + timedelta(hours=3), now=T0)
    second = await schedule(w, T0 + timedelta(hours=6), now=T0)
    await w.plan(T0)
    await w.plan(T0 + timedelta(hours=3, minutes=6))
    async with bot.app.database.session() as session:
        meeting = await meeting_store.get_meeting(session, second)
        assert meeting is not None
        opened = T0 + timedelta(hours=6)
        await meeting_store.open_checkin(session, meeting, by=SECRETARY, now=opened)
    await w.plan(T0 + timedelta(hours=6, minutes=10))
    warnings = reminders_about(w.texts(SECRETARY), "check-in is not open")
    assert warnings == [
        "⚠️ Branch general assembly “Study session” started at 2030-01-07 13:00 but check-in is"
        " not open. Open it with /checkin so members can check in."
    ]
    assert first != second


async def test_minutes_missing_a_day_later_reminds_the_secretary_until_closed(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    starts = T0 + timedelta(hours=2)
    meeting_id = await schedule(w, starts, now=T0)
    await w.plan(starts + timedelta(hours=3))
    await w.plan(starts + timedelta(hours=2, days=1, minutes=1))
    assert len(reminders_about(w.texts(SECRETARY), "has no minutes yet")) == 1
    # Closing cancels what was planned for another meeting's follow-up too.
    other = await schedule(w, T0 + timedelta(days=3), now=T0)
    await w.plan(T0 + timedelta(days=3, hours=3))
    async with bot.app.database.session() as session:
        meeting = await meeting_store.get_meeting(session, other)
        assert meeting is not None
        await meeting_store.close(session, meeting, minutes="ok", by=SECRETARY,
                                  now=T0 + timedelta(days=3, hours=4))
    await w.plan(T0 + timedelta(days=4, hours=6))
    assert len(reminders_about(w.texts(SECRETARY), "has no minutes yet")) == 1
    assert meeting_id != other


async def test_term_renewal_reminders_reach_the_branch_and_above_until_recorded(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    async with bot.app.database.session() as session:
        org = await session.get(PartyOrganization, w.branch)
        assert org is not None
        org.term_started_on = date(2027, 7, 10)  # a branch's 3 years: ends 2030-07-10
    ends = date(2030, 7, 10)
    tz = bot.app.settings.tzinfo
    six_months = when.local_to_utc(date(2030, 1, 10), when.DEFAULT_DAY_TIME, tz)
    await w.plan(six_months - timedelta(hours=1))
    assert reminders_about(w.texts(SECRETARY), "🗳") == []
    await w.plan(six_months)
    await w.plan(six_months + timedelta(hours=2))
    assert reminders_about(w.texts(SECRETARY), "🗳") == [
        f"🗳 The committee term of Branch A ends on {ends}. Prepare the renewal election and "
        "its approval by the upper level in time."
    ]
    # The admin never registered: the deployment's language (Chinese) it is.
    assert reminders_about(w.texts(ADMIN_ID), "🗳") == [
        f"🗳 Branch A 的委员会任期将于 {ends} 届满。请及时筹备换届选举并报上级审批。"
    ]
    assert reminders_about(w.texts(ALICE), "🗳") == []
    overdue = when.local_to_utc(ends + timedelta(days=7), when.DEFAULT_DAY_TIME,
                                bot.app.settings.tzinfo)
    await w.plan(overdue)
    assert "overdue" in w.texts(SECRETARY)[-1]
    async with bot.app.database.session() as session:
        org = await session.get(PartyOrganization, w.branch)
        assert org is not None
        await record_renewal(session, org, elected_on=ends + timedelta(days=8),
                             approved_on=ends + timedelta(days=9), secretary_person_id=None,
                             deputy_person_id=None, by=ADMIN_ID)
    count = len(reminders_about(w.texts(SECRETARY), "🗳"))
    await w.plan(overdue + timedelta(days=7))
    assert len(reminders_about(w.texts(SECRETARY), "🗳")) == count


async def test_reporting_duty_reminds_until_marked_done_and_digest_joins(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    tz = bot.app.settings.tzinfo
    await w.plan(T0)  # stores the default calendar
    async with bot.app.database.session() as session:
        duty = await session.scalar(select(Duty).where(Duty.code == "inspection_supervisor"))
        assert duty is not None
        dues = duty_dues(template_of(duty), date(2030, 1, 1), date(2030, 12, 31), tz)
        duty_id = duty.id
    first, second = dues[0], dues[1]
    assert first.occurrence.startswith("2030/")
    await w.plan(first.at)
    notes = reminders_about(w.texts(SECRETARY), "📋 Annual inspection")
    assert notes == [
        "📋 Annual inspection: party-building checklist to the supervising unit for Branch A "
        "(2030) is due on ≈2030-04-01 and not marked done. Mark it done in /duties when it is "
        "handed in.\n≈ Approximate: no official holiday schedule is loaded for that year, so "
        "holidays are estimated from the statutory dates and make-up working days are unknown."
    ]
    # The planner caught up on the weeks it skipped: other duties' reminders came as well.
    admin_notes = reminders_about(w.texts(ADMIN_ID), "📋 年检")
    assert len(admin_notes) == 1 and "（2030，截止 ≈2030-04-01）" in admin_notes[0]
    async with bot.app.database.session() as session:
        duty = await session.get(Duty, duty_id)
        assert duty is not None
        assert await mark_duty_done(session, duty, w.branch, "2030", by=SECRETARY)
        assert not await mark_duty_done(session, duty, w.branch, "2030", by=SECRETARY)
    await w.plan(second.at)
    assert len(reminders_about(w.texts(SECRETARY), "📋 Annual inspection")) == 1
    assert len(reminders_about(w.texts(ADMIN_ID), "📋 年检")) == 1


async def test_drifting_member_reported_at_three_and_five_months_once_each(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    # Nobody has attended anything since approval (at the wall clock's now).
    now = datetime.now(UTC)
    await w.plan(now + timedelta(days=80))
    assert reminders_about(w.texts(SECRETARY), "no organizational life") == []
    await w.plan(now + timedelta(days=95))
    # Missed for days (no planner ran): the three come as one message (reminders/delivery.py).
    assert len(reminders_about(w.texts(SECRETARY), "no organizational life")) == 1
    drift = [part for text in w.texts(SECRETARY) for part in text.split("\n\n")
             if "no organizational life for 3 months" in part]
    assert len(drift) == 3  # Alice, Bob, and the secretary themselves
    assert any(t.startswith("👥 Name 81002 has") for t in drift)
    assert any(t.startswith("👥 Name 81003 has") for t in drift)
    assert reminders_about(w.texts(ALICE), "organizational life") == []
    await w.plan(now + timedelta(days=96))
    assert len(reminders_about(w.texts(SECRETARY), "no organizational life")) == 1
    await w.plan(now + timedelta(days=155))
    assert reminders_about(w.texts(SECRETARY), "for 5 months")[0].count("for 5 months") == 3


async def test_a_secretary_on_digest_gets_one_message_for_several_reminders(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    async with bot.app.database.session() as session:
        secretary = await session.scalar(select(Person.id).where(Person.telegram_id == SECRETARY))
        assert secretary is not None
        session.add(NotificationPreference(person_id=secretary, digest=True))
    # Two meetings tomorrow: two 24-hour reminders fall during the day.
    await schedule(w, T0 + timedelta(days=1, hours=1), now=T0)
    await schedule(w, T0 + timedelta(days=1, hours=5), now=T0)
    await w.plan(T0 + timedelta(hours=1, minutes=1))
    await w.plan(T0 + timedelta(hours=5, minutes=1))
    assert reminders_about(w.texts(SECRETARY), "⏰") == []  # held for the digest
    assert len(reminders_about(w.texts(ALICE), "⏰")) == 2
    digest_at = when.next_digest(T0 + timedelta(hours=5), bot.app.settings.tzinfo)
    await w.plan(digest_at)
    joined = reminders_about(w.texts(SECRETARY), "⏰")
    assert len(joined) == 1 and joined[0].count("⏰ Reminder") == 2


async def test_missing_meetings_are_flagged_on_the_check_day_once(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    tz = bot.app.settings.tzinfo
    check = when.local_to_utc(date(2030, 3, 20), when.DEFAULT_DAY_TIME, tz)
    await w.plan(check - timedelta(hours=1))
    assert reminders_about(w.texts(SECRETARY), "📅") == []
    await w.plan(check)
    await w.plan(check + timedelta(minutes=10))
    notes = reminders_about(w.texts(SECRETARY), "📅")
    quarter = [n for n in notes if "2030-Q1" in n]
    month = [n for n in notes if "2030-03:" in n]
    assert len(quarter) == 1 and len(month) == 1 and len(notes) == 2
    assert "Branch general assembly" in quarter[0] and "Party lesson" in quarter[0]
    # A secretary and one member: no committee (fewer than 7), so no committee meeting owed.
    assert "Theme party day" in month[0] and "Branch committee meeting" not in month[0]
    assert reminders_about(w.texts(ALICE), "📅") == []


async def test_training_behind_at_the_quarter_start_and_a_summary(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    tz = bot.app.settings.tzinfo
    check = when.local_to_utc(date(2030, 4, 1), when.DEFAULT_DAY_TIME, tz)  # a Monday
    await w.plan(check)
    await w.plan(check + timedelta(minutes=5))
    member = reminders_about(w.texts(ALICE), "📚")
    assert member == [
        # 32 hours x 90/365 days of the year gone = 7 h 53 min, shown in whole hours.
        "📚 Training 2030: 0 d 0 h counted of 4 d 0 h required (0 d 7 h expected by now). "
        "Log what you attended with /training."
    ]
    summary = reminders_about(w.texts(SECRETARY), "people are behind")
    assert len(summary) == 1 and "Name 81002" in summary[0] and "Name 81003" in summary[0]
    # A leader is reminded of both requirements: 3 days concentrated and the members' 32 h.
    leader = [part for text in w.texts(SECRETARY) for part in text.split("\n\n")
              if part.startswith("📚 Training 2030: ")]
    assert leader == [
        "📚 Training 2030: 0 d 0 h counted of 3 d 0 h required (0 d 6 h expected by now). "
        "Log what you attended with /training. Yearly study (every member, leaders included): "
        "0 d 0 h counted of 4 d 0 h required (0 d 7 h expected by now)."
    ]


async def test_settings_mute_a_kind_and_the_digest_is_for_leaders_only(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    alice = bot.person(ALICE, "Alice", language_code="en")
    await schedule(w, T0 + timedelta(hours=3), now=T0)
    await w.plan(T0 + timedelta(hours=1, minutes=50))  # Alice's one-hour reminder is planned
    shown = await alice.say("/settings")
    assert "🔔 Meetings I am expected at" in shown[-1].text
    assert "Members without organizational life" not in shown[-1].text  # a leader's kind
    assert not any("digest" in b for b in alice.buttons())
    await alice.tap("🔔 Meetings I am expected at")
    assert "🔕 Meetings I am expected at" in alice.last_text
    mine = [r for r in await outbox_rows(w, "meeting") if r.chat_id == ALICE]
    assert [r.state for r in mine] == [OutboxState.CANCELLED]
    await w.plan(T0 + timedelta(hours=2))
    assert reminders_about(w.texts(ALICE), "⏰") == []
    assert len(reminders_about(w.texts(BOB), "⏰")) == 1
    # Forged presses: a leader's kind and the digest are not hers to switch.
    for data in ("rset:k:drift", "rset:d:1", "rset:k:nap"):
        await alice.forge(data)
    async with bot.app.database.session() as session:
        preference = await session.get(
            NotificationPreference,
            await session.scalar(select(Person.id).where(Person.telegram_id == ALICE)),
        )
        assert preference is not None
        assert preference.muted_kinds == ["meeting"] and preference.digest is False
    secretary = bot.person(SECRETARY, "Sec", language_code="en")
    await secretary.say("/settings")
    await secretary.tap("Daily digest at 08:00: off")
    assert "Daily digest at 08:00: on" in secretary.last_text


async def test_after_a_day_down_what_still_matters_is_sent_once_and_expired_is_not(
    bot: Bot,
) -> None:
    w = await world(bot)
    soon = await schedule(w, T0 + timedelta(minutes=70), now=T0)  # 11:10 today
    await schedule(w, T0 + timedelta(hours=20), now=T0)  # 06:00 tomorrow: over by the restart
    tomorrow = T0 + timedelta(days=1, hours=3)  # 13:00 tomorrow
    await schedule(w, tomorrow, now=T0)
    await w.plan(T0)  # the 10:10 reminder of the 11:10 meeting is recorded, not yet due
    assert reminders_about(w.texts(ALICE), "⏰") == []
    # Down for a day: back at 11:00 tomorrow.
    back = T0 + timedelta(days=1, hours=1)
    await w.plan(back)
    # Only tomorrow's meeting is still ahead: its missed day-before reminder, once.
    assert reminders_about(w.texts(ALICE), "⏰") == [
        "⏰ Reminder: Branch general assembly “Study session” starts at 2030-01-08 13:00. Room 1\n"
        "Check in with /checkin when you arrive."
    ]
    expired = [r for r in await outbox_rows(w, "meeting") if r.subject == f"meeting:{soon}"]
    assert len(expired) == 3 and {(r.state, r.error) for r in expired} == {
        (OutboxState.CANCELLED, "expired")
    }
    # Check-in of the meetings that began meanwhile has closed: warning about it is pointless.
    assert reminders_about(w.texts(SECRETARY), "check-in is not open") == []
    assert {r.error for r in await outbox_rows(w, "checkin")} == {"expired"}
    await w.plan(back + timedelta(minutes=5))
    await w.plan(tomorrow - timedelta(hours=1))
    assert len(reminders_about(w.texts(ALICE), "⏰")) == 2
