"""Benchmark: the admin overview (issue 7) over N branches.

Seeds one 党委 with 党总支 and N branches (every fifth a 联合党支部 covering three social
organizations, the others one each, plus some uncovered ones), committee terms spread over
six years, 12 members a branch, 党小组 in half of them, a year of closed meetings (monthly
committee meetings and theme days, quarterly assemblies and lessons with attendance, group
meetings), secretaries' training records and the default reporting duties with completions
for most branches, by bulk inserts through SQLAlchemy Core. Then times the whole overview
(what /overview and the dashboard's first page compute), its parts, and the dashboard's branch
table. Figures only: this is not a test and asserts nothing.

    .venv/bin/python -m bench.overview [--branches 1000] [--repeat 5]
    .venv/bin/python -m bench.overview --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

With --database-url a scratch database is created on that PostgreSQL server (and dropped at
the end) and ANALYZEd after seeding. SQLite runs in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bench.common import bulk_insert, member_rows, party_tree, scratch_database, timed, timing_line
from rules import duties as duty_rules
from rules.meetings import DEFAULT_REQUIREMENTS
from rules.training import DEFAULT_POLICY, normalize_title
from rules.vocabulary import (
    AttendanceStatus,
    MeetingKind,
    MeetingState,
    MemberRole,
    MemberStatus,
    PartyOrgKind,
    SocialOrgType,
    TrainingKind,
    TrainingState,
)
from storage import lesson_attendances, meeting_counts, overview
from storage.db import Database, is_sqlite
from storage.duties import ensure_default_duties, template_of
from storage.migrate import upgrade
from storage.models import (
    Attendance,
    Duty,
    DutyCompletion,
    Meeting,
    Membership,
    PartyGroup,
    PartyOrganization,
    Person,
    SocialOrganization,
    TrainingRecord,
    TrainingYear,
)

TZ = ZoneInfo("Asia/Shanghai")
FIRST_TELEGRAM_ID = 8_000_000
MEMBERS_PER_BRANCH = 12
BRANCHES_PER_GENERAL = 25


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, dtime(hour), tzinfo=TZ).astimezone(UTC)


async def seed(database: Database, branches: int, today: date, rng: random.Random) -> dict[
    str, int
]:
    """The tree, social organizations, people, meetings, training and duties."""
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=800)
    orgs, branch_ids = party_tree(
        branches, BRANCHES_PER_GENERAL, long_ago,
        lambda b: PartyOrgKind.JOINT_BRANCH if b % 5 == 0 else PartyOrgKind.BRANCH,
    )
    # Committee terms spread over the years, drawn in the order of the rows.
    for row in orgs:
        if row["kind"] is PartyOrgKind.COMMITTEE:
            row["term_started_on"] = today - timedelta(days=rng.randrange(365 * 5))
        elif row["kind"] is PartyOrgKind.GENERAL_BRANCH:
            row["term_started_on"] = today - timedelta(days=rng.randrange(365 * 4))
        else:
            row["term_started_on"] = (None if rng.random() < 0.05
                                      else today - timedelta(days=rng.randrange(365 * 4)))
    await bulk_insert(database, PartyOrganization, orgs)

    socials: list[dict[str, Any]] = []
    types = list(SocialOrgType)
    for b, branch_id in enumerate(branch_ids):
        for _ in range(3 if b % 5 == 0 else 1):
            socials.append({"name": f"社会组织{len(socials):05d}", "org_type": rng.choice(types),
                            "party_organization_id": branch_id, "created_at": now})
    for _ in range(branches // 10):
        socials.append({"name": f"社会组织{len(socials):05d}", "org_type": rng.choice(types),
                        "party_organization_id": None, "created_at": now})
    await bulk_insert(database, SocialOrganization, socials)

    groups: list[dict[str, Any]] = []
    groups_of: dict[int, list[int]] = {}
    for b, branch_id in enumerate(branch_ids):
        if b % 2:
            for n in range(2):
                groups.append({"id": len(groups) + 1, "party_organization_id": branch_id,
                               "name": f"第{n + 1}党小组"})
                groups_of.setdefault(branch_id, []).append(len(groups))
    await bulk_insert(database, PartyGroup, groups)

    people: list[dict[str, Any]] = []
    memberships: list[dict[str, Any]] = []
    members_of: dict[int, list[int]] = {}
    secretaries: list[int] = []
    for branch_id in branch_ids:
        for position in range(MEMBERS_PER_BRANCH):
            i = len(people)
            role = (MemberRole.SECRETARY if position == 0
                    else MemberRole.COMMITTEE_MEMBER if position < 3 else MemberRole.MEMBER)
            person, membership = member_rows(
                i, FIRST_TELEGRAM_ID + i, branch_id, role, MemberStatus.FULL, now
            )
            people.append(person)
            memberships.append(membership)
            members_of.setdefault(branch_id, []).append(i + 1)
            if role is MemberRole.SECRETARY:
                secretaries.append(i + 1)
    await bulk_insert(database, Person, people)
    await bulk_insert(database, Membership, memberships)

    # A year of meetings up to today; some branches skip some months.
    meetings: list[dict[str, Any]] = []
    attendances: list[dict[str, Any]] = []

    def meeting(branch_id: int, kind: MeetingKind, day: date, group: int | None = None) -> int:
        starts = _at(day, 14)
        meetings.append({
            "id": len(meetings) + 1, "party_organization_id": branch_id, "kind": kind,
            "party_group_id": group, "state": MeetingState.CLOSED, "starts_at": starts,
            "ends_at": starts + timedelta(minutes=90), "topic": f"{kind.value} {day}",
            "checkin_minutes_before": 30, "checkin_minutes_after": 30,
            "code_secret": secrets.token_hex(20), "created_by": 1, "created_at": now,
            "closed_at": now, "closed_by": 1,
        })
        return len(meetings)

    for branch_id in branch_ids:
        diligence = rng.random()
        for month in range(1, today.month + 1):
            day = date(today.year, month, 1 + rng.randrange(min(27, max(1, today.day - 1))
                                                           if month == today.month else 27))
            if day > today:
                continue
            for kind in (MeetingKind.COMMITTEE, MeetingKind.THEME_DAY):
                if rng.random() < 0.7 + 0.3 * diligence:
                    meeting(branch_id, kind, day)
            for group in groups_of.get(branch_id, []):
                if rng.random() < 0.8:
                    meeting(branch_id, MeetingKind.GROUP, day, group)
            if month % 3 == 2:
                meeting(branch_id, MeetingKind.ASSEMBLY, day)
                lesson = meeting(branch_id, MeetingKind.LESSON, day + timedelta(days=1))
                for membership_id in members_of[branch_id]:
                    attendances.append({
                        "meeting_id": lesson, "membership_id": membership_id,
                        "status": AttendanceStatus.PRESENT if rng.random() < 0.85
                        else AttendanceStatus.ABSENT, "updated_at": now,
                    })
    await bulk_insert(database, Meeting, meetings)
    await bulk_insert(database, Attendance, attendances)
    async with database.engine.begin() as connection:
        # Meetings went in directly: count them for compliance and keep the lessons attended,
        # as closing them would have.
        await meeting_counts.rebuild(connection, TZ)
        await lesson_attendances.rebuild(connection)

    records: list[dict[str, Any]] = []
    years: list[dict[str, Any]] = []
    for person_id in secretaries:
        for n in range(rng.randint(0, 3)):
            starts = date(today.year, 1, 1) + timedelta(days=rng.randrange(
                max(1, (today - date(today.year, 1, 1)).days)))
            ends = min(today, starts + timedelta(days=1))
            minutes = 480 * ((ends - starts).days + 1)
            title = f"书记培训{n}-{person_id}"
            records.append({
                "id": len(records) + 1, "person_id": person_id,
                "kind": TrainingKind.CONCENTRATED, "title": title,
                "title_key": normalize_title(title), "organizer": "县委党校", "starts_on": starts,
                "ends_on": ends, "minutes": minutes, "state": TrainingState.VERIFIED,
                "batch_id": None, "logged_by": 1, "logged_at": now, "decided_by": 1,
                "decided_at": now, "reject_reason": None, "updated_at": now,
            })
            years.append({"record_id": len(records), "year": today.year, "minutes": minutes})
    await bulk_insert(database, TrainingRecord, records)
    await bulk_insert(database, TrainingYear, years)

    async with database.session() as session:
        await ensure_default_duties(session)
    async with database.session() as session:
        from sqlalchemy import select

        duties = (await session.scalars(select(Duty))).all()
        completions: list[dict[str, Any]] = []
        for duty in duties:
            template = template_of(duty)
            for occ in duty_rules.occurrences(template, today - timedelta(days=365), today):
                for branch_id in branch_ids:
                    if rng.random() < 0.85:
                        completions.append({
                            "duty_id": duty.id, "party_organization_id": branch_id,
                            "occurrence": occ.key, "done_at": now, "done_by": 1,
                        })
    await bulk_insert(database, DutyCompletion, completions)
    return {"branches": branches, "organizations": len(orgs), "social": len(socials),
            "people": len(people), "meetings": len(meetings), "attendance": len(attendances),
            "training": len(records), "completions": len(completions)}


async def measure(database: Database, today: date, repeat: int) -> list[str]:
    scope = overview.Scope(None)
    lines = []

    async def whole() -> overview.Overview:
        async with database.session() as session:
            return await overview.overview(session, scope, today=today, tz=TZ,
                                           requirements=DEFAULT_REQUIREMENTS,
                                           policy=DEFAULT_POLICY)

    durations, view = await timed(whole, repeat)
    lines.append(timing_line("overview (everything)", durations,
                      f"{len(view.branches)} branches, {view.behind} behind, "
                      f"{len(view.renewals)} renewals, {len(view.duties)} duties overdue, "
                      f"{view.secretaries_on_track}/{view.secretaries} secretaries on track"))

    async def part(name: str, call: Callable[[Any], Awaitable[Any]]) -> None:
        async def run() -> Any:
            async with database.session() as session:
                return await call(session) or True

        durations, _ = await timed(run, repeat)
        lines.append(timing_line(f"  {name}", durations))

    await part("coverage", lambda s: overview.coverage(s, scope))
    await part("meeting compliance", lambda s: overview.branch_compliance(
        s, scope, today=today, tz=TZ, requirements=DEFAULT_REQUIREMENTS))
    await part("renewals", lambda s: overview.renewals(s, scope, today=today))
    await part("overdue duties", lambda s: overview.overdue_duties(s, scope, today=today, tz=TZ))
    await part("secretaries on track", lambda s: overview.training_on_track(
        s, scope, today=today, tz=TZ, policy=DEFAULT_POLICY))

    async def table() -> list[overview.BranchRow]:
        async with database.session() as session:
            return await overview.branch_rows(session, scope, view)

    durations, rows = await timed(table, repeat)
    lines.append(timing_line("dashboard branch table (extra)", durations, f"{len(rows)} rows"))
    return lines


async def run(url: str, branches: int, repeat: int, rng: random.Random) -> None:
    today = datetime.now(TZ).date()
    await upgrade(url)
    database = Database(url)
    try:
        started = time.perf_counter()
        counts = await seed(database, branches, today, rng)
        seeding = time.perf_counter() - started
        if not is_sqlite(url):
            async with database.session() as session:
                await session.execute(text("ANALYZE"))
        lines = await measure(database, today, repeat)
    finally:
        await database.dispose()
    backend = "SQLite" if is_sqlite(url) else "PostgreSQL"
    print(f"overview: {counts['branches']} branches ({counts['organizations']} organizations), "
          f"{counts['social']} social organizations, {counts['people']} members, "
          f"{counts['meetings']} closed meetings, {counts['attendance']} attendance lines, "
          f"{counts['training']} training records, {counts['completions']} duty completions; "
          f"{backend}; seeded in {seeding:.1f} s; as of {today.isoformat()} (goal: < 1 s)")
    for entry in lines:
        print(entry)


async def main(branches: int, repeat: int, database_url: str | None, seed_value: int) -> None:
    rng = random.Random(seed_value)
    async with scratch_database(database_url) as url:
        await run(url, branches, repeat, rng)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs after a warm-up")
    parser.add_argument("--database-url", default=None,
                        help="postgresql+asyncpg://USER@HOST/DB (a scratch database is made)")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.branches, arguments.repeat, arguments.database_url,
                     arguments.seed))
