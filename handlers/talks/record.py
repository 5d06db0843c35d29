"""A branch's secretary or committee member records a talk they held: the member from a paged
list (those not talked with yet this year first), the day (not in the future), the topic in a
few words; nobody else is told (talk records are for the branch's leaders)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from handlers.access.talks import access_talk_member, access_talks_recording
from handlers.kit.actions import Act, Audience, Reply
from handlers.kit.buttons import PersonId
from handlers.kit.chat import STALE_BUTTON, Refused
from handlers.kit.flows import (
    INVALID_MESSAGES,
    Confirm,
    Custom,
    Day,
    Entry,
    Flow,
    Next,
    Rows,
    Text,
    cleaned,
    turn_page,
)
from handlers.kit.i18n import N_, Html, Translator
from handlers.kit.ui import paged_rows
from handlers.talks import views
from handlers.talks.branch import branch_reply
from handlers.talks.views import TalkForm
from rules import talks as rules
from storage import talks
from storage.models import Person
from storage.talks import TalkError

# Who may open /talks at all; each branch is checked by handlers/access/talks.py.
TALK_KEEPERS = Audience("leaders and committee members", rules.keeps_talks)


async def start(act: Act, press: views.StartTalk) -> TalkForm:
    await access_talks_recording(act, press.org)
    return TalkForm(org=press.org)


async def guard(act: Act, form: TalkForm) -> None:
    await access_talks_recording(act, form.org)
    if form.person is not None:
        await access_talk_member(act, form.org, form.person)


async def ask_member(act: Act, form: TalkForm) -> tuple[Html, Rows]:
    members = await talks.candidates(act.session, form.org, act.today().year,
                                     besides=act.actor.person_id)
    if not members:
        return act.t("The branch has no other party members to record a talk with."), []
    items = [views.PickMember(PersonId(m.person_id)).button(views.member_label(act.t, m))
             for m in members]
    return (act.t("With whom was the talk? Pick the member (those not talked with yet this "
                  "year come first; ✓ and a number: talks this year)."),
            paged_rows(act.t, items, form.page, lambda page: views.MemberPage(page)))


async def pick_member(act: Act, form: TalkForm, press: views.PickMember) -> Next:
    await access_talk_member(act, form.org, press.person)
    return Next({"person": press.person})


async def ask_day(act: Act, form: TalkForm) -> Html:
    return act.t("On which day was the talk? Type it like {day}, or press a day.",
                 day=act.today().isoformat())


def day_problem(t: Translator, day: Any, now: datetime) -> Html | None:
    """A talk's day: not in the future, not before last year (`now` is branch-local)."""
    value = day.date() if isinstance(day, datetime) else day
    if not isinstance(value, date):
        return None
    if value > now.date():
        return t(INVALID_MESSAGES["date_future"])
    if value < rules.earliest_day(now.date()):
        return t(INVALID_MESSAGES["date_too_early"])
    return None


async def ask_topic(act: Act, form: TalkForm) -> Html:
    return act.t("What was it about, in a few words (at most {limit} characters)? Only the "
                 "topic: no minutes of what was said.", limit=rules.MAX_TOPIC)


async def summary(act: Act, form: TalkForm) -> Html:
    member = await access_talk_member(act, form.org, form.person or 0)
    return views.summary_text(act.t, views.named(act.t, member.name, member.person_id),
                              await own_name(act), form)


async def own_name(act: Act) -> str:
    person = await act.session.get(Person, act.actor.person_id or 0)
    return views.named(act.t, person.real_name or "" if person else "",
                       act.actor.person_id or 0)


async def save(act: Act, form: TalkForm) -> Reply:
    member = await access_talk_member(act, form.org, form.person or 0)
    if form.held_on is None or form.topic is None or act.actor.person_id is None:
        raise Refused(STALE_BUTTON)
    try:
        await talks.record_talk(
            act.session, org_id=form.org, person_id=member.person_id,
            by_person_id=act.actor.person_id, held_on=form.held_on, topic=form.topic,
            by=act.actor.telegram_id, now=act.now())
    except TalkError as refused:
        await act.session.rollback()
        return await branch_reply(act, form.org, act.t(views.REFUSALS[refused.code]),
                                  back=False)
    head = act.t("✅ Talk with {name} on {day} recorded.",
                 name=views.named(act.t, member.name, member.person_id),
                 day=form.held_on.isoformat())
    return await branch_reply(act, form.org, head, back=False)


RECORD = Flow(
    name="talks_record",
    prefix="tkr",
    form=TalkForm,
    entry=Entry(views.StartTalk, TALK_KEEPERS, start),
    guard=guard,
    steps=(
        Custom(key="person", render=ask_member,
               presses=((views.PickMember, pick_member), (views.MemberPage, turn_page))),
        Day(key="held_on", ask=ask_day, prefer="past", check=day_problem),
        Text(key="topic", ask=ask_topic, read=cleaned(rules.MAX_TOPIC)),
        Confirm(key="confirm", summary=summary, label=N_("✅ Record it"), finish=save),
    ),
)
