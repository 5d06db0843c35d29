"""A branch's group chat (issue 18): a leader makes a one-time code in private, sends it in the
group, and the group is linked to the branch (one group per branch, one branch per group);
unlinked by a leader, or when the bot is removed from the group.

Who may link is the handlers' check (the code's branch must be one the sender leads); here a
code is only found while it is unused and unexpired. Every link and unlink is audited.

A 党小组 may have its own chat too (one per party group), linked the same way with a code made
for it. A branch's chat gets a post of each meeting of the whole branch (from two weeks before
it), a 党小组's chat each meeting of that 党小组, with counts kept current: `meeting_posts` says
what to post or edit, with the counts from SQL.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Subquery, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from rules.vocabulary import AttendanceStatus, MeetingKind, MeetingState
from storage import audit
from storage.models import (
    Attendance,
    BranchChat,
    ChatLinkCode,
    GroupPost,
    Meeting,
    PartyGroup,
)

CODE_BYTES = 6  # 8 url-safe characters: unguessable within its hour, quick to type
CODE_VALID = timedelta(hours=1)


def _same_group(column: InstrumentedAttribute[int | None], group_id: int | None
                ) -> ColumnElement[bool]:
    return column.is_(None) if group_id is None else column == group_id


async def new_code(session: AsyncSession, org_id: int, *, by: int, now: datetime,
                   group_id: int | None = None) -> ChatLinkCode:
    """A fresh code for the branch's chat (or its 党小组's); earlier unused ones for the same
    chat stop working."""
    await session.execute(
        update(ChatLinkCode)
        .where(ChatLinkCode.party_organization_id == org_id, ChatLinkCode.used_at.is_(None),
               _same_group(ChatLinkCode.party_group_id, group_id))
        .values(expires_at=now).execution_options(synchronize_session=False))
    code = ChatLinkCode(code=secrets.token_urlsafe(CODE_BYTES), party_organization_id=org_id,
                        party_group_id=group_id, created_by=by, created_at=now,
                        expires_at=now + CODE_VALID)
    session.add(code)
    await session.flush()
    return code


async def usable_code(session: AsyncSession, code: str, now: datetime) -> ChatLinkCode | None:
    """The code if it exists, is unused and has not expired (locked until the transaction
    ends, so two groups cannot both use it)."""
    found = await session.scalar(
        select(ChatLinkCode).where(ChatLinkCode.code == code).with_for_update())
    if found is None or found.used_at is not None or found.expires_at <= now:
        return None
    return found


async def current_chat(session: AsyncSession, org_id: int, group_id: int | None = None
                       ) -> BranchChat | None:
    """The branch's own chat, or (with group_id) its 党小组's."""
    return await session.scalar(select(BranchChat).where(
        BranchChat.party_organization_id == org_id, BranchChat.unlinked_at.is_(None),
        _same_group(BranchChat.party_group_id, group_id)))


async def party_group_chats(session: AsyncSession, org_id: int) -> dict[int, BranchChat]:
    """The current chats of the branch's 党小组, by party group id."""
    rows = await session.scalars(select(BranchChat).where(
        BranchChat.party_organization_id == org_id, BranchChat.unlinked_at.is_(None),
        BranchChat.party_group_id.is_not(None)))
    return {row.party_group_id: row for row in rows if row.party_group_id is not None}


async def party_group(session: AsyncSession, org_id: int, group_id: int) -> PartyGroup | None:
    """The branch's 党小组 of that id (None if it is another branch's, or gone)."""
    return await session.scalar(select(PartyGroup).where(
        PartyGroup.id == group_id, PartyGroup.party_organization_id == org_id))


def shows(linked_org: int, linked_group: int | None, meeting: Meeting) -> bool:
    """Whether a chat linked to this branch (and 党小组, if any) carries the meeting's post:
    the branch's chat the whole branch's meetings, a 党小组's chat that group's meetings."""
    if linked_org != meeting.party_organization_id:
        return False
    if linked_group is None:
        return meeting.kind in POSTED_KINDS
    return meeting.kind is MeetingKind.GROUP and meeting.party_group_id == linked_group


async def chat_link(session: AsyncSession, chat_id: int) -> BranchChat | None:
    """The current link of a group chat, if it has one."""
    return await session.scalar(select(BranchChat).where(
        BranchChat.chat_id == chat_id, BranchChat.unlinked_at.is_(None)))


async def link(session: AsyncSession, code: ChatLinkCode, *, chat_id: int, title: str,
               language: str, by: int, now: datetime) -> BranchChat:
    """Link the group to the code's branch (or 党小组); the earlier chat of that branch (or
    党小组), and the chat's earlier link, are unlinked. The code is used up."""
    org_id, group_id = code.party_organization_id, code.party_group_id
    same = (BranchChat.party_organization_id == org_id) & _same_group(
        BranchChat.party_group_id, group_id)
    for earlier in (await session.scalars(select(BranchChat).where(
            BranchChat.unlinked_at.is_(None), same | (BranchChat.chat_id == chat_id)))):
        _end(session, earlier, by=by, now=now, why="replaced")
    await session.flush()  # the partial unique indexes see the ends before the new row
    code.used_at = now
    linked = BranchChat(party_organization_id=org_id, party_group_id=group_id, chat_id=chat_id,
                        title=title[:255], language=language, linked_by=by, linked_at=now)
    session.add(linked)
    await session.flush()
    audit.record(session, by, "group.linked", "party_organization", org_id, chat_id=chat_id,
                 party_group_id=group_id)
    return linked


def unlink(session: AsyncSession, linked: BranchChat, *, by: int | None, now: datetime,
           why: str) -> None:
    """End the link (a leader's choice, or the bot left the group)."""
    _end(session, linked, by=by, now=now, why=why)


def _end(session: AsyncSession, linked: BranchChat, *, by: int | None, now: datetime,
         why: str) -> None:
    linked.unlinked_at = now
    audit.record(session, by, "group.unlinked", "party_organization",
                 linked.party_organization_id, chat_id=linked.chat_id,
                 party_group_id=linked.party_group_id, why=why)


# -- meeting posts ---------------------------------------------------------------------------

POST_AHEAD = timedelta(days=14)  # a meeting is posted two weeks ahead, not a year of a series
# Meetings of the whole branch: a committee's or a 党小组's are not the branch group's business.
POSTED_KINDS = frozenset(MeetingKind) - {MeetingKind.COMMITTEE, MeetingKind.GROUP}
LIVE_STATES = (MeetingState.SCHEDULED, MeetingState.CHECKIN_OPEN)
GUESTS = (AttendanceStatus.GUEST, AttendanceStatus.GUEST_PRESENT)
RESEND_AFTER = timedelta(minutes=1)  # a post whose send never came back (a crash) is sent again


@dataclass(frozen=True)
class MeetingPost:
    """A meeting to post in a group, or its post to bring up to date, with its counts."""

    meeting: Meeting
    chat_id: int
    language: str
    post: GroupPost | None
    expected: int  # 应到 (guests are not counted)
    attending: int
    on_leave: int
    present: int


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _counts() -> Subquery:
    count = _count
    return (
        select(Attendance.meeting_id.label("meeting_id"),
               count(Attendance.status.not_in(GUESTS)).label("expected"),
               count(Attendance.status == AttendanceStatus.ATTENDING).label("attending"),
               count(Attendance.status == AttendanceStatus.ON_LEAVE).label("on_leave"),
               count(Attendance.status == AttendanceStatus.PRESENT).label("present"))
        .group_by(Attendance.meeting_id).subquery()
    )


async def meeting_posts(session: AsyncSession, now: datetime) -> list[MeetingPost]:
    """Posts to make (meetings of linked branches and 党小组, soon and not over) and posts not
    yet final in chats still linked, each with its meeting's counts."""
    counts = _counts()
    columns = (Meeting, BranchChat.chat_id, BranchChat.language, GroupPost,
               func.coalesce(counts.c.expected, 0), func.coalesce(counts.c.attending, 0),
               func.coalesce(counts.c.on_leave, 0), func.coalesce(counts.c.present, 0))
    # A branch's chat shows the whole branch's meetings, a 党小组's chat its own (see shows).
    shown = (BranchChat.party_group_id.is_(None) & Meeting.kind.in_(POSTED_KINDS)) | (
        (BranchChat.party_group_id == Meeting.party_group_id)
        & (Meeting.kind == MeetingKind.GROUP))
    linked = (BranchChat.party_organization_id == Meeting.party_organization_id) & (
        BranchChat.unlinked_at.is_(None)) & shown
    posted = (GroupPost.meeting_id == Meeting.id) & (GroupPost.chat_id == BranchChat.chat_id)
    rows = await session.execute(
        select(*columns).join(BranchChat, linked).outerjoin(GroupPost, posted)
        .outerjoin(counts, counts.c.meeting_id == Meeting.id)
        .where((GroupPost.id.is_(None) & Meeting.state.in_(LIVE_STATES)
                 & (Meeting.starts_at <= now + POST_AHEAD) & (Meeting.ends_at > now))
                | (GroupPost.id.is_not(None) & GroupPost.final.is_(False)))
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return [MeetingPost(meeting, chat_id, language, post, int(e), int(a), int(leave), int(p))
            for meeting, chat_id, language, post, e, a, leave, p in rows]


async def claim_post(session: AsyncSession, meeting_id: int, chat_id: int, now: datetime
                     ) -> GroupPost:
    """Record the post before it is sent (IntegrityError: another instance recorded it)."""
    post = GroupPost(meeting_id=meeting_id, chat_id=chat_id, posted_at=now)
    session.add(post)
    await session.flush()
    return post


async def drop_post(session: AsyncSession, post_id: int) -> None:
    """A send Telegram refused: the next run posts it afresh."""
    await session.execute(delete(GroupPost).where(GroupPost.id == post_id))
