"""Telegram-compatible parsing of formatted message text into plain text + entities.

Mirrors the behaviour of TDLib's ``parse_html`` / ``parse_markdown_v2`` closely enough that
a bot which passes here also passes on Telegram: same accepted tags, same error wording
(``Unsupported start tag "foo" at byte offset 12``), offsets and lengths in UTF-16 code units.
"""

from __future__ import annotations

from .entities_base import (
    Entity,
    EntityParseError,
    command_entities,
    trim_formatted,
    utf16_len,
)
from .entities_html import finish_code_languages, parse_html
from .entities_markdown import parse_markdown, parse_markdown_v2

__all__ = [
    "EntityParseError",
    "command_entities",
    "parse_formatted",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "trim_formatted",
    "utf16_len",
]


def parse_formatted(
    text: str, parse_mode: str | None, *, strict_ampersand: bool = True
) -> tuple[str, list[Entity]]:
    """Parse ``text`` according to a Bot API parse_mode (None = literal) and trim it.

    Raises EntityParseError for malformed markup and ValueError("unsupported parse_mode")
    for an unknown mode.
    """
    mode = (parse_mode or "").strip()
    entities: list[Entity]
    if not mode:
        plain, entities = text, []
    elif mode.lower() == "html":
        plain, entities = parse_html(text, strict_ampersand=strict_ampersand)
        entities = finish_code_languages(entities)
    elif mode.lower() == "markdownv2":
        plain, entities = parse_markdown_v2(text)
    elif mode.lower() == "markdown":
        plain, entities = parse_markdown(text)
    else:
        raise ValueError("unsupported parse_mode")
    return trim_formatted(plain, entities)
