"""The ledger's .xlsx workbook, and the cell helpers every workbook of the bot writes with.

Plain functions over plain values (storage.ledger.LedgerData): the handler runs them in a worker
thread and passes in every text already translated. openpyxl is imported when a workbook is
built, so starting the bot does not pay for it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from handlers.kit.i18n import N_
from handlers.kit.sheets import header, put, require_texts, sheet_title
from handlers.labels import COMPLIANCE_STATUS_LABELS, GRADE_LABELS
from rules.meetings import MeetingKind
from rules.vocabulary import TransferState
from storage.ledger import LedgerData

MOVE_STATES = {
    TransferState.WAITING: N_("Waiting for an answer"), TransferState.ACCEPTED: N_("Accepted"),
    TransferState.RETURNED: N_("Returned"), TransferState.EXPIRED: N_("Expired"),
    TransferState.WITHDRAWN: N_("Withdrawn"),
}
# Column headers and other texts of the workbook: the handler passes them translated.
WORKBOOK_TEXTS: Mapping[str, str] = {
    "summary": N_("Summary"), "title": N_("Meeting ledger (三会一课)"),
    "organization": N_("Organization"), "period": N_("Period"), "generated": N_("Generated"),
    "compliance_title": N_("Meetings held against requirements"),
    "members_title": N_("Attendance per member"), "cancelled_title": N_("Cancelled meetings"),
    "none": N_("None"), "date": N_("Date"), "time": N_("Time"), "place": N_("Place"),
    "topic": N_("Topic"), "host": N_("Host"), "recorder": N_("Recorder"),
    "lecturer": N_("Lecturer"), "group": N_("Party group"), "expected": N_("Expected (应到)"),
    "present": N_("Present (实到)"), "on_leave": N_("On leave (请假)"),
    "absent": N_("Absent (缺席)"), "leave_names": N_("On leave: names and reasons"),
    "absent_names": N_("Absent: names"), "guests": N_("Guests present (列席)"),
    "minutes": N_("Minutes"), "attachments": N_("Attachments"), "kind": N_("Meeting kind"),
    "required": N_("Required"), "held": N_("Held"), "status": N_("Compliance status"),
    "name": N_("Name"), "rate": N_("Attendance rate"), "reason": N_("Reason"),
    "caught_up": N_("{name} (caught up)"), **COMPLIANCE_STATUS_LABELS,
    "no_groups": N_("no party groups"),
    "no_committee": N_("no committee (fewer than 7 full members)"),
    "before_creation": N_("not judged: before the branch was created"),
    "inquorate": N_("Without quorum"), "quorum": N_("Quorum (more than half)"), "yes": N_("yes"),
    "no": N_("no"), "entered_afterwards": N_("Entered afterwards"),
    "moves_title": N_("Membership transfers (组织关系转接)"), "letter": N_("Letter number"),
    "direction": N_("Direction"), "in": N_("In"), "out": N_("Out"), "from": N_("Transferred from"),
    "to": N_("Transferred to"), "where": N_("Where it stands"),
    **{f"move_{state.value}": label for state, label in MOVE_STATES.items()},
    "talks_title": N_("One-to-one talks"), "talk_with": N_("With whom"),
    "talk_by": N_("By whom"),
    "appraisal_title": N_("Democratic appraisal of members (民主评议党员)"), "year": N_("Year"),
    "appraisal_result": N_("Result"), "note": N_("Note"),
    "assembly_confirmed": N_("Confirmed by the assembly"),
    **{f"grade_{grade.value}": label for grade, label in GRADE_LABELS.items()},
}
# A kind's sheet: (text key, width, the one kind it is for, if only one).
COLUMNS: tuple[tuple[str, int, MeetingKind | None], ...] = (
    ("date", 12, None), ("time", 13, None), ("place", 22, None), ("topic", 30, None),
    ("host", 12, None), ("recorder", 12, None), ("group", 14, MeetingKind.GROUP),
    ("lecturer", 12, MeetingKind.LESSON), ("expected", 8, None), ("present", 8, None),
    ("on_leave", 8, None), ("absent", 8, None), ("quorum", 10, MeetingKind.COMMITTEE),
    ("leave_names", 28, None), ("absent_names", 24, None), ("guests", 18, None),
    ("minutes", 50, None), ("attachments", 10, None), ("entered_afterwards", 12, None),
)


def _table(ws: Any, row: int, title: str, labels: Sequence[str],
           rows: Sequence[Sequence[object]], *, none: str | None = None,
           widths: Sequence[int] | None = None, formats: Mapping[int, str] | None = None) -> int:
    """A titled table of the summary sheet from `row` on (`none` when empty): its last row."""
    from openpyxl.styles import Font

    put(ws, row, 1, title).font = Font(bold=True, size=12)
    row += 1
    header(ws, row, labels, widths)
    for values in rows:
        row += 1
        for column, value in enumerate(values, start=1):
            put(ws, row, column, value, number_format=(formats or {}).get(column))
    if not rows and none is not None:
        row += 1
        put(ws, row, 1, none)
    return row


def build_workbook(data: LedgerData, texts: Mapping[str, str],
                   kind_labels: Mapping[MeetingKind, str]) -> bytes:
    """The .xlsx: a summary sheet, then one sheet per kind with closed meetings."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    require_texts(WORKBOOK_TEXTS, texts)
    wrap = Alignment(wrap_text=True, vertical="top")
    workbook = Workbook()
    summary = workbook.active
    taken: set[str] = set()
    summary.title = sheet_title(texts["summary"], taken)
    period = data.period

    # Summary: heading, compliance per kind, attendance per member, cancelled meetings.
    put(summary, 1, 1, texts["title"]).font = Font(bold=True, size=14)
    for line, (key, value) in enumerate([
        ("organization", data.org_name),
        ("period", f"{period.label} ({period.first.isoformat()} – {period.last.isoformat()})"),
        ("generated", data.generated_at.strftime("%Y-%m-%d %H:%M")),
    ], start=2):
        put(summary, line, 1, texts[key])
        put(summary, line, 2, value)
    compliance: list[list[object]] = []
    for item in data.compliance.kinds:
        label = kind_labels.get(item.kind, item.kind.value)
        if item.not_applicable:
            compliance.append([label, item.group_name or "", "", item.requirement.minimum, "", "",
                               texts[item.not_applicable]])
            continue
        compliance += [[label, item.group_name or "", r.period_label, r.required, r.held,
                        r.inquorate if item.kind is MeetingKind.COMMITTEE else "",
                        texts[r.status]] for r in item.rows]
    row = _table(summary, 6, texts["compliance_title"],
                 [texts[key] for key in ("kind", "group", "period", "required", "held",
                                         "inquorate", "status")],
                 compliance, widths=[28, 18, 14, 10, 10, 12, 16])
    row = _table(summary, row + 2, texts["members_title"],
                 [texts[key] for key in ("name", "expected", "present", "on_leave", "absent",
                                         "rate")],
                 [[m.name, m.expected, m.present, m.on_leave, m.absent,
                   "" if m.rate is None else m.rate] for m in data.compliance.members],
                 none=texts["none"], formats={6: "0.0%"})
    row = _table(summary, row + 2, texts["cancelled_title"],
                 [texts[key] for key in ("date", "time", "kind", "topic", "reason")],
                 [[gone.starts_at.date(), gone.starts_at.strftime("%H:%M"),
                   kind_labels.get(gone.kind, gone.kind.value), gone.topic, gone.reason or ""]
                  for gone in data.cancelled],
                 none=texts["none"], formats={1: "yyyy-mm-dd"})
    row = _table(summary, row + 2, texts["moves_title"],
           [texts[key] for key in ("date", "letter", "name", "direction", "from", "to", "where")],
           [[move.issued_on, move.number, move.name, texts["in" if move.arrived else "out"],
             move.from_org, move.to_org, texts[f"move_{move.state.value}"]]
            for move in data.moves],
           none=texts["none"], formats={1: "yyyy-mm-dd"})
    row = _table(summary, row + 2, texts["talks_title"],
           [texts[key] for key in ("date", "talk_with", "talk_by", "topic")],
           [[talk.held_on, talk.name, talk.by_name, talk.topic] for talk in data.talks],
           none=texts["none"], formats={1: "yyyy-mm-dd"})
    _table(summary, row + 2, texts["appraisal_title"],
           [texts[key] for key in ("year", "name", "appraisal_result", "note",
                                   "assembly_confirmed")],
           [[line.year, line.name, texts[f"grade_{line.grade.value}"], line.note or "",
             line.confirmed_on or ""] for line in data.appraisals],
           none=texts["none"], formats={5: "yyyy-mm-dd"})

    # One sheet per kind that has closed meetings, in MeetingKind order.
    for kind in MeetingKind:
        rows = [m for m in data.meetings if m.kind is kind]
        if not rows:
            continue
        sheet = workbook.create_sheet(sheet_title(kind_labels.get(kind, kind.value), taken))
        columns = [(key, width) for key, width, only in COLUMNS if only in (None, kind)]
        header(sheet, 1, [texts[key] for key, _ in columns], [w for _, w in columns])
        sheet.freeze_panes = "A2"
        for line, meeting in enumerate(rows, start=2):
            values: dict[str, object] = {
                "date": meeting.starts_at.date(),
                "time": f"{meeting.starts_at:%H:%M}–{meeting.ends_at:%H:%M}",
                "place": meeting.place or meeting.online_url or "",
                "topic": meeting.topic,
                "host": meeting.host or "",
                "recorder": meeting.recorder or "",
                "group": meeting.group_name or "",
                "lecturer": meeting.lecturer or "",
                "expected": meeting.expected,
                "present": meeting.present,
                "on_leave": meeting.on_leave,
                "absent": meeting.absent,
                "quorum": texts["yes"] if meeting.quorate else texts["no"],
                "leave_names": "; ".join(
                    f"{name} ({reason})" if reason else name for name, reason in meeting.leave),
                "absent_names": "; ".join(texts["caught_up"].format(name=name) if done else name
                                          for name, done in meeting.absentees),
                "guests": "; ".join(meeting.guests),
                "minutes": meeting.minutes or "",
                "attachments": meeting.attachments,
                "entered_afterwards": texts["yes"] if meeting.entered_afterwards else "",
            }
            for column, (key, _) in enumerate(columns, start=1):
                cell = put(sheet, line, column, values[key],
                            number_format="yyyy-mm-dd" if key == "date" else None)
                if key in ("minutes", "leave_names", "absent_names", "guests", "topic"):
                    cell.alignment = wrap
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


__all__ = ["WORKBOOK_TEXTS", "build_workbook"]
