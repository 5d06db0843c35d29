"""The command menu and the reply keyboard per role (handlers/menu.py), derived from the
commands the features declare: who sees what, in which order, with which words."""

from __future__ import annotations

from dataclasses import replace

import pytest

from handlers import declared_actions, declared_flows
from handlers.kit.actions import ANYONE, Audience, Command
from handlers.kit.i18n import LANGUAGES, in_every_language
from handlers.menu import CANCEL, ORDER, ROLES, _bot_commands, commands_for, main_keyboard
from rules.permissions import Actor
from rules.vocabulary import MemberRole, MembershipState

EVERYONE = ["language", "help", "cancel"]
REGISTERED = ["me", "settings", *EVERYONE]
MENUS = {
    "guest": ["start", *EVERYONE],
    "member": ["meetings", "checkin", "dues", "appraisal", "record", "training", "notices",
               "transfer", "development", *REGISTERED],
    "secretary": ["pending", "members", "invite", "meetings", "checkin", "schedule", "compliance",
                  "ledger", "dues", "talks", "appraisal", "group", "dashboard", "record",
                  "training", "verify", "makeups", "behind", "notice", "notices", "duties",
                  "transfer", "development", *REGISTERED],
    "admin": ["orgs", "pending", "members", "invite", "meetings", "schedule", "compliance",
              "ledger", "dues", "talks", "appraisal", "group", "overview", "dashboard", "training",
              "verify", "makeups", "behind", "notice", "notices", "duties", "renewal", "transfer",
              "development", *REGISTERED],
}
KEYBOARDS = {
    "guest": [["📝 Register", "🌐 Language"], ["❓ Help"]],
    "member": [["📅 Meetings", "✅ Check in"], ["📈 My attendance", "📚 Training"],
               ["📬 Notices", "🪪 My profile"], ["🌐 Language", "❓ Help"]],
    "secretary": [["📥 Registrations", "👥 Members"], ["🔗 Invite link", "📅 Meetings"],
                  ["✅ Check in", "🗓 Schedule meeting"], ["📊 Compliance", "📒 Ledger"],
                  ["📈 My attendance", "📚 Training"], ["📣 Notice", "📬 Notices"],
                  ["📋 Deadlines", "🪪 My profile"], ["🌐 Language", "❓ Help"]],
    "admin": [["🏛 Organizations", "📥 Registrations"], ["👥 Members", "🔗 Invite link"],
              ["📅 Meetings", "🗓 Schedule meeting"], ["📊 Compliance", "📒 Ledger"],
              ["🔭 Overview", "📚 Training"], ["📣 Notice", "📬 Notices"],
              ["📋 Deadlines", "🪪 My profile"], ["🌐 Language", "❓ Help"]],
}
PENDING = Actor(telegram_id=5, language="en", state=MembershipState.PENDING,
                role=MemberRole.MEMBER, org_id=1)


def declared() -> list[tuple[Command, Audience]]:
    """Every command as the features declare it (actions, flows' entries) and /cancel."""
    found: list[tuple[Command, Audience]] = [
        (a.command, a.audience) for a in declared_actions() if a.command is not None]
    found += [(e.trigger, e.audience) for f in declared_flows() for e in f.entries
              if isinstance(e.trigger, Command)]
    return [*found, (CANCEL, ANYONE)]


@pytest.mark.parametrize("role", list(MENUS))
def test_each_role_gets_its_commands_in_order(role: str) -> None:
    assert ROLES[role].kind == role
    assert [c.name for c in commands_for(role)] == MENUS[role]
    for language in LANGUAGES:
        assert [c.command for c in _bot_commands(role, language)] == MENUS[role]


@pytest.mark.parametrize("role", list(KEYBOARDS))
def test_each_role_gets_its_keyboard(role: str) -> None:
    keyboard = main_keyboard(replace(ROLES[role], language="en")).keyboard
    assert [[button.text for button in row] for row in keyboard] == KEYBOARDS[role]


def test_someone_waiting_for_approval_gets_the_members_menu() -> None:
    keyboard = main_keyboard(PENDING).keyboard
    assert [[button.text for button in row] for row in keyboard] == KEYBOARDS["member"]


def test_menu_and_keyboard_are_in_chinese_for_chinese_speakers() -> None:
    keyboard = main_keyboard(ROLES["guest"]).keyboard
    assert [[button.text for button in row] for row in keyboard] == [
        ["📝 登记", "🌐 语言"], ["❓ 帮助"]]
    assert [(c.command, c.description) for c in _bot_commands("guest", "zh")] == [
        ("start", "登记入会或回到开始"), ("language", "切换语言 / Change language"),
        ("help", "我能为您做什么"), ("cancel", "退出当前操作")]


def test_every_described_command_is_in_the_menu_of_exactly_its_audience() -> None:
    described = [(c, a) for c, a in declared() if c.description is not None]
    assert sorted(c.name for c, _a in described) == sorted(ORDER)  # each has its place, once
    for command, audience in described:
        shown_to = command.shown_to or audience
        for role, actor in ROLES.items():
            listed = command.name in [c.name for c in commands_for(role)]
            assert listed == shown_to.admits(actor), (command.name, role)


def test_commands_and_their_keyboard_buttons_are_each_declared_once() -> None:
    names = [c.name for c, _a in declared()]
    assert len(names) == len(set(names))
    labels = [text for c, _a in declared() if c.label is not None
              for text in in_every_language(c.label)]
    assert len(labels) == len(set(labels))
    # A button is only ever on the keyboard of someone its command is listed for.
    assert all(c.description is not None for c, _a in declared() if c.label is not None)
