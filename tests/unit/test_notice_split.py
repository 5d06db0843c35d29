"""Splitting notices of maximal length into Telegram messages: each part parses as Telegram
parses HTML, fits the limit, and the parts together show the notice's text with the same
formatting, only whitespace at the cuts aside. The inputs are the adversarial ones: many
short lines (with and without markup), lines longer than a message without spaces, nested
markup across cuts, emoji (surrogate pairs) where a cut falls, entities and links.
"""

from __future__ import annotations

import pytest
from botapi_emulator.html_entities import parse_html, trim_formatted, utf16_len

from rules import notices as rules

LENGTH = rules.MAX_NOTICE_TEXT
LINK = '<a href="https://example.org/?a=1&amp;b=2">'


MAXIMAL = {
    "one-character lines": "".join(f"{i % 10}\n" for i in range(LENGTH // 2)),
    "one-character lines, bold": "".join(f"<b>{i % 10}</b>\n" for i in range(LENGTH // 2)),
    "five-character lines, bold and italic": "".join(
        f"<b><i>{i:05d}</i></b>\n" for i in range(LENGTH // 6)),
    "blank lines between short paragraphs": "".join(
        f"<u>P{i % 1000:03d}</u>\n\n" for i in range(LENGTH // 6)),
    "one line without spaces": "x" * LENGTH,
    "long lines without spaces, bold across lines": "<b>" + "\n".join(
        ["y" * 5000, "z" * 5000, "w" * 2286]) + "</b>",
    "nested markup open across every cut": "<blockquote><b>" + "".join(
        f"<i>line {i:04d}</i> text\n" for i in range(LENGTH // 15)) + "</b></blockquote>",
    "a link across cuts": LINK + " ".join(["word"] * (LENGTH // 5)) + "</a>",
    "emoji only (surrogate pairs)": "🎉" * (LENGTH // 2),
    "emoji after one character (a cut may fall inside a pair)": "a" + "🎉" * (LENGTH // 2 - 1),
    "emoji lines with spaces, nested": "".join(
        f"<b>{'🎉' * 3} <i>{'👍' * 2}</i></b> ok\n" for _ in range(LENGTH // 15)),
    "entities without spaces": "&amp;&lt;&gt;&quot;" * (LENGTH // 4),
    "entities inside markup, lines": "".join(
        f"<code>a&lt;b&amp;c</code> &quot;{i:04d}&quot;\n" for i in range(LENGTH // 13)),
    "chinese without spaces or lines": "中文通知" * (LENGTH // 4),
    "paragraphs of words": "\n\n".join(
        f"<b>Part {i}</b> " + "text " * 150 for i in range(LENGTH // 760)),
}


def shown(source: str) -> list[tuple[str, frozenset[str]]]:
    """What Telegram shows of `source`, without whitespace: each character and the
    formatting it carries."""
    text, entities = trim_formatted(*parse_html(source))
    styles: list[set[str]] = [set() for _ in range(utf16_len(text))]
    for entity in entities:
        label = entity["type"] + entity.get("url", "")
        for unit in range(entity["offset"], entity["offset"] + entity["length"]):
            styles[unit].add(label)
    found = []
    unit = 0
    for char in text:
        if not char.isspace():
            found.append((char, frozenset(styles[unit])))
        unit += utf16_len(char)
    return found


@pytest.mark.parametrize("limit", [rules.MAX_TEXT, 100])
@pytest.mark.parametrize("name", list(MAXIMAL))
def test_maximal_notices_split_into_parts_that_parse_fit_and_add_up(name: str, limit: int
                                                                    ) -> None:
    source = MAXIMAL[name]
    assert LENGTH * 0.98 <= rules.visible_length(source) <= LENGTH  # as long as allowed
    parts = rules.split_html(source, limit)
    assert len(parts) >= LENGTH // limit
    whole, _ = parse_html(source)
    cursor = 0
    for part in parts:
        text, _entities = trim_formatted(*parse_html(part))  # Telegram accepts it
        assert 0 < utf16_len(text) <= limit
        # The part is the next stretch of the notice: only whitespace was left at the cut.
        found = whole.find(text, cursor)
        assert found >= cursor and not whole[cursor:found].strip(), (name, cursor, text[:40])
        cursor = found + len(text)
    assert not whole[cursor:].strip()
    # Every visible character once, in order, with its formatting (tags reopened).
    assert [c for p in parts for c in shown(p)] == shown(source)


def test_a_cut_inside_a_line_never_splits_an_emoji_or_an_entity() -> None:
    parts = rules.split_html("a" + "🎉" * 3000)
    assert [utf16_len(parse_html(p)[0]) for p in parts] == [4095, 1906]
    parts = rules.split_html("&amp;" * 5000)
    assert [parse_html(p)[0] for p in parts] == ["&" * 4096, "&" * 904]
