"""The dues collection day reminds the members who owe the month (issue 16): not those whose
dues are recorded or reported, and not activists, who owe none. Planner and courier run on the
test's clock (tests/chat/test_reminders.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from rules.dues import Month
from rules.vocabulary import DuesMethod, MemberStatus
from storage import dues, people
from tests.chat.test_drift import joined_at, membership_of
from tests.chat.test_reminders import ALICE, BOB, SECRETARY, T0, World, world
from tests.harness import Bot

CAROL = 81_004
REMINDER = "📋 Reminder: Party dues collection (2030-02)"


def reminders(w: World, telegram_id: int) -> list[str]:
    return [text for text in w.texts(telegram_id) if REMINDER in text]


async def test_the_collection_day_reminds_only_members_who_owe_the_month(bot: Bot) -> None:
    w = await world(bot)
    assert bot.app is not None
    bot.emulator.add_user(CAROL, "Carol", language_code="en").started = True
    async with bot.app.database.session() as session:
        activist = await people.submit_registration(session, people.RegistrationForm(
            telegram_id=CAROL, language="en", real_name="Name 81004", org_id=w.branch,
            status=MemberStatus.ACTIVIST, joined_party_on=None, phone=None, invite_id=None))
        await people.decide_registration(session, activist.id, approve=True,
                                         decided_by=SECRETARY)
    await joined_at(w, T0)
    alice, bob = await membership_of(w, ALICE), await membership_of(w, BOB)
    async with bot.app.database.session() as session:  # Alice paid February ahead; Bob owes it
        await dues.record_payment(
            session, person_id=alice.person_id, org_id=w.branch,
            months=[Month(2030, 1), Month(2030, 2)], amount=Decimal(30), paid_on=date(2030, 1, 8),
            method=DuesMethod.CASH, by=SECRETARY, now=T0)
        await dues.record_payment(
            session, person_id=bob.person_id, org_id=w.branch, months=[Month(2030, 1)],
            amount=Decimal(15), paid_on=date(2030, 1, 8), method=DuesMethod.CASH, by=SECRETARY,
            now=T0)

    # Day by day (10:00 local) until Bob has the first reminder (3 days before the due day).
    day = date(2030, 2, 1)
    while not reminders(w, BOB):
        await w.plan(datetime.combine(day, time(2), UTC))
        day += timedelta(days=1)
        assert day < date(2030, 2, 20), "no dues reminder to Bob in February"
    assert reminders(w, ALICE) == []  # February recorded
    assert reminders(w, CAROL) == []  # an activist owes no dues
    async with bot.app.database.session() as session:  # Bob reports February himself
        await dues.record_payment(
            session, person_id=bob.person_id, org_id=w.branch, months=[Month(2030, 2)],
            amount=Decimal(15), paid_on=day, method=DuesMethod.ONLINE, by=BOB, now=T0,
            reported=True)
    for _ in range(7):  # the due day itself passes: no second reminder for a reported month
        await w.plan(datetime.combine(day, time(2), UTC))
        day += timedelta(days=1)
    assert len(reminders(w, BOB)) == 1
    assert reminders(w, ALICE) == [] and reminders(w, CAROL) == []
