"""Logging a training: a member's own (kind, title, organizer, days, length, evidence) or, by
a leader, one for many members of a branch (picked first). Each answer is checked by the
rules as it is given, and asked again with the reason."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from telegram import Message
from telegram.ext import filters

from handlers.kit.actions import ANYONE, LEADERS, Act, Reply
from handlers.kit.buttons import BadCallback, PersonId
from handlers.kit.chat import STALE_BUTTON
from handlers.kit.files import megabytes
from handlers.kit.flows import Choose, Custom, Day, Entry, Flow, GoBack, Next, Option, Problem, Text
from handlers.kit.i18n import N_, Html
from handlers.kit.steps import asking
from handlers.kit.ui import person_name
from handlers.labels import training_kind_label
from handlers.menu import TEXT_INPUT
from handlers.training import views
from handlers.training.log_views import (
    FIXED_AT,
    LogForm,
    picker,
    problem_of,
    start_buttons,
    step_problem,
    summary,
)
from handlers.training.many_records import branch_members, branch_to_log, log_for_members
from handlers.training.member import checked_file, not_a_file, require_member, year_reply
from handlers.training.own_record import NOBODY_TOLD, log_own_training
from handlers.training.views import Rows
from rules import training as rules
from rules.training import DurationUnit, TrainingDraft, TrainingProblem
from rules.validation import strip_format_chars
from rules.vocabulary import TrainingKind
from storage import training as store
from storage.models import Membership


async def start_mine(act: Act, press: views.LogTraining) -> LogForm:
    """A member logs a training of theirs that counts in this year or last year."""
    year = views.counting_year(act.today(), press.year)
    return LogForm(year=year, person=PersonId(require_member(act)))


async def start_many(act: Act, press: views.LogForMembers) -> LogForm:
    """A leader logs one training for members of a branch; they are picked first."""
    org = await branch_to_log(act, press.org)
    if not await branch_members(act, org.id):
        act.refuse(N_("{org} has no active members yet."), org=org.name)
    return LogForm(org=press.org, org_name=org.name)


async def may_log(act: Act, form: LogForm) -> None:
    """Still allowed: a member for themselves, a leader for their branch's members."""
    if form.org is not None:
        act.check(rules.can_log_for_others(act.actor, form.org))
    else:
        act.check(act.actor.is_member and act.actor.person_id is not None
                  and act.actor.person_id == form.person)


def said(act: Act, form: LogForm, problem: TrainingProblem, **changes: Any) -> Problem:
    """The problem, with what to do."""
    return problem_of(problem, act.today(), start=form.start,
                      end=changes["end"] if "end" in changes else form.end, year=form.year,
                      changed=changes.get("start") or changes.get("end"))


def problem_at(act: Act, form: LogForm, step: str, **changes: Any) -> Problem | None:
    found = step_problem(step, act.today(), form, **changes)
    return None if found is None else said(act, form, found, **changes)


# Who attended (for many)


async def members(act: Act, form: LogForm) -> list[Membership]:
    assert form.org is not None
    return await branch_members(act, form.org)


async def render_pick(act: Act, form: LogForm) -> tuple[Html, Rows]:
    return picker(act.t, await members(act, form), set(form.people), form.page, form.org_name)


async def pick(
    act: Act, form: LogForm,
    press: views.PickMember | views.PickPage | views.PickAll,
) -> Next:
    """Tick or untick one, turn the page, all, none."""
    ids = [m.person_id for m in await members(act, form)]
    chosen = [p for p in form.people if p in ids]
    if isinstance(press, views.PickMember):
        if press.person not in ids:
            act.refuse(STALE_BUTTON)
        chosen = ([p for p in chosen if p != press.person] if press.person in chosen
                  else [*chosen, press.person])
    elif isinstance(press, views.PickAll):
        chosen = ids if press.ticked else []
    return Next({"people": chosen, "page": press.page if isinstance(press, views.PickPage)
                 else form.page}, stay=True)


async def picked(act: Act, form: LogForm, press: views.PickDone) -> Next:
    if not form.people:
        act.refuse(views.ERROR_TEXTS["no_members"])
    return Next({})


# Kind, title, organizer


async def ask_kind(act: Act, form: LogForm) -> Html:
    t = act.t
    if form.bulk:
        heading = t.plural(
            "Log a training for {n} member of {org}.", "Log a training for {n} members of {org}.",
            len(form.people), org=form.org_name,
        )
    else:
        heading = t("Log a training that counts in {year}.", year=form.year)
    return heading + "\n" + t(views.LESSONS_COUNT) + "\n\n" + t("Which kind of training?")


async def kinds(act: Act, form: LogForm) -> list[Option]:
    return [Option(kind.value, training_kind_label(act.t, kind)) for kind in TrainingKind]


async def read_title(act: Act, form: LogForm, text: str) -> Any:
    title = strip_format_chars(text).strip()
    return problem_at(act, form, "title", title=title) or title


async def read_organizer(act: Act, form: LogForm, text: str) -> Any:
    organizer = strip_format_chars(text).strip()
    return problem_at(act, form, "organizer", organizer=organizer) or organizer


async def skip_button(act: Act, form: LogForm) -> Rows:
    return [[views.SkipOrganizer().button(act.t("Skip"))]]


async def skip_organizer(act: Act, form: LogForm, press: views.SkipOrganizer) -> Next:
    return Next({"organizer": None})


# The first and last day


async def ask_start(act: Act, form: LogForm) -> Html:
    """The first day; after a clash, why it is asked again."""
    t, today = act.t, act.today()
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


async def quick_days(act: Act, form: LogForm) -> Rows:
    return start_buttons(act.t, form, act.today())


async def accept_start(act: Act, form: LogForm, start: date) -> Next | Problem:
    """A first day the rules take, unless the course is logged already from that day."""
    problem = problem_at(act, form, "start", start=start, end=None)
    if problem is not None:
        return problem
    targets = form.targets()
    holders = await store.already_logged(act.session, targets, form.title or "", start)
    if holders and (not form.bulk or set(holders) >= set(targets)):
        return Next({"clash": start}, stay=True)
    return Next({"start": start, "dups": holders, "end": None, "clash": None,
                 "retitle": False})


async def start_day(act: Act, form: LogForm, press: views.StartDay) -> Next | Problem:
    return await accept_start(act, form, act.today() - timedelta(days=int(press.yesterday)))


async def retype_title(act: Act, form: LogForm, press: views.RetypeTitle) -> Next:
    """Logged already under this title: another title, then the first day again."""
    return Next({"retitle": True, "clash": None}, to="title")


async def same_day_button(act: Act, form: LogForm) -> Rows:
    assert form.start is not None
    return [[views.SameDay().button(act.t.as_plain("Same day ({date})",
                                                   date=form.start.isoformat()))]]


async def accept_end(act: Act, form: LogForm, end: date) -> Next | Problem:
    """A last day the rules take; one outside the years asks the whole range again."""
    found = step_problem("end", act.today(), form, end=end)
    if found is None:
        return Next({"end": end, "unit": DurationUnit.HOURS})
    problem = said(act, form, found, end=end)
    if FIXED_AT[found] == "start":
        act.say(act.t(problem.message, **problem.values))
        return Next({"start": None, "end": None}, to="start")
    return problem


async def same_day(act: Act, form: LogForm, press: views.SameDay) -> Next | Problem:
    if form.start is None:
        act.refuse(STALE_BUTTON)
    return await accept_end(act, form, form.start)


# How long


def span_days(form: LogForm) -> int:
    if form.start is None or form.end is None:
        return 1
    return (form.end - form.start).days + 1


async def ask_amount(act: Act, form: LogForm) -> Html:
    hours = act.settings.training_policy.hours_per_day
    if form.unit is DurationUnit.DAYS:
        return act.t("How many days did it last? Type a number, for example 2 or 0.5 (a day "
                     "counts {hours} hours).", hours=hours)
    return act.t("How many hours did it last? Type a number, for example 6 or 1.5 (a day counts "
                 "{hours} hours).", hours=hours)


async def amount_buttons(act: Act, form: LogForm) -> Rows:
    t, hpd, span = act.t, act.settings.training_policy.hours_per_day, span_days(form)
    days = form.unit is DurationUnit.DAYS
    return [
        [views.WholeSpan().button(t.as_plain_plural("{n} day = {hours} h", "{n} days = {hours} h",
                                                    span, hours=span * hpd))],
        [views.SwitchUnit("h").button(t("Type hours instead")) if days
         else views.SwitchUnit("d").button(t("Type days instead"))],
    ]


def checked_minutes(act: Act, form: LogForm, minutes: int | TrainingProblem) -> Next | Problem:
    if isinstance(minutes, TrainingProblem):
        return said(act, form, minutes)
    return problem_at(act, form, "amount", minutes=minutes) or Next({"minutes": minutes})


async def read_amount(act: Act, form: LogForm, text: str) -> Next | Problem:
    minutes = rules.parse_length(text, form.unit, act.settings.training_policy.hours_per_day)
    return Problem(views.TYPE_A_NUMBER) if minutes is None else checked_minutes(act, form, minutes)


async def whole_span(act: Act, form: LogForm, press: views.WholeSpan) -> Next | Problem:
    """Every day of the span, a full day each."""
    hpd = act.settings.training_policy.hours_per_day
    return checked_minutes(act, form, span_days(form) * hpd * 60)


async def switch_unit(act: Act, form: LogForm, press: views.SwitchUnit) -> Next:
    unit = DurationUnit.DAYS if press.unit == "d" else DurationUnit.HOURS
    return Next({"unit": unit}, stay=True)


# Evidence, and the summary


async def render_evidence(act: Act, form: LogForm) -> tuple[Html, Rows]:
    t, limit = act.t, act.settings.training_policy.evidence_max_bytes
    text = (views.heard_text(t, form.heard, limit) if form.heard is not None
            else t("Attach evidence: send a photo of the certificate or a PDF (at most {mb} MB "
                   "each, up to {n} files). Press Skip if there is none.",
                   mb=megabytes(limit), n=views.MAX_FILES))
    count = len(form.files)
    label = t("Skip") if not count else t.plural("Done ({n} file)", "Done ({n} files)", count)
    return text, [[views.EvidenceDone().button(label)]]


async def add_file(act: Act, form: LogForm, message: Message) -> Next:
    """A photo or a file: checked by the type and size Telegram reports, then kept."""
    limit = act.settings.training_policy.evidence_max_bytes
    file = checked_file(message, len(form.files), limit)
    if isinstance(file, views.Heard):
        return Next({"heard": file}, stay=True)
    heard = views.Heard(kind="received", name=file.file_name)
    return Next({"files": [*form.files, file], "heard": heard}, stay=True)


async def evidence_done(act: Act, form: LogForm, press: views.EvidenceDone) -> Next:
    return Next({})


# Logging it: a member's own (their leaders are asked to verify it) or one for many
# (verified at once if the leader says so); whoever it concerns is told.


async def submit(act: Act, form: LogForm, press: views.Submit | views.SubmitVerified) -> Reply:
    """Log it: for many, verified at once or later."""
    verify = isinstance(press, views.SubmitVerified)
    if verify and not form.bulk:
        raise BadCallback(press.pack())
    training = form.training()
    if training is None:
        act.refuse(STALE_BUTTON)
    problem = rules.validate_training(training, today=act.today(), year=form.year)
    if problem is not None:  # the day changed meanwhile: the step that fixes it is asked again
        told = said(act, form, problem)
        step = FIXED_AT[problem]
        raise GoBack(step, told.message, resume=step == "amount", **told.values)
    try:
        if form.bulk:
            return await log_many(act, form, training, verify=verify)
        return await log_mine(act, form, training)
    except store.DuplicateTraining:
        return Reply(act.t(views.ERROR_TEXTS["duplicate"]))
    except store.TrainingError as error:
        act.refuse(views.ERROR_TEXTS.get(error.code, STALE_BUTTON))


async def log_mine(act: Act, form: LogForm, training: TrainingDraft) -> Reply:
    """A member's own record: pending until a leader of theirs verifies it."""
    assert form.person is not None and form.year is not None
    done = await log_own_training(act, form.person, form.year, training, t=act.t,
                                  settings=act.settings, today=act.today(), now=act.now(),
                                  evidence=form.files)
    if done.messages:  # if nobody could be reached, the member is told to tell their secretary
        nobody = act.t(NOBODY_TOLD)
        act.deliver(done.messages, lambda told: None if told else (nobody, None))
    return await year_reply(act, form.year, done.note)


async def log_many(act: Act, form: LogForm, training: TrainingDraft, *, verify: bool) -> Reply:
    """One training for the chosen members, through the service the form calls too."""
    assert form.org is not None
    done = await log_for_members(act, form.org, form.targets(), training, verify=verify,
                                 t=act.t, settings=act.settings, today=act.today(),
                                 now=act.now(), evidence=form.files, strict=False)
    act.deliver(done.messages)
    return Reply(done.text)


async def render_summary(act: Act, form: LogForm) -> tuple[Html, Rows]:
    training = form.training()
    if training is None:
        act.refuse(STALE_BUTTON)
    names = ({m.person_id: person_name(act.t, m.person) for m in await members(act, form)}
             if form.bulk else {})
    return summary(act.t, form, training, act.settings.training_policy.hours_per_day, names)


LOG = Flow(
    name="training", prefix="tr", form=LogForm, guard=may_log, back=False,
    entry=(Entry(views.LogTraining, ANYONE, start_mine),
           Entry(views.LogForMembers, LEADERS, start_many)),
    steps=(
        Custom(key="pick", render=render_pick, when=lambda form: form.bulk, presses=(
            (views.PickMember, pick), (views.PickPage, pick), (views.PickAll, pick),
            (views.PickDone, picked))),
        Choose(key="k", ask=ask_kind, options=kinds),
        Text(key="title", ask=asking(N_(
            "What is the title of the training or course? For example: Special training on the "
            "spirit of the Party Congress")), read=read_title),
        Text(key="organizer", ask=asking(N_(
            "Who organized it? Type the organizer (for example: the district Party school), or "
            "press Skip.")), read=read_organizer, buttons=skip_button,
             presses=((views.SkipOrganizer, skip_organizer),), when=lambda form: not form.retitle),
        Day(key="start", ask=ask_start, prefer="past", quick=False, accept=accept_start,
            buttons=quick_days,
            presses=((views.StartDay, start_day), (views.RetypeTitle, retype_title))),
        Day(key="end", ask=asking(N_(
            "On which day did it end? Type the date as you would say it, or press Same day.")),
            prefer="past", quick=False, accept=accept_end,
            buttons=same_day_button, presses=((views.SameDay, same_day),)),
        Text(key="amount", ask=ask_amount, read=read_amount, buttons=amount_buttons,
             presses=((views.WholeSpan, whole_span), (views.SwitchUnit, switch_unit))),
        Custom(key="evidence", render=render_evidence,
               presses=((views.EvidenceDone, evidence_done),),
               messages=((filters.ATTACHMENT, add_file), (TEXT_INPUT, not_a_file))),
        Custom(key="go", render=render_summary,
               presses=((views.Submit, submit), (views.SubmitVerified, submit))),
    ),
)
