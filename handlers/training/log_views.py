"""The form and texts of logging a training, for oneself or for many (pure: no Telegram
calls, no database)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from pydantic import BaseModel, Field

from handlers.kit.buttons import OrgId, PersonId
from handlers.kit.flows import Form
from handlers.kit.i18n import Html, Translator, html_join
from handlers.kit.ui import person_name
from handlers.labels import LIST_SEPARATOR, ROLE_LABELS
from handlers.training.evidence import Heard
from handlers.training.views import (
    LESSONS_COUNT,
    PickAll,
    PickDone,
    PickMember,
    PickNone,
    PickPage,
    RetypeTitle,
    Rows,
    StartDay,
    Submit,
    SubmitVerified,
    length_lines,
    paged,
)
from rules import training as rules
from rules.training import DurationUnit, TrainingDraft
from rules.vocabulary import TrainingKind
from storage import training as store
from storage.models import Membership


class EvidenceItem(BaseModel):
    """A file received for the training being logged (kept as Telegram's ids)."""

    id: str
    uid: str
    mime: str
    size: int | None = None
    name: str | None = None


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
    files: list[EvidenceItem] = Field(default_factory=list)
    heard: Heard | None = None

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

    def evidence(self) -> list[store.EvidenceFile]:
        return [store.EvidenceFile(telegram_file_id=f.id, telegram_file_unique_id=f.uid,
                                   mime_type=f.mime, size_bytes=f.size, file_name=f.name)
                for f in self.files]


def picker(
    t: Translator, members: Sequence[Membership], chosen: set[int], page: int, org: str
) -> tuple[Html, Rows]:
    """Who attended: a tick per member, a page at a time, all, none, and Next."""
    items = [
        PickMember(PersonId(m.person_id)).button(
            ("☑ " if m.person_id in chosen else "☐ ") + person_name(t, m.person) + " · "
            + t(ROLE_LABELS[m.role]))
        for m in members
    ]
    rows = paged(t, items, page, PickPage)
    rows += [
        [PickAll().button(t("Select all")), PickNone().button(t("Clear"))],
        [PickDone().button(t.as_plain_plural("Next › ({n} chosen)", "Next › ({n} chosen)",
                                             len(chosen)))],
    ]
    return t("Who attended? Tick the members of {org} to log one training for.", org=org), rows


def kind_question(t: Translator, form: LogForm) -> Html:
    if form.bulk:
        heading = t.plural(
            "Log a training for {n} member of {org}.", "Log a training for {n} members of {org}.",
            len(form.people), org=form.org_name,
        )
    else:
        heading = t("Log a training that counts in {year}.", year=form.year)
    return heading + "\n" + t(LESSONS_COUNT) + "\n\n" + t("Which kind of training?")


def start_question(t: Translator, form: LogForm, today: date) -> Html:
    if form.clash is None:
        example = today if form.year is None or form.year == today.year else date(form.year, 12, 1)
        return t("On which day did it start? Type the date as you would say it, for example "
                 "{example}, 5 Mar or last Fri.", example=example.isoformat())
    title, day = form.title or "", form.clash.isoformat()
    text = (t("All the chosen members already have {title} starting on {date} logged.",
              title=title, date=day) if form.bulk
            else t("You have already logged {title} starting on {date}.", title=title, date=day))
    return text + "\n" + t("If this is another course, type its first day again or change "
                           "the title; otherwise press Cancel.")


def start_buttons(t: Translator, form: LogForm, today: date) -> Rows:
    """Today and yesterday (logging for this year); after a clash, another title."""
    if form.clash is not None:
        return [[RetypeTitle().button(t("✏️ Change the title"))]]
    if form.year is not None and form.year != today.year:
        return []
    quick = [StartDay(False).button(t("Today"))]
    if (today - timedelta(days=1)).year == today.year or form.year is None:
        quick.append(StartDay(True).button(t("Yesterday")))
    return [quick]


def amount_question(t: Translator, form: LogForm, hours_per_day: int) -> Html:
    if form.unit is DurationUnit.DAYS:
        return t("How many days did it last? Type a number, for example 2 or 0.5 (a day counts "
                 "{hours} hours).", hours=hours_per_day)
    return t("How many hours did it last? Type a number, for example 6 or 1.5 (a day counts "
             "{hours} hours).", hours=hours_per_day)


def summary(
    t: Translator, form: LogForm, training: TrainingDraft, hours_per_day: int,
    names: Mapping[int, str],
) -> tuple[Html, Rows]:
    """Everything entered (and, for many, who) before it is logged."""
    split = rules.split_minutes_by_year(training.starts_on, training.ends_on, training.minutes)
    lines = [
        t("<b>Please check the training:</b>"),
        *length_lines(t, training.title, training.organizer, training.kind, training.starts_on,
                      training.ends_on, training.minutes, list(split.items()), hours_per_day),
        t.plural("Evidence: {n} file", "Evidence: {n} files", len(form.files)),
    ]
    if not form.bulk:
        lines.append(t("A leader of your branch verifies it; then it counts."))
        return html_join("\n", lines), [[Submit().button(t("✅ Submit"))]]
    dups = set(form.dups)
    chosen = [pid for pid in form.targets() if pid in names]
    new = [names[pid] for pid in chosen if pid not in dups]
    separator = t(LIST_SEPARATOR)
    lines.append(t.plural("For {n} member: {names}", "For {n} members: {names}", len(new),
                          names=separator.join(new)))
    if dups:
        lines.append(t("Already logged, skipped: {names}",
                       names=separator.join(names[p] for p in chosen if p in dups)))
    return html_join("\n", lines), [[SubmitVerified().button(t("✅ Log and verify"))],
                                    [Submit().button(t("Log, verify later"))]]
