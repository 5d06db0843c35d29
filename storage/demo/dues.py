"""The demo's dues: each party member's yearly profile and their months paid, most on time,
some late (补缴) or a quarter ahead, lax branches leaving the last months open."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

from rules import dues as dues_rules
from rules.vocabulary import DuesCategory, DuesMethod, DuesPaymentState, MemberStatus
from storage.demo.province import Province, local_time, month_starts
from storage.demo.writer import RowWriter
from storage.dues import to_fen
from storage.models import DuesPayment, DuesProfile

CATEGORY_WEIGHTS = {DuesCategory.EMPLOYED: 70, DuesCategory.RETIRED: 15,
                    DuesCategory.STUDENT: 5, DuesCategory.FARMER: 5, DuesCategory.UNEMPLOYED: 5}
METHODS = (DuesMethod.CASH, DuesMethod.BANK, DuesMethod.ONLINE)


class DuesWriting(Province):
    """Writes every party member's dues profiles and payments."""

    async def _write_dues(self, w: RowWriter) -> None:
        rng = self.rng
        org_of = {pid: org for org in self.orgs for pid in org.members}
        categories, weights = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())
        for person in self.people:
            if person.pending or person.status is MemberStatus.ACTIVIST:
                continue
            org = org_of[person.id]
            secretary_tg = self.secretary_tg(org)
            category = rng.choices(categories, weights)[0]
            base = rng.randrange(2500, 20_000, 100) if category in dues_rules.BASED_CATEGORIES \
                else None
            fixed = dues_rules.DEFAULT_STANDARD.farmer_range[0] \
                if category is DuesCategory.FARMER else None
            monthly: dict[int, int] = {}
            for year in range(self.start.year, self.today.year + 1):
                based = None if base is None else Decimal(base) * (
                    Decimal("1.03") ** (year - self.start.year))
                if based is not None:
                    based = based.quantize(dues_rules.FEN)
                amount = dues_rules.monthly_dues(dues_rules.DEFAULT_STANDARD, category, based,
                                                 fixed)
                assert amount is not None
                monthly[year] = to_fen(amount)
                await w.add(DuesProfile, {
                    "person_id": person.id, "year": year, "category": category,
                    "base_fen": None if based is None else to_fen(based),
                    "fixed_fen": None if fixed is None else to_fen(fixed),
                    "stated_by": person.telegram_id, "confirmed_by": secretary_tg,
                    "updated_at": local_time(date(year, 1, 15), time(10)),
                })
            first = max(self.start, person.joined or self.start)
            open_months = 0 if rng.random() < org.diligence else rng.randint(1, 8)
            months = list(month_starts(first, self.today))
            for month in months[:len(months) - open_months]:
                paid_on = month + timedelta(days=rng.randint(0, 25))
                if rng.random() < 0.1:  # paid late, with a later month (补缴)
                    paid_on += timedelta(days=rng.randint(30, 90))
                paid_on = min(paid_on, self.today)
                await w.add(DuesPayment, {
                    "id": self.new_id("dues_payment"), "person_id": person.id,
                    "party_organization_id": org.id, "year": month.year, "month": month.month,
                    "amount_fen": monthly[month.year], "paid_on": paid_on,
                    "method": rng.choice(METHODS), "paid_by_name": None,
                    "state": DuesPaymentState.CONFIRMED, "recorded_by": secretary_tg,
                    "recorded_at": local_time(paid_on, time(18)), "confirmed_by": secretary_tg,
                })
