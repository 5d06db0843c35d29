"""The demo's meetings: what each branch held month by month (diligent or lax), with
attendance lines, leave, 补学 and photos; recent ones still scheduled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from rules.vocabulary import (
    AttendanceStatus,
    CheckinMethod,
    MeetingKind,
    MeetingState,
    MemberStatus,
)
from storage.demo.province import PlannedOrg, PlannedPerson, Province, local_time, month_starts
from storage.demo.word_lists import LEAVE_REASONS, TOPICS
from storage.demo.writer import RowWriter
from storage.models import Attendance, Meeting, MeetingFile

CHECKIN_OFFSETS = tuple(timedelta(minutes=m) for m in range(-25, 16))
MAKEUP_DELAYS = tuple(timedelta(days=d) for d in range(3, 21))
ONE_DAY = timedelta(days=1)
EVERY_MONTH = (MeetingKind.THEME_DAY, MeetingKind.COMMITTEE)
QUARTERLY = (MeetingKind.ASSEMBLY, MeetingKind.LESSON)


class MeetingsWriting(Province):
    """Writes each branch's meetings and their attendance."""

    def _plan(self, org: PlannedOrg) -> Iterator[tuple[MeetingKind, date, int | None]]:
        """The meetings a branch held (or has scheduled) month by month."""
        rng = self.rng
        last = date(self.today.year, self.today.month, 28)
        theme_day = rng.randint(1, 28)  # a fixed 主题党日 each month
        for month in month_starts(self.start, last):
            def day(month: date = month) -> date:
                return month.replace(day=rng.randint(1, 28))

            if rng.random() < org.diligence:
                yield MeetingKind.THEME_DAY, month.replace(day=theme_day), None
            if org.leaders[1:] and rng.random() < org.diligence:
                yield MeetingKind.COMMITTEE, day(), None
            for group in org.groups:
                if rng.random() < org.diligence * 0.85:
                    yield MeetingKind.GROUP, day(), group
            if month.month % 3 == 1:
                for kind in QUARTERLY:
                    if rng.random() < org.diligence:
                        yield kind, day().replace(month=month.month + rng.randint(0, 1)), None
            if month.month == 12 and rng.random() < org.diligence:
                held = month.replace(day=rng.randint(10, 28))
                yield MeetingKind.ORG_LIFE, held, None
                if rng.random() < 0.95:
                    yield MeetingKind.APPRAISAL, held, None

    async def _write_meetings(self, w: RowWriter, org: PlannedOrg) -> None:
        rng = self.rng
        people = self.people
        secretary = people[org.members[0] - 1]
        recorder = people[org.members[min(1, len(org.members) - 1)] - 1]
        counted = [p for p in org.members if not people[p - 1].pending
                   and people[p - 1].status is not MemberStatus.ACTIVIST]
        activists = [p for p in org.members if not people[p - 1].pending
                     and people[p - 1].status is MemberStatus.ACTIVIST]
        series = self.hex(64)
        place = f"{org.social_name or org.name}会议室"
        for kind, day, group in self._plan(org):
            at = time(rng.choice((9, 14, 14, 19)), rng.choice((0, 30)))
            starts = local_time(day, at)
            if starts < self.history_start:
                continue
            ends = starts + timedelta(minutes=rng.choice((60, 90, 120)))
            age = self.now - starts
            if age > timedelta(days=30):
                state = MeetingState.CANCELLED if rng.random() < 0.02 else MeetingState.CLOSED
            elif age > timedelta(days=1):
                roll = rng.random()
                state = (MeetingState.CLOSED if roll < 0.8 else MeetingState.SCHEDULED
                         if roll < 0.95 else MeetingState.CANCELLED)
            else:
                state = MeetingState.SCHEDULED
            if kind is MeetingKind.COMMITTEE:
                expected = org.leaders
            elif group is not None:
                expected = [p for p in counted if org.group_of.get(p) == group]
            else:
                expected = counted
            guests = activists if kind in (MeetingKind.LESSON, MeetingKind.THEME_DAY) else []
            meeting_id = self.new_id("meeting")
            closed = state is MeetingState.CLOSED
            closed_at = ends + timedelta(hours=rng.randint(1, 48)) if closed else None
            lines: list[dict[str, Any]] = []
            present = 0
            for person_id in expected:
                line = self._attendance(meeting_id, person_id, state, starts, secretary, closed_at)
                present += line["status"] is AttendanceStatus.PRESENT
                lines.append(line)
            for person_id in guests:
                if rng.random() < 0.3:
                    line = self._attendance(meeting_id, person_id, state, starts, secretary,
                                            closed_at)
                    attended = line["status"] is AttendanceStatus.PRESENT
                    line["status"] = AttendanceStatus.GUEST_PRESENT if attended and closed \
                        else AttendanceStatus.GUEST
                    line["leave_reason"] = line["leave_decided_by"] = None
                    line["makeup_done_at"] = None
                    lines.append(line)
            topic = rng.choice(TOPICS[kind])
            online = rng.random() < 0.1
            located = not online and rng.random() < 0.4
            await w.add(Meeting, {
                "id": meeting_id, "party_organization_id": org.id, "party_group_id": group,
                "series_id": series if kind is MeetingKind.THEME_DAY else None,
                "kind": kind, "state": state, "starts_at": starts, "ends_at": ends,
                "place": None if online else place,
                "online_url": f"https://meeting.tencent.com/dm/{self.hex(40)}" if online else None,
                "latitude": round(30.0 + rng.random() * 1.5, 6) if located else None,
                "longitude": round(119.5 + rng.random() * 2, 6) if located else None,
                "topic": topic, "host": secretary.name, "recorder": recorder.name,
                "lecturer": secretary.name if kind is MeetingKind.LESSON else None,
                "checkin_minutes_before": 30, "checkin_minutes_after": 30,
                "code_secret": self.hex(160),
                "checkin_opened_at": starts - timedelta(minutes=30) if closed else None,
                "minutes": f"会议由{secretary.name}主持，应到{len(expected)}人，实到{present}人。"
                f"{topic}。" if closed else None,
                "closed_at": closed_at, "closed_by": secretary.telegram_id if closed else None,
                "cancelled_reason": "时间冲突，另行安排" if state is MeetingState.CANCELLED
                else None,
                "created_by": secretary.telegram_id,
                "created_at": starts - timedelta(days=rng.randint(3, 14)),
            })
            await w.extend(Attendance, lines)
            if closed and rng.random() < 0.15:
                for n in range(rng.randint(1, 2)):
                    await w.add(MeetingFile, {
                        "id": self.new_id("file"), "meeting_id": meeting_id,
                        "telegram_file_id": f"demo-photo-{meeting_id}-{n}", "kind": "photo",
                        "file_name": None, "added_by": secretary.telegram_id,
                        "added_at": closed_at,
                    })

    def _attendance(self, meeting_id: int, person_id: int, state: MeetingState, starts: datetime,
                    secretary: PlannedPerson, closed_at: datetime | None) -> dict[str, Any]:
        rng = self.rng
        person = self.people[person_id - 1]
        roll = rng.random()
        checked = method = marked = reason = decided = makeup = None
        if state is MeetingState.CLOSED:
            if roll < 0.88:
                status = AttendanceStatus.PRESENT
                checked = starts + CHECKIN_OFFSETS[int(rng.random() * len(CHECKIN_OFFSETS))]
                pick = rng.random()
                method = (CheckinMethod.TAP if pick < 0.4 else CheckinMethod.CODE if pick < 0.75
                          else CheckinMethod.LOCATION if pick < 0.9 else CheckinMethod.MANUAL)
                marked = secretary.telegram_id if method is CheckinMethod.MANUAL \
                    else person.telegram_id
            elif roll < 0.95:
                status = AttendanceStatus.ON_LEAVE
                reason = LEAVE_REASONS[int(rng.random() * len(LEAVE_REASONS))]
                decided = secretary.telegram_id
            else:
                status = AttendanceStatus.ABSENT
            if status is not AttendanceStatus.PRESENT and rng.random() < 0.6:
                makeup = starts + MAKEUP_DELAYS[int(rng.random() * len(MAKEUP_DELAYS))]
        elif state is MeetingState.CANCELLED:
            status = AttendanceStatus.EXPECTED
        else:
            status = (AttendanceStatus.EXPECTED if roll < 0.6 else AttendanceStatus.ATTENDING
                      if roll < 0.9 else AttendanceStatus.LEAVE_REQUESTED if roll < 0.95
                      else AttendanceStatus.ON_LEAVE)
            if status in (AttendanceStatus.LEAVE_REQUESTED, AttendanceStatus.ON_LEAVE):
                reason = rng.choice(LEAVE_REASONS)
            if status is AttendanceStatus.ON_LEAVE:
                decided = secretary.telegram_id
        return {
            "id": next(self.attendance_ids), "meeting_id": meeting_id, "membership_id": person_id,
            "status": status, "checked_in_at": checked, "method": method, "marked_by": marked,
            "leave_reason": reason, "leave_decided_by": decided, "makeup_done_at": makeup,
            "updated_at": closed_at or starts - ONE_DAY,
        }
