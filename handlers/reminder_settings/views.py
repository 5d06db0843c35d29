"""Texts and buttons of /settings (pure: no Telegram calls, no database)."""

from __future__ import annotations

from typing import Literal

from handlers.kit.actions import Reply
from handlers.kit.buttons import ButtonData
from handlers.kit.i18n import BLANK, N_, Translator, html_join
from handlers.kit.ui import keyboard
from handlers.labels import REMINDER_KIND_LABELS
from rules.permissions import Actor
from rules.vocabulary import MUTABLE_REMINDER_KINDS, ReminderKind

LEADER_KINDS = frozenset({ReminderKind.COMPLIANCE, ReminderKind.DRIFT, ReminderKind.RENEWAL,
                          ReminderKind.TALKS})
NOT_REGISTERED = N_("Register first (/start): reminders follow your branch.")


class Toggle(ButtonData, prefix="rset"):
    """Mute or unmute a kind of reminder (k:<kind>), or switch the daily digest (d:<0|1>)."""

    what: Literal["k", "d"]
    value: str


def kinds_for(actor: Actor) -> list[str]:
    """The kinds a person can receive at all: leaders' kinds only for leaders and admins."""
    leads = actor.is_admin or actor.leads_a_branch
    return [k for k in MUTABLE_REMINDER_KINDS if leads or k not in LEADER_KINDS]


def settings_view(t: Translator, actor: Actor, muted: frozenset[str], digest: bool, *,
                  new: bool) -> Reply:
    """The person's reminder switches, one toggle button each."""
    lines = [t("<b>Reminders</b>"), t("Tap a line to switch it on or off."), BLANK]
    rows = []
    for kind in kinds_for(actor):
        label = t(REMINDER_KIND_LABELS[kind])
        mark = "🔕" if kind in muted else "🔔"
        lines.append(mark + " " + label)
        rows.append([Toggle("k", kind).button(f"{mark} {label}")])
    lines.append(BLANK)
    lines.append(t("Quiet hours: 22:00–08:00 (branch time). Reminders wait until morning."))
    if actor.is_admin or actor.leads_a_branch:
        digest_label = (
            t("Daily digest at 08:00: on") if digest else t("Daily digest at 08:00: off")
        )
        lines.append(digest_label)
        rows.append([Toggle("d", "0" if digest else "1").button(digest_label)])
    return Reply(html_join("\n", lines), keyboard(rows), new=new)
