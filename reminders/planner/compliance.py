"""Compliance reminders: leaders, on the check day of a month, quarter or year, when a required
kind of meeting has not been held."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.i18n import html_join, translator
from handlers.labels import LIST_SEPARATOR, MEETING_KIND_LABELS
from reminders import rules
from reminders.planner.kit import (
    CHECK_WINDOW,
    PlanSettings,
    _plan,
    _planned_already,
    _slice,
    leaders,
)
from rules.meetings import Period
from rules.vocabulary import MeetingKind, PartyOrgKind, ReminderKind
from storage.models import PartyOrganization

BRANCH_KINDS = (PartyOrgKind.BRANCH, PartyOrgKind.JOINT_BRANCH)


async def plan_compliance(session: AsyncSession, now: datetime, settings: PlanSettings) -> None:
    """Leaders, on the check day of a month, quarter or year, when a required kind is not held."""
    from storage import ledger

    after, until = _slice(now, settings, fresh=CHECK_WINDOW)
    after = max(after, now - CHECK_WINDOW)
    days = rules.day_checks(after, until, settings.tz, at=rules.DEFAULT_COMPLIANCE_SCHEDULE.at)
    checks = [
        (day, period, rules.compliance_check(day, period, settings.tz))
        for day in days for period in (Period.MONTH, Period.QUARTER, Period.YEAR)
    ]
    for today, period, due in checks:
        if not after < due.at <= until:
            continue
        kinds = {k for k, r in settings.requirements.items() if r.period is period and r.minimum}
        if not kinds:
            continue
        prefix = f"compliance:{due.occurrence}:"
        done = {key.split(":")[2] for key in await _planned_already(session, prefix)}
        branches = (
            await session.execute(
                select(PartyOrganization.id, PartyOrganization.name).where(
                    PartyOrganization.kind.in_(BRANCH_KINDS),
                    PartyOrganization.id.not_in([int(d) for d in done if d.isdigit()]),
                )
            )
        ).all()
        first, last = rules_period_bounds(today, period)
        report_period = ledger.ReportPeriod("check", period, first, last)
        heads = await leaders(session, {org_id for org_id, _name in branches})
        for org_id, name in branches:
            if not heads.get(org_id):
                continue
            report = await ledger.compliance_report(
                session, org_id, report_period, tz=settings.tz,
                requirements=settings.requirements, today=today,
                inquorate_counts=settings.inquorate_counts,
            )
            missing = sorted(
                {k.kind for k in report.kinds
                 if k.kind in kinds and k.status in ("due", "missing")},
                key=list(MeetingKind).index,
            )
            if not missing:
                continue
            for person in heads[org_id]:
                t = translator(person.language)
                labels = html_join(t(LIST_SEPARATOR),
                                   (t(MEETING_KIND_LABELS[kind]) for kind in missing))
                _plan(
                    settings, person, kind=ReminderKind.COMPLIANCE, subject=f"compliance:{org_id}",
                    key=f"{prefix}{org_id}", due=due.at,
                    text=t(
                        "📅 {org}, {period}: not held yet: {kinds}. The period ends on {last}; "
                        "schedule them with /schedule.",
                        org=name, period=due.occurrence, kinds=labels, last=last.isoformat(),
                    ),
                )


def rules_period_bounds(day: date, period: Period) -> tuple[date, date]:
    from rules.meetings import period_of

    return period_of(day, period)
