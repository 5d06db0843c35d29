"""Past meetings entered afterwards, on SQLite and PostgreSQL: stored closed and marked,
counted for the verdicts in the same transaction, refused when they cannot be true."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from rules import meetings as rules
from rules.vocabulary import AttendanceStatus, MeetingKind, MeetingState
from storage import ledger, past_meetings
from storage import meetings as store
from storage.db import Database
from storage.models import Attendance, AuditEvent, PartyOrganization
from tests.storage.test_meetings_storage import LEADER, build_branch

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2030, 3, 15, 4, 0, tzinfo=UTC)
P, L, A = AttendanceStatus.PRESENT, AttendanceStatus.ON_LEAVE, AttendanceStatus.ABSENT


async def test_a_past_meeting_is_stored_closed_marked_and_counted(db: Database) -> None:
    b = await build_branch(db)
    async with db.session() as session:
        org = await session.get(PartyOrganization, b.org)
        assert org is not None
        org.created_at = datetime(2029, 1, 5, tzinfo=UTC)
        org.term_started_on = date(2028, 6, 1)  # the committee was elected before the bot
    people = {b.secretary: P, b.committee: P, b.m1: L, b.m2: A, b.m3: P}
    past = past_meetings.PastMeeting(
        org_id=b.org, kind=MeetingKind.ASSEMBLY, day=date(2030, 1, 20), topic="Review",
        minutes="Reviewed.", attendance=people, at=time(14, 30),
    )
    async with db.session() as session:
        meeting = await past_meetings.record_past(session, past, by=LEADER, now=NOW, tz=TZ)
        meeting_id = meeting.id
    async with db.session() as session:
        found = await store.get_meeting(session, meeting_id)
        assert found is not None and found.entered_afterwards
        assert found.state is MeetingState.CLOSED and found.closed_by == LEADER
        assert found.starts_at == datetime(2030, 1, 20, 6, 30, tzinfo=UTC)
        lines = {a.membership_id: a.status for a in (await session.scalars(
            select(Attendance).where(Attendance.meeting_id == meeting_id))).all()}
        assert lines == people
        _facts, kinds = await ledger.verdicts_of(
            session, b.org, {rules.Period.QUARTER: [(date(2030, 1, 1), date(2030, 3, 31))]},
            tz=TZ, requirements=rules.DEFAULT_REQUIREMENTS, today=date(2030, 3, 15),
        )
        assembly = next(k for k in kinds if k.kind is MeetingKind.ASSEMBLY)
        assert [(r.held, r.status) for r in assembly.rows] == [(1, "met")]
        data = await ledger.ledger_data(
            session, b.org, "Branch A", ledger.report_period("q", date(2030, 3, 15)), tz=TZ,
            requirements=rules.DEFAULT_REQUIREMENTS, today=date(2030, 3, 15),
            now=datetime(2030, 3, 15, 12, tzinfo=TZ),
        )
        assert data.generated_at == datetime(2030, 3, 15, 12, tzinfo=TZ)
        assert [(m.topic, m.entered_afterwards, m.expected, m.absent)
                for m in data.meetings] == [("Review", True, 5, 1)]
        audit = await session.scalar(select(AuditEvent).where(
            AuditEvent.action == "meeting.record_past"))
        assert audit is not None and audit.actor_telegram_id == LEADER

    # Before the committee's election, in the future, twice, or naming strangers: refused.
    async with db.session() as session:
        for change, code in (
            ({"day": date(2028, 5, 31)}, "before_branch"),
            ({"day": date(2030, 3, 16)}, "in_future"),
            ({"day": date(2030, 3, 15), "at": time(18, 0)}, "in_future"),
            ({"at": time(9, 0)}, "same_day"),
            ({"day": date(2030, 2, 1), "attendance": {b.stranger: P}}, "not_in_branch"),
            ({"day": date(2030, 2, 1), "attendance": {b.activist: P}}, "not_in_branch"),
            ({"day": date(2030, 2, 1), "attendance": {b.m1: AttendanceStatus.EXPECTED}},
             "not_in_branch"),
            ({"day": date(2030, 2, 1), "kind": MeetingKind.GROUP}, "group_needed"),
        ):
            wrong = past_meetings.PastMeeting(**{**past.__dict__, **change})
            with pytest.raises(store.MeetingError) as refused:
                await past_meetings.record_past(session, wrong, by=LEADER, now=NOW, tz=TZ)
            assert refused.value.code == code, change
    async with db.session() as session:
        group = past_meetings.PastMeeting(
            org_id=b.org, kind=MeetingKind.GROUP, day=date(2030, 1, 20), topic="Group",
            minutes="m", attendance={b.m1: P, b.m2: P}, party_group_id=b.group,
        )
        assert (await past_meetings.record_past(session, group, by=LEADER, now=NOW,
                                                tz=TZ)).party_group_id == b.group
        assert [mid for mid, _p in await past_meetings.who_was_expected(
            session, b.org, MeetingKind.GROUP, b.group)] == sorted([b.m1, b.m2])
