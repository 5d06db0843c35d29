"""Notices as Telegram messages: lengths, splitting HTML at paragraph or line boundaries,
and the messages one recipient gets (attachments with a caption, or text on its own).

Plain functions without Telegram or the database; storage and the courier call them.
"""

from __future__ import annotations

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

_TOKEN_RE = re.compile(r"<[^>]*>|[^<]+")
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


@dataclass
class _Tag:
    name: str
    opening: str  # the tag as written, to reopen it in the next part


def _cut(text: str, budget: int) -> tuple[str, str]:
    """Split plain text so the head is at most `budget` UTF-16 units, at a space if any."""
    size = 0
    end = 0
    for index, char in enumerate(text):
        size += utf16_len(char)
        if size > budget:
            break
        end = index + 1
    space = text.rfind(" ", 0, end)
    if space > end // 2:
        end = space + 1
    return text[:end], text[end:]


def _atoms(source: str) -> list[str]:
    """Tags, and text cut after every newline (so a part can end at any line)."""
    atoms: list[str] = []
    for token in _TOKEN_RE.findall(source):
        if token.startswith("<"):
            atoms.append(token)
        else:
            atoms.extend(line for line in re.split(r"(?<=\n)", token) if line)
    return atoms


def _track(stack: list[_Tag], atom: str) -> None:
    """Follow which tags are open after `atom`."""
    match = _TAG_NAME_RE.match(atom)
    name = match.group(1).lower() if match else ""
    if atom.startswith("</"):
        for position in range(len(stack) - 1, -1, -1):
            if stack[position].name == name:
                del stack[position]
                return
    elif not atom.endswith("/>"):
        stack.append(_Tag(name, atom))


def _breaks(tokens: list[str]) -> list[tuple[int, int, int, list[_Tag]]]:
    """Where a part may end: (tokens before, visible size, 2 paragraph | 1 line, open tags)."""
    stack: list[_Tag] = []
    size = 0
    text = ""
    found = []
    for index, token in enumerate(tokens):
        if token.startswith("<"):
            _track(stack, token)
            continue
        plain = html.unescape(token)
        size += utf16_len(plain)
        text = (text + plain)[-2:]
        if plain.endswith("\n"):
            found.append((index + 1, size, 2 if text == "\n\n" else 1, list(stack)))
    return found


def split_html(source: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut Telegram HTML into parts of at most `limit` visible UTF-16 units each.

    Parts end at a paragraph (blank line) when one lies in the second half of the part,
    else at a line end, else at a space; tags open at a cut are closed and opened again.
    """
    if limit < 16:
        raise ValueError("limit too small")
    parts: list[str] = []
    stack: list[_Tag] = []  # open tags after the last token of `current`
    current: list[str] = []

    def size_of(tokens: list[str]) -> int:
        return sum(utf16_len(html.unescape(t)) for t in tokens if not t.startswith("<"))

    def finish(upto: int, tags: list[_Tag]) -> None:
        nonlocal current
        head, tail = current[:upto], current[upto:]
        body = "".join(head) + "".join(f"</{t.name}>" for t in reversed(tags))
        if visible_text(body).strip():
            parts.append(body.strip("\n"))
        # A new part does not start with blank lines.
        while tail and not tail[0].startswith("<") and not tail[0].strip():
            tail.pop(0)
        current = [t.opening for t in tags] + tail

    def end_part() -> None:
        """The part is full: end it at a paragraph in its second half, else at a line."""
        breaks = _breaks(current)
        paragraphs = [b for b in breaks if b[2] == 2 and b[1] >= limit // 2]
        chosen = paragraphs[-1] if paragraphs else breaks[-1] if breaks else None
        if chosen is None:
            finish(len(current), list(stack))
        else:
            finish(chosen[0], chosen[3])

    for atom in _atoms(source):
        if atom.startswith("<"):
            _track(stack, atom)
            current.append(atom)
            continue
        plain = html.unescape(atom)
        while utf16_len(plain) + size_of(current) > limit:
            room = limit - size_of(current)
            if _breaks(current) or room < limit // 4:
                end_part()
                continue
            head, plain = _cut(plain, room)  # one line longer than a part: cut at a space
            current.append(html.escape(head, quote=False))
            finish(len(current), list(stack))
        current.append(html.escape(plain, quote=False))
    finish(len(current), [])
    return parts


@dataclass(frozen=True)
class Step:
    """One Bot API message of a notice: a photo/document (maybe captioned) or text."""

    kind: str  # "photo" | "document" | "text"
    text: str | None = None
    file_id: str | None = None
    with_markup: bool = False  # the read button goes on the last message


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
