"""Telegram-compatible parsing of formatted message text into plain text + entities.

Mirrors the behaviour of TDLib's ``parse_html`` / ``parse_markdown_v2`` closely enough that
a bot which passes here also passes on Telegram: same accepted tags, same error wording
(``Unsupported start tag "foo" at byte offset 12``), offsets and lengths in UTF-16 code units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

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

Entity = dict[str, Any]

# Tags Telegram's HTML parser knows; anything else is an "Unsupported start tag".
_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)

_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
}

_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

# Characters MarkdownV2 reserves outside entities (Telegram's list, in its order).
MARKDOWN_V2_RESERVED = "_*[]()~`>#+-=|{}.!"

_WHITESPACE = " \t\r\n"


class EntityParseError(ValueError):
    """Raised with Telegram's reason text; the API layer prefixes "can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for entity offsets and limits."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    # Telegram reports positions as UTF-8 byte offsets into the original text.
    return len(text[:index].encode("utf-8"))


@dataclass
class _TextBuilder:
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


def _sort_entities(entities: list[Entity]) -> list[Entity]:
    # Telegram orders entities by offset, outer (longer) ones first.
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _normalize_url(url: str) -> str | None:
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


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    byte_offset: int
    expandable: bool = False


def _decode_html_entity(text: str, index: int) -> tuple[str, int] | None:
    """Decode an entity starting at text[index] == '&'; return (char, next index) or None."""
    end = text.find(";", index + 1, index + 12)
    if end < 0:
        return None
    body = text[index + 1 : end]
    if body in _NAMED_HTML_ENTITIES:
        return _NAMED_HTML_ENTITIES[body], end + 1
    code: int | None = None
    if re.fullmatch(r"#[0-9]{1,7}", body):
        code = int(body[1:])
    elif re.fullmatch(r"#[xX][0-9a-fA-F]{1,6}", body):
        code = int(body[2:], 16)
    if code is None or code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), end + 1


def _decode_attribute(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            decoded = _decode_html_entity(value, i)
            if decoded is not None:
                out.append(decoded[0])
                i = decoded[1]
                continue
        out.append(value[i])
        i += 1
    return "".join(out)


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[Entity]]:
    """Parse Telegram-flavoured HTML into (plain text, entities).

    ``strict_ampersand`` rejects a bare ``&`` that doesn't start &lt; &gt; &amp; &quot; or a
    numeric reference. Telegram itself keeps such an ``&`` literally, but a bare ``&`` almost
    always means user text was not escaped, which breaks as soon as it contains ``<``.
    """
    out = _TextBuilder()
    stack: list[_OpenTag] = []
    entities: list[Entity] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is None:
                if strict_ampersand:
                    raise EntityParseError(
                        f'Unescaped "&" at byte offset {_byte_offset(text, i)}'
                        " (the sandbox is stricter than Telegram here: write &amp;)"
                    )
                out.add("&")
                i += 1
                continue
            out.add(decoded[0])
            i = decoded[1]
            continue
        if c != "<":
            # Copy the run of ordinary characters in one go.
            j = i + 1
            while j < n and text[j] not in "<&":
                j += 1
            out.add(text[i:j])
            i = j
            continue
        begin = i
        i += 1
        if i >= n or text[i] != "/":
            i = _parse_start_tag(text, begin, i, stack, out.utf16)
        else:
            i = _parse_end_tag(text, begin, i + 1, stack, entities, out)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return out.text(), _sort_entities(entities)


def _parse_start_tag(
    text: str, begin: int, i: int, stack: list[_OpenTag], utf16_offset: int
) -> int:
    n = len(text)
    while i < n and not text[i].isspace() and text[i] != ">":
        i += 1
    if i >= n:
        raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
    tag = text[begin + 1 : i].lower()
    if tag not in _HTML_TAGS:
        raise EntityParseError(
            f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
        )
    argument = ""
    expandable = False
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] == ">":
            break
        name_start = i
        while i < n and not text[i].isspace() and text[i] not in "=>":
            i += 1
        attribute = text[name_start:i].lower()
        if not attribute:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        while i < n and text[i].isspace():
            i += 1
        if i >= n or text[i] != "=":
            if tag == "blockquote" and attribute == "expandable":
                expandable = True
                continue
            raise EntityParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {_byte_offset(text, begin)}"
            )
        i += 1
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] not in "'\"":
            token_start = i
            while i < n and (text[i].isalnum() or text[i] in ".-_"):
                i += 1
            value = text[token_start:i].lower()
            if i >= n or (not text[i].isspace() and text[i] != ">"):
                raise EntityParseError(
                    f"Unexpected end of name token at byte offset {_byte_offset(text, token_start)}"
                )
        else:
            quote = text[i]
            end = text.find(quote, i + 1)
            if end < 0:
                raise EntityParseError(
                    f"Unclosed end of attribute value at byte offset {_byte_offset(text, i)}"
                )
            value = _decode_attribute(text[i + 1 : end])
            i = end + 1
        if tag == "a" and attribute == "href":
            argument = value
        elif tag == "code" and attribute == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and attribute == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag == "tg-emoji" and attribute == "emoji-id":
            argument = value
        # Unknown attributes are ignored, as Telegram does.
    if tag == "span" and argument != "spoiler":
        raise EntityParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
        )
    stack.append(
        _OpenTag(
            name=tag,
            argument=argument,
            utf16_offset=utf16_offset,
            byte_offset=_byte_offset(text, begin),
            expandable=expandable,
        )
    )
    return i + 1


def _parse_end_tag(
    text: str,
    begin: int,
    i: int,
    stack: list[_OpenTag],
    entities: list[Entity],
    out: _TextBuilder,
) -> int:
    n = len(text)
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
    name_start = i
    while i < n and not text[i].isspace() and text[i] != ">":
        i += 1
    end_name = text[name_start:i].lower()
    while i < n and text[i].isspace():
        i += 1
    if i >= n or text[i] != ">":
        raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
    open_tag = stack[-1]
    if end_name and end_name != open_tag.name:
        raise EntityParseError(
            f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
            f'expected "</{open_tag.name}>", found "</{end_name}>"'
        )
    stack.pop()
    offset = open_tag.utf16_offset
    length = out.utf16 - offset
    if length > 0:
        _add_html_entity(open_tag, offset, length, entities, out)
    return i + 1


def _add_html_entity(
    tag: _OpenTag, offset: int, length: int, entities: list[Entity], out: _TextBuilder
) -> None:
    name = tag.name
    if name in _SIMPLE_TAG_TYPES:
        entity: Entity = {"type": _SIMPLE_TAG_TYPES[name], "offset": offset, "length": length}
        if name == "code" and tag.argument:
            # Remembered so that an enclosing <pre> can turn it into a language block.
            entity["language"] = tag.argument
        entities.append(entity)
        return
    if name == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "code"
            and last["offset"] == offset
            and last["length"] == length
        ):
            # <pre><code class="language-x">…</code></pre> is one pre entity with a language.
            entities.pop()
            entity = {"type": "pre", "offset": offset, "length": length}
            if last.get("language"):
                entity["language"] = last["language"]
            entities.append(entity)
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
        return
    if name == "blockquote":
        kind = "expandable_blockquote" if tag.expandable else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})
        return
    if name == "tg-emoji":
        if tag.argument:
            entities.append(
                {
                    "type": "custom_emoji",
                    "offset": offset,
                    "length": length,
                    "custom_emoji_id": tag.argument,
                }
            )
        return
    if name == "a":
        url = _normalize_url(tag.argument) if tag.argument else None
        if url is not None:
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": url})


def _finish_code_languages(entities: list[Entity]) -> list[Entity]:
    # "language" is only meaningful on pre entities; a lone <code class=...> drops it.
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return entities


# --------------------------------------------------------------------------------------
# MarkdownV2
# --------------------------------------------------------------------------------------


@dataclass
class _MdOpen:
    kind: str
    argument: str
    utf16_offset: int
    byte_offset: int
    char_offset: int


_MD_TYPE_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "code": "Code",
    "pre": "Pre",
    "custom_emoji": "CustomEmoji",
}


def _reserved_error(char: str) -> EntityParseError:
    return EntityParseError(
        f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
    )


def parse_markdown_v2(text: str) -> tuple[str, list[Entity]]:
    """Parse MarkdownV2 into (plain text, entities) following TDLib's algorithm."""
    out = _TextBuilder()
    stack: list[_MdOpen] = []
    entities: list[Entity] = []
    quote_start: int | None = None
    n = len(text)
    i = 0
    while i < n:
        at_line_start = i == 0 or text[i - 1] == "\n"
        if at_line_start and not stack:
            if i < n and text[i] == ">":
                # Block quotes: consecutive lines that start with '>'.
                if quote_start is None:
                    quote_start = out.utf16
                i += 1
                continue
            if quote_start is not None:
                _close_quote(entities, quote_start, out)
                quote_start = None
        c = text[i]
        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.add(text[i + 1])
            i += 2
            continue
        reserved = MARKDOWN_V2_RESERVED
        if stack and stack[-1].kind in ("code", "pre"):
            reserved = "`"
        if c not in reserved:
            out.add(c)
            i += 1
            continue
        top = stack[-1] if stack else None
        is_end = False
        if top is not None:
            kind = top.kind
            nxt = text[i + 1] if i + 1 < n else ""
            if kind == "bold":
                is_end = c == "*"
            elif kind == "italic":
                is_end = c == "_" and nxt != "_"
            elif kind == "underline":
                is_end = c == "_" and nxt == "_"
            elif kind == "strikethrough":
                is_end = c == "~"
            elif kind == "spoiler":
                is_end = c == "|" and nxt == "|"
            elif kind == "code":
                is_end = c == "`"
            elif kind == "pre":
                is_end = text.startswith("```", i)
            elif kind in ("text_link", "custom_emoji"):
                is_end = c == "]"
        if not is_end:
            i = _md_open_entity(text, i, stack, out)
            continue
        assert top is not None
        i = _md_close_entity(text, i, top, stack, entities, out)
    if stack:
        top = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MD_TYPE_NAMES[top.kind]} entity at byte offset {top.byte_offset}"
        )
    if quote_start is not None:
        _close_quote(entities, quote_start, out)
    return out.text(), _sort_entities(entities)


def _close_quote(entities: list[Entity], start: int, out: _TextBuilder) -> None:
    end = out.utf16
    # The quote ends before the newline that separated it from the next line.
    if out.parts and out.parts[-1].endswith("\n"):
        end -= 1
    if end > start:
        entities.append({"type": "blockquote", "offset": start, "length": end - start})


def _md_open_entity(text: str, i: int, stack: list[_MdOpen], out: _TextBuilder) -> int:
    n = len(text)
    c = text[i]
    byte_offset = _byte_offset(text, i)
    argument = ""
    if c == "_":
        if i + 1 < n and text[i + 1] == "_":
            kind = "underline"
            i += 1
        else:
            kind = "italic"
    elif c == "*":
        kind = "bold"
    elif c == "~":
        kind = "strikethrough"
    elif c == "|":
        if i + 1 < n and text[i + 1] == "|":
            kind = "spoiler"
            i += 1
        else:
            raise _reserved_error(c)
    elif c == "[":
        kind = "text_link"
    elif c == "`":
        if text.startswith("```", i):
            kind = "pre"
            i += 3
            lang_end = i
            while lang_end < n and not text[lang_end].isspace() and text[lang_end] != "`":
                lang_end += 1
            if lang_end != i and lang_end < n and text[lang_end] != "`":
                argument = text[i:lang_end]
                i = lang_end
            # One newline right after the opening fence is not part of the block.
            if i < n and text[i] in "\r\n":
                if i + 1 < n and text[i + 1] in "\r\n" and text[i] != text[i + 1]:
                    i += 2
                else:
                    i += 1
            stack.append(_MdOpen(kind, argument, out.utf16, byte_offset, out.chars))
            return i
        kind = "code"
    elif c == "!" and i + 1 < n and text[i + 1] == "[":
        kind = "custom_emoji"
        i += 1
    else:
        raise _reserved_error(c)
    stack.append(_MdOpen(kind, argument, out.utf16, byte_offset, out.chars))
    return i + 1


def _md_close_entity(
    text: str,
    i: int,
    top: _MdOpen,
    stack: list[_MdOpen],
    entities: list[Entity],
    out: _TextBuilder,
) -> int:
    n = len(text)
    kind = top.kind
    extra: dict[str, str] = {}
    if kind in ("underline", "spoiler"):
        i += 1
    elif kind == "pre":
        i += 2
    elif kind in ("text_link", "custom_emoji"):
        target = ""
        if i + 1 < n and text[i + 1] == "(":
            url_begin = i + 1
            i += 2
            chars: list[str] = []
            while i < n and text[i] != ")":
                if text[i] == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
                    chars.append(text[i + 1])
                    i += 2
                    continue
                chars.append(text[i])
                i += 1
            if i >= n:
                raise EntityParseError(
                    f"Can't find end of a URL at byte offset {_byte_offset(text, url_begin)}"
                )
            target = "".join(chars)
        else:
            # "[text]" without a target uses the text itself as the link.
            target = out.text()[top.char_offset :]
        if kind == "text_link":
            url = _normalize_url(target) if target else None
            if url is not None:
                extra["url"] = url
        elif target.startswith("tg://emoji?id="):
            extra["custom_emoji_id"] = target[len("tg://emoji?id=") :]
    stack.pop()
    offset = top.utf16_offset
    length = out.utf16 - offset
    if length > 0:
        if kind == "pre":
            entity: Entity = {"type": "pre", "offset": offset, "length": length}
            if top.argument:
                entity["language"] = top.argument
            entities.append(entity)
        elif kind == "text_link":
            if "url" in extra:
                entities.append({"type": "text_link", "offset": offset, "length": length, **extra})
        elif kind == "custom_emoji":
            if "custom_emoji_id" in extra:
                entities.append(
                    {"type": "custom_emoji", "offset": offset, "length": length, **extra}
                )
        else:
            entities.append({"type": kind, "offset": offset, "length": length})
    return i + 1


# --------------------------------------------------------------------------------------
# Legacy Markdown
# --------------------------------------------------------------------------------------


def parse_markdown(text: str) -> tuple[str, list[Entity]]:
    """Parse legacy Markdown (*bold*, _italic_, `code`, ```pre```, [text](url))."""
    out = _TextBuilder()
    entities: list[Entity] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.add(c)
            i += 1
            continue
        begin = i
        offset = out.utf16
        if c == "[":
            close = text.find("]", i + 1)
            if close < 0:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset "
                    f"{_byte_offset(text, begin)}"
                )
            label = text[i + 1 : close]
            i = close + 1
            url = ""
            if i < n and text[i] == "(":
                end = text.find(")", i + 1)
                if end < 0:
                    raise EntityParseError(
                        f"Can't find end of the entity starting at byte offset "
                        f"{_byte_offset(text, begin)}"
                    )
                url = text[i + 1 : end]
                i = end + 1
            out.add(label)
            normalized = _normalize_url(url) if url else None
            if normalized is not None and label:
                entities.append(
                    {
                        "type": "text_link",
                        "offset": offset,
                        "length": utf16_len(label),
                        "url": normalized,
                    }
                )
            continue
        fence = "```" if text.startswith("```", i) else c
        end = text.find(fence, i + len(fence))
        if end < 0:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        inner = text[i + len(fence) : end]
        entity: Entity = {"type": "", "offset": offset, "length": 0}
        if fence == "```":
            language = ""
            newline = inner.find("\n")
            if newline > 0 and " " not in inner[:newline]:
                language, inner = inner[:newline], inner[newline + 1 :]
            entity["type"] = "pre"
            if language:
                entity["language"] = language
        else:
            entity["type"] = {"*": "bold", "_": "italic", "`": "code"}[c]
        out.add(inner)
        entity["length"] = utf16_len(inner)
        if entity["length"] > 0:
            entities.append(entity)
        i = end + len(fence)
    return out.text(), _sort_entities(entities)


# --------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------


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
        entities = _finish_code_languages(entities)
    elif mode.lower() == "markdownv2":
        plain, entities = parse_markdown_v2(text)
    elif mode.lower() == "markdown":
        plain, entities = parse_markdown(text)
    else:
        raise ValueError("unsupported parse_mode")
    return trim_formatted(plain, entities)


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
