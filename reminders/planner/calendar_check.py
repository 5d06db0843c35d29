"""From 1 November, admins are told once a year when next year has no official holiday
schedule: neither a loaded file nor the chinese_calendar package covers it, so deadlines in it
are only approximate until someone runs `branchbot calendar import`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.i18n import N_, translator
from reminders import rules
from reminders.planner.kit import CHECK_WINDOW, PlanSettings, _admins, _plan, _slice
from rules.workdays import Source

WARN_FROM_MONTH = 11  # the State Council usually publishes the schedule in Oct–Dec
KIND = "calendar"

CALENDAR_MISSING = N_(
    "🗓 There is no official holiday schedule for {year} yet: no file is loaded and the "
    "holiday package does not cover it, so deadlines in {year} are approximate (≈). When the "
    "State Council publishes the schedule, load it with: branchbot calendar import FILE.csv "
    "(columns date, kind = holiday or workday, name)."
)


async def plan_calendar_warning(session: AsyncSession, now: datetime, settings: object) -> None:
    """One message per admin and year, on the first 08:00 from 1 November (key per year)."""
    assert isinstance(settings, PlanSettings)
    after, until = _slice(now, settings, fresh=CHECK_WINDOW)
    days = [d for d in rules.day_checks(after, until, settings.tz) if d.month >= WARN_FROM_MONTH]
    if not days:
        return
    year = days[0].year + 1
    if settings.calendar.source(year) is not Source.APPROXIMATE:
        return
    at = rules.local_to_utc(days[0], rules.DEFAULT_DAY_TIME, settings.tz)
    for person in await _admins(session, settings):
        t = translator(person.language)
        _plan(settings, person, kind=KIND, subject=f"calendar:{year}", key=f"calendar:{year}",
              due=at, text=t(CALENDAR_MISSING, year=year))
