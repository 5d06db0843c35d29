"""Texts, keyboards and buttons of /duties and /renewal (pure: no Telegram calls, no database)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Literal

from telegram import InlineKeyboardButton

from handlers.kit.actions import Reply
from handlers.kit.buttons import ButtonData, DutyId, OrgId, PersonId
from handlers.kit.i18n import BLANK, N_, Html, Translator, html_format, html_join, plain_text
from handlers.kit.ui import fit, keyboard, paged, paged_rows, person_name
from handlers.labels import APPROXIMATE_NOTE, DUTY_AUDIENCE_LABELS, duty_title
from rules.duties import Audience
from storage import duties as store
from storage.models import Duty, Membership, PartyOrganization

Field = Literal["d", "m", "l"]  # a duty's day of the month, month, or reminder days
AUDIENCES: dict[str, tuple[Audience, ...]] = {
    "s": (Audience.SECRETARIES,),
    "m": (Audience.MEMBERS,),
    "sa": (Audience.ADMINS, Audience.SECRETARIES),
}
FIELD_NAMES = {"d": N_("day of the month"), "m": N_("month"), "l": N_("reminder days")}
ERROR_TEXTS = {
    "bad_leads": N_(
        "Reminder days are whole numbers from 0 to 180, at most 6 of them, for example 7, 1."
    ),
    "bad_fields": N_("That date does not fit this deadline. Please check it and type it again."),
    "date_future": N_("That date is in the future. Please type a past date."),
    "approved_before_elected": N_(
        "The approval cannot come before the election. Please type the approval date again."
    ),
    "elected_before_term": N_(
        "The election must come after the start of the current term ({start}). Please type "
        "the election day again."
    ),
    "same_person": N_("The deputy must be someone other than the secretary."),
    "not_member": N_("Choose active members of the organization."),
}
CONFIRM = N_("✅ Confirm")


# -- buttons ------------------------------------------------------------------------------


class PickOrg(ButtonData, prefix="du:pick"):
    """A page of the organizations whose deadlines a leader can see."""

    page: int


class ShowOrg(ButtonData, prefix="du:l"):
    org: OrgId


class MarkDone(ButtonData, prefix="du:o"):
    """Mark one occurrence of a duty done for an organization."""

    duty: DutyId
    org: OrgId
    occurrence: str


class ShowDocuments(ButtonData, prefix="du:docs"):
    """The documents an organization handed in for a duty, sent into the chat."""

    duty: DutyId
    org: OrgId


class NoDocument(ButtonData, prefix="du:nodoc"):
    """Done without a document."""


class SetDuesDay(ButtonData, prefix="du:dd"):
    """The branch's dues collection day."""

    org: OrgId


class ShowCalendar(ButtonData, prefix="du:cal"):
    """A page of the duty calendar (admins)."""

    page: int


class ShowDuty(ButtonData, prefix="du:d"):
    duty: DutyId


class EditDuty(ButtonData, prefix="du:e"):
    """Type a duty's new day, month or reminder days."""

    duty: DutyId
    field: Field


class AskSwitch(ButtonData, prefix="du:off"):
    """Switch a duty on or off: asks first."""

    duty: DutyId
    on: bool


class Switch(ButtonData, prefix="du:offy"):
    """Switch a duty on or off: confirmed."""

    duty: DutyId
    on: bool


class AddDuty(ButtonData, prefix="du:new"):
    """A custom deadline for an organization (0: every organization, admins)."""

    org: OrgId


class PickMonth(ButtonData, prefix="du:m"):
    """The month of a new yearly (1-12) or quarterly (1-3) deadline."""

    month: int


class DefaultLeads(ButtonData, prefix="du:ld"):
    """Remind 7 and 1 days before."""


class RenewalsPage(ButtonData, prefix="rn:pick"):
    """A page of the organizations whose term ends or has ended (admins)."""

    page: int


class StartRenewal(ButtonData, prefix="rn:o"):
    org: OrgId


class PickSecretary(ButtonData, prefix="rn:s"):
    person: PersonId


class SecretaryPage(ButtonData, prefix="rn:sp"):
    page: int


class PickDeputy(ButtonData, prefix="rn:d"):
    """The elected deputy (0: none)."""

    person: PersonId


class DeputyPage(ButtonData, prefix="rn:dp"):
    page: int


# -- a duty in words ------------------------------------------------------------------------


def when_text(t: Translator, duty: Duty) -> Html:
    """How often and on which day, in words."""
    if duty.recurrence == "once":
        return t("once, on {date}", date=duty.on_date.isoformat() if duty.on_date else "?")
    if duty.recurrence == "monthly":
        return t("monthly, on day {day}", day=duty.day)
    if duty.recurrence == "quarterly":
        return t("quarterly, day {day} of month {month} of each quarter", day=duty.day,
                 month=duty.month)
    return t("yearly, on {date} (month-day)", date=f"{duty.month or 0:02d}-{duty.day:02d}")


def audience_text(t: Translator, audience: Sequence[str]) -> Html:
    return html_join(t(", "), (t(DUTY_AUDIENCE_LABELS.get(a, a)) for a in audience))


def leads_text(leads: Sequence[int]) -> str:
    return ", ".join(str(d) for d in leads)


def duty_summary(t: Translator, duty: Duty, org_name: str | None = None) -> Html:
    lines = [
        html_format("{paused}<b>{title}</b>", paused="⏸ " if not duty.active else "",
                    title=duty_title(t, duty.code, duty.title)),
        t("When: {when}", when=when_text(t, duty)),
        t("Reminders: {leads} day(s) before, to {audience}",
          leads=leads_text(duty.lead_days) or "–", audience=audience_text(t, duty.audience)),
    ]
    if org_name:
        lines.append(t("For: {org} and below", org=org_name))
    if not duty.active:
        lines.append(t("Switched off: no reminders."))
    return html_join("\n", lines)


def day_words(t: Translator, day: int | None, default: int) -> str:
    """"day 15", "the last day" or "day 10 (default)"."""
    if day is None:
        return t("day {day} (default)", day=default)
    if day == store.DUES_LAST_DAY:
        return t("the last day of the month")
    return t("day {day}", day=day)


# -- a branch's deadlines -------------------------------------------------------------------


def line_text(t: Translator, line: store.DutyLine, today: date) -> Html:
    title = duty_title(t, line.code, line.title)
    due = ("≈" if line.approximate else "") + line.deadline.isoformat()
    if line.deadline != line.due_on:
        due = t("{deadline} (moved from {due}, a rest day)", deadline=due,
                due=line.due_on.isoformat())
    if line.done:
        state = t("✅ done") + (" 📎" if line.file_id else "")
    elif line.deadline == today:
        state = t("⚠️ due today")
    elif line.deadline > today:
        state = t.plural("⏳ {n} day left", "⏳ {n} days left", (line.deadline - today).days)
    else:
        state = t.plural("❗ {n} day overdue", "❗ {n} days overdue", (today - line.deadline).days)
    return t("· {title} ({occurrence}): due {due} — {state}", title=title,
             occurrence=line.occurrence, due=due, state=state)


def org_deadlines(
    t: Translator, org: PartyOrganization, lines: Sequence[store.DutyLine], today: date,
    dues: Duty | None, *, admin: bool, documents: Sequence[store.DutyDocument] = (),
) -> Reply:
    """An organization's deadlines: overdue, done and the next of each duty, by date; a button
    for each duty's documents handed in, where there are any."""
    text = [t("📋 <b>Deadlines · {org}</b> (today {today})", org=org.name,
              today=today.isoformat())]
    if not lines:
        text.append(t("No reporting deadlines apply."))
    text += [line_text(t, line, today) for line in lines]
    if any(line.approximate for line in lines):
        text += [BLANK, t(APPROXIMATE_NOTE)]
    if dues is not None:
        text += [BLANK, t("💰 Dues collection day: {day}",
                          day=day_words(t, org.dues_day, dues.day))]
    org_id = OrgId(org.id)
    rows = [
        [MarkDone(DutyId(line.duty_id), org_id, line.occurrence).button(t.as_plain(
            "✅ Mark done: {title} ({occurrence})",
            title=plain_text(duty_title(t, line.code, line.title))[:30],
            occurrence=line.occurrence))]
        for line in lines if not line.done
    ]
    handed_in = Counter(document.duty_id for document in documents)
    titles = {line.duty_id: duty_title(t, line.code, line.title) for line in lines}
    rows += [[ShowDocuments(DutyId(duty_id), org_id).button(t.as_plain_plural(
        "📎 {n} document: {title}", "📎 {n} documents: {title}", count,
        title=plain_text(titles[duty_id])[:30]))]
        for duty_id, count in handed_in.items() if duty_id in titles]
    if dues is not None:
        rows.append([SetDuesDay(org_id).button(t("💰 Dues collection day"))])
    rows.append([AddDuty(org_id).button(t("➕ Add a deadline"))])
    if admin:
        rows.append([ShowCalendar(0).button(t("‹ Duty calendar"))])
    return Reply(html_join("\n", text), keyboard(rows))


# -- the calendar (admins) ------------------------------------------------------------------


def document_caption(t: Translator, duty: Duty, occurrence: str, org: str) -> Html:
    """What a document sent back is: the duty, its occurrence and the organization."""
    return t("{title} ({occurrence}) · {org}", title=duty_title(t, duty.code, duty.title),
             occurrence=occurrence, org=org)


def duty_calendar(t: Translator, duties: Sequence[Duty], names: dict[int, str], page: int
                  ) -> Reply:
    """Every duty with its dates and reminders; one button each."""
    text = [t("📅 <b>Duty calendar</b>: deadlines on a rest day move to the next working day.")]
    for duty in duties:
        text += [BLANK, duty_summary(t, duty, names.get(duty.party_organization_id or 0))]
    items = [ShowDuty(DutyId(d.id)).button(
        ("⏸ " if not d.active else "") + plain_text(duty_title(t, d.code, d.title))[:40])
        for d in duties]
    extra = [[AddDuty(OrgId(0)).button(t("➕ Add a deadline for everyone"))],
             [PickOrg(0).button(t("🏢 A branch's deadlines"))]]
    return Reply(fit(text), paged(t, items, page, ShowCalendar, extra))


def duty_card(t: Translator, duty: Duty, org_name: str | None, note: Html = BLANK) -> Reply:
    """One duty: edit its day, month and reminder days, switch it off or on."""
    duty_id = DutyId(duty.id)
    rows = ([[EditDuty(duty_id, "d").button(t("✏️ Day"))]] if duty.recurrence != "once"
            else [])
    if duty.recurrence in ("yearly", "quarterly"):
        rows.append([EditDuty(duty_id, "m").button(t("✏️ Month"))])
    rows.append([EditDuty(duty_id, "l").button(t("✏️ Reminder days"))])
    rows.append([AskSwitch(duty_id, False).button(t("⏸ Switch off")) if duty.active
                 else AskSwitch(duty_id, True).button(t("▶ Switch on"))])
    rows.append([ShowCalendar(0).button(t("‹ Duty calendar"))])
    text = [note, BLANK] if note else []
    return Reply(html_join("\n", [*text, duty_summary(t, duty, org_name)]), keyboard(rows))


def switch_question(t: Translator, duty: Duty, on: bool) -> Reply:
    title = duty_title(t, duty.code, duty.title)
    text = (t("Switch {title} on again? Its reminders resume.", title=title) if on else
            t("Switch {title} off? Nobody is reminded of it until it is switched on again.",
              title=title))
    duty_id = DutyId(duty.id)
    return Reply(text, keyboard([[Switch(duty_id, on).button(t(CONFIRM))],
                                 [ShowDuty(duty_id).button(t("‹ Back"))]]))


def edit_question(t: Translator, duty: Duty, field: Field) -> Html:
    if field == "d":
        return t("Which day of the month? Type 1 to 31 (31: the last day). Now {value}.",
                 value=duty.day)
    if field == "m":
        return t("Which month? Type 1 to 12 (quarterly: 1 to 3, the month within the quarter). "
                 "Now {value}.", value=duty.month)
    return t("How many days before the deadline should reminders come? Type numbers like "
             "30, 7, 1 (0: on the day). Now {value}.", value=leads_text(duty.lead_days))


def month_buttons(top: int) -> list[list[InlineKeyboardButton]]:
    """1 to 12 (or 3), six a row."""
    numbers = [PickMonth(m).button(str(m)) for m in range(1, top + 1)]
    return [numbers[i:i + 6] for i in range(0, len(numbers), 6)]


def new_duty_summary(t: Translator, title: str, org_name: str | None, when: Html,
                     leads: Sequence[int], audience: Sequence[str]) -> Html:
    return html_join("\n", [
        t("<b>Please check the new deadline:</b>"),
        t("Title: {title}", title=title),
        t("For: {org}", org=org_name or t("every organization")),
        t("When: {when}", when=when),
        t("Reminders: {leads} day(s) before, to {audience}", leads=leads_text(leads),
          audience=audience_text(t, audience)),
    ])


# -- renewals ---------------------------------------------------------------------------------


def renewals(t: Translator, lines: Sequence[store.TermLine], today: date, page: int) -> Reply:
    """Organizations whose committee term ends within 6 months or has ended."""
    if not lines:
        return Reply(t("No committee term ends within six months or is overdue."))
    items = [StartRenewal(OrgId(line.org_id)).button(
        t.as_plain("{org} · term ends {date}", org=line.name, date=line.ends_on.isoformat())
        + (" ❗" if line.ends_on < today else "")) for line in lines]
    return Reply(t("🗳 <b>Renewals</b>: whose renewal election do you record?"),
                 paged(t, items, page, RenewalsPage))


def people(t: Translator, members: Sequence[Membership], page: int, *, deputy: bool
           ) -> list[list[InlineKeyboardButton]]:
    """The members as buttons, a page at a time: the secretary, or the deputy (or none)."""
    pick, turn = (PickDeputy, DeputyPage) if deputy else (PickSecretary, SecretaryPage)
    items = [pick(PersonId(m.person_id)).button(person_name(t, m.person)) for m in members]
    extra = [[PickDeputy(PersonId(0)).button(t("No deputy"))]] if deputy else []
    return paged_rows(t, items, page, turn, extra)


def renewal_summary(t: Translator, org: str, elected: date, approved: date, secretary: str,
                    deputy: str | None) -> Html:
    return html_join("\n", [
        t("<b>Please check the renewal of {org}:</b>", org=org),
        t("Elected on: {date}", date=elected.isoformat()),
        t("Secretary: {name}", name=secretary),
        t("Deputy secretary: {name}", name=deputy or t("none")),
        t("Approved on: {date}", date=approved.isoformat()),
        t("The new term starts on {date}; renewal reminders stop.", date=elected.isoformat()),
    ])
