"""The .xlsx of a training year (/training export): a sheet of members and one of courses.

A plain function over storage.training.TrainingExport, run by the handler in a worker thread
with every text already translated; it writes cells as the ledger's workbook does.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from handlers.kit.i18n import N_
from handlers.ledger.workbook import header, put, sheet_title
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


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def build_workbook(
    data: TrainingExport,
    texts: Mapping[str, str],
    kind_labels: Mapping[TrainingKind, str],
    group_labels: Mapping[TrainingGroup, str],
) -> bytes:
    """The .xlsx of a training year: a sheet of members and a sheet of courses (hours)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    missing = [key for key in WORKBOOK_TEXTS if key not in texts]
    if missing:
        raise ValueError(f"texts missing: {missing}")
    hours_format = "0.0#"
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
    row = 6
    header(sheet, row, labels, widths)
    sheet.freeze_panes = sheet.cell(row=row + 1, column=2)
    for member in data.members:
        row += 1
        progress = member.progress
        values: list[object] = [
            member.name, member.org_name, group_labels.get(member.group, member.group.value),
            _hours(member.required), _hours(member.counted),
            *[_hours(member.done_by_kind.get(k, 0)) for k in kinds],
            _hours(member.pending), _hours(progress.remaining),
        ]
        for column, value in enumerate(values, start=1):
            put(sheet, row, column, value,
                 number_format=hours_format if isinstance(value, float) else None)
        put(sheet, row, len(values) + 1, progress.fraction, number_format="0%")
        put(sheet, row, len(values) + 2, texts["yes"] if member.on_track else texts["no"])
        put(sheet, row, len(values) + 3, _hours(member.study_required),
             number_format=hours_format)
        put(sheet, row, len(values) + 4, _hours(member.study_counted),
             number_format=hours_format)
    if not data.members:
        put(sheet, row + 1, 1, texts["none"])

    courses = workbook.create_sheet(sheet_title(texts["courses_sheet"], taken))
    header(courses, 1, [texts["course"], texts["organizer"], texts["kind"], texts["starts_on"],
                         texts["ends_on"], texts["participants"], texts["hours"]],
            [36, 24, 12, 12, 12, 10, 10])
    courses.freeze_panes = "A2"
    for line, course in enumerate(data.courses, start=2):
        organizer = course.organizer or ""
        if course.source == "lesson":
            organizer = texts["lesson_source"] + (f" ({organizer})" if organizer else "")
        put(courses, line, 1, course.title)
        put(courses, line, 2, organizer)
        put(courses, line, 3, kind_labels.get(course.kind, course.kind.value))
        put(courses, line, 4, course.starts_on, number_format="yyyy-mm-dd")
        put(courses, line, 5, course.ends_on, number_format="yyyy-mm-dd")
        put(courses, line, 6, course.participants)
        put(courses, line, 7, _hours(course.minutes), number_format=hours_format)
    if not data.courses:
        put(courses, 2, 1, texts["none"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
