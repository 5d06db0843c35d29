"""Check-in at a meeting, closing it with minutes, and catching up (补学).

A leader opens check-in and shows the rotating room code; members check in with one tap,
by typing the code, or by sharing their location; the leader marks people by hand (代签),
closes the meeting with minutes and attachments, and the record is frozen. Absent members
are asked to catch up. Corrections after closing are logged with who and why.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from handlers.checkin import post, room, roster, views
from handlers.checkin.closing import CLOSE_MEETING
from handlers.checkin.corrections import EDIT_RECORD
from handlers.checkin.roster import render_roster, send_record
from handlers.checkin.views import clean_minutes
from handlers.kit.actions import ANYONE, LEADERS, MEMBERS, Action, Command
from handlers.kit.i18n import N_
from handlers.meetings.post_views import PostCheckin

ACTIONS = (
    # Anyone may ask (others are told why not); the menu lists it for those who attend meetings.
    Action(Command("checkin", label=N_("✅ Check in"),
                   description=N_("Check in at the meeting now on"), shown_to=MEMBERS),
           ANYONE, room.checkin_command),
    Action(views.OpenCheckin, LEADERS, room.open_checkin),
    Action(views.RoomCode, LEADERS, room.refresh_code),
    Action(views.TapCheckin, ANYONE, room.tap_checkin),
    Action(views.CheckMeIn, ANYONE, room.tap_checkin),
    Action(PostCheckin, ANYONE, post.checkin_from_post),  # under the group post
    Action(views.ShowRoster, LEADERS, roster.show_roster),
    Action(views.RosterPage, LEADERS, roster.show_roster),
    Action(views.MarkPresent, LEADERS, roster.mark_present),
    Action(views.ShowRecord, LEADERS, roster.show_record),
    Action(views.ShowAttachments, LEADERS, roster.show_attachments),
    Action(views.ConfirmMakeup, ANYONE, roster.confirm_makeup),
    Action(views.ChooseFix, LEADERS, roster.choose_fix),
)
FLOWS = (CLOSE_MEETING, EDIT_RECORD)

CODE_TEXT = filters.Regex(r"^\s*(?:\d\s*){4,9}$")


def register(app: Application) -> None:
    """Typed room codes and shared locations: plain handlers, since a room full of people
    types the code at once (no session or actor load per message; see room.py)."""
    private_new = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(
        MessageHandler(private_new & filters.TEXT & ~filters.COMMAND & CODE_TEXT, room.type_code)
    )
    app.add_handler(MessageHandler(private_new & filters.LOCATION, room.share_location))
    # Taps under the group post: batched before the declared action sees them (post.py).
    app.add_handler(CallbackQueryHandler(post.press_checkin, pattern=PostCheckin.pattern()),
                    group=post.GROUP)


__all__ = ["ACTIONS", "FLOWS", "clean_minutes", "register", "render_roster", "send_record"]
