"""Forged button presses against every button family the running bot knows.

The families come from the application itself: every CallbackQueryHandler's pattern (also
inside conversations) gives a literal prefix such as `mem:card` or `nt:op`. Each persona
(stranger, member, secretary of the other branch, secretary, admin) presses each family with
malformed data (missing or extra parts, signs, numbers beyond 32 and 64 bits, digits of other
scripts, garbage) and with well-formed data naming Branch B's objects. Nothing may crash: the
error handler never logs an unhandled error, nobody reads "Sorry, something went wrong", and
refused presses write nothing. The variants are sampled per persona (deterministically) to keep
the run short; across the five personas every variant is pressed for every family.
"""

from __future__ import annotations

import logging
import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler

from handlers.kit.buttons import BadCallback
from handlers.kit.chat import Refused
from handlers.kit.context import BranchContext
from handlers.kit.i18n import translator
from handlers.kit.ui import cb_args
from rules.training import TrainingDraft
from rules.vocabulary import (
    MeetingKind,
    MemberRole,
    MemberStatus,
    NoticeState,
    SocialOrgType,
    TrainingKind,
)
from storage import duties, meetings, orgs, training
from storage.models import Base, Notice, NoticeRecipient
from tests.harness import ADMIN_ID, Bot, seed_harbour

STRANGER, MEMBER_A, SEC_A, SEC_B, MEMBER_B = 880_001, 880_002, 880_003, 880_004, 880_005
NAMES = {MEMBER_A: "Ann Member", SEC_A: "Sam Secretary", SEC_B: "Tom Secretary",
         MEMBER_B: "Bea Member", ADMIN_ID: "Admin"}
PERSONAS = (STRANGER, MEMBER_A, SEC_A, SEC_B, ADMIN_ID)
# Presses on Branch B's objects must be refused for these (the others may act on them).
OUTSIDERS_OF_B = (STRANGER, MEMBER_A, SEC_A)
# Tables a refused press must leave alone (conversation state and bookkeeping may change).
UNTOUCHED = [table.name for table in Base.metadata.sorted_tables
             if table.name not in ("conversation_states", "user_data", "processed_updates",
                                   "planner_watermarks")]
BAD_NUMBERS = ("", "x", "-1", "+1", " 1", "1_0", "2147483648", str(2**63), str(10**30),
               "²", "፩", "١", "1.5")
GARBAGE = "\x00ÿ☃:;'\"<b>\\%s{}" * 3
SORRY = (translator("en")("Sorry, something went wrong. Please try again."),
         translator("zh")("Sorry, something went wrong. Please try again."))
_LITERAL = re.compile(r"[A-Za-z0-9_:]*")
_ALTERNATION = re.compile(r"\(((?:[A-Za-z0-9_]+\|)*[A-Za-z0-9_]+)\)")


def callback_handlers(handlers: list[BaseHandler[Update, BranchContext, object]]
                      ) -> list[CallbackQueryHandler[BranchContext, object]]:
    """Every CallbackQueryHandler, also those in conversations' entry points, states and
    fallbacks."""
    found: list[CallbackQueryHandler[BranchContext, object]] = []
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            found += callback_handlers(list(handler.entry_points))
            for state in handler.states.values():
                found += callback_handlers(list(state))
            found += callback_handlers(list(handler.fallbacks))
        elif isinstance(handler, CallbackQueryHandler):
            found.append(handler)
    return found


def prefixes(pattern: str) -> list[str]:
    """The literal prefixes a pattern accepts: `^nt:(op|o):` -> nt:op, nt:o."""
    text = pattern.removeprefix("^")
    heads = [""]
    while text:
        literal = _LITERAL.match(text)
        assert literal is not None
        heads = [head + literal.group(0) for head in heads]
        text = text[literal.end():]
        group = _ALTERNATION.match(text)
        if not group:
            break
        heads = [head + choice for head in heads for choice in group.group(1).split("|")]
        text = text[group.end():]
    return sorted({head.rstrip(":") for head in heads if head.rstrip(":")})


def families(bot: Bot) -> list[str]:
    assert bot.app is not None
    found: set[str] = set()
    for group in bot.app.handlers.values():
        for handler in callback_handlers(list(group)):
            pattern = handler.pattern
            if isinstance(pattern, re.Pattern):
                found.update(prefixes(pattern.pattern))
            elif isinstance(pattern, str):
                found.update(prefixes(pattern))
    return sorted(found)


def malformed(family: str) -> list[str]:
    """Data no button of ours makes: bad numbers in each place, parts missing or extra."""
    variants = [family, family + ":", family + ":1:1:1:1:1", GARBAGE[:20], family + ":" + GARBAGE]
    for bad in BAD_NUMBERS:
        variants += [f"{family}:{bad}", f"{family}:{bad}:1", f"{family}:1:{bad}",
                     f"{family}:{bad}:{bad}"]
    return [v for v in variants if len(v.encode()) <= 64] + [GARBAGE.encode()[:64].decode(
        errors="ignore")]


@dataclass
class Targets:
    """Ids of Branch B's objects, for well-formed presses by people outside it."""

    ids: list[int]


async def seed(bot: Bot) -> Targets:
    cast = [(MEMBER_A, "a", MemberRole.MEMBER, MemberStatus.FULL),
            (SEC_A, "a", MemberRole.SECRETARY, MemberStatus.FULL),
            (SEC_B, "b", MemberRole.SECRETARY, MemberStatus.FULL),
            (MEMBER_B, "b", MemberRole.MEMBER, MemberStatus.FULL)]
    harbour = await seed_harbour(bot, cast, NAMES)
    bot.person(STRANGER, "Stranger", language_code="en")
    bot.emulator.user(STRANGER).started = True  # a press comes from a chat with the bot
    branch_b = harbour.branches["b"]
    assert bot.app is not None
    async with bot.app.database.session() as s:
        social = await orgs.create_social_org(
            s, name="Bay Foundation", org_type=SocialOrgType.FOUNDATION, party_org_id=branch_b,
            actor_telegram_id=ADMIN_ID,
        )
        org_b = await orgs.get_party_org(s, branch_b)
        assert org_b is not None
        group = await orgs.create_group(s, org=org_b, name="Group B", actor_telegram_id=ADMIN_ID)
        start = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)
        meeting = await meetings.schedule(
            s, meetings.MeetingPlan(org_id=branch_b, kind=MeetingKind.ASSEMBLY, starts_at=start,
                                    ends_at=start + timedelta(hours=1), topic="B only"),
            created_by=SEC_B, now=start - timedelta(days=3),
        )
        record = await training.log_training(
            s, harbour.person[MEMBER_B],
            TrainingDraft(title="B course", kind=TrainingKind.ONLINE,
                          starts_on=date(2030, 1, 2), ends_on=date(2030, 1, 2), minutes=120),
            by=MEMBER_B, today=date(2030, 1, 3), now=bot.app.now(),
        )
        duty = await duties.create_duty(
            s, title="B report", org_id=branch_b, recurrence="yearly", day=10, month=5,
            on=None, lead_days=[3], audience=["secretaries"], by=SEC_B,
        )
        notice = Notice(author_telegram_id=SEC_B, party_organization_id=branch_b,
                        text_html="B notice", state=NoticeState.SENT, sent_at=start,
                        confirmed_at=start)
        s.add(notice)
        await s.flush()
        s.add(NoticeRecipient(notice_id=notice.id, person_id=harbour.person[MEMBER_B],
                              chat_id=MEMBER_B, party_organization_id=branch_b))
        ids = {branch_b, social.id, group.id, meeting.id, record.id, duty.id, notice.id,
               harbour.person[MEMBER_B], harbour.membership[MEMBER_B],
               harbour.person[SEC_B], harbour.membership[SEC_B]}
    return Targets(sorted(ids))


def well_formed(family: str, targets: Targets) -> list[str]:
    return [data for target in targets.ids
            for data in (f"{family}:{target}", f"{family}:{target}:0", f"{family}:0:{target}")]


async def row_counts(bot: Bot) -> dict[str, int]:
    assert bot.app is not None
    async with bot.app.database.session() as s:
        return {name: int(await s.scalar(
            select(func.count()).select_from(Base.metadata.tables[name])) or 0)
            for name in UNTOUCHED}


@dataclass(eq=False)
class Crashes:
    """Unhandled errors seen by an error handler added next to the bot's own."""

    seen: list[tuple[str | None, str]]

    async def __call__(self, update: object, context: BranchContext) -> None:
        if isinstance(context.error, BadCallback | Refused):
            return
        data = (update.callback_query.data
                if isinstance(update, Update) and update.callback_query else None)
        self.seen.append((data, repr(context.error)))


async def press_all(bot: Bot, presses: dict[int, list[str]]) -> None:
    """Each persona sends its presses (and /commands) in order; personas in parallel."""
    longest = max(len(p) for p in presses.values())
    for start in range(0, longest, 150):
        for user_id, datas in presses.items():
            for data in datas[start:start + 150]:
                if data.startswith("/"):
                    bot.emulator.send_text(user_id, data)
                else:
                    bot.emulator.send_callback(user_id, 1, data)
        await bot.settle(limit=120)


def conversations(bot: Bot) -> list[ConversationHandler[BranchContext]]:
    assert bot.app is not None
    return [handler for group in bot.app.handlers.values() for handler in group
            if isinstance(handler, ConversationHandler)]


def families_of(handlers: list[BaseHandler[Update, BranchContext, object]]) -> list[str]:
    found: set[str] = set()
    for handler in callback_handlers(handlers):
        pattern = handler.pattern
        if isinstance(pattern, re.Pattern):
            found.update(prefixes(pattern.pattern))
    return sorted(found)


def inside_conversations(bot: Bot, targets: Targets, persona: int) -> list[str]:
    """Enter each conversation (its commands, its entry buttons with Branch B's ids), press
    its in-flow buttons with malformed data, then /cancel."""
    sequence: list[str] = []
    for conversation in conversations(bot):
        entries = list(conversation.entry_points)
        for entry in entries:
            if isinstance(entry, CommandHandler):
                sequence += [f"/{command}" for command in sorted(entry.commands)]
        for family in families_of(entries):
            sequence += [family] + [f"{family}:{target}" for target in targets.ids]
        states = [h for state in conversation.states.values() for h in state]
        for family in families_of(states):
            sequence += sampled(malformed(family), persona, 6)
        sequence.append("/cancel")
    return sequence


def sampled(variants: list[str], persona: int, share: int) -> list[str]:
    """Every `share`-th variant, starting at a persona-dependent offset (deterministic)."""
    offset = (*PERSONAS, MEMBER_B).index(persona)
    return [v for i, v in enumerate(variants) if i % share == offset % share]


async def test_forged_presses_never_crash_and_refused_ones_write_nothing(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    targets = await seed(bot)
    known = families(bot)
    assert {"mem:card", "nt:op", "tr:pk", "org:new:p", "apv:y", "lang", "rset"} <= set(known)
    # Changing a fixed list, and the past-meeting flow with its in-step buttons.
    assert {"ml:edit", "ml:rm", "ml:add", "pm:new", "pm:kind", "pm:group", "pm:t", "pm:pg",
            "pm:next", "pm:save"} <= set(known)
    assert bot.app is not None
    crashes = Crashes([])
    bot.app.add_error_handler(crashes)
    caplog.set_level(logging.INFO)
    rng = random.Random(7)

    # Malformed data, by everyone: refused, and nothing is written.
    before = await row_counts(bot)
    presses = {persona: [data for family in known
                         for data in sampled(malformed(family), persona, len(PERSONAS))]
               for persona in PERSONAS}
    for datas in presses.values():
        rng.shuffle(datas)
    await press_all(bot, presses)
    assert crashes.seen == [], "\n".join(map(str, crashes.seen))
    assert await row_counts(bot) == before

    # Branch B's objects, by people outside Branch B: refused, nothing written.
    presses = {persona: [data for family in known
                         for data in sampled(well_formed(family, targets), persona, 3)]
               for persona in OUTSIDERS_OF_B}
    await press_all(bot, presses)
    assert crashes.seen == [], "\n".join(map(str, crashes.seen))
    assert await row_counts(bot) == before

    # The same by Branch B's secretary and the admin: allowed or refused, never a crash.
    presses = {persona: [data for family in known
                         for data in sampled(well_formed(family, targets), persona, 3)]
               for persona in (SEC_B, ADMIN_ID)}
    await press_all(bot, presses)
    assert crashes.seen == [], "\n".join(map(str, crashes.seen))

    # Inside each conversation (where entering it is allowed): malformed in-flow presses.
    presses = {persona: inside_conversations(bot, targets, persona)
               for persona in (*PERSONAS, MEMBER_B)}
    await press_all(bot, presses)
    assert crashes.seen == [], "\n".join(map(str, crashes.seen))

    assert not [r for r in caplog.records if "error while handling an update" in r.getMessage()]
    for persona in (*PERSONAS, MEMBER_B):
        said = bot.emulator.bot_messages(persona)
        answers = [text for text, _alert in bot.emulator.callback_answers(persona) if text]
        assert not [text for text in [m.text for m in said] + answers
                    if any(sorry in (text or "") for sorry in SORRY)], persona


def test_callback_numbers_are_ascii_digits_within_32_bits() -> None:
    assert cb_args("mem:card:2147483647", "mem", str, int) == ["card", 2147483647]
    for bad in ("2147483648", str(2**63), str(10**30), "²", "١", "፩", " 1", "1_0", "+1", "-1",
                ""):
        with pytest.raises(BadCallback):
            cb_args(f"mem:card:{bad}", "mem", str, int)
