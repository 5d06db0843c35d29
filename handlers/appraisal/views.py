"""The democratic appraisal (民主评议党员) as the chat shows it: the button families, the forms,
the texts and the keyboards (pure: no database, no Telegram calls).

A member sees their own self-assessment, the grades they gave and their own result; never
another member's grades, the counts or any ranking. The committee's board lists members by
name with the counts of peer grades they got (never who gave them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.kit.buttons import ButtonData, OrgId, PersonId
from handlers.kit.flows import Form
from handlers.kit.i18n import BLANK, N_, Html, Translator, escape, html_join
from handlers.kit.ui import keyboard, page_of, page_row
from handlers.labels import GRADE_LABELS, LIST_SEPARATOR
from rules.vocabulary import AppraisalGrade
from storage.appraisal import Appraisee, BoardLine

PER_PAGE = 20  # members on a page of the board (its text and its buttons)
REFUSALS = {
    "already_open": N_("This year's appraisal is already open."),
    "closed": N_("The appraisal is closed: nothing can be changed any more."),
    "not_a_member": N_("That person is no longer a full or probationary member of the branch."),
    "oneself": N_("You grade other members, not yourself."),
    "results_missing": N_("Record every member's result before the assembly's confirmation."),
}
NOT_OPEN = N_("The branch has not opened this year's democratic appraisal.")


class AppraisalBranches(ButtonData, prefix="ap:brs"):
    """The branches a leader (or an admin) may open, a page of them."""

    page: int


class BranchAppraisal(ButtonData, prefix="ap:br"):
    """A branch's appraisal board, a page of its members."""

    org: OrgId
    page: int


class OpenAppraisal(ButtonData, prefix="ap:op"):
    """Asks before opening this year's appraisal."""

    org: OrgId


class OpenConfirmed(ButtonData, prefix="ap:opy"):
    org: OrgId


class CloseAppraisal(ButtonData, prefix="ap:cl"):
    """Asks before closing, offering the year's 民主评议 meetings to link."""

    org: OrgId


class CloseConfirmed(ButtonData, prefix="ap:cly"):
    org: OrgId
    meeting: int | None  # checked against the branch's 民主评议 meetings of the year


class RecordResult(ButtonData, prefix="ap:rs"):
    """Record the branch's result for a member (a flow)."""

    org: OrgId
    person: PersonId


class SkipNote(ButtonData, prefix="ap:rsn"):
    pass


class ConfirmAssembly(ButtonData, prefix="ap:ca"):
    """Record the day the assembly confirmed the results (a flow)."""

    org: OrgId


class MyAppraisal(ButtonData, prefix="ap:me"):
    """A member's own part of this year's appraisal."""


class WriteSelf(ButtonData, prefix="ap:sw"):
    """Write (or replace) one's self-assessment (a flow)."""


class PeerList(ButtonData, prefix="ap:pl"):
    """The other members one may grade, a page of them."""

    page: int


class PeerPick(ButtonData, prefix="ap:pp"):
    """One member to grade: the four grades, withdraw, skip to the next."""

    person: PersonId


class PeerGrade(ButtonData, prefix="ap:pv"):
    person: PersonId
    grade: AppraisalGrade


class PeerWithdraw(ButtonData, prefix="ap:pw"):
    person: PersonId


class ResultForm(Form):
    org: OrgId
    person: PersonId
    grade: str | None = None
    note: str | None = None


class AssemblyForm(Form):
    org: OrgId
    day: date | None = None


class SelfForm(Form):
    text: str | None = None


def named(t: Translator, name: str, person_id: int) -> str:
    return name or t.as_plain("Member without a name (no. {id})", id=person_id)


def grade_label(t: Translator, grade: AppraisalGrade) -> str:
    return t.as_plain(GRADE_LABELS[grade])


def counts_text(t: Translator, line: BoardLine) -> str:
    """The peer grades a member got, grade by grade in the grades' order."""
    given = [t.as_plain("{grade} {n}", grade=grade_label(t, grade), n=n)
             for grade, n in line.counts.items() if n]
    return t.as_plain(LIST_SEPARATOR).join(given) if given else t.as_plain("no peer grades")


def board_text(t: Translator, org_name: str, year: int, *, state: str,
               lines: Sequence[BoardLine], page: int, confirmed_on: date | None,
               closed_on: date | None, meeting_on: date | None) -> Html:
    """The committee's board: progress, then a page of members by name."""
    head = t("🗳 <b>Democratic appraisal of {org}</b>, {year}", org=org_name, year=year)
    if state == "none":
        return html_join("\n", [head, t("This year's appraisal is not open.")])
    total = len(lines)
    parts = [head,
             t("Open: members write their self-assessment and may grade each other.")
             if state == "open" else t("Closed on {day}.", day=closed_on.isoformat()
                                       if closed_on else ""),
             t("Self-assessments: {n} of {total}", n=sum(1 for x in lines if x.self_submitted),
               total=total),
             t("Results recorded: {n} of {total}", n=sum(1 for x in lines if x.result),
               total=total),
             t("Confirmed by the assembly on {day}", day=confirmed_on.isoformat())
             if confirmed_on else t("Not confirmed by the assembly yet.")]
    if meeting_on is not None:
        parts.append(t("Held as the 民主评议 meeting of {day}.", day=meeting_on.isoformat()))
    _, _, shown = page_of(lines, page, PER_PAGE)
    parts.append(BLANK)
    for line in shown:
        parts.append(t("• {name}: {self} · peers: {counts} · result: {result}",
                       name=named(t, line.name, line.person_id),
                       self=t.as_plain("✍ self-assessment in") if line.self_submitted
                       else t.as_plain("no self-assessment"),
                       counts=counts_text(t, line),
                       result=grade_label(t, line.result) if line.result
                       else t.as_plain("not recorded")))
        if line.note:
            parts.append(t("  Note: {note}", note=line.note))
    parts += [BLANK, t("Members are listed by name; peer grades are anonymous and members see "
                       "only their own result.")]
    return html_join("\n", parts)


def board_markup(t: Translator, org_id: int, state: str, lines: Sequence[BoardLine],
                 page: int, *, run: bool, mine: bool,
                 back: ButtonData | None) -> InlineKeyboardMarkup | None:
    org = OrgId(org_id)
    page, pages, shown = page_of(lines, page, PER_PAGE)
    rows: list[list[InlineKeyboardButton]] = []
    if run and state == "none":
        rows.append([OpenAppraisal(org).button(t("▶ Open this year's appraisal"))])
    if run and state == "open":
        rows += [[RecordResult(org, PersonId(line.person_id)).button(
            t.as_plain("📝 {name} · {result}", name=named(t, line.name, line.person_id),
                       result=grade_label(t, line.result) if line.result else "—"))]
            for line in shown]
    rows.append(page_row(t, page, pages, lambda number: BranchAppraisal(org, number)))
    if run and state == "open":
        rows.append([ConfirmAssembly(org).button(t("🏛 Record the assembly's confirmation"))])
        rows.append([CloseAppraisal(org).button(t("🔒 Close the appraisal"))])
    if mine and state != "none":
        rows.append([MyAppraisal().button(t("👤 My own appraisal"))])
    if back is not None:
        rows.append([back.button(t("‹ Back"))])
    rows = [row for row in rows if row]
    return keyboard(rows) if rows else None


def open_question(t: Translator, org_id: int, org_name: str, year: int,
                  members: int) -> tuple[Html, InlineKeyboardMarkup]:
    text = html_join("\n", [
        t("Open the democratic appraisal of {year} for {org}?", year=year, org=org_name),
        t.plural("Its {n} full or probationary member is told and may write a self-assessment.",
                 "Its {n} full and probationary members are told and may write a "
                 "self-assessment and grade each other.", members)])
    return text, keyboard([[OpenConfirmed(OrgId(org_id)).button(t("✅ Open it"))],
                           [BranchAppraisal(OrgId(org_id), 0).button(t("‹ Back"))]])


def opened_note(t: Translator, org_name: str, year: int) -> tuple[Html, InlineKeyboardMarkup]:
    """What each member is told (in their language) when the appraisal opens."""
    text = t("🗳 {org} has opened its democratic appraisal of members for {year}. Please write "
             "a short self-assessment; you may also grade other members of the branch "
             "(optional and anonymous).", org=org_name, year=year)
    return text, keyboard([[MyAppraisal().button(t("🗳 Open my appraisal"))]])


def close_question(t: Translator, org_id: int, year: int, missing: int,
                   meetings: Sequence[tuple[int, date, str]]
                   ) -> tuple[Html, InlineKeyboardMarkup]:
    org = OrgId(org_id)
    parts = [t("Close the appraisal of {year}? Nothing can be changed afterwards.", year=year)]
    if missing:
        parts.append(t.plural("{n} member has no result yet.",
                              "{n} members have no result yet.", missing))
    if meetings:
        parts.append(t("Was it held as the year's 民主评议 meeting? Pick the meeting to link it."))
    rows = [[CloseConfirmed(org, mid).button(
        t.as_plain("🔒 Close: the meeting of {day} ({topic})", day=day.isoformat(), topic=topic))]
        for mid, day, topic in meetings]
    rows += [[CloseConfirmed(org, None).button(t("🔒 Close without linking a meeting")
                                               if meetings else t("🔒 Close it"))],
             [BranchAppraisal(org, 0).button(t("‹ Back"))]]
    return html_join("\n", parts), keyboard(rows)


def member_text(t: Translator, year: int | None, *, state: str, own_text: str | None,
                graded: int, others: int, result: tuple[AppraisalGrade, str | None] | None,
                closed_on: date | None) -> Html:
    """A member's own part: never others' grades, the counts or a ranking."""
    if state == "none" or year is None:
        return t(NOT_OPEN)
    parts = [t("🗳 <b>Democratic appraisal of members</b>, {year}", year=year),
             t("The appraisal is open.") if state == "open"
             else t("The appraisal was closed on {day}.",
                    day=closed_on.isoformat() if closed_on else "")]
    if own_text:
        parts += [BLANK, t("<b>Your self-assessment</b>"), escape(own_text)]
    else:
        parts += [BLANK, t("You have not written your self-assessment.")]
    parts += [BLANK, t("You graded {n} of {total} other members (optional; nobody sees who gave "
                       "a grade).", n=graded, total=others)]
    if result is not None:
        grade, note = result
        parts += [BLANK, t("<b>Your result: {grade}</b>", grade=grade_label(t, grade))]
        if note:
            parts.append(t("Note: {note}", note=note))
    return html_join("\n", parts)


def member_markup(t: Translator, *, state: str, written: bool,
                  others: int) -> InlineKeyboardMarkup | None:
    if state != "open":
        return None
    rows = [[WriteSelf().button(t("✍ Replace my self-assessment") if written
                                else t("✍ Write my self-assessment"))]]
    if others:
        rows.append([PeerList(0).button(t("🗳 Grade other members"))])
    return keyboard(rows)


def peers_text(t: Translator) -> Html:
    return t("Grade other members of your branch: pick one. Grading is optional; you may change "
             "or withdraw a grade until the appraisal closes. Nobody sees who gave a grade.")


def peer_label(t: Translator, member: Appraisee, given: AppraisalGrade | None) -> str:
    name = named(t, member.name, member.person_id)
    return t.as_plain("{name} · {grade}", name=name, grade=grade_label(t, given)) if given \
        else name


def peers_markup(t: Translator, members: Sequence[Appraisee],
                 given: dict[int, AppraisalGrade], page: int) -> InlineKeyboardMarkup:
    page, pages, shown = page_of(members, page, PER_PAGE)
    rows = [[PeerPick(PersonId(m.person_id)).button(peer_label(t, m, given.get(m.person_id)))]
            for m in shown]
    rows.append(page_row(t, page, pages, PeerList))
    rows.append([MyAppraisal().button(t("‹ Back"))])
    return keyboard([row for row in rows if row])


def pick_text(t: Translator, member: Appraisee, given: AppraisalGrade | None) -> Html:
    parts = [t("How do you grade {name}?", name=named(t, member.name, member.person_id))]
    if given is not None:
        parts.append(t("Your grade now: {grade}", grade=grade_label(t, given)))
    return html_join("\n", parts)


def pick_markup(t: Translator, member: Appraisee, given: AppraisalGrade | None,
                following: Appraisee | None) -> InlineKeyboardMarkup:
    person = PersonId(member.person_id)
    rows = [[PeerGrade(person, grade).button(grade_label(t, grade))] for grade in GRADE_LABELS]
    if given is not None:
        rows.append([PeerWithdraw(person).button(t("↩ Withdraw my grade"))])
    if following is not None:
        rows.append([PeerPick(PersonId(following.person_id)).button(t("Skip ›"))])
    rows.append([PeerList(0).button(t("‹ All members"))])
    return keyboard(rows)
