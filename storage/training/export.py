"""The yearly export: everything the .xlsx workbook shows, a line per member and per course."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules import training as rules
from rules.training import DEFAULT_POLICY, TrainingPolicy
from rules.vocabulary import (
    AttendanceStatus,
    MeetingKind,
    MeetingState,
    TrainingGroup,
    TrainingKind,
    TrainingState,
)
from storage.models import Attendance, Meeting, Membership, TrainingRecord, TrainingYear
from storage.sql_functions import MinutesBetween
from storage.training.totals import (
    counted_membership,
    display_name,
    member_progress,
    sql_pro_rata_target,
    year_bounds,
)


@dataclass(frozen=True)
class MemberYear:
    """One member's line in the export (minutes)."""

    membership_id: int
    name: str
    org_name: str
    group: TrainingGroup
    required: int
    counted: int
    pending: int
    target: int
    done_by_kind: Mapping[TrainingKind, int]
    # The members' yearly study, which binds leaders too (issue 14).
    study_required: int = 0
    study_counted: int = 0
    study_target: int = 0

    @property
    def progress(self) -> rules.Progress:
        return rules.Progress(self.required, self.counted, self.target)

    @property
    def study(self) -> rules.Progress:
        return rules.Progress(self.study_required, self.study_counted, self.study_target)

    @property
    def on_track(self) -> bool:
        """On track on every requirement binding the member."""
        return self.progress.on_track and self.study.on_track


@dataclass(frozen=True)
class CourseYear:
    """One course in the export: verified participants and their minutes in the year."""

    title: str
    organizer: str | None
    kind: TrainingKind
    starts_on: date
    ends_on: date
    participants: int
    minutes: int
    source: str = "record"  # or "lesson"


@dataclass(frozen=True)
class TrainingExport:
    org_name: str
    year: int
    on: date
    generated_at: datetime
    hours_per_day: int
    members: list[MemberYear]
    courses: list[CourseYear] = field(default_factory=list)


async def export_data(
    session: AsyncSession,
    org_ids: Collection[int] | None,
    year: int,
    *,
    org_name: str,
    tz: tzinfo,
    now: datetime,
    policy: TrainingPolicy = DEFAULT_POLICY,
    on: date | None = None,
) -> TrainingExport:
    """Everything the workbook shows for a year: a line per member, a line per course;
    `now` (the bot's clock) stamps it as generated."""
    when = on if on is not None else date(year, 12, 31)
    progress = member_progress(org_ids, year, tz, policy)
    target = sql_pro_rata_target(progress.c.required, when, year)
    study_target = sql_pro_rata_target(progress.c.study_required, when, year)
    member_rows = await session.execute(
        select(
            progress.c.membership_id, progress.c.real_name, progress.c.telegram_id,
            progress.c.org_name, progress.c.role_group, progress.c.required,
            progress.c.counted, progress.c.pending, target, progress.c.study_required,
            progress.c.study_counted, study_target,
            *[progress.c[f"k_{kind.value}"] for kind in TrainingKind],
        ).order_by(progress.c.org_name, progress.c.real_name, progress.c.membership_id)
    )
    kinds = list(TrainingKind)
    members = [
        MemberYear(
            row[0], display_name(row[1], row[2]), row[3], TrainingGroup(row[4]), int(row[5]),
            int(row[6]), int(row[7]), int(row[8]),
            {kind: int(value) for kind, value in zip(kinds, row[12:], strict=True)},
            int(row[9]), int(row[10]), int(row[11]),
        )
        for row in member_rows.all()
    ]

    persons = select(Membership.person_id).where(*counted_membership(org_ids))
    record_rows = await session.execute(
        select(
            func.min(TrainingRecord.title), func.min(TrainingRecord.organizer),
            TrainingRecord.kind, TrainingRecord.starts_on, TrainingRecord.ends_on,
            func.count(func.distinct(TrainingRecord.person_id)), func.sum(TrainingYear.minutes),
        )
        .join(TrainingYear, TrainingYear.record_id == TrainingRecord.id)
        .where(
            TrainingYear.year == year,
            TrainingRecord.state == TrainingState.VERIFIED,
            TrainingRecord.person_id.in_(persons),
        )
        .group_by(
            TrainingRecord.title_key, TrainingRecord.kind, TrainingRecord.starts_on,
            TrainingRecord.ends_on,
        )
    )
    courses = [
        CourseYear(title, organizer, kind, starts, ends, int(n), int(m or 0))
        for title, organizer, kind, starts, ends, n, m in record_rows.all()
    ]
    start, end = year_bounds(year, tz)
    minutes = MinutesBetween(Meeting.starts_at, Meeting.ends_at)
    lesson_rows = await session.execute(
        select(
            Meeting.topic, Meeting.lecturer, Meeting.starts_at, Meeting.ends_at, func.count(),
            func.sum(minutes),
        )
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .join(Membership, Membership.id == Attendance.membership_id)
        .where(
            Meeting.kind == MeetingKind.LESSON,
            Meeting.state == MeetingState.CLOSED,
            Attendance.status == AttendanceStatus.PRESENT,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
            Membership.person_id.in_(persons),
        )
        .group_by(Meeting.id, Meeting.topic, Meeting.lecturer, Meeting.starts_at, Meeting.ends_at)
    )
    courses += [
        CourseYear(topic, lecturer, TrainingKind.LESSON, starts.astimezone(tz).date(),
                   ends.astimezone(tz).date(), int(n), int(m or 0), "lesson")
        for topic, lecturer, starts, ends, n, m in lesson_rows.all()
    ]
    courses.sort(key=lambda c: (c.starts_on, c.title, c.source))
    return TrainingExport(
        org_name=org_name, year=year, on=when, generated_at=now.astimezone(tz),
        hours_per_day=policy.hours_per_day, members=members, courses=courses,
    )
