"""The cell helpers every workbook of the bot writes with (openpyxl, imported when a workbook
is built, so starting the bot does not pay for it)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

MAX_CELL = 32_000  # Excel's limit is 32,767 characters
SHEET_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")


def require_texts(wanted: Mapping[str, str], texts: Mapping[str, str]) -> None:
    """A workbook's texts come translated from the handler: every one it writes is there."""
    missing = [key for key in wanted if key not in texts]
    if missing:
        raise ValueError(f"texts missing: {missing}")


def clean(value: str) -> str:
    """Text a cell can hold: no control characters, at most MAX_CELL characters."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def put(ws: Any, row: int, column: int, value: object, *, number_format: str | None = None) -> Any:
    """Write one cell; text is always text (a topic starting with '=' is not a formula)."""
    cell = ws.cell(row=row, column=column)
    if value == "":
        return cell  # left empty
    if isinstance(value, str):
        cell.value = clean(value)
        cell.data_type = "s"
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
    return cell


def header(ws: Any, row: int, labels: Sequence[str], widths: Sequence[int] | None = None) -> None:
    """A header row: bold labels on a fill; columns at least `widths` wide."""
    from openpyxl.styles import Alignment, Font, PatternFill

    fill = PatternFill("solid", fgColor="DDE4EE")
    for column, label in enumerate(labels, start=1):
        cell = put(ws, row, column, label)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if widths:
            from openpyxl.utils import get_column_letter

            letter = get_column_letter(column)
            ws.column_dimensions[letter].width = max(
                ws.column_dimensions[letter].width or 0, widths[column - 1]
            )


def sheet_title(label: str, taken: set[str]) -> str:
    """A valid sheet title from a label, unique among `taken` (which it joins)."""
    title = SHEET_FORBIDDEN.sub(" ", label).strip()[:31] or "Sheet"
    base, n = title, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(title.lower())
    return title
