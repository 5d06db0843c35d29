"""/schedule: the organization and the kind, then the guided setup of one meeting or a monthly
series; everyone on the list is told. Steps are asked only while their answer is unknown, so
"change the date and time" (or a clash with the length chosen) asks that one again."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal

from telegram import KeyboardButton, Message, ReplyKeyboardMarkup
from telegram.ext import filters

from handlers.access.orgs import access_led_org
from handlers.kit.actions import LEADERS, Act, Checker, CommandArgs, Reply
from handlers.kit.buttons import MeetingId, OrgId
from handlers.kit.chat import STALE_BUTTON, Outgoing, Refused, ReplyMarkup, send, show
from handlers.kit.flows import Flow, asking, cancel_button, cleaned
from handlers.kit.i18n import BLANK, N_, Html, Translator, html_join, in_every_language
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.steps import Choose, Custom, Day, Done, Entry, Form, Next, Option, Problem, Text
from handlers.kit.ui import keyboard
from handlers.labels import MEETING_KIND_LABELS
from handlers.meetings import manage, views
from handlers.menu import main_keyboard
from handlers.pickers import Picker, group_options
from rules import meetings as rules
from rules.tree import MEMBER_KINDS
from rules.validation import MAX_PERSON, MAX_PLACE, MAX_TOPIC, Invalid, clean_link, clean_text
from rules.vocabulary import MeetingKind, MembershipState
from storage import meetings as store
from storage import orgs as org_store
from storage import people
from storage.meetings import MeetingError, MeetingPlan
from storage.models import Meeting, PartyOrganization

logger = logging.getLogger(__name__)

PICKER = Picker(N_("Schedule a meeting for which organization?"), views.ScheduleFor,
                views.SchedulePick)
PLACE_NAME = N_("Location saved for check-in. Now type the name of the place as members should "
                "see it (for example: Room 302, 5 Harbour Road).")


class ScheduleForm(Form):
    """The meeting being set up; a step's field is named like the step."""

    org: OrgId
    kind: MeetingKind
    grp: int | None = None
    when: datetime | None = None
    dur: int | None = None
    place: str | None = None
    online: bool = False
    url: str | None = None
    lat: float | None = None
    lon: float | None = None
    topic: str | None = None
    host: str | None = None
    rec: str | None = None
    lect: str | None = None
    rep: Literal["once", "monthly"] | None = None
    cnt: int | None = None


# -- before the setup: /schedule, the organization, the kind --------------------------------


async def start_schedule(act: Act, _: CommandArgs) -> Reply | None:
    """/schedule: pick the organization (if several), then the kind of meeting."""
    return await PICKER.open(act, nothing=views.NO_BRANCH,
                             on_one=lambda org: choose_org(act, views.ScheduleFor(org)))


async def schedulable_org(act: Checker, org_id: OrgId) -> PartyOrganization:
    org = await access_led_org(act, org_id)
    if org.kind not in MEMBER_KINDS:
        act.refuse(STALE_BUTTON)
    return org


async def choose_org(act: Act, press: views.ScheduleFor) -> Reply:
    org = await schedulable_org(act, press.org)
    return Reply(*views.kind_question(act.t, press.org, org.name, act.settings.forms_url))


async def start(act: Act, press: views.ChooseKind) -> ScheduleForm:
    """A new meeting of this kind (the kind question then shows what was chosen); a group
    meeting needs one of the branch's groups."""
    org = await schedulable_org(act, press.org)
    if press.kind is MeetingKind.GROUP and not await org_store.groups_of(act.session, org.id):
        raise Refused(N_("{branch} has no party groups yet; an administrator sets them up."),
                      branch=org.name)
    chosen = act.t("<b>{branch}</b>: {kind}", branch=org.name,
                   kind=act.t(MEETING_KIND_LABELS[press.kind]))
    update = act.update
    act.after(lambda: show(update, chosen))
    return ScheduleForm(org=OrgId(org.id), kind=press.kind)


# -- the steps ----------------------------------------------------------------------------


async def ask_when(act: Act, form: ScheduleForm) -> Html:
    return act.t(
        "When does it start? Type the date and time as you would say it, for example "
        "tomorrow 9:00, next Wed 14:30 or {example}, or press a day (time zone {zone}).",
        example=views.example_when(act.settings.tzinfo, act.now()), zone=act.settings.timezone)


async def clash(act: Act, form: ScheduleForm, start: datetime, minutes: int) -> Problem | None:
    """Why the time does not fit: another live meeting of the branch overlaps it."""
    found = await store.clashes(act.session, form.org, start, start + timedelta(minutes=minutes))
    if not found:
        return None
    t, other = act.t, found[0]
    return Problem(views.CLASH_WITH, kind=t(MEETING_KIND_LABELS[other.kind]),
                   when=views.span_text(t, act.settings.tzinfo, other.starts_at, other.ends_at))


async def read_when(act: Act, form: ScheduleForm, start: datetime) -> Any:
    """The start; once the length is known, it must not clash."""
    return (await clash(act, form, start, form.dur) if form.dur else None) or start


async def ask_duration(act: Act, form: ScheduleForm) -> tuple[Html, list[list[Any]]]:
    return act.t("How long is it?"), [[views.Duration(minutes).button(act.t(label))
                                       for minutes, label in views.DURATIONS.items()]]


async def choose_duration(act: Act, form: ScheduleForm, press: views.Duration) -> Next:
    """The length; a clash sends the secretary back to the time."""
    if press.minutes not in views.DURATIONS or form.when is None:
        act.refuse(STALE_BUTTON)
    problem = await clash(act, form, form.when, press.minutes)
    if problem is None:
        return Next({"dur": press.minutes})
    act.say(act.t(problem.message, **problem.values))
    return Next({"dur": press.minutes, "when": None}, to="when")


def place_keyboard(act: Act, form: ScheduleForm) -> ReplyKeyboardMarkup:
    t = act.t
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t.as_plain(views.SHARE_LOCATION), request_location=True)],
         [KeyboardButton(t.as_plain(views.ONLINE))]],
        resize_keyboard=True, one_time_keyboard=True,
    )


def menu_keyboard(act: Act, form: ScheduleForm) -> ReplyKeyboardMarkup:
    """The menu again, after the place's own keyboard."""
    return main_keyboard(act.actor)


async def ask_place(act: Act, form: ScheduleForm) -> tuple[Html, list[list[Any]]]:
    t = act.t
    return t("Where is it? Type the place (for example: Room 302, 5 Harbour Road), press "
             "{online} for an online meeting, or share the location with {share} so members "
             "can check in by location.", online=t(views.ONLINE), share=t(views.SHARE_LOCATION)), []


async def typed_place(act: Act, form: ScheduleForm, text: str) -> Any:
    """A typed place, or the Online button (then the link is asked)."""
    if text.strip() in in_every_language(views.ONLINE):
        return Next({"online": True, "lat": None, "lon": None})
    return await read_place(act, form, text)


async def shared_location(act: Act, form: ScheduleForm, message: Message) -> Next:
    """Kept for location check-in; the place's name is asked next."""
    assert message.location is not None
    return Next({"lat": float(message.location.latitude),
                 "lon": float(message.location.longitude), "url": None})


async def read_link(act: Act, form: ScheduleForm, text: str) -> Any:
    """http or https only."""
    link = clean_link(text)
    return Problem(views.BAD_LINK) if link is None else Next({"url": link, "place": None})


async def read_place(act: Act, form: ScheduleForm, text: str) -> Any:
    place = clean_text(text, max_length=MAX_PLACE)
    return place if isinstance(place, Invalid) else Next({"place": place, "url": None})


async def my_name(act: Act) -> str | None:
    person = await people.person_by_telegram_id(act.session, act.actor.telegram_id)
    return person.real_name if person is not None else None


def person_step(key: str, question: str) -> Custom[ScheduleForm]:
    """Host or recorder: a typed name, or the presser's own (Me)."""

    async def render(act: Act, form: ScheduleForm) -> tuple[Html, list[list[Any]]]:
        me = await my_name(act)
        rows = [[views.Me().button(act.t.as_plain("Me ({name})", name=me))]] if me else []
        return act.t(question), rows

    async def pressed(act: Act, form: ScheduleForm, press: views.Me) -> str:
        me = await my_name(act)
        if me is None:
            act.refuse(STALE_BUTTON)
        return me

    return Custom(key=key, render=render, presses=((views.Me, pressed),),
                  read=cleaned(MAX_PERSON), when=lambda f: getattr(f, key) is None)


async def repeat_options(act: Act, form: ScheduleForm) -> list[Option]:
    assert form.when is not None
    day = form.when.astimezone(act.settings.tzinfo).date()
    return [Option("once", act.t("Once")), Option("monthly", views.repeat_label(act.t, day))]


async def count_options(act: Act, form: ScheduleForm) -> list[Option]:
    return [Option(str(n), str(n)) for n in views.SERIES_COUNTS]


# -- the summary and scheduling -------------------------------------------------------------


def plan_of(form: ScheduleForm) -> MeetingPlan:
    assert form.when is not None and form.dur is not None and form.topic is not None
    lesson, group = form.kind is MeetingKind.LESSON, form.kind is MeetingKind.GROUP
    return MeetingPlan(
        org_id=form.org, kind=form.kind, starts_at=form.when,
        ends_at=form.when + timedelta(minutes=form.dur), topic=form.topic, place=form.place,
        online_url=form.url, latitude=form.lat, longitude=form.lon, host=form.host,
        recorder=form.rec, lecturer=form.lect if lesson else None,
        party_group_id=form.grp if group else None,
    )


def starts_of(form: ScheduleForm, tz: Any) -> list[datetime]:
    """The start of each meeting: one, or the same weekday position in the next months."""
    assert form.when is not None
    if form.rep != "monthly" or not form.cnt:
        return [form.when]
    local = form.when.astimezone(tz)
    return [datetime.combine(day, local.time(), tzinfo=tz).astimezone(UTC)
            for day in views.series_days(local.date(), form.cnt)]


async def summary(act: Act, form: ScheduleForm) -> tuple[Html, list[list[Any]]]:
    """Everything entered, who is expected (as storage will find them), the dates of a series."""
    t, tz = act.t, act.settings.tzinfo
    info = await manage.meeting_info(act.session, plan_of(form))
    members = await people.members_of(act.session, form.org, (MembershipState.ACTIVE,))
    expectation = rules.expected_attendees(
        info.kind, [rules.MemberFacts(m.id, m.status, m.role, m.party_group_id) for m in members],
        party_group_id=form.grp)
    lines = [t("<b>Please check the meeting:</b>"), *views.details_lines(t, tz, info)]
    if info.located:
        lines.append(t("Location check-in: on"))
    lines.append(t.plural("{n} member is expected.", "{n} members are expected.",
                          len(expectation.expected)))
    if expectation.guests:
        lines.append(t.plural("{n} activist is invited as a guest.",
                              "{n} activists are invited as guests.", len(expectation.guests)))
    starts = starts_of(form, tz)
    if len(starts) > 1:
        lines.append(views.repeat_label(t, starts[0].astimezone(tz).date()) + ": "
                     + ", ".join(views.start_text(tz, s) for s in starts))
    return html_join("\n", lines), [[views.ScheduleIt().button(t("✅ Schedule"))],
                                    [views.ChangeWhen().button(t("🕑 Change date and time"))]]


async def change_when(act: Act, form: ScheduleForm, press: views.ChangeWhen) -> Next:
    return Next({"when": None}, to="when")


@dataclass(frozen=True)
class Scheduled:
    """Meetings just scheduled, the first one's details, and the invitations to send."""

    created: list[Meeting]
    info: views.MeetingInfo
    messages: list[Outgoing]


async def schedule_meeting(who: Checker, plan: MeetingPlan, starts: list[datetime], tz: tzinfo,
                           now: datetime) -> Scheduled:
    """One meeting (or a monthly series: all or none) from the chat or the form: checked as a
    forged press would be (a branch the actor leads), validated and stored by storage (past,
    end before start, group, clash: MeetingError, before anything is written), and an
    invitation written for everyone on the list."""
    await schedulable_org(who, OrgId(plan.org_id))
    by = who.actor.telegram_id
    if len(starts) > 1:
        created = await store.schedule_series(who.session, plan, starts, created_by=by, now=now)
    else:
        created = [await store.schedule(who.session, plan, created_by=by, now=now)]
    info = await manage.meeting_info(who.session, created[0])
    heading = N_("📅 <b>New meetings</b> (monthly)") if len(created) > 1 else N_(
        "📅 <b>New meeting</b>")
    also = ", ".join(views.start_text(tz, m.starts_at) for m in created[1:])
    messages = await manage.list_messages(who, info.id, lambda t, status: views.member_message(
        t, tz, info, status, t(heading),
        t("Also on: {dates}. Answer for each in 📅 Meetings.", dates=also) if also else BLANK))
    logger.info("user %s scheduled %d %s meeting(s) for org %s", pseudonym(by), len(created),
                plan.kind.value, plan.org_id)
    return Scheduled(created, info, messages)


async def schedule_it(act: Act, form: ScheduleForm, press: views.ScheduleIt) -> Any:
    """Schedule (all of a series or none) and tell everyone on the list."""
    tz = act.settings.tzinfo
    try:
        done = await schedule_meeting(act, plan_of(form), starts_of(form, tz), tz, act.now())
    except MeetingError as error:  # raised before anything is written
        await act.session.rollback()
        problem = views.meeting_problem(error, tz)
        t, update = act.t, act.update
        text = t(problem.message, **problem.values)
        markup = keyboard([[views.ChangeWhen().button(t("🕑 Change date and time"))],
                           [cancel_button(t)]])
        act.after(lambda: send(update, text, reply_markup=markup))
        return Next({}, stay=True)  # the summary again: who is expected may have changed
    t = act.t
    # The summary loses its buttons and stays as the record of what was scheduled.
    act.deliver(done.messages, lambda told: scheduled_note(t, done, told), drop=True)
    return Done()


def scheduled_note(t: Translator, done: Scheduled, told: int) -> tuple[Html, ReplyMarkup]:
    """What the scheduler's chat says afterwards (after the chat flow or the form)."""
    opened = views.ShowMeeting(MeetingId(done.info.id))
    return (t.plural("{n} meeting scheduled.", "{n} meetings scheduled.", len(done.created))
            + "\n" + manage.told_text(t, told),
            keyboard([[opened.button(t("Open the meeting"))]]))


SCHEDULE = Flow(
    name="schedule_meeting",
    prefix="ms",
    form=ScheduleForm,
    entry=Entry(views.ChooseKind, LEADERS, start),
    guard=lambda act, form: access_led_org(act, form.org),
    back=False,
    steps=(
        Choose(key="grp", ask=asking(N_("Which party group meets?")), options=group_options,
               when=lambda f: f.kind is MeetingKind.GROUP and f.grp is None),
        Day(key="when", ask=ask_when, moment=True, accept=read_when,
            when=lambda f: f.when is None),
        Custom(key="dur", render=ask_duration, presses=((views.Duration, choose_duration),),
               when=lambda f: f.dur is None),
        Custom(key="place", render=ask_place, keyboard=place_keyboard,
               messages=((filters.LOCATION, shared_location),), read=typed_place,
               when=lambda f: f.place is None and not f.online and f.lat is None),
        Text(key="link", ask=asking(N_("Send the link of the online meeting (starting with "
                                        "https://).")),
             read=read_link, keyboard=menu_keyboard, when=lambda f: f.online and f.url is None),
        Text(key="place_name", ask=asking(PLACE_NAME), read=read_place, keyboard=menu_keyboard,
             when=lambda f: f.lat is not None and f.place is None),
        Text(key="topic", ask=asking(N_("What is the topic?")), read=cleaned(MAX_TOPIC),
             keyboard=menu_keyboard, when=lambda f: f.topic is None),
        person_step("host", N_("Who hosts the meeting? Type the name, or press Me.")),
        person_step("rec", N_("Who keeps the record? Type the name, or press Me.")),
        Text(key="lect", ask=asking(N_("Who gives the lesson? Type the lecturer's name.")),
             read=cleaned(MAX_PERSON),
             when=lambda f: f.kind is MeetingKind.LESSON and f.lect is None),
        Choose(key="rep", ask=asking(N_("Once, or every month?")), options=repeat_options,
               when=lambda f: f.rep is None),
        Choose(key="cnt", ask=asking(N_("How many meetings?")), options=count_options,
               when=lambda f: f.rep == "monthly" and f.cnt is None),
        Custom(key="ok", render=summary,
               presses=((views.ScheduleIt, schedule_it), (views.ChangeWhen, change_when))),
    ),
)
