"""Why a training's answers are refused, and which step of logging it fixes each problem."""

from __future__ import annotations

from datetime import date

from handlers.kit.flows import Problem
from handlers.kit.i18n import N_
from rules import training as rules
from rules.training import TrainingDraft, TrainingProblem
from rules.vocabulary import TrainingKind

PROBLEM_TEXTS = {
    TrainingProblem.TITLE_EMPTY: N_(
        "Please type the title of the training (letters or digits, not only punctuation)."
    ),
    TrainingProblem.TITLE_TOO_LONG: N_(
        "That title is too long (at most {limit} characters). Please type a shorter one."
    ),
    TrainingProblem.TITLE_INVALID: N_(
        "That title contains characters that cannot be stored. Please retype it."
    ),
    TrainingProblem.ORGANIZER_TOO_LONG: N_(
        "That is too long for the organizer (at most {limit} characters). Please shorten it."
    ),
    TrainingProblem.ORGANIZER_INVALID: N_(
        "That contains characters that cannot be stored. Please retype the organizer."
    ),
    TrainingProblem.END_BEFORE_START: N_(
        "The last day {end} is before the first day {start}. Please type the last day again."
    ),
    TrainingProblem.NOT_POSITIVE: N_(
        "The length must be more than zero. Please type the hours again, for example 6 or 1.5."
    ),
    TrainingProblem.TOO_MANY_HOURS: N_(
        "That is more than 24 hours for each day of the training: {days} day(s) allow at most "
        "{max} hours. Please check the number (hours, not minutes) and type it again."
    ),
    TrainingProblem.IN_FUTURE: N_(
        "{date} is in the future. Log a training once it has taken place: please type a date "
        "up to today ({today})."
    ),
    TrainingProblem.OUTSIDE_COUNTING_YEARS: N_(
        "Only training of {first} and {last} can be logged now. Please type the first day "
        "again."
    ),
    TrainingProblem.NOT_IN_YEAR: N_(
        "That training has no day in {year}, the year you are logging for. Please type the "
        "first day again, or cancel and choose the other year in 📚 Training."
    ),
}
# Which problems each step of logging can cause (and so re-asks).
STEP_PROBLEMS = {
    "title": frozenset({TrainingProblem.TITLE_EMPTY, TrainingProblem.TITLE_TOO_LONG,
                        TrainingProblem.TITLE_INVALID}),
    "organizer": frozenset({TrainingProblem.ORGANIZER_TOO_LONG,
                            TrainingProblem.ORGANIZER_INVALID}),
    "start": frozenset({TrainingProblem.IN_FUTURE, TrainingProblem.OUTSIDE_COUNTING_YEARS,
                        TrainingProblem.NOT_IN_YEAR}),
    "end": frozenset({TrainingProblem.END_BEFORE_START, TrainingProblem.IN_FUTURE,
                      TrainingProblem.OUTSIDE_COUNTING_YEARS, TrainingProblem.NOT_IN_YEAR}),
    "amount": frozenset({TrainingProblem.NOT_POSITIVE, TrainingProblem.TOO_MANY_HOURS}),
}
# The step that fixes a problem found later (at the last day: the whole date range).
FIXED_AT = {
    **{p: "title" for p in STEP_PROBLEMS["title"]},
    **{p: "organizer" for p in STEP_PROBLEMS["organizer"]},
    TrainingProblem.END_BEFORE_START: "end",
    TrainingProblem.IN_FUTURE: "end",
    TrainingProblem.OUTSIDE_COUNTING_YEARS: "start",
    TrainingProblem.NOT_IN_YEAR: "start",
    TrainingProblem.NOT_POSITIVE: "amount",
    TrainingProblem.TOO_MANY_HOURS: "amount",
}


def problem_of(
    problem: TrainingProblem, today: date, *, start: date | None = None,
    end: date | None = None, year: int | None = None, changed: date | None = None,
) -> Problem:
    """The reason for a refused answer, with what to do."""
    first, last = rules.counting_years(today)
    span = (end - start).days + 1 if start is not None and end is not None else 1
    return Problem(
        PROBLEM_TEXTS[problem],
        limit=rules.MAX_TITLE if problem is TrainingProblem.TITLE_TOO_LONG
        else rules.MAX_ORGANIZER,
        start=start.isoformat() if start else "",
        end=end.isoformat() if end else "",
        days=span,
        max=span * 24,
        date=(changed or end or start or today).isoformat(),
        today=today.isoformat(),
        first=first,
        last=last,
        year=year or last,
    )


def step_problem(
    step: str, today: date, *, year: int | None, title: str | None, kind: TrainingKind | None,
    start: date | None, end: date | None, minutes: int | None, organizer: str | None,
) -> TrainingProblem | None:
    """What the rules say about the answers so far; the steps not answered yet are filled
    with values that pass, so only `step`'s problems are returned."""
    first_year, _ = rules.counting_years(today)
    start = start or today
    end = end or max(start, date(year if year is not None else first_year, 1, 1))
    probe = TrainingDraft(
        title=title if title is not None else "x", kind=kind or TrainingKind.OTHER,
        starts_on=start, ends_on=end, minutes=minutes if minutes is not None else 1,
        organizer=organizer,
    )
    problem = rules.validate_training(probe, today=today, year=year)
    return problem if problem in STEP_PROBLEMS[step] else None
