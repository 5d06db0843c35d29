"""What the verdicts on meetings read: counts per branch, kind, 党小组 and local month, and
the facts of each branch (creation date, committee, 党小组).

The counts (table meeting_counts) are kept by storage/meetings/closing.py inside the
transaction that closes a meeting or corrects its record, by increments (INSERT ... ON CONFLICT
DO UPDATE, so two closings at once both count). Months are local months of the deployment's
time zone.
`rebuild` recomputes the table from the meetings (demo data, benchmarks, a time zone change).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, case, delete, func, insert, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from rules import meetings as rules
from rules.meetings import MEMBER_STATUSES
from rules.verdicts import BranchFacts, CountKey, HeldCount
from rules.vocabulary import (
    AttendanceStatus,
    MeetingKind,
    MeetingState,
    MemberRole,
    MembershipState,
    MemberStatus,
)
from storage.models import (
    Attendance,
    Meeting,
    MeetingCount,
    Membership,
    PartyGroup,
    PartyOrganization,
)

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")  # BRANCHBOT_TIMEZONE's default
_GUESTS = (AttendanceStatus.GUEST, AttendanceStatus.GUEST_PRESENT)
# Committee members besides the secretary (a deputy sits on the committee too).
_COMMITTEE_BESIDES_SECRETARY = (MemberRole.DEPUTY_SECRETARY, MemberRole.COMMITTEE_MEMBER)


def month_of(starts_at: datetime, tz: tzinfo) -> date:
    """The first day of the local month a meeting starting at `starts_at` belongs to."""
    local = starts_at.astimezone(tz)
    return date(local.year, local.month, 1)


def group_key(kind: MeetingKind, party_group_id: int | None) -> int:
    """The 党小组 a count belongs to: only 党小组会 are counted per group; 0 for none."""
    return (party_group_id or 0) if kind is MeetingKind.GROUP else 0


def inquorate(kind: MeetingKind, present: int, expected: int) -> bool:
    """A committee meeting with half of the committee or fewer present (DOMAIN.md)."""
    return kind is MeetingKind.COMMITTEE and not rules.committee_quorum_met(present, expected)


async def _bump(
    session: AsyncSession, meeting: Meeting, tz: tzinfo, *, held: int, inquorate: int
) -> None:
    """Add to the meeting's bucket (created at zero if absent), atomically."""
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = make(MeetingCount).values(
        party_organization_id=meeting.party_organization_id, kind=meeting.kind,
        group_key=group_key(meeting.kind, meeting.party_group_id),
        month=month_of(meeting.starts_at, tz), held=held, inquorate=inquorate,
    )
    table = MeetingCount.__table__.c
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["party_organization_id", "kind", "group_key", "month"],
            set_={"held": table.held + statement.excluded.held,
                  "inquorate": table.inquorate + statement.excluded.inquorate},
        )
    )


async def meeting_closed(
    session: AsyncSession, meeting: Meeting, counts: rules.LedgerCounts, tz: tzinfo | None
) -> None:
    """Count a meeting that has just closed, with its quorum."""
    short = inquorate(meeting.kind, counts.present, counts.expected)
    await _bump(session, meeting, tz or DEFAULT_TZ, held=1, inquorate=int(short))


async def meeting_inquorate(session: AsyncSession, meeting_id: int, kind: MeetingKind) -> bool:
    """Whether a meeting's record as stored now lacks quorum (False for other kinds)."""
    if kind is not MeetingKind.COMMITTEE:
        return False
    expected, present = (
        await session.execute(
            select(
                func.sum(case((Attendance.status.not_in(_GUESTS), 1), else_=0)),
                func.sum(case((Attendance.status == AttendanceStatus.PRESENT, 1), else_=0)),
            ).where(Attendance.meeting_id == meeting_id)
        )
    ).one()
    return inquorate(kind, int(present or 0), int(expected or 0))


async def quorum_changed(
    session: AsyncSession, meeting: Meeting, was_inquorate: bool, tz: tzinfo | None
) -> None:
    """After a correction of a closed meeting's record: move it in or out of `inquorate`."""
    now_short = await meeting_inquorate(session, meeting.id, meeting.kind)
    if now_short != was_inquorate:
        await _bump(session, meeting, tz or DEFAULT_TZ, held=0,
                    inquorate=1 if now_short else -1)


async def rebuild(connection: AsyncConnection, tz: tzinfo) -> int:
    """Recompute every count from the closed meetings; returns the number of buckets."""
    closed = Meeting.state == MeetingState.CLOSED
    quorum = {
        mid: inquorate(MeetingKind.COMMITTEE, int(p or 0), int(e or 0))
        for mid, e, p in (
            await connection.execute(
                select(
                    Attendance.meeting_id,
                    func.sum(case((Attendance.status.not_in(_GUESTS), 1), else_=0)),
                    func.sum(case((Attendance.status == AttendanceStatus.PRESENT, 1), else_=0)),
                )
                .join(Meeting, Meeting.id == Attendance.meeting_id)
                .where(closed, Meeting.kind == MeetingKind.COMMITTEE)
                .group_by(Attendance.meeting_id)
            )
        ).all()
    }
    buckets: dict[tuple[int, MeetingKind, int, date], list[int]] = defaultdict(lambda: [0, 0])
    rows = await connection.execute(
        select(Meeting.id, Meeting.party_organization_id, Meeting.kind, Meeting.party_group_id,
               Meeting.starts_at).where(closed)
    )
    for mid, org_id, kind, group_id, starts in rows.all():
        if starts.tzinfo is None:  # a Core read on SQLite: stored as UTC without an offset
            starts = starts.replace(tzinfo=UTC)
        bucket = buckets[(org_id, kind, group_key(kind, group_id), month_of(starts, tz))]
        bucket[0] += 1
        bucket[1] += int(kind is MeetingKind.COMMITTEE and quorum.get(mid, True))
    await connection.execute(delete(MeetingCount))
    values = [
        {"party_organization_id": org_id, "kind": kind, "group_key": key, "month": month,
         "held": held, "inquorate": short}
        for (org_id, kind, key, month), (held, short) in buckets.items()
    ]
    for start in range(0, len(values), 5000):
        await connection.execute(insert(MeetingCount), values[start : start + 5000])
    return len(values)


async def counts_of(
    session: AsyncSession,
    where: Sequence[Any],
    *,
    since: Mapping[MeetingKind, date],
    until: date,
) -> dict[int, dict[CountKey, HeldCount]]:
    """Month counts per organization for each kind in `since` from its date to `until`
    (inclusive, first days of months); `where` restricts MeetingCount's columns."""
    kinds_by_start: dict[date, list[MeetingKind]] = defaultdict(list)
    for kind, first in since.items():
        kinds_by_start[first].append(kind)
    # Kind and month read raw and converted once per distinct value: thousands of rows.
    columns = (MeetingCount.party_organization_id, type_coerce(MeetingCount.kind, String),
               MeetingCount.group_key, type_coerce(MeetingCount.month, String),
               MeetingCount.held, MeetingCount.inquorate)
    # One range per start date (kind, month): served by ix_meeting_counts_kind_month.
    rows: list[Any] = []
    for first, kinds in kinds_by_start.items():
        rows += (
            await session.execute(
                select(*columns).where(MeetingCount.kind.in_(kinds), MeetingCount.month >= first,
                                       MeetingCount.month <= until, *where)
            )
        ).all()
    result: dict[int, dict[CountKey, HeldCount]] = defaultdict(dict)
    by_value = {kind.value: kind for kind in MeetingKind}
    months: dict[Any, date] = {}
    for org_id, kind, key, month, held, short in rows:
        day = months.get(month)
        if day is None:  # PostgreSQL returns a date, SQLite the ISO text
            day = months[month] = month if isinstance(month, date) else date.fromisoformat(month)
        result[org_id][(by_value[kind], key or None, day)] = HeldCount(held, short)
    return result


async def facts_of(
    session: AsyncSession, where: Sequence[Any], tz: tzinfo
) -> dict[int, BranchFacts]:
    """BranchFacts of every organization matching `where` (conditions on PartyOrganization):
    three grouped queries whatever their number."""
    orgs = (
        await session.execute(select(PartyOrganization.id, PartyOrganization.created_at)
                              .where(*where))
    ).all()
    if not orgs:
        return {}
    counted = and_(Membership.status.in_(sorted(MEMBER_STATUSES)),
                   Membership.role.in_(_COMMITTEE_BESIDES_SECRETARY))
    members = {
        oid: (int(full or 0), int(committee or 0))
        for oid, full, committee in (
            await session.execute(
                select(
                    Membership.party_organization_id,
                    func.sum(case((Membership.status == MemberStatus.FULL, 1), else_=0)),
                    func.sum(case((counted, 1), else_=0)),
                )
                .join(PartyOrganization, PartyOrganization.id == Membership.party_organization_id)
                .where(Membership.state == MembershipState.ACTIVE, *where)
                .group_by(Membership.party_organization_id)
            )
        ).all()
    }
    groups: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for oid, group_id, name in (
        await session.execute(
            select(PartyGroup.party_organization_id, PartyGroup.id, PartyGroup.name)
            .join(PartyOrganization, PartyOrganization.id == PartyGroup.party_organization_id)
            .where(*where)
            .order_by(PartyGroup.name, PartyGroup.id)
        )
    ).all():
        groups[oid].append((group_id, name))
    return {
        oid: BranchFacts(
            created_on=created.astimezone(tz).date() if created else None,
            full_members=members.get(oid, (0, 0))[0],
            committee_members=members.get(oid, (0, 0))[1],
            groups=tuple(groups.get(oid, ())),
        )
        for oid, created in orgs
    }


__all__ = [
    "DEFAULT_TZ",
    "counts_of",
    "facts_of",
    "group_key",
    "inquorate",
    "meeting_closed",
    "meeting_inquorate",
    "month_of",
    "quorum_changed",
    "rebuild",
]
