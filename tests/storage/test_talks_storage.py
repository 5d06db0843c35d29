"""One-to-one talks kept in storage (issue 17): who the yearly rule still asks a talk with
(party members but the secretary; not activists, applicants, those transferred out or of
another branch), counted per year, per branch for the planner; talks refused with oneself or
with someone not a party member of the branch. SQLite and PostgreSQL; the branch of
test_meetings_storage.py."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from rules.vocabulary import MemberRole
from storage import talks
from storage.db import Database
from storage.models import Membership, Talk
from storage.talks import TalkError
from tests.storage.test_meetings_storage import LEADER, Branch, build_branch

NOW = datetime(2030, 6, 20, 2, tzinfo=UTC)


async def people_of(db: Database, b: Branch) -> dict[str, int]:
    """Person ids by the fixture's names."""
    async with db.session() as session:
        found = {}
        for name in ("secretary", "committee", "m1", "m2", "m3", "activist", "pending", "gone",
                     "stranger"):
            membership = await session.get(Membership, getattr(b, name))
            assert membership is not None
            found[name] = membership.person_id
        return found


async def record(db: Database, b: Branch, person: int, by: int, on: date) -> None:
    async with db.session() as session:
        await talks.record_talk(session, org_id=b.org, person_id=person, by_person_id=by,
                                held_on=on, topic="Work and family", by=LEADER, now=NOW)


async def owed(db: Database, b: Branch, year: int) -> list[int]:
    async with db.session() as session:
        return [c.person_id for c in await talks.not_talked_with(session, b.org, year)]


async def test_the_list_shrinks_with_this_years_talks_only(db: Database) -> None:
    b = await build_branch(db)
    p = await people_of(db, b)
    everyone = sorted([p["committee"], p["m1"], p["m2"], p["m3"]])
    assert sorted(await owed(db, b, 2030)) == everyone

    await record(db, b, p["m1"], p["secretary"], date(2030, 3, 2))
    await record(db, b, p["m3"], p["secretary"], date(2029, 12, 31))  # last year's
    await record(db, b, p["m1"], p["committee"], date(2030, 4, 1))  # a second one
    assert sorted(await owed(db, b, 2030)) == sorted([p["committee"], p["m2"], p["m3"]])
    assert sorted(await owed(db, b, 2029)) == sorted([p["committee"], p["m1"], p["m2"]])
    async with db.session() as session:
        assert await talks.count_in_year(session, b.org, 2030) == 2
        lines = await talks.talks_in(session, b.org, date(2030, 1, 1), date(2030, 12, 31))
        assert [(t.held_on, t.person_id, t.by_person_id) for t in lines] == [
            (date(2030, 4, 1), p["m1"], p["committee"]),
            (date(2030, 3, 2), p["m1"], p["secretary"])]
        # Whom the committee member may pick: not themself; the ones still owed first.
        picks = await talks.candidates(session, b.org, 2030, besides=p["committee"])
        assert p["committee"] not in [c.person_id for c in picks]
        assert [c.owed for c in picks] == [True, True, False, False]
        assert {c.person_id: c.talks for c in picks}[p["m1"]] == 2
        assert {c.person_id: c.role for c in picks}[p["secretary"]] is MemberRole.SECRETARY

        behind = await talks.behind_by_branch(session, 2030)
    assert [(row.org_id, row.count, row.secretaries) for row in behind] == [
        (b.org, 3, (p["secretary"],))]  # branch B has no secretary to tell


async def test_a_talk_is_with_a_party_member_of_the_branch_and_someone_else(
    db: Database,
) -> None:
    b = await build_branch(db)
    p = await people_of(db, b)
    for name, code in (("secretary", "with_oneself"), ("activist", "not_a_member"),
                       ("pending", "not_a_member"), ("gone", "not_a_member"),
                       ("stranger", "not_a_member")):
        with pytest.raises(TalkError) as refused:
            await record(db, b, p[name], p["secretary"], date(2030, 3, 2))
        assert refused.value.code == code, name
    with pytest.raises(IntegrityError):  # the database says so too
        async with db.session() as session:
            session.add(Talk(party_organization_id=b.org, held_on=date(2030, 3, 2),
                             person_id=p["m1"], by_person_id=p["m1"], topic="x", created_at=NOW,
                             created_by=LEADER))
            await session.flush()
    async with db.session() as session:
        assert await talks.count_in_year(session, b.org, 2030) == 0
