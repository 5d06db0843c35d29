"""One pass: `plan_all` runs every planner over the slice since the watermark, records what is
due in the outbox and moves the watermark on."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from reminders.planner.appraisal import plan_appraisal
from reminders.planner.calendar_check import plan_calendar_warning
from reminders.planner.compliance import plan_compliance
from reminders.planner.development import plan_development
from reminders.planner.drift import plan_drift, plan_dues_drift
from reminders.planner.duties import plan_duties
from reminders.planner.kit import PLAN_AHEAD, PLAN_EVERY, PlanSettings, _aware
from reminders.planner.meetings import plan_meetings
from reminders.planner.renewals import plan_renewals
from reminders.planner.talks import plan_talks
from reminders.planner.training import plan_training
from reminders.planner.transfers import plan_transfers
from storage import outbox
from storage.duties import ensure_default_duties
from storage.models import PlannerWatermark

logger = logging.getLogger(__name__)

WATERMARK = "reminders"  # the planner_watermarks row of this planner


async def plan_calendar_check(session: AsyncSession, now: datetime, settings: PlanSettings
                              ) -> None:
    await plan_calendar_warning(session, now, settings)


PLANNERS = (plan_meetings, plan_compliance, plan_training, plan_drift, plan_dues_drift,
            plan_renewals, plan_duties, plan_calendar_check, plan_transfers, plan_talks,
            plan_development, plan_appraisal)


async def plan_all(session: AsyncSession, now: datetime, settings: PlanSettings) -> int:
    """Run every planner and record what is due; returns how many rows are new."""
    from storage.holiday_calendar import work_calendar

    settings.planned = []
    settings.calendar = await work_calendar(session)
    await ensure_default_duties(session, now)
    planned_until = await session.scalar(
        select(PlannerWatermark.planned_until).where(PlannerWatermark.name == WATERMARK)
    )
    until = now + PLAN_AHEAD
    # Later passes start where the last one stopped; the first ever looks back (see _slice).
    after = _aware(planned_until) if planned_until is not None else None
    settings.after, settings.until = after and min(after, until), until
    if after is not None and after < now - PLAN_AHEAD - PLAN_EVERY:
        logger.warning("planner catching up on reminders due since %s", after.isoformat())
    try:
        for planner in PLANNERS:
            await planner(session, now, settings)
    finally:
        settings.after = settings.until = None
    # One key once, even if two planners produced it.
    unique = {p.key: p for p in settings.planned}
    added = await outbox.enqueue(session, list(unique.values()))
    await _advance(session, until, now)
    if added:
        logger.info("planned %d reminders", added)
    return added


async def _advance(session: AsyncSession, until: datetime, now: datetime) -> None:
    """Move the watermark to `until`, never back (another instance may have gone further)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(PlannerWatermark).values(name=WATERMARK, planned_until=until,
                                                updated_at=now)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"planned_until": statement.excluded.planned_until,
                  "updated_at": statement.excluded.updated_at},
            where=PlannerWatermark.planned_until < statement.excluded.planned_until,
        )
    )
