"""Translations: English message ids in code, catalogs in handlers/locale (zh-CN by default)."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parents[1] / "locale"
DOMAIN = "messages"
# Our language code -> the catalog's locale and Telegram's language_code for setMyCommands.
LANGUAGES: Mapping[str, str] = {"zh": "zh_CN", "en": "en"}
DEFAULT_LANGUAGE = "zh"


class Html(str):
    """Valid Telegram HTML, made by `t()`, `escape`, `html_join` and `html_format` only.

    The one path from values to message HTML: anything that is not Html is escaped when it is
    put into Html (formatted by `t()` or joined by `html_join`), so a stored or typed value can
    never become markup. Only this module wraps text in Html directly (tests/test_hostile_text
    checks). `Html + text` escapes the text too. The senders (handlers/kit/chat.py send, show,
    deliver) take Html, so a raw value, an f-string or a str.join sent as is fails mypy.
    """

    __slots__ = ()

    def __add__(self, other: str) -> Html:
        # Html + text: the text is escaped like any value (`t("x") + "\n" + t("y")` stays Html).
        return Html(str.__add__(self, escape(other)))

    def __radd__(self, other: str) -> Html:
        return Html(str.__add__(escape(other), self))


def escape(value: object) -> Html:
    """A value as message HTML: Html stays as it is, anything else is shown literally."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=False))


BLANK = Html("")  # an empty line in a list of Html lines


def html_join(separator: str, parts: Iterable[Html]) -> Html:
    """`separator.join(parts)` for message HTML; the parts are Html (`t()`, `escape(value)`)."""
    return Html(escape(separator).join(escape(part) for part in parts))


def html_format(template: str, /, **values: object) -> Html:
    """Untranslated markup (a literal template) with values filled in escaped, like `t()`."""
    return Html(template.format(**{k: _escape(v) for k, v in values.items()}))


_TAG = re.compile(r"<[^>]*>")


def plain_text(value: str) -> str:
    """What a person reads of some Html (tags dropped, entities decoded); other text as is."""
    if isinstance(value, Html):
        return html.unescape(_TAG.sub("", value))
    return value


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later where it is shown."""
    return message


def language_from_telegram(language_code: str | None) -> str:
    """Our language for a Telegram client language; Chinese unless the client is English."""
    return "en" if (language_code or "").lower().startswith("en") else DEFAULT_LANGUAGE


def normalize_language(language: str | None) -> str:
    return language if language is not None and language in LANGUAGES else DEFAULT_LANGUAGE


@cache
def _catalog(language: str) -> NullTranslations:
    po_file = LOCALE_DIR / LANGUAGES[language] / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_file.is_file():
        return NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=LANGUAGES[language])
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # compiled in memory: no build step, the .po is the source
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def _escape(value: Any) -> Any:
    # Numbers keep their format specs ({n:,}); everything else is escaped or already Html.
    return value if isinstance(value, int | float) else escape(value)


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float) else plain_text(value)


def _filled(text: str, values: dict[str, Any], fill: Callable[[Any], Any]) -> str:
    """The text with each value put in by `fill` (without values: as it is, braces and all)."""
    return text.format(**{k: fill(v) for k, v in values.items()}) if values else text


class Translator:
    """`t("Hello, {name}", name=x)`: translate, then fill in HTML-escaped values (message HTML).

    `t.as_plain(...)` fills values in as they are, for places Telegram shows as plain text:
    button labels, callback answers, command descriptions, file names.
    """

    def __init__(self, language: str) -> None:
        self.language = normalize_language(language)
        self._catalog = _catalog(self.language)

    def __call__(self, message: str, /, **values: Any) -> Html:
        return Html(_filled(self._catalog.gettext(message), values, _escape))

    def plural(self, singular: str, plural: str, n: int, /, **values: Any) -> Html:
        return Html(_filled(self._catalog.ngettext(singular, plural, n), {"n": n, **values},
                            _escape))

    def as_plain(self, message: str, /, **values: Any) -> str:
        """The message as plain text: values unescaped, for labels Telegram does not parse."""
        return _filled(self._catalog.gettext(message), values, _plain)

    def as_plain_plural(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        return _filled(self._catalog.ngettext(singular, plural, n), {"n": n, **values}, _plain)


@cache
def translator(language: str | None) -> Translator:
    """The one way to translate, for the sender or a recipient: `t = translator(language)`.

    Always named `t` (tests/unit/test_i18n_calls.py checks), since extraction only sees `t(...)`.
    """
    return Translator(normalize_language(language))


def in_every_language(message: str) -> list[str]:
    """A label as every language shows it: typed text matches a button in any language."""
    return [t.as_plain(message) for t in map(translator, LANGUAGES)]
