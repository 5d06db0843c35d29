"""The form and texts of logging a training, for oneself or for many, and why an answer is
refused (pure: no Telegram calls, no database)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from pydantic import Field

from handlers.kit.buttons import OrgId, PersonId
from handlers.kit.flows import Form, Problem
from handlers.kit.i18n import N_, Html, Translator, html_join
from handlers.kit.ui import paged_rows, person_name
from handlers.labels import LIST_SEPARATOR, ROLE_LABELS
from handlers.training import views
from handlers.training.views import Rows
from rules import training as rules
from rules.training import DurationUnit, TrainingDraft, TrainingProblem
from rules.vocabulary import TrainingKind
from storage import training as store
from storage.models import Membership


class LogForm(Form):
    """A training being logged: a member's own (person, counted in year) or for many (org)."""

    year: int | None = None  # None: for many, in this year or last year
    person: PersonId | None = None
    org: OrgId | None = None
    org_name: str = ""
    people: list[int] = Field(default_factory=list)  # chosen, by person id
    page: int = 0
    k: TrainingKind | None = None  # the kind (named like its step: its buttons say "tr:k:…")
    title: str | None = None
    retitle: bool = False  # the title is typed again: then the first day, not the organizer
    organizer: str | None = None
    start: date | None = None
    clash: date | None = None  # a first day typed that is logged already under this title
    dups: list[int] = Field(default_factory=list)  # of the chosen, who have it already
    end: date | None = None
    unit: DurationUnit = DurationUnit.HOURS
    minutes: int | None = None
    files: list[store.EvidenceFile] = Field(default_factory=list)  # as Telegram describes them
    heard: views.Heard | None = None

    @property
    def bulk(self) -> bool:
        return self.org is not None

    def targets(self) -> list[int]:
        return list(self.people) if self.bulk else [int(self.person or 0)]

    def training(self) -> TrainingDraft | None:
        """The training as entered, once every step is answered."""
        if self.start is None or self.end is None or self.minutes is None:
            return None
        return TrainingDraft(title=self.title or "", kind=self.k or TrainingKind.OTHER,
                             starts_on=self.start, ends_on=self.end, minutes=self.minutes,
                             organizer=self.organizer)


def picker(
    t: Translator, members: Sequence[Membership], chosen: set[int], page: int, org: str
) -> tuple[Html, Rows]:
    """Who attended: a tick per member, a page at a time, all, none, and Next."""
    items = [
        views.PickMember(PersonId(m.person_id)).button(
            ("☑ " if m.person_id in chosen else "☐ ") + person_name(t, m.person) + " · "
            + t(ROLE_LABELS[m.role]))
        for m in members
    ]
    rows = paged_rows(t, items, page, views.PickPage, [
        [views.PickAll(True).button(t("Select all")), views.PickAll(False).button(t("Clear"))],
        [views.PickDone().button(t.as_plain_plural("Next › ({n} chosen)", "Next › ({n} chosen)",
                                                   len(chosen)))],
    ])
    return t("Who attended? Tick the members of {org} to log one training for.", org=org), rows


def start_buttons(t: Translator, form: LogForm, today: date) -> Rows:
    """Today and yesterday (logging for this year); after a clash, another title."""
    if form.clash is not None:
        return [[views.RetypeTitle().button(t("✏️ Change the title"))]]
    if form.year is not None and form.year != today.year:
        return []
    quick = [views.StartDay(False).button(t("Today"))]
    if (today - timedelta(days=1)).year == today.year or form.year is None:
        quick.append(views.StartDay(True).button(t("Yesterday")))
    return [quick]


def summary(
    t: Translator, form: LogForm, training: TrainingDraft, hours_per_day: int,
    names: Mapping[int, str],
) -> tuple[Html, Rows]:
    """Everything entered (and, for many, who) before it is logged."""
    split = rules.split_minutes_by_year(training.starts_on, training.ends_on, training.minutes)
    lines = [
        t("<b>Please check the training:</b>"),
        *views.length_lines(t, training, list(split.items()), hours_per_day),
        t.plural("Evidence: {n} file", "Evidence: {n} files", len(form.files)),
    ]
    if not form.bulk:
        lines.append(t("A leader of your branch verifies it; then it counts."))
        return html_join("\n", lines), [[views.Submit().button(t("✅ Submit"))]]
    dups = set(form.dups)
    chosen = [pid for pid in form.targets() if pid in names]
    new = [names[pid] for pid in chosen if pid not in dups]
    separator = t(LIST_SEPARATOR)
    lines.append(t.plural("For {n} member: {names}", "For {n} members: {names}", len(new),
                          names=separator.join(new)))
    if dups:
        lines.append(t("Already logged, skipped: {names}",
                       names=separator.join(names[p] for p in chosen if p in dups)))
    return html_join("\n", lines), [[views.SubmitVerified().button(t("✅ Log and verify"))],
                                    [views.Submit().button(t("Log, verify later"))]]


# Why an answer is refused, and which step of logging fixes each problem

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
    **{p: step for step in ("title", "organizer", "amount") for p in STEP_PROBLEMS[step]},
    TrainingProblem.END_BEFORE_START: "end",
    TrainingProblem.IN_FUTURE: "end",
    TrainingProblem.OUTSIDE_COUNTING_YEARS: "start",
    TrainingProblem.NOT_IN_YEAR: "start",
}


def problem_of(
    problem: TrainingProblem, today: date, *, start: date | None = None,
    end: date | None = None, year: int | None = None, changed: date | None = None,
) -> Problem:
    """The reason for a refused answer, with what to do."""
    first, last = rules.counting_years(today)
    span = (end - start).days + 1 if start is not None and end is not None else 1
    return Problem(
        PROBLEM_TEXTS[problem], first=first, last=last, year=year or last, days=span,
        max=span * 24,
        limit=rules.MAX_TITLE if problem is TrainingProblem.TITLE_TOO_LONG else rules.MAX_ORGANIZER,
        start=start.isoformat() if start else "", end=end.isoformat() if end else "",
        date=(changed or end or start or today).isoformat(), today=today.isoformat(),
    )


def step_problem(step: str, today: date, form: LogForm, **changes: Any
                 ) -> TrainingProblem | None:
    """What the rules say about the answers so far (`changes` over the form's); the steps not
    answered yet are filled with values that pass, so only `step`'s problems are returned."""
    values = {**dict(form), **changes}
    first_year, _ = rules.counting_years(today)
    start = values["start"] or today
    end = values["end"] or max(start, date(form.year if form.year is not None else first_year,
                                           1, 1))
    probe = TrainingDraft(
        title=values["title"] if values["title"] is not None else "x",
        kind=values["k"] or TrainingKind.OTHER, starts_on=start, ends_on=end,
        minutes=values["minutes"] if values["minutes"] is not None else 1,
        organizer=values["organizer"],
    )
    problem = rules.validate_training(probe, today=today, year=form.year)
    return problem if problem in STEP_PROBLEMS[step] else None
