"""The permission matrix, generated from what the chat layer declares.

Every declared action and every flow entry is forged once per persona: a button with each
entity field pointing at one of Branch A's objects (the other fields a valid value of their
kind), a command as `/name`. Who must be refused follows from the declaration alone: whoever
the audience does not admit, and, when the press names Branch A's objects, everyone outside
Branch A (the admin is not outside) and Branch A's plain member too, unless the objects are
their own (OPEN_BY_DESIGN says which presses those are, and why). Each refused press must
show a refusal and leave every table's rows as they were. A new action or entry is covered
the day it is declared.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from handlers import declared_actions, declared_flows
from handlers.checkin.views import REFUSALS as CHECKIN_REFUSALS
from handlers.kit.actions import Audience, Command
from handlers.kit.buttons import (
    ENTITY_IDS,
    AttendanceId,
    ButtonData,
    DutyId,
    InviteId,
    MeetingId,
    MembershipId,
    NoticeId,
    OrgId,
    PersonId,
    TrainingId,
)
from handlers.kit.chat import NOT_ALLOWED, STALE_BUTTON
from handlers.kit.i18n import translator
from handlers.meetings.views import NOT_REGISTERED as MEETINGS_NOT_REGISTERED
from handlers.notices.views import NOT_ADDRESSED as NOTICE_NOT_ADDRESSED
from handlers.profile.views import ROLE_INTROS
from handlers.reminder_settings.views import NOT_REGISTERED as REMINDERS_NOT_REGISTERED
from handlers.training.views import NOT_REGISTERED as TRAINING_NOT_REGISTERED
from rules.permissions import Actor
from rules.training import TrainingDraft
from rules.vocabulary import (
    MeetingKind,
    MemberRole,
    MembershipState,
    MemberStatus,
    NoticeState,
    SocialOrgType,
    TrainingKind,
)
from storage import duties, invites, meetings, notices, orgs, people, training
from storage.models import (
    Attendance,
    Base,
    Notice,
    NoticeRecipient,
    OutboxMessage,
    OutboxState,
    utcnow,
)
from tests.harness import ADMIN_ID, Bot, seed_harbour

STRANGER, MEMBER_A, MEMBER_B, SEC_A, SEC_B, APPLICANT_A = (
    890_001, 890_002, 890_003, 890_004, 890_005, 890_006)
PERSONAS = {"stranger": STRANGER, "member of A": MEMBER_A, "member of B": MEMBER_B,
            "secretary of A": SEC_A, "secretary of B": SEC_B, "admin": ADMIN_ID}
OUTSIDE_A = ("stranger", "member of B", "secretary of B")
NOT_LEADING_A = (*OUTSIDE_A, "member of A")
NAMES = {MEMBER_A: "Ann Member", MEMBER_B: "Bea Member", SEC_A: "Sam Secretary",
         SEC_B: "Tom Secretary", APPLICANT_A: "Abe Applicant", ADMIN_ID: "Admin"}
# Written by any update, refused or not: conversation state, the bot's own bookkeeping.
BOOKKEEPING = frozenset({"conversation_states", "user_data", "processed_updates",
                         "planner_watermarks", "courier_instances"})
# Press data for a message the persona cannot see: every answer is a new message or an alert.
UNSEEN_MESSAGE = 1

t = translator("en")
REFUSALS = (t(NOT_ALLOWED), t(STALE_BUTTON))
# How the bot turns away someone who has not registered (instead of "not allowed").
REGISTER_FIRST = (t(MEETINGS_NOT_REGISTERED), t(TRAINING_NOT_REGISTERED),
                  t(REMINDERS_NOT_REGISTERED), t(ROLE_INTROS["guest"]))

# Presses the rule above would refuse but which are legitimately open to that persona:
# (trigger, persona) -> why. Keep it short; each line is a claim a reviewer can check.
# Branch A's meeting, notice, training record and attendance line are Ann's (MEMBER_A).
OPEN_BY_DESIGN: dict[tuple[str, str], str] = {
    ("mt:yes", "member of A"): "answers the invitation to a meeting she is on the list of",
    ("mt:leave", "member of A"): "asks for leave from a meeting she is on the list of",
    ("mt:ics", "member of A"): "the calendar entry of a meeting she is on the list of",
    ("ck:tap", "member of A"): "checks herself in at a meeting she is on the list of",
    ("ck:me", "member of A"): "checks herself in at a meeting she is on the list of",
    ("ck:makeup", "member of A"): "confirms catching up on a meeting: her own line",
    ("nt:rd", "member of A"): "confirms reading a notice sent to her",
    ("ntg:rd", "member of A"): "confirms reading a notice sent to her, under its group post",
    ("nt:v", "member of A"): "opens a notice sent to her",
    ("tr:wd", "member of A"): "withdraws her own training record",
    ("tr:ev", "member of A"): "sees the files of her own training record",
    ("tr:ea", "member of A"): "adds files to her own pending training record",
}
# Refusals worded for the situation instead of "not allowed": trigger -> the message.
REFUSED_IN_OTHER_WORDS: dict[str, str] = {
    # Whoever is not on a meeting's list is told so (also a member taken off it later).
    "ck:tap": CHECKIN_REFUSALS["not_expected"],
    "ck:me": CHECKIN_REFUSALS["not_expected"],
    # A group post's 已阅 pressed by someone it was not sent to.
    "ntg:rd": NOTICE_NOT_ADDRESSED,
}


@dataclasses.dataclass(frozen=True)
class Trigger:
    """One declared action or flow entry: what a persona sends, and who may."""

    name: str  # the button prefix, or /command
    audience: Audience
    button: type[ButtonData] | None
    declared_by: str  # "action <run>" or "flow <name>"

    @property
    def names_objects(self) -> bool:
        """The press points at an object (of Branch A, in this world)."""
        return self.button is not None and any(
            entity_of(kind) is not None for _name, kind in self.button.fields())


def entity_of(kind: Any) -> Any | None:
    """The entity id NewType of a field's annotation (through `X | None`), else None."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        inner = [k for k in typing.get_args(kind) if k is not type(None)]
        return entity_of(inner[0]) if len(inner) == 1 else None
    return kind if kind in ENTITY_IDS else None


def declared_triggers() -> list[Trigger]:
    """Every declared action and flow entry, in registration order."""
    found: list[Trigger] = []
    for action in declared_actions():
        found.append(_trigger(action.trigger, action.audience, f"action {action.name}"))
    for flow in declared_flows():
        for entry in flow.entries:
            found.append(_trigger(entry.trigger, entry.audience, f"flow {flow.name}"))
    return found


def _trigger(trigger: Any, audience: Audience, declared_by: str) -> Trigger:
    if isinstance(trigger, Command):
        return Trigger(f"/{trigger.name}", audience, None, declared_by)
    assert isinstance(trigger, type) and issubclass(trigger, ButtonData), trigger
    return Trigger(trigger.prefix, audience, trigger, declared_by)


@dataclasses.dataclass
class World:
    """Harbour Committee with Branch A and B; Branch A's object of every kind."""

    objects: dict[Any, int]  # entity id NewType -> Branch A's object of that kind
    applicant: int  # a pending registration to Branch A (a membership)
    group: int  # Branch A's party group
    social: int  # a social organization Branch A covers
    occurrence: str  # an occurrence key of Branch A's duty
    year: int
    actors: dict[str, Actor]


async def build_world(bot: Bot) -> World:
    cast = [(MEMBER_A, "a", MemberRole.MEMBER, MemberStatus.FULL),
            (SEC_A, "a", MemberRole.SECRETARY, MemberStatus.FULL),
            (MEMBER_B, "b", MemberRole.MEMBER, MemberStatus.FULL),
            (SEC_B, "b", MemberRole.SECRETARY, MemberStatus.FULL)]
    harbour = await seed_harbour(bot, cast, {k: v for k, v in NAMES.items() if k != APPLICANT_A})
    bot.person(STRANGER, "Stranger", language_code="en")
    bot.emulator.user(STRANGER).started = True  # has opened the bot, never registered
    a = harbour.branches["a"]
    assert bot.app is not None
    now = utcnow()
    today = bot.app.now().astimezone(bot.app.settings.tzinfo).date()
    async with bot.app.database.session() as s:
        org_a = await orgs.get_party_org(s, a)
        assert org_a is not None
        group = await orgs.create_group(s, org=org_a, name="Group A", actor_telegram_id=ADMIN_ID)
        social = await orgs.create_social_org(
            s, name="Bay Foundation", org_type=SocialOrgType.FOUNDATION, party_org_id=a,
            actor_telegram_id=ADMIN_ID,
        )
        invite = await invites.create_invite(s, org_id=a, created_by=SEC_A, valid_days=9,
                                           now=bot.app.now())
        applicant = await people.submit_registration(s, people.RegistrationForm(
            telegram_id=APPLICANT_A, language="en", real_name=NAMES[APPLICANT_A], org_id=a,
            status=MemberStatus.FULL, joined_party_on=date(2010, 1, 1), phone="+8613900000000",
            invite_id=None,
        ))
        meeting = await meetings.schedule(
            s, meetings.MeetingPlan(org_id=a, kind=MeetingKind.ASSEMBLY,
                                    starts_at=now + timedelta(minutes=10),
                                    ends_at=now + timedelta(hours=1), topic="A only",
                                    place="Room A"),
            created_by=SEC_A, now=now,
        )
        line = await s.scalar(select(Attendance.id).where(
            Attendance.meeting_id == meeting.id,
            Attendance.membership_id == harbour.membership[MEMBER_A]))
        assert line is not None
        record = await training.log_training(
            s, harbour.person[MEMBER_A],
            TrainingDraft(title="A course", kind=TrainingKind.ONLINE, starts_on=today,
                          ends_on=today, minutes=120),
            by=MEMBER_A, today=today, now=now,
            evidence=[training.EvidenceFile("photo-a", "uniq-a", "image/jpeg", 1000, None)],
        )
        duty = await duties.create_duty(
            s, title="A report", org_id=a, recurrence="yearly", day=10, month=5, on=None,
            lead_days=[3], audience=["secretaries"], by=ADMIN_ID,
        )
        occurrence = next(line.occurrence for line in await duties.upcoming(s, org_a, today)
                          if line.duty_id == duty.id)
        # A notice Branch A's secretary sent to Branch A's member, delivered.
        notice = Notice(author_telegram_id=SEC_A, party_organization_id=a,
                        text_html="A notice", state=NoticeState.SENT, requires_read=True,
                        sent_at=now, confirmed_at=now)
        s.add(notice)
        await s.flush()
        s.add(NoticeRecipient(notice_id=notice.id, person_id=harbour.person[MEMBER_A],
                              chat_id=MEMBER_A, party_organization_id=a))
        s.add(OutboxMessage(key=notices.key_of(notice.id, harbour.person[MEMBER_A]),
                            kind=notices.KIND, subject=notices.subject_of(notice.id),
                            chat_id=MEMBER_A, text="A notice", due_at=now, sent_at=now,
                            state=OutboxState.SENT))
        objects: dict[Any, int] = {
            OrgId: a, PersonId: harbour.person[MEMBER_A], MeetingId: meeting.id,
            TrainingId: record.id, NoticeId: notice.id, DutyId: duty.id, InviteId: invite.id,
            MembershipId: harbour.membership[MEMBER_A], AttendanceId: line,
        }
        actors = {name: await people.load_actor(s, user, admins=bot.settings.admins,
                                                language="en")
                  for name, user in PERSONAS.items()}
        applicant_id, group_id, social_id = applicant.id, group.id, social.id
    assert set(objects) == set(ENTITY_IDS), "a new entity kind needs Branch A's object here"
    assert actors["stranger"].person_id is None and actors["admin"].is_admin
    assert actors["member of A"].state is MembershipState.ACTIVE
    return World(objects, applicant_id, group_id, social_id, occurrence, today.year, actors)


# Fields that are not entity ids but still name something: Branch A's (or a valid) value.
def _named_values(world: World) -> dict[str, Any]:
    return {"page": 0, "year": world.year, "years": 5, "group": world.group,
            "social": world.social, "occurrence": world.occurrence}


# Families whose entity field needs a particular object of its kind to mean anything.
def _special_objects(world: World) -> dict[str, dict[Any, int]]:
    return {prefix: {MembershipId: world.applicant}
            for prefix in ("apv:y", "apv:n", "apv:n0", "apv:back")}


def value_of(kind: Any, name: str, family: str, world: World) -> Any:
    """A valid value of a field: Branch A's object for an entity id, else one of its kind."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        inner = [k for k in typing.get_args(kind) if k is not type(None)]
        return value_of(inner[0], name, family, world)
    entity = entity_of(kind)
    if entity is not None:
        return _special_objects(world).get(family, {}).get(entity, world.objects[entity])
    if typing.get_origin(kind) is typing.Literal:
        return typing.get_args(kind)[0]
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return next(iter(kind))
    if kind is bool:
        return True
    if kind is int or kind is str:
        named = _named_values(world)
        if name in named and isinstance(named[name], kind):
            return named[name]
        return 0 if kind is int else "x"
    raise TypeError(f"{family}: no value for field {name} of kind {kind!r}")


def forged(trigger: Trigger, world: World) -> str:
    """What the persona sends: callback data, or the command."""
    if trigger.button is None:
        return trigger.name
    values = {name: value_of(kind, name, trigger.name, world)
              for name, kind in trigger.button.fields()}
    return trigger.button(**values).pack()


def refused_personas(trigger: Trigger, world: World) -> list[str]:
    """Whom the declaration says to refuse, less the few open by design."""
    refused = [name for name, actor in world.actors.items()
               if not trigger.audience.admits(actor)
               or (trigger.names_objects and name in NOT_LEADING_A)]
    return [name for name in refused if (trigger.name, name) not in OPEN_BY_DESIGN]


async def fingerprint(bot: Bot) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table a press could change."""
    assert bot.app is not None
    found: dict[str, list[tuple[str, ...]]] = {}
    async with bot.app.database.session() as s:
        for table in Base.metadata.sorted_tables:
            if table.name not in BOOKKEEPING:
                rows = (await s.execute(select(table))).all()
                found[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return found


def changes(before: dict[str, list[tuple[str, ...]]],
            after: dict[str, list[tuple[str, ...]]]) -> list[str]:
    return [f"{name}: -{sorted(set(rows) - set(after[name]))} "
            f"+{sorted(set(after[name]) - set(rows))}"
            for name, rows in before.items() if after[name] != rows]


@dataclasses.dataclass
class Seen:
    """What one persona got back from one press."""

    texts: list[str]
    files: int

    def refused(self, persona: str, trigger: Trigger) -> bool:
        allowed = REFUSALS + (REGISTER_FIRST if persona == "stranger" else ())
        if trigger.name in REFUSED_IN_OTHER_WORDS:
            allowed += (t(REFUSED_IN_OTHER_WORDS[trigger.name]),)
        return self.files == 0 and any(r in text for text in self.texts for r in allowed)


def seen_since(bot: Bot, user: int, answers: int, messages: int) -> Seen:
    said = bot.emulator.bot_messages(user)[messages:]
    alerts = [a.text or "" for a in bot.emulator.callback_answers(user)[answers:]]
    return Seen(alerts + [m.text or "" for m in said],
                sum(1 for m in said if m.kind != "text"))


def test_every_declared_trigger_is_in_the_matrix() -> None:
    """No silent skips: one trigger per declared action and flow entry, each forgeable."""
    triggers = declared_triggers()
    entries = sum(len(flow.entries) for flow in declared_flows())
    assert len(triggers) == len(declared_actions()) + entries
    print(f"{len(declared_actions())} actions + {entries} flow entries = {len(triggers)}")
    names = {trigger.name for trigger in triggers}
    stale = [key for key in OPEN_BY_DESIGN if key[0] not in names or key[1] not in PERSONAS]
    assert not stale, f"OPEN_BY_DESIGN names no declared trigger or persona: {stale}"
    assert set(REFUSED_IN_OTHER_WORDS) <= names


async def test_declared_audiences_and_branches_are_enforced(bot: Bot) -> None:
    world = await build_world(bot)
    triggers = declared_triggers()
    failures: list[str] = []
    pressed: Counter[str] = Counter()
    open_to_all: list[str] = []
    covered: list[str] = []
    before = await fingerprint(bot)
    for trigger in triggers:
        data = forged(trigger, world)
        covered.append(data)
        refused = refused_personas(trigger, world)
        if not refused:
            assert not trigger.names_objects, f"{data}: Branch A's objects, nobody refused"
            open_to_all.append(data)
            continue
        marks = {}
        for name in refused:
            user = PERSONAS[name]
            marks[name] = (len(bot.emulator.callback_answers(user)),
                           len(bot.emulator.bot_messages(user)))
            if trigger.button is None:
                bot.emulator.send_text(user, data)
            else:
                bot.emulator.send_callback(user, UNSEEN_MESSAGE, data)
            pressed[name] += 1
        await bot.settle()
        for name in refused:
            seen = seen_since(bot, PERSONAS[name], *marks[name])
            if not seen.refused(name, trigger):
                failures.append(f"{data} ({trigger.declared_by}, {trigger.audience.name}) "
                                f"by {name}: not refused, saw {seen.texts} files={seen.files}")
        after = await fingerprint(bot)
        if after != before:
            failures.append(f"{data} ({trigger.declared_by}) by one of {refused} changed: "
                            + "; ".join(changes(before, after)))
            before = after
    print(f"{len(triggers)} triggers, {len(PERSONAS)} personas, "
          f"{sum(pressed.values())} refused presses: {dict(pressed)}; "
          f"open to everyone: {open_to_all}")
    assert len(covered) == len(declared_actions()) + sum(
        len(flow.entries) for flow in declared_flows())
    assert not failures, f"{len(failures)} holes:\n" + "\n".join(failures)



async def test_only_the_author_discards_a_draft_and_a_sent_notice_stays(bot: Bot) -> None:
    """nt:del (an old preview's button) goes through access_own_draft like every press."""
    world = await build_world(bot)
    assert bot.app is not None
    author = bot.person(SEC_A, NAMES[SEC_A], language_code="en")
    other = bot.person(SEC_B, NAMES[SEC_B], language_code="en")
    await author.say("/notice")
    await author.say("Dues are collected on Monday")
    await author.tap(t("Next: audience ›"))
    await author.tap(t("Preview ›"))
    async with bot.app.database.session() as s:
        draft = await s.scalar(select(Notice.id).where(Notice.state == NoticeState.DRAFT))
    assert draft is not None, author.texts()

    assert await forged_alert(other, f"nt:del:{draft}") == t(NOT_ALLOWED)
    sent = world.objects[NoticeId]
    assert await forged_alert(author, f"nt:del:{sent}") == t(STALE_BUTTON)
    async with bot.app.database.session() as s:
        assert {draft, sent} <= set((await s.scalars(select(Notice.id))).all())

    await author.forge(f"nt:del:{draft}")
    assert author.last_text == t("The notice was discarded.")
    async with bot.app.database.session() as s:
        assert await s.get(Notice, draft) is None


async def forged_alert(person: Any, data: str) -> str:
    """The alert a forged press was answered with ('' if none)."""
    before = len(person.alerts())
    await person.forge(data, UNSEEN_MESSAGE)
    alerts = person.alerts()
    return str(alerts[-1]) if len(alerts) > before else ""
