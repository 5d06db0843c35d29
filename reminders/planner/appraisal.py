"""The yearly democratic appraisal (民主评议党员), as hints: on 1 December at 08:00 local the
leaders of a branch that has not opened the year's appraisal are told once; a week after an
appraisal opens, each member who has not written a self-assessment is nudged once (rules in
rules/appraisal.py). One row per branch and year, or per appraisal and member, by its key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.i18n import translator
from reminders import rules
from reminders.planner.kit import CHECK_WINDOW, PlanSettings, _plan, _recipients, _slice, leaders
from rules import appraisal as appraisal_rules
from rules.vocabulary import ReminderKind
from storage import appraisal
from storage.models import Person


async def plan_appraisal(session: AsyncSession, now: datetime, settings: PlanSettings) -> None:
    after, until = _slice(now, settings, fresh=CHECK_WINDOW)
    after = max(after, now - CHECK_WINDOW)
    await _not_opened(session, after, until, settings)
    await _self_assessments(session, after, until, settings)


async def _not_opened(session: AsyncSession, after: datetime, until: datetime,
                      settings: PlanSettings) -> None:
    for day in rules.day_checks(after, until, settings.tz):
        if not appraisal_rules.is_not_opened_check_day(day):
            continue
        branches = await appraisal.not_opened(session, day.year)
        heads = await leaders(session, [org_id for org_id, _ in branches])
        due = rules.local_to_utc(day, rules.DEFAULT_DAY_TIME, settings.tz)
        for org_id, name in branches:
            for leader in heads.get(org_id, []):
                t = translator(leader.language)
                _plan(settings, leader, kind=ReminderKind.APPRAISAL,
                      subject=f"appraisal:{org_id}", key=f"appraisal:{day.year}:{org_id}",
                      due=due,
                      text=t("🗳 Democratic appraisal {year}, {org}: not opened yet. "
                            "It is usually held at the year's end: /appraisal",
                            year=day.year, org=name))


async def _self_assessments(session: AsyncSession, after: datetime, until: datetime,
                            settings: PlanSettings) -> None:
    due_now = []
    for line in await appraisal.without_self_assessment(session):
        day = appraisal_rules.self_nudge_day(line.opened_at.astimezone(settings.tz).date())
        due = rules.local_to_utc(day, rules.DEFAULT_DAY_TIME, settings.tz)
        if after < due <= until:
            due_now.append((line, due))
    if not due_now:
        return
    people = {person_id: recipient for recipient, person_id in await _recipients(
        session, [Person.id.in_({line.person_id for line, _ in due_now})])}
    for line, due in due_now:
        person = people.get(line.person_id)
        if person is None:
            continue
        t = translator(person.language)
        _plan(settings, person, kind=ReminderKind.APPRAISAL,
              subject=f"appraisal:{line.appraisal_id}",
              key=f"appraisal:self:{line.appraisal_id}", due=due,
              text=t("🗳 Democratic appraisal {year}, {org}: your self-assessment is "
                    "not written yet. A few lines are enough, if you wish: /appraisal",
                    year=line.year, org=line.org_name))
