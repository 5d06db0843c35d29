"""Group chats for the Bot API emulator: groups with members, people writing in them, privacy.

Telegram's rules modelled here:

- A group (``type`` "group") or supergroup (``"supergroup"``) has a negative chat id, a title
  and members; the bot is one of them once added (``my_chat_member`` plus a service message).
- Privacy mode, the default for bots (``BotApiEmulator.group_privacy``; a bot that is a group
  admin reads everything): the bot receives only commands meant for it (``/cmd@this_bot``, and
  a bare ``/cmd`` unless another bot was the last one to post in the group), replies to its own
  messages and service messages. ``/cmd@other_bot`` never reaches it in privacy mode.
- Writing in a group does not open the person's private chat with the bot: a bot still gets 403
  "bot can't initiate conversation with a user" there until they press Start.
- A button pressed under a bot's message in a group gives a callback query carrying the group
  message (and the presser in ``from``).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from .bot_profile import BotProfile
from .html_entities import command_entities
from .markup import inline_rows
from .public_types import EmuGroup
from .state import JSON, Chat, Message

__all__ = ["EmuGroup", "GroupChats", "command_target"]

_group_ids = itertools.count(1)


def command_target(text: str, entities: list[JSON]) -> tuple[str, str | None] | None:
    """(command, addressed bot username or None) when the text starts with a command."""
    first = next((e for e in entities if e.get("type") == "bot_command"), None)
    if first is None or first["offset"] != 0:
        return None
    # Offsets count UTF-16 units; a command is ASCII, so they are its characters too.
    command = text[: first["length"]]
    name, _, bot = command[1:].partition("@")
    return name, bot or None


class GroupChats(BotProfile):
    """The control API for groups and the privacy-mode filter (the groups' state is in core)."""

    # ----------------------------------------------------------------------------------
    # Setting groups up
    # ----------------------------------------------------------------------------------

    def add_group(
        self,
        title: str,
        members: list[int],
        *,
        chat_id: int | None = None,
        supergroup: bool = False,
        added_by: int | None = None,
    ) -> EmuGroup:
        """A group of these people with the bot in it; with ``added_by`` the bot is added now
        (the bot gets my_chat_member and a new_chat_members service message)."""
        for user_id in members:
            self._require_user(user_id)
        if chat_id is None:
            number = next(_group_ids)
            chat_id = -(1_000_000_000_000 + number) if supergroup else -(4_000_000 + number)
        if chat_id >= 0 or chat_id in self._chats:
            raise ValueError(f"a group needs a new negative chat id, not {chat_id}")
        group = EmuGroup(chat_id, title, supergroup, list(members), bot_member=added_by is None)
        self._groups[chat_id] = group
        chat = self._new_chat(chat_id)
        if added_by is not None:
            self._add_bot(group, chat, added_by)
        self._bump(chat)
        return group

    def _add_bot(self, group: EmuGroup, chat: Chat, by: int) -> None:
        if by not in group.members:
            raise LookupError(f"user {by} is not in group {group.id}")
        group.bot_member = True
        bot = self._bot_user()
        body: JSON = {
            "chat": group.chat_api(),
            "from": self._users[by].to_api(),
            "date": int(time.time()),
            "old_chat_member": {"user": bot, "status": "left"},
            "new_chat_member": {"user": bot, "status": "member"},
        }
        self._enqueue({"my_chat_member": body}, chat)
        msg = self._new_message(chat, by, "service", media={"new_chat_members": [bot]})
        self._enqueue({"message": self._message_json(msg)}, chat)

    def remove_bot(self, chat_id: int, by: int) -> None:
        """A member of the group removes the bot: it gets my_chat_member (kicked, as Telegram
        reports a removal from a group) and may no longer post there."""
        group = self._member(chat_id, by)
        if not group.bot_member:
            raise LookupError(f"the bot is not in group {chat_id}")
        group.bot_member, group.bot_is_admin = False, False
        group.bot_rights.clear()
        body: JSON = {
            "chat": group.chat_api(),
            "from": self._users[by].to_api(),
            "date": int(time.time()),
            "old_chat_member": {"user": self._bot_user(), "status": "member"},
            "new_chat_member": {"user": self._bot_user(), "status": "kicked", "until_date": 0},
        }
        self._enqueue({"my_chat_member": body}, self._chats[chat_id])

    def group(self, chat_id: int) -> EmuGroup:
        """The group with this id (LookupError if unknown)."""
        group = self._groups.get(chat_id)
        if group is None:
            raise LookupError(f"unknown group {chat_id}; call add_group() first")
        return group

    def join_group(self, chat_id: int, user_id: int) -> int | None:
        """A person joins; the bot sees the service message (None if already a member)."""
        group = self.group(chat_id)
        user = self._require_user(user_id)
        if user_id in group.members:
            return None
        group.members.append(user_id)
        group.join_requests.pop(user_id, None)  # let in otherwise: their request is moot
        chat = self._chats[chat_id]
        msg = self._new_message(chat, user_id, "service",
                                media={"new_chat_members": [user.to_api()]})
        return self._deliver_group_message(group, msg)

    def add_group_bot(self, chat_id: int, bot_id: int, username: str) -> None:
        """Another bot is a member of the group (it can post: see ``other_bot_posts``)."""
        self.group(chat_id).bots[bot_id] = username

    def other_bot_posts(self, chat_id: int, bot_id: int, text: str) -> None:
        """Another bot posts in the group (our bot, in privacy mode, does not see it)."""
        group = self.group(chat_id)
        if bot_id not in group.bots:
            raise LookupError(f"bot {bot_id} is not in group {chat_id}")
        chat = self._chats[chat_id]
        self._new_message(chat, bot_id, "text", text=text)
        self._bump(chat)

    # ----------------------------------------------------------------------------------
    # People acting in groups
    # ----------------------------------------------------------------------------------

    def _member(self, chat_id: int, user_id: int) -> EmuGroup:
        group = self.group(chat_id)
        self._require_user(user_id)
        if user_id not in group.members:
            raise LookupError(f"user {user_id} is not a member of group {chat_id}")
        return group

    def send_group_text(self, chat_id: int, user_id: int, text: str, *,
                        reply_to: int | None = None) -> int | None:
        """The person writes in the group; the update_id, or None if the bot does not get it."""
        group = self._member(chat_id, user_id)
        msg = self._new_message(self._chats[chat_id], user_id, "text", text=text,
                                entities=command_entities(text), reply_to=reply_to)
        return self._deliver_group_message(group, msg)

    def send_group_location(self, chat_id: int, user_id: int, latitude: float,
                            longitude: float, *, reply_to: int | None = None) -> int | None:
        """The person shares a location in the group (delivered as send_group_text is)."""
        group = self._member(chat_id, user_id)
        msg = self._new_message(
            self._chats[chat_id], user_id, "location", reply_to=reply_to,
            media={"location": {"latitude": latitude, "longitude": longitude}},
            location=(latitude, longitude),
        )
        return self._deliver_group_message(group, msg)

    def press_group_button(self, chat_id: int, user_id: int, message_id: int,
                           button_text_or_data: str) -> int:
        """A member presses an inline button of the bot's message in the group."""
        self._member(chat_id, user_id)
        msg = self._chats[chat_id].messages.get(message_id)
        if msg is None or msg.deleted or not msg.from_bot:
            raise LookupError(f"no bot message {message_id} in group {chat_id}")
        buttons = [b for row in inline_rows(msg.markup) for b in row]
        chosen = next((b for b in buttons if button_text_or_data in (b.text, b.callback_data)),
                      None)
        if chosen is None or chosen.callback_data is None:
            raise LookupError(f"message {message_id} has no callback button "
                              f"{button_text_or_data!r}")
        return self.send_group_callback(chat_id, user_id, message_id, chosen.callback_data)

    def send_group_callback(self, chat_id: int, user_id: int, message_id: int,
                            data: str) -> int:
        """Callback data (possibly forged) for a message in the group, without checks."""
        group = self._member(chat_id, user_id)
        chat = self._chats[chat_id]
        query_id = self._new_callback_query(user_id, chat_id, message_id)
        msg = chat.messages.get(message_id)
        message: JSON
        if msg is not None and not msg.deleted:
            message = self._message_json(msg)
        else:
            message = {"chat": group.chat_api(), "message_id": message_id, "date": 0}
        query: JSON = {
            "id": query_id,
            "from": self._users[user_id].to_api(),
            "message": message,
            "chat_instance": str(-chat_id * 7919 + self.bot_id),
            "data": data,
        }
        return self._enqueue({"callback_query": query}, chat)

    # ----------------------------------------------------------------------------------
    # What the bot receives and how group messages look
    # ----------------------------------------------------------------------------------

    def _deliver_group_message(self, group: EmuGroup, msg: Message) -> int | None:
        chat = self._chats[group.id]
        if not self._bot_receives(group, msg):
            self._bump(chat)
            return None
        return self._enqueue({"message": self._message_json(msg)}, chat)

    def _bot_receives(self, group: EmuGroup, msg: Message) -> bool:
        if not group.bot_member:
            return False
        if msg.kind == "service" or not self.group_privacy or group.bot_is_admin:
            return True
        chat = self._chats[group.id]
        replied = chat.messages.get(msg.reply_to) if msg.reply_to is not None else None
        if replied is not None and replied.from_bot:
            return True
        target = command_target(msg.text, msg.entities) if msg.kind == "text" else None
        if target is None:
            return False
        _, addressed = target
        if addressed is not None:
            return addressed.lower() == self.bot_username.lower()
        return self._last_bot_in(group) in (None, self.bot_id)

    def _last_bot_in(self, group: EmuGroup) -> int | None:
        """The bot that posted last in the group (ours or another), None if none did."""
        for msg in reversed(self._chats[group.id].messages.values()):
            if msg.from_bot:
                return self.bot_id
            if msg.sender_id in group.bots:
                return msg.sender_id
        return None

    def group_callback_answers(self, chat_id: int) -> list[Any]:
        """Answers the bot gave to presses under this group's messages, in order."""
        return [answer for _seq, answer in self._chats[chat_id].callback_answers]
