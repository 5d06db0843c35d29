"""Joining a group by an invite link that asks to join (join requests), as Telegram does it.

Telegram's rules modelled here:

- The bot manages invite links only as an administrator with the right to invite users
  (``promote_bot``; the bot gets my_chat_member): otherwise createChatInviteLink is 400 "not
  enough rights to manage chat invite links", and approving or declining is 400
  "CHAT_ADMIN_REQUIRED". A link that creates join requests can have no member limit.
- A person who opens a link with ``creates_join_request`` asks to join (``request_join``): one
  pending request per person and group (asking again while it waits changes nothing). The bot
  gets ``chat_join_request`` (with ``user_chat_id``) only while it is such an administrator.
- While the request waits, for ``join_reply_seconds`` (5 minutes) after it, the bot may write
  to the person's private chat even if they never pressed Start; after that, or once the
  request is approved or declined, 403 "bot can't initiate conversation with a user" again.
- approveChatJoinRequest adds the person (a new_chat_members service message);
  declineChatJoinRequest drops the request. Either without a pending request is 400
  "HIDE_REQUESTER_MISSING"; approving someone already in the group is 400
  "USER_ALREADY_PARTICIPANT".
"""

from __future__ import annotations

import secrets
import time

from .groups import GroupChats
from .params import Handler, Params
from .public_types import EmuGroup, EmuUser, JoinRequest
from .state import JSON, Chat, bad, unix_now

NO_LINK_RIGHTS = "Bad Request: not enough rights to manage chat invite links"
ADMIN_REQUIRED = "Bad Request: CHAT_ADMIN_REQUIRED"
NO_REQUEST = "Bad Request: HIDE_REQUESTER_MISSING"
ALREADY_PARTICIPANT = "Bad Request: USER_ALREADY_PARTICIPANT"
MAX_LINK_NAME = 32
# A group administrator's rights (ChatMemberAdministrator); promote_bot gives the bot some.
ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories", "can_pin_messages",
)


class GroupJoins(GroupChats):
    """Invite links, join requests and the bot's administrator rights in groups."""

    join_reply_seconds = 300.0  # how long after a join request the bot may write to them

    def _method_table(self) -> dict[str, Handler]:
        return {
            **super()._method_table(),
            "createChatInviteLink": self._m_create_chat_invite_link,
            "approveChatJoinRequest": self._m_approve_chat_join_request,
            "declineChatJoinRequest": self._m_decline_chat_join_request,
        }

    # ----------------------------------------------------------------------------------
    # Control: the bot's rights, people asking to join
    # ----------------------------------------------------------------------------------

    def promote_bot(self, chat_id: int, by: int, *, rights: frozenset[str] = frozenset(
            {"can_manage_chat", "can_invite_users", "can_delete_messages"})) -> int:
        """A member makes the bot an administrator with these rights (without
        "can_invite_users" it cannot manage invite links); the bot gets my_chat_member."""
        group = self._member(chat_id, by)
        if not group.bot_member:
            raise LookupError(f"the bot is not in group {chat_id}")
        if unknown := rights - set(ADMIN_RIGHTS):
            raise ValueError(f"unknown administrator rights {sorted(unknown)}")
        old = self._bot_membership(group)
        group.bot_is_admin, group.bot_rights = True, set(rights)
        body: JSON = {
            "chat": group.chat_api(),
            "from": self._users[by].to_api(),
            "date": unix_now(),
            "old_chat_member": old,
            "new_chat_member": self._bot_membership(group),
        }
        return self._enqueue({"my_chat_member": body}, self._chats[chat_id])

    def _bot_membership(self, group: EmuGroup) -> JSON:
        """The bot's ChatMember in the group."""
        if not group.bot_is_admin:
            return {"user": self._bot_user(), "status": "member"}
        return {"user": self._bot_user(), "status": "administrator", "can_be_edited": False,
                "is_anonymous": False,
                **{right: right in group.bot_rights for right in ADMIN_RIGHTS}}

    def request_join(self, chat_id: int, user_id: int, invite_link: str) -> int | None:
        """The person opens the group's invite link that asks to join: the update_id of the
        bot's chat_join_request, or None (already waiting, or the bot may not approve)."""
        group = self.group(chat_id)
        user = self._require_user(user_id)
        link = group.invite_links.get(invite_link)
        if link is None or link["is_revoked"]:
            raise LookupError(f"no usable invite link {invite_link!r} for group {chat_id}")
        if not link["creates_join_request"]:
            raise ValueError("this link lets people in without asking: use join_group()")
        if user_id in group.members:
            raise ValueError(f"user {user_id} is already a member of group {chat_id}")
        if user_id in group.join_requests:
            return None
        group.join_requests[user_id] = JoinRequest(invite_link, time.monotonic())
        chat = self._chats[chat_id]
        if not self._may_invite(group):
            self._bump(chat)
            return None
        request: JSON = {
            "chat": group.chat_api(),
            "from": user.to_api(),
            "user_chat_id": user_id,
            "date": unix_now(),
            "invite_link": self._link_api(group, invite_link),
        }
        return self._enqueue({"chat_join_request": request}, chat)

    def join_requests(self, chat_id: int) -> list[int]:
        """Who is waiting to be let into the group, in the order they asked."""
        return list(self.group(chat_id).join_requests)

    def invite_links(self, chat_id: int) -> list[JSON]:
        """The group's invite links as the Bot API shows them, oldest first."""
        group = self.group(chat_id)
        return [self._link_api(group, link) for link in group.invite_links]

    # ----------------------------------------------------------------------------------
    # Bot API methods
    # ----------------------------------------------------------------------------------

    @staticmethod
    def _may_invite(group: EmuGroup) -> bool:
        return group.bot_member and group.bot_is_admin and "can_invite_users" in group.bot_rights

    def _managed_group(self, p: Params, refusal: str) -> EmuGroup:
        chat, user = self._known_chat(p)
        group = self._groups.get(chat.user_id) if user is None else None
        if group is None or not self._may_invite(group):
            raise bad(refusal)
        return group

    def _link_api(self, group: EmuGroup, invite_link: str) -> JSON:
        link = dict(group.invite_links[invite_link])
        if link["creates_join_request"]:
            link["pending_join_request_count"] = sum(
                1 for r in group.join_requests.values() if r.invite_link == invite_link)
        return link

    async def _m_create_chat_invite_link(self, p: Params) -> JSON:
        group = self._managed_group(p, NO_LINK_RIGHTS)
        name = p.str_opt("name")
        if name is not None and len(name) > MAX_LINK_NAME:
            raise bad("Bad Request: invite link name is too long")
        asks = p.bool_("creates_join_request")
        member_limit = p.int_opt("member_limit")
        if asks and member_limit is not None:
            raise bad("Bad Request: member_limit can't be specified for links requiring "
                      "administrator approval")
        link = f"https://t.me/+{secrets.token_urlsafe(12)}"
        body: JSON = {"invite_link": link, "creator": self._bot_user(),
                      "creates_join_request": asks, "is_primary": False, "is_revoked": False}
        if name:
            body["name"] = name
        if member_limit is not None:
            body["member_limit"] = member_limit
        if (expire := p.int_opt("expire_date")) is not None:
            body["expire_date"] = expire
        group.invite_links[link] = body
        self._bump(self._chats[group.id])
        return self._link_api(group, link)

    def _requester(self, p: Params) -> tuple[EmuGroup, EmuUser]:
        group = self._managed_group(p, ADMIN_REQUIRED)
        user_id = p.int_opt("user_id")
        if user_id is None or user_id <= 0:
            raise bad("Bad Request: Invalid user_id specified")
        user = self._users.get(user_id)
        if user is None:
            raise bad("Bad Request: user not found")
        return group, user

    async def _m_approve_chat_join_request(self, p: Params) -> bool:
        group, user = self._requester(p)
        if user.id in group.members:
            raise bad(ALREADY_PARTICIPANT)
        if group.join_requests.pop(user.id, None) is None:
            raise bad(NO_REQUEST)
        group.members.append(user.id)
        msg = self._new_message(self._chats[group.id], user.id, "service",
                                media={"new_chat_members": [user.to_api()]})
        self._deliver_group_message(group, msg)
        return True

    async def _m_decline_chat_join_request(self, p: Params) -> bool:
        group, user = self._requester(p)
        if group.join_requests.pop(user.id, None) is None:
            raise bad(NO_REQUEST)
        self._bump(self._chats[group.id])
        return True

    # ----------------------------------------------------------------------------------
    # Writing to someone who asked to join
    # ----------------------------------------------------------------------------------

    def _asked_to_join(self, user_id: int) -> bool:
        """A request of theirs waits, made less than join_reply_seconds ago."""
        now = time.monotonic()
        return any(now - request.asked_at < self.join_reply_seconds
                   for group in self._groups.values()
                   if (request := group.join_requests.get(user_id)) is not None)

    def _sendable_chat(self, p: Params) -> tuple[Chat, EmuUser | None]:
        chat, user = self._known_chat(p)
        if user is not None and not user.blocked and not user.started and self._asked_to_join(
                user.id):
            return chat, user
        return super()._sendable_chat(p)
