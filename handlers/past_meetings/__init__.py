"""Recording a meeting held before the branch used the bot, or while it was down.

The secretary picks the kind (and 党小组), types the day (optionally with the time), the
topic, marks each member present, on leave or absent with buttons (everyone starts present),
types the minutes and confirms. The meeting is stored closed and marked "entered
afterwards" (storage/past_meetings.py); it counts for compliance and appears in the ledger.
Nobody is asked to catch up (补学) for it.
"""

from __future__ import annotations

import logging
from datetime import date, time
from typing import Any

from telegram import InlineKeyboardButton

from handlers.access.orgs import access_led_org
from handlers.checkin import clean_minutes, send_record
from handlers.kit.actions import LEADERS, Act
from handlers.kit.chat import STALE_BUTTON
from handlers.kit.flows import (
    INVALID_MESSAGES,
    Choose,
    Confirm,
    Custom,
    Entry,
    Flow,
    GoBack,
    Next,
    Option,
    Problem,
    Text,
)
from handlers.kit.i18n import N_, Html
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.steps import asking, cleaned, turn_page
from handlers.kit.ui import person_name
from handlers.labels import MEETING_KIND_LABELS
from handlers.meetings.views import RecordPastMeeting
from handlers.past_meetings import views
from handlers.past_meetings.views import (
    PastMeetingForm,
    PeopleDone,
    PeoplePage,
    ToggleAttendance,
)
from handlers.pickers import group_options
from rules.dates import read_day, read_moment
from rules.validation import MAX_TOPIC, Invalid
from rules.vocabulary import AttendanceStatus, MeetingKind
from storage import meetings as meeting_store
from storage import orgs as org_store
from storage import past_meetings as store

logger = logging.getLogger(__name__)


async def intro(act: Act, form: PastMeetingForm) -> Html:
    org = await access_led_org(act, form.org)
    return views.intro(act.t, org.name)


async def kind_options(act: Act, form: PastMeetingForm) -> list[Option]:
    groups = await org_store.groups_of(act.session, form.org)
    return [Option(k.value, act.t(MEETING_KIND_LABELS[k])) for k in MeetingKind
            if k is not MeetingKind.GROUP or groups]


async def ask_day(act: Act, form: PastMeetingForm) -> Html:
    return act.t("On which day was it held? Type the day like {example}, optionally with the "
                 "time (like {example} 14:30).", example=act.today().replace(day=1).isoformat())


def read_when(text: str | None, today: date, language: str) -> tuple[date, time | None] | Invalid:
    """A past day, with the time when one was typed."""
    moment = read_moment(text, today, language=language, prefer="past")
    if not isinstance(moment, Invalid):
        return moment.day, moment.at
    day = read_day(text, today, language=language, prefer="past")
    return day if isinstance(day, Invalid) else (day, None)


async def read_day_typed(act: Act, form: PastMeetingForm, text: str) -> Any:
    """Not in the future, not before the branch existed."""
    tz, now, today = act.settings.tzinfo, act.now(), act.today()
    when = read_when(text, today, act.actor.language)
    if isinstance(when, Invalid):
        if when.reason in INVALID_MESSAGES and when.reason != "date_format":
            return when
        return Problem(views.DATE_HELP, example=today.replace(day=1).isoformat())
    day, at = when
    org = await access_led_org(act, form.org)
    problem = store.check_day(day, org, now=now, tz=tz)
    if problem is None and at is not None and day == today and at > now.astimezone(tz).time():
        problem = "in_future"
    if problem:
        return Problem(views.ERRORS[problem], day=store.earliest_day(org, tz).isoformat())
    return Next({"day": day, "at": at})


def echo_day(act: Act, form: PastMeetingForm) -> Html:
    return act.t("Understood: {day}.", day=views.day_text(act.t, form))


async def read_topic(act: Act, form: PastMeetingForm, topic: str) -> Next:
    """The topic; everyone expected starts present."""
    assert form.kind is not None
    expected = await store.who_was_expected(act.session, form.org, form.kind, form.group)
    return Next({"topic": topic, "page": 0, "people": {
        mid: (person_name(act.t, p), AttendanceStatus.PRESENT) for mid, p in expected}})


async def render_people(
    act: Act, form: PastMeetingForm
) -> tuple[Html, list[list[InlineKeyboardButton]]]:
    return views.people(act.t, form)


async def toggle(act: Act, form: PastMeetingForm, press: ToggleAttendance) -> Next:
    line = form.people.get(press.membership)
    if line is None:
        act.refuse(STALE_BUTTON)
    people = {**form.people, press.membership: (line[0], views.NEXT_STATUS[line[1]])}
    return Next({"people": people}, stay=True)


async def people_done(act: Act, form: PastMeetingForm, press: PeopleDone) -> Next:
    return Next({})


async def read_minutes(act: Act, form: PastMeetingForm, text: str) -> Any:
    return clean_minutes(text)


async def summary(act: Act, form: PastMeetingForm) -> Html:
    return views.summary(act.t, form)


async def save(act: Act, form: PastMeetingForm) -> Html:
    """Store the closed meeting, counted; its record follows."""
    tz = act.settings.tzinfo
    org = await access_led_org(act, form.org)
    assert form.kind is not None and form.day is not None and form.topic and form.minutes
    past = store.PastMeeting(
        org_id=org.id, kind=form.kind, day=form.day, at=form.at, topic=form.topic,
        minutes=form.minutes, party_group_id=form.group,
        attendance={mid: status for mid, (_name, status) in form.people.items()},
    )
    try:
        meeting = await store.record_past(act.session, past, by=act.actor.telegram_id,
                                          now=act.now(), tz=tz)
    except meeting_store.MeetingError as error:  # raised before anything is written
        step = {"group_needed": "group", "not_in_branch": "topic"}.get(error.code, "day")
        if error.code not in views.ERRORS:
            act.refuse(STALE_BUTTON)
        # A new member list is asked for again; a corrected day or group returns here.
        raise GoBack(step, views.ERRORS[error.code], resume=step != "topic",
                     day=store.earliest_day(org, tz).isoformat()) from None
    meeting_id = meeting.id
    logger.info("user %s recorded past meeting %s", pseudonym(act.actor.telegram_id), meeting_id)
    update, context = act.update, act.context
    act.after(lambda: send_record(update, context, meeting_id))
    return act.t("📝 Recorded as entered afterwards.")


PAST_MEETING = Flow(
    name="past_meeting",
    prefix="pm",
    form=PastMeetingForm,
    entry=Entry(RecordPastMeeting, LEADERS, intro=intro),
    guard=lambda act, form: access_led_org(act, form.org),
    steps=(
        Choose(key="kind", ask=asking(N_("Which kind of meeting was it?")), options=kind_options),
        Choose(key="group", ask=asking(N_("Which party group met?")), options=group_options,
               when=lambda form: form.kind is MeetingKind.GROUP),
        Text(key="day", ask=ask_day, read=read_day_typed, echo=echo_day),
        Text(key="topic", ask=asking(N_("What was the topic?")),
             read=cleaned(MAX_TOPIC, read_topic)),
        Custom(key="people", render=render_people, presses=(
            (ToggleAttendance, toggle), (PeoplePage, turn_page), (PeopleDone, people_done))),
        Text(key="minutes", ask=asking(N_("Type the minutes: what was discussed and decided (at "
                                          "most {limit} characters)."), limit=4000),
             read=read_minutes),
        Confirm(key="save", summary=summary, label=N_("💾 Save the record"), finish=save),
    ),
)

FLOWS = (PAST_MEETING,)
