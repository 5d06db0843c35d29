"""Meetings (三会一课): /schedule sets one up (or a monthly series) and tells everyone on its
list; members answer, ask for leave and get a calendar file; /meetings shows my upcoming
meetings and, to a branch's leaders, its meetings, each with a card to postpone or cancel it.

Check-in, the roster and closing a meeting are handlers/checkin's; the card shows their
buttons, declared here (OpenCheckin, CloseMeeting, ShowRoster) since check-in builds on this
feature.
"""

from __future__ import annotations

from handlers.kit.actions import ANYONE, LEADERS, MEMBERS, REGISTERED, Action, Command
from handlers.kit.i18n import N_
from handlers.meetings.answers import LEAVE, attend, calendar_file, decide_leave
from handlers.meetings.loading import Recipient, meeting_info, recipients_of
from handlers.meetings.manage import (
    CANCEL,
    POSTPONE,
    ask_cancel,
    list_meetings,
    press_old_cancel_button,
    show_card,
    show_list,
    turn_list_page,
)
from handlers.meetings.schedule import SCHEDULE, choose_org, start_schedule, turn_schedule_page
from handlers.meetings.steps import drop_buttons
from handlers.meetings.views import (
    ApproveLeave,
    AskCancel,
    AskLeave,
    Attend,
    CalendarFile,
    CancelWithoutReason,
    CloseMeeting,
    ListMeetings,
    MeetingInfo,
    MeetingsPick,
    OpenCheckin,
    PostponeMeeting,
    RefuseLeave,
    ScheduleFor,
    SchedulePick,
    ShowMeeting,
    ShowRoster,
    details_lines,
    member_keyboard,
    member_text,
    span_text,
)

__all__ = [
    "ACTIONS", "FLOWS", "AskCancel", "AskLeave", "Attend", "CalendarFile", "CloseMeeting",
    "ListMeetings", "MeetingInfo", "OpenCheckin", "PostponeMeeting", "Recipient",
    "ShowMeeting", "ShowRoster", "details_lines", "drop_buttons", "meeting_info",
    "member_keyboard", "member_text", "recipients_of", "span_text",
]

ACTIONS = (
    Action(Command("schedule", label=N_("🗓 Schedule meeting"),
                   description=N_("Schedule a meeting (三会一课)")), LEADERS, start_schedule),
    Action(SchedulePick, LEADERS, turn_schedule_page),
    Action(ScheduleFor, LEADERS, choose_org),
    # Anyone may ask (a guest is told to register first); the menu lists it once registered.
    Action(Command("meetings", label=N_("📅 Meetings"),
                   description=N_("Meetings: upcoming, answer, leave"), shown_to=REGISTERED),
           ANYONE, list_meetings),
    Action(Attend, MEMBERS, attend),
    Action(CalendarFile, ANYONE, calendar_file),
    Action(ApproveLeave, LEADERS, decide_leave),
    Action(RefuseLeave, LEADERS, decide_leave),
    Action(MeetingsPick, LEADERS, turn_list_page),
    Action(ListMeetings, LEADERS, show_list),
    Action(ShowMeeting, LEADERS, show_card),
    Action(AskCancel, LEADERS, ask_cancel),
    Action(CancelWithoutReason, LEADERS, press_old_cancel_button),
)
# Leave, postpone and cancel first: each waits for typed text, as the setup does.
FLOWS = (LEAVE, POSTPONE, CANCEL, SCHEDULE)
