"""Notices as Telegram messages: lengths, splitting HTML at paragraph or line boundaries,
and the messages one recipient gets (attachments with a caption, or text on its own).

Plain functions without Telegram or the database; storage and the courier call them.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MAX_TEXT = 4096  # Telegram's limit for a message, in UTF-16 units after parsing the HTML
MAX_CAPTION = 1024  # ... and for a caption
MAX_NOTICE_TEXT = 3 * MAX_TEXT  # a notice is at most three messages of text
MAX_ATTACHMENTS = 5
ATTACHMENT_TYPES = frozenset({"photo", "document"})
STARS_PER_PAID_MESSAGE = Decimal("0.1")  # Telegram's price of a message above the free limit

# Tags, and text cut after every newline (so a part can end at any line).
_ATOM_RE = re.compile(r"<[^>]*>|[^<\n]*\n|[^<\n]+")
_TAG_NAME_RE = re.compile(r"</?\s*([a-zA-Z0-9-]+)")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def visible_text(source: str) -> str:
    """The text a reader sees: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", source))


def visible_length(source: str) -> int:
    return utf16_len(visible_text(source).strip())


def fits_caption(source: str) -> bool:
    return visible_length(source) <= MAX_CAPTION


# The open tags, innermost first, as a linked list (name, opening tag as written, the tags
# below it): a possible cut keeps the tags open there in O(1).
_Open = tuple[str, str, "_Open"] | None


@functools.lru_cache(maxsize=256)
def _tag(atom: str) -> tuple[str, bool, bool]:
    """A tag's name, whether it closes, and whether it stays open (not `<x/>`)."""
    match = _TAG_NAME_RE.match(atom)
    name = match.group(1).lower() if match else ""
    closes = atom.startswith("</")
    return name, closes, not closes and not atom.endswith("/>")


def _close(top: _Open, name: str) -> _Open:
    """The innermost open tag of that name ends (the ones inside it stay open)."""
    above = []
    node = top
    while node is not None and node[0] != name:
        above.append(node)
        node = node[2]
    if node is None:
        return top  # nothing of that name is open
    rest = node[2]
    for tag_name, opening, _below in reversed(above):
        rest = (tag_name, opening, rest)
    return rest


def _cut(text: str, start: int, budget: int) -> int:
    """Where a head of text[start:] of at most `budget` UTF-16 units ends, at a space if any."""
    end = min(len(text), start + budget)
    over = utf16_len(text[start:end]) - budget
    while over > 0:  # drop characters of one or two units each until the head fits
        end -= (over + 1) // 2
        over = utf16_len(text[start:end]) - budget
    space = text.rfind(" ", start, end)
    if space - start > (end - start) // 2:
        end = space + 1
    return end


def split_html(source: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut Telegram HTML into parts of at most `limit` visible UTF-16 units each.

    Parts end at a paragraph (blank line) when one lies in the second half of the part,
    else at a line end, else at a space; tags open at a cut are closed and opened again.

    One pass, linear in the source: every token is read, measured and emitted once. Sizes
    are running totals since the source's start, so a part's size is a difference; the last
    line end and the last blank line in the part are the only places a cut may go.
    """
    if limit < 16:
        raise ValueError("limit too small")
    parts: list[str] = []
    tokens: list[str] = []  # tags as written and escaped text, lines cut after "\n"
    start = 0  # the part being filled is `reopened` + tokens[start:]
    reopened: list[str] = []
    base = total = 0  # visible UTF-16 units before tokens[start], and so far
    chars_base = chars = 0  # the same in characters (a blank line needs two in the part)
    top: _Open = None
    last_two = ""  # the last two visible characters so far
    # A possible cut: (tokens before it, units and characters up to it, the tags open there).
    line: tuple[int, int, int, _Open] | None = None  # the part's last line end
    paragraph: tuple[int, int, int, _Open] | None = None  # ... and last blank line
    half = limit // 2
    quarter = limit // 4

    def finish(upto: int, size: int, counted: int, tags: _Open) -> None:
        """Tokens up to `upto` are a part, `tags` closed; the rest starts the next one."""
        nonlocal start, reopened, base, chars_base, line, paragraph
        closing = []
        node = tags
        while node is not None:
            closing.append(f"</{node[0]}>")
            node = node[2]
        body = "".join(reopened) + "".join(tokens[start:upto]) + "".join(closing)
        if visible_text(body).strip():
            parts.append(body.strip("\n"))
        # A new part does not start with blank lines.
        while upto < len(tokens) and tokens[upto][:1] != "<" and not tokens[upto].strip():
            size += utf16_len(tokens[upto])
            counted += len(tokens[upto])
            upto += 1
        start, base, chars_base = upto, size, counted
        reopened = []
        node = tags
        while node is not None:
            reopened.append(node[1])
            node = node[2]
        reopened.reverse()
        paragraph = None  # the part ended at the last one, or after it
        if line is not None and line[0] <= upto:
            line = None

    def end_part() -> None:
        """The part is full: end it at a paragraph in its second half, else at a line."""
        if paragraph is not None and paragraph[1] - base >= half:
            finish(*paragraph)
        elif line is not None:
            finish(*line)
        else:
            finish(len(tokens), total, chars, top)

    for atom in _ATOM_RE.findall(source):
        if atom[0] == "<":
            name, closes, stays = _tag(atom)
            if closes:
                top = top[2] if top is not None and top[0] == name else _close(top, name)
            elif stays:
                top = (name, atom, top)
            tokens.append(atom)
            continue
        plain = html.unescape(atom) if "&" in atom else atom
        size = len(plain) if plain.isascii() else utf16_len(plain)
        offset = 0  # plain[:offset] went into earlier parts (a line longer than a part)
        while size + total - base > limit:
            room = limit - (total - base)
            if line is not None or room < quarter:
                end_part()
                continue
            end = _cut(plain, offset, room)  # one line longer than a part: cut at a space
            head = plain[offset:end]
            tokens.append(html.escape(head, quote=False))
            head_size = utf16_len(head)
            total += head_size
            chars += len(head)
            size -= head_size
            last_two = (last_two + head)[-2:]
            finish(len(tokens), total, chars, top)
            offset = end
        if offset:
            plain = plain[offset:]
        tokens.append(
            html.escape(plain, quote=False) if "&" in atom or ">" in atom or offset else atom
        )
        total += size
        chars += len(plain)
        last_two = plain[-2:] if len(plain) > 1 else last_two[-1:] + plain
        if plain[-1] == "\n":
            line = (len(tokens), total, chars, top)
            if last_two == "\n\n" and chars - chars_base >= 2:  # a blank line in this part
                paragraph = line
    finish(len(tokens), total, chars, None)
    return parts


@dataclass(frozen=True)
class Step:
    """One Bot API message of a notice: a photo/document (maybe captioned) or text."""

    kind: str  # "photo" | "document" | "text"
    text: str | None = None
    file_id: str | None = None
    with_markup: bool = False  # the read button goes on the last message

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "file_id": self.file_id,
                "with_markup": self.with_markup}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Step:
        return cls(str(data["kind"]), data.get("text"), data.get("file_id"),
                   bool(data.get("with_markup")))


def delivery_steps(text_html: str, media: list[dict[str, Any]] | None) -> list[Step]:
    """What one recipient is sent: a single attachment carries text that fits a caption;
    otherwise attachments come first and the text follows, split at paragraphs."""
    files = [m for m in media or [] if m.get("type") in ATTACHMENT_TYPES]
    text = text_html.strip()
    steps: list[Step] = []
    if len(files) == 1 and text and fits_caption(text):
        steps.append(Step(files[0]["type"], text=text, file_id=files[0]["file_id"]))
    else:
        steps.extend(Step(f["type"], file_id=f["file_id"]) for f in files)
        if text:
            steps.extend(Step("text", text=part) for part in split_html(text))
    if steps:
        last = steps[-1]
        steps[-1] = Step(last.kind, last.text, last.file_id, with_markup=True)
    return steps


def paid_cost(recipients: int, messages_each: int) -> Decimal:
    """Stars a paid broadcast costs: every message is paid for."""
    return STARS_PER_PAID_MESSAGE * recipients * messages_each


def group_post(text_html: str, media: list[dict[str, Any]] | None, note: str
               ) -> tuple[str, list[dict[str, Any]] | None]:
    """What a linked group is posted, as one message (one post to delete on withdrawal): the
    notice itself when it is one message; else the start of its text and `note` (HTML: where
    the whole notice is), without attachments."""
    files = [m for m in media or [] if m.get("type") in ATTACHMENT_TYPES]
    text = text_html.strip()
    if len(delivery_steps(text, files)) <= 1:
        return text, files or None
    room = MAX_TEXT - visible_length(note) - 2
    first = split_html(text, room)[0] if visible_text(text).strip() else ""
    return (f"{first}\n\n{note}" if first else note), None
