"""Storage on SQLite and PostgreSQL: schema, constraints, races, persistence, time."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, StatementError

from bot.persistence import SqlPersistence
from rules.vocabulary import MembershipState, MemberStatus, PartyOrgKind
from storage import orgs, people
from storage import persistence as rows
from storage.db import Database
from storage.models import AuditEvent, Base, Invite, Membership, Person


async def test_migrations_match_the_models(db: Database) -> None:
    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection)  # type: ignore[arg-type]
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def _branch_with_applicant(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        committee = await orgs.create_party_org(
            session, name="综合党委", kind=PartyOrgKind.COMMITTEE, parent_id=None,
            actor_telegram_id=1,
        )
        branch = await orgs.create_party_org(
            session, name="一支部", kind=PartyOrgKind.BRANCH, parent_id=committee.id,
            actor_telegram_id=1,
        )
        membership = await people.submit_registration(
            session,
            people.RegistrationForm(
                telegram_id=42, language="zh", real_name="王丽", org_id=branch.id,
                status=MemberStatus.FULL, joined_party_on=date(2015, 7, 1), phone=None,
                invite_id=None,
            ),
        )
        return branch.id, membership.id


async def test_two_leaders_approving_at_once_approve_once(db: Database) -> None:
    _, membership_id = await _branch_with_applicant(db)

    async def approve(by: int) -> bool:
        async with db.session() as session:
            decision = await people.decide_registration(
                session, membership_id, approve=True, decided_by=by
            )
            assert decision is not None
            return decision.applied

    results = await asyncio.gather(approve(7), approve(8), approve(9))
    assert sorted(results) == [False, False, True]
    async with db.session() as session:
        approvals = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "membership.approve"
            )
        )
        state = await session.scalar(select(Membership.state).where(Membership.id == membership_id))
    assert approvals == 1 and state is MembershipState.ACTIVE


async def test_one_current_membership_per_person_is_enforced_by_the_database(db: Database) -> None:
    branch_id, _ = await _branch_with_applicant(db)
    with pytest.raises(people.MembershipError):
        async with db.session() as session:
            await people.submit_registration(
                session,
                people.RegistrationForm(
                    telegram_id=42, language="zh", real_name="王丽", org_id=branch_id,
                    status=MemberStatus.FULL, joined_party_on=date(2015, 7, 1), phone=None,
                    invite_id=None,
                ),
            )
    with pytest.raises(IntegrityError):
        async with db.session() as session:
            person_id = await session.scalar(select(Person.id).where(Person.telegram_id == 42))
            session.add(
                Membership(
                    person_id=person_id, party_organization_id=branch_id,
                    state=MembershipState.ACTIVE, status=MemberStatus.FULL,
                )
            )
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Membership)) == 1


async def test_single_use_invite_is_counted_atomically(db: Database) -> None:
    from storage import invites

    async with db.session() as session:
        branch = await orgs.create_party_org(
            session, name="二支部", kind=PartyOrgKind.BRANCH, parent_id=None, actor_telegram_id=1
        )
        invite = await invites.create_invite(
            session, org_id=branch.id, created_by=1, valid_days=1,
            now=datetime(2030, 3, 15, 4, tzinfo=UTC), single_use=True,
        )

    async def register(telegram_id: int) -> str:
        try:
            async with db.session() as session:
                await people.submit_registration(
                    session,
                    people.RegistrationForm(
                        telegram_id=telegram_id, language="zh", real_name="某人",
                        org_id=branch.id, status=MemberStatus.FULL,
                        joined_party_on=date(2020, 1, 1), phone=None, invite_id=invite.id,
                    ),
                )
            return "ok"
        except people.MembershipError as exc:
            return exc.code

    assert sorted(await asyncio.gather(register(1), register(2))) == ["invite_used", "ok"]
    async with db.session() as session:
        assert await session.scalar(select(Invite.uses)) == 1
        assert await session.scalar(select(func.count()).select_from(Membership)) == 1


async def test_subtree_is_found_by_a_recursive_query(db: Database) -> None:
    async with db.session() as session:
        top = await orgs.create_party_org(
            session, name="党委", kind=PartyOrgKind.COMMITTEE, parent_id=None, actor_telegram_id=1
        )
        general = await orgs.create_party_org(
            session, name="总支", kind=PartyOrgKind.GENERAL_BRANCH, parent_id=top.id,
            actor_telegram_id=1,
        )
        leaf = await orgs.create_party_org(
            session, name="支部", kind=PartyOrgKind.BRANCH, parent_id=general.id,
            actor_telegram_id=1,
        )
        other = await orgs.create_party_org(
            session, name="别的支部", kind=PartyOrgKind.BRANCH, parent_id=None,
            actor_telegram_id=1,
        )
        assert await orgs.descendant_ids(session, {general.id}) == {general.id, leaf.id}
        assert await orgs.descendant_ids(session, {top.id}) == {top.id, general.id, leaf.id}
        assert other.id not in await orgs.descendant_ids(session, {top.id})
        assert await orgs.ancestor_ids(session, leaf.id) == [general.id, top.id]
        with pytest.raises(orgs.TreeError):
            await orgs.create_party_org(
                session, name="坏的", kind=PartyOrgKind.BRANCH, parent_id=leaf.id,
                actor_telegram_id=1,
            )


async def test_times_are_stored_in_utc_and_come_back_aware(db: Database) -> None:
    shanghai = timezone(timedelta(hours=8))
    local = datetime(2026, 1, 1, 9, 30, tzinfo=shanghai)
    async with db.session() as session:
        person = Person(telegram_id=5, language="zh", created_at=local)
        session.add(person)
    async with db.session() as session:
        stored = await session.scalar(select(Person.created_at).where(Person.telegram_id == 5))
    assert stored == local and stored is not None and stored.tzinfo is not None
    assert stored.astimezone(UTC).hour == 1
    with pytest.raises(StatementError):
        async with db.session() as session:
            session.add(Person(telegram_id=6, language="zh", created_at=datetime(2026, 1, 1)))


async def test_persistence_keeps_conversations_and_drafts(db: Database) -> None:
    persistence = SqlPersistence(db)
    await persistence.update_conversation("registration", (1, 1), 3)
    draft = {"registration": {"name": "王丽", "joined": date(2020, 1, 1)}}
    await persistence.update_user_data(1, draft)
    fresh = SqlPersistence(db)
    assert await fresh.get_conversations("registration") == {(1, 1): 3}
    stored = {1: {"registration": {"name": "王丽", "joined": "2020-01-01"}}}
    assert await fresh.get_user_data() == stored
    await persistence.update_conversation("registration", (1, 1), None)
    await persistence.drop_user_data(1)
    assert await fresh.get_conversations("registration") == {}
    assert await fresh.get_user_data() == {}


async def test_fresh_read_gives_the_stored_states_and_user_data(db: Database) -> None:
    await rows.save_conversation(db, "registration", (1, 1), 3)
    await rows.save_user_data(db, 1, {"draft": "王丽"})
    wanted = [("registration", rows.encode_key((1, 1))), ("meeting", rows.encode_key((1, 1)))]
    states, data = await rows.read_fresh(db, wanted, 1)
    assert states == {("registration", rows.encode_key((1, 1))): 3}
    assert data == {"draft": "王丽"}
    assert await rows.read_fresh(db, [], 2) == ({}, None)
