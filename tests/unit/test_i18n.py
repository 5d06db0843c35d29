"""Every message the code shows has a Chinese translation with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from handlers.kit.i18n import (
    LOCALE_DIR,
    Html,
    escape,
    html_format,
    html_join,
    plain_text,
    translator,
)

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"t": None, "N_": None, "plural": (1, 2), "as_plain": None, "as_plain_plural": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
TAG = re.compile(r"</?([a-z-]+)")


def _code_messages() -> set[str]:
    found: set[str] = set()
    for package in ("bot", "handlers", "reminders", "rules", "storage"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, keywords=KEYWORDS, comment_tags=()
        ):
            found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def _catalog() -> dict[str, str]:
    with (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated: dict[str, str] = {}
    for message in catalog:
        if not message.id or "fuzzy" in message.flags:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if all(strings):  # Chinese has one plural form, used for singular and plural ids
            translated.update((str(i), str(strings[0])) for i in ids)
    return translated


def test_every_message_has_a_chinese_translation() -> None:
    missing = sorted(_code_messages() - set(_catalog()))
    assert not missing, "untranslated (run scripts/update-translations): " + repr(missing[:20])


def test_translations_keep_placeholders_and_tags() -> None:
    for message, translation in _catalog().items():
        assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(translation)), message
        assert sorted(TAG.findall(message)) == sorted(TAG.findall(translation)), message


def test_translator_escapes_values_but_not_markup() -> None:
    t = translator("en")
    assert t("Name: {name}", name="<b>x</b> & y") == "Name: &lt;b&gt;x&lt;/b&gt; &amp; y"
    assert t("Name: {name}", name=Html("<b>x</b>")) == "Name: <b>x</b>"
    assert translator("zh")("Name: {name}", name="王丽") == "姓名：王丽"
    assert translator("fr").language == "zh"  # unknown languages fall back to Chinese


def test_plain_variant_and_markup_helpers() -> None:
    t = translator("en")
    # Plain text (buttons, alerts, commands): the value as typed, Html values as read.
    assert t.as_plain("Name: {name}", name="<b>x</b> & y") == "Name: <b>x</b> & y"
    assert t.as_plain("Name: {name}", name=t("Name: {name}", name="A&B")) == "Name: Name: A&B"
    assert plain_text(t("Name: {name}", name="<i>")) == "Name: <i>"
    # Joining and adding escape what is not Html yet; Html is never escaped twice.
    joined = html_join("\n", [t("Name: {name}", name="a<b"), escape("c&d")])
    assert joined == "Name: a&lt;b\nc&amp;d" and isinstance(joined, Html)
    assert t("Name: {name}", name="x") + " & <y>" == "Name: x &amp; &lt;y&gt;"
    assert html_format("<b>{v}</b>", v="</b>") == "<b>&lt;/b&gt;</b>"
