"""The planner: turns the state of the database into outbox rows, each under a unique key.

A pass runs at start and then every PLAN_EVERY and plans by time slice: only what falls due
between the previous pass's `planned_until` (a watermark kept in the database) and now plus
PLAN_AHEAD, so rows are written a few intervals before they are sent, a pass costs what falls
due in its slice, and after a restart or an outage the next pass catches up exactly on what
was missed (what is still meaningful; meeting reminders expire at the start). It is
idempotent: a reminder already recorded is not recorded again (its key exists), so passes may
overlap, repeat after a restart or run on two instances. The rules of when come from
reminders/rules/, reminders/duties.py and rules/duties.py; whom comes from the database;
whether a person wants it from their preferences. Reminders that only matter while something
is still undone (check-in not opened, minutes missing, a duty not done, a renewal not
recorded) are cancelled by storage when it is done (storage/meetings/, storage/duties.py).

One module per kind of reminder: `meetings`, `renewals`, `duties`, `compliance`, `training`,
`drift` (members without organizational life), `transfers` (letters unanswered or expired),
`development` (member development's windows), `talks` (members not talked with yet,
quarterly), `calendar_check` (no holiday schedule for
next year yet); `kit` holds what they share (the settings, the slice, recipients, `_plan`), `run`
the pass itself (`plan_all`, the watermark). Import the names from here.
"""

from __future__ import annotations

from reminders.planner.calendar_check import plan_calendar_warning
from reminders.planner.compliance import BRANCH_KINDS, plan_compliance, rules_period_bounds
from reminders.planner.development import plan_development
from reminders.planner.drift import plan_drift
from reminders.planner.duties import approximate_note, deadline_text, plan_duties
from reminders.planner.kit import (
    CHECK_WINDOW,
    LEADING_ROLES,
    PLAN_AHEAD,
    PLAN_EVERY,
    URGENT_KINDS,
    PlanSettings,
    Recipient,
    leaders,
)
from reminders.planner.meetings import (
    CHECKIN_LATE,
    MINUTES_MISSING,
    REMINDED_STATUSES,
    plan_meetings,
)
from reminders.planner.renewals import plan_renewals
from reminders.planner.run import PLANNERS, WATERMARK, plan_all, plan_calendar_check
from reminders.planner.talks import plan_talks
from reminders.planner.training import plan_training
from reminders.planner.transfers import plan_transfers

__all__ = [
    "BRANCH_KINDS",
    "CHECKIN_LATE",
    "CHECK_WINDOW",
    "LEADING_ROLES",
    "MINUTES_MISSING",
    "PLANNERS",
    "PLAN_AHEAD",
    "PLAN_EVERY",
    "REMINDED_STATUSES",
    "URGENT_KINDS",
    "WATERMARK",
    "PlanSettings",
    "Recipient",
    "approximate_note",
    "deadline_text",
    "leaders",
    "plan_all",
    "plan_calendar_check",
    "plan_calendar_warning",
    "plan_compliance",
    "plan_development",
    "plan_drift",
    "plan_duties",
    "plan_meetings",
    "plan_renewals",
    "plan_talks",
    "plan_training",
    "plan_transfers",
    "rules_period_bounds",
]
