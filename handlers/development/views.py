"""Member development as the chat shows it: the button families, the forms, the texts and the
keyboards (pure: no database, no Telegram calls)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.kit.buttons import ButtonData, OrgId, PersonId
from handlers.kit.flows import INVALID_MESSAGES, Form
from handlers.kit.i18n import N_, Html, Translator, escape, html_join
from handlers.kit.ui import keyboard, paged_rows
from handlers.labels import STAGE_LABELS
from rules import development as rules
from rules.development import Due, Milestones
from rules.vocabulary import DevelopmentStage
from rules.workdays import WorkCalendar
from storage.development import milestones
from storage.models import DevelopmentRecord, Person

SOON = 7  # days: a due item this close is marked


class Event(enum.StrEnum):
    """What a leader records that is not a stage (storage.development.EVENTS)."""

    TALK = "talk"
    REVIEW = "review"
    NOTICE = "notice"
    ADMISSION_APPROVAL = "admission_approval"
    CONFIRMATION_APPROVAL = "confirmation_approval"


# The event each stage records (the button shown on the card while the person is there).
EVENT_OF = {
    DevelopmentStage.APPLICANT: Event.TALK, DevelopmentStage.ACTIVIST: Event.REVIEW,
    DevelopmentStage.CANDIDATE: Event.NOTICE,
    DevelopmentStage.PROBATIONARY: Event.ADMISSION_APPROVAL,
    DevelopmentStage.FULL: Event.CONFIRMATION_APPROVAL,
}
EVENT_BUTTONS = {
    Event.TALK: N_("🗣 Talk held"), Event.REVIEW: N_("📋 Half-yearly review held"),
    Event.NOTICE: N_("📢 Public notice put up"),
    Event.ADMISSION_APPROVAL: N_("📮 Admission approved above"),
    Event.CONFIRMATION_APPROVAL: N_("📮 Full membership approved above"),
}
EVENT_DONE = {
    Event.TALK: N_("Talk with the applicant: {date}"),
    Event.REVIEW: N_("Latest half-yearly review: {date}"),
    Event.NOTICE: N_("Public notice from {date}"),
    Event.ADMISSION_APPROVAL: N_("Admission approved above: {date}"),
    Event.CONFIRMATION_APPROVAL: N_("Full membership approved above: {date}"),
}
DUE_TEXTS = {
    "talk": N_("talk with the applicant by {date}"),
    "review": N_("half-yearly review by {date}"),
    "admission_approval": N_("upper level's approval of the admission by {date}"),
    "probation_vote": N_("assembly's vote on full membership from {date}"),
    "confirmation_approval": N_("upper level's approval of full membership by {date}"),
}
STAGE_BUTTONS = {
    DevelopmentStage.ACTIVIST: N_("➡️ Chosen as an activist"),
    DevelopmentStage.CANDIDATE: N_("➡️ Made a candidate for admission"),
    DevelopmentStage.PROBATIONARY: N_("➡️ Admitted by the assembly"),
    DevelopmentStage.FULL: N_("➡️ Full member by the assembly's vote"),
}
NO_BRANCH = N_("You run no branch with members.")


class DevBranches(ButtonData, prefix="dv:orgs"):
    page: int


class DevBranch(ButtonData, prefix="dv:org"):
    org: OrgId
    page: int = 0


class DevPerson(ButtonData, prefix="dv:p"):
    person: PersonId


class TakeStep(ButtonData, prefix="dv:step"):
    """A leader moves the person into the next stage (a flow)."""

    person: PersonId


class RecordEvent(ButtonData, prefix="dv:ev"):
    """A leader records the talk, a review, the notice or an approval (a flow)."""

    person: PersonId
    event: Event


class NoDocument(ButtonData, prefix="dv:none"):
    """No reference (or note) to give."""


class UseCount(ButtonData, prefix="dv:count"):
    """The branch's full members on record, as those entitled to vote."""

    count: int


class DevContacts(ButtonData, prefix="dv:ct"):
    """A leader picks the person's contacts (a flow)."""

    person: PersonId


class PickContact(ButtonData, prefix="dv:ctp"):
    """A full member of the branch picked (or unpicked) as a contact."""

    member: PersonId


class ContactsPage(ButtonData, prefix="dv:ctg"):
    page: int


class SaveContacts(ButtonData, prefix="dv:cts"):
    """The contacts picked are kept."""


class Guided(ButtonData, prefix="dv:g"):
    """A contact (or a leader) opens the card of a person they guide."""

    person: PersonId


class SendReport(ButtonData, prefix="dv:tr"):
    """The person hands in a thought report (a flow)."""


class ThoughtReports(ButtonData, prefix="dv:trs"):
    """The person's thought reports, for their contacts and the branch's leaders."""

    person: PersonId
    page: int = 0


class OpenReport(ButtonData, prefix="dv:tro"):
    """One thought report: its text, or its file sent."""

    report: int


class ContactReview(ButtonData, prefix="dv:rv"):
    """A contact records the half-yearly review (the event flow)."""

    person: PersonId


class ExtendProbation(ButtonData, prefix="dv:ext"):
    """A leader extends the probation (a flow)."""

    person: PersonId


class WithdrawStatus(ButtonData, prefix="dv:wd"):
    """A leader withdraws the probationary status (a flow)."""

    person: PersonId


class CorrectDay(ButtonData, prefix="dv:fix"):
    """A leader corrects the day a stage was reached (a flow)."""

    person: PersonId


class StepForm(Form):
    person: PersonId
    stage: DevelopmentStage | None = None  # the stage the flow moves into (fixed at its start)
    on: date | None = None
    document: str | None = None  # the decision's reference, or "" for none
    entitled: int | None = None  # the assembly's figures (admission, full membership)
    present: int | None = None
    in_favour: int | None = None
    against: int | None = None
    override: str | None = None  # an admin's reason for a step before the rule's day


class EventForm(Form):
    person: PersonId
    event: Event
    on: date | None = None
    note: str | None = None


def stage_name(t: Translator, stage: DevelopmentStage) -> str:
    return t(STAGE_LABELS[stage])


def due_text(t: Translator, due: Due, today: date) -> Html:
    text = t(DUE_TEXTS[due.what], date=due.by.isoformat())
    if due.by < today and due.what != "probation_vote":
        return html_join(" ", [t("⚠️ overdue:"), text])
    if (due.by - today).days <= SOON:
        return html_join(" ", [escape("⏰"), text])
    return text


def next_text(t: Translator, m: Milestones, cal: WorkCalendar) -> Html | None:
    """What comes next for the person, and from when the rules allow it (the notice's working
    days counted in `cal`, as the planner's reminder and the step's check count them)."""
    following = rules.next_stage(rules.current_stage(m))
    if following is None:
        return None
    first = rules.earliest(following, m, cal)
    if following is DevelopmentStage.ACTIVIST:
        return t("Next: chosen as an activist by the branch committee.")
    if following is DevelopmentStage.CANDIDATE and first is not None:
        return t("Next: candidate for admission, from {date} (a year as an activist).",
                 date=first.isoformat())
    if following is DevelopmentStage.PROBATIONARY:
        if first is None:
            return t("Next: a public notice of {days} working days, then the assembly's vote.",
                     days=rules.NOTICE_WORKING_DAYS)
        return t("Next: the assembly's vote on admission, from {date} (after the public "
                 "notice).", date=first.isoformat())
    if following is DevelopmentStage.FULL and first is not None:
        return t("Next: the assembly's vote on full membership, from {date} (the end of "
                 "probation).", date=first.isoformat())
    return None


def branch_text(t: Translator, org_name: str, rows: Sequence[tuple[DevelopmentRecord, Person]],
                today: date) -> Html:
    if not rows:
        return t("🌱 <b>Member development — {org}</b>\nNobody is on the way to membership. "
                 "Activists and probationary members appear here when they register.",
                 org=org_name)
    lines = [t("🌱 <b>Member development — {org}</b>", org=org_name)]
    by_stage: dict[DevelopmentStage, list[Html]] = {}
    for record, person in rows:
        owed = rules.dues_of(milestones(record))
        line = html_join(" — ", [escape(person.real_name or ""),
                                 *(due_text(t, due, today) for due in owed[:1])])
        by_stage.setdefault(record.stage, []).append(line)
    for stage, names in by_stage.items():
        lines.append(html_join("\n", [t("<b>{stage}</b> ({count})", stage=stage_name(t, stage),
                                        count=len(names)), *("· " + n for n in names)]))
    lines.append(t("Pick a person to record what the branch did."))
    return html_join("\n\n", lines)


def branch_markup(t: Translator, org: OrgId, rows: Sequence[tuple[DevelopmentRecord, Person]],
                  page: int, back: bool) -> InlineKeyboardMarkup | None:
    items = [DevPerson(PersonId(person.id)).button(
        f"{person.real_name or ''} · {stage_name(t, record.stage)}") for record, person in rows]
    markup: list[list[InlineKeyboardButton]] = paged_rows(
        t, items, page, lambda n: DevBranch(org, n))
    if back:
        markup.append([DevBranches(0).button(t("‹ Organizations"))])
    return keyboard(markup) if markup else None


def card_text(t: Translator, record: DevelopmentRecord, person: Person,
              contacts: Sequence[str], today: date, cal: WorkCalendar, *, own: bool = False
              ) -> Html:
    """A person's development: the stage, each day reached, who guides them, what is next and
    what the branch owes by when; a closed record (full membership approved) says so."""
    m = milestones(record)
    head = (t("🌱 <b>Your way to membership</b>: {stage}", stage=stage_name(t, record.stage))
            if own else t("🌱 <b>{name}</b>: {stage}", name=person.real_name or "",
                          stage=stage_name(t, record.stage)))
    days: list[Html] = [t("Application: {date}", date=record.applied_on.isoformat())]
    reached = (
        (record.talked_on, EVENT_DONE[Event.TALK]),
        (record.activist_on, N_("Activist from {date}")),
        (record.last_review_on, EVENT_DONE[Event.REVIEW]),
        (record.candidate_on, N_("Candidate for admission from {date}")),
        (record.notice_from, EVENT_DONE[Event.NOTICE]),
        (record.admitted_on, N_("Admitted (probation) on {date}")),
        (record.admission_approved_on, EVENT_DONE[Event.ADMISSION_APPROVAL]),
        (record.confirmed_on, N_("Full member on {date}")),
        (record.confirmation_approved_on, EVENT_DONE[Event.CONFIRMATION_APPROVAL]),
    )
    days += [t(text, date=day.isoformat()) for day, text in reached if day is not None]
    if record.extension_months:
        days.append(t("Probation extended by {months} months", months=record.extension_months))
    if contacts:
        days.append(t("Contacts (培养联系人): {names}", names=", ".join(contacts)))
    if record.closed_on is not None:
        return html_join("\n\n", [head, html_join("\n", days), t(
            "🎓 Member development complete: the record is closed and kept; nothing more is "
            "owed.")])
    parts: list[Html | None] = [head, html_join("\n", days), next_text(t, m, cal)]
    owed = rules.dues_of(m)
    if owed and not own:
        parts.append(html_join("\n", [t("The branch owes:"),
                                      *("· " + due_text(t, due, today) for due in owed)]))
    return html_join("\n\n", [p for p in parts if p])


# The stages a person has contacts and hands in thought reports at.
GUIDED_STAGES = (DevelopmentStage.ACTIVIST, DevelopmentStage.CANDIDATE,
                 DevelopmentStage.PROBATIONARY)
REPORTS_BUTTON = N_("📝 {count} thought reports")


def card_markup(t: Translator, record: DevelopmentRecord, person: PersonId,
                back: OrgId | None, *, leader: bool = True, reports: int = 0
                ) -> InlineKeyboardMarkup:
    """A leader's buttons: the next stage, the stage's event, the contacts, probation extended
    or withdrawn, a day corrected; a contact's: the review (an activist's) and the reports.
    A closed record has nothing left to record: back to the branch only."""
    rows: list[list[InlineKeyboardButton]] = []
    if record.closed_on is not None:
        return keyboard([[DevBranch(back).button(t("‹ The branch's development"))]]
                        if back is not None else [])
    following = rules.next_stage(record.stage)
    if leader and following is not None:
        rows.append([TakeStep(person).button(t(STAGE_BUTTONS[following]))])
    event = EVENT_OF[record.stage]
    if leader:
        rows.append([RecordEvent(person, event).button(t(EVENT_BUTTONS[event]))])
    elif event is Event.REVIEW:
        rows.append([ContactReview(person).button(t(EVENT_BUTTONS[event]))])
    if leader and record.stage in GUIDED_STAGES:
        rows.append([DevContacts(person).button(t("👥 Contacts"))])
    if reports:
        rows.append([ThoughtReports(person).button(t(REPORTS_BUTTON, count=reports))])
    if leader and record.stage is DevelopmentStage.PROBATIONARY:
        if not record.extension_months:
            rows.append([ExtendProbation(person).button(t("⏳ Extend the probation"))])
        rows.append([WithdrawStatus(person).button(t("✖️ Withdraw the probationary status"))])
    if leader:
        rows.append([CorrectDay(person).button(t("✏️ Correct a day"))])
    if back is not None:
        rows.append([DevBranch(back).button(t("‹ The branch's development"))])
    return keyboard(rows)


def own_markup(t: Translator, record: DevelopmentRecord | None,
               guided: Sequence[tuple[DevelopmentRecord, Person]]) -> InlineKeyboardMarkup | None:
    """The person's own: a thought report to hand in; the people they are a contact for."""
    rows: list[list[InlineKeyboardButton]] = []
    if record is not None and record.stage in GUIDED_STAGES:
        rows.append([SendReport().button(t("📝 Send a thought report"))])
    rows += [[Guided(PersonId(p.id)).button(f"{p.real_name or ''} · {stage_name(t, r.stage)}")]
             for r, p in guided]
    return keyboard(rows) if rows else None


def guided_text(t: Translator, guided: Sequence[tuple[DevelopmentRecord, Person]]) -> Html:
    return html_join("\n", [
        t("👥 <b>You are a contact (培养联系人) for:</b>"),
        *("· " + html_join(" — ", [escape(p.real_name or ""), escape(stage_name(t, r.stage))])
          for r, p in guided),
        t("Pick a person to see their thought reports or record a review.")])


def votes_needed(stage: DevelopmentStage | None) -> bool:
    return stage in (DevelopmentStage.PROBATIONARY, DevelopmentStage.FULL)


# Why storage refused (rules' Invalid reasons that the flows do not check themselves).
REFUSALS = {
    "stage_out_of_order": N_("That step does not follow the person's stage any more."),
    "notice_missing": N_("Record the public notice first: the vote follows it."),
    "vote_figures": N_("The figures do not add up: those voting cannot be more than those "
                       "present, nor those present more than those entitled."),
    "vote_not_quorate": N_("More than half of the full members with voting rights must be "
                           "present: the vote was not valid."),
    "vote_not_passed": N_("Those in favour must be more than half of the full members with "
                          "voting rights: the vote did not pass, so nothing changes."),
    "date_future": INVALID_MESSAGES["date_future"],
    "date_before_application": N_("That day is before the application."),
    "already_extended": N_("The probation was extended already: it can be extended only "
                           "once."),
    "number_range": N_("The probation is extended by 6 to 12 months."),
    "date_before_stage": N_("That day is before the stage reached before it."),
    "date_after_stage": N_("That day is after the stage reached after it."),
}
