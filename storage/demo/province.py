"""The demo province's plan: the random source, the calendar window and the id counters,
the party organizations with their kinds and parents, and the people of each with their roles."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rules import training as training_rules
from rules.vocabulary import MemberRole, MemberStatus, PartyOrgKind, SocialOrgType
from storage.demo.word_lists import (
    BRANCH_ORDINALS,
    CITIES,
    GIVEN,
    INDUSTRIES,
    SUFFIXES,
    SURNAMES,
    Industry,
)

TZ = ZoneInfo("Asia/Shanghai")
FIRST_TELEGRAM_ID = 8_100_000_000  # far above the sandbox's personas


class DemoError(Exception):
    """The requested province cannot be built (too few members for the organizations)."""


@dataclass
class PlannedOrg:
    id: int
    name: str
    kind: PartyOrgKind
    parent_id: int | None
    industry: Industry
    social_name: str = ""  # the (first) social organization it covers: meeting rooms
    members: list[int] = field(default_factory=list)  # person ids, secretary first
    group_of: dict[int, int] = field(default_factory=dict)  # person id -> party group id
    groups: list[int] = field(default_factory=list)
    leaders: list[int] = field(default_factory=list)
    diligence: float = 0.9
    term_started: date | None = None


@dataclass
class PlannedPerson:
    id: int
    telegram_id: int
    name: str
    status: MemberStatus
    role: MemberRole
    pending: bool
    joined: date | None = None  # joined the party (probationary members: within the year)


def local_time(day: date, at: time) -> datetime:
    return datetime.combine(day, at, TZ).astimezone(UTC)


def month_starts(first: date, last: date) -> Iterator[date]:
    month = date(first.year, first.month, 1)
    while month <= last:
        yield month
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)


class Province:
    """The generator's state: the random source, the calendar window and the id counters."""

    def __init__(self, orgs: int, members: int, years: int, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.n_orgs, self.n_members, self.years, self.today = orgs, members, years, today
        self.start = date(today.year - years, today.month, 1)
        self.now = local_time(today, time(12))
        self.history_start = local_time(self.start, time(9))
        self.orgs: list[PlannedOrg] = []
        self.people: list[PlannedPerson] = []
        self.names_taken: set[str] = set()
        self.next_id: dict[str, int] = {}
        self.attendance_ids = itertools.count(1)
        self.title_keys: dict[str, str] = {}

    def new_id(self, table: str) -> int:
        value = self.next_id.get(table, 0) + 1
        self.next_id[table] = value
        return value

    def title_key(self, title: str) -> str:
        key = self.title_keys.get(title)
        if key is None:
            key = self.title_keys[title] = training_rules.normalize_title(title)
        return key

    def hex(self, bits: int) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    def person_name(self) -> str:
        rng = self.rng
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        return rng.choice(SURNAMES) + given

    def unique(self, make: Callable[[], str]) -> str:
        for _ in range(8):
            name = make()
            if name not in self.names_taken:
                self.names_taken.add(name)
                return name
        base, n = make(), 2
        while f"{base}{n}" in self.names_taken:
            n += 1
        self.names_taken.add(f"{base}{n}")
        return f"{base}{n}"

    def social_name(self, industry: Industry, org_type: SocialOrgType) -> str:
        rng = self.rng
        suffixes = SUFFIXES[org_type]
        return self.unique(
            lambda: rng.choice(CITIES) + rng.choice(industry.themes) + rng.choice(suffixes)
        )

    def joint_name(self, industry: Industry) -> str:
        rng = self.rng
        return self.unique(
            lambda: f"{rng.choice(CITIES)}{rng.choice(industry.themes)}行业联合党支部"
        )

    # -- the tree ------------------------------------------------------------------------------

    def layout(self) -> None:
        """Decide the party organizations (ids, kinds, parents) and the people per organization."""
        rng, n = self.rng, self.n_orgs
        if n < 3:
            raise DemoError("--orgs must be at least 3 (the provincial committee, an industry "
                            "committee and a branch)")
        root = PlannedOrg(1, "省社会组织综合党委", PartyOrgKind.COMMITTEE, None, INDUSTRIES[0])
        self.orgs.append(root)
        self.names_taken.add(root.name)
        industries = max(1, min(len(INDUSTRIES), n // 60, n - 2))
        committees = []
        for i in range(industries):
            industry = INDUSTRIES[i]
            org = PlannedOrg(len(self.orgs) + 1, industry.committee, PartyOrgKind.COMMITTEE, 1,
                             industry)
            self.names_taken.add(org.name)
            self.orgs.append(org)
            committees.append(org)
        remaining = n - len(self.orgs)
        while remaining > 0:
            committee = rng.choice(committees)
            industry = committee.industry
            roll = rng.random()
            if roll < 0.03 and remaining >= 3:  # a big organization: 党总支 and its branches
                org_type = rng.choice(industry.types)
                social = self.social_name(industry, org_type)
                general = self._org(social + "党总支", PartyOrgKind.GENERAL_BRANCH, committee.id,
                                    industry, social)
                for k in range(min(remaining - 1, rng.choice((2, 2, 3)))):
                    self._org(f"{social}{BRANCH_ORDINALS[k]}党支部", PartyOrgKind.BRANCH,
                              general.id, industry, social)
            elif roll < 0.23:
                self._org(self.joint_name(industry), PartyOrgKind.JOINT_BRANCH, committee.id,
                          industry, "")
            else:
                org_type = rng.choice(industry.types)
                social = self.social_name(industry, org_type)
                self._org(social + "党支部", PartyOrgKind.BRANCH, committee.id, industry, social)
            remaining = n - len(self.orgs)
        self._people()

    def _org(self, name: str, kind: PartyOrgKind, parent: int, industry: Industry,
             social: str) -> PlannedOrg:
        self.names_taken.add(name)
        org = PlannedOrg(len(self.orgs) + 1, name, kind, parent, industry, social)
        roll = self.rng.random()
        org.diligence = 0.97 if roll < 0.6 else 0.85 if roll < 0.9 else 0.55
        self.orgs.append(org)
        return org

    def branches(self) -> list[PlannedOrg]:
        return [o for o in self.orgs if o.kind in (PartyOrgKind.BRANCH, PartyOrgKind.JOINT_BRANCH)]

    def _people(self) -> None:
        rng = self.rng
        upper = [o for o in self.orgs if o.kind not in (PartyOrgKind.BRANCH,
                                                        PartyOrgKind.JOINT_BRANCH)]
        branches = self.branches()
        upper_sizes = [5 if o.kind is PartyOrgKind.COMMITTEE else 3 for o in upper]
        needed = sum(upper_sizes) + 3 * len(branches)
        if self.n_members < needed:
            raise DemoError(f"--members must be at least {needed} for {self.n_orgs} "
                            "organizations (5 per committee, 3 per 党总支 and per branch)")
        extra = self.n_members - needed
        weights = [rng.lognormvariate(0, 0.8) * (1.5 if o.kind is PartyOrgKind.JOINT_BRANCH
                                                 else 1) for o in branches]
        total = sum(weights)
        sizes = [3 + int(extra * w / total) for w in weights]
        for k in range(self.n_members - needed - sum(s - 3 for s in sizes)):
            sizes[k % len(sizes)] += 1
        for org, size in zip([*upper, *branches], [*upper_sizes, *sizes], strict=True):
            self._staff(org, size)

    def _staff(self, org: PlannedOrg, size: int) -> None:
        rng = self.rng
        upper = org.kind in (PartyOrgKind.COMMITTEE, PartyOrgKind.GENERAL_BRANCH)
        committee = size if upper else 0 if size < 7 else 3 if size < 15 else 5
        for k in range(size):
            if k == 0:
                role = MemberRole.SECRETARY
            elif k == 1 and (upper or size >= 15):
                role = MemberRole.DEPUTY_SECRETARY
            elif k < committee:
                role = MemberRole.COMMITTEE_MEMBER
            else:
                role = MemberRole.MEMBER
            if role is not MemberRole.MEMBER:
                status = MemberStatus.FULL
            else:
                roll = rng.random()
                status = (MemberStatus.FULL if roll < 0.88 else MemberStatus.PROBATIONARY
                          if roll < 0.95 else MemberStatus.ACTIVIST)
            pending = role is MemberRole.MEMBER and rng.random() < 0.005
            person = PlannedPerson(len(self.people) + 1, FIRST_TELEGRAM_ID + len(self.people) + 1,
                                   self.person_name(), status, role, pending)
            self.people.append(person)
            org.members.append(person.id)
            if role is not MemberRole.MEMBER:
                org.leaders.append(person.id)

    def secretary_tg(self, org: PlannedOrg) -> int:
        return self.people[org.members[0] - 1].telegram_id

    def random_moment(self, after: datetime, before: datetime) -> datetime:
        span = max(1, int((before - after).total_seconds()))
        return after + timedelta(seconds=self.rng.randrange(span))
