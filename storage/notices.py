"""Notices (issue 7): drafts, audiences, confirmation into the outbox, read receipts,
reminders to non-readers, withdrawal and the counts shown to authors and on the dashboard.

A notice's copies are outbox rows of kind "notice" under the key notice:<id>:<person> and
the subject notice:<id>; confirming moves the notice out of "draft" in one UPDATE, so a
second press finds nothing to confirm, and the unique key sends each person one copy.
Confirming also splits the notice into its messages once (notices.parts); the courier sends
those to every recipient instead of splitting the text again for each one, and the copies
carry no text of their own (copies planned before parts were stored carry the notice's text).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, case, cast, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from rules import notices as rules
from rules.vocabulary import MemberRole, MembershipState, MemberStatus, NoticeState
from storage import audit, outbox
from storage.models import (
    Membership,
    Notice,
    NoticeRecipient,
    OutboxMessage,
    OutboxState,
    PartyOrganization,
    Person,
    SocialOrganization,
)
from storage.orgs import descendant_ids

KIND = "notice"
REMIND_KIND = "notice_remind"
WITHDRAWN_KIND = "notice_withdrawn"
OPEN_STATES = (NoticeState.SCHEDULED, NoticeState.SENDING)


def subject_of(notice_id: int) -> str:
    return f"notice:{notice_id}"


def key_of(notice_id: int, person_id: int) -> str:
    return f"notice:{notice_id}:{person_id}"


def notice_of_key(key: str) -> int | None:
    """The notice a copy's key names (key_of); None for any other key."""
    prefix, _, rest = key.partition(":")
    notice_id, _, person_id = rest.partition(":")
    if prefix != "notice" or not notice_id.isdigit() or not person_id.isdigit():
        return None
    return int(notice_id)


SPLIT_INLINE = 4096  # characters of HTML: longer texts are split in a worker thread


async def plan_messages(text_html: str, attachments: list[dict[str, Any]] | None
                ) -> list[rules.Step]:
    """The messages a recipient gets; a long text is split off the event loop."""
    if len(text_html) <= SPLIT_INLINE:
        return rules.delivery_steps(text_html, attachments)
    return await asyncio.to_thread(rules.delivery_steps, text_html, attachments)


async def planned_steps(session: AsyncSession, keys: Sequence[str]
                        ) -> dict[str, list[rules.Step]]:
    """For the keys of notice copies: the messages stored when the notice was confirmed
    (one query for a courier's batch; notices confirmed before they were stored have none)."""
    wanted = {key: notice_of_key(key) for key in keys}
    ids = {i for i in wanted.values() if i is not None}
    if not ids:
        return {}
    rows = await session.execute(
        select(Notice.id, Notice.parts).where(Notice.id.in_(ids), Notice.parts.is_not(None))
    )
    steps = {int(i): [rules.Step.from_json(p) for p in parts] for i, parts in rows.all()}
    return {key: steps[i] for key, i in wanted.items() if i in steps}


# ---------------------------------------------------------------------------------------
# Audience
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """Who a notice is for, inside its author's scope; an empty list means "any"."""

    orgs: tuple[int, ...] = ()  # party organizations, each with everything below it
    social: tuple[int, ...] = ()  # social organizations: the party organization covering them
    roles: tuple[MemberRole, ...] = ()
    statuses: tuple[MemberStatus, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "orgs": sorted(self.orgs), "social": sorted(self.social),
            "roles": sorted(r.value for r in self.roles),
            "statuses": sorted(s.value for s in self.statuses),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Audience:
        data = data or {}
        return cls(
            orgs=tuple(int(i) for i in data.get("orgs", ())),
            social=tuple(int(i) for i in data.get("social", ())),
            roles=tuple(MemberRole(r) for r in data.get("roles", ())),
            statuses=tuple(MemberStatus(s) for s in data.get("statuses", ())),
        )


async def scope_orgs(session: AsyncSession, scope_org_id: int | None) -> set[int] | None:
    """The organizations an author may address: None (admin) means all of them."""
    if scope_org_id is None:
        return None
    return {scope_org_id}


async def _target_orgs(
    session: AsyncSession, audience: Audience, scope: set[int] | None
) -> set[int] | None:
    """Party organizations whose members are addressed; None: the whole scope."""
    if not audience.orgs and not audience.social:
        return scope
    chosen = await descendant_ids(session, set(audience.orgs)) if audience.orgs else set()
    if audience.social:
        covering = await session.scalars(
            select(SocialOrganization.party_organization_id).where(
                SocialOrganization.id.in_(audience.social),
                SocialOrganization.party_organization_id.is_not(None),
            )
        )
        chosen |= {int(i) for i in covering.all() if i is not None}
    # Never beyond the author's scope, whatever the buttons said.
    return chosen if scope is None else chosen & scope


def _recipients_query(
    targets: set[int] | None, audience: Audience, exclude_person: int | None
) -> Select[int, int, str, int]:
    statement = (
        select(Person.id, Person.telegram_id, Person.language, Membership.party_organization_id)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.state == MembershipState.ACTIVE)
    )
    if targets is not None:
        statement = statement.where(Membership.party_organization_id.in_(targets))
    if audience.roles:
        statement = statement.where(Membership.role.in_(audience.roles))
    if audience.statuses:
        statement = statement.where(Membership.status.in_(audience.statuses))
    if exclude_person is not None:
        statement = statement.where(Person.id != exclude_person)
    return statement.distinct()


async def count_recipients(
    session: AsyncSession, audience: Audience, scope: set[int] | None,
    exclude_person: int | None = None,
) -> int:
    """Distinct people the audience reaches (overlapping choices count once)."""
    targets = await _target_orgs(session, audience, scope)
    if targets is not None and not targets:
        return 0
    inner = _recipients_query(targets, audience, exclude_person).subquery()
    return int(await session.scalar(select(func.count()).select_from(inner)) or 0)


@dataclass(frozen=True)
class Recipient:
    person_id: int
    telegram_id: int
    language: str
    org_id: int


async def recipients(
    session: AsyncSession, audience: Audience, scope: set[int] | None,
    exclude_person: int | None = None,
) -> list[Recipient]:
    targets = await _target_orgs(session, audience, scope)
    if targets is not None and not targets:
        return []
    rows = await session.execute(_recipients_query(targets, audience, exclude_person))
    return [Recipient(int(a), int(b), str(c), int(d)) for a, b, c, d in rows.all()]


# ---------------------------------------------------------------------------------------
# Drafts and confirmation
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    text_html: str
    attachments: list[dict[str, Any]]
    audience: Audience
    requires_read: bool
    paid_broadcast: bool = False


async def save_draft(
    session: AsyncSession, *, notice_id: int | None, author_telegram_id: int,
    scope_org_id: int | None, draft: Draft,
) -> Notice:
    """Create the draft, or update the author's own draft that is still a draft."""
    notice = None
    if notice_id is not None:
        notice = await session.get(Notice, notice_id)
        if notice is not None and (
            notice.author_telegram_id != author_telegram_id or notice.state is not NoticeState.DRAFT
        ):
            notice = None
    if notice is None:
        notice = Notice(author_telegram_id=author_telegram_id, state=NoticeState.DRAFT,
                        progress_stale=False)
        session.add(notice)
    notice.party_organization_id = scope_org_id
    notice.text_html = draft.text_html
    notice.attachments = list(draft.attachments)
    notice.audience = draft.audience.to_json()
    notice.requires_read = draft.requires_read
    notice.paid_broadcast = draft.paid_broadcast
    await session.flush()
    return notice


class ConfirmOutcome(enum.StrEnum):
    CONFIRMED = "confirmed"
    ALREADY = "already"  # confirmed before (a second press): nothing more is sent
    NOBODY = "nobody"  # the audience reaches nobody now


@dataclass(frozen=True)
class Confirmed:
    outcome: ConfirmOutcome
    recipients: int = 0
    state: NoticeState | None = None


async def confirm(
    session: AsyncSession, notice: Notice, *, actor_telegram_id: int, now: datetime,
    scheduled_at: datetime | None, markup_for: Callable[[Recipient], dict[str, Any] | None],
    exclude_person: int | None = None,
) -> Confirmed:
    """Draft -> scheduled/sending in one UPDATE, then one outbox row per distinct person."""
    audience = Audience.from_json(notice.audience)
    scope = await scope_orgs(session, notice.party_organization_id)
    people = await recipients(session, audience, scope, exclude_person)
    if not people:
        return Confirmed(ConfirmOutcome.NOBODY)
    state = NoticeState.SCHEDULED if scheduled_at is not None else NoticeState.SENDING
    # Split once for everyone: the courier sends these parts to each recipient.
    parts = [step.to_json() for step in await plan_messages(notice.text_html, notice.attachments)]
    moved = await session.execute(
        update(Notice)
        .where(Notice.id == notice.id, Notice.state == NoticeState.DRAFT)
        .values(state=state, scheduled_at=scheduled_at or now, confirmed_at=now,
                progress_stale=True, parts=parts)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        return Confirmed(ConfirmOutcome.ALREADY, state=notice.state)
    due = scheduled_at or now
    await session.execute(
        insert(NoticeRecipient),
        [
            {"notice_id": notice.id, "person_id": p.person_id, "chat_id": p.telegram_id,
             "party_organization_id": p.org_id}
            for p in people
        ],
    )
    media = notice.attachments or None
    # The copies carry no text of their own: the courier sends the notice's stored parts
    # (10,000 copies of a long notice would otherwise write the text 10,000 times).
    await outbox.enqueue(session, [
        outbox.Planned(
            key=key_of(notice.id, p.person_id), kind=KIND, subject=subject_of(notice.id),
            chat_id=p.telegram_id, text="", due_at=due,
            reply_markup=markup_for(p), media=media, paid_broadcast=notice.paid_broadcast,
        )
        for p in people
    ])
    audit.record(
        session, actor_telegram_id, "notice.schedule" if scheduled_at else "notice.send",
        "notice", notice.id,
        before={"state": NoticeState.DRAFT.value},
        after={"state": state.value, "recipients": len(people), "audience": notice.audience,
               "scheduled_at": due.isoformat(), "requires_read": notice.requires_read,
               "paid_broadcast": notice.paid_broadcast},
    )
    return Confirmed(ConfirmOutcome.CONFIRMED, len(people), state)


async def discard_draft(session: AsyncSession, notice_id: int, author_telegram_id: int) -> bool:
    """Delete a draft nobody was sent (cancel in the preview)."""
    notice = await session.get(Notice, notice_id)
    if notice is None or notice.state is not NoticeState.DRAFT or (
        notice.author_telegram_id != author_telegram_id
    ):
        return False
    await session.delete(notice)
    return True


async def set_progress_message(
    session: AsyncSession, notice_id: int, chat_id: int, message_id: int, shown: str,
    now: datetime,
) -> None:
    await session.execute(
        update(Notice).where(Notice.id == notice_id).values(
            progress_chat_id=chat_id, progress_message_id=message_id, progress_shown=shown,
            progress_at=now,
        )
    )


# ---------------------------------------------------------------------------------------
# Counts (authors' progress, the dashboard)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    recipients: int = 0
    queued: int = 0  # pending or in flight
    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    read: int = 0

    def shown(self) -> str:
        """A short fingerprint: the progress message is edited only when it changes."""
        return f"{self.recipients}/{self.queued}/{self.sent}/{self.failed}/{self.read}"


async def counts(session: AsyncSession, notice_ids: Collection[int]) -> dict[int, Counts]:
    """Per notice: recipients, copies queued/sent/failed/cancelled, and reads, in SQL."""
    ids = sorted(set(notice_ids))
    if not ids:
        return {}
    subjects = {subject_of(i): i for i in ids}
    by_state = await session.execute(
        select(OutboxMessage.subject, OutboxMessage.state, func.count())
        .where(OutboxMessage.subject.in_(subjects), OutboxMessage.kind == KIND)
        .group_by(OutboxMessage.subject, OutboxMessage.state)
    )
    states: dict[int, dict[OutboxState, int]] = {i: {} for i in ids}
    for subject, state, n in by_state.all():
        states[subjects[str(subject)]][state] = int(n)
    reads = await session.execute(
        select(NoticeRecipient.notice_id, func.count(), func.count(NoticeRecipient.read_at))
        .where(NoticeRecipient.notice_id.in_(ids))
        .group_by(NoticeRecipient.notice_id)
    )
    people = {int(i): (int(n), int(r)) for i, n, r in reads.all()}
    result = {}
    for i in ids:
        s = states[i]
        total, read = people.get(i, (0, 0))
        result[i] = Counts(
            recipients=total,
            queued=s.get(OutboxState.PENDING, 0) + s.get(OutboxState.SENDING, 0),
            sent=s.get(OutboxState.SENT, 0), failed=s.get(OutboxState.FAILED, 0),
            cancelled=s.get(OutboxState.CANCELLED, 0), read=read,
        )
    return result


@dataclass(frozen=True)
class NoticeRow:
    """A notice with its counts, for lists (authors, the dashboard)."""

    notice: Notice
    org_name: str | None
    counts: Counts = field(default_factory=Counts)


async def list_in_subtree(
    session: AsyncSession, org_ids: Collection[int] | None, *, limit: int = 50,
    include_drafts: bool = False,
) -> list[NoticeRow]:
    """Notices whose scope lies in `org_ids` (None: all, admins' notices included),
    newest first, with recipients, sent, failed and read counts."""
    statement = (
        select(Notice, PartyOrganization.name)
        .outerjoin(PartyOrganization, PartyOrganization.id == Notice.party_organization_id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(limit)
    )
    if org_ids is not None:
        statement = statement.where(Notice.party_organization_id.in_(list(org_ids)))
    if not include_drafts:
        statement = statement.where(Notice.state != NoticeState.DRAFT)
    rows = (await session.execute(statement)).all()
    figures = await counts(session, [n.id for n, _ in rows])
    return [NoticeRow(n, name, figures.get(n.id, Counts())) for n, name in rows]


async def list_by_author(
    session: AsyncSession, author_telegram_id: int, *, limit: int = 10
) -> list[NoticeRow]:
    rows = (await session.execute(
        select(Notice, PartyOrganization.name)
        .outerjoin(PartyOrganization, PartyOrganization.id == Notice.party_organization_id)
        .where(Notice.author_telegram_id == author_telegram_id,
               Notice.state != NoticeState.DRAFT)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(limit)
    )).all()
    figures = await counts(session, [n.id for n, _ in rows])
    return [NoticeRow(n, name, figures.get(n.id, Counts())) for n, name in rows]


# ---------------------------------------------------------------------------------------
# Recipients: their notices, read receipts, reminders, non-readers
# ---------------------------------------------------------------------------------------


def _row_key() -> Any:
    return (
        literal("notice:") + cast(NoticeRecipient.notice_id, String) + literal(":")
        + cast(NoticeRecipient.person_id, String)
    )


@dataclass(frozen=True)
class Received:
    notice: Notice
    read_at: datetime | None
    delivered_at: datetime | None


async def received_by(session: AsyncSession, person_id: int, *, limit: int = 10
                      ) -> list[Received]:
    """Notices that reached (or are reaching) a person, newest first."""
    rows = await session.execute(
        select(Notice, NoticeRecipient.read_at, OutboxMessage.sent_at)
        .join(NoticeRecipient, NoticeRecipient.notice_id == Notice.id)
        .join(OutboxMessage, OutboxMessage.key == _row_key())
        .where(NoticeRecipient.person_id == person_id,
               OutboxMessage.state.in_((OutboxState.SENT, OutboxState.SENDING)))
        .order_by(Notice.id.desc())
        .limit(limit)
    )
    return [Received(n, r, s) for n, r, s in rows.all()]


async def recipient(session: AsyncSession, notice_id: int, person_id: int
                    ) -> NoticeRecipient | None:
    return await session.get(NoticeRecipient, (notice_id, person_id))


async def was_delivered(session: AsyncSession, notice_id: int, person_id: int) -> bool:
    state = await session.scalar(
        select(OutboxMessage.state).where(OutboxMessage.key == key_of(notice_id, person_id))
    )
    return state in (OutboxState.SENT, OutboxState.SENDING)


class ReadOutcome(enum.StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"
    NOT_RECIPIENT = "not_recipient"
    WITHDRAWN = "withdrawn"


async def record_read(session: AsyncSession, notice_id: int, person_id: int | None,
                      now: datetime) -> ReadOutcome:
    """The person pressed 已阅: read_at is set once; only a recipient's press counts."""
    state = await session.scalar(select(Notice.state).where(Notice.id == notice_id))
    if state is None or person_id is None:
        return ReadOutcome.NOT_RECIPIENT
    row = await recipient(session, notice_id, person_id)
    if row is None:
        return ReadOutcome.NOT_RECIPIENT
    if state is NoticeState.WITHDRAWN:
        return ReadOutcome.WITHDRAWN
    marked = await session.execute(
        update(NoticeRecipient)
        .where(NoticeRecipient.notice_id == notice_id, NoticeRecipient.person_id == person_id,
               NoticeRecipient.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(marked, "rowcount", 0) != 1:
        return ReadOutcome.ALREADY
    await session.execute(
        update(Notice).where(Notice.id == notice_id).values(progress_stale=True)
    )
    return ReadOutcome.RECORDED


@dataclass(frozen=True)
class NonReader:
    person_id: int
    telegram_id: int
    name: str | None
    org_name: str | None
    delivery: OutboxState | None


async def non_readers(session: AsyncSession, notice_id: int, *, limit: int = 200
                      ) -> list[NonReader]:
    """Recipients who have not pressed 已阅, with what became of their copy."""
    rows = await session.execute(
        select(Person.id, Person.telegram_id, Person.real_name, PartyOrganization.name,
               OutboxMessage.state)
        .join(NoticeRecipient, NoticeRecipient.person_id == Person.id)
        .outerjoin(PartyOrganization,
                   PartyOrganization.id == NoticeRecipient.party_organization_id)
        .outerjoin(OutboxMessage, OutboxMessage.key == _row_key())
        .where(NoticeRecipient.notice_id == notice_id, NoticeRecipient.read_at.is_(None))
        .order_by(PartyOrganization.name, Person.real_name, Person.id)
        .limit(limit)
    )
    return [NonReader(int(a), int(b), c, d, e) for a, b, c, d, e in rows.all()]


class RemindOutcome(enum.StrEnum):
    REMINDED = "reminded"
    ALREADY = "already"
    NOT_NEEDED = "not_needed"  # no read confirmation asked, withdrawn, or everyone read


async def remind_non_readers(
    session: AsyncSession, notice: Notice, *, actor_telegram_id: int, now: datetime,
    text_for: Callable[[NonReader], str],
    markup_for: Callable[[NonReader], dict[str, Any] | None],
) -> tuple[RemindOutcome, int]:
    """Once per notice: a reminder to every delivered recipient who has not read it."""
    if not notice.requires_read or notice.state is NoticeState.WITHDRAWN:
        return RemindOutcome.NOT_NEEDED, 0
    if notice.reminded_at is not None:
        return RemindOutcome.ALREADY, 0
    targets = [
        r for r in await non_readers(session, notice.id, limit=1_000_000)
        if r.delivery is OutboxState.SENT
    ]
    if not targets:
        return RemindOutcome.NOT_NEEDED, 0
    moved = await session.execute(
        update(Notice).where(Notice.id == notice.id, Notice.reminded_at.is_(None))
        .values(reminded_at=now).execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        return RemindOutcome.ALREADY, 0
    await outbox.enqueue(session, [
        outbox.Planned(
            key=f"{key_of(notice.id, r.person_id)}:remind", kind=REMIND_KIND,
            subject=subject_of(notice.id), chat_id=r.telegram_id, text=text_for(r), due_at=now,
            reply_markup=markup_for(r),
        )
        for r in targets
    ])
    audit.record(session, actor_telegram_id, "notice.remind", "notice", notice.id,
                 before={"reminded_at": None}, after={"reminded": len(targets)})
    return RemindOutcome.REMINDED, len(targets)


# ---------------------------------------------------------------------------------------
# Withdrawal and progress
# ---------------------------------------------------------------------------------------


async def withdraw(
    session: AsyncSession, notice: Notice, *, actor_telegram_id: int, now: datetime,
    text_for: Callable[[int], str],
) -> tuple[bool, int, int]:
    """Cancel what is not sent, tell who got it; returns (applied, cancelled, told)."""
    before = notice.state
    moved = await session.execute(
        update(Notice)
        .where(Notice.id == notice.id, Notice.state.in_(
            (NoticeState.SCHEDULED, NoticeState.SENDING, NoticeState.SENT)))
        .values(state=NoticeState.WITHDRAWN, withdrawn_at=now, withdrawn_by=actor_telegram_id,
                progress_stale=True)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        return False, 0, 0
    cancelled = await outbox.cancel(session, subject=subject_of(notice.id), reason="withdrawn",
                                    kinds=(KIND, REMIND_KIND))
    got_it = await session.execute(
        select(NoticeRecipient.person_id, NoticeRecipient.chat_id, Person.language)
        .join(Person, Person.id == NoticeRecipient.person_id)
        .join(OutboxMessage, OutboxMessage.key == _row_key())
        .where(NoticeRecipient.notice_id == notice.id,
               OutboxMessage.state.in_((OutboxState.SENT, OutboxState.SENDING)))
    )
    told = [
        outbox.Planned(
            key=f"{key_of(notice.id, person_id)}:withdrawn", kind=WITHDRAWN_KIND,
            subject=subject_of(notice.id), chat_id=int(chat_id), text=text_for(int(person_id)),
            due_at=now, urgent=True,
        )
        for person_id, chat_id, _language in got_it.all()
    ]
    await outbox.enqueue(session, told)
    audit.record(session, actor_telegram_id, "notice.withdraw", "notice", notice.id,
                 before={"state": before.value},
                 after={"state": NoticeState.WITHDRAWN.value, "cancelled": cancelled,
                        "told": len(told)})
    return True, cancelled, len(told)


async def languages_of_recipients(session: AsyncSession, notice_id: int) -> dict[int, str]:
    rows = await session.execute(
        select(NoticeRecipient.person_id, Person.language)
        .join(Person, Person.id == NoticeRecipient.person_id)
        .where(NoticeRecipient.notice_id == notice_id)
    )
    return {int(p): str(lang) for p, lang in rows.all()}


async def advance(session: AsyncSession, now: datetime) -> None:
    """Scheduled notices whose time came are sending; sending ones with nothing queued
    are sent."""
    await session.execute(
        update(Notice)
        .where(Notice.state == NoticeState.SCHEDULED, Notice.scheduled_at <= now)
        .values(state=NoticeState.SENDING, progress_stale=True)
        .execution_options(synchronize_session=False)
    )
    queued = (
        select(OutboxMessage.id)
        .where(OutboxMessage.subject == literal("notice:") + cast(Notice.id, String),
               OutboxMessage.kind == KIND,
               OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING)))
        .exists()
    )
    await session.execute(
        update(Notice)
        .where(Notice.state == NoticeState.SENDING, ~queued)
        .values(state=NoticeState.SENT, sent_at=now, progress_stale=True)
        .execution_options(synchronize_session=False)
    )


async def progress_due(session: AsyncSession, now: datetime, every_seconds: float
                       ) -> list[Notice]:
    """Notices whose progress message may need an edit: open, or changed since shown, and
    not edited in the last `every_seconds`."""
    recent = now - timedelta(seconds=every_seconds)
    rows = await session.scalars(
        select(Notice).where(
            Notice.progress_message_id.is_not(None),
            or_(Notice.state.in_(OPEN_STATES), Notice.progress_stale.is_(True)),
            or_(Notice.progress_at.is_(None), Notice.progress_at <= recent),
        )
    )
    return list(rows.all())


async def mark_shown(session: AsyncSession, notice_id: int, shown: str, now: datetime) -> None:
    await session.execute(
        update(Notice).where(Notice.id == notice_id).values(
            progress_shown=shown, progress_at=now,
            progress_stale=case((Notice.state.in_(OPEN_STATES), True), else_=False),
        )
    )

