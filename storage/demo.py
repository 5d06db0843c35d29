"""A realistic demo province, generated fast and deterministically (`branchbot demo-data`).

The tree: a provincial committee (综合党委) over industry committees (行业党委), each covering
social organizations with their own 党支部, a few big ones with a 党总支 and branches under it,
联合党支部 covering several small organizations, and some organizations with no party
organization at all. People get Chinese names from a small syllable list; memberships carry
roles (书记, 副书记, 委员, members, 预备党员, a few activists and pending registrations) and
党小组. Over the last Y years every branch holds the meetings the default requirements ask
for (some branches diligent, some lax), with attendance (mostly present, some on leave or
absent, some 补学), training records with evidence, committee terms (some ending soon, some
overdue) and reporting duties with their completions.

Everything is written with bulk Core inserts and explicit ids: the same seed and the same
`today` give the same database. PostgreSQL sequences are moved past the ids afterwards.
"""

from __future__ import annotations

import enum
import itertools
import json
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Boolean, Date, Table, func, insert, select, text
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.ext.asyncio import AsyncConnection

from rules import duties as duty_rules
from rules import training as training_rules
from rules.terms import add_years, term_years
from rules.vocabulary import (
    AttendanceStatus,
    CheckinMethod,
    MeetingKind,
    MeetingState,
    MemberRole,
    MembershipState,
    MemberStatus,
    PartyOrgKind,
    SocialOrgType,
    TrainingGroup,
    TrainingKind,
    TrainingState,
)
from storage.db import Database
from storage.models import (
    Attendance,
    AuditEvent,
    Base,
    Duty,
    DutyCompletion,
    Invite,
    Meeting,
    MeetingFile,
    Membership,
    NotificationPreference,
    PartyGroup,
    PartyOrganization,
    Person,
    SocialOrganization,
    TermRenewal,
    TrainingEvidence,
    TrainingRecord,
    TrainingRequirement,
    TrainingYear,
    UTCDateTime,
)

TZ = ZoneInfo("Asia/Shanghai")
CHUNK = 10_000
FIRST_TELEGRAM_ID = 8_100_000_000  # far above the sandbox's personas

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力鹏飞宇浩然欣怡佳琪晨阳雪梅"
    "海燕志国林云峰俊凯斌婷慧颖晓东亮波宁春雨思源子涵梓轩"
)
CITIES = (
    "杭州市", "宁波市", "温州市", "嘉兴市", "湖州市", "绍兴市", "金华市", "衢州市", "舟山市",
    "台州市", "丽水市", "义乌市", "余姚市", "慈溪市", "诸暨市", "乐清市",
)
SUFFIXES: dict[SocialOrgType, tuple[str, ...]] = {
    SocialOrgType.ASSOCIATION: ("协会", "商会", "促进会", "研究会", "联合会"),
    SocialOrgType.PRIVATE_NON_PROFIT: ("服务中心", "培训学校", "研究院", "康复中心", "发展中心"),
    SocialOrgType.FOUNDATION: ("基金会", "公益基金会", "发展基金会"),
    SocialOrgType.INTERMEDIARY: ("律师事务所", "会计师事务所", "评估事务所"),
    SocialOrgType.COMMUNITY: ("社区服务社", "志愿服务队", "邻里互助会"),
}


@dataclass(frozen=True)
class Industry:
    committee: str
    themes: tuple[str, ...]
    types: tuple[SocialOrgType, ...]  # drawn uniformly: repeat a type to weigh it


_A, _P, _F, _I, _C = (
    SocialOrgType.ASSOCIATION, SocialOrgType.PRIVATE_NON_PROFIT, SocialOrgType.FOUNDATION,
    SocialOrgType.INTERMEDIARY, SocialOrgType.COMMUNITY,
)
INDUSTRIES = (
    Industry("省行业协会商会党委",
             ("物流", "电子商务", "服装", "建筑", "家居", "汽车", "食品", "茶叶"), (_A, _A, _A)),
    Industry("省教育类社会组织党委",
             ("民办教育", "职业培训", "艺术教育", "学前教育"), (_P, _P, _A)),
    Industry("省卫生健康类社会组织党委", ("医疗", "康复", "心理健康", "护理"), (_P, _P, _A)),
    Industry("省科技类社会组织党委", ("人工智能", "软件", "新材料", "科普"), (_A, _P)),
    Industry("省文化体育类社会组织党委", ("书法", "摄影", "篮球", "戏曲", "非遗"), (_A, _P)),
    Industry("省律师行业党委", ("律师",), (_I,)),
    Industry("省注册会计师行业党委", ("会计", "税务"), (_I,)),
    Industry("省慈善组织党委", ("慈善", "助学", "扶老"), (_F, _F, _A)),
    Industry("省养老服务行业党委", ("养老", "居家养老", "助残"), (_P, _P, _C)),
    Industry("省社会工作行业党委", ("社会工作", "青少年服务", "社区治理"), (_P, _C, _C)),
    Industry("省物业管理行业党委", ("物业管理", "家政服务"), (_A, _P)),
    Industry("省互联网行业党委", ("互联网", "数字经济", "网络安全"), (_A, _P)),
    Industry("省旅游行业党委", ("旅游", "民宿", "导游"), (_A, _A, _P)),
    Industry("省餐饮行业党委", ("餐饮", "烹饪", "食品安全"), (_A, _P)),
    Industry("省环保类社会组织党委", ("环保", "垃圾分类", "生态"), (_A, _C, _F)),
    Industry("省农业类社会组织党委", ("农业", "农产品", "合作经济"), (_A, _P)),
)
TOPICS: dict[MeetingKind, tuple[str, ...]] = {
    MeetingKind.ASSEMBLY: ("学习贯彻党的二十大精神", "讨论发展党员", "通报党费收缴情况",
                           "预备党员转正表决", "年度工作总结"),
    MeetingKind.COMMITTEE: ("研究本月支部工作", "讨论发展对象", "部署主题党日活动",
                            "研究党员教育培训计划"),
    MeetingKind.GROUP: ("学习党章", "交流学习体会", "学习习近平新时代中国特色社会主义思想"),
    MeetingKind.LESSON: ("书记讲党课：加强社会组织党建", "党课：弘扬伟大建党精神",
                         "党课：全面从严治党", "党课：党史学习教育"),
    MeetingKind.THEME_DAY: ("志愿服务主题党日", "重温入党誓词", "参观红色教育基地", "社区共建活动"),
    MeetingKind.ORG_LIFE: ("年度组织生活会",),
    MeetingKind.APPRAISAL: ("民主评议党员",),
}
LEAVE_REASONS = ("出差", "生病", "家中有事", "工作冲突", "外出培训")
CHECKIN_OFFSETS = tuple(timedelta(minutes=m) for m in range(-25, 16))
MAKEUP_DELAYS = tuple(timedelta(days=d) for d in range(3, 21))
ONE_DAY = timedelta(days=1)
TRAINING_TITLES: dict[TrainingKind, tuple[str, ...]] = {
    TrainingKind.CONCENTRATED: ("党员集中轮训", "支部书记示范培训班", "社会组织党务干部培训班"),
    TrainingKind.ONLINE: ("学习强国专题学习", "网络党校专题课程", "新时代e支部在线学习"),
    TrainingKind.LESSON: ("上级党课", "专题党课"),
    TrainingKind.OTHER: ("红色教育基地研学", "专题讲座", "读书班"),
}
TRAINING_KIND_WEIGHTS = (30, 15, 40, 15)  # concentrated, lesson, online, other
GROUP_NAMES = ("第一党小组", "第二党小组", "第三党小组", "第四党小组", "第五党小组")
BRANCH_ORDINALS = ("第一", "第二", "第三", "第四")
NON_PARTY_SHARE = 0.1  # social organizations without a party organization of their own
EVERY_MONTH = (MeetingKind.THEME_DAY, MeetingKind.COMMITTEE)
QUARTERLY = (MeetingKind.ASSEMBLY, MeetingKind.LESSON)


class DemoError(Exception):
    """The requested province cannot be built (too few members for the organizations)."""


@dataclass
class DemoCounts:
    """Rows written per table, for the command's report and the tests."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + count

    def format(self) -> str:
        return ", ".join(f"{name} {count:,}" for name, count in sorted(self.rows.items()))


@dataclass
class _Org:
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
class _Person:
    id: int
    telegram_id: int
    name: str
    status: MemberStatus
    role: MemberRole
    pending: bool


class _Writer:
    """Buffers rows per table and inserts them in chunks (one executemany each)."""

    def __init__(self, connection: AsyncConnection, counts: DemoCounts) -> None:
        self.connection = connection
        self.counts = counts
        self.buffers: dict[str, list[dict[str, Any]]] = {}

    async def add(self, model: type[Base], row: dict[str, Any]) -> None:
        buffer = self.buffers.setdefault(model.__tablename__, [])
        buffer.append(row)
        if len(buffer) >= CHUNK:
            await self.flush()

    async def extend(self, model: type[Base], rows: list[dict[str, Any]]) -> None:
        buffer = self.buffers.setdefault(model.__tablename__, [])
        buffer.extend(rows)
        if len(buffer) >= CHUNK:
            await self.flush()

    async def flush(self) -> None:
        # Parents before children: tables in the order metadata sorts them.
        for table in Base.metadata.sorted_tables:
            rows = self.buffers.get(table.name)
            if rows:
                if self.connection.dialect.name == "sqlite":
                    await self._sqlite_insert(table, rows)
                elif self.connection.dialect.driver == "asyncpg":
                    await self._copy(table, rows)
                else:
                    await self.connection.execute(insert(table), rows)
                self.counts.add(table.name, len(rows))
                rows.clear()
        await self.connection.commit()

    async def _sqlite_insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """executemany on the driver, values converted as Core would convert them.

        Core's per-row parameter bookkeeping and its datetime formatting cost more than
        SQLite itself when loading millions of rows; tests/storage/test_ops_cli.py checks that
        `sqlite_value` writes what Core writes.
        """
        names = list(rows[0])
        converters = [(i, sqlite_converter(table.c[name].type, self.connection.dialect))
                      for i, name in enumerate(names)]
        active = [(i, convert) for i, convert in converters if convert is not None]
        pick = itemgetter(*names)
        values: list[tuple[Any, ...]] = []
        for row in rows:
            picked = pick(row)
            line = list(picked) if len(names) > 1 else [picked]
            for i, convert in active:
                value = line[i]
                if value is not None:
                    line[i] = convert(value)
            values.append(tuple(line))
        columns = ", ".join(f'"{name}"' for name in names)
        marks = ", ".join("?" for _ in names)
        await self.connection.exec_driver_sql(
            f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', values
        )


    async def _copy(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """PostgreSQL's COPY through asyncpg: ten times the rows per second of INSERTs."""
        names = list(rows[0])
        json_columns = [i for i, name in enumerate(names)
                        if isinstance(table.c[name].type, JSON)]
        pick = itemgetter(*names)
        records: list[tuple[Any, ...]] = []
        for row in rows:
            picked = pick(row)
            line = list(picked) if len(names) > 1 else [picked]
            for i in json_columns:
                line[i] = json.dumps(line[i])
            records.append(tuple(
                value.value if isinstance(value, enum.Enum) else value for value in line
            ))
        raw = await self.connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            table.name, records=records, columns=names
        )


def _sqlite_datetime(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_date(value: date) -> str:
    return value.isoformat()


def sqlite_converter(column_type: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """How a value of this column type is bound on SQLite (None: as it is)."""
    if isinstance(column_type, UTCDateTime):
        return _sqlite_datetime
    if isinstance(column_type, Date):
        return _sqlite_date
    if isinstance(column_type, SqlEnum | Boolean):
        return None  # StrEnum members bind as their value, booleans as 0/1
    processor: Callable[[Any], Any] | None = column_type.dialect_impl(dialect).bind_processor(
        dialect
    )
    return processor


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, TZ).astimezone(UTC)


def _month_starts(first: date, last: date) -> Iterator[date]:
    month = date(first.year, first.month, 1)
    while month <= last:
        yield month
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)


class _Province:
    """The generator's state: the random source, the calendar window and the id counters."""

    def __init__(self, orgs: int, members: int, years: int, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.n_orgs, self.n_members, self.years, self.today = orgs, members, years, today
        self.start = date(today.year - years, today.month, 1)
        self.now = _local(today, time(12))
        self.history_start = _local(self.start, time(9))
        self.orgs: list[_Org] = []
        self.people: list[_Person] = []
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
        root = _Org(1, "省社会组织综合党委", PartyOrgKind.COMMITTEE, None, INDUSTRIES[0])
        self.orgs.append(root)
        self.names_taken.add(root.name)
        industries = max(1, min(len(INDUSTRIES), n // 60, n - 2))
        committees = []
        for i in range(industries):
            industry = INDUSTRIES[i]
            org = _Org(len(self.orgs) + 1, industry.committee, PartyOrgKind.COMMITTEE, 1, industry)
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
             social: str) -> _Org:
        self.names_taken.add(name)
        org = _Org(len(self.orgs) + 1, name, kind, parent, industry, social)
        roll = self.rng.random()
        org.diligence = 0.97 if roll < 0.6 else 0.85 if roll < 0.9 else 0.55
        self.orgs.append(org)
        return org

    def branches(self) -> list[_Org]:
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

    def _staff(self, org: _Org, size: int) -> None:
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
            person = _Person(len(self.people) + 1, FIRST_TELEGRAM_ID + len(self.people) + 1,
                             self.person_name(), status, role, pending)
            self.people.append(person)
            org.members.append(person.id)
            if role is not MemberRole.MEMBER:
                org.leaders.append(person.id)

    # -- writing -------------------------------------------------------------------------------

    async def write(self, w: _Writer) -> None:
        await self._write_tree(w)
        await self._write_people(w)
        await w.flush()
        for org in self.branches():
            await self._write_meetings(w, org)
        await w.flush()
        await self._write_training(w)
        await self._write_duties(w)
        await w.flush()

    def secretary_tg(self, org: _Org) -> int:
        return self.people[org.members[0] - 1].telegram_id

    def random_moment(self, after: datetime, before: datetime) -> datetime:
        span = max(1, int((before - after).total_seconds()))
        return after + timedelta(seconds=self.rng.randrange(span))

    async def _write_tree(self, w: _Writer) -> None:
        rng = self.rng
        for org in self.orgs:
            years = term_years(org.kind)
            roll = rng.random()
            if roll < 0.03:
                started: date | None = None  # never recorded
            else:
                # 8% overdue, 10% ending within four months, the rest later.
                ends = self.today + timedelta(
                    days=-rng.randint(1, 300) if roll < 0.11
                    else rng.randint(1, 120) if roll < 0.21
                    else rng.randint(121, 365 * years - 30)
                )
                started = add_years(ends, -years)
            created = self.random_moment(self.history_start - timedelta(days=400),
                                         self.history_start)
            await w.add(PartyOrganization, {
                "id": org.id, "name": org.name, "kind": org.kind, "parent_id": org.parent_id,
                "term_started_on": started, "term_years": None, "created_at": created,
            })
            await w.add(AuditEvent, {
                "id": self.new_id("audit"), "at": created, "actor_telegram_id": None,
                "action": "party_org.create", "target_type": "party_organization",
                "target_id": org.id, "details": {"after": {
                    "name": org.name, "kind": org.kind.value, "parent_id": org.parent_id}},
            })
            org.term_started = started
        for org in self.orgs:
            covered: list[tuple[str, SocialOrgType]] = []
            if org.kind is PartyOrgKind.JOINT_BRANCH:
                for _ in range(rng.randint(2, 5)):
                    org_type = rng.choice(org.industry.types)
                    covered.append((self.social_name(org.industry, org_type), org_type))
                org.social_name = covered[0][0]
            elif org.kind is PartyOrgKind.GENERAL_BRANCH or (
                org.kind is PartyOrgKind.BRANCH and not org.name.endswith(
                    tuple(f"{o}党支部" for o in BRANCH_ORDINALS))
            ):
                covered.append((org.social_name, rng.choice(org.industry.types)))
            for name, org_type in covered:
                await w.add(SocialOrganization, {
                    "id": self.new_id("social"), "name": name, "org_type": org_type,
                    "party_organization_id": org.id, "created_at": self.history_start,
                })
        for _ in range(max(1, int(self.next_id.get("social", 0) * NON_PARTY_SHARE))):
            industry = rng.choice(INDUSTRIES)
            org_type = rng.choice(industry.types)
            await w.add(SocialOrganization, {
                "id": self.new_id("social"), "name": self.social_name(industry, org_type),
                "org_type": org_type, "party_organization_id": None,
                "created_at": self.history_start,
            })
        for org in self.branches():
            if len(org.members) < 15:
                continue
            for k in range(min(len(GROUP_NAMES), math.ceil(len(org.members) / 12))):
                group_id = self.new_id("group")
                org.groups.append(group_id)
                await w.add(PartyGroup, {
                    "id": group_id, "party_organization_id": org.id, "name": GROUP_NAMES[k],
                })
            for k, person_id in enumerate(org.members):
                org.group_of[person_id] = org.groups[k % len(org.groups)]
        # Two upper levels ask more than the defaults (inherited by their subtree).
        await w.add(TrainingRequirement, {
            "party_organization_id": 2, "role_group": TrainingGroup.MEMBER,
            "required_minutes": 40 * 60, "set_by": None, "set_at": self.history_start,
        })
        await w.add(TrainingRequirement, {
            "party_organization_id": 1, "role_group": TrainingGroup.LEADER,
            "required_minutes": 24 * 60, "set_by": None, "set_at": self.history_start,
        })

    async def _write_people(self, w: _Writer) -> None:
        rng = self.rng
        org_of = {pid: org for org in self.orgs for pid in org.members}
        branches = self.branches()
        for person in self.people:
            org = org_of[person.id]
            created = self.random_moment(self.history_start - timedelta(days=200), self.now -
                                         timedelta(days=20))
            if person.pending:
                created = self.now - timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 20))
            await w.add(Person, {
                "id": person.id, "telegram_id": person.telegram_id, "real_name": person.name,
                "language": "en" if rng.random() < 0.05 else "zh",
                "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
                if rng.random() < 0.6 else None,
                "created_at": created,
            })
            if person.status is MemberStatus.FULL:
                joined: date | None = self.today - timedelta(days=rng.randint(400, 365 * 45))
            elif person.status is MemberStatus.PROBATIONARY:
                joined = self.today - timedelta(days=rng.randint(10, 360))
            else:
                joined = None
            moved = bool(branches) and not person.pending and rng.random() < 0.02
            if moved:  # came from another branch: the old membership stays as history
                old = rng.choice(branches)
                await w.add(Membership, self._membership(
                    self.new_id("history") + len(self.people), person, old.id,
                    MembershipState.TRANSFERRED_OUT, MemberRole.MEMBER, joined, None, created,
                    transferred=(created + timedelta(days=rng.randint(30, 200)), org.name),
                ))
            await w.add(Membership, self._membership(
                person.id, person, org.id,
                MembershipState.PENDING if person.pending else MembershipState.ACTIVE,
                person.role, joined,
                org.group_of.get(person.id), created,
            ))
            if rng.random() < 0.05:
                await w.add(NotificationPreference, {
                    "person_id": person.id,
                    "muted_kinds": sorted(rng.sample(["meeting", "training", "duty", "drift"],
                                                     rng.randint(1, 2))),
                    "digest": rng.random() < 0.5, "updated_at": created,
                })
        for org in branches:
            if rng.random() < 0.3:
                made = self.now - timedelta(days=rng.randint(0, 30))
                await w.add(Invite, {
                    "id": self.new_id("invite"), "code": self.hex(64),
                    "party_organization_id": org.id, "created_by": self.secretary_tg(org),
                    "created_at": made, "expires_at": made + timedelta(days=14),
                    "max_uses": None, "uses": rng.randint(0, 5), "revoked_at": None,
                })

    def _membership(self, id_: int, person: _Person, org_id: int, state: MembershipState,
                    role: MemberRole, joined: date | None, group: int | None,
                    requested: datetime,
                    transferred: tuple[datetime, str] | None = None) -> dict[str, Any]:
        decided = None if state is MembershipState.PENDING else requested + timedelta(days=1)
        return {
            "id": id_, "person_id": person.id, "party_organization_id": org_id, "state": state,
            "status": person.status, "role": role, "joined_party_on": joined,
            "party_group_id": group, "invite_id": None, "requested_at": requested,
            "decided_at": decided, "decided_by": None if decided is None else FIRST_TELEGRAM_ID,
            "reject_reason": None,
            "transferred_out_at": transferred[0] if transferred else None,
            "transferred_to": transferred[1] if transferred else None,
        }

    # -- meetings ------------------------------------------------------------------------------

    def _plan(self, org: _Org) -> Iterator[tuple[MeetingKind, date, int | None]]:
        """The meetings a branch held (or has scheduled) month by month."""
        rng = self.rng
        last = date(self.today.year, self.today.month, 28)
        theme_day = rng.randint(1, 28)  # a fixed 主题党日 each month
        for month in _month_starts(self.start, last):
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

    async def _write_meetings(self, w: _Writer, org: _Org) -> None:
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
            starts = _local(day, at)
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
                    secretary: _Person, closed_at: datetime | None) -> dict[str, Any]:
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

    # -- training and duties -------------------------------------------------------------------

    async def _write_training(self, w: _Writer) -> None:
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

    async def _training(self, w: _Writer, person: _Person, kind: TrainingKind, year: int,
                        first: date, last: date, secretary_tg: int, org: _Org) -> None:
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
        logged = _local(ends, time(20)) + timedelta(days=rng.randint(0, 5))
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

    async def _write_duties(self, w: _Writer) -> None:
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
                    done = _local(occurrence.deadline, time(10)) - timedelta(
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
                "recorded_at": _local(started, time(10)) + timedelta(days=31),
            })


async def has_data(database: Database) -> str | None:
    """The first table holding a row, or None when the database is empty."""
    async with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            found = await connection.scalar(select(func.count()).select_from(
                select(text("1")).select_from(table).limit(1).subquery()))
            if found:
                return table.name
    return None


async def erase(database: Database) -> None:
    """Delete every row of every table (children first)."""
    async with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        for table in reversed(Base.metadata.sorted_tables):
            # SQLite checks RESTRICT row by row: cut a tree's links before deleting it.
            links = {fk.parent.name: None for fk in table.foreign_keys if fk.column.table is table}
            if links:
                await connection.execute(table.update().values(links))
            await connection.execute(table.delete())


async def generate(
    database: Database,
    *,
    orgs: int,
    members: int,
    years: int,
    seed: int = 1,
    today: date | None = None,
) -> DemoCounts:
    """Fill an empty, migrated database with a demo province; returns rows per table."""
    if years < 1:
        raise DemoError("--years must be at least 1")
    province = _Province(orgs, members, years, seed, today or datetime.now(TZ).date())
    province.layout()
    counts = DemoCounts()
    async with database.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Index pages of millions of attendance lines stay in memory while loading.
            await connection.exec_driver_sql("PRAGMA cache_size=-262144")
        await province.write(_Writer(connection, counts))
        # Meetings went in directly: count them for compliance and keep the lessons
        # attended, as closing them would have.
        from storage import lesson_attendances
        from storage.meeting_counts import rebuild

        counts.add("meeting_counts", await rebuild(connection, TZ))
        counts.add("lesson_attendances", await lesson_attendances.rebuild(connection))
        await connection.commit()
        if connection.dialect.name == "postgresql":
            from storage.transfer import reset_sequences

            await reset_sequences(connection)
            await connection.commit()
    return counts
