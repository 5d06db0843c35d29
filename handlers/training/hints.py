"""Hints shown while logging a training (never refusals): a 党课 already counted from
attendance (storage/training_overlap.py states the matching rule)."""

from __future__ import annotations

from datetime import tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.i18n import Html, Translator
from rules.training import TrainingDraft
from storage import training_overlap
from storage.training_overlap import AttendedLesson


async def attended_lesson(
    session: AsyncSession, person_id: int, training: TrainingDraft, tz: tzinfo
) -> AttendedLesson | None:
    """The lesson attended that this record repeats, if any."""
    return await training_overlap.attended_lesson(
        session, person_id, training.kind, training.starts_on, training.ends_on, tz=tz
    )


def overlap_note(t: Translator, lesson: AttendedLesson, tz: tzinfo) -> Html:
    return t(
        "ℹ️ You attended the party lesson «{topic}» on {date}; it already counts from the "
        "attendance record, so this entry will not be counted a second time.",
        topic=lesson.topic, date=lesson.starts_at.astimezone(tz).date().isoformat(),
    )
