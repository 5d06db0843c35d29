"""Bulk setup of the organization tree from CSV and XLSX files (storage.org_import)."""

from __future__ import annotations

import tracemalloc
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

from rules.vocabulary import MemberRole, MembershipState, MemberStatus, PartyOrgKind, SocialOrgType
from storage import orgs, people
from storage.db import Database
from storage.models import (
    AuditEvent,
    Membership,
    PartyGroup,
    PartyOrganization,
    Person,
    SocialOrganization,
)
from storage.org_import import FILE_ROW, MAX_COLUMNS, MAX_ROWS, ImportReport, import_org_file

TODAY = date(2024, 6, 1)
ADMIN = 900_001
SECRETARY = 123_456_789

COMMITTEE = "东区社会组织综合党委"
GENERAL = "东区社会组织党总支"
BRANCH = "阳光社工服务中心党支部"
JOINT = "律师行业联合党支部"

# A 党支部 first, whose parent (the 党总支) is defined lower down; an empty line in between.
VALID_ROWS = [
    ["类型", "名称", "种类", "上级", "换届日期", "任期", "Telegram ID"],
    ["党组织", BRANCH, "党支部", GENERAL, "2023-03-15", "", ""],
    ["党组织", COMMITTEE, "党委", "", "2021-06-30", "", ""],
    ["党组织", GENERAL, "党总支", COMMITTEE, "", "", ""],
    ["党组织", JOINT, "联合党支部", GENERAL, "2022/5/1", "2", ""],
    ["社会组织", "阳光社工服务中心", "民办非企业单位", BRANCH, "", "", ""],
    ["社会组织", "明理律师事务所", "社会中介组织", JOINT, "", "", ""],
    ["社会组织", "公正律师事务所", "社会中介组织", JOINT, "", "", ""],
    ["社会组织", "绿芽环保协会", "社会团体", "", "", "", ""],
    ["", "", "", "", "", "", ""],
    ["党小组", "第一党小组", "", BRANCH, "", "", ""],
    ["党员", "王丽", "书记", BRANCH, "", "", str(SECRETARY)],
]
EXPECTED_CREATED = {"party": 4, "social": 4, "group": 1, "member": 1}


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    lines = [",".join(row) if any(row) else "" for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


async def table_counts(db: Database) -> dict[str, int]:
    counts: dict[str, int] = {}
    async with db.session() as session:
        for model in (
            PartyOrganization, SocialOrganization, PartyGroup, Person, Membership, AuditEvent
        ):
            counts[model.__tablename__] = int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
    return counts


def nothing(counts: dict[str, int]) -> bool:
    return all(value == 0 for value in counts.values())


def where(report: ImportReport) -> list[tuple[int, str | None]]:
    return [(e.row, e.column) for e in report.errors]


async def assert_valid_tree_created(db: Database) -> None:
    async with db.session() as session:
        parties = {
            o.name: o for o in (await session.scalars(select(PartyOrganization))).all()
        }
        assert set(parties) == {COMMITTEE, GENERAL, BRANCH, JOINT}
        committee, general = parties[COMMITTEE], parties[GENERAL]
        branch, joint = parties[BRANCH], parties[JOINT]
        assert (committee.kind, committee.parent_id) == (PartyOrgKind.COMMITTEE, None)
        assert (general.kind, general.parent_id) == (PartyOrgKind.GENERAL_BRANCH, committee.id)
        assert (branch.kind, branch.parent_id) == (PartyOrgKind.BRANCH, general.id)
        assert (joint.kind, joint.parent_id) == (PartyOrgKind.JOINT_BRANCH, general.id)
        assert committee.term_started_on == date(2021, 6, 30)
        assert committee.term_years is None
        assert branch.term_started_on == date(2023, 3, 15)
        assert general.term_started_on is None
        assert (joint.term_started_on, joint.term_years) == (date(2022, 5, 1), 2)

        socials = {
            s.name: (s.org_type, s.party_organization_id)
            for s in (await session.scalars(select(SocialOrganization))).all()
        }
        assert socials == {
            "阳光社工服务中心": (SocialOrgType.PRIVATE_NON_PROFIT, branch.id),
            "明理律师事务所": (SocialOrgType.INTERMEDIARY, joint.id),
            "公正律师事务所": (SocialOrgType.INTERMEDIARY, joint.id),
            "绿芽环保协会": (SocialOrgType.ASSOCIATION, None),
        }

        groups = [
            (g.name, g.party_organization_id)
            for g in (await session.scalars(select(PartyGroup))).all()
        ]
        assert groups == [("第一党小组", branch.id)]

        rows = (await session.execute(select(Membership, Person).join(Membership.person))).all()
        assert len(rows) == 1
        membership, person = rows[0]
        assert person.telegram_id == SECRETARY
        assert person.real_name == "王丽"
        assert membership.party_organization_id == branch.id
        assert membership.state is MembershipState.ACTIVE
        assert membership.status is MemberStatus.FULL
        assert membership.role is MemberRole.SECRETARY


async def test_valid_csv_with_chinese_headers_creates_exactly_the_tree(
    db: Database, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "组织.csv", VALID_ROWS)

    report = await import_org_file(db, path, actor_telegram_id=ADMIN, today=TODAY)

    assert report.ok, report.format()
    assert report.created == EXPECTED_CREATED
    await assert_valid_tree_created(db)
    counts = await table_counts(db)
    assert counts["people"] == 1
    text = report.format()
    assert "4 party organizations, 4 social organizations, 1 party group" in text
    assert "1 member appointed" in text
    async with db.session() as session:
        actions = (await session.scalars(select(AuditEvent.action))).all()
        actors = set((await session.scalars(select(AuditEvent.actor_telegram_id))).all())
    assert actions.count("party_org.create") == 4
    assert actions.count("party_org.term") == 3
    assert actions.count("social_org.create") == 4
    assert "party_group.create" in actions
    assert actors == {ADMIN}


async def test_xlsx_with_english_headers_and_a_date_cell(db: Database, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Record", "NAME", "kind", "Parent", "Term Start", "term_years", "telegram_id"])
    sheet.append(["party", BRANCH, "branch", GENERAL, datetime(2023, 3, 15), None, None])
    sheet.append(["party", COMMITTEE, "committee", None, date(2021, 6, 30), None, None])
    sheet.append(["party", GENERAL, "general_branch", COMMITTEE, None, None, None])
    sheet.append(["party", JOINT, "joint_branch", GENERAL, "2022-05-01", 2, None])
    sheet.append(["social", "阳光社工服务中心", "private_non_profit", BRANCH])
    sheet.append(["social", "明理律师事务所", "intermediary", JOINT])
    sheet.append(["social", "公正律师事务所", "intermediary", JOINT])
    sheet.append(["social", "绿芽环保协会", "association", None])
    sheet.append([])
    sheet.append(["group", "第一党小组", None, BRANCH])
    sheet.append(["member", "王丽", "secretary", BRANCH, None, None, SECRETARY])
    sheet.cell(row=2, column=5).number_format = "yyyy-mm-dd"
    path = tmp_path / "tree.xlsx"
    workbook.save(path)

    report = await import_org_file(db, path, today=TODAY)

    assert report.ok, report.format()
    assert report.created == EXPECTED_CREATED
    await assert_valid_tree_created(db)


async def test_bad_rows_are_all_reported_and_nothing_is_written(
    db: Database, tmp_path: Path
) -> None:
    rows = [
        ["类型", "名称", "种类", "上级", "换届日期", "任期", "Telegram ID"],
        ["党组织", COMMITTEE, "党委", "", "", "", ""],  # 2: valid
        ["党组织", "街道党委", "党小组", "", "", "", ""],  # 3: kind
        ["党组织", "西区党支部", "党支部", "西区党委", "", "", ""],  # 4: unknown parent
        ["党组织", "北区党支部", "党支部", COMMITTEE, "2999-01-01", "9", ""],  # 5: two errors
        ["社会组织", "某公司", "公司", "南区党委", "", "", ""],  # 6: type and parent
        ["", "", "", "", "", "", ""],  # 7: empty, skipped
        ["党小组", "第一党小组", "", COMMITTEE, "", "", ""],  # 8: groups only in branches
        ["党员", "李强", "党员", BRANCH, "", "", "abc"],  # 9: telegram id
        ["部门", "办公室", "", "", "", "", ""],  # 10: record type
        ["党组织", COMMITTEE, "党委", "", "", "", ""],  # 11: duplicate in the file
        ["党组织", BRANCH, "党支部", COMMITTEE, "", "", ""],  # 12: valid
        ["党组织", "下级党支部", "党支部", BRANCH, "", "", ""],  # 13: branch under branch
        ["党小组", "", "", BRANCH, "", "", ""],  # 14: group name missing
        ["社会组织", "绿芽环保协会", "社会团体", "", "2020-01-01", "", ""],  # 15: not for social
        ["党员", "张伟", "", COMMITTEE, "", "", "555"],  # 16: plain member in a 党委
    ]
    path = write_csv(tmp_path / "bad.csv", rows)

    report = await import_org_file(db, path, today=TODAY)

    assert not report.ok
    assert where(report) == [
        (3, "kind"),
        (4, "parent"),
        (5, "term_start"),
        (5, "term_years"),
        (6, "kind"),
        (6, "parent"),
        (8, "parent"),
        (9, "telegram_id"),
        (10, "record"),
        (11, "name"),
        (13, "parent"),
        (14, "name"),
        (15, "term_start"),
        (16, "parent"),
    ]
    assert report.created == {"party": 0, "social": 0, "group": 0, "member": 0}
    text = report.format()
    assert text.splitlines()[0] == "bad.csv: 14 errors; nothing was imported."
    assert "row 4, column parent (上级): unknown party organization '西区党委'" in text
    assert "row 5, column term_start (换届日期): '2999-01-01': the date is in the future" in text
    assert f"row 11, column name (名称): party organization '{COMMITTEE}' is already on row 2" in (
        text
    )
    assert "cannot be placed under '阳光社工服务中心党支部'" in text
    assert "党小组 are formed only in" in text
    assert nothing(await table_counts(db))


async def test_circular_and_self_parents_are_row_errors(db: Database, tmp_path: Path) -> None:
    rows = [
        ["record", "name", "kind", "parent"],
        ["party", "A党委", "committee", "B党委"],
        ["party", "B党委", "committee", "A党委"],
        ["party", "C党委", "committee", "C党委"],
        ["party", "D党支部", "branch", "A党委"],  # under the cycle: skipped, no second error
        ["party", "E党委", "committee", ""],  # valid, but nothing is written
    ]
    path = write_csv(tmp_path / "cycle.csv", rows)

    report = await import_org_file(db, path, today=TODAY)

    assert where(report) == [(2, "parent"), (3, "parent"), (4, "parent")]
    assert "circular parents: A党委 → B党委 → A党委" in report.errors[0].message
    assert "cannot be its own parent" in report.errors[2].message
    assert nothing(await table_counts(db))


async def test_names_already_in_the_database_and_members_elsewhere(
    db: Database, tmp_path: Path
) -> None:
    async with db.session() as session:
        committee = await orgs.create_party_org(
            session, name=COMMITTEE, kind=PartyOrgKind.COMMITTEE, parent_id=None,
            actor_telegram_id=ADMIN,
        )
        branch = await orgs.create_party_org(
            session, name=BRANCH, kind=PartyOrgKind.BRANCH, parent_id=committee.id,
            actor_telegram_id=ADMIN,
        )
        await orgs.create_social_org(
            session, name="绿芽环保协会", org_type=SocialOrgType.ASSOCIATION,
            party_org_id=None, actor_telegram_id=ADMIN,
        )
        await orgs.create_group(session, org=branch, name="第一党小组", actor_telegram_id=ADMIN)
        await people.appoint_by_telegram_id(
            session, branch, 555, MemberRole.MEMBER, status=MemberStatus.FULL,
            actor_telegram_id=ADMIN, language="zh",
        )
    before = await table_counts(db)
    rows = [
        ["类型", "名称", "种类", "上级", "Telegram ID"],
        ["党组织", COMMITTEE, "党委", "", ""],  # 2: exists
        ["党组织", "新党支部", "党支部", COMMITTEE, ""],  # 3: valid, under an existing parent
        ["社会组织", "绿芽环保协会", "社会团体", "新党支部", ""],  # 4: exists
        ["党小组", "第一党小组", "", BRANCH, ""],  # 5: exists in that branch
        ["党小组", "第一党小组", "", "新党支部", ""],  # 6: valid (another branch)
        ["党员", "", "书记", "新党支部", "555"],  # 7: current in another branch
    ]
    path = write_csv(tmp_path / "again.csv", rows)

    report = await import_org_file(db, path, today=TODAY)

    assert where(report) == [(2, "name"), (4, "name"), (5, "name"), (7, "telegram_id")]
    assert "already exists in the database" in report.errors[0].message
    assert f"('{BRANCH}')" in report.errors[3].message
    assert await table_counts(db) == before


async def test_unknown_and_missing_columns_are_file_errors(
    db: Database, tmp_path: Path
) -> None:
    unknown = write_csv(
        tmp_path / "unknown.csv",
        [
            ["类型", "名称", "种类", "上级", "备注", "Notes"],
            ["党组织", COMMITTEE, "党委", "", "", ""],
        ],
    )
    report = await import_org_file(db, unknown, today=TODAY)
    assert len(report.errors) == 1
    assert report.errors[0].row == 1
    assert "unknown column(s) '备注', 'Notes'" in report.errors[0].message

    missing = write_csv(tmp_path / "missing.csv", [["名称", "种类"], [COMMITTEE, "党委"]])
    report = await import_org_file(db, missing, today=TODAY)
    assert len(report.errors) == 1
    assert "missing column(s) record (类型), parent (上级)" in report.errors[0].message

    other = tmp_path / "tree.txt"
    other.write_text("record,name,kind,parent\n", encoding="utf-8")
    report = await import_org_file(db, other, today=TODAY)
    assert [(e.row, e.column) for e in report.errors] == [(FILE_ROW, None)]
    assert report.format().splitlines()[1].startswith("  file: unsupported file type '.txt'")
    assert nothing(await table_counts(db))


async def test_gb18030_csv_from_chinese_excel(db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gbk.csv", VALID_ROWS, encoding="gb18030")
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:  # pragma: no cover - the test would prove nothing
        raise AssertionError("the GB18030 sample must not be valid UTF-8")

    report = await import_org_file(db, path, today=TODAY)

    assert report.ok, report.format()
    await assert_valid_tree_created(db)


async def test_dry_run_checks_everything_and_writes_nothing(
    db: Database, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "tree.csv", VALID_ROWS)

    report = await import_org_file(db, path, today=TODAY, dry_run=True)

    assert report.ok, report.format()
    assert report.created == EXPECTED_CREATED
    assert report.format().startswith("Dry run: tree.csv is valid and would create")
    assert nothing(await table_counts(db))

    real = await import_org_file(db, path, today=TODAY)
    assert real.ok and real.created == EXPECTED_CREATED


async def test_a_cell_in_column_xfd_does_not_widen_every_row(db: Database, tmp_path: Path) -> None:
    # Formatting column XFD (or one cell at XFD1) makes writers store an empty cell at the
    # far right of every row; read naively, each row becomes 16,384 values.
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    rows = [*VALID_ROWS] + [["社会组织", f"社区协会{i}", "社会团体", "", "", "", ""]
                            for i in range(400)]
    for number, row in enumerate(rows, start=1):
        sheet.append(row)
        sheet.cell(row=number, column=16_384).style = "Good"
    path = tmp_path / "wide.xlsx"
    workbook.save(path)
    assert path.stat().st_size < 100_000

    tracemalloc.start()
    try:
        report = await import_org_file(db, path, today=TODAY, dry_run=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert report.ok, report.format()
    assert report.created["social"] == 404
    assert peak < 20 * 1024 * 1024  # 411 rows x 16,384 values would be over 50 MB


async def test_rows_and_columns_are_capped_with_the_limit_named(
    db: Database, tmp_path: Path
) -> None:
    header = VALID_ROWS[0]
    many = [header] + [["社会组织", f"协会{i}", "社会团体", "", "", "", ""]
                       for i in range(MAX_ROWS)]
    report = await import_org_file(db, write_csv(tmp_path / "long.csv", many), today=TODAY)
    assert where(report) == [(FILE_ROW, None)]
    assert f"row {MAX_ROWS + 1}: a file may have at most {MAX_ROWS} rows" in report.format()

    wide = [header + [""] * (MAX_COLUMNS - len(header)) + ["x"], VALID_ROWS[1]]
    report = await import_org_file(db, write_csv(tmp_path / "wide.csv", wide), today=TODAY)
    assert where(report) == [(FILE_ROW, None)]
    assert f"row 1: a file may have at most {MAX_COLUMNS} columns" in report.format()

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in VALID_ROWS:
        sheet.append(row)
    sheet.cell(row=1, column=MAX_COLUMNS + 1, value="notes")
    path = tmp_path / "wide.xlsx"
    workbook.save(path)
    report = await import_org_file(db, path, today=TODAY)
    assert f"row 1: a file may have at most {MAX_COLUMNS} columns" in report.format()
    assert nothing(await table_counts(db))


async def test_telegram_ids_are_ascii_digits_of_at_most_52_bits(
    db: Database, tmp_path: Path
) -> None:
    rows = [
        VALID_ROWS[0],
        ["党组织", BRANCH, "党支部", "", "", "", ""],
        ["党员", "", "党员", BRANCH, "", "", "9" * 5000],
        ["党员", "", "党员", BRANCH, "", "", "１２３"],  # full-width digits
        ["党员", "", "党员", BRANCH, "", "", "١٢٣"],  # Arabic-Indic digits
        ["党员", "", "党员", BRANCH, "", "", str(2**52)],
        ["党员", "", "党员", BRANCH, "", "", "0"],
        ["党员", "", "党员", BRANCH, "", "", "12 3"],
        ["党员", "", "党员", BRANCH, "", "", str(2**52 - 1)],
    ]
    report = await import_org_file(db, write_csv(tmp_path / "ids.csv", rows), today=TODAY)
    assert where(report) == [(row, "telegram_id") for row in range(3, 9)]
    text = report.format()
    assert "row 3, column telegram_id: '" + "9" * 29 + "…' is not a Telegram id" in text
    assert "'１２３' is not a Telegram id" in text
    assert "9" * 100 not in text
    assert nothing(await table_counts(db))
