"""A missed reporting deadline keeps being reminded weekly, to the branch's leaders and the
level above, until it is switched off (or marked done: tests/chat/test_holiday_calendar.py);
while it is open, a leader's /duties and an admin's /overview show the same overdue items."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from tests.chat.test_duties_chat import SEC_A, SEC_B, World, local, press, say, world
from tests.chat.test_holiday_calendar import add_once, overdue
from tests.harness import ADMIN_ID, Bot

# "· Census report (2030-01-15): due ≈2030-01-15 — ❗ 14 days overdue" in /duties.
DUTIES_LINE = re.compile(r"^· (.+) \((\S+)\): due .* — ❗ \d+ days? overdue$", re.M)
# "📋 Census report (2030-01-15, deadline ≈2030-01-15): 1 organization has not handed it in".
OVERVIEW_LINE = re.compile(
    r"^📋 (.+) \((\S+), deadline ≈?\S+\): (\d+) organizations? ha(?:s|ve) not handed it in$",
    re.M)
DUES = "Party dues collection"  # collected from members, not a report to the level above


async def overdue_in_duties(w: World) -> Counter[tuple[str, str]]:
    """Each overdue reporting item, by how many organizations' /duties list it: the branches'
    as their secretaries read it, the committee's (no leaders) as an admin picks it."""
    admin = w.who(ADMIN_ID)
    await say(admin, "/duties")
    await press(admin, "🏢 A branch's deadlines")
    pages = [await say(w.who(SEC_A), "/duties"), await say(w.who(SEC_B), "/duties"),
             await press(admin, "Harbour Committee")]
    assert "Deadlines · Harbour Committee" in pages[-1]
    seen: Counter[tuple[str, str]] = Counter()
    for page in pages:
        for title, occurrence in DUTIES_LINE.findall(page):
            if title != DUES:
                seen[(title, occurrence)] += 1
    return seen


async def overdue_in_overview(w: World) -> tuple[str, Counter[tuple[str, str]]]:
    text = await say(w.who(ADMIN_ID), "/overview")
    return text, Counter({(title, occurrence): int(n)
                          for title, occurrence, n in OVERVIEW_LINE.findall(text)})


async def test_a_missed_deadline_is_reminded_weekly_until_switched_off(bot: Bot) -> None:
    w = await world(bot)
    admin = w.who(ADMIN_ID)
    await w.plan(local(date(2030, 1, 7), 10))
    await add_once(w, "Census report", date(2030, 1, 15), [1])
    for day in (date(2030, 1, 15), date(2030, 1, 22), date(2030, 1, 29)):
        await w.plan(local(day))
    assert len(w.texts(SEC_A, "❗ Census report")) == 2  # a week and two weeks late
    assert len(w.texts(ADMIN_ID, "❗ Census report")) == 2

    # While it is open, the secretary's /duties and the admin's /overview list the same items.
    in_duties = await overdue_in_duties(w)
    text, in_overview = await overdue_in_overview(w)
    assert in_duties[("Census report", "2030-01-15")] == 1
    assert in_overview == in_duties, text
    assert "Reporting duties overdue: 1" in text
    assert [(d.title, d.occurrence) for d in await overdue(w, date(2030, 1, 29))] == [
        ("Census report", "2030-01-15")]

    # The admin switches it off: no more reminders, and it is not listed as open anywhere.
    await say(admin, "/duties")
    card = await press(admin, "Census report")
    assert "For: Branch A and below" in card
    await press(admin, "⏸ Switch off")
    off = await press(admin, "✅ Confirm")
    assert "Switched off." in off and "Switched off: no reminders." in off
    for day in (date(2030, 2, 5), date(2030, 2, 12), date(2030, 2, 19)):
        await w.plan(local(day))
    assert len(w.texts(SEC_A, "❗ Census report")) == 2
    assert len(w.texts(ADMIN_ID, "❗ Census report")) == 2
    assert await overdue(w, date(2030, 2, 19)) == []

    # Another item fell overdue meanwhile (the secretaries' annual report, 31 January): both
    # views still agree, without the switched-off one.
    in_duties = await overdue_in_duties(w)
    text, in_overview = await overdue_in_overview(w)
    assert ("Census report", "2030-01-15") not in in_duties
    assert "Census report" not in text
    assert in_duties, "expected another overdue report to compare"
    assert in_overview == in_duties, text
