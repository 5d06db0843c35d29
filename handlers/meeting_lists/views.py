"""Buttons and texts of changing a meeting's fixed list (pure: no Telegram calls, no
database)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from handlers.kit.buttons import AttendanceId, ButtonData, MeetingId, MembershipId
from handlers.kit.i18n import N_, Html, Translator, html_join
from handlers.kit.ui import paged, person_name
from handlers.meetings import EditList, ShowRoster
from storage.models import Attendance, Person

CANCELLED = N_("This meeting was cancelled.")
ERRORS = {
    "list_follows": N_("Until check-in opens, the list follows the branch's members by "
                       "itself: nothing to change by hand."),
    "already_on_list": N_("{name} is already on the list."),
    "not_in_branch": N_("{name} is not a member of this meeting's branch."),
    "not_live": CANCELLED,
}


class RemoveFromList(ButtonData, prefix="ml:rm"):
    """Take this line off the list: the reason is typed next."""

    attendance: AttendanceId


class AddToList(ButtonData, prefix="ml:add"):
    """Put this member on the list: the reason is typed next."""

    meeting: MeetingId
    membership: MembershipId


def list_editor(
    t: Translator, title: Html, meeting: MeetingId, on_list: Sequence[tuple[Attendance, Person]],
    others: Sequence[tuple[int, Person]], page: int,
) -> tuple[Html, InlineKeyboardMarkup]:
    """One button per person, on the list or not yet."""
    items = [RemoveFromList(AttendanceId(a.id)).button(
        t.as_plain("➖ {name}", name=person_name(t, p))) for a, p in on_list]
    items += [AddToList(meeting, MembershipId(mid)).button(
        t.as_plain("➕ {name}", name=person_name(t, p))) for mid, p in others]
    text = html_join("\n", [
        t("Change the list of {meeting}.", meeting=title),
        t("➖ takes someone off the list, ➕ puts a member of the branch on it. You are asked "
          "why; the change is logged with your name."),
    ])
    return text, paged(t, items, page, lambda to: EditList(meeting, to),
                       [[ShowRoster(meeting).button(t("‹ Roster"))]])
