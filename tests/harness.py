"""Play people against the real bot: it polls the Bot API emulator over HTTP like Telegram."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from botapi_emulator import BotApiEmulator

from bot.application import BranchApplication, build_application, prepare_database, serving
from bot.config import Settings
from rules.vocabulary import MemberRole, MemberStatus, PartyOrgKind
from storage import orgs, people
from storage.db import Database
from tests.english_leaks import english_leaks

ADMIN_ID = 900_001

# Whether the test running now has failed (tests/conftest.py records it): its leaks are not news.
FAILED = pytest.StashKey[bool]()
# The test running now (tests/conftest.py sets it): every bot it starts checks its language.
current_test: list[pytest.Item] = []


@dataclass
class Bot:
    """The running bot plus the emulator it talks to; restartable."""

    emulator: BotApiEmulator
    settings: Settings
    app: BranchApplication | None = None
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    async def start(self) -> None:
        await prepare_database(self.settings)
        self.app = build_application(self.settings)
        self._stack = AsyncExitStack()
        await self._stack.enter_async_context(serving(self.app))

    async def stop(self) -> None:
        await self._stack.aclose()
        self.app = None

    async def restart(self) -> None:
        """A stop and start of the process as an operator would do it."""
        await self.stop()
        await self.start()

    async def settle(self, limit: float = 15.0) -> None:
        """Wait until every update sent so far has been fetched and fully handled."""
        deadline = time.monotonic() + limit
        quiet_rounds = 0
        while quiet_rounds < 3:
            if time.monotonic() > deadline:
                raise TimeoutError("the bot did not finish handling updates in time")
            app = self.app
            busy = self.emulator.pending_updates() > 0 or app is None or app.busy
            quiet_rounds = 0 if busy else quiet_rounds + 1
            await asyncio.sleep(0.01)

    def refused_messages(self) -> list[str]:
        """Messages, edits and callback answers Telegram would have refused (e.g. HTML that does
        not parse); an edit that changes nothing is not counted (the bot expects that one)."""
        return [
            f"{r.method}: {r.description} ({r.params.get('text') or r.params.get('caption')!r})"
            for r in self.emulator.refusals
            if r.method.startswith(("send", "edit", "answer"))
            and "not modified" not in r.description
        ]

    def assert_all_accepted(self) -> None:
        """Every message the bot sent so far was accepted (usable at the end of any test)."""
        refused = self.refused_messages()
        assert not refused, "Telegram would have refused: " + "; ".join(refused)

    def person(self, user_id: int, name: str, language_code: str = "zh-hans") -> Person:
        self.emulator.add_user(user_id, name, language_code=language_code)
        return Person(self, user_id, name)

    def group(self, title: str, members: Iterable[Person], *, supergroup: bool = False) -> Group:
        """A group chat of these people with the bot in it (privacy mode: the emulator's)."""
        made = self.emulator.add_group(
            title, [m.user_id for m in members], supergroup=supergroup
        )
        return Group(self, made.id, title)


@dataclass
class Group:
    """A group chat the bot is a member of; read what the bot posted there."""

    bot: Bot
    chat_id: int
    title: str

    def bot_messages(self) -> list[Any]:
        return self.bot.emulator.bot_messages(self.chat_id)

    def texts(self) -> list[str]:
        return [m.text for m in self.bot_messages()]


@dataclass
class InGroup:
    """What one action in a group made the bot say: in the group, and in the person's chat."""

    group: list[Any]
    private: list[Any]
    update_id: int | None  # None: Telegram did not give the message to the bot at all


@dataclass
class Person:
    """One Telegram user: types, taps buttons, reads what the bot said."""

    bot: Bot
    user_id: int
    name: str

    @property
    def emu(self) -> BotApiEmulator:
        return self.bot.emulator

    def _seen(self) -> int:
        return len(self.emu.messages(self.user_id))

    async def _after(self, update: Any) -> list[Any]:
        before = self._seen()
        update()
        await self.bot.settle()
        return [m for m in self.emu.messages(self.user_id)[before:] if m.from_bot]

    async def _after_in(self, group: Group, action: Any) -> InGroup:
        emu = self.emu
        seen_group, seen_private = len(emu.messages(group.chat_id)), self._seen()
        update_id = action()
        await self.bot.settle()
        return InGroup(
            [m for m in emu.messages(group.chat_id)[seen_group:] if m.from_bot],
            [m for m in emu.messages(self.user_id)[seen_private:] if m.from_bot],
            update_id,
        )

    async def say_in(self, group: Group, text: str, *, reply_to: int | None = None) -> InGroup:
        """Type text (or a /command) in the group."""
        return await self._after_in(
            group, lambda: self.emu.send_group_text(group.chat_id, self.user_id, text,
                                                    reply_to=reply_to)
        )

    async def share_location_in(
        self, group: Group, latitude: float, longitude: float, *, reply_to: int | None = None
    ) -> InGroup:
        return await self._after_in(
            group, lambda: self.emu.send_group_location(
                group.chat_id, self.user_id, latitude, longitude, reply_to=reply_to
            )
        )

    async def forge_in(self, group: Group, message_id: int, data: str) -> InGroup:
        """Press a (possibly made-up) button under a message of the group."""
        return await self._after_in(
            group, lambda: self.emu.send_group_callback(group.chat_id, self.user_id,
                                                        message_id, data)
        )

    async def tap_in(self, group: Group, button: str, message_id: int) -> InGroup:
        """Press a button (by its text or data) under the bot's message in the group."""
        return await self._after_in(
            group, lambda: self.emu.press_group_button(group.chat_id, self.user_id,
                                                       message_id, button)
        )

    async def say(self, text: str) -> list[Any]:
        """Send text (or a /command); returns the bot's new messages."""
        return await self._after(lambda: self.emu.send_text(self.user_id, text))

    async def tap(self, button: str, message_id: int | None = None) -> list[Any]:
        """Press an inline button by its text (or data) on the newest bot message showing it.

        A button whose text merely contains `button` (e.g. after a tree mark) is pressed too
        when it is the only such button on that message.
        """
        target = message_id if message_id is not None else self.message_with_button(button)
        buttons = [b for row in self.emu.message(self.user_id, target).inline_keyboard or []
                   for b in row]
        if not any(button in (b.text, b.callback_data) for b in buttons):
            partial = [b for b in buttons if button in b.text and b.callback_data]
            if len(partial) == 1:
                data = partial[0].callback_data
                return await self._after(
                    lambda: self.emu.press_button(self.user_id, target, data, match="data")
                )
        return await self._after(lambda: self.emu.press_button(self.user_id, target, button))

    async def forge(self, data: str, message_id: int | None = None) -> list[Any]:
        """Send callback data no button of ours offered (as a modified client could)."""
        target = message_id if message_id is not None else self.last.message_id
        return await self._after(lambda: self.emu.send_callback(self.user_id, target, data))

    async def share_contact(self, phone: str, contact_user_id: int | None = None) -> list[Any]:
        return await self._after(
            lambda: self.emu.share_contact(self.user_id, phone, contact_user_id=contact_user_id)
        )

    def message_with_button(self, button: str) -> int:
        for message in reversed(self.emu.bot_messages(self.user_id)):
            for row in message.inline_keyboard or []:
                if any(button in (b.text, b.callback_data) for b in row):
                    return int(message.message_id)
        for message in reversed(self.emu.bot_messages(self.user_id)):
            texts = [b.text for row in message.inline_keyboard or [] for b in row]
            if sum(button in text for text in texts) == 1:
                return int(message.message_id)
        raise LookupError(f"{self.name} sees no button {button!r}; last: {self.last_text!r}")

    @property
    def last(self) -> Any:
        message = self.emu.last_bot_message(self.user_id)
        assert message is not None, f"the bot never wrote to {self.name}"
        return message

    @property
    def last_text(self) -> str:
        message = self.emu.last_bot_message(self.user_id)
        return message.text if message else ""

    def texts(self) -> list[str]:
        return [m.text for m in self.emu.bot_messages(self.user_id)]

    def saw(self, fragment: str) -> bool:
        return any(fragment in text for text in self.texts())

    def buttons(self, message: Any | None = None) -> list[str]:
        message = message or self.last
        return [b.text for row in message.inline_keyboard or [] for b in row]

    def keyboard(self) -> list[str]:
        rows = self.emu.reply_keyboard(self.user_id) or []
        return [b.text for row in rows for b in row]

    def alerts(self) -> list[str]:
        return [text for text, _alert in self.emu.callback_answers(self.user_id) if text]


async def running_bot(
    database_url: str, *, admins: frozenset[int] = frozenset({ADMIN_ID}), **settings: Any
) -> AsyncIterator[Bot]:
    """An emulator and the real bot polling it, on one database."""
    # Webhook tests point the bot's webhook at plain http on a free port (no port 443 here).
    async with BotApiEmulator(allow_http_webhooks=True, webhook_ports=None) as emulator:
        config = Settings(
            token=emulator.token,  # type: ignore[arg-type]
            api_base_url=emulator.base_url,
            database_url=database_url,
            admins=admins,
            # Tests that are about reminders run the planner themselves, on their own clock.
            # The bot's web server on any free port: tests run side by side. People in tests
            # act faster than any human: flood protection only where a test asks for it.
            **{"plan_reminders": False, "web_port": 0, "metrics_port": 0, "flood_burst": 10_000,
               **settings},
        )
        bot = Bot(emulator, config)
        await bot.start()
        try:
            yield bot
            await assert_no_english_reached_chinese_readers(bot)
        finally:
            if bot.app is not None:
                await bot.stop()


async def assert_no_english_reached_chinese_readers(bot: Bot) -> None:
    """Nothing from the catalog reached a Chinese reader in English (run when a bot of a test
    stops, unless the test failed); a test that stores English names the bot shows back lists
    them with `@pytest.mark.english(...)`."""
    item = current_test[-1] if current_test else None
    if item is None or item.stash.get(FAILED, False):
        return
    marker = item.get_closest_marker("english")
    allowed = tuple(marker.args) if marker else ()
    if bot.app is not None:
        leaks = await english_leaks(bot.emulator, bot.app.database, allowed=allowed)
    else:  # the test stopped the bot: read who reads Chinese from the database itself
        database = Database(bot.settings.database_url)
        try:
            leaks = await english_leaks(bot.emulator, database, allowed=allowed)
        finally:
            await database.dispose()
    assert not leaks, "English reached a Chinese reader:\n" + "\n".join(leaks)


@dataclass
class Harbour:
    """The ids of the two-branch world `seed_harbour` made."""

    committee: int
    branches: dict[str, int]  # "a", "b" -> organization id
    person: dict[int, int]  # Telegram id -> person id
    membership: dict[int, int]  # Telegram id -> membership id


async def seed_harbour(
    bot: Bot, cast: Iterable[tuple[int, str, MemberRole, MemberStatus]], names: dict[int, str]
) -> Harbour:
    """Harbour Committee with Branch A and B; `cast` (id, "a"/"b", role, status) appointed in
    English under their `names`, the admin a person, everyone in `names` has opened the bot."""
    assert bot.app is not None
    person: dict[int, int] = {}
    membership: dict[int, int] = {}
    async with bot.app.database.session() as s:
        top = await orgs.create_party_org(
            s, name="Harbour Committee", kind=PartyOrgKind.COMMITTEE, parent_id=None,
            actor_telegram_id=ADMIN_ID,
        )
        branches = {
            key: await orgs.create_party_org(
                s, name=name, kind=PartyOrgKind.BRANCH, parent_id=top.id,
                actor_telegram_id=ADMIN_ID,
            )
            for key, name in (("a", "Branch A"), ("b", "Branch B"))
        }
        for telegram_id, key, role, status in cast:
            line = await people.appoint_by_telegram_id(
                s, branches[key], telegram_id, role, status=status, actor_telegram_id=ADMIN_ID,
                language="en",
            )
            found = await people.person_by_telegram_id(s, telegram_id)
            assert found is not None
            found.real_name = names[telegram_id]
            person[telegram_id] = found.id
            membership[telegram_id] = line.id
        await people.ensure_person(s, ADMIN_ID, language="en", real_name="Admin")
        harbour = Harbour(top.id, {k: b.id for k, b in branches.items()}, person, membership)
    for telegram_id, name in names.items():
        bot.person(telegram_id, name, language_code="en")
        bot.emulator.user(telegram_id).started = True  # they have opened the bot before
    return harbour
