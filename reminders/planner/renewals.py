"""Term renewal (换届) reminders: the leaders of an organization whose committee term ends soon
or has ended, and the levels above."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.i18n import translator
from reminders import rules
from reminders.planner.kit import (
    CHECK_WINDOW,
    PlanSettings,
    Recipient,
    _admins,
    _ancestors,
    _parents,
    _plan,
    _slice,
    leaders,
)
from rules import terms
from rules.vocabulary import ReminderKind
from storage.models import PartyOrganization


async def plan_renewals(session: AsyncSession, now: datetime, settings: PlanSettings) -> None:
    """Leaders and the levels above, 6, 3, 1 months before a term ends, then weekly (at
    08:00 local: only the pass whose slice holds a day's 08:00 looks)."""
    after, until = _slice(now, settings, fresh=CHECK_WINDOW)
    if not rules.day_checks(after, until, settings.tz):
        return
    now = until
    orgs = (
        await session.scalars(
            select(PartyOrganization).where(PartyOrganization.term_started_on.is_not(None))
        )
    ).all()
    if not orgs:
        return
    parents = await _parents(session)
    ends = {
        org.id: terms.term_ends_on(org.term_started_on, org.kind, org.term_years)
        for org in orgs if org.term_started_on is not None
    }
    # Only the last reminder that fell due in the last week: an outage does not send a backlog.
    since = now - timedelta(days=7)
    due_orgs = {
        org_id: dues[-1]
        for org_id, ends_on in ends.items()
        if (dues := rules.renewal_dues(ends_on, now, settings.tz, since=since))
    }
    if not due_orgs:
        return
    names = {org.id: org.name for org in orgs}
    above = {org_id: _ancestors(org_id, parents) for org_id in due_orgs}
    heads = await leaders(session, set(due_orgs) | {a for chain in above.values() for a in chain})
    admins = await _admins(session, settings)
    for org_id, due in due_orgs.items():
        people: dict[int, Recipient] = {}
        for chain_org in [org_id, *above[org_id]]:
            for person in heads.get(chain_org, []):
                people.setdefault(person.telegram_id, person)
        for person in admins:
            people.setdefault(person.telegram_id, person)
        overdue = due.occurrence.startswith("overdue")
        for person in people.values():
            t = translator(person.language)
            text = (
                t("🗳 The committee term of {org} ended on {date}: the renewal is overdue. "
                  "An admin records it with /renewal once the election is approved.",
                  org=names[org_id], date=ends[org_id].isoformat())
                if overdue else
                t("🗳 The committee term of {org} ends on {date}. Prepare the renewal "
                  "election and its approval by the upper level in time.",
                  org=names[org_id], date=ends[org_id].isoformat())
            )
            _plan(
                settings, person, kind=ReminderKind.RENEWAL, subject=f"renewal:{org_id}",
                key=f"renewal:{org_id}:{due.occurrence}", due=due.at, text=text,
            )
