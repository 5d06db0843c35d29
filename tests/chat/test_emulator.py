"""The Bot API emulator, exercised through the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from botapi_emulator import BotApiEmulator, CallbackAnswer, KeyboardButtonSpec
from botapi_emulator.html_entities import EntityParseError, parse_formatted
from PIL import Image
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MenuButtonCommands,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.transport import AiohttpRequest

ALICE = 1001
BOB = 1002


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        emulator.add_user(ALICE, "Alice", language_code="zh-hans")
        emulator.add_user(BOB, "Bob", username="bob", language_code="en")
        yield emulator


@pytest.fixture(params=["httpx", "aiohttp"])
async def bot(emu: BotApiEmulator, request: pytest.FixtureRequest) -> AsyncIterator[Bot]:
    """PTB's own transport and ours (bot/transport.py) must see the same Bot API."""
    transports: dict[str, object] = {}
    if request.param == "aiohttp":
        transports = {
            "request": AiohttpRequest(),
            "get_updates_request": AiohttpRequest(connection_pool_size=1),
        }
    async with Bot(
        emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url, **transports  # type: ignore[arg-type]
    ) as client:
        yield client


async def started(emu: BotApiEmulator, bot: Bot, user_id: int = ALICE) -> None:
    """The person sent /start and the bot consumed it."""
    emu.send_text(user_id, "/start")
    updates = await bot.get_updates()
    await bot.get_updates(offset=updates[-1].update_id + 1)


async def fetch_one(bot: Bot) -> Update:
    updates = await bot.get_updates(timeout=1)
    assert len(updates) == 1, updates
    await bot.get_updates(offset=updates[0].update_id + 1)
    return updates[0]


# --------------------------------------------------------------------------------------
# Basics
# --------------------------------------------------------------------------------------


async def test_get_me(bot: Bot, emu: BotApiEmulator) -> None:
    me = await bot.get_me()
    assert me.username == "branchbot_sandbox_bot"
    assert me.is_bot
    assert me.id == 123456
    assert emu.call_count("getme") >= 1
    assert emu.call_counts()["getMe"] == emu.call_count("GETME")


async def test_start_is_delivered_with_command_entity(emu: BotApiEmulator, bot: Bot) -> None:
    update_id = emu.send_text(ALICE, "/start invite42")
    assert emu.pending_updates() == 1
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [update_id]
    message = updates[0].message
    assert message is not None and message.text == "/start invite42"
    assert message.entities[0].type == MessageEntity.BOT_COMMAND
    assert message.entities[0].offset == 0 and message.entities[0].length == 6
    assert message.chat.type == "private" and message.from_user is not None
    assert message.from_user.language_code == "zh-hans"
    assert emu.pending_updates() == 0
    await emu.wait_delivered(timeout=0.1)
    # Not confirmed yet: Telegram hands the update out again until the offset moves past it.
    assert [u.update_id for u in await bot.get_updates()] == [update_id]
    assert await bot.get_updates(offset=update_id + 1) == ()


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    emu: BotApiEmulator, bot: Bot
) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        emu.send_text(ALICE, "hello")

    task = asyncio.create_task(later())
    began = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    await task
    assert time.monotonic() - began < 1.0
    assert updates[0].message is not None and updates[0].message.text == "hello"


async def test_second_poller_conflicts_with_the_first(emu: BotApiEmulator, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=3))
    await asyncio.sleep(0.05)
    # A second process polling the same token (PTB's own client has a one-slot poll pool).
    async with aiohttp.ClientSession() as session:
        url = f"{emu.base_url}{emu.token}/getUpdates"
        async with session.post(url, data={"timeout": "0"}) as response:
            assert (await response.json()) == {"ok": True, "result": []}
    with pytest.raises(TelegramError, match="terminated by other getUpdates request"):
        await first


async def test_wrong_token_and_unknown_method(emu: BotApiEmulator) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{emu.base_url}0:WRONG/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with session.get(f"{emu.base_url}{emu.token}/fooBar") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found"
        # Method names are case-insensitive and the query string works too.
        async with session.get(f"{emu.base_url}{emu.token}/GETME?x=1") as response:
            assert (await response.json())["result"]["username"] == emu.bot_username


async def test_json_body_is_accepted(emu: BotApiEmulator) -> None:
    emu.send_text(ALICE, "/start")
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    async with aiohttp.ClientSession() as session:
        url = f"{emu.base_url}{emu.token}/sendMessage"
        payload = {"chat_id": ALICE, "text": "<b>hi</b>", "parse_mode": "HTML"}
        async with session.post(url, json={**payload, "reply_markup": markup}) as response:
            body = await response.json()
    assert body["ok"] is True
    assert body["result"]["text"] == "hi"
    assert body["result"]["reply_markup"] == markup


# --------------------------------------------------------------------------------------
# Sending and formatting
# --------------------------------------------------------------------------------------


async def test_html_becomes_plain_text_and_entities(emu: BotApiEmulator, bot: Bot) -> None:
    await started(emu, bot)
    html = '<b>加入</b> <a href="https://example.com">link</a> &amp; <code>x&lt;1</code> 😀<i>é</i>'
    message = await bot.send_message(ALICE, html, parse_mode=ParseMode.HTML)
    assert message.text == "加入 link & x<1 😀é"
    kinds = [(e.type, e.offset, e.length) for e in message.entities]
    assert kinds == [("bold", 0, 2), ("text_link", 3, 4), ("code", 10, 3), ("italic", 16, 1)]
    assert message.entities[1].url == "https://example.com"
    assert message.from_user is not None and message.from_user.is_bot
    entry = emu.last_bot_message(ALICE)
    assert entry is not None and entry.html == html and entry.text == message.text
    assert entry.message_id == message.message_id == 2


@pytest.mark.parametrize(
    ("text", "parse_mode", "error"),
    [
        ("", None, "Message text is empty"),
        ("<b></b>  ", ParseMode.HTML, "Message text is empty"),
        ("x" * 4097, None, "Message is too long"),
        ("<b>" + "x" * 4096 + "</b>", ParseMode.HTML, None),
        ("😀" * 2049, None, "Message is too long"),
        ("a <foo>b</foo>", ParseMode.HTML, 'Unsupported start tag "foo" at byte offset 2'),
        ("<b>x</i>", ParseMode.HTML, "Unmatched end tag at byte offset 4"),
        ("<b>x", ParseMode.HTML, "Can't find end tag corresponding to start tag"),
        ("1 < 2", ParseMode.HTML, 'Unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", ParseMode.HTML, 'Unescaped "&"'),
        ("Done.", ParseMode.MARKDOWN_V2, "Character '.' is reserved"),
        ("*bold", ParseMode.MARKDOWN_V2, "Can't find end of Bold entity"),
        ("hi", "XML", "Unsupported parse_mode"),
    ],
)
async def test_text_strictness(
    emu: BotApiEmulator, bot: Bot, text: str, parse_mode: str | None, error: str | None
) -> None:
    await started(emu, bot)
    if error is None:
        await bot.send_message(ALICE, text, parse_mode=parse_mode)
        return
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(ALICE, text, parse_mode=parse_mode)
    # PTB capitalizes the description after stripping "Bad Request: ", lowering the rest.
    assert error.lower() in caught.value.message.lower()


async def test_markdown_v2_is_parsed(emu: BotApiEmulator, bot: Bot) -> None:
    await started(emu, bot)
    message = await bot.send_message(
        ALICE, r"*bold* _it_ `co\`de` done\.", parse_mode=ParseMode.MARKDOWN_V2
    )
    assert message.text == "bold it co`de done."
    assert [e.type for e in message.entities] == ["bold", "italic", "code"]


async def test_caption_limit(emu: BotApiEmulator, bot: Bot) -> None:
    await started(emu, bot)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(ALICE, png_bytes(), caption="c" * 1025)


@pytest.mark.parametrize(
    ("button", "error"),
    [
        (InlineKeyboardButton("x", callback_data="d" * 65), "Button_data_invalid"),
        (InlineKeyboardButton("x", callback_data="数" * 22), "Button_data_invalid"),
        (InlineKeyboardButton("x", url="ftp://example.com"), "Button_url_invalid"),
        (InlineKeyboardButton("x", url="javascript:alert(1)"), "Button_url_invalid"),
    ],
)
async def test_inline_keyboard_strictness(
    emu: BotApiEmulator, bot: Bot, button: InlineKeyboardButton, error: str
) -> None:
    await started(emu, bot)
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(ALICE, "pick", reply_markup=InlineKeyboardMarkup([[button]]))
    assert caught.value.message == error


async def test_inline_button_needs_an_action(emu: BotApiEmulator) -> None:
    emu.send_text(ALICE, "/start")
    async with aiohttp.ClientSession() as session:
        markup = '{"inline_keyboard": [[{"text": "plain"}]]}'
        url = f"{emu.base_url}{emu.token}/sendMessage"
        async with session.post(
            url, data={"chat_id": str(ALICE), "text": "x", "reply_markup": markup}
        ) as response:
            body = await response.json()
    assert response.status == 400
    assert "Text buttons are unallowed in the inline keyboard" in body["description"]


async def test_callback_data_of_64_bytes_is_fine(emu: BotApiEmulator, bot: Bot) -> None:
    await started(emu, bot)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 64)]])
    message = await bot.send_message(ALICE, "pick", reply_markup=markup)
    assert message.reply_markup == markup


async def test_who_can_be_written_to(emu: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(BOB, "hi")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hi")
    await started(emu, bot, BOB)
    emu.block(BOB)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(BOB, "hi")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_chat_action(BOB, "typing")
    emu.unblock(BOB)
    assert (await bot.send_message(BOB, "welcome back")).text == "welcome back"


async def test_block_produces_my_chat_member_updates(emu: BotApiEmulator, bot: Bot) -> None:
    await started(emu, bot)
    emu.block(ALICE)
    assert emu.block(ALICE) is None
    update = await fetch_one(bot)
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == ChatMemberStatus.BANNED
    assert update.my_chat_member.old_chat_member.status == ChatMemberStatus.MEMBER
    emu.unblock(ALICE)
    update = await fetch_one(bot)
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == ChatMemberStatus.MEMBER


async def test_flood_control(
    emu: BotApiEmulator, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter.retry_after as a timedelta
    await started(emu, bot)
    emu.set_rates(global_=2)
    await bot.send_message(ALICE, "1")
    await bot.send_message(ALICE, "2")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE, "3")
    assert caught.value.retry_after == timedelta(seconds=1)
    emu.set_rates(global_=None, per_chat=1)
    await bot.send_message(ALICE, "4")
    with pytest.raises(RetryAfter):
        await bot.send_message(ALICE, "5")
    emu.set_rates(per_chat=None)
    await bot.send_message(ALICE, "6")


async def test_injected_failures(
    emu: BotApiEmulator, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    await started(emu, bot)
    emu.inject_failure("sendMessage", times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(ALICE, "x")
    emu.inject_failure("sendmessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE, "x")
    assert caught.value.retry_after == timedelta(seconds=7)
    emu.inject_failure("sendMessage", status=502, description="Bad Gateway")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(ALICE, "x")
    assert (await bot.send_message(ALICE, "finally")).text == "finally"
    assert emu.call_count("sendMessage") == 5
    assert [c.params["text"] for c in emu.api_calls if c.method == "sendMessage"][-1] == "finally"


# --------------------------------------------------------------------------------------
# Buttons, edits, deletes
# --------------------------------------------------------------------------------------


async def test_press_button_and_answer_once(emu: BotApiEmulator, bot: Bot) -> None:
    await started(emu, bot)
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("同意 Yes", callback_data="vote:yes")],
            [InlineKeyboardButton("Docs", url="https://example.com/docs")],
        ]
    )
    sent = await bot.send_message(ALICE, "Vote?", reply_markup=markup)
    entry = emu.last_bot_message(ALICE)
    assert entry is not None
    assert [b.text for b in entry.buttons] == ["同意 Yes", "Docs"]
    assert entry.inline_keyboard[1][0].url == "https://example.com/docs"

    emu.press_button(ALICE, sent.message_id, "同意 Yes")
    query = (await fetch_one(bot)).callback_query
    assert query is not None and query.data == "vote:yes"
    assert query.message is not None and query.message.message_id == sent.message_id
    assert query.from_user.id == ALICE
    assert await query.answer("Thanks!", show_alert=True)
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer("again")
    assert emu.callback_answers(ALICE) == [CallbackAnswer("Thanks!", True)]

    emu.press_button(ALICE, sent.message_id, "vote:yes")  # by callback_data
    assert (await fetch_one(bot)).callback_query is not None
    with pytest.raises(LookupError, match=r"available: \['同意 Yes' \(data='vote:yes'\)"):
        emu.press_button(ALICE, sent.message_id, "No")
    with pytest.raises(LookupError, match="not a callback button"):
        emu.press_button(ALICE, sent.message_id, "Docs")


async def test_callback_answer_too_late_or_too_long(emu: BotApiEmulator, bot: Bot) -> None:
    await started(emu, bot)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(ALICE, "Go?", reply_markup=markup)
    emu.send_callback(ALICE, sent.message_id, "forged:admin")
    query = (await fetch_one(bot)).callback_query
    assert query is not None and query.data == "forged:admin"
    with pytest.raises(BadRequest, match="Message_too_long"):
        await query.answer("x" * 201)
    emu.callback_query_timeout = 0.0
    with pytest.raises(BadRequest, match="Query is too old"):
        await query.answer("late")


async def test_edits_and_deletes(emu: BotApiEmulator, bot: Bot) -> None:
    await started(emu, bot)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(ALICE, "v1", reply_markup=markup)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("v1", ALICE, sent.message_id, reply_markup=markup)
    edited = await bot.edit_message_text("<i>v2</i>", ALICE, sent.message_id, parse_mode="HTML")
    assert not isinstance(edited, bool)
    assert edited.text == "v2" and edited.edit_date is not None
    entry = emu.last_bot_message(ALICE)
    assert entry is not None and entry.edited and entry.inline_keyboard == []
    await bot.edit_message_reply_markup(ALICE, sent.message_id, reply_markup=markup)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(ALICE, sent.message_id, reply_markup=markup)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", ALICE, 999)
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", ALICE, 1)  # the person's /start
    assert await bot.delete_message(ALICE, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(ALICE, sent.message_id)
    assert emu.messages(ALICE)[-1].deleted
    assert emu.last_bot_message(ALICE) is None


async def test_caption_edit(emu: BotApiEmulator, bot: Bot) -> None:
    await started(emu, bot)
    sent = await bot.send_photo(ALICE, png_bytes(), caption="old")
    edited = await bot.edit_message_caption(
        ALICE, sent.message_id, caption="<b>new</b>", parse_mode="HTML"
    )
    assert not isinstance(edited, bool)
    assert edited.caption == "new" and edited.caption_entities[0].type == "bold"
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await bot.edit_message_text("x", ALICE, sent.message_id)


# --------------------------------------------------------------------------------------
# Keyboards and what people send
# --------------------------------------------------------------------------------------


async def test_reply_keyboards(emu: BotApiEmulator, bot: Bot) -> None:
    await started(emu, bot)
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("Share phone", request_contact=True)], ["Cancel"]],
        one_time_keyboard=True,
        resize_keyboard=True,
    )
    sent = await bot.send_message(ALICE, "Phone?", reply_markup=keyboard)
    assert sent.reply_markup is None  # Telegram returns only inline keyboards on messages
    assert emu.reply_keyboard(ALICE) == [
        [KeyboardButtonSpec("Share phone", request_contact=True)],
        [KeyboardButtonSpec("Cancel")],
    ]
    emu.share_contact(ALICE, "+8613800001001")
    update = await fetch_one(bot)
    assert update.message is not None and update.message.contact is not None
    assert update.message.contact.user_id == ALICE
    assert update.message.contact.phone_number == "+8613800001001"
    assert emu.reply_keyboard(ALICE) is None  # one-time keyboards hide after use

    await bot.send_message(ALICE, "Again", reply_markup=keyboard)
    emu.send_text(ALICE, "hello")  # not a button: keyboard stays
    assert emu.reply_keyboard(ALICE) is not None
    await bot.send_message(ALICE, "Bye", reply_markup=ReplyKeyboardRemove())
    assert emu.reply_keyboard(ALICE) is None
    await bot.send_message(ALICE, "Name?", reply_markup=ForceReply())


async def test_people_send_media_and_locations(emu: BotApiEmulator, bot: Bot) -> None:
    photo = png_bytes(8, 6)
    emu.send_photo(ALICE, photo, caption="me")
    emu.send_document(ALICE, b"%PDF-1.4", "form.pdf", "application/pdf")
    emu.send_location(ALICE, 31.23, 121.47)
    updates = await bot.get_updates()
    messages = [u.message for u in updates]
    assert all(m is not None for m in messages)
    first, second, third = messages
    assert first is not None and first.photo[-1].width == 8 and first.caption == "me"
    assert second is not None and second.document is not None
    assert second.document.file_name == "form.pdf"
    assert third is not None and third.location is not None
    assert third.location.latitude == pytest.approx(31.23)
    file = await first.photo[-1].get_file()
    assert bytes(await file.download_as_bytearray()) == photo
    assert [e.kind for e in emu.messages(ALICE)] == ["photo", "document", "location"]


async def test_bot_uploads_and_downloads(emu: BotApiEmulator, bot: Bot) -> None:
    await started(emu, bot)
    data = png_bytes(5, 7)
    message = await bot.send_photo(ALICE, data, caption="<b>QR</b>", parse_mode="HTML")
    size = message.photo[-1]
    assert (size.width, size.height) == (5, 7)
    assert emu.file_bytes(size.file_id) == data
    file = await bot.get_file(size.file_id)
    assert file.file_path is not None and file.file_path.startswith(emu.base_file_url)
    assert bytes(await file.download_as_bytearray()) == data
    again = await bot.send_photo(ALICE, size.file_id)  # re-send by file_id
    assert again.photo[-1].file_id == size.file_id
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(ALICE, b"not an image")
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(ALICE, "no-such-file-id")

    doc = await bot.send_document(ALICE, b"a,b\n1,2\n", filename="report.csv")
    assert doc.document is not None and doc.document.file_name == "report.csv"
    assert doc.document.mime_type == "text/csv"
    entry = emu.last_bot_message(ALICE)
    assert entry is not None and entry.kind == "document" and entry.file_name == "report.csv"
    assert emu.file_bytes(doc.document.file_id) == b"a,b\n1,2\n"


async def test_misc_methods(emu: BotApiEmulator, bot: Bot) -> None:
    await started(emu, bot)
    assert await bot.send_chat_action(ALICE, "typing")
    assert emu.chat_action(ALICE) == "typing"
    location = await bot.send_location(ALICE, 39.9, 116.4)
    assert location.location is not None
    chat = await bot.get_chat(ALICE)
    assert chat.first_name == "Alice" and chat.type == "private"
    assert await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
    assert isinstance(await bot.get_chat_menu_button(), MenuButtonCommands)
    assert await bot.set_my_description("描述", language_code="zh")
    assert await bot.set_my_short_description("short")
    assert await bot.set_my_name("支部助手", language_code="zh")
    assert (await bot.get_my_name(language_code="zh")).name == "支部助手"
    assert await bot.set_webhook("https://example.com/hook")
    assert (await bot.get_webhook_info()).url == "https://example.com/hook"
    with pytest.raises(TelegramError, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    reply = await bot.send_message(ALICE, "re", reply_to_message_id=1)
    assert reply.reply_to_message is not None and reply.reply_to_message.text == "/start"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(ALICE, "re", reply_to_message_id=999)


# --------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------


async def test_command_scopes_resolve_like_telegram(emu: BotApiEmulator, bot: Bot) -> None:
    await started(emu, bot)
    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands(
        [BotCommand("start", "开始"), BotCommand("help", "帮助")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="zh",
    )
    await bot.set_my_commands([BotCommand("admin", "Admin panel")], scope=BotCommandScopeChat(BOB))
    assert [c["command"] for c in emu.commands_for(ALICE)] == ["start", "help"]
    assert [c["description"] for c in emu.commands_for(ALICE, "en")] == ["Start"]
    assert [c["command"] for c in emu.commands_for(BOB)] == ["admin"]
    stored = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="zh")
    assert [c.command for c in stored] == ["start", "help"]
    assert await bot.get_my_commands(language_code="en") == ()
    await bot.delete_my_commands(scope=BotCommandScopeChat(BOB))
    assert [c["command"] for c in emu.commands_for(BOB)] == ["start"]


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (BotCommand("Start", "x"), "Bot_command_invalid"),
        (BotCommand("a" * 33, "x"), "Bot_command_invalid"),
        (BotCommand("ok", ""), "Bot_command_description_invalid"),
        (BotCommand("ok", "d" * 257), "Bot_command_description_invalid"),
    ],
)
async def test_invalid_commands(bot: Bot, command: BotCommand, error: str) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.set_my_commands([command])
    assert caught.value.message == error


# --------------------------------------------------------------------------------------
# Synchronisation helpers
# --------------------------------------------------------------------------------------


async def test_wait_helpers(emu: BotApiEmulator, bot: Bot) -> None:
    await started(emu, bot)

    async def reply_later() -> None:
        await asyncio.sleep(0.02)
        await bot.send_message(ALICE, "pong")

    task = asyncio.create_task(reply_later())
    entry = await emu.wait_for_bot_message(ALICE, after_message_id=1, timeout=2)
    await task
    assert entry.text == "pong" and entry.from_bot
    with pytest.raises(TimeoutError, match="no bot message"):
        await emu.wait_for_bot_message(ALICE, after_message_id=entry.message_id, timeout=0.05)
    emu.send_text(ALICE, "x")
    with pytest.raises(TimeoutError, match="not fetched"):
        await emu.wait_delivered(timeout=0.05)


# --------------------------------------------------------------------------------------
# Control HTTP API and page
# --------------------------------------------------------------------------------------


async def test_control_http_api(emu: BotApiEmulator, bot: Bot) -> None:
    base = emu.page_url.rstrip("/")
    async with aiohttp.ClientSession() as session:
        async with session.get(emu.page_url) as response:
            assert response.status == 200 and "composer-input" in await response.text()
        async with session.post(
            f"{base}/_emu/api/users",
            json={"id": 2001, "first_name": "Carol", "language_code": "en"},
        ) as response:
            assert (await response.json())["id"] == 2001
        async with session.get(f"{base}/_emu/api/users") as response:
            listing = await response.json()
        assert [u["id"] for u in listing["users"]] == [ALICE, BOB, 2001]
        assert listing["bot"]["username"] == emu.bot_username

        async with session.post(f"{base}/_emu/api/users/2001/text", json={"text": "/start"}):
            pass
        update = await fetch_one(bot)
        assert update.message is not None and update.message.text == "/start"

        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
        state_url = f"{base}/_emu/api/chats/2001/messages"
        async with session.get(state_url) as response:
            version = (await response.json())["version"]

        async def send_later() -> None:
            await asyncio.sleep(0.05)
            await bot.send_message(2001, "<b>Hi</b> Carol", parse_mode="HTML", reply_markup=markup)

        task = asyncio.create_task(send_later())
        async with session.get(state_url, params={"since": version, "wait": 5}) as response:
            state = await response.json()
        await task
        last = state["messages"][-1]
        assert last["from_bot"] and last["text"] == "Hi Carol"
        assert last["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
        assert last["inline_keyboard"][0][0]["callback_data"] == "go"
        assert state["version"] > version

        press = {"message_id": last["message_id"], "data": "go", "match": "data"}
        async with session.post(f"{base}/_emu/api/users/2001/press", json=press) as response:
            assert response.status == 200
        query = (await fetch_one(bot)).callback_query
        assert query is not None
        await query.answer("Done")
        async with session.get(state_url) as response:
            assert (await response.json())["callback_answer"]["text"] == "Done"
        bad_press = {"message_id": last["message_id"], "data": "nope"}
        async with session.post(f"{base}/_emu/api/users/2001/press", json=bad_press) as response:
            assert response.status == 404 and "available" in (await response.json())["error"]

        async with session.post(
            f"{base}/_emu/api/users/2001/contact", json={"phone_number": "+86 138 0000 2001"}
        ) as response:
            assert response.status == 200
        form = aiohttp.FormData()
        form.add_field("file", png_bytes(), filename="me.png", content_type="image/png")
        form.add_field("caption", "selfie")
        async with session.post(f"{base}/_emu/api/users/2001/photo", data=form) as response:
            assert response.status == 200
        form = aiohttp.FormData()
        form.add_field("file", b"hello", filename="a.txt", content_type="text/plain")
        async with session.post(f"{base}/_emu/api/users/2001/document", data=form) as response:
            assert response.status == 200
        updates = await bot.get_updates()
        assert updates[0].message is not None and updates[0].message.contact is not None
        assert updates[1].message is not None and updates[1].message.caption == "selfie"
        document = updates[2].message.document if updates[2].message else None
        assert document is not None and document.mime_type == "text/plain"
        async with session.get(f"{base}/_emu/files/{document.file_id}") as response:
            assert await response.read() == b"hello"
            assert response.content_type == "text/plain"

        await bot.set_my_commands([BotCommand("help", "Help")])
        async with session.get(f"{base}/_emu/api/users/2001/commands") as response:
            commands = (await response.json())["commands"]
            assert commands == [{"command": "help", "description": "Help"}]
        async with session.post(f"{base}/_emu/api/users/2001/block") as response:
            assert (await response.json())["blocked"] is True
        assert emu.user(2001).blocked
        async with session.post(f"{base}/_emu/api/users/2001/unblock") as response:
            assert (await response.json())["blocked"] is False
        async with session.post(f"{base}/_emu/api/users/9/text", json={"text": "x"}) as response:
            assert response.status == 404


async def test_make_app_serves_under_a_test_client() -> None:
    from aiohttp.test_utils import TestClient, TestServer

    emu = BotApiEmulator()
    async with TestClient(TestServer(emu.make_app())) as client:
        response = await client.post(f"/bot{emu.token}/getMe")
        assert (await response.json())["result"]["is_bot"] is True


# --------------------------------------------------------------------------------------
# The entity parser on its own
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mode", "plain", "entities"),
    [
        ("<b>a<i>b</i></b>", "HTML", "ab", [("bold", 0, 2), ("italic", 1, 1)]),
        (
            '<pre><code class="language-py">x = 1</code></pre>',
            "HTML",
            "x = 1",
            [("pre", 0, 5)],
        ),
        (
            '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>',
            "HTML",
            "st",
            [("spoiler", 0, 1), ("spoiler", 1, 1)],
        ),
        ("<blockquote expandable>q</blockquote>", "HTML", "q", [("expandable_blockquote", 0, 1)]),
        ("&#128512;&#x41;&quot;", "HTML", '😀A"', []),
        (
            "__u__ ~s~ ||p|| [l](https://e.com)",
            "MarkdownV2",
            "u s p l",
            [("underline", 0, 1), ("strikethrough", 2, 1), ("spoiler", 4, 1), ("text_link", 6, 1)],
        ),
        (
            "*b* _i_ `c` [l](http://x.io)",
            "Markdown",
            "b i c l",
            [("bold", 0, 1), ("italic", 2, 1), ("code", 4, 1), ("text_link", 6, 1)],
        ),
        ("<b>literal</b>", None, "<b>literal</b>", []),
    ],
)
def test_entity_parser(
    text: str, mode: str | None, plain: str, entities: list[tuple[str, int, int]]
) -> None:
    parsed, found = parse_formatted(text, mode)
    assert parsed == plain
    assert [(e["type"], e["offset"], e["length"]) for e in found] == entities


def test_entity_parser_keeps_pre_language() -> None:
    _, found = parse_formatted('<pre><code class="language-py">x</code></pre>', "HTML")
    assert found[0]["language"] == "py"
    with pytest.raises(EntityParseError, match='Tag "span" must have class "tg-spoiler"'):
        parse_formatted("<span>x</span>", "HTML")
    assert parse_formatted("A & B", "HTML", strict_ampersand=False)[0] == "A & B"
