"""Group commit for a room checking in at once: many typed codes (or taps under the meeting's
post in the branch's group), one transaction.

When 500 people type the room code in the same minute, a transaction each spends most of
its time opening and committing (and SQLite has one writer at a time). The queue gathers the
check-ins that arrive while a batch is being written and writes the next batch in one
transaction: one query for everybody's meetings, one commit. Nobody is answered before the
transaction holding their check-in has committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rules import meetings as rules
from rules.vocabulary import AttendanceStatus, CheckinMethod, MeetingState, MembershipState
from storage.branch_chats import shows
from storage.db import Database
from storage.meetings import ARRIVED, LIVE_STATES, CheckinResult, assess_checkin, window_of
from storage.models import Attendance, BranchChat, Meeting, Membership, Person

logger = logging.getLogger(__name__)

CANDIDATE_SPAN = timedelta(days=1)  # meetings looked at around now
MAX_BATCH = 200


@dataclass(frozen=True)
class CodeOutcome:
    """What happened to one typed code; meeting is None when no meeting was open or near."""

    language: str | None
    meeting: Meeting | None = None
    result: CheckinResult | None = None


@dataclass
class _Request:
    telegram_id: int
    code: str
    now: datetime
    future: asyncio.Future[CodeOutcome]
    meeting_id: int | None = None  # a tap under this meeting's post in a group...
    chat_id: int | None = None  # ... this group


def open_now(
    candidates: Sequence[tuple[Meeting, Attendance]], now: datetime
) -> list[tuple[Meeting, Attendance]]:
    """The candidates whose check-in window is open at `now`."""
    return [
        (m, a) for m, a in candidates
        if rules.checkin_state(now, m.starts_at, window_of(m)) == "open"
    ]


def pick_for_code(
    candidates: Sequence[tuple[Meeting, Attendance]], code: str, now: datetime
) -> Meeting | None:
    """Which meeting a typed code is for: an open window (the one the code fits), else the
    nearest meeting whose check-in was opened (to say it is early or late)."""
    windows = [m for m, _a in open_now(candidates, now)]
    if windows:
        fitting = [
            m for m in windows if rules.code_is_valid(bytes.fromhex(m.code_secret), code, now)
        ]
        return (fitting or windows)[0]
    opened = [m for m, _a in candidates if m.state is MeetingState.CHECKIN_OPEN]
    if not opened:
        return None
    return min(opened, key=lambda m: abs((m.starts_at - now).total_seconds()))


class CheckinQueue:
    """Typed-code check-ins, written in batches by one worker task."""

    def __init__(self, database: Database, *, max_batch: int = MAX_BATCH) -> None:
        self.database = database
        self.max_batch = max_batch
        self._pending: list[_Request] = []
        self._worker: asyncio.Task[None] | None = None
        # For /metrics and bench/checkin_burst.py: typed codes per transaction.
        self.batches = 0  # transactions committed
        self.written = 0  # typed codes they held
        self.largest = 0  # typed codes in the biggest one

    async def check_in_by_code(self, telegram_id: int, code: str, now: datetime) -> CodeOutcome:
        """Check the person in at the meeting the code is for; returns once it is stored."""
        future: asyncio.Future[CodeOutcome] = asyncio.get_running_loop().create_future()
        self._pending.append(_Request(telegram_id, code, now, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name="checkin-queue")
        return await future

    async def check_in_by_tap(self, telegram_id: int, meeting_id: int, chat_id: int,
                              now: datetime) -> CodeOutcome:
        """A tap under the meeting's post in the group linked to its branch (issue 18): the
        person checked in, if on its list; the outcome's meeting is None when the press is not
        one to record here (not on the list, not that group's meeting, not near): the caller
        finds out why. Returns once it is stored."""
        future: asyncio.Future[CodeOutcome] = asyncio.get_running_loop().create_future()
        self._pending.append(_Request(telegram_id, "", now, future, meeting_id, chat_id))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name="checkin-queue")
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            try:
                outcomes = await self._write(batch)
            except Exception as exc:  # each waiting handler reports it to its person
                logger.exception("check-in batch of %d failed", len(batch))
                for request in batch:
                    if not request.future.done():
                        request.future.set_exception(exc)
                continue
            self.batches += 1
            self.written += len(batch)
            self.largest = max(self.largest, len(batch))
            for request, outcome in zip(batch, outcomes, strict=True):
                if not request.future.done():
                    request.future.set_result(outcome)

    async def _write(self, batch: list[_Request]) -> list[CodeOutcome]:
        ids = {request.telegram_id for request in batch}
        earliest = min(r.now for r in batch) - CANDIDATE_SPAN
        latest = max(r.now for r in batch) + CANDIDATE_SPAN
        outcomes: list[CodeOutcome] = []
        async with self.database.session() as session:
            rows = await session.execute(
                select(Person.telegram_id, Person.language, Meeting, Attendance)
                .join(Membership, Membership.person_id == Person.id)
                .join(Attendance, Attendance.membership_id == Membership.id)
                .join(Meeting, Meeting.id == Attendance.meeting_id)
                .where(
                    Person.telegram_id.in_(ids),
                    Membership.state == MembershipState.ACTIVE,
                    Meeting.state.in_(LIVE_STATES),
                    Meeting.starts_at >= earliest,
                    Meeting.starts_at <= latest,
                )
                .order_by(Meeting.starts_at, Meeting.id)
            )
            candidates: dict[int, list[tuple[Meeting, Attendance]]] = {}
            languages: dict[int, str] = {}
            for telegram_id, person_language, found, attendance in rows.all():
                candidates.setdefault(telegram_id, []).append((found, attendance))
                languages[telegram_id] = person_language
            linked = await _linked_orgs(session, batch)
            marks: list[dict[str, object]] = []
            marked: set[int] = set()  # attendance ids recorded in this batch
            for request in batch:
                mine = [
                    (m, a) for m, a in candidates.get(request.telegram_id, [])
                    if abs(m.starts_at - request.now) <= CANDIDATE_SPAN
                ]
                language = languages.get(request.telegram_id)
                if request.meeting_id is None:
                    meeting = pick_for_code(mine, request.code, request.now)
                    method = CheckinMethod.CODE
                else:
                    link = linked.get(request.chat_id) if request.chat_id is not None else None
                    meeting = next((m for m, _a in mine if m.id == request.meeting_id
                                    and link is not None and shows(*link, m)), None)
                    method = CheckinMethod.TAP
                if meeting is None:
                    outcomes.append(CodeOutcome(language))
                    continue
                line = next(a for m, a in mine if m.id == meeting.id)
                result = (
                    CheckinResult("already") if line.id in marked else assess_checkin(
                        meeting, line, method=method, now=request.now, code=request.code,
                    )
                )
                if result is None:
                    guest = line.status is AttendanceStatus.GUEST
                    marks.append({
                        "id": line.id,
                        "status": AttendanceStatus.GUEST_PRESENT if guest
                        else AttendanceStatus.PRESENT,
                        "checked_in_at": request.now,
                        "method": method,
                        "marked_by": request.telegram_id,
                    })
                    marked.add(line.id)
                    result = CheckinResult("guest" if guest else "present")
                outcomes.append(CodeOutcome(language, meeting, result))
            if marks:
                # One statement for the batch; lines somebody else marked meanwhile keep theirs.
                await session.execute(
                    update(Attendance).where(
                        *(Attendance.status != arrived for arrived in ARRIVED)
                    ),
                    marks,
                    execution_options={"synchronize_session": False},
                )
        return outcomes


async def _linked_orgs(session: AsyncSession, batch: Sequence[_Request]
                       ) -> dict[int, tuple[int, int | None]]:
    """The branch (and 党小组, if any) each group of the batch's taps is linked to, by chat."""
    chats = {request.chat_id for request in batch if request.chat_id is not None}
    if not chats:
        return {}
    rows = await session.execute(
        select(BranchChat.chat_id, BranchChat.party_organization_id, BranchChat.party_group_id)
        .where(BranchChat.chat_id.in_(chats), BranchChat.unlinked_at.is_(None)))
    return {chat_id: (org_id, group_id) for chat_id, org_id, group_id in rows.all()}
