"""What an import reports: the rows and columns that were wrong, or what it created."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.org_import.columns import (
    FILE_ROW,
    GROUP,
    MEMBER,
    PARTY,
    RECORD_KINDS,
    SOCIAL,
    match_key,
)


@dataclass(frozen=True)
class RowError:
    """One problem: row as a spreadsheet numbers it (header = 1; FILE_ROW = the whole
    file), column the canonical column name (None when not about one column)."""

    row: int
    column: str | None
    message: str


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass
class ImportReport:
    """What an import created (or would create, for a dry run) and what was wrong."""

    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECORD_KINDS, 0))
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    source: str = ""
    # Canonical column name -> the header as written in the file, for the report.
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def _column(self, column: str) -> str:
        written = self.headers.get(column)
        if written and match_key(written) != column:
            return f"{column} ({written})"
        return column

    def _where(self, error: RowError) -> str:
        if error.row == FILE_ROW:
            return "file"
        where = f"row {error.row}"
        if error.column:
            where += f", column {self._column(error.column)}"
        return where

    def format(self) -> str:
        source = self.source or "the file"
        if self.errors:
            lines = [
                f"{source}: {_plural(len(self.errors), 'error')}; nothing was imported."
            ]
            lines += [f"  {self._where(e)}: {e.message}" for e in self.errors]
            return "\n".join(lines)
        parts = [
            _plural(self.created.get(PARTY, 0), "party organization"),
            _plural(self.created.get(SOCIAL, 0), "social organization"),
            _plural(self.created.get(GROUP, 0), "party group"),
            _plural(self.created.get(MEMBER, 0), "member") + " appointed",
        ]
        summary = ", ".join(parts[:-1]) + " and " + parts[-1]
        if self.dry_run:
            return f"Dry run: {source} is valid and would create {summary}. Nothing was written."
        return f"Imported from {source}: {summary}."
