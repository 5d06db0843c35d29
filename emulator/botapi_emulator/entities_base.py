"""What every parse mode shares: entity offsets in UTF-16 units, error positions in UTF-8
bytes, text links as Telegram stores them, trimming, and the bot_command entities of user text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

Entity = dict[str, Any]

_WHITESPACE = " \t\r\n"


class EntityParseError(ValueError):
    """Raised with Telegram's reason text; the API layer prefixes "can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for entity offsets and limits."""
    return len(text.encode("utf-16-le")) // 2


def utf8_offset(text: str, index: int) -> int:
    # Telegram reports positions as UTF-8 byte offsets into the original text.
    return len(text[:index].encode("utf-8"))


@dataclass
class TextBuilder:
    """Accumulates output text while tracking its UTF-16 length for entity offsets."""

    parts: list[str] = field(default_factory=list)
    utf16: int = 0
    chars: int = 0

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.utf16 += utf16_len(chunk)
        self.chars += len(chunk)

    def text(self) -> str:
        return "".join(self.parts)


def sort_entities(entities: list[Entity]) -> list[Entity]:
    # Telegram orders entities by offset, outer (longer) ones first.
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def normalize_url(url: str) -> str | None:
    """Return the URL Telegram would store for a text link, or None if it isn't a link."""
    url = url.strip()
    if not url or any(c.isspace() for c in url):
        return None
    lowered = url.lower()
    if lowered.startswith(("http://", "https://", "tg://", "ton://", "mailto:")):
        return url
    if "://" in url:
        return None
    # Telegram accepts scheme-less links such as "example.com" and adds http://.
    if "." in url:
        return "http://" + url
    return None


def trim_formatted(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip leading/trailing whitespace like Telegram, shifting and clipping entities."""
    start = 0
    while start < len(text) and text[start] in _WHITESPACE:
        start += 1
    end = len(text)
    while end > start and text[end - 1] in _WHITESPACE:
        end -= 1
    if start == 0 and end == len(text):
        return text, entities
    shift = utf16_len(text[:start])
    limit = utf16_len(text[:end]) - shift
    trimmed: list[Entity] = []
    for entity in entities:
        e_start = max(entity["offset"] - shift, 0)
        e_end = min(entity["offset"] + entity["length"] - shift, limit)
        if e_end > e_start:
            trimmed.append({**entity, "offset": e_start, "length": e_end - e_start})
    return text[start:end], trimmed


_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?(?![\w/])")


def command_entities(text: str) -> list[Entity]:
    """bot_command entities Telegram attaches to user text such as "/start payload"."""
    entities: list[Entity] = []
    for match in _COMMAND_RE.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return entities
