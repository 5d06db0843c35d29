"""The appraisal's conversations: the secretary (deputy, a leader above) records a member's
result (one of the four grades and an optional note) and the day the assembly confirmed the
results; a member writes or replaces their self-assessment."""

from __future__ import annotations

from handlers.access.appraisal import (
    access_appraisal_running,
    access_appraised,
    access_own_part,
)
from handlers.appraisal import board, member, views
from handlers.appraisal.views import AssemblyForm, ResultForm, SelfForm
from handlers.kit.actions import LEADERS, MEMBERS, Act, Audience, Reply
from handlers.kit.chat import STALE_BUTTON, Refused
from handlers.kit.flows import (
    Choose,
    Confirm,
    Day,
    Entry,
    Flow,
    Next,
    Option,
    Rows,
    Text,
    past_day,
)
from handlers.kit.i18n import N_, Html, escape, html_join
from rules import appraisal as rules
from rules.validation import Invalid
from rules.vocabulary import AppraisalGrade
from storage import appraisal
from storage.appraisal import AppraisalError
from storage.models import Appraisal

# Who may use /appraisal at all: members (their own part) and admins; each branch is checked
# by handlers/access/appraisal.py.
APPRAISAL_USERS = Audience("members and admins", rules.opens_appraisal)


async def open_appraisal(act: Act, org_id: int) -> Appraisal:
    """The branch's open appraisal of this year (or last year's still open), else refused."""
    current = await appraisal.current(act.session, org_id, act.today().year)
    if current is None or current.closed_at is not None:
        raise Refused(views.REFUSALS["closed"])
    return current


# The branch's result for a member.

async def start_result(act: Act, press: views.RecordResult) -> ResultForm:
    await access_appraised(act, press.org, press.person)
    await open_appraisal(act, press.org)
    return ResultForm(org=press.org, person=press.person)


async def guard_result(act: Act, form: ResultForm) -> None:
    await access_appraised(act, form.org, form.person)


async def ask_grade(act: Act, form: ResultForm) -> Html:
    person = await access_appraised(act, form.org, form.person)
    return act.t("The branch's result for {name}?",
                 name=views.named(act.t, person.name, person.person_id))


async def grade_options(act: Act, form: ResultForm) -> list[Option]:
    return [Option(grade.value, views.grade_label(act.t, grade)) for grade in rules.GRADES]


async def ask_note(act: Act, form: ResultForm) -> Html:
    return act.t("A note on it, in a few words (at most {limit} characters), or press Skip.",
                 limit=rules.MAX_NOTE)


async def read_note(act: Act, form: ResultForm, text: str) -> str | Invalid:
    return rules.check_note(text)


async def skip_buttons(act: Act, form: ResultForm) -> Rows:
    return [[views.SkipNote().button(act.t("Skip ›"))]]


async def skip_note(act: Act, form: ResultForm, press: views.SkipNote) -> Next:
    return Next({"note": ""})


async def result_summary(act: Act, form: ResultForm) -> Html:
    person = await access_appraised(act, form.org, form.person)
    parts = [act.t("Record this result?"),
             act.t("Member: {name}", name=views.named(act.t, person.name, person.person_id)),
             act.t("Result: {grade}", grade=views.grade_label(act.t,
                                                             AppraisalGrade(form.grade or "")))]
    if form.note:
        parts.append(act.t("Note: {note}", note=form.note))
    return html_join("\n", parts)


async def save_result(act: Act, form: ResultForm) -> Reply:
    person = await access_appraised(act, form.org, form.person)
    if form.grade is None:
        raise Refused(STALE_BUTTON)
    try:
        await appraisal.record_result(
            act.session, await open_appraisal(act, form.org), person_id=person.person_id,
            grade=AppraisalGrade(form.grade), note=form.note or None,
            by=act.actor.telegram_id, now=act.now())
    except AppraisalError as refused:
        await act.session.rollback()
        return await board.board_reply(act, form.org, act.t(views.REFUSALS[refused.code]),
                                       back=False)
    head = act.t("✅ Result for {name}: {grade}.",
                 name=views.named(act.t, person.name, person.person_id),
                 grade=views.grade_label(act.t, AppraisalGrade(form.grade)))
    return await board.board_reply(act, form.org, head, back=False)


RESULT = Flow(
    name="appraisal_result",
    prefix="apr",
    form=ResultForm,
    entry=Entry(views.RecordResult, LEADERS, start_result),
    guard=guard_result,
    steps=(
        Choose(key="grade", ask=ask_grade, options=grade_options),
        Text(key="note", ask=ask_note, read=read_note, buttons=skip_buttons,
             presses=((views.SkipNote, skip_note),)),
        Confirm(key="confirm", summary=result_summary, label=N_("✅ Record it"),
                finish=save_result),
    ),
)


# The assembly's confirmation.

async def start_assembly(act: Act, press: views.ConfirmAssembly) -> AssemblyForm:
    await access_appraisal_running(act, press.org)
    await open_appraisal(act, press.org)
    return AssemblyForm(org=press.org)


async def guard_assembly(act: Act, form: AssemblyForm) -> None:
    await access_appraisal_running(act, form.org)


async def ask_day(act: Act, form: AssemblyForm) -> Html:
    return act.t("On which day did the party members' assembly confirm the results? Type it "
                 "like {day}, or press a day.", day=act.today().isoformat())


async def assembly_summary(act: Act, form: AssemblyForm) -> Html:
    return act.t("Record that the assembly confirmed the results on {day}?",
                 day=form.day.isoformat() if form.day else "")


async def save_assembly(act: Act, form: AssemblyForm) -> Reply:
    await access_appraisal_running(act, form.org)
    if form.day is None:
        raise Refused(STALE_BUTTON)
    try:
        await appraisal.confirm(act.session, await open_appraisal(act, form.org), on=form.day,
                                by=act.actor.telegram_id)
    except AppraisalError as refused:
        await act.session.rollback()
        return await board.board_reply(act, form.org, act.t(views.REFUSALS[refused.code]),
                                       back=False)
    return await board.board_reply(
        act, form.org, act.t("✅ Confirmed by the assembly on {day}.",
                             day=form.day.isoformat()), back=False)


ASSEMBLY = Flow(
    name="appraisal_assembly",
    prefix="apa",
    form=AssemblyForm,
    entry=Entry(views.ConfirmAssembly, LEADERS, start_assembly),
    guard=guard_assembly,
    steps=(
        Day(key="day", ask=ask_day, prefer="past", check=past_day),
        Confirm(key="confirm", summary=assembly_summary, label=N_("✅ Record it"),
                finish=save_assembly),
    ),
)


# A member's self-assessment.

async def start_self(act: Act, press: views.WriteSelf) -> SelfForm:
    _, current = await access_own_part(act)
    if current is None:
        raise Refused(views.NOT_OPEN)
    if current.closed_at is not None:
        raise Refused(views.REFUSALS["closed"])
    return SelfForm()


async def guard_self(act: Act, form: SelfForm) -> None:
    await access_own_part(act)


async def ask_text(act: Act, form: SelfForm) -> Html:
    return act.t("Write your self-assessment for this year: your study, work and conduct as a "
                 "party member, in a few lines (at most {limit} characters). It replaces any "
                 "earlier one.", limit=rules.MAX_SELF)


async def read_text(act: Act, form: SelfForm, text: str) -> str | Invalid:
    return rules.check_assessment(text)


async def self_summary(act: Act, form: SelfForm) -> Html:
    return html_join("\n", [act.t("Submit this self-assessment?"), escape(form.text or "")])


async def save_self(act: Act, form: SelfForm) -> Reply:
    me, current = await access_own_part(act)
    if form.text is None or current is None:
        raise Refused(STALE_BUTTON)
    try:
        await appraisal.submit_self(act.session, current, person_id=me.person_id,
                                    text=form.text, by=act.actor.telegram_id, now=act.now())
    except AppraisalError as refused:
        await act.session.rollback()
        return await member.own_reply(act, act.t(views.REFUSALS[refused.code]))
    return await member.own_reply(act, act.t("✅ Your self-assessment is submitted."))


SELF = Flow(
    name="appraisal_self",
    prefix="aps",
    form=SelfForm,
    entry=Entry(views.WriteSelf, MEMBERS, start_self),
    guard=guard_self,
    steps=(
        Text(key="text", ask=ask_text, read=read_text),
        Confirm(key="confirm", summary=self_summary, label=N_("📨 Submit it"),
                finish=save_self),
    ),
)
