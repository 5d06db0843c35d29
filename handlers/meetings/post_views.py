"""A meeting's post in the branch's group (reminders/group_posts.py posts it): its text and
buttons, and what a press there answers (pure: no Telegram calls, no database).

A press is answered to the presser alone: a toast, and a private message where more is needed.
Nothing per person goes into the group.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from telegram import InlineKeyboardMarkup

from handlers.kit.buttons import ButtonData, MeetingId
from handlers.kit.i18n import N_, Html, Translator, html_join
from handlers.kit.ui import keyboard
from handlers.labels import MEETING_KIND_LABELS
from rules import meetings as rules
from rules.vocabulary import MeetingState
from storage.branch_chats import MeetingPost
from storage.meetings import LIVE_STATES, window_of
from storage.models import Meeting


class PostAttend(ButtonData, prefix="gp:yes"):
    """"I'll attend", pressed under the group post."""

    meeting: MeetingId


class PostLeave(ButtonData, prefix="gp:leave"):
    """"Ask for leave" under the group post: the reason is asked in the private chat."""

    meeting: MeetingId


class PostCheckin(ButtonData, prefix="gp:in"):
    """One-tap check-in under the group post (handlers/checkin/post.py)."""

    meeting: MeetingId


# Every family a group post carries: handlers/privacy.py lets these through in groups.
POST_BUTTONS = (PostAttend, PostLeave, PostCheckin)

BUTTONS_ANSWER_PRIVATELY = N_("Press a button below: I answer only you, with a short note or in "
                              "our private chat.")
ATTENDING = N_("Recorded: you will attend.")
CHECKED_IN = N_("✅ You're checked in.")
LEAVE_ASKED = N_("I've asked you for the reason in our private chat: type it there.")
OPEN_PRIVATE_FIRST = N_("I can't write to you yet. Please open a private chat with me and press "
                        "Start, then press the button again.")
NOT_ON_LIST = N_("You are not on the list of this meeting, so you cannot answer or check in "
                 "here. If you think you should be, ask the branch's secretary.")
NOT_REGISTERED = N_("You are not on the list of this meeting: only the branch's registered "
                    "members it expects can answer or check in. If you belong to this branch, "
                    "register with me in a private chat: /start")


def post_phase(meeting: Meeting, now: datetime) -> str | None:
    """"answer" while the meeting is upcoming, "checkin" while its check-in window is open,
    None once check-in is over or the meeting closed or cancelled."""
    if meeting.state not in LIVE_STATES:
        return None
    state = rules.checkin_state(now, meeting.starts_at, window_of(meeting))
    return {"early": "answer", "open": "checkin"}.get(state)


def post_keyboard(t: Translator, meeting: Meeting, now: datetime) -> InlineKeyboardMarkup | None:
    """The post's buttons for the meeting's phase (none when it is over)."""
    meeting_id = MeetingId(meeting.id)
    phase = post_phase(meeting, now)
    if phase == "answer":
        return keyboard([[PostAttend(meeting_id).button(t("✅ I'll attend")),
                          PostLeave(meeting_id).button(t("🙋 Ask for leave"))]])
    if phase == "checkin":
        return keyboard([[PostCheckin(meeting_id).button(t("📍 Check in"))]])
    return None


def post_text(t: Translator, tz: tzinfo, item: MeetingPost, now: datetime) -> Html:
    """The post: the meeting, its counts (no names) and how its buttons answer."""
    meeting = item.meeting
    starts = meeting.starts_at.astimezone(tz)
    lines: list[Html] = [
        t("📅 <b>{kind}</b>: {topic}", kind=t(MEETING_KIND_LABELS[meeting.kind]),
          topic=meeting.topic),
        t("🕘 {start}–{end}", start=starts.strftime("%Y-%m-%d %H:%M"),
          end=meeting.ends_at.astimezone(tz).strftime("%H:%M")),
    ]
    if meeting.place:
        lines.append(t("📍 {place}", place=meeting.place))
    lines.append(t("Expected {expected} · will attend {attending} · on leave {on_leave} · "
                   "checked in {present}", expected=item.expected, attending=item.attending,
                   on_leave=item.on_leave, present=item.present))
    if meeting.state is MeetingState.CLOSED:
        lines.append(t("✅ The meeting is closed: these are its final counts."))
    elif meeting.state is MeetingState.CANCELLED:
        lines.append(t("❌ This meeting was cancelled."))
    elif post_phase(meeting, now) is not None:
        lines.append(t(BUTTONS_ANSWER_PRIVATELY))
    return html_join("\n", lines)


def post(t: Translator, tz: tzinfo, item: MeetingPost,
         now: datetime) -> tuple[Html, InlineKeyboardMarkup | None]:
    """What the group's post shows now: its text and its buttons."""
    return post_text(t, tz, item, now), post_keyboard(t, item.meeting, now)
