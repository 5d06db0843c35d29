"""What every planner shares: a pass's settings and time slice, whom to tell (`Recipient`,
organizations' leaders, the admins), and `_plan`, which adds one message to the pass."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reminders import rules
from rules.meetings import DEFAULT_REQUIREMENTS, Requirement
from rules.training import DEFAULT_POLICY, TrainingPolicy
from rules.vocabulary import MeetingKind, MemberRole, MembershipState, ReminderKind
from rules.workdays import WorkCalendar
from storage.models import (
    Membership,
    NotificationPreference,
    OutboxMessage,
    PartyOrganization,
    Person,
)
from storage.outbox import Planned

PLAN_EVERY = timedelta(minutes=5)
PLAN_AHEAD = 3 * PLAN_EVERY  # a pass plans what falls due up to this far ahead
LEADING_ROLES = (MemberRole.SECRETARY, MemberRole.DEPUTY_SECRETARY)
URGENT_KINDS = frozenset({ReminderKind.CHECKIN})  # goes through quiet hours: the meeting is now
CHECK_WINDOW = timedelta(days=1)  # a check day missed by a longer outage is not caught up


@dataclass(frozen=True)
class Recipient:
    """Someone to tell, in their language, with their preferences."""

    telegram_id: int
    language: str
    muted: frozenset[str] = frozenset()
    digest: bool = False


@dataclass
class PlanSettings:
    """What a deployment may change about reminders."""

    tz: tzinfo
    admins: frozenset[int] = frozenset()
    meeting_leads: Sequence[timedelta] = rules.DEFAULT_MEETING_LEADS
    quiet: rules.QuietHours = rules.DEFAULT_QUIET_HOURS
    drift_months: Sequence[int] = rules.DEFAULT_DRIFT_MONTHS
    requirements: Mapping[MeetingKind, Requirement] = field(
        default_factory=lambda: dict(DEFAULT_REQUIREMENTS)
    )
    training_policy: TrainingPolicy = DEFAULT_POLICY
    # Loaded holiday schedules; plan_all reads them from the database at each pass.
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    inquorate_counts: bool = False  # committee meetings without quorum count (a setting)
    planned: list[Planned] = field(default_factory=list)
    # The pass's slice (after, until] of due times, set by plan_all.
    after: datetime | None = None
    until: datetime | None = None


def _slice(
    now: datetime, settings: PlanSettings, *, fresh: timedelta = rules.DEFAULT_LATE_GRACE
) -> tuple[datetime, datetime]:
    """The due times this pass plans; the first pass ever (no watermark) looks back `fresh`."""
    until = settings.until or now + PLAN_AHEAD
    after = settings.after if settings.after is not None else now - fresh
    return min(after, until), until


def _plan(
    settings: PlanSettings,
    recipient: Recipient,
    *,
    kind: str,
    key: str,
    due: datetime,
    text: str,
    subject: str | None = None,
    latest: datetime | None = None,
    expires: datetime | None = None,
) -> None:
    """Add one message unless muted; non-urgent ones wait for the end of quiet hours, and for
    the daily digest if the person chose one, unless that comes after `latest` (too late)."""
    if kind in recipient.muted:
        return
    urgent = kind in URGENT_KINDS
    at = _deferred(due, settings.tz, urgent=urgent, quiet=settings.quiet)
    if latest is not None and at >= latest:
        at = due  # an early meeting: better during quiet hours than after it began
    bundle = recipient.digest and not urgent
    if bundle:
        digest_at = max(at, rules.next_digest(at - timedelta(seconds=1), settings.tz,
                                              cal=settings.calendar))
        if latest is not None and digest_at >= latest:
            bundle = False
        else:
            at = digest_at
    settings.planned.append(
        Planned(
            key=f"{key}:{recipient.telegram_id}"[:200], kind=kind, chat_id=recipient.telegram_id,
            text=text, due_at=at, subject=subject, urgent=urgent, bundle=bundle,
            expires_at=expires,
        )
    )


# Many recipients share one due time (a branch's meeting): compute its deferral once.
_deferred = functools.lru_cache(maxsize=4096)(rules.defer_for_quiet_hours)


async def _recipients(session: AsyncSession, person_filter: Iterable[Any]) -> list[
    tuple[Recipient, int]
]:
    rows = await session.execute(
        select(
            Person.telegram_id, Person.language, Person.id,
            NotificationPreference.muted_kinds, NotificationPreference.digest,
        )
        .outerjoin(NotificationPreference, NotificationPreference.person_id == Person.id)
        .where(*person_filter)
    )
    return [
        (Recipient(tg, language or "zh", frozenset(muted or ()), bool(digest)), person_id)
        for tg, language, person_id, muted, digest in rows.all()
    ]


async def leaders(session: AsyncSession, org_ids: Iterable[int]) -> dict[int, list[Recipient]]:
    """Secretary and deputies of each organization."""
    ids = set(org_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(
            Membership.party_organization_id, Person.telegram_id, Person.language,
            NotificationPreference.muted_kinds, NotificationPreference.digest,
        )
        .join(Person, Person.id == Membership.person_id)
        .outerjoin(NotificationPreference, NotificationPreference.person_id == Person.id)
        .where(
            Membership.party_organization_id.in_(ids),
            Membership.state == MembershipState.ACTIVE,
            Membership.role.in_(LEADING_ROLES),
        )
    )
    result: dict[int, list[Recipient]] = {}
    for org_id, tg, language, muted, digest in rows.all():
        result.setdefault(org_id, []).append(
            Recipient(tg, language or "zh", frozenset(muted or ()), bool(digest))
        )
    return result


async def _parents(session: AsyncSession) -> dict[int, int | None]:
    rows = await session.execute(select(PartyOrganization.id, PartyOrganization.parent_id))
    return {org_id: parent for org_id, parent in rows.all()}


def _ancestors(org_id: int, parents: dict[int, int | None]) -> list[int]:
    chain: list[int] = []
    current = parents.get(org_id)
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


async def _admins(session: AsyncSession, settings: PlanSettings) -> list[Recipient]:
    """The configured admins (who may have no membership), in their language."""
    if not settings.admins:
        return []
    known = {
        r.telegram_id: r
        for r, _ in await _recipients(session, [Person.telegram_id.in_(settings.admins)])
    }
    return [known.get(tg, Recipient(tg, "zh")) for tg in sorted(settings.admins)]


def _local(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _planned_already(session: AsyncSession, prefix: str) -> set[str]:
    """Keys recorded under a prefix (a check already planned on an earlier pass)."""
    rows = await session.scalars(
        select(OutboxMessage.key).where(OutboxMessage.key.startswith(prefix, autoescape=True))
    )
    return set(rows.all())
