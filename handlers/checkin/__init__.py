"""Check-in at a meeting, closing it with minutes, and catching up (补学).

A leader opens check-in and shows the rotating room code; members check in with one tap,
by typing the code, or by sharing their location; the leader marks people by hand (代签),
closes the meeting with minutes and attachments, and the record is frozen. Absent members
are asked to catch up. Corrections after closing are logged with who and why.
"""

from __future__ import annotations

from telegram.ext import Application, MessageHandler, filters

from handlers.checkin.closing import CLOSE_MEETING
from handlers.checkin.compat import (
    leader_attendance,
    leader_meeting,
    local,
    meeting_title,
    own_cancel_handlers,
    render_roster,
    send_record,
)
from handlers.checkin.corrections import EDIT_RECORD
from handlers.checkin.room import (
    checkin_command,
    open_checkin,
    refresh_code,
    share_location,
    tap_checkin,
    tap_checkin_on_code,
    type_code,
)
from handlers.checkin.roster import (
    choose_fix,
    confirm_makeup,
    mark_present,
    show_record,
    show_roster,
    turn_roster_page,
)
from handlers.checkin.views import (
    REFUSALS,
    CheckMeIn,
    ChooseFix,
    CloseMeeting,
    ConfirmMakeup,
    MarkPresent,
    OpenCheckin,
    RoomCode,
    RosterPage,
    ShowRecord,
    ShowRoster,
    TapCheckin,
    clean_minutes,
)
from handlers.kit.actions import ANYONE, LEADERS, MEMBERS, Action, Command
from handlers.kit.i18n import N_

ACTIONS = (
    # Anyone may ask (others are told why not); the menu lists it for those who attend meetings.
    Action(Command("checkin", label=N_("✅ Check in"),
                   description=N_("Check in at the meeting now on"), shown_to=MEMBERS),
           ANYONE, checkin_command),
    Action(OpenCheckin, LEADERS, open_checkin),
    Action(RoomCode, LEADERS, refresh_code),
    Action(TapCheckin, ANYONE, tap_checkin),
    Action(CheckMeIn, ANYONE, tap_checkin_on_code),
    Action(ShowRoster, LEADERS, show_roster),
    Action(RosterPage, LEADERS, turn_roster_page),
    Action(MarkPresent, LEADERS, mark_present),
    Action(ShowRecord, LEADERS, show_record),
    Action(ConfirmMakeup, ANYONE, confirm_makeup),
    Action(ChooseFix, LEADERS, choose_fix),
)
FLOWS = (CLOSE_MEETING, EDIT_RECORD)

CODE_TEXT = filters.Regex(r"^\s*(?:\d\s*){4,9}$")


def register(app: Application) -> None:
    """Typed room codes and shared locations: plain handlers, since a room full of people
    types the code at once (no session or actor load per message; see room.py)."""
    private_new = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(
        MessageHandler(private_new & filters.TEXT & ~filters.COMMAND & CODE_TEXT, type_code)
    )
    app.add_handler(MessageHandler(private_new & filters.LOCATION, share_location))


__all__ = [
    "ACTIONS", "FLOWS", "REFUSALS", "CloseMeeting", "OpenCheckin", "ShowRoster",
    "clean_minutes", "leader_attendance", "leader_meeting", "local", "meeting_title",
    "own_cancel_handlers", "register", "render_roster", "send_record",
]
