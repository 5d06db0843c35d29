"""Member development kept in storage (issue 17): from application to full membership with the
rules' days and the assembly's figures, the membership's status following the stages,
probation extended, contacts and thought reports, what the branch owes by when. SQLite and
PostgreSQL; the branch of test_meetings_storage.py."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from rules.development import Due, TooEarly
from rules.validation import Invalid
from rules.vocabulary import DevelopmentStage as Stage
from rules.vocabulary import MemberStatus
from storage import development, people
from storage.db import Database
from storage.development import DevelopmentError, Votes
from storage.models import DevelopmentStep, Membership
from tests.storage.test_meetings_storage import LEADER, Branch, build_branch

NOW = datetime(2030, 6, 20, 2, tzinfo=UTC)
PASSED = Votes(entitled=5, present=4, in_favour=4, against=0, abstaining=0)


async def applicant(db: Database, b: Branch, telegram_id: int = 9_201) -> int:
    """Someone who applied to the branch, then registered with it (the bot's status before
    probation is "activist"): the record opened first stays at its stage."""
    async with db.session() as session:
        person = await people.ensure_person(session, telegram_id, language="en")
        record = await development.open_record(
            session, person_id=person.id, org_id=b.org, applied_on=date(2028, 3, 1),
            birth_on=date(2000, 5, 5), by=LEADER, today=date(2028, 3, 1), now=NOW)
        membership = await people.submit_registration(session, people.RegistrationForm(
            telegram_id=telegram_id, language="en", real_name="Newcomer", org_id=b.org,
            status=MemberStatus.ACTIVIST, joined_party_on=date(2028, 3, 1), phone=None,
            invite_id=None))
        await people.decide_registration(session, membership.id, approve=True, decided_by=1)
        assert record.stage is Stage.APPLICANT
        return record.id


async def status_of(db: Database, person_id: int) -> tuple[MemberStatus, date | None]:
    async with db.session() as session:
        row = (await session.execute(select(Membership.status, Membership.joined_party_on)
                                     .where(Membership.person_id == person_id))).one()
        return row[0], row[1]


async def test_from_application_to_full_membership(db: Database) -> None:
    b = await build_branch(db)
    record_id = await applicant(db, b)
    today = date(2031, 12, 31)

    async def step(stage: Stage, on: date, votes: Votes | None = None
                   ) -> Invalid | TooEarly | None:
        async with db.session() as session:
            record = await session.get(development.DevelopmentRecord, record_id)
            assert record is not None
            return await development.take_step(session, record, stage, on, by=LEADER,
                                               today=today, now=NOW, votes=votes,
                                               document="支发〔2028〕1号")

    async def event(name: str, on: date) -> Invalid | None:
        async with db.session() as session:
            record = await session.get(development.DevelopmentRecord, record_id)
            assert record is not None
            return await development.record_event(session, record, name, on, by=LEADER,
                                                  today=today, now=NOW)

    async def owed() -> list[Due]:
        async with db.session() as session:
            return [o.due for o in await development.owed_by(session, [b.org])
                    if o.record_id == record_id]

    assert await owed() == [Due("talk", date(2028, 4, 1))]
    assert await event("talk", date(2028, 3, 20)) is None
    assert await step(Stage.ACTIVIST, date(2028, 4, 10)) is None
    assert await event("notice", date(2028, 5, 1)) == Invalid("stage_out_of_order")
    assert await step(Stage.CANDIDATE, date(2029, 4, 9)) == TooEarly(date(2029, 4, 10))
    assert await step(Stage.CANDIDATE, date(2029, 4, 10)) is None
    assert await event("notice", date(2029, 9, 29)) is None  # 5 working days from Sat 29 Sep
    # Admission needs the assembly's figures, quorate, passed by most of those entitled.
    assert await step(Stage.PROBATIONARY, date(2029, 10, 20)) == Invalid("vote_figures")
    assert await step(Stage.PROBATIONARY, date(2029, 10, 20),
                      Votes(5, 2, 2, 0, 0)) == Invalid("vote_not_quorate")
    assert await step(Stage.PROBATIONARY, date(2029, 10, 20),
                      Votes(5, 4, 2, 1, 1)) == Invalid("vote_not_passed")
    async with db.session() as session:
        record = await session.get(development.DevelopmentRecord, record_id)
        assert record is not None and record.stage is Stage.CANDIDATE
        person_id = record.person_id
    assert await status_of(db, person_id) == (MemberStatus.ACTIVIST, date(2028, 3, 1))
    assert await step(Stage.PROBATIONARY, date(2029, 10, 20), PASSED) is None
    assert await status_of(db, person_id) == (MemberStatus.PROBATIONARY, date(2029, 10, 20))

    assert await owed() == [Due("admission_approval", date(2030, 1, 20)),
                            Due("probation_vote", date(2030, 10, 20))]
    assert await event("admission_approval", date(2029, 12, 1)) is None
    assert await step(Stage.FULL, date(2030, 10, 20), PASSED) is None
    assert await status_of(db, person_id) == (MemberStatus.FULL, date(2029, 10, 20))
    assert await event("confirmation_approval", date(2030, 11, 2)) is None
    assert await owed() == []
    async with db.session() as session:
        assert await development.open_record_of(session, person_id) is None
        steps = (await session.scalars(select(DevelopmentStep.step).where(
            DevelopmentStep.record_id == record_id).order_by(DevelopmentStep.id))).all()
    assert steps == ["applied", "talk", "activist", "candidate", "notice", "probationary",
                     "admission_approval", "full", "confirmation_approval"]


async def test_an_admin_lets_a_step_through_early_with_a_reason(db: Database) -> None:
    b = await build_branch(db)
    record_id = await applicant(db, b)
    async with db.session() as session:
        record = await session.get(development.DevelopmentRecord, record_id)
        assert record is not None
        assert await development.take_step(session, record, Stage.ACTIVIST, date(2028, 3, 5),
                                           by=LEADER, today=date(2028, 3, 5), now=NOW) is None
        assert await development.take_step(
            session, record, Stage.CANDIDATE, date(2028, 9, 1), by=1, today=date(2028, 9, 1),
            now=NOW, override="Upper level's written approval 2028-08") is None
        assert record.candidate_on == date(2028, 9, 1)


async def test_probation_extended_once_and_withdrawn_status_goes_back(db: Database) -> None:
    b = await build_branch(db)
    async with db.session() as session:
        [record] = [r for r, _ in await development.pipeline(session, b.org)
                    if r.stage is Stage.PROBATIONARY]  # m2's, opened when approved
        person_id = record.person_id
        assert record.admitted_on == date(2015, 7, 1)  # the day they joined the party
        assert await development.extend_probation(session, record, 4, by=LEADER, now=NOW,
                                                  on=date(2016, 7, 1), reason="x") == Invalid(
            "number_range", 12, 6)
        assert await development.extend_probation(session, record, 6, by=LEADER, now=NOW,
                                                  on=date(2016, 7, 1), reason="Not ready") is None
        assert record.extension_months == 6
        assert await development.extend_probation(
            session, record, 6, by=LEADER, now=NOW, on=date(2016, 7, 1), reason="again"
        ) == Invalid("already_extended")
        await development.close(session, record, "withdrawn", by=LEADER, on=date(2016, 9, 1),
                                now=NOW)
    assert (await status_of(db, person_id))[0] is MemberStatus.ACTIVIST


async def test_contacts_are_one_or_two_full_members_of_the_branch(db: Database) -> None:
    b = await build_branch(db)
    record_id = await applicant(db, b)
    async with db.session() as session:
        ids = {m: (await session.get(Membership, m)) for m in (b.m1, b.m2, b.m3, b.stranger)}
        person = {m: row.person_id for m, row in ids.items() if row is not None}
        record = await session.get(development.DevelopmentRecord, record_id)
        assert record is not None
        for wrong, code in (([], "contacts_count"),
                            ([person[b.m1], person[b.m3], person[b.m2]], "contacts_count"),
                            ([person[b.m2]], "contact_not_full_member"),
                            ([person[b.stranger]], "contact_not_full_member")):
            with pytest.raises(DevelopmentError, match=code):
                await development.assign_contacts(session, record, wrong, on=date(2028, 4, 1),
                                                  by=LEADER)
        await development.assign_contacts(session, record, [person[b.m1], person[b.m3]],
                                          on=date(2028, 4, 1), by=LEADER)
        await development.assign_contacts(session, record, [person[b.m3]],
                                          on=date(2028, 5, 1), by=LEADER)
        assert [c.person_id for c in await development.contacts_of(session, record_id)] == [
            person[b.m3]]
        with pytest.raises(DevelopmentError, match="thought_report_empty"):
            await development.add_thought_report(session, record, text=None, file_id=None,
                                                 file_name=None, now=NOW)
        await development.add_thought_report(session, record, text="My study this quarter",
                                             file_id=None, file_name=None, now=NOW)
        [report] = await development.thought_reports(session, record_id)
        assert report.text == "My study this quarter"


async def test_one_development_under_way_per_person_and_the_age_rule(db: Database) -> None:
    b = await build_branch(db)
    record_id = await applicant(db, b)
    async with db.session() as session:
        record = await session.get(development.DevelopmentRecord, record_id)
        assert record is not None
        with pytest.raises(DevelopmentError, match="development_open"):
            await development.open_record(
                session, person_id=record.person_id, org_id=b.org, applied_on=date(2028, 3, 2),
                birth_on=None, by=LEADER, today=date(2028, 3, 2), now=NOW)
        activist = await session.get(Membership, b.activist)
        assert activist is not None
        with pytest.raises(DevelopmentError, match="applicant_too_young"):
            await development.open_record(
                session, person_id=activist.person_id, org_id=b.org,
                applied_on=date(2028, 3, 2), birth_on=date(2010, 3, 3), by=LEADER,
                today=date(2028, 3, 2), now=NOW)


async def test_the_migration_gives_todays_activists_and_probationary_members_a_record(
    db: Database,
) -> None:
    """A database from before development (0023) upgraded: each current activist enters at
    the activist stage (applied on the day registration asked for), each probationary member
    at probation from the day they joined; full members and former members do not."""
    from storage.migrate import upgrade
    from tests.storage.schema_history import downgrade_to

    b = await build_branch(db)
    await downgrade_to(db, "0023")
    await upgrade(db.url)
    async with db.session() as session:
        found = {(person.telegram_id, record.stage, record.applied_on)
                 for record, person in await development.pipeline(session, b.org)}
    assert found == {(9_105, Stage.ACTIVIST, date(2015, 7, 1)),  # b.activist
                     (9_103, Stage.PROBATIONARY, date(2015, 7, 1))}  # b.m2
