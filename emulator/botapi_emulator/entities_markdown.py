"""Telegram's MarkdownV2 parse mode (after TDLib's ``parse_markdown_v2``) and legacy Markdown."""

from __future__ import annotations

from dataclasses import dataclass

from .entities_base import (
    Entity,
    EntityParseError,
    TextBuilder,
    normalize_url,
    sort_entities,
    utf8_offset,
    utf16_len,
)

# Characters MarkdownV2 reserves outside entities (Telegram's list, in its order).
MARKDOWN_V2_RESERVED = "_*[]()~`>#+-=|{}.!"


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
    out = TextBuilder()
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
    return out.text(), sort_entities(entities)


def _close_quote(entities: list[Entity], start: int, out: TextBuilder) -> None:
    end = out.utf16
    # The quote ends before the newline that separated it from the next line.
    if out.parts and out.parts[-1].endswith("\n"):
        end -= 1
    if end > start:
        entities.append({"type": "blockquote", "offset": start, "length": end - start})


def _md_open_entity(text: str, i: int, stack: list[_MdOpen], out: TextBuilder) -> int:
    n = len(text)
    c = text[i]
    byte_offset = utf8_offset(text, i)
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
    out: TextBuilder,
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
                    f"Can't find end of a URL at byte offset {utf8_offset(text, url_begin)}"
                )
            target = "".join(chars)
        else:
            # "[text]" without a target uses the text itself as the link.
            target = out.text()[top.char_offset :]
        if kind == "text_link":
            url = normalize_url(target) if target else None
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


def parse_markdown(text: str) -> tuple[str, list[Entity]]:
    """Parse legacy Markdown (*bold*, _italic_, `code`, ```pre```, [text](url))."""
    out = TextBuilder()
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
                    f"{utf8_offset(text, begin)}"
                )
            label = text[i + 1 : close]
            i = close + 1
            url = ""
            if i < n and text[i] == "(":
                end = text.find(")", i + 1)
                if end < 0:
                    raise EntityParseError(
                        f"Can't find end of the entity starting at byte offset "
                        f"{utf8_offset(text, begin)}"
                    )
                url = text[i + 1 : end]
                i = end + 1
            out.add(label)
            normalized = normalize_url(url) if url else None
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
                f"Can't find end of the entity starting at byte offset {utf8_offset(text, begin)}"
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
    return out.text(), sort_entities(entities)
