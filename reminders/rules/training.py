"""Training: pro-rata at each quarter start, monthly in the last quarter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from reminders.rules.dues import DEFAULT_DAY_TIME, Due, _local_date, _utc, local_to_utc
from rules.workdays import WorkCalendar, next_working_day

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
