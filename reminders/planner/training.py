"""Training reminders: at quarter starts and monthly in the last quarter, whoever is behind,
and a summary to their leaders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.i18n import translator
from handlers.labels import LIST_SEPARATOR
from reminders import rules
from reminders.planner.kit import (
    CHECK_WINDOW,
    PlanSettings,
    _plan,
    _planned_already,
    _recipients,
    _slice,
    leaders,
)
from rules.vocabulary import ReminderKind
from storage.models import Person


async def plan_training(session: AsyncSession, now: datetime, settings: PlanSettings) -> None:
    """At quarter starts and monthly in the last quarter: whoever is behind, and a summary to
    their leaders."""
    from reminders.training_note import study_note
    from rules.training import days_and_hours
    from storage import training

    after, until = _slice(now, settings, fresh=CHECK_WINDOW)
    after = max(after, now - CHECK_WINDOW)
    years = sorted({after.astimezone(settings.tz).year, until.astimezone(settings.tz).year})
    checks = [
        c for year in years for c in rules.training_checks(year, settings.tz,
                                                            cal=settings.calendar)
        if after < c.at <= until
    ]
    if not checks:
        return
    check = checks[0]
    prefix = f"training:{check.occurrence}:"
    if await _planned_already(session, prefix):
        return  # planned on an earlier pass
    on = date(check.training_year, 12, 31) if check.whole_year else check.on
    policy = settings.training_policy
    behind = await training.behind(session, None, on, tz=settings.tz, policy=policy)
    if not behind:
        return
    people = {
        person_id: recipient
        for recipient, person_id in await _recipients(
            session, [Person.id.in_({row.person_id for row in behind})]
        )
    }
    per_day = int(settings.training_policy.hours_per_day)

    def shown(t: Any, minutes: int) -> str:
        split = days_and_hours(minutes, per_day)
        return t("{days} d {hours} h", days=split.days, hours=split.hours)

    by_org: dict[int, list[Any]] = {}
    for row in behind:
        by_org.setdefault(row.org_id, []).append(row)
        person = people.get(row.person_id)
        if person is None:
            continue
        t = translator(person.language)
        _plan(
            settings, person, kind=ReminderKind.TRAINING, subject=f"training:{check.training_year}",
            key=f"{prefix}{row.person_id}", due=check.at,
            text=t(
                "📚 Training {year}: {counted} counted of {required} required ({target} expected "
                "by now). Log what you attended with /training.",
                year=check.training_year, counted=shown(t, row.counted),
                required=shown(t, row.required), target=shown(t, row.target),
            ) + study_note(t, row, shown),
        )
    heads = await leaders(session, by_org)
    for org_id, rows in by_org.items():
        for person in heads.get(org_id, []):
            t = translator(person.language)
            names = t(LIST_SEPARATOR).join(r.name or "?" for r in rows[:20])
            _plan(
                settings, person, kind=ReminderKind.TRAINING,
                subject=f"training:{check.training_year}", key=f"{prefix}summary:{org_id}",
                due=check.at,
                text=t.plural(
                    "📚 Training {year}, {org}: {n} person is behind: {names}. See /training.",
                    "📚 Training {year}, {org}: {n} people are behind: {names}. See /training.",
                    len(rows), year=check.training_year, org=rows[0].org_name, names=names,
                ),
            )
