"""Notices a press points at: for their author, those who oversee them, their recipients."""

from __future__ import annotations

from handlers.access import found
from handlers.kit.actions import Act
from handlers.kit.buttons import NoticeId, OrgId
from handlers.kit.chat import STALE_BUTTON
from handlers.kit.i18n import N_
from rules.permissions import Actor
from rules.vocabulary import NoticeState
from storage import notices as store
from storage.models import Notice, NoticeRecipient

NOT_A_LEADER = N_("Notices are sent by secretaries and admins.")
GONE = N_("That notice no longer exists.")


def author_scope(act: Act) -> OrgId | None:
    """The organization the actor addresses: None for an admin (everything), else the
    branch a secretary leads; anyone else is refused."""
    if act.actor.is_admin:
        return None
    if act.actor.leads_a_branch and act.actor.org_id is not None:
        return OrgId(act.actor.org_id)
    act.refuse(NOT_A_LEADER)


def can_oversee(actor: Actor, notice: Notice) -> bool:
    """The author, an admin, or a leader above the notice's organization."""
    if actor.telegram_id == notice.author_telegram_id or actor.is_admin:
        return True
    org = notice.party_organization_id
    return org is not None and org in actor.subordinate_org_ids


async def access_overseen_notice(act: Act, notice_id: NoticeId) -> Notice:
    """A notice the actor wrote or oversees (its progress, readers, withdrawal)."""
    notice = found(act, await act.session.get(Notice, notice_id), GONE)
    act.check(can_oversee(act.actor, notice))
    return notice


async def access_own_notice(act: Act, notice_id: NoticeId) -> Notice:
    """A notice of the actor's, who may still address its organization (to send it)."""
    notice = found(act, await act.session.get(Notice, notice_id), GONE)
    act.check(notice.author_telegram_id == act.actor.telegram_id
              and author_scope(act) == notice.party_organization_id)
    return notice


async def access_own_draft(act: Act, notice_id: NoticeId) -> Notice:
    """A draft of the actor's, nothing sent yet (to throw away); a sent one is stale."""
    notice = found(act, await act.session.get(Notice, notice_id), GONE)
    act.check(notice.author_telegram_id == act.actor.telegram_id)
    if notice.state is not NoticeState.DRAFT:
        act.refuse(STALE_BUTTON)
    return notice


async def access_received_notice(act: Act, notice_id: NoticeId) -> tuple[Notice, NoticeRecipient]:
    """A notice delivered to the actor, with their copy's row."""
    notice = await act.session.get(Notice, notice_id)
    person = act.actor.person_id
    row = (await store.recipient(act.session, notice_id, person)
           if person is not None and notice is not None else None)
    delivered = row is not None and await store.was_delivered(act.session, notice_id, person or 0)
    if notice is None or row is None or not delivered:
        act.refuse()
    return notice, row
