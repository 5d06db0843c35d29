"""The democratic appraisal kept in storage (issue 17, 民主评议党员): one per branch and year;
self-assessments and peer grades replaced, withdrawn, never to oneself nor across branches;
counts per member without graders; results, the assembly's confirmation once every member has
one; closed, nothing changes; the ledger's lines; the migration. SQLite and PostgreSQL; the
branch of test_meetings_storage.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from rules.vocabulary import AppraisalGrade, MeetingKind
from storage import appraisal
from storage.appraisal import AppraisalError
from storage.db import Database
from storage.models import Appraisal, AppraisalPeerGrade, AuditEvent
from tests.storage.test_meetings_storage import LEADER, Branch, build_branch, schedule
from tests.storage.test_talks_storage import people_of

NOW = datetime(2030, 11, 20, 2, tzinfo=UTC)
G = AppraisalGrade


async def opened(db: Database, b: Branch) -> int:
    async with db.session() as session:
        return (await appraisal.open_year(session, org_id=b.org, year=2030, by=LEADER,
                                          now=NOW)).id


async def test_members_assess_themselves_and_grade_each_other_anonymously(db: Database) -> None:
    b = await build_branch(db)
    p = await people_of(db, b)
    aid = await opened(db, b)
    async with db.session() as session:
        with pytest.raises(AppraisalError, match="already_open"):
            await appraisal.open_year(session, org_id=b.org, year=2030, by=LEADER, now=NOW)
        # Another branch, or another year, opens its own.
        await appraisal.open_year(session, org_id=b.other_org, year=2030, by=LEADER, now=NOW)
        await appraisal.open_year(session, org_id=b.org, year=2031, by=LEADER, now=NOW)
    async with db.session() as session:
        a = await session.get(Appraisal, aid)
        assert a is not None
        members = [m.person_id for m in await appraisal.appraisees(session, b.org)]
        assert sorted(members) == sorted(p[n] for n in ("secretary", "committee", "m1", "m2",
                                                        "m3"))
        await appraisal.submit_self(session, a, person_id=p["m1"], text="First", by=9_102,
                                    now=NOW)
        await appraisal.submit_self(session, a, person_id=p["m1"], text="Second", by=9_102,
                                    now=NOW)
        assert await appraisal.own_self(session, aid, p["m1"]) == "Second"
        for name in ("activist", "pending", "gone", "stranger"):
            with pytest.raises(AppraisalError, match="not_a_member"):
                await appraisal.submit_self(session, a, person_id=p[name], text="x", by=1,
                                            now=NOW)
        give = appraisal.give_grade
        await give(session, a, grader=p["m1"], graded=p["m2"], grade=G.QUALIFIED, by=1, now=NOW)
        await give(session, a, grader=p["m1"], graded=p["m2"], grade=G.EXCELLENT, by=1, now=NOW)
        await give(session, a, grader=p["m3"], graded=p["m2"], grade=G.EXCELLENT, by=1, now=NOW)
        await give(session, a, grader=p["committee"], graded=p["m2"], grade=G.QUALIFIED, by=1,
                   now=NOW)
        await give(session, a, grader=p["m2"], graded=p["m1"], grade=G.BASICALLY_QUALIFIED,
                   by=1, now=NOW)
        await give(session, a, grader=p["m3"], graded=p["m1"], grade=G.QUALIFIED, by=1, now=NOW)
        assert await appraisal.withdraw_grade(session, a, grader=p["m3"], graded=p["m1"], by=1)
        assert not await appraisal.withdraw_grade(session, a, grader=p["m3"], graded=p["m1"],
                                                  by=1)
        with pytest.raises(AppraisalError, match="oneself"):
            await give(session, a, grader=p["m1"], graded=p["m1"], grade=G.EXCELLENT, by=1,
                       now=NOW)
        for grader, graded in ((p["m1"], p["stranger"]), (p["activist"], p["m1"]),
                               (p["m1"], p["gone"])):
            with pytest.raises(AppraisalError, match="not_a_member"):
                await give(session, a, grader=grader, graded=graded, grade=G.EXCELLENT, by=1,
                           now=NOW)
        assert await appraisal.grades_given(session, aid, p["m1"]) == {p["m2"]: G.EXCELLENT}
        counts = await appraisal.counts(session, aid)
        assert counts == {
            p["m2"]: {G.EXCELLENT: 2, G.QUALIFIED: 1, G.BASICALLY_QUALIFIED: 0,
                      G.UNQUALIFIED: 0},
            p["m1"]: {G.EXCELLENT: 0, G.QUALIFIED: 0, G.BASICALLY_QUALIFIED: 1,
                      G.UNQUALIFIED: 0}}
        lines = {line.person_id: line for line in await appraisal.board(session, a)}
        assert lines[p["m1"]].self_submitted and not lines[p["m2"]].self_submitted
        assert lines[p["m2"]].counts[G.EXCELLENT] == 2 and lines[p["m3"]].result is None
        # The audit keeps that something was given, not what nor the words.
        details = (await session.scalars(select(AuditEvent.details).where(
            AuditEvent.action.like("appraisal.%")))).all()
        assert not any("Second" in str(d) or "excellent" in str(d) for d in details)
    with pytest.raises(IntegrityError):  # the database refuses grading oneself too
        async with db.session() as session:
            session.add(AppraisalPeerGrade(appraisal_id=aid, grader_person_id=p["m1"],
                                           graded_person_id=p["m1"], grade=G.EXCELLENT,
                                           given_at=NOW))
            await session.flush()


async def test_results_the_confirmation_and_closing(db: Database) -> None:
    b = await build_branch(db)
    p = await people_of(db, b)
    aid = await opened(db, b)
    in_year = await schedule(db, b, MeetingKind.APPRAISAL, starts_at=NOW + timedelta(days=2))
    await schedule(db, b, MeetingKind.APPRAISAL, starts_at=datetime(2031, 1, 5, 2, tzinfo=UTC))
    await schedule(db, b, MeetingKind.ASSEMBLY, starts_at=NOW + timedelta(days=3))
    async with db.session() as session:
        a = await session.get(Appraisal, aid)
        assert a is not None
        members = [m.person_id for m in await appraisal.appraisees(session, b.org)]
        for person in members[:-1]:
            await appraisal.record_result(session, a, person_id=person, grade=G.QUALIFIED,
                                          note=None, by=LEADER, now=NOW)
        with pytest.raises(AppraisalError, match="results_missing"):
            await appraisal.confirm(session, a, on=date(2030, 11, 25), by=LEADER)
        await appraisal.record_result(session, a, person_id=members[-1], grade=G.UNQUALIFIED,
                                      note="Absent all year", by=LEADER, now=NOW)
        await appraisal.record_result(session, a, person_id=members[-1],
                                      grade=G.BASICALLY_QUALIFIED, note="Improving",
                                      by=LEADER, now=NOW)
        with pytest.raises(AppraisalError, match="not_a_member"):
            await appraisal.record_result(session, a, person_id=p["activist"],
                                          grade=G.QUALIFIED, note=None, by=LEADER, now=NOW)
        await appraisal.confirm(session, a, on=date(2030, 11, 25), by=LEADER)
        assert await appraisal.own_result(session, aid, members[-1]) == (
            G.BASICALLY_QUALIFIED, "Improving")
        found = await appraisal.appraisal_meetings(
            session, b.org, datetime(2030, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))
        assert [mid for mid, _, _ in found] == [in_year]
        await appraisal.close(session, a, by=LEADER, now=NOW, meeting_id=in_year)
        with pytest.raises(AppraisalError, match="closed"):
            await appraisal.submit_self(session, a, person_id=p["m1"], text="Late", by=1,
                                        now=NOW)
        with pytest.raises(AppraisalError, match="closed"):
            await appraisal.record_result(session, a, person_id=p["m1"], grade=G.EXCELLENT,
                                          note=None, by=LEADER, now=NOW)
        with pytest.raises(AppraisalError, match="closed"):
            await appraisal.close(session, a, by=LEADER, now=NOW)
    async with db.session() as session:
        a = await session.get(Appraisal, aid)
        assert a is not None and a.meeting_id == in_year and a.closed_by == LEADER
        assert a.assembly_confirmed_on == date(2030, 11, 25)
        lines = await appraisal.ledger_lines(session, b.org, 2030, 2030)
        assert len(lines) == 5 and {line.confirmed_on for line in lines} == {date(2030, 11, 25)}
        assert [(line.grade, line.note) for line in lines
                if line.note] == [(G.BASICALLY_QUALIFIED, "Improving")]
        assert await appraisal.ledger_lines(session, b.org, 2031, 2031) == []


async def test_the_migration_adds_and_removes_the_appraisal_tables(db: Database) -> None:
    """Down to talks (0025) and up again: the tables go and come back, usable."""
    from storage.migrate import upgrade
    from tests.storage.schema_history import downgrade_to

    b = await build_branch(db)
    assert not {name for name in await downgrade_to(db, "0025") if name.startswith("appraisal")}
    await upgrade(db.url)
    assert await opened(db, b)
