"""The expected list (应到) follows the branch until check-in opens; then changes are edits.

Storage on SQLite and PostgreSQL; the branch of tests/storage/test_meetings_storage.py, meetings in
2030 (after the wall clock, so membership changes made now come before their check-in).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from rules.vocabulary import AttendanceStatus, CheckinMethod, MeetingKind, MemberStatus
from storage import expected_lists, meeting_counts, people
from storage import meetings as store
from storage.db import Database
from storage.models import Attendance, AuditEvent, MeetingCount, Membership
from tests.storage.test_meetings_storage import LEADER, T0, build_branch, schedule, statuses


async def test_until_check_in_opens_the_list_follows_the_branch(db: Database) -> None:
    b = await build_branch(db)
    assembly = await schedule(db, b)
    opened = await schedule(db, b, starts_at=T0 + timedelta(days=1))
    group_meeting = await schedule(db, b, MeetingKind.GROUP, starts_at=T0 + timedelta(days=2),
                                   group=b.group)
    async with db.session() as session:
        meeting = await store.get_meeting(session, opened)
        assert meeting is not None
        await store.open_checkin(session, meeting, by=LEADER, now=T0 + timedelta(hours=23))
    fixed_before = await statuses(db, opened)
    assert b.m3 in fixed_before and b.pending not in fixed_before

    async with db.session() as session:
        await people.decide_registration(session, b.pending, approve=True, decided_by=LEADER)
        leaving = await session.get(Membership, b.m3)
        assert leaving is not None
        assert await people.transfer_out(session, leaving, to="Elsewhere",
                                         actor_telegram_id=LEADER)
        activist = await session.get(Membership, b.activist)
        assert activist is not None  # an activist admitted as probationary now counts
        await people.update_member(session, activist, actor_telegram_id=LEADER,
                                   status=MemberStatus.PROBATIONARY)
        moved = await session.get(Membership, b.m1)
        assert moved is not None  # leaves the 党小组: off the group meeting's list
        await people.update_member(session, moved, actor_telegram_id=LEADER, party_group_id=None)

    following = await statuses(db, assembly)
    assert following[b.pending] is AttendanceStatus.EXPECTED
    assert b.m3 not in following
    assert following[b.activist] is AttendanceStatus.EXPECTED
    grouped = await statuses(db, group_meeting)
    assert b.m1 not in grouped and grouped[b.activist] is AttendanceStatus.EXPECTED
    assert await statuses(db, opened) == fixed_before  # check-in open: the list is fixed

    # At closing the one who left is not absent (and so is asked for no 补学).
    async with db.session() as session:
        meeting = await store.get_meeting(session, assembly)
        assert meeting is not None
        counts = await store.close(session, meeting, minutes="m", by=LEADER,
                                   now=T0 + timedelta(hours=1))
        follows = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "meeting.list_follows",
                                     AuditEvent.target_id == assembly)
        )
    assert b.m3 not in await statuses(db, assembly)
    assert counts.expected == 6 and follows is not None


async def test_a_fixed_list_is_changed_only_by_an_edit_with_who_and_why(db: Database) -> None:
    b = await build_branch(db)
    future = await schedule(db, b, starts_at=T0 + timedelta(days=5))
    committee = await schedule(db, b, MeetingKind.COMMITTEE)
    async with db.session() as session:
        meeting = await store.get_meeting(session, future)
        newcomer = await session.get(Membership, b.m3)
        assert meeting is not None and newcomer is not None
        with pytest.raises(store.MeetingError) as follows:  # still follows the branch
            await expected_lists.add_line(session, meeting, newcomer, by=LEADER, reason="x",
                                          now=T0)
    assert follows.value.code == "list_follows"

    async with db.session() as session:
        meeting = await store.get_meeting(session, committee)
        assert meeting is not None
        for present in (b.secretary, b.committee):
            await store.check_in(session, meeting, present, method=CheckinMethod.TAP,
                                 now=T0, by=LEADER)
        await store.close(session, meeting, minutes="m", by=LEADER, now=T0 + timedelta(hours=1))
    month = meeting_counts.month_of(T0, meeting_counts.DEFAULT_TZ)

    async def inquorate() -> int:
        async with db.session() as session:
            row = await session.get(MeetingCount, (b.org, MeetingKind.COMMITTEE, 0, month))
            assert row is not None
            return row.inquorate

    assert await inquorate() == 0  # 2 of 2 present
    async with db.session() as session:
        meeting = await store.get_meeting(session, committee)
        m1 = await session.get(Membership, b.m1)
        m2 = await session.get(Membership, b.m2)
        stranger = await session.get(Membership, b.stranger)
        assert meeting is not None and m1 is not None and m2 is not None and stranger is not None
        for who in (m1, m2):
            line = await expected_lists.add_line(
                session, meeting, who, by=LEADER, reason="Elected to the committee that day",
                now=T0 + timedelta(days=1),
            )
            assert line.status is AttendanceStatus.ABSENT
        for who, code in ((m1, "already_on_list"), (stranger, "not_in_branch")):
            with pytest.raises(store.MeetingError) as refused:
                await expected_lists.add_line(session, meeting, who, by=LEADER, reason="x",
                                              now=T0 + timedelta(days=1))
            assert refused.value.code == code
    assert await inquorate() == 1  # 2 of 4: no quorum any more
    async with db.session() as session:
        line = await session.scalar(select(Attendance).where(
            Attendance.meeting_id == committee, Attendance.membership_id == b.m1))
        assert line is not None
        await expected_lists.remove_line(session, line, by=LEADER, reason="Added by mistake",
                                         now=T0 + timedelta(days=2))
    assert await inquorate() == 0
    async with db.session() as session:
        events = (await session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(("attendance.add",
                                                            "attendance.remove")))
            .order_by(AuditEvent.id))).all()
    assert [(e.action, e.actor_telegram_id, e.details["reason"]) for e in events] == [
        ("attendance.add", LEADER, "Elected to the committee that day"),
        ("attendance.add", LEADER, "Elected to the committee that day"),
        ("attendance.remove", LEADER, "Added by mistake"),
    ]
    assert events[2].details["status"] == "absent"
