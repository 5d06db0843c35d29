"""Translations: English message ids in code, catalogs in bot/locale (zh-CN by default)."""

from __future__ import annotations

import html
import io
from collections.abc import Mapping
from functools import cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"
# Our language code -> the catalog's locale and Telegram's language_code for setMyCommands.
LANGUAGES: Mapping[str, str] = {"zh": "zh_CN", "en": "en"}
DEFAULT_LANGUAGE = "zh"


class Html(str):
    """Text that is already valid Telegram HTML and must not be escaped again."""

    __slots__ = ()


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
    if isinstance(value, Html) or isinstance(value, int | float):
        return value
    return html.escape(str(value), quote=False)


class Translator:
    """`t("Hello, {name}", name=x)`: translate, then fill in HTML-escaped values."""

    def __init__(self, language: str) -> None:
        self.language = normalize_language(language)
        self._catalog = _catalog(self.language)

    def __call__(self, message: str, /, **values: Any) -> str:
        text = self._catalog.gettext(message)
        return text.format(**{k: _escape(v) for k, v in values.items()}) if values else text

    def plural(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        text = self._catalog.ngettext(singular, plural, n)
        return text.format(n=n, **{k: _escape(v) for k, v in values.items()})


@cache
def translator(language: str | None) -> Translator:
    return Translator(normalize_language(language))
