"""Training storage on SQLite and PostgreSQL: logging, batches, duplicates, verification and
audit, lessons counted from attendance, inherited requirements, the behind list, secretaries on
track, the export, and totals checked against SQL written independently here.

Dates are explicit (`today=`, `on=`), so nothing here depends on the wall clock.
"""

from __future__ import annotations

import asyncio
import io
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from handlers.training import WORKBOOK_TEXTS, build_workbook
from rules import training as rules
from rules.training import TrainingDraft
from rules.vocabulary import (
    CheckinMethod,
    MeetingKind,
    MemberRole,
    MemberStatus,
    PartyOrgKind,
    TrainingGroup,
    TrainingKind,
    TrainingState,
)
from storage import meetings, orgs, people
from storage import training as store
from storage import training_overlap as store_overlap
from storage.db import Database
from storage.models import AuditEvent, TrainingEvidence, TrainingRecord, TrainingYear

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2030, 6, 30)
NOW = datetime(2030, 6, 30, 2, tzinfo=UTC)  # 10:00 on TODAY in Shanghai
MID_YEAR = date(2030, 7, 2)  # day 183 of 365
ADMIN = 1
H = 60  # minutes in an hour


@dataclass(frozen=True)
class Person:
    telegram_id: int
    person_id: int
    membership_id: int


@dataclass(frozen=True)
class Tree:
    province: int  # 党委, overrides members to 40 h
    county: int  # 党总支 under province, overrides leaders to 32 h
    branch_a: int  # under county
    branch_b: int  # under province
    other_root: int  # another 党委, no override
    branch_c: int  # under other_root
    secretary_a: Person
    committee_a: Person
    m1: Person  # full, branch A
    m2: Person  # probationary, branch A
    activist: Person  # branch A
    secretary_b: Person
    m3: Person  # branch B
    secretary_c: Person
    m4: Person  # branch C


async def build_tree(db: Database, *, overrides: bool = True) -> Tree:
    async with db.session() as session:
        async def org(name: str, kind: PartyOrgKind, parent: int | None) -> int:
            created = await orgs.create_party_org(
                session, name=name, kind=kind, parent_id=parent, actor_telegram_id=ADMIN
            )
            return created.id

        province = await org("Province", PartyOrgKind.COMMITTEE, None)
        county = await org("County", PartyOrgKind.GENERAL_BRANCH, province)
        branch_a = await org("Branch A", PartyOrgKind.BRANCH, county)
        branch_b = await org("Branch B", PartyOrgKind.BRANCH, province)
        other_root = await org("Other", PartyOrgKind.COMMITTEE, None)
        branch_c = await org("Branch C", PartyOrgKind.BRANCH, other_root)

        async def person(
            telegram_id: int, org_id: int, role: MemberRole,
            status: MemberStatus = MemberStatus.FULL,
        ) -> Person:
            branch = await orgs.get_party_org(session, org_id)
            assert branch is not None
            membership = await people.appoint_by_telegram_id(
                session, branch, telegram_id, role, status=status, actor_telegram_id=ADMIN,
                language="en",
            )
            found = await people.person_by_telegram_id(session, telegram_id)
            assert found is not None
            found.real_name = f"P{telegram_id}"
            return Person(telegram_id, membership.person_id, membership.id)

        tree = Tree(
            province, county, branch_a, branch_b, other_root, branch_c,
            secretary_a=await person(100, branch_a, MemberRole.SECRETARY),
            committee_a=await person(101, branch_a, MemberRole.COMMITTEE_MEMBER),
            m1=await person(102, branch_a, MemberRole.MEMBER),
            m2=await person(103, branch_a, MemberRole.MEMBER, MemberStatus.PROBATIONARY),
            activist=await person(104, branch_a, MemberRole.MEMBER, MemberStatus.ACTIVIST),
            secretary_b=await person(200, branch_b, MemberRole.SECRETARY),
            m3=await person(201, branch_b, MemberRole.MEMBER),
            secretary_c=await person(300, branch_c, MemberRole.SECRETARY),
            m4=await person(301, branch_c, MemberRole.MEMBER),
        )
        if overrides:
            await store.set_requirement(session, province, TrainingGroup.MEMBER, 40 * H, by=ADMIN)
            await store.set_requirement(session, county, TrainingGroup.LEADER, 32 * H, by=ADMIN)
        return tree


def draft(
    title: str = "Party history course", *, kind: TrainingKind = TrainingKind.CONCENTRATED,
    starts_on: date = date(2030, 3, 2), ends_on: date | None = None, minutes: int = 8 * H,
    organizer: str | None = "County school",
) -> TrainingDraft:
    return TrainingDraft(
        title=title, kind=kind, starts_on=starts_on, ends_on=ends_on or starts_on,
        minutes=minutes, organizer=organizer,
    )


PHOTO = store.EvidenceFile("file-1", "uniq-1", "image/jpeg", 120_000, None)
PDF = store.EvidenceFile("file-2", "uniq-2", "application/pdf", 2_000_000, "certificate.pdf")


async def log(db: Database, who: Person, d: TrainingDraft, **kwargs: object) -> int:
    async with db.session() as session:
        record = await store.log_training(
            session, who.person_id, d, by=who.telegram_id, today=TODAY, now=NOW,
            **kwargs,  # type: ignore[arg-type]
        )
        return record.id


async def decide(db: Database, record_id: int, by: Person, *, approve: bool = True,
                 reason: str | None = None) -> bool:
    async with db.session() as session:
        return await store.decide(
            session, record_id, approve=approve, by=by.telegram_id, now=NOW, reason=reason
        )


async def audit_rows(db: Database, action: str) -> list[AuditEvent]:
    async with db.session() as session:
        return list(
            (await session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )).all()
        )


async def year_of(db: Database, who: Person, year: int = 2030, *,
                  on: date | None = None) -> store.PersonYear:
    async with db.session() as session:
        return await store.person_year(session, who.person_id, year, tz=TZ, on=on)


# ---------------------------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------------------------


async def test_a_member_logs_a_training_with_evidence_pending_and_audited(db: Database) -> None:
    t = await build_tree(db)
    record_id = await log(db, t.m1, draft(minutes=6 * H), evidence=[PHOTO, PDF])
    async with db.session() as session:
        record = await store.get_record(session, record_id)
        assert record is not None
        assert record.state is TrainingState.PENDING
        assert record.title_key == "partyhistorycourse"
        assert [(y.year, y.minutes) for y in record.years] == [(2030, 360)]
        assert [(e.mime_type, e.size_bytes, e.file_name) for e in record.evidence] == [
            ("image/jpeg", 120_000, None), ("application/pdf", 2_000_000, "certificate.pdf"),
        ]
    [event] = await audit_rows(db, "training.log")
    assert event.actor_telegram_id == t.m1.telegram_id and event.target_id == record_id
    assert event.details["after"]["minutes"] == 360
    # Pending counts as pending, not as done.
    mine = await year_of(db, t.m1)
    assert mine.pending == 360 and mine.counted == 0
    assert mine.pending_by_kind[TrainingKind.CONCENTRATED] == 360


async def test_invalid_records_and_evidence_are_refused_with_a_code(db: Database) -> None:
    t = await build_tree(db)
    cases = [
        (draft(starts_on=date(2030, 7, 1)), "in_future"),
        (draft(minutes=0), "not_positive"),
        (draft(minutes=24 * H + 1), "too_many_hours"),
        (draft(starts_on=date(2030, 3, 2), ends_on=date(2030, 3, 1)), "end_before_start"),
        (draft(starts_on=date(2028, 12, 1)), "outside_counting_years"),
        (draft(title="《》"), "title_empty"),
    ]
    for bad, code in cases:
        with pytest.raises(store.TrainingError) as refused:
            await log(db, t.m1, bad)
        assert refused.value.code == code
    gif = store.EvidenceFile("f", "u", "image/gif", 10, "a.gif")
    huge = store.EvidenceFile("f", "u", "application/pdf", 10 * 1024 * 1024 + 1, "a.pdf")
    for file, code in ((gif, "not_image_or_pdf"), (huge, "too_large")):
        with pytest.raises(store.TrainingError) as refused:
            await log(db, t.m1, draft(), evidence=[file])
        assert refused.value.code == code
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(TrainingRecord)) == 0


async def test_the_same_course_is_logged_once_until_rejected_or_withdrawn(db: Database) -> None:
    t = await build_tree(db)
    first = await log(db, t.m1, draft("Party History Course"))
    # Same course: case, spaces and punctuation differ; same start day.
    with pytest.raises(store.DuplicateTraining) as twice:
        await log(db, t.m1, draft("《party history  course》"))
    assert twice.value.person_ids == (t.m1.person_id,)
    # Another day or another person is another record.
    await log(db, t.m1, draft("Party History Course", starts_on=date(2030, 3, 3)))
    await log(db, t.m2, draft("Party History Course"))
    # Rejected: may be logged again (corrected).
    assert await decide(db, first, t.secretary_a, approve=False, reason="no certificate")
    again = await log(db, t.m1, draft("Party history course"))
    # Withdrawn: likewise.
    async with db.session() as session:
        assert await store.withdraw(session, again, by=t.m1.telegram_id)
    await log(db, t.m1, draft("Party history course"))
    # The database itself refuses a second open record of the course.
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            session.add(TrainingRecord(
                person_id=t.m1.person_id, kind=TrainingKind.OTHER, title="x",
                title_key="partyhistorycourse", starts_on=date(2030, 3, 2),
                ends_on=date(2030, 3, 2), minutes=60, state=TrainingState.VERIFIED, logged_by=1,
            ))


async def test_already_logged_names_who_has_the_course_open(db: Database) -> None:
    t = await build_tree(db)
    first = await log(db, t.m1, draft("Party History Course"))
    await log(db, t.m2, draft("Party History Course", starts_on=date(2030, 3, 3)))
    everyone = [t.m1.person_id, t.m2.person_id, t.m3.person_id]

    async def holders(title: str, starts_on: date, **kwargs: int) -> list[int]:
        async with db.session() as session:
            return await store.already_logged(session, everyone, title, starts_on, **kwargs)

    # The title is compared normalized (case, spaces, punctuation), the start day exactly.
    assert await holders("《party history  course》", date(2030, 3, 2)) == [t.m1.person_id]
    assert await holders("Party history course", date(2030, 3, 3)) == [t.m2.person_id]
    assert await holders("Party history course", date(2030, 3, 4)) == []
    assert await holders("Another course", date(2030, 3, 2)) == []
    assert await holders("Party history course", date(2030, 3, 2), ignore_id=first) == []
    async with db.session() as session:
        assert await store.already_logged(session, [], "Party history course",
                                          date(2030, 3, 2)) == []
    # A rejected record no longer holds the course.
    assert await decide(db, first, t.secretary_a, approve=False, reason="no certificate")
    assert await holders("Party history course", date(2030, 3, 2)) == []


async def test_two_logs_of_the_same_course_at_once_store_one(db: Database) -> None:
    t = await build_tree(db)

    async def attempt() -> str:
        try:
            await log(db, t.m1, draft())
            return "ok"
        except store.DuplicateTraining:
            return "duplicate"

    assert sorted(await asyncio.gather(attempt(), attempt(), attempt())) == [
        "duplicate", "duplicate", "ok",
    ]
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(TrainingRecord)) == 1


async def test_a_secretary_logs_one_training_for_many_in_one_batch(db: Database) -> None:
    t = await build_tree(db)
    everyone = [t.secretary_a, t.committee_a, t.m1, t.m2]
    await log(db, t.m2, draft("Branch study day"))  # m2 logged it already
    with pytest.raises(store.DuplicateTraining) as refused:
        async with db.session() as session:
            await store.log_for_many(
                session, [p.person_id for p in everyone], draft("Branch study day"),
                by=t.secretary_a.telegram_id, today=TODAY, now=NOW, verify=True,
            )
    assert refused.value.person_ids == (t.m2.person_id,)
    async with db.session() as session:  # all or nothing: nothing was written
        assert await session.scalar(select(func.count()).select_from(TrainingRecord)) == 1

    async with db.session() as session:
        result = await store.log_for_many(
            session, [p.person_id for p in everyone], draft("Branch study day"),
            by=t.secretary_a.telegram_id, today=TODAY, now=NOW, verify=True, skip_duplicates=True,
            evidence=[PHOTO],
        )
    assert result.skipped == (t.m2.person_id,)
    async with db.session() as session:
        rows = (await session.execute(
            select(TrainingRecord.person_id, TrainingRecord.state, TrainingRecord.decided_by)
            .where(TrainingRecord.batch_id == result.batch_id)
            .order_by(TrainingRecord.person_id)
        )).all()
        evidence = await session.scalar(
            select(func.count()).select_from(TrainingEvidence)
            .join(TrainingRecord, TrainingRecord.id == TrainingEvidence.record_id)
            .where(TrainingRecord.batch_id == result.batch_id)
        )
    assert evidence == 3
    # Verified by the secretary, except the secretary's own record.
    assert rows == sorted([
        (t.secretary_a.person_id, TrainingState.PENDING, None),
        (t.committee_a.person_id, TrainingState.VERIFIED, t.secretary_a.telegram_id),
        (t.m1.person_id, TrainingState.VERIFIED, t.secretary_a.telegram_id),
    ])
    [batch] = await audit_rows(db, "training.log_batch")
    assert batch.details["batch_id"] == result.batch_id
    assert batch.details["people"] == 3 and batch.details["skipped"] == 1
    assert batch.details["verified"] is True and batch.details["evidence"] == 1
    assert batch.details["after"]["title"] == "Branch study day"
    assert (await year_of(db, t.m1)).counted == 8 * H
    with pytest.raises(store.TrainingError) as nobody:
        async with db.session() as session:
            await store.log_for_many(session, [], draft("x"), by=1, today=TODAY, now=NOW)
    assert nobody.value.code == "no_members"


# ---------------------------------------------------------------------------------------------
# Verification, withdrawal, edits
# ---------------------------------------------------------------------------------------------


async def test_verify_and_reject_once_with_audit_rows(db: Database) -> None:
    t = await build_tree(db)
    first = await log(db, t.m1, draft("Course one"))
    second = await log(db, t.m1, draft("Course two"))
    with pytest.raises(store.TrainingError) as own:
        await decide(db, first, t.m1)
    assert own.value.code == "own_record"
    with pytest.raises(store.TrainingError) as no_reason:
        await decide(db, second, t.secretary_a, approve=False, reason="  ")
    assert no_reason.value.code == "reason_needed"

    assert await decide(db, first, t.secretary_a)
    assert not await decide(db, first, t.committee_a)  # already decided
    assert await decide(db, second, t.secretary_a, approve=False, reason="not a training")
    assert not await decide(db, second, t.secretary_a)

    [verified] = await audit_rows(db, "training.verify")
    assert verified.actor_telegram_id == t.secretary_a.telegram_id
    assert verified.target_id == first
    assert verified.details["before"] == {"state": "pending"}
    assert verified.details["after"]["state"] == "verified"
    [rejected] = await audit_rows(db, "training.reject")
    assert rejected.details["after"] == {"state": "rejected", "reason": "not a training"}
    async with db.session() as session:
        record = await store.get_record(session, second)
        assert record is not None
        assert record.state is TrainingState.REJECTED
        assert record.reject_reason == "not a training"
    mine = await year_of(db, t.m1)
    assert mine.counted == 8 * H and mine.pending == 0


async def test_only_the_owner_withdraws_and_only_while_pending(db: Database) -> None:
    t = await build_tree(db)
    record_id = await log(db, t.m1, draft())
    async with db.session() as session:
        with pytest.raises(store.TrainingError) as other:
            await store.withdraw(session, record_id, by=t.secretary_a.telegram_id)
        assert other.value.code == "not_owner"
    async with db.session() as session:
        assert await store.withdraw(session, record_id, by=t.m1.telegram_id)
    async with db.session() as session:
        assert not await store.withdraw(session, record_id, by=t.m1.telegram_id)
    assert not await decide(db, record_id, t.secretary_a)  # withdrawn cannot be verified
    [event] = await audit_rows(db, "training.withdraw")
    assert event.details["after"] == {"state": "withdrawn"}
    assert (await year_of(db, t.m1)).pending == 0


async def test_edits_resplit_the_years_and_are_audited(db: Database) -> None:
    t = await build_tree(db)
    record_id = await log(db, t.m1, draft(starts_on=date(2030, 1, 10), minutes=4 * H))
    # The member moves it to span New Year: 2 days in 2029, 1 in 2030.
    async with db.session() as session:
        await store.edit_training(
            session, record_id,
            draft(starts_on=date(2029, 12, 30), ends_on=date(2030, 1, 1), minutes=24 * H),
            by=t.m1.telegram_id, today=TODAY,
        )
    async with db.session() as session:
        years = dict((await session.execute(
            select(TrainingYear.year, TrainingYear.minutes).where(
                TrainingYear.record_id == record_id
            )
        )).all())
    assert years == {2029: 16 * H, 2030: 8 * H}
    [edit] = await audit_rows(db, "training.edit")
    assert edit.actor_telegram_id == t.m1.telegram_id
    assert edit.details["before"] == {"starts_on": "2030-01-10", "ends_on": "2030-01-10",
                                      "minutes": 240}
    assert edit.details["after"] == {"starts_on": "2029-12-30", "ends_on": "2030-01-01",
                                     "minutes": 1440}
    assert await decide(db, record_id, t.secretary_a)
    # Once verified the member cannot change it; a leader can (and it is logged).
    async with db.session() as session:
        with pytest.raises(store.TrainingError) as locked:
            await store.edit_training(session, record_id, draft(minutes=H),
                                      by=t.m1.telegram_id, today=TODAY)
        assert locked.value.code == "not_pending"
    async with db.session() as session:
        await store.edit_training(
            session, record_id,
            draft(starts_on=date(2029, 12, 30), ends_on=date(2030, 1, 1), minutes=21 * H,
                  kind=TrainingKind.ONLINE),
            by=t.secretary_a.telegram_id, today=TODAY, reason="certificate says 21 h",
        )
    edits = await audit_rows(db, "training.edit")
    assert edits[-1].details["after"] == {"kind": "online", "minutes": 1260}
    assert edits[-1].details["reason"] == "certificate says 21 h"
    assert (await year_of(db, t.m1, 2029)).done_by_kind[TrainingKind.ONLINE] == 14 * H
    assert (await year_of(db, t.m1, 2030)).done_by_kind[TrainingKind.ONLINE] == 7 * H


async def test_evidence_added_later_is_checked_and_audited(db: Database) -> None:
    t = await build_tree(db)
    record_id = await log(db, t.m1, draft())
    async with db.session() as session:
        with pytest.raises(store.TrainingError) as bad:
            await store.add_evidence(
                session, record_id, store.EvidenceFile("f", "u", "text/plain", 5, "a.txt"),
                by=t.m1.telegram_id,
            )
        assert bad.value.code == "not_image_or_pdf"
    async with db.session() as session:
        added = await store.add_evidence(
            session, record_id, store.EvidenceFile("f", "u", "image/jpg", 5, None),
            by=t.m1.telegram_id,
        )
        assert added.mime_type == "image/jpeg"
    [event] = await audit_rows(db, "training.evidence_add")
    assert event.target_id == record_id


# ---------------------------------------------------------------------------------------------
# Lessons from attendance
# ---------------------------------------------------------------------------------------------


async def hold_lesson(
    db: Database, org_id: int, leader: Person, present: list[Person], starts_at: datetime,
    *, hours: float = 2.0, close: bool = True, kind: MeetingKind = MeetingKind.LESSON,
) -> int:
    async with db.session() as session:
        meeting = await meetings.schedule(
            session,
            meetings.MeetingPlan(
                org_id=org_id, kind=kind, starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=hours), topic=f"Lesson {starts_at:%m-%d}",
                lecturer="Secretary",
            ),
            created_by=leader.telegram_id, now=starts_at - timedelta(days=1),
        )
        for who in present:
            result = await meetings.check_in(
                session, meeting, who.membership_id, method=CheckinMethod.MANUAL,
                now=starts_at, by=leader.telegram_id,
            )
            assert result.outcome == "present"
        if close:
            await meetings.close(
                session, meeting, minutes="notes", by=leader.telegram_id,
                now=starts_at + timedelta(hours=hours),
            )
        return meeting.id


async def test_lessons_attended_count_automatically_with_their_duration(db: Database) -> None:
    t = await build_tree(db)
    # 1 h 30 min lesson on 2030-04-01 10:00 Shanghai; m1 and the secretary present, m2 absent.
    starts = datetime(2030, 4, 1, 2, 0, tzinfo=UTC)
    lesson = await hold_lesson(db, t.branch_a, t.secretary_a, [t.m1, t.secretary_a], starts,
                               hours=1.5)
    # Not counted: a lesson still open, and an assembly.
    await hold_lesson(db, t.branch_a, t.secretary_a, [t.m1], starts + timedelta(days=7),
                      close=False)
    await hold_lesson(db, t.branch_a, t.secretary_a, [t.m1], starts + timedelta(days=14),
                      kind=MeetingKind.ASSEMBLY)
    # Counted in 2030, because it starts at 00:30 on 1 January in Shanghai (16:30 UTC the day
    # before).
    new_year = datetime(2029, 12, 31, 16, 30, tzinfo=UTC)
    await hold_lesson(db, t.branch_a, t.secretary_a, [t.m1], new_year, hours=1.0)

    m1 = await year_of(db, t.m1)
    assert m1.done_by_kind[TrainingKind.LESSON] == 150
    assert m1.counted == 150  # members count every kind
    assert (await year_of(db, t.m1, 2029)).done_by_kind[TrainingKind.LESSON] == 0
    assert (await year_of(db, t.m2)).done_by_kind[TrainingKind.LESSON] == 0
    secretary = await year_of(db, t.secretary_a)
    assert secretary.done_by_kind[TrainingKind.LESSON] == 90
    assert secretary.counted == 0  # leaders count only concentrated training
    async with db.session() as session:
        lines = await store.person_lines(session, t.m1.person_id, 2030, tz=TZ)
        # Nothing was copied into the training tables.
        assert await session.scalar(select(func.count()).select_from(TrainingRecord)) == 0
    assert [(line.source, line.minutes, line.starts_on) for line in lines] == [
        ("lesson", 60, date(2030, 1, 1)), ("lesson", 90, date(2030, 4, 1)),
    ]
    assert lines[1].id == lesson and lines[1].state is TrainingState.VERIFIED


# ---------------------------------------------------------------------------------------------
# Requirements, behind, on track
# ---------------------------------------------------------------------------------------------


async def test_a_per_org_override_is_inherited_by_the_subtree(db: Database) -> None:
    t = await build_tree(db)
    async with db.session() as session:
        assert await store.required_minutes(session, t.branch_a) == {
            TrainingGroup.LEADER: 32 * H, TrainingGroup.MEMBER: 40 * H,
        }
        assert await store.required_minutes(session, t.branch_b) == {
            TrainingGroup.LEADER: 24 * H, TrainingGroup.MEMBER: 40 * H,
        }
        assert await store.required_minutes(session, t.branch_c) == {
            TrainingGroup.LEADER: 24 * H, TrainingGroup.MEMBER: 32 * H,
        }
        assert await store.own_requirements(session, t.county) == {TrainingGroup.LEADER: 32 * H}
    # The person view and the SQL views resolve it the same way.
    assert (await year_of(db, t.secretary_a)).required == 32 * H
    assert (await year_of(db, t.committee_a)).required == 32 * H
    assert (await year_of(db, t.m1)).required == 40 * H
    assert (await year_of(db, t.secretary_b)).required == 24 * H
    assert (await year_of(db, t.m4)).required == 32 * H
    assert (await year_of(db, t.activist)).required == 0
    async with db.session() as session:
        rows = await store.behind(session, None, date(2030, 12, 31), tz=TZ)
    assert {r.person_id: r.required for r in rows} == {
        t.secretary_a.person_id: 32 * H, t.committee_a.person_id: 32 * H,
        t.m1.person_id: 40 * H, t.m2.person_id: 40 * H, t.secretary_b.person_id: 24 * H,
        t.m3.person_id: 40 * H, t.secretary_c.person_id: 24 * H, t.m4.person_id: 32 * H,
    }
    # A nearer override wins; clearing it falls back to the next one up, then the default.
    async with db.session() as session:
        await store.set_requirement(session, t.branch_a, TrainingGroup.MEMBER, 10 * H, by=ADMIN)
    assert (await year_of(db, t.m1)).required == 10 * H
    async with db.session() as session:
        await store.set_requirement(session, t.branch_a, TrainingGroup.MEMBER, None, by=ADMIN)
        await store.set_requirement(session, t.province, TrainingGroup.MEMBER, None, by=ADMIN)
    assert (await year_of(db, t.m1)).required == 32 * H
    events = await audit_rows(db, "training.requirement")
    assert [(e.target_id, e.details["before"], e.details["after"]) for e in events[-3:]] == [
        (t.branch_a, None, 600), (t.branch_a, 600, None), (t.province, 2400, None),
    ]


async def test_behind_lists_those_below_the_pro_rata_target_biggest_gap_first(
    db: Database,
) -> None:
    t = await build_tree(db, overrides=False)  # leaders 24 h, members 32 h
    # On 2 July (day 183 of 365): leaders' target ceil(1440 × 183 / 365) = 722 min,
    # members' ceil(1920 × 183 / 365) = 963 min.
    assert rules.pro_rata_target(24 * H, MID_YEAR, 2030) == 722
    assert rules.pro_rata_target(32 * H, MID_YEAR, 2030) == 963

    async def verified(who: Person, minutes: int, kind: TrainingKind, title: str) -> None:
        record_id = await log(
            db, who, draft(title, kind=kind, minutes=minutes, starts_on=date(2030, 5, 6),
                           ends_on=date(2030, 5, 8))
        )
        assert await decide(db, record_id, t.secretary_c if who is t.secretary_a
                            else t.secretary_a)

    await verified(t.secretary_a, 722, TrainingKind.CONCENTRATED, "a")  # exactly on track
    await verified(t.committee_a, 600, TrainingKind.CONCENTRATED, "b")  # gap 122
    await verified(t.committee_a, 900, TrainingKind.ONLINE, "c")  # does not count for leaders
    await verified(t.m1, 900, TrainingKind.ONLINE, "d")  # gap 63
    await log(db, t.m2, draft("e", minutes=960))  # pending: gap stays 963
    await verified(t.m3, 963, TrainingKind.OTHER, "f")  # on track
    await verified(t.m4, 100, TrainingKind.CONCENTRATED, "g")  # gap 863
    async with db.session() as session:
        whole = await store.behind(session, None, MID_YEAR, tz=TZ)
        branch_a = await store.behind(session, {t.branch_a}, MID_YEAR, tz=TZ)
        top_two = await store.behind(session, None, MID_YEAR, tz=TZ, limit=2)
    gaps = [(r.person_id, r.gap) for r in whole]
    # Leaders owe both: the gap is the bigger of their concentrated and yearly-study gaps.
    assert gaps == [
        (t.m2.person_id, 963),  # tie with the secretaries: by name, P103 < P200 < P300
        (t.secretary_b.person_id, 963),  # nothing at all: the members' 32 h gap is bigger
        (t.secretary_c.person_id, 963),
        (t.m4.person_id, 863),
        (t.secretary_a.person_id, 963 - 722),  # on track on concentrated, not on study
        (t.committee_a.person_id, 122),
        (t.m1.person_id, 63),
    ]
    assert [(r.person_id, r.gap) for r in branch_a] == [
        (t.m2.person_id, 963), (t.secretary_a.person_id, 241),
        (t.committee_a.person_id, 122), (t.m1.person_id, 63),
    ]
    assert top_two == whole[:2]
    committee = next(r for r in whole if r.person_id == t.committee_a.person_id)
    assert committee.group is TrainingGroup.LEADER and committee.role is MemberRole.COMMITTEE_MEMBER
    assert (committee.required, committee.counted, committee.target) == (1440, 600, 722)
    # The activist has no requirement and is never listed.
    assert t.activist.person_id not in {r.person_id for r in whole}
    # On 1 January almost nobody is behind; on 31 December the whole requirement is due.
    async with db.session() as session:
        january = await store.behind(session, None, date(2030, 1, 1), tz=TZ)
        december = await store.behind(session, None, date(2030, 12, 31), tz=TZ)
    assert {r.target for r in january} <= {4, 6}  # ceil(1440/365), ceil(1920/365)
    assert {r.person_id: r.gap for r in december}[t.m3.person_id] == 1920 - 963


async def test_share_of_secretaries_on_track_per_branch_and_overall(db: Database) -> None:
    t = await build_tree(db)  # branch A's leaders owe 32 h (county override), others 24 h
    async with db.session() as session:
        extra = await orgs.create_party_org(
            session, name="Branch D", kind=PartyOrgKind.BRANCH, parent_id=t.province,
            actor_telegram_id=ADMIN,
        )
        secretary_d = await people.appoint_by_telegram_id(
            session, extra, 400, MemberRole.SECRETARY, status=MemberStatus.FULL,
            actor_telegram_id=ADMIN, language="en",
        )
    d = Person(400, secretary_d.person_id, secretary_d.id)
    # A 3-day concentrated course (24 h) in March: on track on 2 July for 24 h (722 due),
    # and for 32 h (963 due) too.
    course = draft("Secretaries' course", starts_on=date(2030, 3, 4), ends_on=date(2030, 3, 6),
                   minutes=24 * H)
    async with db.session() as session:
        await store.log_for_many(
            session, [t.secretary_a.person_id, t.secretary_b.person_id], course, by=ADMIN,
            today=TODAY, now=NOW, verify=True,
        )
    # Secretary D did only online study: not on track.
    online = await log(db, d, draft("Online", kind=TrainingKind.ONLINE, minutes=20 * H,
                                    starts_on=date(2030, 3, 4), ends_on=date(2030, 3, 6)))
    assert await decide(db, online, t.secretary_a)
    async with db.session() as session:
        report = await store.secretaries_on_track(session, t.province, MID_YEAR, tz=TZ)
        county = await store.secretaries_on_track(session, t.county, MID_YEAR, tz=TZ)
        december = await store.secretaries_on_track(session, t.province, date(2030, 12, 31),
                                                    tz=TZ)
    assert [(r.org_name, r.secretaries, r.on_track) for r in report.rows] == [
        ("Branch A", 1, 1), ("Branch B", 1, 1), ("Branch D", 1, 0),
    ]
    assert (report.secretaries, report.on_track) == (3, 2)
    assert report.share == pytest.approx(2 / 3)
    assert [(r.org_name, r.share) for r in county.rows] == [("Branch A", 1.0)]
    # By the end of the year a 24 h course meets neither branch A's 32 h of concentrated
    # training nor the members' 40 h of study that binds secretaries too (issue 14).
    assert [(r.org_name, r.on_track) for r in december.rows] == [
        ("Branch A", 0), ("Branch B", 0), ("Branch D", 0),
    ]


# ---------------------------------------------------------------------------------------------
# Totals against SQL written independently, and the export
# ---------------------------------------------------------------------------------------------


async def test_progress_totals_equal_a_direct_sql_sum(db: Database) -> None:
    t = await build_tree(db)
    members = [t.secretary_a, t.committee_a, t.m1, t.m2, t.secretary_b, t.m3, t.m4]
    rng = random.Random(5)
    kinds = list(TrainingKind)
    for n in range(60):
        who = rng.choice(members)
        starts = date(2029, 1, 1) + timedelta(days=rng.randrange(0, 540))
        ends = starts + timedelta(days=rng.choice([0, 0, 1, 2, 4]))
        if ends > TODAY:
            continue
        record_id = await log(db, who, draft(
            f"course {n}", kind=rng.choice(kinds), starts_on=starts, ends_on=ends,
            minutes=rng.randrange(30, 20 * H),
        ))
        fate = rng.random()
        if fate < 0.6:
            assert await decide(db, record_id, t.secretary_c)
        elif fate < 0.7:
            assert await decide(db, record_id, t.secretary_c, approve=False, reason="no")
    for n in range(4):
        start = datetime(2030, 2 + n, 3, 1, 0, tzinfo=UTC)
        present = [p for p in (t.secretary_a, t.committee_a, t.m1, t.m2) if rng.random() < 0.7]
        await hold_lesson(db, t.branch_a, t.secretary_a, present, start, hours=1 + n / 4)

    async with db.session() as session:
        # Independently: verified minutes per (person, kind) in 2030 from the child table...
        direct: dict[tuple[int, str], int] = {}
        for person_id, kind, minutes in (await session.execute(text(
            "SELECT r.person_id, r.kind, SUM(y.minutes) FROM training_records r "
            "JOIN training_years y ON y.record_id = r.id "
            "WHERE r.state = 'verified' AND y.year = 2030 GROUP BY r.person_id, r.kind"
        ))).all():
            direct[(person_id, kind)] = int(minutes)
        # ...plus lessons attended, their durations computed here in Python.
        for person_id, starts_at, ends_at in (await session.execute(text(
            "SELECT ms.person_id, m.starts_at, m.ends_at FROM attendances a "
            "JOIN meetings m ON m.id = a.meeting_id JOIN memberships ms ON ms.id = a.membership_id "
            "WHERE m.kind = 'lesson' AND m.state = 'closed' AND a.status = 'present'"
        ))).all():
            if isinstance(starts_at, str):  # SQLite returns text for raw SQL
                starts_at, ends_at = (datetime.fromisoformat(v) for v in (starts_at, ends_at))
            minutes = round((ends_at - starts_at).total_seconds() / 60)
            direct[(person_id, "lesson")] = direct.get((person_id, "lesson"), 0) + minutes
        pending_direct: dict[int, int] = dict((await session.execute(text(
            "SELECT r.person_id, SUM(y.minutes) FROM training_records r "
            "JOIN training_years y ON y.record_id = r.id "
            "WHERE r.state = 'pending' AND y.year = 2030 GROUP BY r.person_id"
        ))).all())
        export = await store.export_data(session, None, 2030, org_name="All", tz=TZ,
                                         now=NOW)
        behind_rows = await store.behind(session, None, date(2030, 12, 31), tz=TZ)

    leaders = {t.secretary_a.person_id, t.committee_a.person_id, t.secretary_b.person_id}
    assert sum(direct.values()) > 0 and any(k == "lesson" for _, k in direct)
    by_membership = {m.membership_id: m for m in export.members}
    behind_counted = {r.person_id: r.counted for r in behind_rows}
    for who in members:
        mine = await year_of(db, who)
        expected_by_kind = {k: direct.get((who.person_id, k.value), 0) for k in TrainingKind}
        assert dict(mine.done_by_kind) == expected_by_kind
        counted_kinds = ["concentrated"] if who.person_id in leaders else [k.value for k in kinds]
        expected_counted = sum(direct.get((who.person_id, k), 0) for k in counted_kinds)
        assert mine.counted == expected_counted
        assert sum(mine.pending_by_kind.values()) == int(pending_direct.get(who.person_id, 0))
        line = by_membership[who.membership_id]
        assert line.counted == expected_counted
        assert dict(line.done_by_kind) == expected_by_kind
        if who.person_id in behind_counted:
            assert behind_counted[who.person_id] == expected_counted
        else:
            assert expected_counted >= mine.required


async def test_the_yearly_export_has_a_member_sheet_and_a_course_sheet(db: Database) -> None:
    from openpyxl import load_workbook

    t = await build_tree(db)
    async with db.session() as session:
        await store.log_for_many(
            session, [t.m1.person_id, t.m2.person_id], draft("=Study day", minutes=6 * H),
            by=t.secretary_a.telegram_id, today=TODAY, now=NOW, verify=True,
        )
    await hold_lesson(db, t.branch_a, t.secretary_a, [t.m1],
                      datetime(2030, 5, 5, 1, 0, tzinfo=UTC), hours=2)
    async with db.session() as session:
        data = await store.export_data(
            session, {t.branch_a}, 2030, org_name="Branch A", tz=TZ, now=NOW, on=MID_YEAR
        )
    assert [(m.name, m.counted) for m in data.members] == [
        ("P100", 0), ("P101", 0), ("P102", 8 * H), ("P103", 6 * H),
    ]
    assert [(c.title, c.participants, c.minutes, c.source) for c in data.courses] == [
        ("=Study day", 2, 12 * H, "record"), ("Lesson 05-05", 1, 2 * H, "lesson"),
    ]
    texts = {key: key.upper() for key in WORKBOOK_TEXTS}
    workbook = load_workbook(io.BytesIO(build_workbook(
        data, texts, {k: f"kind:{k.value}" for k in TrainingKind},
        {g: f"group:{g.value}" for g in TrainingGroup},
    )))
    assert workbook.sheetnames == ["MEMBERS_SHEET", "COURSES_SHEET"]
    members = workbook["MEMBERS_SHEET"]
    header = [c.value for c in members[6]]
    assert header[:5] == ["NAME", "ORGANIZATION", "ROLE_GROUP", "REQUIRED", "COUNTED"]
    m1 = [c.value for c in members[9]]
    assert m1[:5] == ["P102", "Branch A", "group:member", 40, 8]
    courses = workbook["COURSES_SHEET"]
    assert courses["A2"].value == "=Study day" and courses["A2"].data_type == "s"
    assert courses["F2"].value == 2 and courses["G2"].value == 12
    assert courses["B3"].value == "LESSON_SOURCE (Secretary)"
    with pytest.raises(ValueError):
        build_workbook(data, {}, {}, {})


async def test_pending_records_of_the_leaders_orgs_oldest_first(db: Database) -> None:
    t = await build_tree(db)
    first = await log(db, t.m1, draft("one"))
    second = await log(db, t.m3, draft("two"))
    verified = await log(db, t.m2, draft("three"))
    assert await decide(db, verified, t.secretary_a)
    async with db.session() as session:
        everywhere = await store.pending_records(session, None)
        only_a = await store.pending_records(session, {t.branch_a, t.county})
        assert await store.current_org_id(session, t.m1.person_id) == t.branch_a
    assert [(line.record.id, line.name, line.org_name) for line in everywhere] == [
        (first, "P102", "Branch A"), (second, "P201", "Branch B"),
    ]
    assert [line.record.id for line in only_a] == [first]


async def test_requirement_sources_bounds_and_unchanged_values_are_not_audited(
    db: Database,
) -> None:
    t = await build_tree(db)  # province: members 40 h; county: leaders 32 h
    async with db.session() as session:
        sources = await store.requirement_sources(session, t.branch_a)
        assert sources[TrainingGroup.MEMBER] == store.RequirementSource(40 * H, t.province,
                                                                        "Province")
        assert sources[TrainingGroup.LEADER] == store.RequirementSource(32 * H, t.county,
                                                                        "County")
        other = await store.requirement_sources(session, t.branch_c)
        assert other[TrainingGroup.LEADER] == store.RequirementSource(24 * H, None, None)
        with pytest.raises(store.TrainingError) as big:
            await store.set_requirement(session, t.branch_a, TrainingGroup.MEMBER,
                                        store.MAX_REQUIRED_MINUTES + 1, by=ADMIN)
        assert big.value.code == "requirement_too_large"
    before = len(await audit_rows(db, "training.requirement"))
    async with db.session() as session:
        assert not await store.set_requirement(session, t.province, TrainingGroup.MEMBER,
                                               40 * H, by=ADMIN)
        assert not await store.set_requirement(session, t.branch_a, TrainingGroup.MEMBER, None,
                                               by=ADMIN)
    assert len(await audit_rows(db, "training.requirement")) == before


async def test_a_member_adds_evidence_only_while_the_record_is_pending(db: Database) -> None:
    t = await build_tree(db)
    record_id = await log(db, t.m1, draft())
    async with db.session() as session:
        assert await store.decide(session, record_id, approve=True,
                                  by=t.secretary_a.telegram_id, now=NOW)
    async with db.session() as session:
        with pytest.raises(store.TrainingError) as late:
            await store.add_evidence(session, record_id, PHOTO, by=t.m1.telegram_id)
        assert late.value.code == "not_pending"
    async with db.session() as session:  # a leader still may
        await store.add_evidence(session, record_id, PDF, by=t.secretary_a.telegram_id)
    assert len(await audit_rows(db, "training.evidence_add")) == 1


async def test_a_lesson_attended_and_logged_by_hand_counts_once(db: Database) -> None:
    t = await build_tree(db, overrides=False)
    # A 1 h 30 min 党课 on 2030-04-01 10:00 Shanghai; m1 present, and logs it by hand too.
    starts = datetime(2030, 4, 1, 2, 0, tzinfo=UTC)
    lesson = await hold_lesson(db, t.branch_a, t.secretary_a, [t.m1], starts, hours=1.5)
    same = await log(db, t.m1, draft("Lesson of April", kind=TrainingKind.LESSON,
                                     starts_on=date(2030, 4, 1), minutes=2 * H))
    other_day = await log(db, t.m1, draft("Another lesson", kind=TrainingKind.LESSON,
                                          starts_on=date(2030, 4, 2), minutes=1 * H))
    # Logged as a concentrated training on that day: not the same kind, counted.
    course = await log(db, t.m1, draft("County course", starts_on=date(2030, 4, 1),
                                       minutes=3 * H))
    for record in (same, other_day, course):
        assert await decide(db, record, t.secretary_a)
    m1 = await year_of(db, t.m1)
    assert m1.done_by_kind[TrainingKind.LESSON] == 90 + 60  # the hand-logged copy left out
    assert m1.counted == 90 + 60 + 180
    async with db.session() as session:
        [row] = [r for r in await store.behind(session, [t.branch_a], date(2030, 12, 31), tz=TZ)
                 if r.person_id == t.m1.person_id]
        export = await store.export_data(session, [t.branch_a], 2030, org_name="A", tz=TZ,
                                         now=NOW)
        hint = await store_overlap.attended_lesson(
            session, t.m1.person_id, TrainingKind.LESSON, date(2030, 3, 31), date(2030, 4, 1),
            tz=TZ,
        )
        none = await store_overlap.attended_lesson(
            session, t.m1.person_id, TrainingKind.LESSON, date(2030, 4, 2), date(2030, 4, 2),
            tz=TZ,
        )
    assert row.counted == m1.counted
    assert next(m for m in export.members if m.membership_id == t.m1.membership_id).counted == (
        m1.counted
    )
    assert hint is not None and hint.meeting_id == lesson and none is None


async def test_a_leader_owes_both_the_concentrated_days_and_the_yearly_study(
    db: Database,
) -> None:
    t = await build_tree(db, overrides=False)  # leaders 24 h concentrated, everyone 32 h study
    # The secretary did 3 days of concentrated training (24 h) and 4 h of online study.
    course = await log(db, t.secretary_a, draft("Secretaries' course", starts_on=date(2030, 3, 4),
                                                ends_on=date(2030, 3, 6), minutes=24 * H))
    online = await log(db, t.secretary_a, draft("Online", kind=TrainingKind.ONLINE,
                                                minutes=4 * H))
    for record in (course, online):
        assert await decide(db, record, t.secretary_c)
    year = await year_of(db, t.secretary_a, on=date(2030, 12, 31))
    assert list(year.standing) == [TrainingGroup.LEADER, TrainingGroup.MEMBER]
    assert year.standing[TrainingGroup.LEADER].met  # 24 h concentrated
    study = year.standing[TrainingGroup.MEMBER]
    assert (study.required, study.counted, study.met) == (32 * H, 28 * H, False)
    member = await year_of(db, t.m1)
    assert list(member.standing) == [TrainingGroup.MEMBER]
    async with db.session() as session:
        rows = await store.behind(session, {t.branch_a}, date(2030, 12, 31), tz=TZ)
        export = await store.export_data(session, [t.branch_a], 2030, org_name="A", tz=TZ,
                                         now=NOW)
        report = await store.secretaries_on_track(session, t.province, date(2030, 12, 31),
                                                  tz=TZ)
    secretary = next(r for r in rows if r.person_id == t.secretary_a.person_id)
    assert (secretary.counted, secretary.study_required, secretary.study_counted) == (
        24 * H, 32 * H, 28 * H)
    assert secretary.gap == 4 * H
    line = next(m for m in export.members if m.membership_id == t.secretary_a.membership_id)
    assert (line.study_required, line.study_counted, line.on_track) == (32 * H, 28 * H, False)
    assert [(r.org_name, r.on_track) for r in report.rows if r.org_name == "Branch A"] == [
        ("Branch A", 0)
    ]
