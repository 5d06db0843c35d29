"""A leader records what the branch did for a person's development: the next stage (the day,
the decision's reference and, for the assembly's votes, its figures as held), or the talk, a
half-yearly review, the public notice's first day or an approval. A step before the rule's day
is refused with that day; an admin may let it through with a reason (audited)."""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.access.development import access_development, access_guided
from handlers.development import views
from handlers.development.pages import card_reply, closed_reply
from handlers.development.views import EventForm, StepForm
from handlers.kit.actions import LEADERS, MEMBERS, Act, Reply
from handlers.kit.chat import Refused
from handlers.kit.flows import Confirm, Day, Entry, Flow, Next, Problem, Text, cleaned
from handlers.kit.flows import past_day as not_future
from handlers.kit.i18n import N_, Html, html_join
from handlers.labels import STAGE_LABELS
from rules import development as rules
from rules.development import TooEarly
from rules.validation import MAX_REASON, Invalid, parse_whole
from rules.vocabulary import DevelopmentStage, MembershipState, MemberStatus
from storage import development, people
from storage.development import Votes
from storage.holiday_calendar import work_calendar
from storage.models import DevelopmentRecord

MAX_DOCUMENT = 100  # a decision's reference (支发〔2026〕3号)
NO_DOCUMENT = "-"
WHY = {
    DevelopmentStage.CANDIDATE: N_("at least a year as an activist"),
    DevelopmentStage.PROBATIONARY: N_("after the public notice of 5 working days"),
    DevelopmentStage.FULL: N_("a year of probation from the assembly's vote"),
}


def following(record: DevelopmentRecord) -> DevelopmentStage | None:
    return rules.next_stage(record.stage)


# -- the next stage --------------------------------------------------------------------------


async def start_step(act: Act, press: views.TakeStep) -> StepForm | Reply:
    record = await access_development(act, press.person)
    stage = following(record)
    if stage is None:
        return await card_reply(act, press.person)
    return StepForm(person=press.person, stage=stage)


async def guard(act: Act, form: Any) -> None:
    await access_development(act, form.person)


async def target(act: Act, form: StepForm) -> tuple[DevelopmentRecord, DevelopmentStage]:
    """The person's record and the stage the flow moves them into, still the next one."""
    record = await access_development(act, form.person)
    stage = following(record)
    if stage is None or stage is not form.stage:
        raise Refused(views.REFUSALS["stage_out_of_order"])
    return record, stage


async def ask_day(act: Act, form: StepForm) -> Html:
    _, stage = await target(act, form)
    return act.t("{stage}: on which day did the branch decide it? Type it like {day}, or "
                 "press a day.", stage=act.t(STAGE_LABELS[stage]), day=act.today().isoformat())


async def accept_day(act: Act, form: StepForm, day: date) -> Next | Problem:
    record, stage = await target(act, form)
    refused = rules.check_step(stage, day, development.milestones(record), act.today(),
                               await work_calendar(act.session))
    if isinstance(refused, TooEarly):
        if not act.actor.is_admin:
            return Problem(N_("Too early: the rules allow it from {date} ({why}). An "
                              "administrator may record it earlier with a reason."),
                           date=refused.first.isoformat(), why=act.t(WHY[stage]))
        return Next({"on": day, "override": None})
    if isinstance(refused, Invalid):
        return Problem(views.REFUSALS.get(refused.reason, views.REFUSALS["stage_out_of_order"]))
    return Next({"on": day, "override": ""})




async def ask_override(act: Act, form: StepForm) -> Html:
    record, stage = await target(act, form)
    first = rules.earliest(stage, development.milestones(record),
                           await work_calendar(act.session))
    return act.t("⚠️ The rules allow this from {date} ({why}). As an administrator you may "
                 "record it earlier: type the reason (it is kept in the record and the audit "
                 "log).", date=first.isoformat() if first else "", why=act.t(WHY[stage]))


async def ask_document(act: Act, form: StepForm) -> Html:
    return act.t("The decision's reference, as on the document (for example 支发〔2026〕3号)? "
                 "Type it, or press “No reference”.")


async def no_document_button(act: Act, form: Any) -> list[list[Any]]:
    return [[views.NoDocument().button(act.t("No reference"))]]


async def no_document(act: Act, form: Any, press: views.NoDocument) -> Next:
    return Next({"document": NO_DOCUMENT})


def votes(form: StepForm) -> bool:
    return views.votes_needed(form.stage)


async def full_members(act: Act, form: StepForm) -> int:
    record = await access_development(act, form.person)
    members = await people.members_of(act.session, record.party_organization_id,
                                      (MembershipState.ACTIVE,))
    return sum(m.status is MemberStatus.FULL for m in members)


async def ask_entitled(act: Act, form: StepForm) -> Html:
    return act.t("The assembly's vote, as held. How many full members had the right to vote "
                 "(those entitled to attend)? The branch has {count} full members on record.",
                 count=await full_members(act, form))


async def entitled_button(act: Act, form: StepForm) -> list[list[Any]]:
    count = await full_members(act, form)
    return [[views.UseCount(count).button(str(count))]] if count else []


async def use_count(act: Act, form: StepForm, press: views.UseCount) -> Next:
    count = await full_members(act, form)
    return Next({"entitled": count} if press.count == count and count else {}, stay=not count)


async def read_entitled(act: Act, form: StepForm, text: str) -> int | Invalid:
    return parse_whole(text, minimum=1, maximum=10_000)


def figure(question: str, limit: Any) -> tuple[Any, Any]:
    async def ask(act: Act, form: StepForm) -> Html:
        return act.t(question, limit=limit(form))

    async def read(act: Act, form: StepForm, text: str) -> int | Invalid:
        return parse_whole(text, minimum=0, maximum=limit(form))

    return ask, read


ask_present, read_present = figure(
    N_("How many of them were present (at most {limit})?"), lambda f: f.entitled or 0)
ask_for, read_for = figure(
    N_("How many voted in favour (at most {limit})?"), lambda f: f.present or 0)
ask_against, read_against = figure(
    N_("How many voted against (at most {limit}; the others present abstained)?"),
    lambda f: (f.present or 0) - (f.in_favour or 0))


def figures(form: StepForm) -> Votes | None:
    if not votes(form) or form.entitled is None:
        return None
    present, yes, no = form.present or 0, form.in_favour or 0, form.against or 0
    return Votes(entitled=form.entitled, present=present, in_favour=yes, against=no,
                 abstaining=max(present - yes - no, 0))


async def step_summary(act: Act, form: StepForm) -> Html:
    _, stage = await target(act, form)
    t = act.t
    lines = [t("Record this for the person?"),
             t("Stage: {stage}, on {date}", stage=t(STAGE_LABELS[stage]),
               date=form.on.isoformat() if form.on else "")]
    if form.document and form.document != NO_DOCUMENT:
        lines.append(t("Reference: {document}", document=form.document))
    counted = figures(form)
    if counted is not None:
        lines.append(t("Vote: {present} of {entitled} present; {yes} in favour, {no} against, "
                       "{abstaining} abstaining", present=counted.present,
                       entitled=counted.entitled, yes=counted.in_favour, no=counted.against,
                       abstaining=counted.abstaining))
    if form.override:
        lines.append(t("Recorded before the rule's day, because: {reason}",
                       reason=form.override))
    return html_join("\n", lines)


async def save_step(act: Act, form: StepForm) -> Reply:
    record, stage = await target(act, form)
    refused = await development.take_step(
        act.session, record, stage, form.on or act.today(), by=act.actor.telegram_id,
        today=act.today(), now=act.now(), votes=figures(form), override=form.override or None,
        document=None if form.document in (None, NO_DOCUMENT) else form.document,
        cal=await work_calendar(act.session))
    if refused is not None:
        await act.session.rollback()
        reason = "stage_out_of_order" if isinstance(refused, TooEarly) else refused.reason
        return await card_reply(act, form.person, act.t(views.REFUSALS.get(
            reason, views.REFUSALS["stage_out_of_order"])))
    return await card_reply(act, form.person, act.t("✅ Recorded: {stage}.",
                                                    stage=act.t(STAGE_LABELS[stage])))


STEP = Flow(
    name="development_step",
    prefix="fdv",
    form=StepForm,
    entry=Entry(views.TakeStep, LEADERS, start_step),
    guard=guard,
    steps=(
        Day(key="on", ask=ask_day, prefer="past", check=not_future, accept=accept_day),
        Text(key="override", ask=ask_override, read=cleaned(MAX_REASON),
             when=lambda form: form.on is not None and form.override is None),
        Text(key="document", ask=ask_document, read=cleaned(MAX_DOCUMENT),
             buttons=no_document_button, presses=((views.NoDocument, no_document),)),
        Text(key="entitled", ask=ask_entitled, read=read_entitled, when=votes,
             buttons=entitled_button, presses=((views.UseCount, use_count),)),
        Text(key="present", ask=ask_present, read=read_present, when=votes),
        Text(key="in_favour", ask=ask_for, read=read_for, when=votes),
        Text(key="against", ask=ask_against, read=read_against, when=votes),
        Confirm(key="confirm", summary=step_summary, label=N_("✅ Record it"),
                finish=save_step),
    ),
)


# -- an event: the talk, a review, the notice, an approval ----------------------------------


async def start_event(act: Act, press: views.RecordEvent) -> EventForm | Reply:
    record = await access_development(act, press.person)
    if views.EVENT_OF[record.stage] is not press.event:
        return await card_reply(act, press.person)
    return EventForm(person=press.person, event=press.event)


async def start_review(act: Act, press: views.ContactReview) -> EventForm | Reply:
    """A contact (or a leader) records the activist's half-yearly review."""
    record, _ = await access_guided(act, press.person)
    if record.stage is not DevelopmentStage.ACTIVIST:
        return await card_reply(act, press.person)
    return EventForm(person=press.person, event=views.Event.REVIEW)


async def event_guard(act: Act, form: EventForm) -> tuple[DevelopmentRecord, bool]:
    """A review is the contacts' too; the other events are the leaders'. The flag says
    whether the actor leads the branch."""
    if form.event is views.Event.REVIEW:
        return await access_guided(act, form.person)
    return await access_development(act, form.person), True


async def ask_event_day(act: Act, form: EventForm) -> Html:
    return act.t("{what}: on which day? Type it like {day}, or press a day.",
                 what=act.t(views.EVENT_BUTTONS[form.event]), day=act.today().isoformat())


async def ask_note(act: Act, form: EventForm) -> Html:
    if form.event is views.Event.REVIEW:
        return act.t("The review in a few words (what the contacts found), or press “No note”.")
    return act.t("A reference or a note in a few words, or press “No note”.")


async def no_note_button(act: Act, form: Any) -> list[list[Any]]:
    return [[views.NoDocument().button(act.t("No note"))]]


async def no_note(act: Act, form: Any, press: views.NoDocument) -> Next:
    return Next({"note": NO_DOCUMENT})


async def save_event(act: Act, form: EventForm) -> Reply:
    record, leader = await event_guard(act, form)
    note = None if form.note in (None, NO_DOCUMENT) else form.note
    refused = await development.record_event(
        act.session, record, form.event.value, form.on or act.today(),
        by=act.actor.telegram_id, today=act.today(), now=act.now(), note=note)
    if refused is not None:
        await act.session.rollback()
        return await card_reply(act, form.person, act.t(views.REFUSALS.get(
            refused.reason, views.REFUSALS["stage_out_of_order"])))
    done = act.t("✅ Recorded: {what}.", what=act.t(views.EVENT_BUTTONS[form.event]))
    if record.closed_on is not None:  # the approval closed it: no access function sees it now
        return await closed_reply(act, record, done, leader=leader)
    return await card_reply(act, form.person, done)


async def event_summary(act: Act, form: EventForm) -> Html:
    lines = [act.t("Record this?"), act.t(views.EVENT_DONE[form.event],
                                          date=form.on.isoformat() if form.on else "")]
    if form.note and form.note != NO_DOCUMENT:
        lines.append(act.t("Note: {note}", note=form.note))
    return html_join("\n", lines)


EVENT = Flow(
    name="development_event",
    prefix="fdve",
    form=EventForm,
    entry=(Entry(views.RecordEvent, LEADERS, start_event),
           Entry(views.ContactReview, MEMBERS, start_review)),
    guard=event_guard,
    steps=(
        Day(key="on", ask=ask_event_day, prefer="past", check=not_future),
        Text(key="note", ask=ask_note, read=cleaned(MAX_REASON), buttons=no_note_button,
             presses=((views.NoDocument, no_note),)),
        Confirm(key="confirm", summary=event_summary, label=N_("✅ Record it"),
                finish=save_event),
    ),
)
