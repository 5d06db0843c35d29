"""Shared building blocks for replies: callback data, keyboards, names and dates.

The labels of domain values are in handlers/labels.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, TypeVar
from urllib.parse import urlencode

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from handlers.kit.buttons import BadCallback, ButtonData, callback_int, cb
from handlers.kit.i18n import Html, Translator, escape, html_join, plain_text

PAGE_SIZE = 8
MAX_MESSAGE = 4096  # Telegram's limit of a message's text
LANGUAGE_QUESTION = "请选择语言 / Choose your language"  # in both: none is chosen yet
T = TypeVar("T")


def cb_args(data: str | None, prefix: str, *kinds: type) -> list[Any]:
    """Split `prefix:a:b` and convert each part to the given type, else BadCallback."""
    parts = (data or "").split(":")
    if parts[0] != prefix or len(parts) != len(kinds) + 1:
        raise BadCallback(data)
    try:
        return [callback_int(raw, data) if kind is int else kind(raw)
                for raw, kind in zip(parts[1:], kinds, strict=True)]
    except ValueError:
        raise BadCallback(data) from None


def button(text: str, *data: object) -> InlineKeyboardButton:
    """A button; its label is plain text (Telegram does not parse HTML there)."""
    return InlineKeyboardButton(plain_text(text), callback_data=cb(*data))


def keyboard(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(r) for r in rows if r])


# Where a page button goes: the button to page n (a family with a page, or a lambda).
PageNav = Callable[[int], ButtonData]


def page_row(t: Translator, page: int, pages: int, nav: PageNav) -> list[InlineKeyboardButton]:
    """‹ n/m › between pages (nothing for a single page)."""
    if pages <= 1:
        return []
    row = [nav(page - 1).button(t("‹ Previous"))] if page > 0 else []
    row.append(nav(page).button(f"{page + 1}/{pages}"))
    if page < pages - 1:
        row.append(nav(page + 1).button(t("Next ›")))
    return row


def page_of(items: Sequence[T], page: int, size: int = PAGE_SIZE
            ) -> tuple[int, int, Sequence[T]]:
    """(page, pages, the items on it), the page clamped to those there are."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 0), pages - 1)
    return page, pages, items[page * size : (page + 1) * size]


def paged_rows(t: Translator, items: Sequence[InlineKeyboardButton], page: int, nav: PageNav,
               extra_rows: Sequence[Sequence[InlineKeyboardButton]] = (),
               ) -> list[list[InlineKeyboardButton]]:
    """One button per row, PAGE_SIZE a page, with ‹ › buttons carrying the page number."""
    page, pages, shown = page_of(items, page)
    rows = [[b] for b in shown]
    rows.append(page_row(t, page, pages, nav))
    rows.extend(list(r) for r in extra_rows)
    return [row for row in rows if row]


def paged(t: Translator, items: Sequence[InlineKeyboardButton], page: int, nav: PageNav,
          extra_rows: Sequence[Sequence[InlineKeyboardButton]] = ()) -> InlineKeyboardMarkup:
    return keyboard(paged_rows(t, items, page, nav, extra_rows))


def language_question(choose: Callable[[Literal["zh", "en"]], ButtonData]
                      ) -> tuple[Html, list[list[InlineKeyboardButton]]]:
    """Which language, asked in both, with a button for each."""
    return escape(LANGUAGE_QUESTION), [[choose("zh").button("中文"),
                                        choose("en").button("English")]]


def language_chosen(t: Translator, language: str) -> Html:
    """The language chosen, said in it."""
    return t("Language: English") if language == "en" else t("Language: Chinese")


def person_name(t: Translator, person: Any) -> str:
    """A person's real name, or their Telegram id if they were appointed before registering."""
    return person.real_name or t("Telegram user {id}", id=person.telegram_id)


def fmt_date(t: Translator, value: object) -> str:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else t("not set")


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f}%"


def fit(lines: list[Html]) -> Html:
    """Join whole lines (each valid HTML on its own) up to Telegram's message length."""
    kept: list[Html] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > MAX_MESSAGE - 2:
            kept.append(escape("…"))
            break
        kept.append(line)
        size += len(line) + 1
    return html_join("\n", kept)


def figure(value: Decimal, step: str) -> str:
    """A number rounded to `step` ("0.01"), without trailing zeros: 1.50 -> 1.5, 24.00 -> 24."""
    rounded = value.quantize(Decimal(step), rounding=ROUND_HALF_UP)
    return format(rounded, "f").rstrip("0").rstrip(".") or "0"


def form_url(base_url: str | None, path: str, **query: int | str) -> str | None:
    """A Mini App form's address, when the bot's web server has a public (https) one."""
    if not base_url or not base_url.lower().startswith("https://"):
        return None  # Telegram opens Mini Apps over https only
    return base_url.rstrip("/") + path + ("?" + urlencode(query) if query else "")


def form_button(t: Translator, base_url: str | None, path: str, label: str,
                **query: int | str) -> InlineKeyboardButton | None:
    """A button opening a Mini App form (`label` a message id), or None without an address."""
    url = form_url(base_url, path, **query)
    return None if url is None else InlineKeyboardButton(t.as_plain(label),
                                                         web_app=WebAppInfo(url))
