"""The .xlsx of a training year (/training export): a sheet of members and one of courses.

A plain function over storage.training.TrainingExport, run by the handler in a worker thread
with every text already translated; it writes cells as the ledger's workbook does.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from handlers.kit.i18n import N_
from handlers.kit.sheets import header, put, require_texts, sheet_title
from rules.training import TrainingGroup, TrainingKind
from storage.training import TrainingExport

# Column headers and other texts of the workbook : the handler passes them translated.
WORKBOOK_TEXTS: Mapping[str, str] = {
    "members_sheet": N_("Members"),
    "courses_sheet": N_("Courses"),
    "title": N_("Training record"),
    "organization": N_("Organization"),
    "year": N_("Year"),
    "generated": N_("Generated"),
    "name": N_("Name"),
    "role_group": N_("Requirement group"),
    "required": N_("Required (h)"),
    "counted": N_("Counted (h)"),
    "pending": N_("Waiting for verification (h)"),
    "remaining": N_("Still to do (h)"),
    "progress": N_("Progress"),
    "on_track": N_("On track"),
    "yes": N_("yes"),
    "no": N_("no"),
    "course": N_("Course"),
    "organizer": N_("Organizer"),
    "kind": N_("Kind"),
    "starts_on": N_("First day"),
    "ends_on": N_("Last day"),
    "participants": N_("Participants (verified)"),
    "hours": N_("Hours"),
    "none": N_("None"),
    "lesson_source": N_("Party lesson in the bot"),
    "study_required": N_("Yearly study required, all kinds (h)"),
    "study_counted": N_("Yearly study counted (h)"),
}


HOURS_FORMAT = "0.0#"


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def _put_row(sheet: Any, row: int, cells: Sequence[tuple[object, str | None]]) -> None:
    """One row of cells, each with its number format (or none), from the first column."""
    for column, (value, number_format) in enumerate(cells, start=1):
        put(sheet, row, column, value, number_format=number_format)


def build_workbook(
    data: TrainingExport,
    texts: Mapping[str, str],
    kind_labels: Mapping[TrainingKind, str],
    group_labels: Mapping[TrainingGroup, str],
) -> bytes:
    """The .xlsx of a training year: a sheet of members and a sheet of courses (hours)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    require_texts(WORKBOOK_TEXTS, texts)
    workbook = Workbook()
    taken: set[str] = set()
    sheet = workbook.active
    sheet.title = sheet_title(texts["members_sheet"], taken)
    put(sheet, 1, 1, texts["title"]).font = Font(bold=True, size=14)
    facts = (("organization", data.org_name), ("year", data.year),
             ("generated", data.generated_at.strftime("%Y-%m-%d %H:%M")))
    for line, (key, value) in enumerate(facts, start=2):
        put(sheet, line, 1, texts[key])
        put(sheet, line, 2, value)
    kinds = list(TrainingKind)
    labels = [texts["name"], texts["organization"], texts["role_group"], texts["required"],
              texts["counted"], *[kind_labels.get(k, k.value) for k in kinds],
              texts["pending"], texts["remaining"], texts["progress"], texts["on_track"],
              texts["study_required"], texts["study_counted"]]
    widths = [14, 24, 10, 10, 10, *[10 for _ in kinds], 10, 10, 10, 10, 12, 12]
    header(sheet, 6, labels, widths)
    sheet.freeze_panes = sheet.cell(row=7, column=2)
    for row, member in enumerate(data.members, start=7):
        hours = [member.required, member.counted, *[member.done_by_kind.get(k, 0) for k in kinds],
                 member.pending, member.progress.remaining]
        _put_row(sheet, row, [
            (member.name, None), (member.org_name, None),
            (group_labels.get(member.group, member.group.value), None),
            *[(_hours(minutes), HOURS_FORMAT) for minutes in hours],
            (member.progress.fraction, "0%"),
            (texts["yes"] if member.on_track else texts["no"], None),
            (_hours(member.study_required), HOURS_FORMAT),
            (_hours(member.study_counted), HOURS_FORMAT),
        ])
    if not data.members:
        put(sheet, 7, 1, texts["none"])

    courses = workbook.create_sheet(sheet_title(texts["courses_sheet"], taken))
    header(courses, 1, [texts["course"], texts["organizer"], texts["kind"], texts["starts_on"],
                         texts["ends_on"], texts["participants"], texts["hours"]],
            [36, 24, 12, 12, 12, 10, 10])
    courses.freeze_panes = "A2"
    for row, course in enumerate(data.courses, start=2):
        organizer = course.organizer or ""
        if course.source == "lesson":
            organizer = texts["lesson_source"] + (f" ({organizer})" if organizer else "")
        _put_row(courses, row, [
            (course.title, None), (organizer, None),
            (kind_labels.get(course.kind, course.kind.value), None),
            (course.starts_on, "yyyy-mm-dd"), (course.ends_on, "yyyy-mm-dd"),
            (course.participants, None), (_hours(course.minutes), HOURS_FORMAT),
        ])
    if not data.courses:
        put(courses, 2, 1, texts["none"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
