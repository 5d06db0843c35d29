"""The demo's reporting duties and what branches marked done, and the recorded 换届."""

from __future__ import annotations

from datetime import time, timedelta

from rules import duties as duty_rules
from rules.vocabulary import MemberRole
from storage.demo.province import Province, local_time
from storage.demo.writer import RowWriter
from storage.models import Duty, DutyCompletion, TermRenewal


class DutiesWriting(Province):
    """Writes the duties, their completions and the term renewals."""

    async def _write_duties(self, w: RowWriter) -> None:
        rng = self.rng
        templates: list[tuple[int, duty_rules.DutyTemplate]] = []
        for code, template in duty_rules.DEFAULT_DUTIES.items():
            duty_id = self.new_id("duty")
            templates.append((duty_id, template))
            await w.add(Duty, {
                "id": duty_id, "code": code, "title": None, "party_organization_id": None,
                "recurrence": template.recurrence.value, "month": template.month,
                "day": template.day, "on_date": template.on, "lead_days": list(template.lead_days),
                "audience": sorted(a.value for a in template.audience), "active": True,
                "created_by": None, "created_at": self.history_start,
            })
        custom = duty_rules.DutyTemplate(code="custom_half_year",
                                         recurrence=duty_rules.Recurrence.YEARLY, month=7, day=15)
        duty_id = self.new_id("duty")
        templates.append((duty_id, custom))
        await w.add(Duty, {
            "id": duty_id, "code": None, "title": "党建工作半年报", "party_organization_id": 1,
            "recurrence": "yearly", "month": 7, "day": 15, "on_date": None, "lead_days": [7, 1],
            "audience": ["secretaries"], "active": True,
            "created_by": self.people[0].telegram_id, "created_at": self.history_start,
        })
        # The same calendar for every branch: work out the deadlines once.
        calendar = [(duty_id, template, duty_rules.occurrences(template, self.start, self.today))
                    for duty_id, template in templates]
        for org in self.branches():
            secretary_tg = self.secretary_tg(org)
            for duty_id, template, occurrences in calendar:
                for occurrence in occurrences:
                    recent = (self.today - occurrence.deadline).days < 60
                    if rng.random() >= (org.diligence - (0.2 if recent else 0)):
                        continue
                    done = local_time(occurrence.deadline, time(10)) - timedelta(
                        days=rng.randint(0, 20))
                    yearly = template.recurrence is duty_rules.Recurrence.YEARLY
                    await w.add(DutyCompletion, {
                        "id": self.new_id("completion"), "duty_id": duty_id,
                        "party_organization_id": org.id, "occurrence": occurrence.key,
                        "done_at": done, "done_by": secretary_tg,
                        "file_id": f"demo-report-{org.id}-{occurrence.key}" if yearly else None,
                        "file_name": f"{occurrence.key}报告.pdf" if yearly else None,
                    })
        for org in self.orgs:
            started = org.term_started
            if started is None:
                continue
            await w.add(TermRenewal, {
                "id": self.new_id("renewal"), "party_organization_id": org.id,
                "elected_on": started, "secretary_person_id": org.members[0],
                "deputy_person_id": org.members[1] if len(org.members) > 1
                and self.people[org.members[1] - 1].role is MemberRole.DEPUTY_SECRETARY else None,
                "approved_on": started + timedelta(days=rng.randint(7, 30)),
                "recorded_by": self.people[0].telegram_id,
                "recorded_at": local_time(started, time(10)) + timedelta(days=31),
            })
