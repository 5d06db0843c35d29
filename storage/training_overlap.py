"""A party lesson attended and the same lesson logged by hand count once (issue 14).

Matching rule: a logged record of kind `lesson` by a person overlaps a 党课 when that person
was present at a closed meeting of kind LESSON whose local start date falls within the
record's days (starts_on to ends_on). The attended lesson (verified, its own duration) is the
one that counts; the logged record is left out of every total, pending or verified, and the
member is told so when logging it (a hint, never a refusal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.vocabulary import TrainingKind
from storage.models import LessonAttendance, Meeting, TrainingRecord
from storage.sql_functions import LocalDate


def _offset_minutes(tz: tzinfo, year: int) -> int:
    # The zone's offset in mid-year: exact for China (no daylight saving time).
    offset = tz.utcoffset(datetime(year, 7, 1))
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _attended(person_id: Any, starts_on: Any, ends_on: Any, tz: tzinfo, year: int) -> Any:
    """The lessons a person attended (storage/lesson_attendances.py) on the record's days."""
    local_day = LocalDate(LessonAttendance.starts_at, _offset_minutes(tz, year))
    return (
        select(LessonAttendance.meeting_id)
        .where(
            LessonAttendance.person_id == person_id,
            local_day >= starts_on,
            local_day <= ends_on,
        )
    )


def counted_once(tz: tzinfo, year: int) -> ColumnElement[bool]:
    """For a query over TrainingRecord: true unless the record repeats a lesson attended."""
    repeat = _attended(
        TrainingRecord.person_id, TrainingRecord.starts_on, TrainingRecord.ends_on, tz, year
    )
    return ~exists(repeat.where(TrainingRecord.kind == TrainingKind.LESSON))


@dataclass(frozen=True)
class AttendedLesson:
    meeting_id: int
    topic: str
    starts_at: datetime


async def attended_lesson(
    session: AsyncSession, person_id: int, kind: TrainingKind, starts_on: date, ends_on: date,
    *, tz: tzinfo,
) -> AttendedLesson | None:
    """The lesson attended that a record being logged repeats (the matching rule), if any."""
    if kind is not TrainingKind.LESSON:
        return None
    attended = _attended(person_id, starts_on, ends_on, tz, starts_on.year).subquery()
    row = (
        await session.execute(
            select(Meeting.id, Meeting.topic, Meeting.starts_at)
            .join(attended, attended.c.meeting_id == Meeting.id)
            .order_by(Meeting.starts_at, Meeting.id).limit(1)
        )
    ).first()
    return None if row is None else AttendedLesson(row[0], row[1], row[2])
