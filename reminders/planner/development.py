"""Member development (发展党员): the branch's leaders are reminded of what a person's
development owes by when (the talk with an applicant, an activist's half-yearly review, the
assembly's vote at the end of probation, the upper level's approvals): a week before the last
day and on it, at 09:00 in the branch's time zone (rules/development.py has the windows); and
on the last day of a candidate's public notice, counted in working days by the loaded holiday
schedules (the pass's calendar), that the assembly's vote may follow."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.i18n import N_, translator
from reminders.planner.kit import PlanSettings, _plan, _slice, leaders
from rules.vocabulary import ReminderKind
from storage import development
from storage.models import Person

LEADS = (timedelta(days=7), timedelta(0))  # before the last day, and on it
# The notice lasts a few days: its last day only (a week before it, it was not yet put up).
LEADS_OF = {"notice": (timedelta(0),)}
AT = time(9)
TEXTS = {
    "notice": N_("📢 The public notice for {name} ends on {date} (5 working days): the "
                 "assembly's vote on the admission may follow."),
    "talk": N_("🗣 Talk with the applicant {name} by {date}: within a month of the "
               "application."),
    "review": N_("📋 The half-yearly review of the activist {name} is due by {date}."),
    "admission_approval": N_("📮 The upper level's approval of {name}'s admission is due by "
                             "{date}: three months after the assembly's vote."),
    "probation_vote": N_("🗳 {name}'s probation ends on {date}: the assembly's vote on full "
                         "membership is due."),
    "confirmation_approval": N_("📮 The upper level's approval of {name}'s full membership is "
                                "due by {date}: three months after the assembly's vote."),
}


async def plan_development(session: AsyncSession, now: datetime, settings: PlanSettings
                           ) -> None:
    after, until = _slice(now, settings)
    due = []
    # The pass's calendar (plan_all loads the holiday schedules once per pass).
    for owed in await development.owed_by(session, cal=settings.calendar):
        moments = [datetime.combine(owed.due.by - lead, AT, settings.tz)
                   for lead in LEADS_OF.get(owed.due.what, LEADS)]
        in_slice = [(i, at) for i, at in enumerate(moments) if after < at <= until]
        if in_slice:
            due.append((owed, *in_slice[-1]))  # after an outage: the latest one only
    if not due:
        return
    heads = await leaders(session, {owed.org_id for owed, _, _ in due})
    names = {person_id: name for person_id, name in await session.execute(
        select(Person.id, Person.real_name).where(
            Person.id.in_({owed.person_id for owed, _, _ in due})))}
    for owed, number, at in due:
        for person in heads.get(owed.org_id, []):
            t = translator(person.language)
            _plan(settings, person, kind=ReminderKind.DEVELOPMENT, due=at,
                  key=f"development:{owed.record_id}:{owed.due.what}:{owed.due.by}:{number}",
                  text=t(TEXTS[owed.due.what], name=names.get(owed.person_id) or "",
                         date=owed.due.by.isoformat()))
