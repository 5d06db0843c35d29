"""English from the catalog in what the bot showed a Chinese-speaking person (end of every chat
test, tests/conftest.py): the message ids are English, so an untranslated one shows as such."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from babel.messages.pofile import read_po
from botapi_emulator import BotApiEmulator
from sqlalchemy import select

from handlers.kit.i18n import LOCALE_DIR, language_from_telegram
from storage.db import Database
from storage.models import Person

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# A run of English words in a message id: two or more words, each of two letters or more.
_PHRASE = re.compile(r"[A-Za-z][A-Za-z'’-]+(?:[ ,;:]+[A-Za-z][A-Za-z'’-]+)+")
_TEXT_METHODS = {"sendMessage", "editMessageText"}
_CAPTION_METHODS = {"sendPhoto", "sendDocument", "sendAudio", "sendVideo", "editMessageCaption"}


def _plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


@cache
def _catalog() -> tuple[frozenset[str], tuple[str, ...]]:
    """Whole English messages (shown alone: a button, an alert) and English phrases in them."""
    with (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    chinese = " ".join(
        s for m in catalog if m.id for s in ([m.string] if isinstance(m.string, str) else m.string)
    )
    wholes: set[str] = set()
    phrases: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        for msgid in [message.id] if isinstance(message.id, str) else message.id:
            text = _plain(str(msgid))
            if not _PLACEHOLDER.search(text) and _WORD.search(text):
                wholes.add(text.strip())
            for part in _PLACEHOLDER.split(text):
                for phrase in _PHRASE.findall(part):
                    if phrase not in chinese:  # kept in English on purpose (a product name)
                        phrases.add(phrase)
    # Longest first: a leak is named by the most of it that matched.
    return frozenset(wholes), tuple(sorted(phrases, key=len, reverse=True))


def _markup_labels(markup: Any) -> Iterator[str]:
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not isinstance(markup, dict):
        return
    for key in ("inline_keyboard", "keyboard"):
        for row in markup.get(key) or []:
            for button in row:
                yield button if isinstance(button, str) else str(button.get("text", ""))


def shown_to(emulator: BotApiEmulator) -> Iterator[tuple[int, str, str]]:
    """(person, kind, text) for everything the bot showed in a private chat: messages, edits,
    captions, buttons and answers to button presses."""
    for call in emulator.api_calls:
        params = call.params
        try:
            chat = int(params.get("chat_id", 0))
        except (TypeError, ValueError):
            continue
        if chat <= 0:
            continue  # groups: their members read several languages
        if call.method in _TEXT_METHODS and params.get("text"):
            yield chat, "message", _plain(str(params["text"]))
        if call.method in _CAPTION_METHODS and params.get("caption"):
            yield chat, "caption", _plain(str(params["caption"]))
        for label in _markup_labels(params.get("reply_markup")):
            yield chat, "button", label
    for user in emulator.users:
        for answer in emulator.callback_answers(user.id):
            if answer.text:
                yield user.id, "alert", answer.text


def _typed(emulator: BotApiEmulator) -> list[str]:
    """What anyone typed (a notice, a name): the bot may show it back to anyone, as typed."""
    return [
        m.text for user in emulator.users for m in emulator.messages(user.id)
        if not m.from_bot and m.text
    ]


def leaks_in(text: str, allowed: list[str]) -> list[str]:
    """The English from the catalog in one text, once what the person typed is taken out."""
    wholes, phrases = _catalog()
    for typed in sorted(allowed, key=len, reverse=True):
        if typed.strip():
            text = text.replace(typed.strip(), " ")
    if text.strip() in wholes:
        return [text.strip()]
    found = []
    for phrase in phrases:
        if re.search(rf"(?<![A-Za-z]){re.escape(phrase)}(?![A-Za-z])", text):
            found.append(phrase)
            text = text.replace(phrase, " ")
    return found


async def chinese_readers(emulator: BotApiEmulator, database: Database) -> set[int]:
    """Who reads Chinese at the end: their stored language, else their Telegram client's."""
    async with database.session() as session:
        stored = dict((await session.execute(select(Person.telegram_id, Person.language))).all())
    return {
        user.id
        for user in emulator.users
        if (stored.get(user.id) or language_from_telegram(user.language_code)) == "zh"
    }


async def english_leaks(
    emulator: BotApiEmulator, database: Database, *, allowed: tuple[str, ...] = ()
) -> list[str]:
    """Every catalog English a Chinese reader was shown; `allowed`: names the test stored."""
    readers = await chinese_readers(emulator, database)
    leaks = []
    typed = [*_typed(emulator), *allowed]
    for chat, kind, text in shown_to(emulator):
        if chat not in readers:
            continue
        found = leaks_in(text, typed)
        if found:
            leaks.append(f"{chat} {kind} {text[:120]!r}: {found}")
    return list(dict.fromkeys(leaks))
