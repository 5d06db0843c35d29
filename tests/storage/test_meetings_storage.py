"""Meeting storage on SQLite and PostgreSQL: expected lists, check-in, closing, ledger counts.

Times are explicit (`now=`), so nothing here depends on the wall clock.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from rules import meetings as rules
from rules.vocabulary import (
    AttendanceStatus,
    CheckinMethod,
    MeetingKind,
    MeetingState,
    MemberRole,
    MemberStatus,
    PartyOrgKind,
)
from storage import meetings as store
from storage import orgs, people
from storage.db import Database
from storage.models import Attendance, AuditEvent, Meeting

LEADER = 9_100  # Telegram ids
T0 = datetime(2030, 1, 7, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai
BEFORE = T0 - timedelta(days=7)  # "now" when scheduling
PLACE = (31.2304, 121.4737)  # the meeting room


@dataclass(frozen=True)
class Branch:
    org: int
    other_org: int
    group: int
    secretary: int  # membership ids
    committee: int
    m1: int  # full member in the group
    m2: int  # probationary member in the group
    m3: int  # full member, no group
    activist: int  # in the group
    pending: int
    gone: int  # transferred out
    stranger: int  # member of the other branch


async def build_branch(db: Database) -> Branch:
    async with db.session() as session:
        top = await orgs.create_party_org(
            session, name="Committee", kind=PartyOrgKind.COMMITTEE, parent_id=None,
            actor_telegram_id=1,
        )
        org = await orgs.create_party_org(
            session, name="Branch A", kind=PartyOrgKind.BRANCH, parent_id=top.id,
            actor_telegram_id=1,
        )
        other = await orgs.create_party_org(
            session, name="Branch B", kind=PartyOrgKind.BRANCH, parent_id=top.id,
            actor_telegram_id=1,
        )
        group = await orgs.create_group(session, org=org, name="Group 1", actor_telegram_id=1)

        async def member(telegram_id: int, status: MemberStatus, org_id: int = org.id,
                         *, approve: bool = True) -> int:
            membership = await people.submit_registration(
                session,
                people.RegistrationForm(
                    telegram_id=telegram_id, language="en", real_name=f"Person {telegram_id}",
                    org_id=org_id, status=status, joined_party_on=date(2015, 7, 1), phone=None,
                    invite_id=None,
                ),
            )
            if approve:
                await people.decide_registration(
                    session, membership.id, approve=True, decided_by=1
                )
            return membership.id

        secretary = await member(LEADER, MemberStatus.FULL)
        committee = await member(9_101, MemberStatus.FULL)
        m1 = await member(9_102, MemberStatus.FULL)
        m2 = await member(9_103, MemberStatus.PROBATIONARY)
        m3 = await member(9_104, MemberStatus.FULL)
        activist = await member(9_105, MemberStatus.ACTIVIST)
        pending = await member(9_106, MemberStatus.FULL, approve=False)
        gone = await member(9_107, MemberStatus.FULL)
        stranger = await member(9_108, MemberStatus.FULL, other.id)
        by_id = {
            m.id: m
            for m in await people.members_of(session, org.id, tuple(people.MembershipState))
        }
        await people.appoint(session, by_id[secretary], MemberRole.SECRETARY, actor_telegram_id=1)
        await people.appoint(
            session, by_id[committee], MemberRole.COMMITTEE_MEMBER, actor_telegram_id=1
        )
        for mid in (m1, m2, activist):
            await people.update_member(
                session, by_id[mid], actor_telegram_id=1, party_group_id=group.id
            )
        await people.transfer_out(session, by_id[gone], to=None, actor_telegram_id=1)
        return Branch(org.id, other.id, group.id, secretary, committee, m1, m2, m3, activist,
                      pending, gone, stranger)


async def schedule(
    db: Database, branch: Branch, kind: MeetingKind = MeetingKind.ASSEMBLY, *,
    starts_at: datetime = T0, place: tuple[float, float] | None = PLACE,
    group: int | None = None,
) -> int:
    async with db.session() as session:
        meeting = await store.schedule(
            session,
            store.MeetingPlan(
                org_id=branch.org, kind=kind, starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=1), topic=f"{kind.value} topic",
                place="Room 1", latitude=place[0] if place else None,
                longitude=place[1] if place else None, party_group_id=group,
            ),
            created_by=LEADER, now=BEFORE,
        )
        return meeting.id


async def statuses(db: Database, meeting_id: int) -> dict[int, AttendanceStatus]:
    async with db.session() as session:
        rows = await session.execute(
            select(Attendance.membership_id, Attendance.status).where(
                Attendance.meeting_id == meeting_id
            )
        )
        return {mid: status for mid, status in rows.all()}


async def check_in(
    db: Database, meeting_id: int, membership_id: int, *, method: CheckinMethod = CheckinMethod.TAP,
    now: datetime = T0, **kwargs: object,
) -> store.CheckinResult:
    async with db.session() as session:
        meeting = await store.get_meeting(session, meeting_id)
        assert meeting is not None
        return await store.check_in(
            session, meeting, membership_id, method=method, now=now, by=LEADER,
            **kwargs,  # type: ignore[arg-type]
        )


async def test_schedule_computes_the_expected_list_per_kind(db: Database) -> None:
    b = await build_branch(db)
    whole = {b.secretary, b.committee, b.m1, b.m2, b.m3}
    for offset, kind in enumerate(
        (MeetingKind.ASSEMBLY, MeetingKind.LESSON, MeetingKind.THEME_DAY, MeetingKind.ORG_LIFE,
         MeetingKind.APPRAISAL)
    ):
        meeting = await schedule(db, b, kind, starts_at=T0 + timedelta(days=offset))
        lines = await statuses(db, meeting)
        assert {m for m, s in lines.items() if s is AttendanceStatus.EXPECTED} == whole, kind
        assert {m for m, s in lines.items() if s is AttendanceStatus.GUEST} == {b.activist}, kind

    committee = await schedule(db, b, MeetingKind.COMMITTEE, starts_at=T0 + timedelta(days=10))
    assert await statuses(db, committee) == {
        b.secretary: AttendanceStatus.EXPECTED, b.committee: AttendanceStatus.EXPECTED,
    }
    group = await schedule(
        db, b, MeetingKind.GROUP, starts_at=T0 + timedelta(days=11), group=b.group
    )
    assert await statuses(db, group) == {
        b.m1: AttendanceStatus.EXPECTED, b.m2: AttendanceStatus.EXPECTED,
        b.activist: AttendanceStatus.GUEST,
    }
    with pytest.raises(store.MeetingError) as missing_group:
        await schedule(db, b, MeetingKind.GROUP, starts_at=T0 + timedelta(days=12))
    assert missing_group.value.code == "group_needed"
    # Never the pending applicant, the transferred-out member, or another branch's member.
    async with db.session() as session:
        listed = set(
            (await session.scalars(select(Attendance.membership_id).distinct())).all()
        )
    assert not listed & {b.pending, b.gone, b.stranger}
    # Past starts and clashes are caught.
    with pytest.raises(store.MeetingError) as clash:
        await schedule(db, b, starts_at=T0 + timedelta(minutes=30))
    assert clash.value.code == "clash"
    async with db.session() as session:
        with pytest.raises(store.MeetingError) as past:
            await store.schedule(
                session,
                store.MeetingPlan(org_id=b.org, kind=MeetingKind.LESSON, starts_at=T0,
                                  ends_at=T0 + timedelta(hours=1), topic="late"),
                created_by=LEADER, now=T0 + timedelta(minutes=1),
            )
    assert past.value.code == "in_past"


async def test_checking_in_twice_records_once_even_at_the_same_moment(db: Database) -> None:
    b = await build_branch(db)
    meeting = await schedule(db, b)
    assert (await check_in(db, meeting, b.m1)).outcome == "present"
    assert (await check_in(db, meeting, b.m1, now=T0 + timedelta(minutes=1))).outcome == (
        "already"
    )
    # Two devices of one member at the same moment, each in its own session.
    results = await asyncio.gather(
        check_in(db, meeting, b.m2, method=CheckinMethod.TAP),
        check_in(db, meeting, b.m2, method=CheckinMethod.LOCATION, location=PLACE),
    )
    assert sorted(r.outcome for r in results) == ["already", "present"]
    async with db.session() as session:
        rows = (
            await session.execute(
                select(Attendance.membership_id, Attendance.checked_in_at).where(
                    Attendance.meeting_id == meeting,
                    Attendance.status == AttendanceStatus.PRESENT,
                )
            )
        ).all()
    assert sorted(mid for mid, _at in rows) == sorted([b.m1, b.m2])
    first = next(at for mid, at in rows if mid == b.m1)
    assert first == T0  # the second check-in did not move the time
    # The activist is recorded as a guest; someone not on the list is refused.
    assert (await check_in(db, meeting, b.activist)).outcome == "guest"
    refused = await check_in(db, meeting, b.stranger)
    assert (refused.outcome, refused.reason) == ("refused", "not_expected")


async def test_check_in_only_inside_the_window(db: Database) -> None:
    b = await build_branch(db)
    meeting = await schedule(db, b)
    early = await check_in(db, meeting, b.m1, now=T0 - timedelta(minutes=31))
    late = await check_in(db, meeting, b.m1, now=T0 + timedelta(minutes=31))
    assert (early.reason, late.reason) == ("early", "late")
    assert (await statuses(db, meeting))[b.m1] is AttendanceStatus.EXPECTED
    assert (await check_in(db, meeting, b.m1, now=T0 - timedelta(minutes=30))).outcome == (
        "present"
    )
    assert (await check_in(db, meeting, b.m2, now=T0 + timedelta(minutes=30))).outcome == (
        "present"
    )
    # The leader may mark someone by hand after the window (代签).
    manual = await check_in(
        db, meeting, b.m3, method=CheckinMethod.MANUAL, now=T0 + timedelta(hours=2)
    )
    assert manual.outcome == "present"
    async with db.session() as session:
        line = await store.attendance_of(session, meeting, b.m3)
        assert line is not None and line.method is CheckinMethod.MANUAL
        assert line.marked_by == LEADER
        manual_audits = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "attendance.manual", AuditEvent.target_id == line.id
            )
        )
    assert manual_audits == 1


async def test_a_stale_room_code_is_refused_and_the_current_one_accepted(db: Database) -> None:
    b = await build_branch(db)
    meeting = await schedule(db, b)
    async with db.session() as session:
        found = await store.get_meeting(session, meeting)
        assert found is not None
        secret = bytes.fromhex(found.code_secret)
    now = T0 + timedelta(minutes=2)
    stale = rules.room_code(secret, now - timedelta(hours=1))
    current = rules.room_code(secret, now)
    assert stale != current
    refused = await check_in(db, meeting, b.m1, method=CheckinMethod.CODE, now=now, code=stale)
    assert (refused.outcome, refused.reason) == ("refused", "bad_code")
    wrong = await check_in(db, meeting, b.m1, method=CheckinMethod.CODE, now=now, code="12ab56")
    assert wrong.reason == "bad_code"
    spaced = f"{current[:3]} {current[3:]}"
    accepted = await check_in(db, meeting, b.m1, method=CheckinMethod.CODE, now=now, code=spaced)
    assert accepted.outcome == "present"
    # The previous step's code still works (grace), so a code read just before it rotated does.
    rotated = rules.room_code(secret, now - rules.DEFAULT_CODE_STEP)
    assert (
        await check_in(db, meeting, b.m2, method=CheckinMethod.CODE, now=now, code=rotated)
    ).outcome == "present"
    async with db.session() as session:
        line = await store.attendance_of(session, meeting, b.m1)
        assert line is not None and line.method is CheckinMethod.CODE


async def test_location_inside_and_outside_the_radius(db: Database) -> None:
    b = await build_branch(db)
    meeting = await schedule(db, b)
    nearby = (PLACE[0] + 0.001, PLACE[1])  # about 111 m north
    far = (PLACE[0] + 0.05, PLACE[1])  # about 5.6 km
    too_far = await check_in(db, meeting, b.m1, method=CheckinMethod.LOCATION, location=far,
                             radius_m=300.0)
    assert (too_far.outcome, too_far.reason) == ("refused", "too_far")
    inside = await check_in(db, meeting, b.m1, method=CheckinMethod.LOCATION, location=nearby,
                            radius_m=300.0)
    assert inside.outcome == "present"
    # Nearby, but the radius is tighter than the distance.
    tight = await check_in(db, meeting, b.m2, method=CheckinMethod.LOCATION, location=nearby,
                           radius_m=50.0)
    assert tight.reason == "too_far"
    online = await schedule(db, b, MeetingKind.LESSON, starts_at=T0 + timedelta(days=1),
                            place=None)
    no_place = await check_in(db, online, b.m1, method=CheckinMethod.LOCATION, location=nearby,
                              now=T0 + timedelta(days=1))
    assert no_place.reason == "no_place"


async def test_closing_freezes_the_record_and_counts_it(db: Database) -> None:
    b = await build_branch(db)
    meeting = await schedule(db, b)
    async with db.session() as session:
        found = await store.get_meeting(session, meeting)
        assert found is not None
        await store.answer(session, found, b.committee, attending=True)
        await store.answer(session, found, b.m2, attending=False, reason="travel")
        await store.answer(session, found, b.m3, attending=False, reason="ill")
        line = await store.attendance_of(session, meeting, b.m3)
        assert line is not None
        assert await store.decide_leave(session, line, approve=True, by=LEADER)
    assert (await check_in(db, meeting, b.m1)).outcome == "present"
    assert (await check_in(db, meeting, b.activist)).outcome == "guest"
    async with db.session() as session:
        found = await store.get_meeting(session, meeting)
        assert found is not None
        counts = await store.close(session, found, minutes="Studied.", by=LEADER,
                                   now=T0 + timedelta(hours=1))
    assert counts == rules.LedgerCounts(expected=5, present=1, on_leave=1, absent=3)
    assert await statuses(db, meeting) == {
        b.secretary: AttendanceStatus.ABSENT,  # expected, never came
        b.committee: AttendanceStatus.ABSENT,  # said they would attend
        b.m1: AttendanceStatus.PRESENT,
        b.m2: AttendanceStatus.ABSENT,  # leave requested, never approved
        b.m3: AttendanceStatus.ON_LEAVE,
        b.activist: AttendanceStatus.GUEST_PRESENT,
    }
    async with db.session() as session:
        found = await store.get_meeting(session, meeting)
        assert found is not None
        assert found.state is MeetingState.CLOSED and found.minutes == "Studied."
        with pytest.raises(store.MeetingError) as again:
            await store.close(session, found, minutes="x", by=LEADER, now=T0)
    assert again.value.code == "already_closed"
    after = await check_in(db, meeting, b.committee, now=T0 + timedelta(minutes=5))
    assert after.reason == "closed"
    # Catching up (补学) is confirmed once, only for an absent line.
    async with db.session() as session:
        absent = await store.attendance_of(session, meeting, b.committee)
        present = await store.attendance_of(session, meeting, b.m1)
        assert absent is not None and present is not None
        assert await store.confirm_makeup(session, absent, T0 + timedelta(days=1))
        assert not await store.confirm_makeup(session, absent, T0 + timedelta(days=2))
        assert not await store.confirm_makeup(session, present, T0 + timedelta(days=1))
    # A correction is logged with who and why.
    async with db.session() as session:
        line = await store.attendance_of(session, meeting, b.secretary)
        assert line is not None
        await store.correct_attendance(session, line, status=AttendanceStatus.PRESENT,
                                       by=LEADER, reason="signed the paper sheet")
    async with db.session() as session:
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "attendance.correct")
        )
    assert event is not None and event.actor_telegram_id == LEADER
    assert event.details["reason"] == "signed the paper sheet"
    assert (event.details["before"], event.details["after"]) == ("absent", "present")


async def test_leave_is_decided_once(db: Database) -> None:
    b = await build_branch(db)
    meeting = await schedule(db, b)
    async with db.session() as session:
        found = await store.get_meeting(session, meeting)
        assert found is not None
        line = await store.answer(session, found, b.m1, attending=False, reason="work trip")
        line_id = line.id

    async def decide(approve: bool, by: int) -> bool:
        async with db.session() as session:
            attendance = await session.get(Attendance, line_id)
            assert attendance is not None
            return await store.decide_leave(session, attendance, approve=approve, by=by)

    results = await asyncio.gather(decide(True, LEADER), decide(False, LEADER + 1))
    assert sorted(results) == [False, True]
    assert not await decide(True, LEADER)
    async with db.session() as session:
        decisions = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action.in_(("attendance.leave_approve", "attendance.leave_refuse")),
                AuditEvent.target_id == line_id,
            )
        )
        attendance = await session.get(Attendance, line_id)
    assert decisions == 1
    assert attendance is not None
    assert attendance.status in (AttendanceStatus.ON_LEAVE, AttendanceStatus.EXPECTED)


async def test_member_attendance_agrees_with_a_direct_count(db: Database) -> None:
    b = await build_branch(db)
    plans = [
        (MeetingKind.ASSEMBLY, 0, {b.m1, b.m2, b.secretary}),
        (MeetingKind.COMMITTEE, 1, {b.secretary}),
        (MeetingKind.GROUP, 2, {b.m1}),
        (MeetingKind.LESSON, 3, set()),
        (MeetingKind.THEME_DAY, 4, {b.m3, b.m2}),  # left open: not counted
    ]
    for kind, day, present in plans:
        start = T0 + timedelta(days=day)
        meeting = await schedule(db, b, kind, starts_at=start,
                                 group=b.group if kind is MeetingKind.GROUP else None)
        for membership_id in present:
            assert (await check_in(db, meeting, membership_id, now=start)).outcome == "present"
        async with db.session() as session:
            found = await store.get_meeting(session, meeting)
            assert found is not None
            if kind is MeetingKind.ASSEMBLY:
                await store.answer(session, found, b.m3, attending=False, reason="ill")
                line = await store.attendance_of(session, meeting, b.m3)
                assert line is not None
                await store.decide_leave(session, line, approve=True, by=LEADER)
            if kind is not MeetingKind.THEME_DAY:
                await store.close(session, found, minutes="ok", by=LEADER,
                                  now=start + timedelta(hours=1))

    start, end = T0 - timedelta(days=1), T0 + timedelta(days=30)
    async with db.session() as session:
        totals = await store.member_attendance(session, b.org, start, end)
        rows = await session.execute(
            select(Attendance.membership_id, Attendance.status, func.count())
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(
                Meeting.party_organization_id == b.org,
                Meeting.state == MeetingState.CLOSED,
                Meeting.starts_at >= start,
                Meeting.starts_at < end,
            )
            .group_by(Attendance.membership_id, Attendance.status)
        )
        direct: dict[int, dict[AttendanceStatus, int]] = {}
        for membership_id, status, count in rows.all():
            direct.setdefault(membership_id, {})[status] = count
        one = await store.member_attendance(session, b.org, start, end, membership_id=b.m1)

    assert {t.membership_id for t in totals} == set(direct)
    guests = (AttendanceStatus.GUEST, AttendanceStatus.GUEST_PRESENT)
    for total in totals:
        counts = direct[total.membership_id]
        assert total.expected == sum(n for s, n in counts.items() if s not in guests)
        assert total.present == counts.get(AttendanceStatus.PRESENT, 0)
        assert total.on_leave == counts.get(AttendanceStatus.ON_LEAVE, 0)
        assert total.absent == counts.get(AttendanceStatus.ABSENT, 0)
        assert total.expected == total.present + total.on_leave + total.absent
    by_member = {t.membership_id: t for t in totals}
    # m1: assembly and group present, lesson absent (not on the committee).
    assert (by_member[b.m1].expected, by_member[b.m1].present) == (3, 2)
    assert by_member[b.m3].on_leave == 1 and by_member[b.m3].present == 0
    assert by_member[b.activist].expected == 0  # a guest is never counted
    assert [(t.membership_id, t.present) for t in one] == [(b.m1, 2)]
    assert by_member[b.m1].rate == pytest.approx(2 / 3)


async def test_candidates_come_only_from_the_current_membership(db: Database) -> None:
    b = await build_branch(db)
    meeting = await schedule(db, b)
    far_away = await schedule(db, b, MeetingKind.LESSON, starts_at=T0 + timedelta(days=3))
    async with db.session() as session:
        mine = await store.checkin_candidates_for(session, 9_102, T0)  # m1
        assert [(m.id, a.membership_id, language) for m, a, language in mine] == [
            (meeting, b.m1, "en")
        ]
        assert far_away not in {m.id for m, _a in await store.checkin_candidates(
            session, b.m1, T0
        )}
        opened = await store.get_meeting(session, meeting)
        assert opened is not None  # check-in open: the list is fixed (tests/test_expected_lists)
        await store.open_checkin(session, opened, by=LEADER, now=T0 - timedelta(minutes=10))
        leaving = await people.membership_with_person(session, b.m3)
        assert leaving is not None
        await people.transfer_out(session, leaving, to=None, actor_telegram_id=1)
    async with db.session() as session:
        # Their line stays in the record, but they can no longer check in from another branch.
        assert await store.checkin_candidates_for(session, 9_104, T0) == []
        assert await store.attendance_of(session, meeting, b.m3) is not None


async def test_typed_codes_arriving_together_are_written_in_one_batch(db: Database) -> None:
    from storage.checkin_queue import CheckinQueue
    from storage.models import Meeting

    branch = await build_branch(db)
    meeting_id = await schedule(db, branch)
    async with db.session() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        code = rules.room_code(bytes.fromhex(meeting.code_secret), T0)
        stale = rules.room_code(bytes.fromhex(meeting.code_secret), T0 - timedelta(hours=1))
    queue = CheckinQueue(db, max_batch=3)  # small batches: several batches in one burst
    typed = [
        (9_102, code), (9_103, code), (9_104, code), (9_102, code),  # 9_102 twice
        (9_105, code),  # activist: a guest
        (9_101, stale),  # a code from an hour ago
        (9_108, code),  # member of the other branch: not on the list
        (9_107, code),  # transferred out: not counted any more
    ]
    outcomes = await asyncio.gather(
        *(queue.check_in_by_code(telegram_id, text, T0) for telegram_id, text in typed)
    )
    results = [(o.result.outcome, o.result.reason) if o.result else None for o in outcomes]
    assert results == [
        ("present", None), ("present", None), ("present", None), ("already", None),
        ("guest", None), ("refused", "bad_code"), None, None,
    ]
    found = await statuses(db, meeting_id)
    assert found[branch.m1] is AttendanceStatus.PRESENT
    assert found[branch.m3] is AttendanceStatus.PRESENT
    assert found[branch.activist] is AttendanceStatus.GUEST_PRESENT
    assert found[branch.committee] is AttendanceStatus.EXPECTED
