"""JobQueue glue: when the planner and the courier run. The database decides what is due."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import CallbackContext, JobQueue

from handlers.kit.context import BranchSettings
from reminders.delivery import CourierHost, schedule_next_wake, start_courier
from reminders.group_posts import start_group_posts
from reminders.planner import PLAN_EVERY, PlanSettings, plan_all

logger = logging.getLogger(__name__)

PLAN_JOB = "reminder-planner"


def plan_settings(settings: BranchSettings) -> PlanSettings:
    """The planner's knobs from the deployment's settings."""
    return PlanSettings(
        tz=settings.tzinfo, admins=settings.admins, requirements=settings.requirements,
        training_policy=settings.training_policy,
        inquorate_counts=settings.inquorate_committee_counts,
    )


async def run_planner(context: CallbackContext) -> None:
    """Record what falls due from the last pass's watermark to a few intervals ahead (an
    outage is caught up here), then wake the courier for it."""
    application: CourierHost = context.application  # type: ignore[assignment]
    now = application.now()  # one clock for planning and sending
    async with application.database.session() as session:
        await plan_all(session, now, plan_settings(application.settings))
    await schedule_next_wake(application)


def start_reminders(job_queue: JobQueue, *, plan: bool = True) -> None:
    """Plan at once and every PLAN_EVERY; the courier sweeps on its own schedule."""
    start_courier(job_queue)
    if not plan:
        return
    start_group_posts(job_queue)
    job_queue.run_once(
        run_planner, when=timedelta(0), name=PLAN_JOB, job_kwargs={"misfire_grace_time": None}
    )
    job_queue.run_repeating(
        run_planner, interval=PLAN_EVERY, first=PLAN_EVERY, name=PLAN_JOB,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
