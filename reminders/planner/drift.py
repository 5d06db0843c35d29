"""Drifting members (失联): leaders are warned when a party member has had no organizational
life for months, and at six months get a case to handle (DOMAIN.md, 党章 art. 9)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from handlers.kit.i18n import N_, translator
from reminders import rules
from reminders.planner.kit import CHECK_WINDOW, PlanSettings, _aware, _plan, _slice, leaders
from rules import dues
from rules.dues import Month
from rules.meetings import MEMBER_STATUSES
from rules.vocabulary import (
    AttendanceStatus,
    DriftTrigger,
    DuesPaymentState,
    MeetingState,
    MembershipState,
    ReminderKind,
)
from storage import drift_cases
from storage.models import Attendance, DuesPayment, Meeting, Membership, Person
from storage.people import not_excused


async def plan_drift(session: AsyncSession, now: datetime, settings: PlanSettings) -> None:
    """Leaders, when a party member has had no organizational life for 3 (then 5) months, and
    at 6 months a case to handle (which cannot be muted).

    Organizational life is presence at a closed meeting, or a 补学 the secretary accepted
    (dated when it was done); a self-confirmed one does not count until accepted. The clock
    follows the person, not the membership: a transfer to another branch in the bot does not
    restart it. Activists are not party members and are never warned about, nor is a member
    the branch excused from organizational life (ill, abroad, elderly) while the excuse lasts.

    Alerts fall due at 08:00 local: only the pass whose slice holds a day's 08:00 looks (and
    then at every alert due by the end of the slice, each recorded once by its key)."""
    after, until = _slice(now, settings, fresh=CHECK_WINDOW)
    if not rules.day_checks(after, until, settings.tz):
        return
    now = until
    took_part = or_(
        Attendance.status == AttendanceStatus.PRESENT, Attendance.makeup_accepted_at.is_not(None)
    )
    life_at = case(
        (Attendance.status == AttendanceStatus.PRESENT, Meeting.starts_at),
        else_=func.coalesce(Attendance.makeup_done_at, Meeting.starts_at),
    )
    last_meeting = (
        select(Membership.person_id.label("person_id"), func.max(life_at).label("last"))
        .select_from(Attendance)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Membership, Membership.id == Attendance.membership_id)
        .where(Meeting.state == MeetingState.CLOSED, took_part)
        .group_by(Membership.person_id)
        .subquery()
    )
    # Joined: the first membership of the person's chain of branches (transfers keep it).
    earlier = aliased(Membership)
    first_joined = (
        select(
            earlier.person_id.label("person_id"),
            func.min(func.coalesce(earlier.decided_at, earlier.requested_at)).label("joined"),
        )
        .where(earlier.state.in_((MembershipState.ACTIVE, MembershipState.TRANSFERRED_OUT)))
        .group_by(earlier.person_id)
        .subquery()
    )
    anchor = func.coalesce(last_meeting.c.last, first_joined.c.joined)
    months = [*settings.drift_months, rules.LEFT_AFTER_MONTHS]
    oldest = now - timedelta(days=28 * min(months))
    rows = await session.execute(
        select(Membership.id, Membership.party_organization_id, Person.real_name, anchor)
        .join(Person, Person.id == Membership.person_id)
        .outerjoin(last_meeting, last_meeting.c.person_id == Membership.person_id)
        .join(first_joined, first_joined.c.person_id == Membership.person_id)
        .where(
            Membership.state == MembershipState.ACTIVE,
            Membership.status.in_(MEMBER_STATUSES),
            not_excused(now.astimezone(settings.tz).date()),
            anchor < oldest,
        )
    )
    drifting = [Drifting(m, org, name or "?", _aware(last).astimezone(settings.tz).date())
                for m, org, name, last in rows.all()]
    await _warn_leaders(
        session, settings, now, drifting, key="drift", trigger=DriftTrigger.ABSENCE,
        warning=N_(
            "👥 {name} has taken part in no organizational life for {months} months "
            "(last: {last}). Please get in touch; after 6 months party rules treat "
            "a member as having left."
        ),
        case=N_(
            "⚠️ Case to handle: {name} has taken part in no organizational life for "
            "6 months (last: {last}). Party rules (党章 art. 9) treat a member who, "
            "without good reason, takes no part for 6 months as having left the "
            "party. Please talk with them and decide: if they have caught up, accept "
            "it in /makeups; if they have good reason (ill, abroad, elderly), excuse "
            "them on their card in /members; otherwise report the case to the level "
            "above."
        ),
        last=lambda d: d.since.isoformat(),
    )


async def plan_dues_drift(session: AsyncSession, now: datetime, settings: PlanSettings) -> None:
    """Leaders, when a party member of a branch that keeps dues in the bot has paid none for 3
    (then 5) months, and at 6 months a case (党章 art. 9: not paying dues is the second trigger).

    The run starts the month after the last month the branch confirmed (a member's own report
    does not count until confirmed, like a self-confirmed 补学), and never before the member
    owes: from joining the party, and not before the branch's first recorded payment."""
    after, until = _slice(now, settings, fresh=CHECK_WINDOW)
    if not rules.day_checks(after, until, settings.tz):
        return
    now = until
    opened = (
        select(DuesPayment.party_organization_id.label("org_id"),
               func.min(DuesPayment.year * 12 + DuesPayment.month - 1).label("first"))
        .group_by(DuesPayment.party_organization_id).subquery()
    )
    last_paid = (
        select(DuesPayment.person_id.label("person_id"),
               func.max(DuesPayment.year * 12 + DuesPayment.month - 1).label("last"))
        .where(DuesPayment.state == DuesPaymentState.CONFIRMED)
        .group_by(DuesPayment.person_id).subquery()
    )
    rows = (await session.execute(
        select(Membership.id, Membership.party_organization_id, Person.real_name,
               Membership.joined_party_on, Membership.decided_at, opened.c.first,
               last_paid.c.last)
        .join(Person, Person.id == Membership.person_id)
        .join(opened, opened.c.org_id == Membership.party_organization_id)
        .outerjoin(last_paid, last_paid.c.person_id == Membership.person_id)
        .where(Membership.state == MembershipState.ACTIVE,
               Membership.status.in_(MEMBER_STATUSES),
               not_excused(now.astimezone(settings.tz).date()))
    )).all()
    first_due = min(settings.drift_months)
    unpaid: list[Drifting] = []
    for membership_id, org_id, name, joined, decided, first, last in rows:
        since = dues.owing_since(joined, (decided or now).date(), Month.at(first))
        assert since is not None  # the branch's books are open: it has a first payment
        start = since if last is None else max(since, Month.at(last + 1))
        if rules.months_absent(start.first_day(), now.astimezone(settings.tz).date()) >= first_due:
            unpaid.append(Drifting(membership_id, org_id, name or "?", start.first_day()))
    await _warn_leaders(
        session, settings, now, unpaid, key="dues-drift", trigger=DriftTrigger.DUES,
        warning=N_(
            "💰 {name} has paid no party dues for {months} months (paid up to "
            "{last}). Please get in touch; after 6 months party rules treat a "
            "member as having left."
        ),
        case=N_(
            "⚠️ Case to handle: {name} has paid no party dues for 6 months (paid up "
            "to {last}). Party rules (党章 art. 9) treat a member who, without good "
            "reason, pays no dues for 6 months as having left the party. Please "
            "talk with them and decide: record what they pay; if they have good "
            "reason (ill, abroad, elderly), excuse them on their card in /members; "
            "otherwise report the case to the level above."
        ),
        last=lambda d: str(Month.of(d.since).plus(-1)),
    )


@dataclass(frozen=True)
class Drifting:
    """A member to warn about: `since` is the last organizational life, or the first month
    without dues; the warnings fall due whole months after it."""

    membership_id: int
    org_id: int
    name: str
    since: date


async def _warn_leaders(
    session: AsyncSession, settings: PlanSettings, now: datetime, drifting: list[Drifting], *,
    key: str, trigger: DriftTrigger, warning: str, case: str, last: Callable[[Drifting], str],
) -> None:
    """The branch leaders' warnings at the thresholds crossed, and the six-month case (opened
    for the branch to settle on the member's card; its message cannot be muted), each planned
    once by its key; `last` says when the member last took part (or paid) in the messages."""
    by_org = await leaders(session, {d.org_id for d in drifting})
    cases: list[tuple[int, DriftTrigger, date]] = []
    for d in drifting:
        alerts = rules.drift_alerts(d.since, now, settings.tz, thresholds=settings.drift_months)
        case_due = rules.drift_case(d.since, settings.tz)
        if case_due.at <= now:
            cases.append((d.membership_id, trigger, d.since))
        for person in by_org.get(d.org_id, []):
            t = translator(person.language)
            subject = f"membership:{d.membership_id}"
            for due in alerts:
                _plan(settings, person, kind=ReminderKind.DRIFT, subject=subject,
                      key=f"{key}:{d.membership_id}:{due.occurrence}", due=due.at,
                      text=t(warning, name=d.name, months=due.occurrence.split("m-", 1)[0],
                             last=last(d)))
            if case_due.at <= now:
                _plan(settings, person, kind=ReminderKind.DRIFT_CASE, subject=subject,
                      key=f"{key}:{d.membership_id}:{case_due.occurrence}", due=case_due.at,
                      text=t(case, name=d.name, last=last(d)))
    await drift_cases.open_cases(session, cases, now)
