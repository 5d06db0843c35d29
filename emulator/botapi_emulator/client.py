"""What tests and the chat page do as people: write, press buttons, share a contact or a
location, send photos and documents, block the bot."""

from __future__ import annotations

from typing import Any, Literal

from .html_entities import command_entities, parse_formatted
from .joins import GroupJoins
from .markup import inline_rows
from .media import image_size
from .public_types import EmuUser, InlineButton
from .state import JSON, Chat, Message, unix_now


class Client(GroupJoins):
    """People acting in their private chats with the bot (groups: see GroupChats and
    GroupJoins)."""

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> EmuUser:
        """Create a person (or update an existing one's names and language)."""
        user = self._users.get(user_id)
        if user is None:
            user = EmuUser(user_id, first_name, last_name, username, language_code)
            self._users[user_id] = user
            self._chats[user_id] = Chat(user_id)
        else:
            user.first_name = first_name
            user.last_name = last_name
            user.username = username
            user.language_code = language_code
        self._bump(self._chats[user_id])
        return user

    def user(self, user_id: int) -> EmuUser:
        """The person with this id (LookupError if unknown)."""
        return self._require_user(user_id)

    @property
    def users(self) -> list[EmuUser]:
        """All people, in the order they were added."""
        return list(self._users.values())

    def _user_message(self, user: EmuUser, kind: str, **values: Any) -> Message:
        chat = self._chats[user.id]
        # Any message from the person means they pressed Start at some point.
        user.started = True
        chat.force_reply = False
        return self._new_message(chat, None, kind, **values)

    def send_text(self, user_id: int, text: str) -> int:
        """The person types ``text``; returns the update_id."""
        user = self._require_user(user_id)
        chat = self._chats[user_id]
        msg = self._user_message(user, "text", text=text, entities=command_entities(text))
        self._hide_one_time_keyboard(chat, lambda button: button.text == text)
        return self._message_update(msg)

    def send_html(self, user_id: int, source: str) -> int:
        """The person types formatted text (bold, links...), given as Telegram HTML."""
        user = self._require_user(user_id)
        text, entities = parse_formatted(source, "HTML", strict_ampersand=True)
        msg = self._user_message(user, "text", text=text, entities=entities)
        return self._message_update(msg)

    def press_button(
        self,
        user_id: int,
        message_id: int,
        button_text_or_data: str,
        *,
        match: Literal["auto", "text", "data"] = "auto",
    ) -> int:
        """Press an inline button that exists on the bot's message; returns the update_id.

        Matches the exact button text first, then callback_data (``match`` narrows this).
        """
        self._require_user(user_id)
        chat = self._chats[user_id]
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted or not msg.from_bot:
            raise LookupError(f"no bot message {message_id} in chat {user_id}")
        buttons = [button for row in inline_rows(msg.markup) for button in row]
        chosen: InlineButton | None = None
        if match in ("auto", "text"):
            chosen = next((b for b in buttons if b.text == button_text_or_data), None)
        if chosen is None and match in ("auto", "data"):
            chosen = next((b for b in buttons if b.callback_data == button_text_or_data), None)
        if chosen is None:
            available = ", ".join(
                f"{b.text!r}" + (f" (data={b.callback_data!r})" if b.callback_data else "")
                for b in buttons
            )
            raise LookupError(
                f"message {message_id} in chat {user_id} has no inline button "
                f"{button_text_or_data!r}; available: [{available}]"
            )
        if chosen.callback_data is None:
            raise LookupError(
                f"button {chosen.text!r} is a {chosen.kind} button, not a callback button"
            )
        return self.send_callback(user_id, message_id, chosen.callback_data)

    def send_callback(self, user_id: int, message_id: int, data: str) -> int:
        """Send arbitrary (possibly forged) callback data for a message, without checks."""
        user = self._require_user(user_id)
        chat = self._chats[user_id]
        query_id = self._new_callback_query(user_id, user_id, message_id)
        msg = chat.messages.get(message_id)
        message: JSON
        if msg is not None and not msg.deleted:
            message = self._message_json(msg)
        else:
            # Telegram sends an InaccessibleMessage (date 0) for messages it can't show.
            message = {"chat": user.chat_api(), "message_id": message_id, "date": 0}
        query: JSON = {
            "id": query_id,
            "from": user.to_api(),
            "message": message,
            "chat_instance": str(user_id * 7919 + self.bot_id),
            "data": data,
        }
        return self._enqueue({"callback_query": query}, chat)

    def share_contact(
        self, user_id: int, phone_number: str, *, contact_user_id: int | None = None
    ) -> int:
        """Share a phone number as a request_contact keyboard button does."""
        user = self._require_user(user_id)
        chat = self._chats[user_id]
        contact: JSON = {
            "phone_number": phone_number,
            "first_name": user.first_name,
            "user_id": contact_user_id if contact_user_id is not None else user_id,
        }
        if user.last_name:
            contact["last_name"] = user.last_name
        msg = self._user_message(
            user, "contact", media={"contact": contact}, phone_number=phone_number
        )
        self._hide_one_time_keyboard(chat, lambda button: button.request_contact)
        return self._message_update(msg)

    def send_location(self, user_id: int, latitude: float, longitude: float) -> int:
        """Share a location."""
        user = self._require_user(user_id)
        chat = self._chats[user_id]
        msg = self._user_message(
            user,
            "location",
            media={"location": {"latitude": latitude, "longitude": longitude}},
            location=(latitude, longitude),
        )
        self._hide_one_time_keyboard(chat, lambda button: button.request_location)
        return self._message_update(msg)

    def send_photo(self, user_id: int, data: bytes, caption: str | None = None) -> int:
        """Send a photo (any bytes; sizes are read with Pillow when it is an image)."""
        user = self._require_user(user_id)
        size = image_size(data) or (0, 0)
        stored = self._store_file(data, "photo", "image/jpeg", None, size)
        msg = self._user_message(
            user,
            "photo",
            text=caption or "",
            media={"photo": [stored.photo_size()]},
            file_id=stored.file_id,
            mime_type=stored.mime_type,
        )
        return self._message_update(msg)

    def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
    ) -> int:
        """Send a file as a document."""
        user = self._require_user(user_id)
        stored = self._store_file(data, "document", mime_type, file_name, None)
        msg = self._user_message(
            user,
            "document",
            text=caption or "",
            media={"document": stored.document()},
            file_id=stored.file_id,
            file_name=file_name,
            mime_type=mime_type,
        )
        return self._message_update(msg)

    def block(self, user_id: int) -> int | None:
        """The person blocks the bot (my_chat_member: kicked); None if already blocked."""
        return self._set_blocked(user_id, True)

    def unblock(self, user_id: int) -> int | None:
        """The person unblocks the bot (my_chat_member: member); None if not blocked."""
        return self._set_blocked(user_id, False)

    def _set_blocked(self, user_id: int, blocked: bool) -> int | None:
        user = self._require_user(user_id)
        if user.blocked == blocked:
            return None
        user.blocked = blocked
        bot_user = self._bot_user()
        member: JSON = {"user": bot_user, "status": "member"}
        kicked: JSON = {"user": bot_user, "status": "kicked", "until_date": 0}
        body: JSON = {
            "chat": user.chat_api(),
            "from": user.to_api(),
            "date": unix_now(),
            "old_chat_member": member if blocked else kicked,
            "new_chat_member": kicked if blocked else member,
        }
        return self._enqueue({"my_chat_member": body}, self._chats[user_id])
