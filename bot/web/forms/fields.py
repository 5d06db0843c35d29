"""The pieces every Mini App form is built of: a select, an input, a text box, and the checks of
a posted id or optional text. Every value goes through the dashboard's one escaping function."""

from __future__ import annotations

from collections.abc import Mapping

from bot.web.tables import esc
from handlers.kit.i18n import Html
from rules.validation import Invalid, clean_text

MAX_ID = 2**31 - 1


def number(raw: str | None) -> int | None:
    return (int(raw) if raw and raw.isascii() and raw.isdigit() and int(raw) <= MAX_ID
            else None)


def optional(raw: str, max_length: int) -> str | Invalid | None:
    """An optional one-line field: empty is None."""
    return clean_text(raw, max_length=max_length) if raw.strip() else None


def select(name: str, options: list[tuple[str, str]], chosen: str, label: Html,
           required: bool = True) -> str:
    items = "".join(f'<option value="{esc(value)}"{" selected" if value == chosen else ""}>'
                    f"{esc(text)}</option>" for value, text in options)
    need = " required" if required else ""
    return (f'<label class="field" for="{name}">{label}</label>'
            f'<select id="{name}" name="{name}"{need}>{items}</select>')


def field(name: str, label: Html, kind: str, value: str, *, max_length: int | None = None,
          required: bool = False, attrs: Mapping[str, str] | None = None) -> str:
    """An input; `attrs` adds more (min, max, inputmode...), escaped like the value."""
    extra = (f' maxlength="{max_length}"' if max_length else "") + (
        " required" if required else "") + "".join(
        f' {key}="{esc(item)}"' for key, item in (attrs or {}).items())
    return (f'<label class="field" for="{name}">{label}</label>'
            f'<input id="{name}" name="{name}" type="{kind}" value="{esc(value)}"{extra}>')


def hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" value="{esc(value)}">'


def textarea(name: str, label: Html, value: str, *, max_length: int, required: bool = False,
             placeholder: str = "") -> str:
    """A text box of several lines (its text and placeholder escaped)."""
    need = " required" if required else ""
    hint = f' placeholder="{esc(placeholder)}"' if placeholder else ""
    return (f'<label class="field" for="{name}">{label}</label>'
            f'<textarea id="{name}" name="{name}" maxlength="{max_length}" rows="8"{need}{hint}>'
            f"{esc(value)}</textarea>")
