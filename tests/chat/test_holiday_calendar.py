"""Deadlines a secretary can trust: a year's holiday schedule loaded from a file moves
deadlines off its holidays (a make-up Saturday counts as working); without one the deadline is
shown as approximate (≈) in /duties, reminders and the overview; admins are warned from 1
November when next year has no schedule; a missed deadline is reminded weekly until it is
marked done; a branch sets its own dues collection day.

People act through the emulator; the planner and the courier run on the test's clock.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select

from handlers.kit.chat import NOT_ALLOWED
from storage import duties as duty_store
from storage import overview
from storage.db import Database
from storage.holiday_calendar import import_calendar_file, work_calendar
from storage.models import AuditEvent, HolidayCalendarDay, PartyOrganization
from tests.chat.test_duties_chat import (
    ALICE,
    SEC_A,
    SEC_B,
    World,
    forge,
    local,
    press,
    say,
    t,
    world,
)
from tests.harness import ADMIN_ID, Bot

APPROXIMATE = ("≈ Approximate: no official holiday schedule is loaded for that year, so "
               "holidays are estimated from the statutory dates and make-up working days are "
               "unknown.")
# A 2027 schedule as the State Council might publish it: the Spring Festival 5–12 February,
# Saturday 20 February worked instead (调休), National Day 1–7 October, Saturday 9 October.
SCHEDULE_2027 = [
    ("2027-01-01", "休", "元旦"),
    *((f"2027-02-{d:02d}", "休", "春节") for d in range(5, 13)),
    ("2027-02-20", "班", "春节"),
    *((f"2027-10-{d:02d}", "休", "国庆节") for d in range(1, 8)),
    ("2027-10-09", "班", "国庆节"),
]


def csv_file(path: Path, rows: list[tuple[str, str, str]], *, header: str = "日期,类型,名称",
             encoding: str = "gb18030") -> Path:
    path.write_bytes(("\n".join([header, *(",".join(r) for r in rows)]) + "\n").encode(encoding))
    return path


async def overdue(w: World, today: date) -> list[Any]:
    """The overview's overdue reporting duties on `today`, custom ones only."""
    assert w.bot.app is not None
    async with w.bot.app.database.session() as s:
        found, _ = await overview.overdue_duties(s, overview.Scope(None), today=today,
                                                 tz=w.bot.app.settings.tzinfo)
    return [d for d in found if d.code is None]


async def add_once(w: World, title: str, on: date, leads: list[int]) -> int:
    assert w.bot.app is not None
    async with w.bot.app.database.session() as s:
        duty = await duty_store.create_duty(
            s, title=title, org_id=w.branch_a, recurrence="once", day=1, month=None, on=on,
            lead_days=leads, audience=["secretaries"], by=ADMIN_ID, now=w.clock[0])
        return duty.id


async def test_a_loaded_2027_schedule_moves_deadlines_and_the_approximate_mark_goes(
    bot: Bot, tmp_path: Path
) -> None:
    w = await world(bot)
    sec = w.who(SEC_A)
    await w.plan(local(date(2027, 1, 20), 10))
    await add_once(w, "Spring report", date(2027, 2, 10), [7, 1])
    await add_once(w, "Saturday check", date(2027, 2, 20), [1])

    # No schedule for 2027 (the package ends with 2026): statutory holidays only, marked ≈.
    view = await say(sec, "/duties")
    assert "· Spring report (2027-02-10): due ≈2027-02-10 — ⏳ 21 days left" in view
    assert ("· Saturday check (2027-02-20): due ≈2027-02-22 (moved from 2027-02-20, a rest "
            "day)") in view
    assert APPROXIMATE in view
    await w.plan(local(date(2027, 2, 3)))  # 7 days before
    [reminder] = w.texts(SEC_A, "📋 Spring report")
    assert reminder == ("📋 Spring report for Branch A (2027-02-10) is due on ≈2027-02-10 and "
                        f"not marked done. Mark it done in /duties when it is handed in.\n"
                        f"{APPROXIMATE}")

    # The admin loads the published schedule (GB18030 CSV with Chinese headers).
    assert bot.app is not None
    report = await import_calendar_file(
        bot.app.database, csv_file(tmp_path / "2027.csv", SCHEDULE_2027))
    assert report.ok, report.format()
    assert "2027: 16 holiday(s), 2 make-up working day(s)" in report.format()

    view = await say(sec, "/duties")
    # 10 February is in the Spring Festival: the next working day is Monday 15 February.
    assert ("· Spring report (2027-02-10): due 2027-02-15 (moved from 2027-02-10, a rest "
            "day) — ⏳ 12 days left") in view
    # 20 February is a make-up Saturday: a working day, the deadline stays.
    assert "· Saturday check (2027-02-20): due 2027-02-20 — ⏳ 17 days left" in view
    assert "≈2027" not in view  # (2028 is still approximate)
    await w.plan(local(date(2027, 2, 14)))  # 1 day before the moved deadline
    assert w.texts(SEC_A, "📋 Spring report")[-1] == (
        "📋 Spring report for Branch A (2027-02-10) is due on 2027-02-15 and not marked done. "
        "Mark it done in /duties when it is handed in.")
    await w.plan(local(date(2027, 2, 19)))  # the day before the Saturday deadline
    assert w.texts(SEC_A, "📋 Saturday check")[-1].startswith(
        "📋 Saturday check for Branch A (2027-02-20) is due on 2027-02-20 and")


async def test_calendar_import_and_list_on_the_command_line(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    async def cli(*args: str) -> tuple[int, str]:
        env = {**os.environ, "BRANCHBOT_DATABASE_URL": database_url}
        env.pop("BRANCHBOT_TOKEN", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "calendar", *args, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await process.communicate()
        assert process.returncode is not None
        return process.returncode, out.decode()

    async def loaded() -> list[date]:
        async with db.session() as s:
            return list((await s.scalars(select(HolidayCalendarDay.day))).all())

    bad = csv_file(tmp_path / "bad.csv", [
        ("2027-01-01", "holiday", "New Year"), ("2027-02-30", "holiday", ""),
        ("2027-02-20", "maybe", ""), ("2027-01-01", "workday", "")],
        header="date,kind,name", encoding="utf-8")
    code, out = await cli("import", str(bad))
    assert code == 1
    assert "bad.csv: 3 error(s); nothing was imported." in out
    assert "line 3, column date: '2027-02-30' is not a date" in out
    assert "line 4, column kind: 'maybe' is neither holiday (休) nor workday (班)" in out
    assert "line 5, column date: 2027-01-01 is listed twice (also on line 2)" in out
    assert await loaded() == []

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["日期 (date)", "类型 (kind)", "名称 (name)"])
    for day, kind, name in SCHEDULE_2027:
        sheet.append([date.fromisoformat(day), kind, name])
    book.save(tmp_path / "2027.xlsx")
    code, out = await cli("import", str(tmp_path / "2027.xlsx"), "--dry-run")
    assert code == 0 and "Dry run: 2027.xlsx is valid" in out, out
    assert await loaded() == []
    code, out = await cli("import", str(tmp_path / "2027.xlsx"))
    assert code == 0 and "Loaded from 2027.xlsx: 2027: 16 holiday(s)" in out, out
    assert len(await loaded()) == 18

    # Loading the year again replaces it as a whole.
    code, out = await cli("import", str(csv_file(tmp_path / "fix.csv", SCHEDULE_2027[:3])))
    assert code == 0, out
    assert sorted(await loaded()) == [date(2027, 1, 1), date(2027, 2, 5), date(2027, 2, 6)]
    async with db.session() as s:
        cal = await work_calendar(s)
    assert cal.years == {2027} and not cal.is_working_day(date(2027, 2, 5))

    code, out = await cli("list")
    assert code == 0, out
    lines = out.splitlines()
    assert any(line.startswith("2026  package") for line in lines), out
    assert any(line.startswith("2027  loaded       fix.csv, loaded ") for line in lines), out
    assert any(line.startswith("2028  approximate") for line in lines) or "2028" not in out


async def test_admins_are_warned_from_1_november_once_when_next_year_has_no_schedule(
    bot: Bot
) -> None:
    w = await world(bot)
    warning = "🗓 There is no official holiday schedule for 2028 yet"
    await w.plan(local(date(2027, 10, 31), 10))
    assert w.texts(ADMIN_ID, "🗓") == []
    await w.plan(local(date(2027, 11, 1)))
    [text] = w.texts(ADMIN_ID, "🗓")
    assert text.startswith(warning) and "branchbot calendar import FILE.csv" in text
    await w.plan(local(date(2027, 11, 2)))
    await w.plan(local(date(2027, 12, 1)))
    assert len(w.texts(ADMIN_ID, "🗓")) == 1  # once a year
    assert w.texts(SEC_A, "🗓") == []  # admins only


async def test_no_warning_when_the_package_covers_next_year(bot: Bot) -> None:
    w = await world(bot)
    await w.plan(local(date(2025, 11, 3), 7))
    await w.plan(local(date(2025, 11, 3)))
    assert w.texts(ADMIN_ID, "🗓") == []


async def test_a_missed_deadline_is_reminded_weekly_until_marked_done(bot: Bot) -> None:
    w = await world(bot)
    sec = w.who(SEC_A)
    await w.plan(local(date(2030, 1, 7), 10))
    await add_once(w, "Census report", date(2030, 1, 15), [1])
    await w.plan(local(date(2030, 1, 15)))
    assert w.texts(SEC_A, "❗ Census report") == []
    for week in (1, 2, 3, 4):
        day = date(2030, 1, 15) + timedelta(days=7 * week)
        await w.plan(local(day - timedelta(days=3)))  # mid-week: nothing more
        assert len(w.texts(SEC_A, "❗ Census report")) == week - 1
        await w.plan(local(day))
        notes = w.texts(SEC_A, "❗ Census report")
        assert len(notes) == week, (week, notes)
        plural = "week ago" if week == 1 else "weeks ago"
        assert notes[-1].startswith(
            f"❗ Census report for Branch A (2030-01-15) was due on ≈2030-01-15, {week} "
            f"{plural}, and is not marked done.")
        # The level above: the committee has no leaders, so the admins.
        assert len(w.texts(ADMIN_ID, "❗ Census report")) == week
        assert w.texts(SEC_B, "Census report") == []  # another branch's deadline

    # Ten weeks late, long after the recent window: still listed in /duties and the overview.
    await w.plan(local(date(2030, 3, 26)))
    assert len(w.texts(SEC_A, "❗ Census report")) == 5
    view = await say(sec, "/duties")
    assert "· Census report (2030-01-15): due ≈2030-01-15 — ❗ 70 days overdue" in view
    # The overview's storage counts the same open occurrence (test_overdue_duties.py: the chat).
    assert [(d.title, d.occurrence, d.deadline, d.organizations, d.approximate)
            for d in await overdue(w, date(2030, 3, 26))] == [
        ("Census report", "2030-01-15", date(2030, 1, 15), 1, True)]

    await press(sec, "✅ Mark done: Census report (2030-01-15)")
    await press(sec, "Done without a document")
    done = await press(sec, "✅ Confirm")
    assert "✅ Marked done: Census report (2030-01-15)." in done
    await w.plan(local(date(2030, 4, 2)))
    await w.plan(local(date(2030, 4, 9)))
    assert len(w.texts(SEC_A, "❗ Census report")) == 5
    assert len(w.texts(ADMIN_ID, "❗ Census report")) == 5
    assert await overdue(w, date(2030, 4, 9)) == []


async def test_a_secretary_sets_the_branch_dues_collection_day(bot: Bot) -> None:
    w = await world(bot)
    sec, alice = w.who(SEC_A), w.who(ALICE)
    await w.plan(local(date(2030, 1, 7), 10))  # the 10th's reminder (3 days before) came today
    assert len(w.texts(ALICE, "📋 Reminder: Party dues collection (2030-01), due ≈2030-01-10")) == 1

    view = await say(sec, "/duties")
    assert "💰 Dues collection day: day 10 (default)" in view
    ask = await press(sec, "💰 Dues collection day")
    assert "On which day of the month does Branch A collect party dues?" in ask
    problem = "Please type a day from 1 to 28, or “last” for the last day of the month."
    for wrong in ("29", "0", "31", "every 15th"):
        assert problem in await say(sec, wrong), wrong
    confirm = await say(sec, "15日")
    assert ("Change the dues collection day of Branch A: day 10 (default) → day 15? Dues "
            "reminders follow it from now on.") in confirm
    assert bot.app is not None
    async with bot.app.database.session() as s:
        org = await s.get(PartyOrganization, w.branch_a)
        assert org is not None and org.dues_day is None  # nothing before the confirmation
    done = await press(sec, "✅ Confirm")
    assert "✅ Dues collection day set: day 15." in done
    assert "· Party dues collection (2030-01): due ≈2030-01-15 — ⏳ 8 days left" in done
    assert "💰 Dues collection day: day 15" in done

    # A member who owes is reminded at most once a month, whatever the day moves to;
    # the next month follows the new day: Branch A 3 days before the 15th, Branch B the 10th.
    await w.plan(local(date(2030, 1, 12)))
    assert len(w.texts(ALICE, "📋 Reminder: Party dues collection (2030-01)")) == 1
    await w.plan(local(date(2030, 2, 11), 10))
    assert w.texts(ALICE, "📋 Reminder: Party dues collection (2030-02)") == []
    # (the 10th of February 2030 is a Sunday: due the next working day)
    assert len(w.texts(SEC_B, "📋 Reminder: Party dues collection (2030-02), due ≈2030-02-11")
               ) == 1
    await w.plan(local(date(2030, 2, 12), 10))
    assert len(w.texts(ALICE, "📋 Reminder: Party dues collection (2030-02), due ≈2030-02-15")
               ) == 1
    view = await say(w.who(SEC_B), "/duties")
    assert "💰 Dues collection day: day 10 (default)" in view

    # The last day of the month; a member cannot change it.
    await say(sec, "/duties")
    await press(sec, "💰 Dues collection day")
    confirm = await say(sec, "last")
    assert "day 15 → the last day of the month?" in confirm
    done = await press(sec, "✅ Confirm")
    assert "· Party dues collection (2030-01): due ≈2030-01-31" in done
    assert await forge(alice, f"du:dd:{w.branch_a}") == t(NOT_ALLOWED)
    async with bot.app.database.session() as s:
        events = (await s.execute(select(AuditEvent.action, AuditEvent.actor_telegram_id)
                                  .where(AuditEvent.action == "org.dues_day"))).all()
        org = await s.get(PartyOrganization, w.branch_a)
        assert org is not None and org.dues_day == 31
    assert [tuple(e) for e in events] == [("org.dues_day", SEC_A), ("org.dues_day", SEC_A)]
