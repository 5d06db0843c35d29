"""Texts and keyboards of /makeups (pure: no Telegram calls, no database)."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from handlers.kit.actions import Reply
from handlers.kit.buttons import AttendanceId, ButtonData
from handlers.kit.i18n import Html, Translator, html_join
from handlers.kit.ui import keyboard
from handlers.labels import MEETING_KIND_LABELS
from storage.makeups import AwaitingMakeup


class AcceptMakeup(ButtonData, prefix="mk:ok"):
    """Accept one self-confirmed catch-up."""

    attendance: AttendanceId


def makeup_line(t: Translator, tz: ZoneInfo, item: AwaitingMakeup) -> Html:
    return t(
        "• {name}: {kind} «{topic}» of {when}, caught up on {done}",
        name=item.name, kind=t(MEETING_KIND_LABELS[item.kind]), topic=item.topic,
        when=item.starts_at.astimezone(tz).strftime("%Y-%m-%d"),
        done=item.done_at.astimezone(tz).strftime("%Y-%m-%d"),
    )


def awaiting_makeups(t: Translator, tz: ZoneInfo, items: Sequence[AwaitingMakeup]) -> Reply:
    """The catch-ups waiting for acceptance, one Accept button each."""
    if not items:
        return Reply(t("No catch-ups are waiting for you to accept."))
    text = html_join("\n", [
        t("<b>Catch-ups (补学) members confirmed</b>: accept those that were done; only an "
          "accepted one counts as organizational life."),
        *[makeup_line(t, tz, item) for item in items],
    ])
    buttons = [[AcceptMakeup(AttendanceId(item.attendance_id)).button(
        t.as_plain("✅ Accept: {name}, {when}", name=item.name,
                   when=item.starts_at.astimezone(tz).strftime("%m-%d")),
    )] for item in items]
    return Reply(text, keyboard(buttons))
