"""Telegram's HTML parse mode, after TDLib's ``parse_html``: the same tags and attributes, the
same error wording (``Unsupported start tag "foo" at byte offset 12``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .entities_base import (
    Entity,
    EntityParseError,
    TextBuilder,
    normalize_url,
    sort_entities,
    utf8_offset,
)

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
    out = TextBuilder()
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
                        f'Unescaped "&" at byte offset {utf8_offset(text, i)}'
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
    return out.text(), sort_entities(entities)


def _parse_start_tag(
    text: str, begin: int, i: int, stack: list[_OpenTag], utf16_offset: int
) -> int:
    n = len(text)
    while i < n and not text[i].isspace() and text[i] != ">":
        i += 1
    if i >= n:
        raise EntityParseError(f"Unclosed start tag at byte offset {utf8_offset(text, begin)}")
    tag = text[begin + 1 : i].lower()
    if tag not in _HTML_TAGS:
        raise EntityParseError(
            f'Unsupported start tag "{tag}" at byte offset {utf8_offset(text, begin)}'
        )
    argument = ""
    expandable = False
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {utf8_offset(text, begin)}")
        if text[i] == ">":
            break
        name_start = i
        while i < n and not text[i].isspace() and text[i] not in "=>":
            i += 1
        attribute = text[name_start:i].lower()
        if not attribute:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset '
                f"{utf8_offset(text, begin)}"
            )
        while i < n and text[i].isspace():
            i += 1
        if i >= n or text[i] != "=":
            if tag == "blockquote" and attribute == "expandable":
                expandable = True
                continue
            raise EntityParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {utf8_offset(text, begin)}"
            )
        i += 1
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {utf8_offset(text, begin)}")
        if text[i] not in "'\"":
            token_start = i
            while i < n and (text[i].isalnum() or text[i] in ".-_"):
                i += 1
            value = text[token_start:i].lower()
            if i >= n or (not text[i].isspace() and text[i] != ">"):
                raise EntityParseError(
                    f"Unexpected end of name token at byte offset {utf8_offset(text, token_start)}"
                )
        else:
            quote = text[i]
            end = text.find(quote, i + 1)
            if end < 0:
                raise EntityParseError(
                    f"Unclosed end of attribute value at byte offset {utf8_offset(text, i)}"
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
            f'Tag "span" must have class "tg-spoiler" at byte offset {utf8_offset(text, begin)}'
        )
    stack.append(
        _OpenTag(
            name=tag,
            argument=argument,
            utf16_offset=utf16_offset,
            byte_offset=utf8_offset(text, begin),
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
    out: TextBuilder,
) -> int:
    n = len(text)
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {utf8_offset(text, begin)}")
    name_start = i
    while i < n and not text[i].isspace() and text[i] != ">":
        i += 1
    end_name = text[name_start:i].lower()
    while i < n and text[i].isspace():
        i += 1
    if i >= n or text[i] != ">":
        raise EntityParseError(f"Unclosed end tag at byte offset {utf8_offset(text, begin)}")
    open_tag = stack[-1]
    if end_name and end_name != open_tag.name:
        raise EntityParseError(
            f"Unmatched end tag at byte offset {utf8_offset(text, begin)}, "
            f'expected "</{open_tag.name}>", found "</{end_name}>"'
        )
    stack.pop()
    offset = open_tag.utf16_offset
    length = out.utf16 - offset
    if length > 0:
        _add_html_entity(open_tag, offset, length, entities, out)
    return i + 1


def _add_html_entity(
    tag: _OpenTag, offset: int, length: int, entities: list[Entity], out: TextBuilder
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
        url = normalize_url(tag.argument) if tag.argument else None
        if url is not None:
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": url})


def finish_code_languages(entities: list[Entity]) -> list[Entity]:
    # "language" is only meaningful on pre entities; a lone <code class=...> drops it.
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return entities
