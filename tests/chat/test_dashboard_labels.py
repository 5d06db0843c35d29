"""The dashboard's columns and sheets are named for what they hold, in Chinese and English; an
overdue deadline computed without an official holiday schedule shows ≈ there as in /duties."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import openpyxl
import pytest

from bot.web import pages
from handlers.kit.i18n import translator
from handlers.labels import APPROXIMATE_NOTE
from storage.orgs import get_party_org
from tests.chat.test_dashboard import dashboard, sign_in
from tests.chat.test_duties_chat import local, world
from tests.chat.test_holiday_calendar import add_once
from tests.chat.test_overview_chat import build_world
from tests.harness import ADMIN_ID, Bot

CJK = re.compile(r"[\u4e00-\u9fff]")
HEADER = re.compile(r"<th[^>]*>(?:<a [^>]*>)?([^<]*)")


def _book(data: bytes) -> tuple[list[str], list[str]]:
    """Sheet names and column headers (row 4, as tables.workbook writes them)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    headers = [
        str(cell.value) for sheet in book.worksheets for cell in sheet[4] if cell.value
    ]
    return book.sheetnames, headers


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_columns_and_sheets_are_named_for_what_they_hold(bot: Bot, language: str) -> None:
    w = await build_world(bot, language)
    t = translator(language)
    async with dashboard(bot) as client:
        await sign_in(client, bot, ADMIN_ID)
        sheets: list[str] = []
        headers: list[str] = []
        for path in ("/dashboard/", f"/dashboard/branch/{w.branch_a}"):
            page = await (await client.get(path)).text()
            shown = [h.strip() for h in HEADER.findall(page) if h.strip()]
            book = await (await client.get(path, params={"format": "xlsx"})).read()
            names, columns = _book(book)
            assert shown and set(shown) <= set(columns), path  # the page and its export agree
            sheets += names
            headers += columns
    # A status column says status, not 政治面貌 (a member's standing, never shown here).
    assert t("Status") in headers and t("Political status") not in headers
    assert (t("Status"), t("Political status")) == (
        ("状态", "政治面貌") if language == "zh" else ("Status", "Political status"))
    # The facts sheet is named for the organization's details, not for a column ("组织名称").
    assert t("Organization details") in sheets
    assert not set(sheets) & set(headers), "a sheet named like a column"
    for label in [*sheets, *headers]:
        assert bool(CJK.search(label)) is (language == "zh") or "(" in label, label


async def test_an_approximate_overdue_deadline_shows_as_such_on_the_dashboard(bot: Bot) -> None:
    w = await world(bot)
    await w.plan(local(date(2030, 1, 7), 10))
    await add_once(w, "Census report", date(2030, 1, 15), [1])
    assert bot.app is not None
    settings = bot.app.settings
    for language in ("en", "zh"):
        t = translator(language)
        async with bot.app.database.session() as session:
            org = await get_party_org(session, w.branch_a)
            assert org is not None
            detail = await pages.branch_detail(
                session, t, org.id, now=datetime(2030, 3, 26, 12, tzinfo=settings.tzinfo),
                tz=settings.tzinfo, requirements=settings.requirements,
                policy=settings.training_policy,
            )
        assert detail is not None
        duties = next(table for table in detail[2] if table.key == "duties")
        row = next(r for r in duties.rows if r[0].value == "Census report")
        assert row[1].value == "2030-01-15 (≈2030-01-15)"  # as /duties shows it
        assert duties.note == t(APPROXIMATE_NOTE)
