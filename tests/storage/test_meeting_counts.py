"""The kept per-branch, per-period meeting counts (table meeting_counts, what every verdict
reads) always equal a recount from the meetings themselves, on SQLite and PostgreSQL: after
meetings are closed (two at once), records corrected, expected lists edited after closing, a
past meeting entered and a meeting cancelled; and `rebuild` computes the same table."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from rules.vocabulary import AttendanceStatus, CheckinMethod, MeetingKind, MeetingState
from storage import expected_lists, meeting_counts, past_meetings
from storage import meetings as store
from storage.db import Database
from storage.models import Attendance, Meeting, MeetingCount, Membership, PartyOrganization
from tests.storage.test_meetings_storage import LEADER, Branch, build_branch

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2030, 6, 1, 4, 0, tzinfo=UTC)  # "now" for entering a past meeting
P, L, A = AttendanceStatus.PRESENT, AttendanceStatus.ON_LEAVE, AttendanceStatus.ABSENT
Bucket = tuple[int, MeetingKind, int, date]  # organization, kind, 党小组 (0: none), month


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


async def recount(db: Database) -> dict[Bucket, tuple[int, int]]:
    """Held and held-without-quorum per bucket, straight from the closed meetings and their
    lines: a committee meeting needs more than half of its expected (non-guest) lines present."""
    async with db.session() as session:
        closed = (await session.scalars(
            select(Meeting).where(Meeting.state == MeetingState.CLOSED))).all()
        lines = (await session.execute(select(Attendance.meeting_id, Attendance.status))).all()
    expected: dict[int, int] = defaultdict(int)
    present: dict[int, int] = defaultdict(int)
    for meeting_id, status in lines:
        if status not in (AttendanceStatus.GUEST, AttendanceStatus.GUEST_PRESENT):
            expected[meeting_id] += 1
        present[meeting_id] += status is AttendanceStatus.PRESENT
    counts: dict[Bucket, list[int]] = defaultdict(lambda: [0, 0])
    for meeting in closed:
        starts = meeting.starts_at.astimezone(TZ)
        group = meeting.party_group_id or 0 if meeting.kind is MeetingKind.GROUP else 0
        bucket = counts[(meeting.party_organization_id, meeting.kind, group,
                         date(starts.year, starts.month, 1))]
        bucket[0] += 1
        bucket[1] += (meeting.kind is MeetingKind.COMMITTEE
                      and not present[meeting.id] * 2 > expected[meeting.id])
    return {key: (held, short) for key, (held, short) in counts.items()}


async def kept(db: Database) -> dict[Bucket, tuple[int, int]]:
    async with db.session() as session:
        rows = (await session.scalars(select(MeetingCount))).all()
    return {(r.party_organization_id, r.kind, r.group_key, r.month): (r.held, r.inquorate)
            for r in rows}


async def agree(db: Database) -> dict[Bucket, tuple[int, int]]:
    counted = await recount(db)
    assert await kept(db) == counted
    return counted


async def schedule(db: Database, org: int, kind: MeetingKind, starts: datetime, *,
                   group: int | None = None) -> int:
    async with db.session() as session:
        meeting = await store.schedule(
            session,
            store.MeetingPlan(org_id=org, kind=kind, starts_at=starts,
                              ends_at=starts + timedelta(hours=1), topic=f"{kind.value} topic",
                              place="Room 1", party_group_id=group),
            created_by=LEADER, now=starts - timedelta(days=1),
        )
        return meeting.id


async def hold(db: Database, org: int, kind: MeetingKind, starts: datetime,
               present: list[int], *, group: int | None = None) -> int:
    """Schedule, check in `present`, close an hour after the start."""
    meeting_id = await schedule(db, org, kind, starts, group=group)
    async with db.session() as session:
        meeting = await store.get_meeting(session, meeting_id)
        assert meeting is not None
        for membership_id in present:
            await store.check_in(session, meeting, membership_id, method=CheckinMethod.TAP,
                                 now=starts, by=LEADER)
    await close(db, meeting_id, starts + timedelta(hours=1))
    return meeting_id


async def close(db: Database, meeting_id: int, at: datetime) -> None:
    async with db.session() as session:
        meeting = await store.get_meeting(session, meeting_id)
        assert meeting is not None
        await store.close(session, meeting, minutes="minutes", by=LEADER, now=at, tz=TZ)


async def correct(db: Database, meeting_id: int, membership_id: int,
                  status: AttendanceStatus) -> None:
    async with db.session() as session:
        line = await store.attendance_of(session, meeting_id, membership_id)
        assert line is not None
        await store.correct_attendance(session, line, status=status, by=LEADER,
                                       reason="the paper list", tz=TZ)


async def test_kept_counts_equal_a_recount_and_a_rebuild(db: Database) -> None:
    b: Branch = await build_branch(db)
    committee = [b.secretary, b.committee]  # the committee: two, quorum needs both
    jan, feb, mar = date(2030, 1, 7), date(2030, 2, 4), date(2030, 3, 4)

    # Closed as held: a committee meeting without quorum, one with; a 党小组会; branch B's.
    short = await hold(db, b.org, MeetingKind.COMMITTEE, local(jan, 9), [b.secretary])
    full = await hold(db, b.org, MeetingKind.COMMITTEE, local(feb, 9), committee)
    await hold(db, b.org, MeetingKind.GROUP, local(jan, 14), [b.m1], group=b.group)
    await hold(db, b.other_org, MeetingKind.THEME_DAY, local(jan, 9), [b.stranger])
    # Either side of a local month's end (UTC is still in January for both).
    await hold(db, b.org, MeetingKind.ASSEMBLY, local(date(2030, 1, 31), 22, 30), [b.m1])
    await hold(db, b.org, MeetingKind.ASSEMBLY, local(date(2030, 2, 1), 0, 30), [b.m3])
    counted = await agree(db)
    assert counted[(b.org, MeetingKind.COMMITTEE, 0, date(2030, 1, 1))] == (1, 1)
    assert counted[(b.org, MeetingKind.COMMITTEE, 0, date(2030, 2, 1))] == (1, 0)
    assert counted[(b.org, MeetingKind.GROUP, b.group, date(2030, 1, 1))] == (1, 0)
    assert counted[(b.org, MeetingKind.ASSEMBLY, 0, date(2030, 1, 1))] == (1, 0)
    assert counted[(b.org, MeetingKind.ASSEMBLY, 0, date(2030, 2, 1))] == (1, 0)

    # Two theme days of one month closed at the same moment: both counted.
    both = [await schedule(db, b.org, MeetingKind.THEME_DAY, local(mar, h)) for h in (9, 14)]
    await asyncio.gather(*(close(db, m, local(mar, 20)) for m in both))
    assert (await agree(db))[(b.org, MeetingKind.THEME_DAY, 0, date(2030, 3, 1))] == (2, 0)

    # Corrections move committee meetings in and out of quorum, and back.
    await correct(db, short, b.committee, P)
    await correct(db, full, b.secretary, L)  # on leave still counts as expected
    counted = await agree(db)
    assert counted[(b.org, MeetingKind.COMMITTEE, 0, date(2030, 1, 1))] == (1, 0)
    assert counted[(b.org, MeetingKind.COMMITTEE, 0, date(2030, 2, 1))] == (1, 1)
    await correct(db, full, b.secretary, P)
    await correct(db, full, b.secretary, P)  # no change: nothing moves
    assert (await agree(db))[(b.org, MeetingKind.COMMITTEE, 0, date(2030, 2, 1))] == (1, 0)

    # A fixed list edited after closing: two people added (absent; 2 of 4 present is no
    # quorum), and one taken off again.
    for added, short_after in ((b.m3, 0), (b.m1, 1)):
        async with db.session() as session:
            meeting = await store.get_meeting(session, full)
            membership = await session.get(Membership, added)
            assert meeting is not None and membership is not None
            await expected_lists.add_line(session, meeting, membership, by=LEADER,
                                          reason="forgotten", now=NOW, tz=TZ)
        counted = await agree(db)
        assert counted[(b.org, MeetingKind.COMMITTEE, 0, date(2030, 2, 1))] == (1, short_after)
    async with db.session() as session:
        line = await store.attendance_of(session, full, b.m1)
        assert line is not None
        await expected_lists.remove_line(session, line, by=LEADER, reason="not on it",
                                         now=NOW, tz=TZ)
    assert (await agree(db))[(b.org, MeetingKind.COMMITTEE, 0, date(2030, 2, 1))] == (1, 0)

    # A past meeting entered afterwards: a committee meeting without quorum in December.
    async with db.session() as session:
        org = await session.get(PartyOrganization, b.org)
        assert org is not None
        org.created_at = datetime(2029, 1, 5, tzinfo=UTC)
    async with db.session() as session:
        await past_meetings.record_past(session, past_meetings.PastMeeting(
            org_id=b.org, kind=MeetingKind.COMMITTEE, day=date(2029, 12, 3), topic="Plan",
            minutes="m", attendance={b.secretary: P, b.committee: A}, at=time(10, 0),
        ), by=LEADER, now=NOW, tz=TZ)
    assert (await agree(db))[(b.org, MeetingKind.COMMITTEE, 0, date(2029, 12, 1))] == (1, 1)

    # A cancelled meeting is never counted, and cannot be closed afterwards.
    cancelled = await schedule(db, b.org, MeetingKind.LESSON, local(mar, 16))
    async with db.session() as session:
        meeting = await store.get_meeting(session, cancelled)
        assert meeting is not None
        await store.cancel(session, meeting, reason="typhoon", by=LEADER)
    with pytest.raises(store.MeetingError) as refused:
        await close(db, cancelled, local(mar, 18))
    assert refused.value.code == "not_live"
    counted = await agree(db)
    assert not any(kind is MeetingKind.LESSON for _org, kind, _g, _m in counted)

    # Recomputed from the meetings, the table is the same.
    before = await kept(db)
    async with db.engine.begin() as connection:
        buckets = await meeting_counts.rebuild(connection, TZ)
    assert buckets == len(before)
    assert await kept(db) == before == await recount(db)


async def test_a_meeting_is_not_closed_before_it_starts(db: Database) -> None:
    """Closing marks everyone not checked in absent: refused before the start, with nothing
    stored (not closed, nobody absent, nothing counted); allowed from the start on."""
    b: Branch = await build_branch(db)
    starts = local(date(2030, 1, 7), 9)
    meeting_id = await schedule(db, b.org, MeetingKind.ASSEMBLY, starts)
    for early in (starts - timedelta(days=1), starts - timedelta(seconds=1)):
        with pytest.raises(store.MeetingError) as refused:
            await close(db, meeting_id, early)
        assert refused.value.code == "not_started"
    async with db.session() as session:
        meeting = await store.get_meeting(session, meeting_id)
        assert meeting is not None
        assert meeting.state is MeetingState.SCHEDULED and meeting.closed_at is None
        statuses = set((await session.scalars(select(Attendance.status).where(
            Attendance.meeting_id == meeting_id))).all())
    assert AttendanceStatus.ABSENT not in statuses and AttendanceStatus.EXPECTED in statuses
    assert await kept(db) == {}
    await close(db, meeting_id, starts)
    assert (await agree(db)) == {(b.org, MeetingKind.ASSEMBLY, 0, date(2030, 1, 1)): (1, 0)}


async def test_the_migration_backfills_the_counts_from_the_meetings(db: Database) -> None:
    """A database from before the counts (migration 0013) upgraded: 0015 fills the table with
    what a recount of its meetings gives, and the later migrations keep every line (on SQLite
    0016 copies the meetings table: with foreign keys on, that deleted all attendances)."""
    from storage.migrate import upgrade
    from tests.storage.schema_history import downgrade_to

    b: Branch = await build_branch(db)
    jan, feb = date(2030, 1, 7), date(2030, 2, 4)
    short = await hold(db, b.org, MeetingKind.COMMITTEE, local(jan, 9), [b.secretary])
    await hold(db, b.org, MeetingKind.COMMITTEE, local(feb, 9), [b.secretary, b.committee])
    await hold(db, b.org, MeetingKind.GROUP, local(jan, 14), [b.m1], group=b.group)
    await hold(db, b.org, MeetingKind.ASSEMBLY, local(date(2030, 2, 1), 0, 30), [b.m3])
    await hold(db, b.other_org, MeetingKind.THEME_DAY, local(jan, 9), [b.stranger])
    await correct(db, short, b.secretary, L)  # 0 of 2 present: still no quorum
    counted = await agree(db)
    await downgrade_to(db, "0013")
    await upgrade(db.url)
    assert await kept(db) == counted == await recount(db)
    assert counted[(b.org, MeetingKind.COMMITTEE, 0, date(2030, 1, 1))] == (1, 1)
    assert counted[(b.org, MeetingKind.ASSEMBLY, 0, date(2030, 2, 1))] == (1, 0)
