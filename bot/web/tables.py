"""Tables of the dashboard: one structure rendered as HTML and exported as .xlsx.

Every page builds its tables once; the HTML view and the workbook are two renderings of the
same rows, so an export always has exactly what the page shows (before paging).
Plain functions, escaping every value (html.escape with quotes) where it is written.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlencode

Value = str | int | float | date | datetime | None


def esc(value: object) -> str:
    """Text for HTML content or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False
    sortable: bool = False
    percent: bool = False  # float values are shares (0.25 is shown as 25%)


@dataclass(frozen=True)
class Cell:
    value: Value
    href: str | None = None
    mark: str = ""  # a CSS class: ok, due, behind


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    empty: str = "—"
    note: str = ""


def cell_text(value: Value, percent: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value * 100:.0f}%" if percent else f"{value:g}"
    return str(value)


PREFIX = "/dashboard"  # where the dashboard is served
FILE_PATH = PREFIX + "/files/{file_id}"  # a kept file (bot/web/files.py serves it)


def file_url(stored_id: int) -> str:
    """Where a stored file is served (relative to the dashboard's address)."""
    return FILE_PATH.replace("{file_id}", str(stored_id))


def link(path: str, query: Mapping[str, str] | None = None) -> str:
    """A path with a query string (empty values left out)."""
    params = {k: v for k, v in (query or {}).items() if v not in ("", None)}
    return path + ("?" + urlencode(params) if params else "")


def render_table(
    table: Table, *, sort: str = "", descending: bool = False,
    sort_link: Mapping[str, str] | None = None,
) -> str:
    """A <table>; sortable columns link to the same page with ?sort=…&dir=… (server-side)."""
    head = []
    for column in table.columns:
        label = esc(column.label)
        if column.sortable and sort_link is not None and column.key in sort_link:
            arrow = ""
            if column.key == sort:
                arrow = " ▼" if descending else " ▲"
            label = f'<a href="{esc(sort_link[column.key])}">{label}{arrow}</a>'
        css = ' class="num"' if column.numeric else ""
        head.append(f"<th{css}>{label}</th>")
    body = []
    for row in table.rows:
        cells = []
        for column, cell in zip(table.columns, row, strict=True):
            text = esc(cell_text(cell.value, column.percent))
            if cell.href:
                text = f'<a href="{esc(cell.href)}">{text}</a>'
            classes = " ".join(c for c in ("num" if column.numeric else "", cell.mark) if c)
            css = f' class="{esc(classes)}"' if classes else ""
            cells.append(f"<td{css}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not table.rows:
        body.append(f'<tr><td colspan="{len(table.columns)}" class="empty">'
                    f"{esc(table.empty)}</td></tr>")
    return (
        f'<table id="t-{esc(table.key)}"><thead><tr>{"".join(head)}</tr></thead>'
        f'<tbody>{"".join(body)}</tbody></table>'
    )


def workbook(tables: Sequence[Table], *, title: str, generated: str) -> bytes:
    """The tables as an .xlsx, one sheet each: a title line, then the header and the rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from handlers.kit.sheets import header, put, sheet_title

    book = Workbook()
    taken: set[str] = set()
    first = True
    for table in tables:
        sheet = book.active if first else book.create_sheet()
        first = False
        sheet.title = sheet_title(table.title, taken)
        put(sheet, 1, 1, title).font = Font(bold=True, size=12)
        put(sheet, 2, 1, f"{table.title} · {generated}")
        header(sheet, 4, [c.label for c in table.columns],
                [max(10, min(40, len(c.label) + 4)) for c in table.columns])
        sheet.freeze_panes = "A5"
        for line, row in enumerate(table.rows, start=5):
            for number, (column, cell) in enumerate(zip(table.columns, row, strict=True), 1):
                value = cell.value
                if value is None:
                    continue
                if isinstance(value, datetime):
                    put(sheet, line, number, value.replace(tzinfo=None),
                         number_format="yyyy-mm-dd hh:mm")
                elif isinstance(value, date):
                    put(sheet, line, number, value, number_format="yyyy-mm-dd")
                elif isinstance(value, float):
                    put(sheet, line, number, value,
                         number_format="0.0%" if column.percent else "0.0")
                elif isinstance(value, int) and column.numeric:
                    put(sheet, line, number, value)
                else:
                    put(sheet, line, number, str(value))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
