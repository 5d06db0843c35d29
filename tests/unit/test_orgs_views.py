"""The texts and buttons of the organization tree, without a database or Telegram."""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardMarkup

from handlers.kit.actions import Reply
from handlers.kit.i18n import translator
from handlers.kit.ui import page_row
from handlers.orgs.views import ShowTree, card, parent_step, term_length_menu, tree
from rules.vocabulary import PartyOrgKind
from storage.models import PartyOrganization
from storage.orgs import TreeRow

t = translator("en")
TODAY = date(2026, 12, 5)
COMMITTEE = PartyOrganization(id=1, name="Committee", kind=PartyOrgKind.COMMITTEE,
                              parent_id=None, term_started_on=date(2024, 3, 1), term_years=None)
BRANCH = PartyOrganization(id=2, name="Harbour Branch", kind=PartyOrgKind.BRANCH, parent_id=1,
                           term_started_on=date(2022, 3, 1), term_years=None)


def data(reply: Reply) -> list[str]:
    assert isinstance(reply.markup, InlineKeyboardMarkup)
    return [str(b.callback_data) for row in reply.markup.inline_keyboard for b in row]


def labels(reply: Reply) -> list[str]:
    assert isinstance(reply.markup, InlineKeyboardMarkup)
    return [b.text for row in reply.markup.inline_keyboard for b in row]


def test_the_tree_shows_terms_and_pages_its_organizations() -> None:
    rows = [TreeRow(COMMITTEE, 0, 3), TreeRow(BRANCH, 1, 2)] + [
        TreeRow(PartyOrganization(id=10 + i, name=f"Zone {i}", kind=PartyOrgKind.JOINT_BRANCH,
                                  parent_id=1, term_started_on=None, term_years=None), 1, 0)
        for i in range(8)]
    reply = tree(t, rows, covered=1, socials=2, page=0, today=TODAY)
    assert "<b>Committee</b> — Party committee · 3 members · term ends 2029-03-01" in reply.text
    assert "term ended 2025-03-01 (overdue)" in reply.text  # a branch's 3 years
    assert "Social organizations covered: 1 of 2" in reply.text
    assert labels(reply)[:2] == ["Committee", "└ Harbour Branch"]
    assert data(reply)[8:] == ["org:tree:0", "org:tree:1", "org:new:p", "org:new:s", "org:soc:0"]


def test_a_branch_card_links_invites_members_and_groups() -> None:
    reply = card(t, BRANCH, COMMITTEE, [], [], [], TODAY, note=t("✅ Created."))
    assert reply.text.startswith("✅ Created.\n\n<b>Harbour Branch</b>\nKind: Branch")
    assert "Term ends: 2025-03-01 (overdue)" in reply.text
    assert "Party groups: none" in reply.text and "Secretary: none" in reply.text
    assert data(reply) == ["org:ap:2:0", "org:ts:2", "org:tl:2", "org:grp:2", "org:cv:2:0",
                           "inv:show:2", "mem:list:2:0", "org:tree:0"]
    committee = card(t, COMMITTEE, None, [], [], [], TODAY)
    assert "Parent: none (top level)" in committee.text and "Party groups" not in committee.text
    assert "org:grp:1" not in data(committee) and "inv:show:1" not in data(committee)


def test_only_allowed_parents_are_offered() -> None:
    rows = [TreeRow(COMMITTEE, 0, 0), TreeRow(BRANCH, 1, 0)]
    text, buttons = parent_step(t, "New Branch", PartyOrgKind.BRANCH, rows, 0)
    assert text == "Name: New Branch\nKind: Branch\n\nWhich organization is it directly under?"
    offered = [b.callback_data for row in buttons for b in row]
    assert offered == ["org:pp:0", "org:pp:1"]  # never under another branch


def test_term_lengths_and_page_buttons_carry_their_family() -> None:
    assert data(term_length_menu(t, BRANCH)) == [
        "org:ty:2:1", "org:ty:2:2", "org:ty:2:3", "org:ty:2:4", "org:ty:2:5", "org:ty:2:0",
        "org:card:2"]
    assert [b.callback_data for b in page_row(t, 1, 3, ShowTree)] == [
        "org:tree:0", "org:tree:1", "org:tree:2"]
    assert page_row(t, 0, 1, ShowTree) == []
    assert [b.text for b in page_row(t, 0, 2, ShowTree)] == ["1/2", "Next ›"]
