"""When reminders fall due, as plain functions: no Telegram, no database, no clock.

Every function takes aware datetimes (or local calendar dates) and the branch's time zone,
reasons about calendars in that local time, and returns aware UTC datetimes. Each reminder
comes back as a `Due`: `occurrence` is a short stable string which, together with what the
reminder is about and whom it goes to, forms the key that makes it arrive once; `at` is when
it falls due. Whether to send it at all (check-in still closed, minutes still missing, member
still behind, renewal still not recorded) is for the caller to judge at that moment.

Date-based reminders fall due at `DEFAULT_DAY_TIME` local (08:00, the end of the default quiet
hours and the time of the daily digest, so they make that day's digest).

One module per kind of reminder: `meetings`, `compliance`, `training`, `drift` (members
without organizational life), `renewals` (换届); `quiet_hours` holds quiet hours and the
daily digest, `dues` the Due and the local clock they all share. Reporting duties have theirs
in reminders/duties.py. Import the names from here (`from reminders import rules`).
"""

from __future__ import annotations

from reminders.rules.compliance import (
    DEFAULT_COMPLIANCE_SCHEDULE,
    ComplianceSchedule,
    compliance_check,
    compliance_check_date,
    next_compliance_check,
)
from reminders.rules.drift import (
    DEFAULT_DRIFT_MONTHS,
    LEFT_AFTER_MONTHS,
    drift_alerts,
    drift_case,
    drift_schedule,
    months_absent,
    presumed_left_on,
)
from reminders.rules.dues import DEFAULT_DAY_TIME, Due, day_checks, local_to_utc
from reminders.rules.meetings import (
    DEFAULT_CHECKIN_GRACE,
    DEFAULT_LATE_GRACE,
    DEFAULT_MEETING_LEADS,
    DEFAULT_MINUTES_DELAY,
    checkin_check,
    lead_label,
    meeting_reminders,
    meeting_reminders_between,
    minutes_check,
)
from reminders.rules.quiet_hours import (
    DEFAULT_DIGEST_TIME,
    DEFAULT_QUIET_HOURS,
    QuietHours,
    defer_for_quiet_hours,
    in_quiet_hours,
    next_digest,
)
from reminders.rules.renewals import (
    DEFAULT_OVERDUE_EVERY,
    DEFAULT_RENEWAL_LEAD_MONTHS,
    next_renewal_due,
    renewal_dues,
)
from reminders.rules.training import TrainingCheck, next_training_check, training_checks
from rules.dates import add_months

__all__ = [
    "DEFAULT_CHECKIN_GRACE",
    "DEFAULT_COMPLIANCE_SCHEDULE",
    "DEFAULT_DAY_TIME",
    "DEFAULT_DIGEST_TIME",
    "DEFAULT_DRIFT_MONTHS",
    "DEFAULT_LATE_GRACE",
    "DEFAULT_MEETING_LEADS",
    "DEFAULT_MINUTES_DELAY",
    "DEFAULT_OVERDUE_EVERY",
    "DEFAULT_QUIET_HOURS",
    "DEFAULT_RENEWAL_LEAD_MONTHS",
    "LEFT_AFTER_MONTHS",
    "ComplianceSchedule",
    "Due",
    "QuietHours",
    "TrainingCheck",
    "add_months",
    "checkin_check",
    "compliance_check",
    "compliance_check_date",
    "day_checks",
    "defer_for_quiet_hours",
    "drift_alerts",
    "drift_case",
    "drift_schedule",
    "in_quiet_hours",
    "lead_label",
    "local_to_utc",
    "meeting_reminders",
    "meeting_reminders_between",
    "minutes_check",
    "months_absent",
    "next_compliance_check",
    "next_digest",
    "next_renewal_due",
    "next_training_check",
    "presumed_left_on",
    "renewal_dues",
    "training_checks",
]
