"""Logging a training: a member's own (kind, title, organizer, days, length, evidence) or, by
a leader, one for many members of a branch (picked first). Each answer is checked by the
rules as it is given, and asked again with the reason."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from telegram import Message
from telegram.ext import filters

from handlers.kit.actions import ANYONE, LEADERS, Act
from handlers.kit.buttons import PersonId
from handlers.kit.chat import STALE_BUTTON
from handlers.kit.flows import Choose, Custom, Day, Entry, Flow, Next, Option, Problem, Text
from handlers.kit.i18n import N_, Html
from handlers.kit.ui import person_name
from handlers.labels import training_kind_label
from handlers.menu import TEXT_INPUT
from handlers.training.evidence import MAX_FILES, Heard, checked_file, heard_text, not_a_file
from handlers.training.log_save import submit, submit_verified
from handlers.training.log_views import (
    EvidenceItem,
    LogForm,
    amount_question,
    kind_question,
    picker,
    start_buttons,
    start_question,
    summary,
)
from handlers.training.problems import FIXED_AT, problem_of, step_problem
from handlers.training.views import (
    ERROR_TEXTS,
    TYPE_A_NUMBER,
    EvidenceDone,
    LogForMembers,
    LogTraining,
    PickAll,
    PickDone,
    PickMember,
    PickNone,
    PickPage,
    RetypeTitle,
    Rows,
    SameDay,
    SkipOrganizer,
    StartDay,
    Submit,
    SubmitVerified,
    SwitchUnit,
    WholeSpan,
    megabytes,
)
from handlers.training.year import counting_year, require_member
from rules import training as rules
from rules.training import DurationUnit, TrainingProblem
from rules.tree import MEMBER_KINDS
from rules.validation import strip_format_chars
from rules.vocabulary import MembershipState, TrainingKind
from storage import orgs as org_store
from storage import people
from storage import training as store
from storage.models import Membership


async def start_mine(act: Act, press: LogTraining) -> LogForm:
    """A member logs a training of theirs that counts in this year or last year."""
    year = counting_year(act, press.year)
    return LogForm(year=year, person=PersonId(require_member(act)))


async def start_many(act: Act, press: LogForMembers) -> LogForm:
    """A leader logs one training for members of a branch; they are picked first."""
    act.check(rules.can_log_for_others(act.actor, press.org))
    org = await org_store.get_party_org(act.session, press.org)
    if org is None or org.kind not in MEMBER_KINDS:
        act.refuse(STALE_BUTTON)
    if not await people.members_of(act.session, org.id, (MembershipState.ACTIVE,)):
        act.refuse(N_("{org} has no active members yet."), org=org.name)
    return LogForm(org=press.org, org_name=org.name)


async def may_log(act: Act, form: LogForm) -> None:
    """Still allowed: a member for themselves, a leader for their branch's members."""
    if form.org is not None:
        act.check(rules.can_log_for_others(act.actor, form.org))
    else:
        act.check(act.actor.is_member and act.actor.person_id is not None
                  and act.actor.person_id == form.person)


def found_at(act: Act, form: LogForm, step: str, **changes: Any) -> TrainingProblem | None:
    """The problem the answers so far (changes included) have at `step`, if any."""
    values = {**dict(form), **changes}
    return step_problem(step, act.today(), year=form.year, title=values["title"],
                        kind=values["k"], start=values["start"], end=values["end"],
                        minutes=values["minutes"], organizer=values["organizer"])


def said(act: Act, form: LogForm, problem: TrainingProblem, **changes: Any) -> Problem:
    """The problem, with what to do."""
    return problem_of(problem, act.today(), start=form.start,
                      end=changes["end"] if "end" in changes else form.end, year=form.year,
                      changed=changes.get("start") or changes.get("end"))


def problem_at(act: Act, form: LogForm, step: str, **changes: Any) -> Problem | None:
    found = found_at(act, form, step, **changes)
    return None if found is None else said(act, form, found, **changes)


# Who attended (for many)


async def members(act: Act, form: LogForm) -> list[Membership]:
    assert form.org is not None
    return await people.members_of(act.session, form.org, (MembershipState.ACTIVE,))


async def render_pick(act: Act, form: LogForm) -> tuple[Html, Rows]:
    return picker(act.t, await members(act, form), set(form.people), form.page, form.org_name)


async def pick(act: Act, form: LogForm, press: PickMember | PickPage | PickAll | PickNone
               ) -> Next:
    """Tick or untick one, turn the page, all, none."""
    ids = [m.person_id for m in await members(act, form)]
    chosen = [p for p in form.people if p in ids]
    if isinstance(press, PickMember):
        if press.person not in ids:
            act.refuse(STALE_BUTTON)
        chosen = ([p for p in chosen if p != press.person] if press.person in chosen
                  else [*chosen, press.person])
    elif isinstance(press, PickAll | PickNone):
        chosen = ids if isinstance(press, PickAll) else []
    return Next({"people": chosen, "page": press.page if isinstance(press, PickPage)
                 else form.page}, stay=True)


async def picked(act: Act, form: LogForm, press: PickDone) -> Next:
    if not form.people:
        act.refuse(ERROR_TEXTS["no_members"])
    return Next({})


# Kind, title, organizer


async def ask_kind(act: Act, form: LogForm) -> Html:
    return kind_question(act.t, form)


async def kinds(act: Act, form: LogForm) -> list[Option]:
    return [Option(kind.value, training_kind_label(act.t, kind)) for kind in TrainingKind]


async def ask_title(act: Act, form: LogForm) -> Html:
    return act.t("What is the title of the training or course? For example: Special training "
                 "on the spirit of the Party Congress")


async def read_title(act: Act, form: LogForm, text: str) -> Any:
    title = strip_format_chars(text).strip()
    return problem_at(act, form, "title", title=title) or title


async def ask_organizer(act: Act, form: LogForm) -> Html:
    return act.t("Who organized it? Type the organizer (for example: the district Party "
                 "school), or press Skip.")


async def skip_button(act: Act, form: LogForm) -> Rows:
    return [[SkipOrganizer().button(act.t("Skip"))]]


async def skip_organizer(act: Act, form: LogForm, press: SkipOrganizer) -> Next:
    return Next({"organizer": None})


async def read_organizer(act: Act, form: LogForm, text: str) -> Any:
    organizer = strip_format_chars(text).strip()
    return problem_at(act, form, "organizer", organizer=organizer) or organizer


# The first and last day


async def ask_start(act: Act, form: LogForm) -> Html:
    return start_question(act.t, form, act.today())


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


async def start_day(act: Act, form: LogForm, press: StartDay) -> Next | Problem:
    return await accept_start(act, form, act.today() - timedelta(days=int(press.yesterday)))


async def retype_title(act: Act, form: LogForm, press: RetypeTitle) -> Next:
    """Logged already under this title: another title, then the first day again."""
    return Next({"retitle": True, "clash": None}, to="title")


async def ask_end(act: Act, form: LogForm) -> Html:
    return act.t("On which day did it end? Type the date as you would say it, or press Same "
                 "day.")


async def same_day_button(act: Act, form: LogForm) -> Rows:
    assert form.start is not None
    return [[SameDay().button(act.t.as_plain("Same day ({date})",
                                             date=form.start.isoformat()))]]


async def accept_end(act: Act, form: LogForm, end: date) -> Next | Problem:
    """A last day the rules take; one outside the years asks the whole range again."""
    found = found_at(act, form, "end", end=end)
    if found is None:
        return Next({"end": end, "unit": DurationUnit.HOURS})
    problem = said(act, form, found, end=end)
    if FIXED_AT[found] == "start":
        act.say(act.t(problem.message, **problem.values))
        return Next({"start": None, "end": None}, to="start")
    return problem


async def same_day(act: Act, form: LogForm, press: SameDay) -> Next | Problem:
    if form.start is None:
        act.refuse(STALE_BUTTON)
    return await accept_end(act, form, form.start)


# How long


def span_days(form: LogForm) -> int:
    if form.start is None or form.end is None:
        return 1
    return (form.end - form.start).days + 1


async def ask_amount(act: Act, form: LogForm) -> Html:
    return amount_question(act.t, form, act.settings.training_policy.hours_per_day)


async def amount_buttons(act: Act, form: LogForm) -> Rows:
    t, hpd, span = act.t, act.settings.training_policy.hours_per_day, span_days(form)
    days = form.unit is DurationUnit.DAYS
    return [
        [WholeSpan().button(t.as_plain_plural("{n} day = {hours} h", "{n} days = {hours} h",
                                              span, hours=span * hpd))],
        [SwitchUnit("h").button(t("Type hours instead")) if days
         else SwitchUnit("d").button(t("Type days instead"))],
    ]


def checked_minutes(act: Act, form: LogForm, minutes: int | TrainingProblem) -> Next | Problem:
    if isinstance(minutes, TrainingProblem):
        return said(act, form, minutes)
    return problem_at(act, form, "amount", minutes=minutes) or Next({"minutes": minutes})


async def read_amount(act: Act, form: LogForm, text: str) -> Next | Problem:
    minutes = rules.parse_length(text, form.unit, act.settings.training_policy.hours_per_day)
    return Problem(TYPE_A_NUMBER) if minutes is None else checked_minutes(act, form, minutes)


async def whole_span(act: Act, form: LogForm, press: WholeSpan) -> Next | Problem:
    """Every day of the span, a full day each."""
    hpd = act.settings.training_policy.hours_per_day
    return checked_minutes(act, form, span_days(form) * hpd * 60)


async def switch_unit(act: Act, form: LogForm, press: SwitchUnit) -> Next:
    unit = DurationUnit.DAYS if press.unit == "d" else DurationUnit.HOURS
    return Next({"unit": unit}, stay=True)


# Evidence, and the summary


async def render_evidence(act: Act, form: LogForm) -> tuple[Html, Rows]:
    t, limit = act.t, act.settings.training_policy.evidence_max_bytes
    text = (heard_text(t, form.heard, limit) if form.heard is not None
            else t("Attach evidence: send a photo of the certificate or a PDF (at most {mb} MB "
                   "each, up to {n} files). Press Skip if there is none.",
                   mb=megabytes(limit), n=MAX_FILES))
    count = len(form.files)
    label = t("Skip") if not count else t.plural("Done ({n} file)", "Done ({n} files)", count)
    return text, [[EvidenceDone().button(label)]]


async def add_file(act: Act, form: LogForm, message: Message) -> Next:
    """A photo or a file: checked by the type and size Telegram reports, then kept."""
    limit = act.settings.training_policy.evidence_max_bytes
    file = checked_file(message, len(form.files), limit)
    if isinstance(file, Heard):
        return Next({"heard": file}, stay=True)
    item = EvidenceItem(id=file.telegram_file_id, uid=file.telegram_file_unique_id,
                        mime=rules.canonical_mime(file.mime_type), size=file.size_bytes,
                        name=file.file_name)
    return Next({"files": [*form.files, item], "heard": Heard(kind="received",
                                                                name=file.file_name)},
                stay=True)


async def evidence_done(act: Act, form: LogForm, press: EvidenceDone) -> Next:
    return Next({})


async def render_summary(act: Act, form: LogForm) -> tuple[Html, Rows]:
    training = form.training()
    if training is None:
        act.refuse(STALE_BUTTON)
    names = ({m.person_id: person_name(act.t, m.person) for m in await members(act, form)}
             if form.bulk else {})
    return summary(act.t, form, training, act.settings.training_policy.hours_per_day, names)


LOG = Flow(
    name="training",
    prefix="tr",
    form=LogForm,
    entry=(Entry(LogTraining, ANYONE, start_mine), Entry(LogForMembers, LEADERS, start_many)),
    guard=may_log,
    back=False,
    steps=(
        Custom(key="pick", render=render_pick, when=lambda form: form.bulk, presses=(
            (PickMember, pick), (PickPage, pick), (PickAll, pick), (PickNone, pick),
            (PickDone, picked))),
        Choose(key="k", ask=ask_kind, options=kinds),
        Text(key="title", ask=ask_title, read=read_title),
        Text(key="organizer", ask=ask_organizer, read=read_organizer, buttons=skip_button,
             presses=((SkipOrganizer, skip_organizer),), when=lambda form: not form.retitle),
        Day(key="start", ask=ask_start, prefer="past", quick=False, accept=accept_start,
            buttons=quick_days, presses=((StartDay, start_day), (RetypeTitle, retype_title))),
        Day(key="end", ask=ask_end, prefer="past", quick=False, accept=accept_end,
            buttons=same_day_button, presses=((SameDay, same_day),)),
        Text(key="amount", ask=ask_amount, read=read_amount, buttons=amount_buttons,
             presses=((WholeSpan, whole_span), (SwitchUnit, switch_unit))),
        Custom(key="evidence", render=render_evidence, presses=((EvidenceDone, evidence_done),),
               messages=((filters.ATTACHMENT, add_file), (TEXT_INPUT, not_a_file))),
        Custom(key="go", render=render_summary,
               presses=((Submit, submit), (SubmitVerified, submit_verified))),
    ),
)
