"""The demo's training records: a few courses a year per member, most verified, some
pending, rejected or withdrawn, with their year split and evidence."""

from __future__ import annotations

from datetime import date, time, timedelta

from rules import training as training_rules
from rules.vocabulary import MemberRole, MemberStatus, TrainingKind, TrainingState
from storage.demo.province import PlannedOrg, PlannedPerson, Province, local_time
from storage.demo.word_lists import TRAINING_TITLES
from storage.demo.writer import RowWriter
from storage.models import TrainingEvidence, TrainingRecord, TrainingYear

TRAINING_KIND_WEIGHTS = (30, 15, 40, 15)  # concentrated, lesson, online, other


class TrainingWriting(Province):
    """Writes every counted member's training records."""

    async def _write_training(self, w: RowWriter) -> None:
        rng = self.rng
        org_of = {pid: org for org in self.orgs for pid in org.members}
        kinds = list(TrainingKind)
        for person in self.people:
            if person.pending or person.status is MemberStatus.ACTIVIST:
                continue
            org = org_of[person.id]
            secretary_tg = self.secretary_tg(org)
            leader = person.role is not MemberRole.MEMBER
            for year in range(self.start.year, self.today.year + 1):
                first = max(date(year, 1, 1), self.start)
                last = min(date(year, 12, 31), self.today)
                if last < first:
                    continue
                picked = rng.sample(kinds, k=rng.choices((1, 2, 3), weights=(45, 40, 15))[0])
                if leader and TrainingKind.CONCENTRATED not in picked and rng.random() < 0.8:
                    picked.append(TrainingKind.CONCENTRATED)
                for kind in picked:
                    await self._training(w, person, kind, year, first, last, secretary_tg, org)

    async def _training(self, w: RowWriter, person: PlannedPerson, kind: TrainingKind, year: int,
                        first: date, last: date, secretary_tg: int, org: PlannedOrg) -> None:
        rng = self.rng
        days = rng.randint(1, 3) if kind is TrainingKind.CONCENTRATED else 1
        starts = first + timedelta(days=rng.randrange(max(1, (last - first).days - days + 1)))
        ends = min(starts + timedelta(days=days - 1), date(year, 12, 31))
        ends = max(ends, starts)
        minutes = {
            TrainingKind.CONCENTRATED: ((ends - starts).days + 1) * 8 * 60,
            TrainingKind.LESSON: rng.choice((90, 120, 180)),
            TrainingKind.ONLINE: rng.randrange(60, 601, 30),
            TrainingKind.OTHER: rng.randrange(120, 481, 60),
        }[kind]
        title = f"{year}年{rng.choice(TRAINING_TITLES[kind])}"
        current = year == self.today.year
        state = rng.choices(
            [TrainingState.VERIFIED, TrainingState.PENDING, TrainingState.REJECTED,
             TrainingState.WITHDRAWN],
            weights=(70, 22, 5, 3) if current else (92, 1, 5, 2),
        )[0]
        logged = local_time(ends, time(20)) + timedelta(days=rng.randint(0, 5))
        batch = kind is TrainingKind.CONCENTRATED and rng.random() < 0.5
        decided = state in (TrainingState.VERIFIED, TrainingState.REJECTED)
        record_id = self.new_id("training")
        await w.add(TrainingRecord, {
            "id": record_id, "person_id": person.id, "kind": kind, "title": title,
            # The record id keeps two same-day courses apart (the unique course index).
            "title_key": self.title_key(title) + str(record_id),
            "organizer": "省委党校" if kind is TrainingKind.CONCENTRATED else None,
            "starts_on": starts, "ends_on": ends, "minutes": minutes, "state": state,
            "batch_id": f"demo{org.id:05d}{year}" if batch else None,
            "logged_by": secretary_tg if batch else person.telegram_id, "logged_at": logged,
            "decided_by": secretary_tg if decided else None,
            "decided_at": logged + timedelta(days=rng.randint(1, 10)) if decided else None,
            "reject_reason": "证明材料不清晰" if state is TrainingState.REJECTED else None,
            "updated_at": logged,
        })
        for split_year, split in training_rules.split_minutes_by_year(starts, ends,
                                                                      minutes).items():
            await w.add(TrainingYear,
                        {"record_id": record_id, "year": split_year, "minutes": split})
        if rng.random() < 0.4:
            pdf = rng.random() < 0.3
            await w.add(TrainingEvidence, {
                "id": self.new_id("evidence"), "record_id": record_id,
                "telegram_file_id": f"demo-certificate-{record_id}",
                "telegram_file_unique_id": f"demo-u-{record_id}",
                "mime_type": "application/pdf" if pdf else "image/jpeg",
                "size_bytes": rng.randint(80_000, 2_000_000),
                "file_name": f"证书{record_id}.pdf" if pdf else None,
                "added_by": person.telegram_id, "added_at": logged,
            })
