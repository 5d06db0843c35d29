"""One-to-one talks (谈心谈话): once a quarter, on the reminder day (rules/talks.py) at 08:00
local, each branch's secretary is told how many members are not talked with yet this year
(nothing when everyone is). One row per branch, quarter and secretary, by its key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.i18n import translator
from reminders import rules
from reminders.planner.kit import CHECK_WINDOW, PlanSettings, _plan, _recipients, _slice
from rules import talks as talk_rules
from rules.vocabulary import ReminderKind
from storage import talks
from storage.models import Person


async def plan_talks(session: AsyncSession, now: datetime, settings: PlanSettings) -> None:
    after, until = _slice(now, settings, fresh=CHECK_WINDOW)
    after = max(after, now - CHECK_WINDOW)
    for day in rules.day_checks(after, until, settings.tz):
        if not talk_rules.is_reminder_day(day):
            continue
        branches = await talks.behind_by_branch(session, day.year)
        if not branches:
            continue
        people = {person_id: recipient for recipient, person_id in await _recipients(
            session, [Person.id.in_({p for b in branches for p in b.secretaries})])}
        due = rules.local_to_utc(day, rules.DEFAULT_DAY_TIME, settings.tz)
        quarter = talk_rules.quarter_label(day)
        for branch in branches:
            for person_id in branch.secretaries:
                person = people.get(person_id)
                if person is None:
                    continue
                t = translator(person.language)
                _plan(settings, person, kind=ReminderKind.TALKS, subject=f"talks:{branch.org_id}",
                      key=f"talks:{quarter}:{branch.org_id}", due=due,
                      text=t.plural(
                          "💬 One-to-one talks {year}, {org}: {n} member not talked with yet "
                          "this year. See /talks.",
                          "💬 One-to-one talks {year}, {org}: {n} members not talked with yet "
                          "this year. See /talks.",
                          branch.count, year=day.year, org=branch.name))
