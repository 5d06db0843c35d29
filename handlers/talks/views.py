"""One-to-one talks (谈心谈话) as the chat shows them: the button families, the form, the texts
and the keyboards (pure: no database, no Telegram calls)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.kit.buttons import ButtonData, OrgId, PersonId
from handlers.kit.flows import Form
from handlers.kit.i18n import BLANK, N_, Html, Translator, escape, html_join
from handlers.kit.ui import keyboard, page_row
from handlers.labels import LIST_SEPARATOR
from storage.talks import Candidate, TalkLine

NAMES_PER_PAGE = 40  # names not talked with yet, a page of the branch's message
LATEST = 5  # the latest talks shown on the branch's page (the ledger has them all)
REFUSALS = {
    "with_oneself": N_("A talk is with someone else: pick another member."),
    "not_a_member": N_("That person is no longer a party member of the branch."),
}


class TalksBranches(ButtonData, prefix="tk:brs"):
    """The branches a leader (or an admin) may open, a page of them."""

    page: int


class BranchTalks(ButtonData, prefix="tk:br"):
    """A branch's talks this year, and a page of those not talked with yet."""

    org: OrgId
    page: int


class StartTalk(ButtonData, prefix="tk:new"):
    """Record a talk held with a member of the branch (a flow)."""

    org: OrgId


class PickMember(ButtonData, prefix="tk:pm"):
    person: PersonId


class MemberPage(ButtonData, prefix="tk:pg"):
    page: int


class TalkForm(Form):
    org: OrgId
    page: int = 0
    person: PersonId | None = None
    held_on: date | None = None
    topic: str | None = None


def named(t: Translator, name: str, person_id: int) -> str:
    """A member's name, or a placeholder for someone appointed before they registered."""
    return name or t.as_plain("Member without a name (no. {id})", id=person_id)


def branch_text(t: Translator, org_name: str, year: int, count: int,
                behind: Sequence[Candidate], page: int, latest: Sequence[TalkLine]) -> Html:
    """The year's count, a page of the names not talked with yet, the latest talks."""
    lines = [t("💬 <b>One-to-one talks of {org}</b>, {year}", org=org_name, year=year),
             t.plural("{n} talk recorded this year.", "{n} talks recorded this year.", count)]
    if behind:
        shown = behind[page * NAMES_PER_PAGE:(page + 1) * NAMES_PER_PAGE]
        names = (escape(named(t, m.name, m.person_id)) for m in shown)
        lines += [BLANK, t("<b>Not talked with yet this year: {n}</b>", n=len(behind)),
                  html_join(t(LIST_SEPARATOR), names)]
    else:
        lines += [BLANK, t("Everyone has been talked with this year.")]
    if latest:
        lines += [BLANK, t("<b>Latest talks</b>")]
        lines += [talk_line(t, talk) for talk in latest]
    lines += [BLANK, t("The secretary talks with each committee member and each member at "
                       "least once a year. Members are not told of these records.")]
    return html_join("\n", lines)


def talk_line(t: Translator, talk: TalkLine) -> Html:
    return t("• {day}: {name}, by {by}: {topic}", day=talk.held_on.isoformat(),
             name=named(t, talk.name, talk.person_id),
             by=named(t, talk.by_name, talk.by_person_id), topic=talk.topic)


def pages_of(behind: Sequence[Candidate]) -> int:
    return max(1, -(-len(behind) // NAMES_PER_PAGE))


def branch_markup(t: Translator, org_id: int, page: int, pages: int, *, record: bool,
                  back: ButtonData | None) -> InlineKeyboardMarkup | None:
    rows: list[list[InlineKeyboardButton]] = [
        page_row(t, page, pages, lambda number: BranchTalks(OrgId(org_id), number))]
    if record:
        rows.append([StartTalk(OrgId(org_id)).button(t("📝 Record a talk"))])
    if back is not None:
        rows.append([back.button(t("‹ Back"))])
    rows = [row for row in rows if row]
    return keyboard(rows) if rows else None


def member_label(t: Translator, member: Candidate) -> str:
    """A member's button: those talked with this year carry how many times."""
    name = named(t, member.name, member.person_id)
    return t.as_plain("{name} · ✓ {n}", name=name, n=member.talks) if member.talks else name


def summary_text(t: Translator, name: str, by: str, form: TalkForm) -> Html:
    return html_join("\n", [
        t("Record this talk?"),
        t("With: {name}", name=name),
        t("By: {name}", name=by),
        t("On: {day}", day=form.held_on.isoformat() if form.held_on else ""),
        t("Topic: {topic}", topic=form.topic or ""),
    ])
