"""The kept lessons attended (storage/lesson_attendances.py), on SQLite and PostgreSQL: after
every kind of write, the table holds exactly the lines PRESENT at closed party lessons (the
rule, written here in plain SQL), and the training totals built on it equal totals computed
here in Python from the attendance lines and the records themselves."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from rules.vocabulary import (
    AttendanceStatus,
    MeetingKind,
    MemberRole,
    MemberStatus,
    TrainingKind,
    TrainingState,
)
from storage import expected_lists, lesson_attendances, makeups, meetings, orgs, past_meetings
from storage import people as store_people
from storage import training as store
from storage.db import Database
from storage.models import Attendance, Membership, TrainingRecord
from tests.storage.test_training_storage import (
    TZ,
    Person,
    Tree,
    build_tree,
    decide,
    draft,
    hold_lesson,
    log,
)

P, A = AttendanceStatus.PRESENT, AttendanceStatus.ABSENT
APRIL = datetime(2030, 4, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
ON = date(2030, 12, 31)


def _moment(value: object) -> datetime:
    if isinstance(value, str):  # SQLite returns text for raw SQL
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _day(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


async def _rule(session: AsyncSession) -> list[tuple[Any, ...]]:
    """The lines the table must hold, straight from attendances and meetings."""
    return sorted(tuple(row) for row in (await session.execute(text(
        "SELECT a.id, ms.person_id, m.id, m.starts_at, m.ends_at FROM attendances a "
        "JOIN meetings m ON m.id = a.meeting_id JOIN memberships ms ON ms.id = a.membership_id "
        "WHERE m.kind = 'lesson' AND m.state = 'closed' AND a.status = 'present'"
    ))).all())


async def _kept(session: AsyncSession) -> list[tuple[Any, ...]]:
    return sorted(tuple(row) for row in (await session.execute(text(
        "SELECT attendance_id, person_id, meeting_id, starts_at, ends_at FROM lesson_attendances"
    ))).all())


async def _done_by_kind(session: AsyncSession, year: int) -> dict[int, dict[TrainingKind, int]]:
    """Verified minutes per person and kind in `year`, computed here: records of the year
    (a logged lesson left out when a lesson attended falls on its days) and lessons attended."""
    done: dict[int, dict[TrainingKind, int]] = {}
    attended: dict[int, list[date]] = {}
    for _aid, person_id, _mid, starts, ends in await _rule(session):
        local = _moment(starts).astimezone(TZ)
        attended.setdefault(person_id, []).append(local.date())
        if local.year == year:
            minutes = round((_moment(ends) - _moment(starts)).total_seconds() / 60)
            mine = done.setdefault(person_id, dict.fromkeys(TrainingKind, 0))
            mine[TrainingKind.LESSON] += minutes
    for person_id, kind, starts_on, ends_on, minutes in (await session.execute(text(
        "SELECT r.person_id, r.kind, r.starts_on, r.ends_on, y.minutes FROM training_records r "
        "JOIN training_years y ON y.record_id = r.id "
        "WHERE r.state = 'verified' AND y.year = :year"
    ), {"year": year})).all():
        first, last = _day(starts_on), _day(ends_on)
        if kind == "lesson" and any(first <= d <= last for d in attended.get(person_id, [])):
            continue
        mine = done.setdefault(person_id, dict.fromkeys(TrainingKind, 0))
        mine[TrainingKind(kind)] += int(minutes)
    return done


async def check(db: Database, t: Tree) -> list[tuple[Any, ...]]:
    """The table follows the rule, and every view's totals equal the ones computed here."""
    async with db.session() as session:
        kept = await _kept(session)
        assert kept == await _rule(session)
        expected = await _done_by_kind(session, 2030)
        export = await store.export_data(session, None, 2030, org_name="All", tz=TZ,
                                         now=datetime.combine(ON, time(), UTC), on=ON)
        report = await store.secretaries_on_track(session, t.province, ON, tz=TZ)
        other = await store.secretaries_on_track(session, t.other_root, ON, tz=TZ)
        for who in (t.secretary_a, t.committee_a, t.m1, t.m2, t.secretary_b, t.m3):
            year = await store.person_year(session, who.person_id, 2030, tz=TZ)
            zero = dict.fromkeys(TrainingKind, 0)
            assert dict(year.done_by_kind) == expected.get(who.person_id, zero)
            line = next(m for m in export.members if m.membership_id == who.membership_id)
            assert dict(line.done_by_kind) == expected.get(who.person_id, zero)
    secretaries = [m for m in export.members if m.membership_id in (
        t.secretary_a.membership_id, t.secretary_b.membership_id, t.secretary_c.membership_id)]
    assert report.secretaries + other.secretaries == len(secretaries) == 3
    assert report.on_track + other.on_track == sum(m.on_track for m in secretaries)
    return kept


async def _line(db: Database, meeting_id: int, who: Person) -> Attendance:
    async with db.session() as session:
        line = await meetings.attendance_of(session, meeting_id, who.membership_id)
        assert line is not None
        return line


async def _correct(db: Database, t: Tree, meeting_id: int, who: Person,
                   status: AttendanceStatus) -> None:
    async with db.session() as session:
        line = await meetings.attendance_of(session, meeting_id, who.membership_id)
        assert line is not None
        await meetings.correct_attendance(session, line, status=status,
                                          by=t.secretary_a.telegram_id, reason="fix", tz=TZ)


async def _newcomer(db: Database, t: Tree, telegram_id: int) -> Person:
    async with db.session() as session:
        branch = await orgs.get_party_org(session, t.branch_a)
        assert branch is not None
        membership = await store_people.appoint_by_telegram_id(
            session, branch, telegram_id, MemberRole.MEMBER, status=MemberStatus.FULL,
            actor_telegram_id=1, language="en",
        )
        return Person(telegram_id, membership.person_id, membership.id)


async def test_the_kept_lessons_follow_every_write_and_the_totals_stay_right(
    db: Database,
) -> None:
    t = await build_tree(db)
    who = [t.secretary_a, t.committee_a, t.m1]
    assert await check(db, t) == []

    # Check-ins on a lesson still open count for nothing; closing it keeps its present lines.
    lesson = await hold_lesson(db, t.branch_a, t.secretary_a, who, APRIL, close=False)
    assert await check(db, t) == []
    async with db.session() as session:
        meeting = await meetings.get_meeting(session, lesson)
        assert meeting is not None
        await meetings.close(session, meeting, minutes="notes", by=t.secretary_a.telegram_id,
                             now=APRIL + timedelta(hours=2), tz=TZ)
    assert len(await check(db, t)) == 3
    # Another kind of meeting is not a lesson.
    await hold_lesson(db, t.branch_a, t.secretary_a, who, APRIL + timedelta(days=3),
                      kind=MeetingKind.ASSEMBLY)
    assert len(await check(db, t)) == 3

    # Corrections of the closed record, both ways.
    await _correct(db, t, lesson, t.m1, A)
    assert len(await check(db, t)) == 2
    await _correct(db, t, lesson, t.m2, P)
    await _correct(db, t, lesson, t.m1, P)
    assert len(await check(db, t)) == 4

    # 补学 confirmed and accepted on an absent line changes nothing.
    await _correct(db, t, lesson, t.m2, A)
    async with db.session() as session:
        line = await meetings.attendance_of(session, lesson, t.m2.membership_id)
        assert line is not None
        assert await meetings.confirm_makeup(session, line, APRIL + timedelta(days=1))
    async with db.session() as session:
        line = await meetings.attendance_of(session, lesson, t.m2.membership_id)
        assert line is not None
        assert await makeups.accept(session, line.id, by=t.secretary_a.telegram_id,
                                    now=APRIL + timedelta(days=2))
    assert len(await check(db, t)) == 3

    # A lesson entered afterwards is closed at once.
    async with db.session() as session:
        await past_meetings.record_past(session, past_meetings.PastMeeting(
            org_id=t.branch_a, kind=MeetingKind.LESSON, day=date(2030, 5, 6), topic="May",
            minutes="Studied.", attendance={t.m1.membership_id: P, t.m2.membership_id: A},
            at=time(9, 0),
        ), by=t.secretary_a.telegram_id, now=datetime(2030, 5, 20, tzinfo=UTC), tz=TZ)
    assert len(await check(db, t)) == 4

    # A line added to the closed record (absent), corrected to present, then taken off.
    newcomer = await _newcomer(db, t, 150)
    async with db.session() as session:
        meeting = await meetings.get_meeting(session, lesson)
        membership = await session.get(Membership, newcomer.membership_id)
        assert meeting is not None and membership is not None
        await expected_lists.add_line(session, meeting, membership, by=t.secretary_a.telegram_id,
                                      reason="came late", now=APRIL + timedelta(days=5), tz=TZ)
    assert len(await check(db, t)) == 4
    await _correct(db, t, lesson, newcomer, P)
    assert len(await check(db, t)) == 5
    async with db.session() as session:
        line = await meetings.attendance_of(session, lesson, newcomer.membership_id)
        assert line is not None
        await expected_lists.remove_line(session, line, by=t.secretary_a.telegram_id,
                                         reason="wrong branch", now=APRIL + timedelta(days=6),
                                         tz=TZ)
    assert len(await check(db, t)) == 4

    # Leave asked for and approved on a live lesson, which is then cancelled: nothing.
    cancelled = await hold_lesson(db, t.branch_a, t.secretary_a, [t.m1],
                                  APRIL + timedelta(days=20), close=False)
    async with db.session() as session:
        meeting = await meetings.get_meeting(session, cancelled)
        assert meeting is not None
        line = await meetings.answer(session, meeting, t.m2.membership_id, attending=False,
                                     reason="ill")
        assert await meetings.decide_leave(session, line, approve=True,
                                           by=t.secretary_a.telegram_id)
        await meetings.cancel(session, meeting, reason="storm", by=t.secretary_a.telegram_id)
    assert len(await check(db, t)) == 4

    # Training records: the lesson logged by hand is left out however it is decided; another
    # day counts; a rejected or withdrawn one never does; an edit moves it off the lesson day.
    same = await log(db, t.m1, draft("April lesson", kind=TrainingKind.LESSON,
                                     starts_on=date(2030, 4, 1), minutes=120))
    await check(db, t)
    assert await decide(db, same, t.secretary_a)
    other = await log(db, t.m1, draft("Another lesson", kind=TrainingKind.LESSON,
                                      starts_on=date(2030, 4, 9), minutes=60))
    assert await decide(db, other, t.secretary_a)
    rejected = await log(db, t.m2, draft("Unproven", kind=TrainingKind.ONLINE, minutes=90))
    assert await decide(db, rejected, t.secretary_a, approve=False, reason="no proof")
    withdrawn = await log(db, t.committee_a, draft("Oops", minutes=60))
    async with db.session() as session:
        assert await store.withdraw(session, withdrawn, by=t.committee_a.telegram_id)
    course = await log(db, t.secretary_a, draft("Secretaries' course", minutes=24 * 60,
                                                starts_on=date(2030, 3, 4),
                                                ends_on=date(2030, 3, 6)))
    assert await decide(db, course, t.secretary_b)
    await check(db, t)
    async with db.session() as session:
        m1 = await store.person_year(session, t.m1.person_id, 2030, tz=TZ)
    assert m1.done_by_kind[TrainingKind.LESSON] == 120 + 60 + 60  # two attended, one logged
    async with db.session() as session:
        await store.edit_training(
            session, same, draft("April lesson", kind=TrainingKind.LESSON,
                                 starts_on=date(2030, 4, 2), minutes=120),
            by=t.secretary_a.telegram_id, today=date(2030, 6, 30), reason="wrong day",
        )
    await check(db, t)
    async with db.session() as session:
        m1 = await store.person_year(session, t.m1.person_id, 2030, tz=TZ)
        assert m1.done_by_kind[TrainingKind.LESSON] == 120 + 60 + 60 + 120
        assert (await store.person_year(session, t.m2.person_id, 2030, tz=TZ)).done_by_kind[
            TrainingKind.ONLINE] == 0
        states = dict((await session.execute(
            select(TrainingRecord.id, TrainingRecord.state))).all())
    assert states[rejected] is TrainingState.REJECTED
    assert states[withdrawn] is TrainingState.WITHDRAWN

    # Recomputing the whole table gives the rows kept write by write.
    kept = await check(db, t)
    async with db.engine.begin() as connection:
        assert await lesson_attendances.rebuild(connection) == len(kept)
    assert await check(db, t) == kept
