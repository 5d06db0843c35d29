"""Reading a .csv or .xlsx file as numbered rows of cells, within the limits, and its header
row as the position of each known column."""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from pathlib import Path

from storage.org_import.columns import (
    COLUMNS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_XLSX_UNPACKED_BYTES,
    REQUIRED_COLUMNS,
    Cells,
    cell_text,
    column_for,
    column_letter,
    shown,
)
from storage.org_import.report import ImportReport, RowError


class FileProblem(Exception):
    """The file cannot be read as a table at all."""


def _too_many_rows(number: int) -> FileProblem:
    return FileProblem(
        f"row {number}: a file may have at most {MAX_ROWS} rows; split it into smaller files"
    )


def _too_many_columns(number: int) -> FileProblem:
    return FileProblem(
        f"row {number}: a file may have at most {MAX_COLUMNS} columns "
        f"(A to {column_letter(MAX_COLUMNS - 1)})"
    )


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileProblem(
            f"the file has {size // 1024 // 1024} MB; at most {MAX_FILE_BYTES // 1024 // 1024} "
            "MB can be imported at once"
        )


def _read_csv(path: Path) -> list[tuple[int, Cells]]:
    _check_size(path)
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise FileProblem("this is a zip/Excel file, not CSV text; name it .xlsx")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileProblem("cannot read the file as UTF-8 or GB18030 text; save it as CSV UTF-8")
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:  # Excel in some locales saves with ';', some tools with tabs
        delimiter = "\t" if "\t" in first_line else ";" if ";" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, Cells]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            if not any(cell_text(c) for c in cells):
                continue
            if number > MAX_ROWS:
                raise _too_many_rows(number)
            if any(cell_text(c) for c in cells[MAX_COLUMNS:]):
                raise _too_many_columns(number)
            rows.append((number, list(cells[:MAX_COLUMNS])))
    except csv.Error as exc:
        raise FileProblem(f"line {reader.line_num}: {exc}") from None
    return rows


def _check_unpacked_size(path: Path) -> None:
    """Refuse a workbook that unpacks to far more than any organization list needs."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise FileProblem(f"cannot open the Excel file: {exc}") from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise FileProblem(
            f"the workbook unpacks to {unpacked // 1024 // 1024} MB; at most "
            f"{MAX_XLSX_UNPACKED_BYTES // 1024 // 1024} MB can be imported at once"
        )


def _read_xlsx(path: Path) -> list[tuple[int, Cells]]:
    from openpyxl import load_workbook

    _check_size(path)
    _check_unpacked_size(path)
    try:
        with warnings.catch_warnings():
            # e.g. "Data Validation extension is not supported": irrelevant here.
            warnings.simplefilter("ignore")
            workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a damaged or foreign file: report it, whatever broke
        raise FileProblem(f"cannot open the Excel file: {exc}") from None
    try:
        if not workbook.worksheets:
            raise FileProblem("the workbook has no worksheet")
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # some writers store a wrong size; read every row
        # The header row decides the width: later rows are read no wider, so one stray
        # cell in column XFD does not turn every row into 16,384 values.
        header: tuple[int, Cells] | None = None
        for number, values in enumerate(
            sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), start=1
        ):
            if number > MAX_ROWS:
                raise _too_many_rows(number)
            texts = [cell_text(v) for v in values]
            if any(texts):
                if len(texts) > MAX_COLUMNS and texts[MAX_COLUMNS]:
                    raise _too_many_columns(number)
                width = max(i for i, text in enumerate(texts) if text) + 1
                header = (number, list(values[:width]))
                break
        if header is None:
            return []
        rows = [header]
        for number, values in enumerate(
            sheet.iter_rows(min_row=header[0] + 1, max_col=len(header[1]), values_only=True),
            start=header[0] + 1,
        ):
            if any(cell_text(v) for v in values):
                if number > MAX_ROWS:
                    raise _too_many_rows(number)
                rows.append((number, list(values)))
        return rows
    except FileProblem:
        raise
    except Exception as exc:
        raise FileProblem(f"cannot read the Excel file: {exc}") from None
    finally:
        workbook.close()


def read_rows(path: Path) -> list[tuple[int, Cells]]:
    """The non-empty rows of the file with their numbers (row 1 is the file's first line),
    each at most MAX_COLUMNS wide (an .xlsx row: as wide as the header)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise FileProblem(
            f"unsupported file type '{path.suffix or path.name}': use a .csv or .xlsx file"
        )
    try:
        return _read_csv(path) if suffix == ".csv" else _read_xlsx(path)
    except OSError as exc:
        raise FileProblem(f"cannot read {path}: {exc.strerror or exc}") from None


def _describe_columns(columns: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"{c} ({COLUMNS[c]})" if c != "telegram_id" else c for c in columns)


def check_header(
    report: ImportReport, header_row: int, cells: Cells
) -> dict[str, int] | None:
    """Column name -> index, or None after reporting what is wrong with the header."""
    index: dict[str, int] = {}
    unknown: list[str] = []
    for position, cell in enumerate(cells):
        text = cell_text(cell)
        if not text:
            continue
        column = column_for(text)
        if column is None:
            unknown.append(text)
        elif column in index:
            report.errors.append(
                RowError(header_row, column, f"the column appears twice ('{shown(text)}')")
            )
        else:
            index[column] = position
            report.headers[column] = text
    if unknown:
        names = ", ".join(f"'{shown(u)}'" for u in unknown)
        report.errors.append(
            RowError(
                header_row, None,
                f"unknown column(s) {names}; the columns are {_describe_columns(list(COLUMNS))}",
            )
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    if missing:
        report.errors.append(
            RowError(header_row, None, f"missing column(s) {_describe_columns(missing)}")
        )
    return None if report.errors else index
