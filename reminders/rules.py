"""When reminders fall due, as plain functions: no Telegram, no database, no clock.

Every function takes aware datetimes (or local calendar dates) and the branch's time zone,
reasons about calendars in that local time, and returns aware UTC datetimes. Each reminder
comes back as a `Due`: `occurrence` is a short stable string which, together with what the
reminder is about and whom it goes to, forms the key that makes it arrive once; `at` is when
it falls due. Whether to send it at all (check-in still closed, minutes still missing, member
still behind, renewal still not recorded) is for the caller to judge at that moment.

Date-based reminders fall due at `DEFAULT_DAY_TIME` local (08:00, the end of the default quiet
hours and the time of the daily digest, so they make that day's digest).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from rules.meetings import Period, period_label, period_of
from rules.workdays import WorkCalendar, is_working_day, next_working_day

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

# 08:00 local: quiet hours are over, the digest goes out (see DEFAULT_DIGEST_TIME).
DEFAULT_DAY_TIME = time(8, 0)


@dataclass(frozen=True)
class Due:
    """One reminder occurrence: a stable name and when it falls due (normalised to UTC)."""

    occurrence: str
    at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.at, "at")
        object.__setattr__(self, "at", self.at.astimezone(UTC))


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def _utc(value: datetime, name: str) -> datetime:
    # Python adds, subtracts and compares datetimes sharing a tzinfo by wall clock (so 24 h
    # before 19:00 CEST on the spring-forward Sunday would be 19:00 CET): work in UTC.
    _require_aware(value, name)
    return value.astimezone(UTC)


def _local_date(moment: datetime, tz: tzinfo) -> date:
    _require_aware(moment, "moment")
    return moment.astimezone(tz).date()


def local_to_utc(day: date, clock: time, tz: tzinfo) -> datetime:
    """The UTC instant of local `clock` on `day` in `tz`.

    A clock time skipped by a DST jump lands just after the jump (02:30 → 03:30 CEST); a
    repeated one takes its first occurrence (PEP 495, fold=0).
    """
    if clock.tzinfo is not None:
        raise ValueError("clock must be a naive local time")
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (earlier if negative), clamped to the end of short months."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _check_distinct_positive(values: Iterable[int], name: str) -> list[int]:
    result = list(values)
    if any(v <= 0 for v in result):
        raise ValueError(f"{name} must be positive, got {result}")
    if len(set(result)) != len(result):
        raise ValueError(f"{name} must not repeat, got {result}")
    return result


# ---------------------------------------------------------------------------------------------
# Meetings: members before the start, the secretary at the start and after the end
# ---------------------------------------------------------------------------------------------

# Product choice (DOMAIN.md "reminders that are reliable"): the day before and an hour before.
DEFAULT_MEETING_LEADS: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
# A reminder late by less than this (restart, scheduler lag) still goes; later ones are dropped.
DEFAULT_LATE_GRACE = timedelta(minutes=15)
# Check-in closes 30 min after the start (rules/meetings.py CheckinWindow): warn well before.
DEFAULT_CHECKIN_GRACE = timedelta(minutes=5)
# DOMAIN.md: the ledger record needs minutes; nudge the secretary a day after the end.
DEFAULT_MINUTES_DELAY = timedelta(days=1)


def lead_label(lead: timedelta) -> str:
    """The occurrence name of a lead time: "24h", "1h", "90m", "45s" (largest whole unit)."""
    seconds = lead.total_seconds()
    if lead <= timedelta(0) or lead % timedelta(seconds=1):
        raise ValueError(f"lead must be a positive whole number of seconds, got {lead}")
    whole = int(seconds)
    if whole % 3600 == 0:
        return f"{whole // 3600}h"
    if whole % 60 == 0:
        return f"{whole // 60}m"
    return f"{whole}s"


def meeting_reminders(
    starts_at: datetime,
    now: datetime,
    *,
    leads: Sequence[timedelta] = DEFAULT_MEETING_LEADS,
    grace: timedelta = DEFAULT_LATE_GRACE,
) -> list[Due]:
    """Reminders to expected members `lead` before the start, in time order.

    Leads are durations (24 h before, across a DST change too). A reminder already past at
    `now` is dropped unless it is less than `grace` late; a late one keeps its nominal time,
    so send it at once. Nothing once the meeting has started.
    """
    starts_at = _utc(starts_at, "starts_at")
    now = _utc(now, "now")
    if grace < timedelta(0):
        raise ValueError("grace must not be negative")
    labels = [lead_label(lead) for lead in leads]
    if len(set(labels)) != len(labels):
        raise ValueError(f"leads must not repeat, got {labels}")
    if now >= starts_at:
        return []
    result = []
    for lead, label in zip(leads, labels, strict=True):
        at = starts_at - lead
        if at >= now or now - at < grace:
            result.append(Due(label, at))
    return sorted(result, key=lambda due: due.at)


def meeting_reminders_between(
    starts_at: datetime,
    after: datetime,
    until: datetime,
    now: datetime,
    *,
    leads: Sequence[timedelta] = DEFAULT_MEETING_LEADS,
) -> list[Due]:
    """Reminders to expected members falling due in the slice (`after`, `until`], in order.

    Nothing once the meeting has started at `now`. Of the reminders already past at `now`
    (missed during an outage, or a meeting scheduled at short notice) only the latest is kept,
    at its nominal time (send at once): one late reminder says what the others would.
    """
    starts_at = _utc(starts_at, "starts_at")
    after, until, now = _utc(after, "after"), _utc(until, "until"), _utc(now, "now")
    labels = [lead_label(lead) for lead in leads]
    if len(set(labels)) != len(labels):
        raise ValueError(f"leads must not repeat, got {labels}")
    if now >= starts_at:
        return []
    dues = sorted(
        (Due(label, starts_at - lead) for lead, label in zip(leads, labels, strict=True)
         if after < starts_at - lead <= until),
        key=lambda due: due.at,
    )
    late = [due for due in dues if due.at < now]
    return late[-1:] + [due for due in dues if due.at >= now]


def checkin_check(starts_at: datetime, *, grace: timedelta = DEFAULT_CHECKIN_GRACE) -> Due:
    """When to warn the secretary if check-in has still not been opened: start + grace."""
    starts_at = _utc(starts_at, "starts_at")
    if grace < timedelta(0):
        raise ValueError("grace must not be negative")
    return Due("checkin", starts_at + grace)


def minutes_check(ends_at: datetime, *, delay: timedelta = DEFAULT_MINUTES_DELAY) -> Due:
    """When to remind the secretary if minutes are still not recorded: end + delay (24 h)."""
    ends_at = _utc(ends_at, "ends_at")
    if delay < timedelta(0):
        raise ValueError("delay must not be negative")
    return Due("minutes", ends_at + delay)


def day_checks(
    after: datetime, until: datetime, tz: tzinfo, *, at: time = DEFAULT_DAY_TIME
) -> list[date]:
    """The local dates whose `at` (08:00) falls in the slice (`after`, `until`], in order:
    the days whose date-based reminders a planner pass over that slice is to plan."""
    after, until = _utc(after, "after"), _utc(until, "until")
    if until <= after:
        return []
    day, last = _local_date(after, tz), _local_date(until, tz)
    result = []
    while day <= last:
        if after < local_to_utc(day, at, tz) <= until:
            result.append(day)
        day += timedelta(days=1)
    return result


# ---------------------------------------------------------------------------------------------
# Compliance: was the required meeting held this period?
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplianceSchedule:
    """When the compliance check runs in the last month of a period, and at what local time.

    Quarter and year: `day` of the last month. Month: `month_days_before_end` days before the
    month's last day if set (0 = the last day), else `day` too. Days past a short month's end
    are clamped to it.
    """

    day: int = 20
    month_days_before_end: int | None = None
    at: time = DEFAULT_DAY_TIME

    def __post_init__(self) -> None:
        if not 1 <= self.day <= 31:
            raise ValueError(f"day must be 1..31, got {self.day}")
        if self.month_days_before_end is not None and not 0 <= self.month_days_before_end <= 27:
            raise ValueError(
                f"month_days_before_end must be 0..27, got {self.month_days_before_end}"
            )


# Product choice: the 20th leaves about ten days to hold the meeting before the period ends
# (支部工作条例（试行）2018 art. 9 frequencies, as in rules/meetings.py DEFAULT_REQUIREMENTS).
DEFAULT_COMPLIANCE_SCHEDULE = ComplianceSchedule()


def compliance_check_date(
    day: date, period: Period, schedule: ComplianceSchedule = DEFAULT_COMPLIANCE_SCHEDULE
) -> date:
    """The local date of the compliance check for the period (month/quarter/year) holding day."""
    _first, last = period_of(day, period)
    if period is Period.MONTH and schedule.month_days_before_end is not None:
        return last - timedelta(days=schedule.month_days_before_end)
    return last.replace(day=min(schedule.day, last.day))


def compliance_check(
    day: date,
    period: Period,
    tz: tzinfo,
    schedule: ComplianceSchedule = DEFAULT_COMPLIANCE_SCHEDULE,
) -> Due:
    """The check for the period holding `day`, keyed by its label ("2026-11", "2026-Q4", "2026")."""
    first, _last = period_of(day, period)
    check_on = compliance_check_date(day, period, schedule)
    return Due(period_label(first, period), local_to_utc(check_on, schedule.at, tz))


def next_compliance_check(
    period: Period,
    after: datetime,
    tz: tzinfo,
    schedule: ComplianceSchedule = DEFAULT_COMPLIANCE_SCHEDULE,
) -> Due:
    """The first compliance check for `period` falling due strictly after `after`."""
    after = _utc(after, "after")
    first, last = period_of(_local_date(after, tz), period)
    current = compliance_check(first, period, tz, schedule)
    if current.at > after:
        return current
    return compliance_check(last + timedelta(days=1), period, tz, schedule)


# ---------------------------------------------------------------------------------------------
# Training: pro-rata at each quarter start, monthly in the last quarter
# ---------------------------------------------------------------------------------------------

# seed 002 §18 and 党员教育管理工作条例 2019 art. 20 via DOMAIN.md: a requirement per calendar
# year. Who is behind is judged by rules/training.py (issue 5: pro rata by elapsed days), so
# the bot has one definition of "behind"; here only when, and against what.


@dataclass(frozen=True)
class TrainingCheck(Due):
    """A training check on local date `on` about `training_year`.

    whole_year: compare with the full requirement (last quarter, and January's final look at
    the year just ended); otherwise with the pro-rata target of `on`, i.e.
    rules.training.progress(required, counted, on=check.on, year=check.training_year):
    `.on_track` when pro rata, `.met` when whole_year. The secretary's summary is due at the
    same moment under the same occurrence.
    """

    on: date
    training_year: int
    whole_year: bool
    final: bool


def training_checks(
    year: int, tz: tzinfo, *, at: time = DEFAULT_DAY_TIME, working_day: bool = True,
    cal: WorkCalendar | None = None,
) -> list[TrainingCheck]:
    """The training checks run in calendar `year`, in order (dates moved to a working day).

    Quarter starts: January judges the previous year in full, April and July pro rata. In the
    last quarter the 1st of October, November and December remind everyone still below the
    full requirement; October's quarter-start check is folded into it, since below the whole
    includes below pro rata and one message a day is enough.
    """

    def check(month: int, occurrence: str, training_year: int, whole_year: bool) -> TrainingCheck:
        on = date(year, month, 1)
        if working_day:
            on = next_working_day(on, inclusive=True, cal=cal)
        return TrainingCheck(
            occurrence=occurrence,
            at=local_to_utc(on, at, tz),
            on=on,
            training_year=training_year,
            whole_year=whole_year,
            final=training_year < year,
        )

    return [
        check(1, f"{year:04d}-Q1", year - 1, True),
        check(4, f"{year:04d}-Q2", year, False),
        check(7, f"{year:04d}-Q3", year, False),
        check(10, f"{year:04d}-10", year, True),
        check(11, f"{year:04d}-11", year, True),
        check(12, f"{year:04d}-12", year, True),
    ]


def next_training_check(
    after: datetime, tz: tzinfo, *, at: time = DEFAULT_DAY_TIME, working_day: bool = True
) -> TrainingCheck:
    """The first training check falling due strictly after `after`."""
    after = _utc(after, "after")
    year = _local_date(after, tz).year
    for candidate in training_checks(year, tz, at=at, working_day=working_day):
        if candidate.at > after:
            return candidate
    return training_checks(year + 1, tz, at=at, working_day=working_day)[0]


# ---------------------------------------------------------------------------------------------
# Drifting members: no organizational life for months
# ---------------------------------------------------------------------------------------------

# 党章 art. 9; 党员教育管理工作条例 2019 art. 31 (DOMAIN.md): 6 months → treated as having left.
LEFT_AFTER_MONTHS = 6
# Product choice: warn the secretary at 3 and 5 months, well before the 6-month point.
DEFAULT_DRIFT_MONTHS: tuple[int, ...] = (3, 5)


def months_absent(last_seen: date, today: date) -> int:
    """Whole months from `last_seen` to `today` (0 if today is earlier)."""
    if today < last_seen:
        return 0
    months = (today.year - last_seen.year) * 12 + today.month - last_seen.month
    if add_months(last_seen, months) > today:
        months -= 1
    return months


def presumed_left_on(last_seen: date) -> date:
    """The day six months without organizational life are complete (the party decides, not us)."""
    return add_months(last_seen, LEFT_AFTER_MONTHS)


def drift_schedule(
    last_seen: date,
    tz: tzinfo,
    *,
    thresholds: Sequence[int] = DEFAULT_DRIFT_MONTHS,
    at: time = DEFAULT_DAY_TIME,
) -> list[Due]:
    """Every drift alert for an absence that began after `last_seen`, in time order.

    `last_seen` is the member's last organizational life, or the joining date if none. The
    occurrence names threshold and anchor, "3m-2026-01-15", so a member who comes back and
    drifts again is warned again.
    """
    months = sorted(_check_distinct_positive(thresholds, "thresholds"))
    return [
        Due(f"{m}m-{last_seen.isoformat()}", local_to_utc(add_months(last_seen, m), at, tz))
        for m in months
    ]


def drift_case(last_seen: date, tz: tzinfo, *, at: time = DEFAULT_DAY_TIME) -> Due:
    """The day six months are complete: the secretary gets a case to handle, always."""
    # 党章 art. 9: at six months the branch must act (talk, excuse, or report), not wait.
    return Due(f"case-{last_seen.isoformat()}",
               local_to_utc(presumed_left_on(last_seen), at, tz))


def drift_alerts(
    last_seen: date,
    now: datetime,
    tz: tzinfo,
    *,
    thresholds: Sequence[int] = DEFAULT_DRIFT_MONTHS,
    at: time = DEFAULT_DAY_TIME,
) -> list[Due]:
    """The drift alerts already due at `now` (thresholds crossed), each to be sent once."""
    now = _utc(now, "now")
    return [
        due
        for due in drift_schedule(last_seen, tz, thresholds=thresholds, at=at)
        if due.at <= now
    ]


# ---------------------------------------------------------------------------------------------
# Term renewal (换届)
# ---------------------------------------------------------------------------------------------

# 关于党的基层组织任期的意见 (2018) via DOMAIN.md: renew on schedule; product choice of leads.
DEFAULT_RENEWAL_LEAD_MONTHS: tuple[int, ...] = (6, 3, 1)
# Product choice: weekly while overdue, from the day the term ends, until a renewal is recorded.
DEFAULT_OVERDUE_EVERY = timedelta(days=7)


def _renewal_leads(
    term_ends_on: date, lead_months: Sequence[int], tz: tzinfo, at: time
) -> list[Due]:
    months = sorted(_check_distinct_positive(lead_months, "lead_months"), reverse=True)
    return [
        Due(f"{m}m-{term_ends_on.isoformat()}", local_to_utc(add_months(term_ends_on, -m), at, tz))
        for m in months
    ]


def _overdue_step(every: timedelta) -> int:
    if every < timedelta(days=1) or every % timedelta(days=1):
        raise ValueError(f"overdue_every must be a whole number of days, got {every}")
    return every.days


def _overdue(term_ends_on: date, index: int, step_days: int, tz: tzinfo, at: time) -> Due:
    day = term_ends_on + timedelta(days=index * step_days)
    return Due(f"overdue-{day.isoformat()}", local_to_utc(day, at, tz))


def renewal_dues(
    term_ends_on: date,
    now: datetime,
    tz: tzinfo,
    *,
    since: datetime | None = None,
    lead_months: Sequence[int] = DEFAULT_RENEWAL_LEAD_MONTHS,
    overdue_every: timedelta = DEFAULT_OVERDUE_EVERY,
    at: time = DEFAULT_DAY_TIME,
) -> list[Due]:
    """Renewal reminders due by `now` (and after `since` if given), in time order.

    Months before `term_ends_on` ("6m-2029-05-10"), then every week from that day on
    ("overdue-2029-05-17"). Stop calling once a renewal is recorded: the new term has a new
    term_ends_on. After a long outage pass `since` rather than sending every missed week.
    """
    now = _utc(now, "now")
    if since is not None:
        since = _utc(since, "since")
    step = _overdue_step(overdue_every)
    result = _renewal_leads(term_ends_on, lead_months, tz, at)
    index = 0
    while (due := _overdue(term_ends_on, index, step, tz, at)).at <= now:
        result.append(due)
        index += 1
    return [d for d in result if d.at <= now and (since is None or d.at > since)]


def next_renewal_due(
    term_ends_on: date,
    after: datetime,
    tz: tzinfo,
    *,
    lead_months: Sequence[int] = DEFAULT_RENEWAL_LEAD_MONTHS,
    overdue_every: timedelta = DEFAULT_OVERDUE_EVERY,
    at: time = DEFAULT_DAY_TIME,
) -> Due:
    """The first renewal reminder strictly after `after` (there is always one: weekly)."""
    after = _utc(after, "after")
    step = _overdue_step(overdue_every)
    for due in _renewal_leads(term_ends_on, lead_months, tz, at):
        if due.at > after:
            return due
    local_day = _local_date(after, tz)
    # Start from the last overdue day on or before `after`'s local date and walk on.
    index = max(0, (local_day - term_ends_on).days // step)
    while (due := _overdue(term_ends_on, index, step, tz, at)).at <= after:
        index += 1
    return due


# ---------------------------------------------------------------------------------------------
# Quiet hours and the daily digest
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    """Local clock times [start, end) with no non-urgent messages; start == end means none.

    start > end crosses midnight (22:00–08:00); start < end does not (12:00–14:00 午休).
    """

    start: time = time(22, 0)
    end: time = time(8, 0)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are naive local clock times")

    def contains(self, clock: time) -> bool:
        """Whether local `clock` is inside the window (start included, end excluded)."""
        if self.start < self.end:
            return self.start <= clock < self.end
        if self.start > self.end:
            return clock >= self.start or clock < self.end
        return False


# Product choice (DOMAIN.md, against formalism): nothing that can wait between 22:00 and 08:00.
DEFAULT_QUIET_HOURS = QuietHours()


def in_quiet_hours(at: datetime, tz: tzinfo, quiet: QuietHours = DEFAULT_QUIET_HOURS) -> bool:
    """Whether the instant `at` falls inside quiet hours in the branch's local time."""
    _require_aware(at, "at")
    return quiet.contains(at.astimezone(tz).time().replace(tzinfo=None))


def defer_for_quiet_hours(
    at: datetime,
    tz: tzinfo,
    *,
    urgent: bool = False,
    quiet: QuietHours = DEFAULT_QUIET_HOURS,
) -> datetime:
    """When to send a reminder due at `at`: the end of quiet hours if inside them, else `at`.

    The end is local (08:00 the same or the next day), so DST changes are honoured. Urgent
    reminders pass unchanged. Always returns UTC.
    """
    _require_aware(at, "at")
    local = at.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if urgent or not quiet.contains(clock):
        return at.astimezone(UTC)
    end_day = local.date()
    if quiet.start > quiet.end and clock >= quiet.start:
        end_day += timedelta(days=1)  # the window crosses midnight and we are before it
    return local_to_utc(end_day, quiet.end, tz)


# Product choice: 08:00, when quiet hours end, so what waited overnight and the day's agenda
# (meetings tonight, deadlines) arrive as one message in the morning, not a second ping at 18:00.
DEFAULT_DIGEST_TIME = time(8, 0)


def next_digest(
    after: datetime,
    tz: tzinfo,
    *,
    at: time = DEFAULT_DIGEST_TIME,
    working_days_only: bool = False,
    cal: WorkCalendar | None = None,
) -> datetime:
    """The next digest strictly after `after`: local `at` daily, optionally on working days."""
    after = _utc(after, "after")
    day = _local_date(after, tz)
    for _ in range(32):  # the longest rest run is 9 days (rules/workdays.py)
        candidate = local_to_utc(day, at, tz)
        if candidate > after and (not working_days_only or is_working_day(day, cal)):
            return candidate
        day += timedelta(days=1)
    raise RuntimeError("no digest day within a month")  # pragma: no cover
