"""Transfer letters (组织关系转接): the receiving secretaries of an unanswered letter are reminded
every few days while it is valid; one left unanswered past its last day expires, and its
sending secretaries and the member are told that the membership stayed where it was."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.i18n import translator
from reminders.planner.kit import PlanSettings, Recipient, _plan, _recipients, _slice, leaders
from rules import transfers as rules
from rules.vocabulary import ReminderKind, TransferKind, TransferState
from storage import transfers
from storage.models import Person
from storage.transfers import Letter


async def plan_transfers(session: AsyncSession, now: datetime, settings: PlanSettings) -> None:
    await _expire(session, now, settings)
    after, until = _slice(now, settings)
    waiting = [letter for letter in await transfers.letters(session, states=[TransferState.WAITING])
               if letter.kind is TransferKind.BETWEEN and letter.to_org_id is not None]
    due = {letter.id: rules.reminders_between(letter.issued_at, _last_moment(letter, settings),
                                              after, until)
           for letter in waiting}
    due_letters = [letter for letter in waiting if due[letter.id]]
    if not due_letters:
        return
    heads = await leaders(session, {letter.to_org_id for letter in due_letters
                                    if letter.to_org_id is not None})
    for letter in due_letters:
        number, at = due[letter.id][-1]  # after an outage: the latest reminder only
        for person in heads.get(letter.to_org_id or 0, []):
            t = translator(person.language)
            _plan(settings, person, kind=ReminderKind.TRANSFER, subject=f"transfer:{letter.id}",
                  key=f"transfer:{letter.id}:remind:{number}", due=at,
                  text=t("📨 The transfer letter {number} for {name} from {org} waits for your "
                         "answer: accept it or return it by {date}.",
                         number=letter.number or "", name=letter.name,
                         org=letter.from_org or "", date=letter.valid_until.isoformat()))


async def _expire(session: AsyncSession, now: datetime, settings: PlanSettings) -> None:
    """Letters past their last day (in the branch's time zone) go back to the sender."""
    today = now.astimezone(settings.tz).date()
    expired = await transfers.expire_due(session, today=today, now=now)
    if not expired:
        return
    letters = await transfers.letters(session, ids=expired)
    heads = await leaders(session, {letter.from_org_id for letter in letters
                                    if letter.from_org_id is not None})
    members: dict[int, Recipient] = {
        person_id: recipient for recipient, person_id in await _recipients(
            session, [Person.id.in_({letter.person_id for letter in letters})])}
    for letter in letters:
        key = f"transfer:{letter.id}:expired"
        values = {"number": letter.number or "", "name": letter.name, "org": letter.to_org or "",
                  "home": letter.from_org or "", "date": letter.valid_until.isoformat()}
        for person in heads.get(letter.from_org_id or 0, []):
            t = translator(person.language)
            _plan(settings, person, kind=ReminderKind.TRANSFER, key=key, due=now,
                  text=t("⌛ The transfer letter {number} for {name} to {org} was not answered "
                         "by {date} and has expired: the membership stays with {home}.",
                         **values))
        member = members.get(letter.person_id)
        if member is not None:
            t = translator(member.language)
            _plan(settings, member, kind=ReminderKind.TRANSFER, key=key, due=now,
                  text=t("⌛ Your transfer letter to {org} was not answered by {date} and has "
                         "expired: you remain a member of {home}. Your secretary was told.",
                         **values))


def _last_moment(letter: Letter, settings: PlanSettings) -> datetime:
    """The end of the letter's last day, in the branch's time zone."""
    return datetime.combine(letter.valid_until + timedelta(days=1), datetime.min.time(),
                            settings.tz)
