"""Benchmark: the training views (issue 5) over a tree of N members.

Seeds one 党委 with 党总支 and branches (one big branch holding a tenth of the members), N
active members with several training records each (some spanning New Year, some pending,
rejected or withdrawn), per-organization overrides, and closed party lessons with attendance,
by bulk inserts through SQLAlchemy Core. Then times and prints the person progress view, the
behind list for the big branch and for the whole tree, the secretaries-on-track share, and the
yearly export of the big branch. Figures only: this is not a test and asserts nothing.

    .venv/bin/python -m bench.training_views [--members 10000] [--seed 1]
    .venv/bin/python -m bench.training_views --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

With --database-url a scratch database is created on that PostgreSQL server (and dropped at
the end); PostgreSQL tables are ANALYZEd after seeding, as autovacuum would do. SQLite runs in
a temporary directory, not analyzed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bench.common import bulk_insert, member_rows, party_tree, scratch_database, timed, timing_line
from handlers.training import WORKBOOK_TEXTS, build_workbook
from rules import training as rules
from rules.vocabulary import (
    AttendanceStatus,
    MeetingKind,
    MeetingState,
    MemberRole,
    MemberStatus,
    TrainingGroup,
    TrainingKind,
    TrainingState,
)
from storage import lesson_attendances, training
from storage.db import Database, is_sqlite
from storage.migrate import upgrade
from storage.models import (
    Attendance,
    Meeting,
    Membership,
    PartyOrganization,
    Person,
    TrainingRecord,
    TrainingRequirement,
    TrainingYear,
)

TZ = ZoneInfo("Asia/Shanghai")
FIRST_TELEGRAM_ID = 7_000_000
MEMBERS_PER_BRANCH = 40
BRANCHES_PER_GENERAL = 25


@dataclass
class Seeded:
    root: int
    big_branch: int
    big_branch_members: int
    branches: int
    people: int
    records: int
    lesson_lines: int
    person_ids: list[int]


async def seed(database: Database, members: int, on: date, rng: random.Random) -> Seeded:
    """The tree, people, memberships, trainings and lessons; ids are assigned here."""
    year = on.year
    now = datetime.now(UTC)
    branches = max(2, members // MEMBERS_PER_BRANCH)
    generals = max(1, branches // BRANCHES_PER_GENERAL)
    orgs, branch_ids = party_tree(branches, BRANCHES_PER_GENERAL, now)
    await bulk_insert(database, PartyOrganization, orgs)
    # Two provinces differ: a 党总支 asks 4 days of its leaders, another 40 h of its members.
    await bulk_insert(database, TrainingRequirement, [
        {"party_organization_id": 2, "role_group": TrainingGroup.LEADER,
         "required_minutes": 32 * 60, "set_by": None, "set_at": now},
        {"party_organization_id": 2 + generals - 1, "role_group": TrainingGroup.MEMBER,
         "required_minutes": 40 * 60, "set_by": None, "set_at": now},
    ])

    # A tenth of the members in the first branch, the rest spread over the others.
    big = branch_ids[0]
    big_count = members // 10
    org_of = [big] * big_count + [
        branch_ids[1 + i % (branches - 1)] for i in range(members - big_count)
    ]
    people: list[dict[str, Any]] = []
    memberships: list[dict[str, Any]] = []
    seen_orgs: dict[int, int] = {}
    for i, org_id in enumerate(org_of):
        position = seen_orgs.get(org_id, 0)
        seen_orgs[org_id] = position + 1
        role = (
            MemberRole.SECRETARY if position == 0
            else MemberRole.DEPUTY_SECRETARY if position == 1 and org_id == big
            else MemberRole.COMMITTEE_MEMBER if position in (1, 2, 3)
            else MemberRole.MEMBER
        )
        status = (
            MemberStatus.FULL if role is not MemberRole.MEMBER
            else rng.choices(list(MemberStatus), weights=(82, 15, 3))[0]
        )
        person, membership = member_rows(i, FIRST_TELEGRAM_ID + i, org_id, role, status, now)
        people.append(person)
        memberships.append(membership)
    await bulk_insert(database, Person, people)
    await bulk_insert(database, Membership, memberships)

    records: list[dict[str, Any]] = []
    years: list[dict[str, Any]] = []
    last_day = (on - date(year, 1, 1)).days
    kinds = list(TrainingKind)
    states = [TrainingState.VERIFIED, TrainingState.PENDING, TrainingState.REJECTED,
              TrainingState.WITHDRAWN]
    for person_id in range(1, members + 1):
        for n in range(rng.randint(2, 6)):
            if rng.random() < 0.05:  # across New Year
                starts = date(year - 1, 12, 30)
                ends = date(year, 1, 2)
            else:
                starts = date(year, 1, 1) + timedelta(days=rng.randrange(0, max(1, last_day)))
                ends = min(on, starts + timedelta(days=rng.choice((0, 0, 0, 1, 2))))
            minutes = rng.randrange(60, 8 * 60 * ((ends - starts).days + 1), 30)
            state = rng.choices(states, weights=(75, 15, 5, 5))[0]
            record_id = len(records) + 1
            title = f"培训课程{n:02d}-{rng.randrange(1000):03d}"
            records.append({
                "id": record_id, "person_id": person_id, "kind": rng.choice(kinds),
                "title": title, "title_key": rules.normalize_title(f"{title}#{n}"),
                "organizer": "县委党校", "starts_on": starts, "ends_on": ends,
                "minutes": minutes, "state": state, "batch_id": None,
                "logged_by": FIRST_TELEGRAM_ID + person_id - 1, "logged_at": now,
                "decided_by": 1 if state is not TrainingState.PENDING else None,
                "decided_at": now if state is not TrainingState.PENDING else None,
                "reject_reason": "无证明" if state is TrainingState.REJECTED else None,
                "updated_at": now,
            })
            for split_year, split_minutes in rules.split_minutes_by_year(
                starts, ends, minutes
            ).items():
                years.append(
                    {"record_id": record_id, "year": split_year, "minutes": split_minutes}
                )
    await bulk_insert(database, TrainingRecord, records)
    await bulk_insert(database, TrainingYear, years)

    # Three closed party lessons per branch this year; about 80% present.
    members_of: dict[int, list[int]] = {}
    for membership in memberships:
        members_of.setdefault(membership["party_organization_id"], []).append(membership["id"])
    meetings: list[dict[str, Any]] = []
    attendances: list[dict[str, Any]] = []
    for branch_id in branch_ids:
        for n in range(3):
            day = date(year, 1, 10) + timedelta(days=rng.randrange(0, max(1, last_day - 10)))
            starts_at = datetime(day.year, day.month, day.day, 14, tzinfo=TZ).astimezone(UTC)
            meeting_id = len(meetings) + 1
            meetings.append({
                "id": meeting_id, "party_organization_id": branch_id, "kind": MeetingKind.LESSON,
                "state": MeetingState.CLOSED, "starts_at": starts_at,
                "ends_at": starts_at + timedelta(minutes=rng.choice((60, 90, 120))),
                "topic": f"党课{n}", "checkin_minutes_before": 30, "checkin_minutes_after": 30,
                "code_secret": secrets.token_hex(20), "created_by": 1, "created_at": now,
                "closed_at": now, "closed_by": 1,
            })
            for membership_id in members_of.get(branch_id, []):
                attendances.append({
                    "id": len(attendances) + 1, "meeting_id": meeting_id,
                    "membership_id": membership_id,
                    "status": AttendanceStatus.PRESENT if rng.random() < 0.8
                    else AttendanceStatus.ABSENT,
                    "updated_at": now,
                })
    await bulk_insert(database, Meeting, meetings)
    await bulk_insert(database, Attendance, attendances)
    async with database.engine.begin() as connection:
        # Lessons went in directly: keep them as attended, as closing them would have.
        await lesson_attendances.rebuild(connection)
    return Seeded(
        root=1, big_branch=big, big_branch_members=big_count, branches=branches,
        people=members, records=len(records),
        lesson_lines=sum(1 for a in attendances if a["status"] is AttendanceStatus.PRESENT),
        person_ids=[1 + rng.randrange(members) for _ in range(20)],
    )


async def measure(database: Database, seeded: Seeded, on: date, repeat: int) -> list[str]:
    policy = rules.DEFAULT_POLICY
    lines = []
    people = iter(seeded.person_ids * repeat)

    async def person_view() -> training.PersonYear:
        async with database.session() as session:
            return await training.person_year(
                session, next(people), on.year, tz=TZ, policy=policy, on=on
            )

    durations, _ = await timed(person_view, len(seeded.person_ids), warm_up=False)
    lines.append(timing_line("person progress view", durations, "a different person each run"))

    async def behind_big() -> list[training.BehindRow]:
        async with database.session() as session:
            return await training.behind(session, {seeded.big_branch}, on, tz=TZ, policy=policy)

    durations, rows = await timed(behind_big, repeat, warm_up=False)
    lines.append(timing_line(
        f"behind: big branch ({seeded.big_branch_members})", durations, f"{len(rows)} behind"
    ))

    async def behind_tree() -> list[training.BehindRow]:
        async with database.session() as session:
            from storage.orgs import descendant_ids

            org_ids = await descendant_ids(session, {seeded.root})
            return await training.behind(session, org_ids, on, tz=TZ, policy=policy)

    durations, rows = await timed(behind_tree, repeat, warm_up=False)
    lines.append(timing_line(
        f"behind: whole tree ({seeded.people})", durations, f"{len(rows)} behind"
    ))

    async def on_track() -> training.OnTrackReport:
        async with database.session() as session:
            return await training.secretaries_on_track(
                session, seeded.root, on, tz=TZ, policy=policy
            )

    durations, report = await timed(on_track, repeat, warm_up=False)
    share = f"{report.share:.0%}" if report.share is not None else "-"
    lines.append(timing_line(
        "secretaries on track (whole tree)", durations,
        f"{report.on_track}/{report.secretaries} = {share} over {len(report.rows)} branches",
    ))

    texts = {key: key for key in WORKBOOK_TEXTS}

    async def export() -> training.TrainingExport:
        async with database.session() as session:
            return await training.export_data(
                session, {seeded.big_branch}, on.year, org_name="big branch", tz=TZ,
                now=datetime.now(UTC), policy=policy, on=on,
            )

    durations, data = await timed(export, repeat, warm_up=False)
    lines.append(timing_line(
        "export: big branch, queries", durations,
        f"{len(data.members)} members, {len(data.courses)} courses",
    ))

    async def workbook() -> bytes:
        return build_workbook(
            data, texts, {k: k.value for k in TrainingKind}, {g: g.value for g in TrainingGroup}
        )

    durations, built = await timed(workbook, max(1, repeat // 2), warm_up=False)
    lines.append(timing_line("export: big branch, .xlsx", durations, f"{len(built) // 1024} KiB"))
    return lines


async def run(url: str, members: int, repeat: int, rng: random.Random) -> None:
    on = date(datetime.now(TZ).year, 7, 1)
    await upgrade(url)
    database = Database(url)
    try:
        started = time.perf_counter()
        seeded = await seed(database, members, on, rng)
        seeding = time.perf_counter() - started
        backend = "SQLite" if is_sqlite(url) else "PostgreSQL"
        if not is_sqlite(url):
            async with database.session() as session:
                await session.execute(text("ANALYZE"))
        lines = await measure(database, seeded, on, repeat)
    finally:
        await database.dispose()
    print(
        f"training views: {seeded.people} members in {seeded.branches} branches, "
        f"{seeded.records} training records, {seeded.lesson_lines} lessons attended, "
        f"{backend}; seeded in {seeding:.1f} s; views as of {on.isoformat()} (goal: each < 1 s)"
    )
    for entry in lines:
        print(entry)


async def main(members: int, repeat: int, database_url: str | None, seed_value: int) -> None:
    rng = random.Random(seed_value)
    async with scratch_database(database_url) as url:
        await run(url, members, repeat, rng)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per view")
    parser.add_argument("--database-url", default=None,
                        help="postgresql+asyncpg://USER@HOST/DB (a scratch database is made)")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.members, arguments.repeat, arguments.database_url, arguments.seed))
