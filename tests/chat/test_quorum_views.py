"""Quorum where an inspector reads it: the "Without quorum" column of the chat ledger's and the
dashboard's .xlsx, the dashboard's meeting list; and the deployment setting that lets an
inquorate committee meeting count (BRANCHBOT_INQUORATE_COMMITTEE_COUNTS) changes the verdict in
/compliance, both workbooks and /overview alike.

The world is tests/chat/test_verdicts.py's: in March 2032 the branch committee (three) met once
with only the secretary present, no quorum; in January and February two of three came.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time

import openpyxl
import pytest

from handlers.labels import meeting_kind_labels
from rules.vocabulary import MeetingKind
from tests.chat.test_dashboard import dashboard, sign_in
from tests.chat.test_verdicts import NAMES, SEC, TZ, build_world, sheet_rows, t
from tests.harness import ADMIN_ID, Bot, running_bot

TODAY = date(2032, 4, 2)  # March 2032 is the last completed month
COMMITTEE = meeting_kind_labels(t)[MeetingKind.COMMITTEE]
NOT_COUNTED = ("Committee meetings without quorum (half of the committee or fewer present) do "
               "not count toward the requirement.")


@dataclass
class Seen:
    """The committee's rows as each view shows them: (period, held, without quorum, status)."""

    compliance: str  # the /compliance line of committee periods in 2032-Q1
    compliance_text: str
    ledger: list[tuple[str, int, int, str]]
    dashboard: list[tuple[str, int, int, str]]
    dashboard_quorum: dict[str, str]  # the meeting list's Quorum column, by day
    overview: str  # /overview's line of the branch


def committee_rows(rows: list[tuple]) -> list[tuple[str, int, int, str]]:
    return [(period, held, short, status)
            for kind, _group, period, _required, held, short, status in rows
            if kind == COMMITTEE]


async def seen_at(bot: Bot) -> Seen:
    world = await build_world(bot)
    assert bot.app is not None
    bot.app.courier.clock = lambda: datetime.combine(TODAY, time(10), tzinfo=TZ)
    secretary = bot.person(SEC, NAMES[SEC], language_code="en")
    shown = (await secretary.say("/compliance"))[-1]
    await secretary.tap("Last quarter", shown.message_id)
    compliance = secretary.emu.message(SEC, shown.message_id).text
    lines = [x.strip() for x in compliance.splitlines()]
    line = lines[next(n for n, x in enumerate(lines) if f" {COMMITTEE} (" in x) + 1]

    menu = (await secretary.say("/ledger"))[-1]
    replies = await secretary.tap("Last quarter", menu.message_id)
    (document,) = [r for r in replies if r.kind == "document"]
    book = openpyxl.load_workbook(io.BytesIO(bot.emulator.file_bytes(document.file_id)))
    ledger = committee_rows(sheet_rows(book[t("Summary")], t("Without quorum"), 7))

    async with dashboard(bot) as client:
        await sign_in(client, bot, ADMIN_ID)
        response = await client.get(f"/dashboard/branch/{world.big}", params={"format": "xlsx"})
        assert response.status == 200
        book = openpyxl.load_workbook(io.BytesIO(await response.read()))
    (sheet,) = [s for s in book.worksheets if t("Without quorum") in [c.value for c in s[4]]]
    board = committee_rows(sheet_rows(sheet, t("Without quorum"), 7))
    (held,) = [s for s in book.worksheets
               if t("Quorum (more than half)") in [c.value for c in s[4]]]
    quorum = {row[0].date().isoformat(): row[7]
              for row in sheet_rows(held, t("Quorum (more than half)"), 8)
              if row[1] == COMMITTEE and row[0].date() < TODAY}

    admin = bot.person(ADMIN_ID, "Admin", language_code="en")
    overview = "\n".join(m.text for m in await admin.say("/overview"))
    (listed,) = [x for x in overview.splitlines() if x.startswith("❌ Verdict Branch:")]
    return Seen(line, compliance, ledger, board, quorum, listed)


async def test_the_workbooks_show_the_meetings_without_quorum(bot: Bot) -> None:
    seen = await seen_at(bot)
    # Held, of which without quorum; the inquorate one does not count.
    assert seen.ledger == [("2032-01", 1, 0, "met"), ("2032-02", 1, 0, "met"),
                           ("2032-03", 1, 1, "missing")]
    assert seen.dashboard == [("2032-03", 1, 1, "missing"), ("2032-04", 1, 0, "met")]
    assert seen.dashboard_quorum == {"2032-01-05": t("yes"), "2032-02-05": t("yes"),
                                     "2032-03-05": t("no")}
    assert seen.compliance == "2032-01 ✅ 1/1 · 2032-02 ✅ 1/1 · 2032-03 ❌ 0/1 (1 without quorum)"
    assert NOT_COUNTED in seen.compliance_text
    assert f"{COMMITTEE} 2032-03" in seen.overview


@pytest.fixture
async def counting_bot(database_url: str) -> AsyncIterator[Bot]:
    """A deployment whose rules count an inquorate committee meeting as held."""
    async for running in running_bot(database_url, inquorate_committee_counts=True):
        yield running


async def test_with_inquorate_meetings_counted_every_view_calls_the_month_met(
    counting_bot: Bot,
) -> None:
    seen = await seen_at(counting_bot)
    # Still shown as without quorum, but now counted: March is met in every view.
    assert seen.ledger == [("2032-01", 1, 0, "met"), ("2032-02", 1, 0, "met"),
                           ("2032-03", 1, 1, "met")]
    assert seen.dashboard == [("2032-03", 1, 1, "met"), ("2032-04", 1, 0, "met")]
    assert seen.dashboard_quorum["2032-03-05"] == t("no")
    assert seen.compliance.startswith("2032-01 ✅ 1/1 · 2032-02 ✅ 1/1 · 2032-03 ✅ 1/1")
    assert "1 without quorum" in seen.compliance
    assert NOT_COUNTED not in seen.compliance_text
    assert COMMITTEE not in seen.overview, seen.overview
