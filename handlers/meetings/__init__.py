"""Meetings (三会一课): /schedule sets one up (or a monthly series) and tells everyone on its
list; members answer, ask for leave and get a calendar file; /meetings shows my upcoming
meetings and, to a branch's leaders, its meetings, each with a card to postpone or cancel it.

Check-in, the roster and closing a meeting are handlers/checkin's; the card shows their
buttons, declared here (OpenCheckin, CloseMeeting, ShowRoster, and the expected list's
EditList) since check-in and the lists build on this feature.
"""

from __future__ import annotations

from handlers.kit.actions import ANYONE, LEADERS, MEMBERS, REGISTERED, Action, Command
from handlers.kit.i18n import N_
from handlers.meetings import manage, post, schedule
from handlers.meetings import post_views as pv
from handlers.meetings import views as v
from handlers.meetings.views import EditList, ShowRoster

__all__ = ["ACTIONS", "FLOWS", "EditList", "ShowRoster"]

ACTIONS = (
    Action(Command("schedule", label=N_("🗓 Schedule meeting"),
                   description=N_("Schedule a meeting (三会一课)")),
           LEADERS, schedule.start_schedule),
    Action(v.SchedulePick, LEADERS, schedule.PICKER.turn_page),
    Action(v.ScheduleFor, LEADERS, schedule.choose_org),
    # Anyone may ask (a guest is told to register first); the menu lists it once registered.
    Action(Command("meetings", label=N_("📅 Meetings"),
                   description=N_("Meetings: upcoming, answer, leave"), shown_to=REGISTERED),
           ANYONE, manage.list_meetings),
    Action(v.Attend, MEMBERS, manage.attend),
    Action(v.CalendarFile, ANYONE, manage.calendar_file),
    Action(v.ApproveLeave, LEADERS, manage.decide_leave),
    Action(v.RefuseLeave, LEADERS, manage.decide_leave),
    Action(v.MeetingsPick, LEADERS, manage.PICKER.turn_page),
    Action(v.ListMeetings, LEADERS, manage.show_list),
    Action(v.ShowMeeting, LEADERS, manage.show_card),
    Action(v.AskCancel, LEADERS, manage.ask_cancel),
    Action(v.CancelWithoutReason, LEADERS, manage.press_old_cancel_button),
    # Under the group post: anyone may press; who is not on the list is told why. Its "Ask
    # for leave" starts the leave flow (manage.LEAVE) in the presser's private chat.
    Action(pv.PostAttend, ANYONE, post.attend_from_post),
)
# Leave, postpone and cancel first: each waits for typed text, as the setup does.
FLOWS = (manage.LEAVE, manage.POSTPONE, manage.CANCEL, schedule.SCHEDULE)
