"""The sandbox Bot API server, driven over real HTTP by the real aiogram and python-telegram-bot clients."""

from __future__ import annotations

import asyncio
import errno
import json
import time

import aiohttp
import pytest
import pytest_asyncio
import telegram
from aiogram import Bot as AioBot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (TelegramBadRequest, TelegramConflictError, TelegramForbiddenError,
                                TelegramNetworkError, TelegramRetryAfter, TelegramServerError)
from aiogram.types import (BotCommand, BotCommandScopeAllPrivateChats, BufferedInputFile, ChatMemberAdministrator,
                           ChatMemberLeft, ChatMemberMember, ChatMemberOwner, InlineKeyboardButton,
                           InlineKeyboardMarkup)

from bot.sandbox import SandboxClient, SandboxError, SandboxServer
from bot.sandbox.media import make_png

pytestmark = pytest.mark.asyncio

TOKEN = "123456:TEST-sandbox_token"
BOT_ID = 123456


@pytest_asyncio.fixture
async def server():
    srv = SandboxServer(limits={"enabled": False}, webhook_backoff=(0.05, 0.2))
    await srv.start()
    yield srv
    await srv.stop()


@pytest_asyncio.fixture
async def sb(server):
    async with SandboxClient(server.base_url, TOKEN) as client:
        yield client


@pytest_asyncio.fixture
async def aio(server):
    bot = AioBot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))
    yield bot
    await bot.session.close()


@pytest_asyncio.fixture
async def ptb(server):
    bot = telegram.Bot(TOKEN, base_url=f"{server.base_url}/bot", base_file_url=f"{server.base_url}/file/bot")
    async with bot:
        yield bot


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d) for t, d in pairs]])


async def raw_call(base_url: str, method: str, **params) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base_url}/bot{TOKEN}/{method}", json=params) as resp:
            return resp.status, await resp.json()


# ---------------------------------------------------------------- both libraries parse every object

async def test_get_me_with_both_libraries(aio, ptb):
    me = await aio.get_me()
    assert (me.id, me.is_bot, me.username) == (BOT_ID, True, f"sandbox{BOT_ID}_bot")
    assert me.can_read_all_group_messages is False and me.supports_inline_queries is False
    ptb_me = await ptb.get_me()
    assert ptb_me.id == BOT_ID and ptb_me.can_join_groups is True


async def test_aiogram_conversation(sb, aio):
    alice = await sb.user("王晓明", language_code="zh-hans")
    await sb.send(alice, "/start ref42")
    [update] = await aio.get_updates(timeout=1)
    message = update.message
    assert message.text == "/start ref42" and message.chat.type == "private"
    assert message.from_user.language_code == "zh-hans" and message.from_user.is_bot is False
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bot_command", 0, 6)]
    assert abs(message.date.timestamp() - time.time()) < 5

    sent = await aio.send_message(alice.id, "<b>Pick</b> one", parse_mode="HTML",
                                  reply_markup=keyboard(("Yes", "vote:yes"), ("No", "vote:no")))
    assert sent.text == "Pick one" and sent.entities[0].type == "bold"
    assert sent.reply_markup.inline_keyboard[0][1].callback_data == "vote:no"

    query_id = await sb.press(alice, sent.message_id, text="No")
    [update] = await aio.get_updates(offset=update.update_id + 1, timeout=1)
    query = update.callback_query
    assert (query.id, query.data, query.message.message_id) == (query_id, "vote:no", sent.message_id)
    assert query.chat_instance and query.from_user.id == alice.id
    await aio.answer_callback_query(query.id, text="Counted", show_alert=True)
    answer = await sb.callback_answer(query_id)
    assert (answer["text"], answer["show_alert"]) == ("Counted", True)

    edited = await aio.edit_message_text("Thanks", chat_id=alice.id, message_id=sent.message_id)
    assert edited.text == "Thanks" and edited.reply_markup is None  # no reply_markup removes the keyboard
    [stored] = [m for m in await sb.messages(alice) if m.from_bot]
    assert (stored.text, stored.edits, stored.buttons) == ("Thanks", 1, [])

    group = await sb.group("Team", members=[alice])
    updates = await aio.get_updates(offset=update.update_id + 1, timeout=1)
    member_update = next(u.my_chat_member for u in updates if u.my_chat_member)
    assert member_update.chat.id == group.id and member_update.chat.type == "group"
    assert (member_update.old_chat_member.status, member_update.new_chat_member.status) == ("left", "member")
    assert any(u.message and u.message.new_chat_members for u in updates)


async def test_ptb_conversation_in_forum(sb, ptb):
    bob = await sb.user("Bob", username="bob")
    forum = await sb.group("Forum", admins=[bob], forum=True, bot="administrator")
    thread = await sb.topic(forum, "Support")
    await sb.send(bob, "/help@" + (await ptb.get_me()).username, chat=forum, thread=thread)
    updates = await ptb.get_updates(timeout=1)
    assert updates[0].my_chat_member.new_chat_member.status == "administrator"
    message = updates[-1].message
    assert message.message_thread_id == thread and message.is_topic_message and message.chat.is_forum
    assert message.reply_to_message.forum_topic_created.name == "Support"  # Telegram's topic quirk
    assert message.entities[0].type == "bot_command"

    sent = await ptb.send_message(forum.id, "Hi", message_thread_id=thread,
                                  reply_markup=telegram.InlineKeyboardMarkup(
                                      [[telegram.InlineKeyboardButton("Close", callback_data="close")]]))
    assert sent.message_thread_id == thread and sent.reply_markup.inline_keyboard[0][0].text == "Close"
    query_id = await sb.press(bob, sent, data="close")
    [update] = await ptb.get_updates(offset=updates[-1].update_id + 1, timeout=1)
    assert update.callback_query.id == query_id and update.callback_query.message.chat.id == forum.id
    assert await ptb.answer_callback_query(query_id, text="Closing")
    edited = await ptb.edit_message_text("Closed", chat_id=forum.id, message_id=sent.message_id)
    assert edited.text == "Closed" and edited.edit_date is not None
    topic = await ptb.create_forum_topic(forum.id, "Bugs")
    assert topic.name == "Bugs" and topic.message_thread_id > thread
    with pytest.raises(telegram.error.BadRequest, match="(?i)message thread not found"):
        await ptb.send_message(forum.id, "x", message_thread_id=9999)


async def test_media_upload_file_id_and_download(sb, aio, ptb):
    carol = await sb.user("Carol")
    await sb.send(carol, "hi")
    png = make_png(1600, 900)
    photo = await aio.send_photo(carol.id, BufferedInputFile(png, "pic.png"), caption="<i>nice</i>",
                                 parse_mode="HTML")
    assert (photo.photo[-1].width, photo.photo[-1].height) == (1280, 720) and len(photo.photo) == 4
    assert photo.caption == "nice" and photo.caption_entities[0].type == "italic"
    again = await ptb.send_photo(carol.id, photo.photo[-1].file_id)
    assert again.photo[-1].file_id == photo.photo[-1].file_id

    file = await aio.get_file(photo.photo[-1].file_id)
    assert (await aio.download_file(file.file_path)).read() == png
    document = await ptb.send_document(carol.id, b"col1,col2\n1,2\n", filename="report.csv")
    assert document.document.file_name == "report.csv" and document.document.mime_type == "text/csv"
    ptb_file = await ptb.get_file(document.document.file_id)
    assert bytes(await ptb_file.download_as_bytearray()) == b"col1,col2\n1,2\n"
    voice = await aio.send_voice(carol.id, BufferedInputFile(b"OggS fake", "v.ogg"), duration=4)
    assert voice.voice.duration == 4 and voice.voice.mime_type == "audio/ogg"

    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await aio.send_photo(carol.id, BufferedInputFile(b"not an image", "x.png"))
    with pytest.raises(telegram.error.BadRequest, match="(?i)can't use file of type Document as Photo"):
        await ptb.send_photo(carol.id, document.document.file_id)

    sent = await sb.send_photo(carol, width=640, height=480, caption="look /here")
    [update] = [u for u in await aio.get_updates() if u.message and u.message.photo]
    assert update.message.photo[-1].width == 640 and update.message.caption_entities[0].type == "bot_command"
    user_file = await aio.get_file(update.message.photo[-1].file_id)
    assert (await aio.download_file(user_file.file_path)).read()[:4] == b"\x89PNG"
    big = await sb.send_document(carol, "movie.mkv", file_size=25 * 1024 * 1024)
    with pytest.raises(telegram.error.BadRequest, match="(?i)file is too big"):
        await ptb.get_file(big.raw["document"]["file_id"])
    assert sent.kind == "photo"


async def test_commands_and_chat_members(sb, aio, ptb):
    await aio.set_my_commands([BotCommand(command="start", description="Begin")],
                              scope=BotCommandScopeAllPrivateChats(), language_code="ru")
    assert [c.command for c in await aio.get_my_commands(scope=BotCommandScopeAllPrivateChats(),
                                                         language_code="ru")] == ["start"]
    assert await ptb.get_my_commands() == ()
    [registered] = await sb.commands()
    assert registered["scope"] == {"type": "all_private_chats"} and registered["language_code"] == "ru"
    with pytest.raises(telegram.error.BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await ptb.set_my_commands([("Bad Command", "x")])

    owner, admin, member, outsider = [await sb.user(n) for n in ("Owner", "Admin", "Member", "Out")]
    group = await sb.group("Club", members=[member], admins=[admin], creator=owner, supergroup=True)
    kinds = [type(await aio.get_chat_member(group.id, u.id)) for u in (owner, admin, member, outsider)]
    assert kinds == [ChatMemberOwner, ChatMemberAdministrator, ChatMemberMember, ChatMemberLeft]
    assert (await ptb.get_chat_member(group.id, BOT_ID)).status == "member"
    admins = await ptb.get_chat_administrators(group.id)
    assert {a.user.id for a in admins} == {owner.id, admin.id}
    chat = await ptb.get_chat(group.id)
    assert chat.type == "supergroup" and chat.title == "Club"


async def test_webhook_delivery_with_secret_retries_and_conflicts(sb, aio, ptb):
    received, statuses = [], [500, 200, 200]
    three_posts = asyncio.Event()  # the first one answered 500, so sent again, then the second

    async def hook(request):
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        if len(received) >= 3:
            three_posts.set()
        return aiohttp.web.Response(status=statuses.pop(0) if statuses else 200)

    app = aiohttp.web.Application()
    app.router.add_post("/hook", hook)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/hook"
    try:
        assert await ptb.set_webhook(url, secret_token="s3cret", max_connections=5)
        dave = await sb.user("Dave")
        await sb.send(dave, "one")
        await sb.send(dave, "two")
        await asyncio.wait_for(three_posts.wait(), 5)
        assert [u["message"]["text"] for _, u in received] == ["one", "one", "two"]  # retried in order
        assert {secret for secret, _ in received} == {"s3cret"}
        info = await aio.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0 and "500" in info.last_error_message
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await aio.get_updates()
        assert await ptb.delete_webhook()
        assert (await ptb.get_webhook_info()).url == ""
    finally:
        await runner.cleanup()


async def test_concurrent_get_updates_conflict(sb, aio, ptb):
    first = asyncio.create_task(aio.get_updates(timeout=5))
    await sb.wait_polling()
    second = asyncio.create_task(ptb.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first
    erin = await sb.user("Erin")
    await sb.send(erin, "late")
    assert [u.message.text for u in await second] == ["late"]


# ---------------------------------------------------------------- validation like Telegram

async def test_html_parsing(sb, aio):
    frank = await sb.user("Frank")
    await sb.send(frank, "/start")
    msg = await aio.send_message(frank.id, "&lt;b&gt; <b>bold</b> 😀 <a href=\"https://x.org/?a=1&amp;b=2\">link</a> "
                                           "<pre><code class=\"language-py\">x = 1</code></pre> &#65;",
                                 parse_mode="HTML")
    assert msg.text == "<b> bold 😀 link x = 1 A"
    entities = [(e.type, e.offset, e.length, e.url or e.language) for e in msg.entities]
    assert entities == [("bold", 4, 4, None), ("text_link", 12, 4, "https://x.org/?a=1&b=2"),
                        ("pre", 17, 5, "py")]  # offsets count the emoji as two UTF-16 units
    for bad_html, error in [("<b>unclosed", "Can't find end tag"), ("<b><i>x</b></i>", "Unmatched end tag"),
                            ("<marquee>x</marquee>", 'Unsupported start tag "marquee"'),
                            ("<span>x</span>", "tg-spoiler")]:
        with pytest.raises(TelegramBadRequest, match="can't parse entities") as info:
            await aio.send_message(frank.id, bad_html, parse_mode="HTML")
        assert error in info.value.message
    spoiler = await aio.send_message(frank.id, '<span class="tg-spoiler">s</span> <tg-spoiler>t</tg-spoiler>',
                                     parse_mode="HTML")
    assert [e.type for e in spoiler.entities] == ["spoiler", "spoiler"]
    with pytest.raises(TelegramBadRequest, match="reserved"):
        await aio.send_message(frank.id, "1.5", parse_mode="MarkdownV2")
    v2 = await aio.send_message(frank.id, r"*bold* _it_ 1\.5", parse_mode="MarkdownV2")
    assert v2.text == "bold it 1.5" and [e.type for e in v2.entities] == ["bold", "italic"]


async def test_length_limits_after_parsing(sb, aio):
    gina = await sb.user("Gina")
    await sb.send(gina, "/start")
    assert len((await aio.send_message(gina.id, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")).text) == 4096
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await aio.send_message(gina.id, "a" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await aio.send_message(gina.id, "<b> </b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await aio.send_photo(gina.id, BufferedInputFile(make_png(10, 10), "p.png"), caption="c" * 1025)


async def test_callback_data_limit(sb, aio):
    hank = await sb.user("Hank")
    await sb.send(hank, "/start")
    await aio.send_message(hank.id, "ok", reply_markup=keyboard(("x", "d" * 64)))
    for data in ("d" * 65, "é" * 33):  # the limit is in UTF-8 bytes
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await aio.send_message(hank.id, "no", reply_markup=keyboard(("x", data)))
    assert len(await sb.messages(hank)) == 2


async def test_errors_like_telegram(sb, aio, ptb):
    ivan, judy = await sb.user("Ivan"), await sb.user("Judy")
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation with a user"):
        await aio.send_message(ivan.id, "hello")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await aio.send_message(424242, "hello")
    await sb.send(ivan, "/start")
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await aio.send_message(ivan.id, "re", reply_to_message_id=999)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await aio.edit_message_text("x", chat_id=ivan.id, message_id=1)  # Ivan's own message
    sent = await aio.send_message(ivan.id, "same", reply_markup=keyboard(("a", "a")))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await aio.edit_message_text("same", chat_id=ivan.id, message_id=sent.message_id,
                                    reply_markup=keyboard(("a", "a")))
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await aio.answer_callback_query("12345")
    with pytest.raises(telegram.error.BadRequest, match="(?i)message to delete not found"):
        await ptb.delete_message(ivan.id, 999)
    status, body = await raw_call(sb.base_url, "noSuchMethod")
    assert (status, body["description"]) == (404, "Not Found")

    seq = await sb.block(ivan)
    updates = await aio.get_updates()
    blocked = [u.my_chat_member for u in updates if u.my_chat_member][-1]
    assert (blocked.old_chat_member.status, blocked.new_chat_member.status) == ("member", "kicked")
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await aio.send_message(ivan.id, "still there?")
    await sb.unblock(ivan)
    await aio.send_message(ivan.id, "welcome back")
    assert seq > 0

    group = await sb.group("Gang", members=[judy], supergroup=True)
    await aio.send_message(group.id, "hi all")
    await sb.remove_bot(group)
    with pytest.raises(TelegramForbiddenError, match="bot was kicked from the supergroup chat"):
        await aio.send_message(group.id, "hello?")
    kicked = [u.my_chat_member for u in await aio.get_updates() if u.my_chat_member][-1]
    assert kicked.new_chat_member.status == "kicked"


async def test_privacy_mode_in_groups(sb, aio):
    kate = await sb.user("Kate")
    group = await sb.group("Chat", members=[kate])
    await aio.get_updates()  # my_chat_member + join service message
    first = await aio.get_updates()
    offset = first[-1].update_id + 1
    await sb.send(kate, "just chatting", chat=group)
    await sb.send(kate, "/stats", chat=group)
    texts = [u.message.text for u in await aio.get_updates(offset=offset)]
    assert texts == ["/stats"]
    await sb.set_bot(privacy=False)
    await sb.send(kate, "now visible", chat=group)
    assert (await aio.get_updates(offset=offset))[-1].message.text == "now visible"


async def test_client_waits_for_bot_replies(sb, aio):
    leo = await sb.user("Leo")

    async def echo_bot():
        offset = None
        while True:
            for update in await aio.get_updates(offset=offset, timeout=2):
                offset = update.update_id + 1
                if update.message:
                    sent = await aio.send_message(update.message.chat.id, "echo: " + update.message.text)
                    await aio.edit_message_text(sent.text + " (edited)", chat_id=sent.chat.id,
                                                message_id=sent.message_id)

    task = asyncio.create_task(echo_bot())
    try:
        await sb.send(leo, "ping")
        assert (await sb.wait_for(leo, "echo: ping")).edits == 0
        assert (await sb.wait_for(leo, lambda m: m.edits == 1)).text == "echo: ping (edited)"
        with pytest.raises(TimeoutError, match="echo: ping"):
            await sb.wait_for(leo, "never said", timeout=0.3)
        await sb.no_reply(leo, within=0.2, thread=12345)
        events = await sb.events(0)
        assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
        assert {"message", "edited"} <= {e["type"] for e in events}
    finally:
        task.cancel()


# ---------------------------------------------------------------- flood limits

async def test_per_chat_limit_with_real_retry_after(sb, aio):
    await sb.limits(enabled=True)
    mia = await sb.user("Mia")
    await sb.send(mia, "/start")
    for i in range(3):  # the burst allowance
        await aio.send_message(mia.id, f"m{i}")
    with pytest.raises(TelegramRetryAfter) as info:
        await aio.send_message(mia.id, "too fast")
    assert info.value.retry_after == 1
    assert [m.text for m in await sb.messages(mia) if m.from_bot] == ["m0", "m1", "m2"]  # not performed
    await asyncio.sleep(info.value.retry_after)
    await aio.send_message(mia.id, "after waiting")
    stats = await sb.stats()
    assert stats["rate_limited"] == 1 and stats["messages_sent"] == 4 and stats["responses"]["429"] == 1


async def test_group_limit_shared_by_topics_and_edits(sb, aio):
    await sb.limits(enabled=True, chat_per_second=100, chat_burst=100)
    ned = await sb.user("Ned")
    forum = await sb.group("Busy", admins=[ned], forum=True)
    topics = [await sb.topic(forum, f"t{i}") for i in range(2)]
    sent = [await aio.send_message(forum.id, f"n{i}", message_thread_id=topics[i % 2]) for i in range(19)]
    await aio.edit_message_text("edited", chat_id=forum.id, message_id=sent[0].message_id)  # the 20th
    status, body = await raw_call(sb.base_url, "sendMessage", chat_id=forum.id, text="21st")
    assert status == 429 and body["description"] == f"Too Many Requests: retry after {body['parameters']['retry_after']}"
    assert 55 <= body["parameters"]["retry_after"] <= 60
    with pytest.raises(TelegramRetryAfter):
        await aio.edit_message_text("again", chat_id=forum.id, message_id=sent[1].message_id)


async def test_global_limit_across_chats(sb, aio):
    await sb.limits(enabled=True)
    people = [await sb.user(f"P{i}") for i in range(31)]
    for person in people:
        await sb.send(person, "/start")
    results = await asyncio.gather(*(aio.send_message(p.id, "news") for p in people), return_exceptions=True)
    limited = [r for r in results if isinstance(r, TelegramRetryAfter)]
    assert len(limited) == 1 and limited[0].retry_after == 1
    await sb.limits(scale=10)
    await asyncio.gather(*(aio.send_message(p.id, "more") for p in people))  # 10x allowance


# ---------------------------------------------------------------- fault injection

async def test_fault_injection_kinds(sb, aio):
    olga = await sb.user("Olga")
    await sb.send(olga, "/start")
    await sb.faults(method="sendMessage", kind="429", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as info:
        await aio.send_message(olga.id, "a")
    assert info.value.retry_after == 7
    await sb.faults({"method": "sendmessage", "kind": "500"}, {"method": "*", "kind": "502"},
                    {"method": "sendMessage", "kind": "403"})
    with pytest.raises(TelegramServerError):
        await aio.send_message(olga.id, "b")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await aio.get_me()
    with pytest.raises(TelegramForbiddenError):
        await aio.send_message(olga.id, "c")
    assert (await aio.send_message(olga.id, "d")).text == "d"  # counts used up

    await sb.faults(method="sendMessage", kind="drop_before")
    with pytest.raises(TelegramNetworkError):
        await aio.send_message(olga.id, "lost before")
    await sb.faults(method="sendMessage", kind="drop_after")
    with pytest.raises(TelegramNetworkError):
        await aio.send_message(olga.id, "lost after")
    texts = [m.text for m in await sb.messages(olga) if m.from_bot]
    assert texts == ["d", "lost after"]  # drop_after performed the action, drop_before did not

    await sb.faults(method="sendMessage", kind="timeout", seconds=0.4)
    started = time.monotonic()
    await aio.send_message(olga.id, "slow")
    assert time.monotonic() - started >= 0.4
    await sb.faults(method="sendMessage", kind="timeout", then="never")
    with pytest.raises(TelegramNetworkError):
        await aio.send_message(olga.id, "never", request_timeout=1)

    fired = await sb.fired_faults()
    assert [f["kind"] for f in fired] == ["429", "500", "502", "403", "drop_before", "drop_after", "timeout",
                                          "timeout"]
    assert (await sb.stats())["faults_fired"] == 8


async def _raw_post(base_url: str, method: str, timeout: float | None = None, **params) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async with session.post(f"{base_url}/bot{TOKEN}/{method}", json=params) as resp:
            return resp.status, resp.content_type, await resp.read()


async def test_faults_of_what_is_not_telegram(server, sb):
    """What a proxy or a network does to an answer: an HTML error page, a cut-off body, a reset, a delay."""
    pia = await sb.user("Pia")
    await sb.send(pia, "/start")
    await sb.faults(method="sendMessage", kind="html")
    status, content_type, body = await _raw_post(server.base_url, "sendMessage", chat_id=pia.id, text="proxy")
    assert (status, content_type) == (502, "text/html") and b"<h1>502 Bad Gateway</h1>" in body
    await sb.faults(method="sendMessage", kind="html", status=403)  # a firewall's page, not Telegram's verdict
    status, content_type, body = await _raw_post(server.base_url, "sendMessage", chat_id=pia.id, text="waf")
    assert (status, content_type) == (403, "text/html") and b"<h1>403 Forbidden</h1>" in body

    await sb.faults(method="sendMessage", kind="truncated")
    status, content_type, body = await _raw_post(server.base_url, "sendMessage", chat_id=pia.id, text="cut off")
    assert (status, content_type) == (200, "application/json")
    with pytest.raises(ValueError):
        json.loads(body)
    assert body.startswith(b'{"ok": true')

    await sb.faults(method="sendMessage", kind="reset")
    with pytest.raises(aiohttp.ClientOSError) as info:  # an RST, not a clean close (ServerDisconnectedError)
        await _raw_post(server.base_url, "sendMessage", chat_id=pia.id, text="reset")
    assert info.value.errno == errno.ECONNRESET

    await sb.faults(method="sendMessage", kind="slow", seconds=5)
    with pytest.raises(asyncio.TimeoutError):  # the caller gives up first ...
        await _raw_post(server.base_url, "sendMessage", timeout=1, chat_id=pia.id, text="slow")
    # ... yet it was sent, as was the cut-off one; the HTML page and the reset sent nothing
    assert [m.text for m in await sb.messages(pia) if m.from_bot] == ["cut off", "slow"]
    assert [f["kind"] for f in await sb.fired_faults()] == ["html", "html", "truncated", "reset", "slow"]


async def test_links_previews_and_entities_like_telegram(sb, aio, ptb):
    quinn = await sb.user("Quinn")
    written = await sb.send(quinn, "/start 见 www.tj.gov.cn/zwgk，或写信 office@example.org，电话 +86 22 2345 6789 #停车 $CNY")
    found = [(e["type"], written.text[e["offset"]:e["offset"] + e["length"]]) for e in written.entities]
    assert found == [("bot_command", "/start"), ("url", "www.tj.gov.cn/zwgk"), ("email", "office@example.org"),
                     ("phone_number", "+86 22 2345 6789"), ("hashtag", "#停车"), ("cashtag", "$CNY")]
    assert written.raw["link_preview_options"] == {"url": "http://www.tj.gov.cn/zwgk"}
    off = await sb.send(quinn, "https://example.org", link_preview_options={"is_disabled": True})
    assert off.raw["link_preview_options"] == {"is_disabled": True}
    assert "link_preview_options" not in (await sb.send(quinn, "no link here")).raw

    options = {"is_disabled": True, "prefer_small_media": False}
    raw = (await raw_call(sb.base_url, "sendMessage", chat_id=quinn.id, text="<b>见</b> https://example.org/a",
                          parse_mode="HTML", link_preview_options=options))[1]
    assert raw["result"]["link_preview_options"] == {"is_disabled": True}  # only what was set
    assert [(e["type"], e["offset"], e["length"]) for e in raw["result"]["entities"]] == [("bold", 0, 1),
                                                                                          ("url", 2, 21)]
    sent = await ptb.send_message(quinn.id, "old style", disable_web_page_preview=True)
    assert sent.link_preview_options.is_disabled is True
    edited = await aio.edit_message_text("edited https://example.org", chat_id=quinn.id, message_id=sent.message_id)
    assert edited.link_preview_options is None  # an edit without options drops them
    assert [e.type for e in edited.entities] == ["url"]


async def test_utf16_limits_everywhere(sb, aio):
    """Telegram counts UTF-16 code units: an emoji outside the BMP is two."""
    rosa = await sb.user("Rosa")
    await sb.send(rosa, "/start")
    assert (await aio.send_message(rosa.id, "😀" * 2048)).text == "😀" * 2048
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await aio.send_message(rosa.id, "😀" * 2049)
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await aio.send_photo(rosa.id, BufferedInputFile(make_png(10, 10), "p.png"), caption="😀" * 513)
    card = await aio.send_message(rosa.id, "card", reply_markup=keyboard(("x", "d")))
    for text, ok in (("😀" * 100, True), ("😀" * 101, False)):
        query = await sb.press(rosa, card.message_id, text="x")
        if ok:
            assert await aio.answer_callback_query(query, text=text)
        else:
            with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
                await aio.answer_callback_query(query, text=text)
    forum = await sb.group("Forum", members=[rosa], creator=rosa, forum=True, bot="administrator")
    assert (await aio.create_forum_topic(forum.id, "😀" * 64)).name == "😀" * 64
    with pytest.raises(TelegramBadRequest, match="TOPIC_TITLE_INVALID"):
        await aio.create_forum_topic(forum.id, "😀" * 65)
    await aio.set_my_commands([BotCommand(command="help", description="😀" * 128)])
    with pytest.raises(TelegramBadRequest, match="description"):
        await aio.set_my_commands([BotCommand(command="help", description="😀" * 129)])


async def test_fault_rate_is_seedable_and_filters_chat(sb, aio):
    pam, quinn = await sb.user("Pam"), await sb.user("Quinn")
    for person in (pam, quinn):
        await sb.send(person, "/start")

    async def pattern() -> list[bool]:
        await sb.clear_faults()
        await sb.faults(method="sendMessage", kind="500", rate=0.5, chat_id=pam.id, seed=7)
        outcome = []
        for _ in range(12):
            try:
                await aio.send_message(pam.id, "x")
                outcome.append(True)
            except TelegramServerError:
                outcome.append(False)
        await aio.send_message(quinn.id, "other chat never fails")
        return outcome

    first = await pattern()
    assert first == await pattern() and True in first and False in first


async def test_control_api_errors(sb):
    with pytest.raises(SandboxError, match="user 5 not found"):
        await sb.send(5, "hi")
    rae = await sb.user("Rae")
    with pytest.raises(SandboxError, match="no bot message"):
        await sb.press(rae, 1, text="Go")
    with pytest.raises(SandboxError, match="unknown fault kind"):
        await sb.faults(kind="explode")


# ---------------------------------------------------------------- more methods, frameworks, several bots

async def test_other_methods_with_ptb(sb, ptb):
    sam = await sb.user("Sam")
    team = await sb.group("Team", members=[sam], bot="administrator")
    await sb.send(sam, "/start")
    original = await sb.send(sam, "remember this")
    copied = await ptb.copy_message(sam.id, from_chat_id=sam.id, message_id=original.id)
    forwarded = await ptb.forward_message(team.id, from_chat_id=sam.id, message_id=original.id)
    assert forwarded.forward_origin.sender_user.id == sam.id and forwarded.text == "remember this"
    assert (await sb.message(sam, copied.message_id)).text == "remember this"
    location = await ptb.send_location(sam.id, latitude=52.52, longitude=13.405)
    assert location.location.latitude == pytest.approx(52.52)
    assert await ptb.send_chat_action(sam.id, "typing")
    assert await ptb.delete_message(sam.id, original.id)  # bots may delete people's messages in private chats
    assert (await sb.message(sam, original.id)).deleted
    assert await ptb.get_chat_member_count(team.id) == 2
    await sb.join(await sb.user("Tom"), team)
    assert await ptb.leave_chat(team.id)
    with pytest.raises(telegram.error.Forbidden, match="(?i)bot is not a member of the group chat"):
        await ptb.send_message(team.id, "back?")
    updates = await ptb.get_updates(allowed_updates=["message"])
    kinds = {u.effective_message.new_chat_members[0].first_name for u in updates
             if u.effective_message and u.effective_message.new_chat_members}
    assert "Tom" in kinds
    assert len(await ptb.get_updates(offset=-1)) == 1  # a negative offset keeps only the newest
    await sb.block(sam)  # my_chat_member is filtered out by allowed_updates=["message"] now
    assert len(await ptb.get_updates()) == 1
    events = [e["type"] for e in await sb.events(0)]
    assert {"chat_action", "deleted", "my_chat_member"} <= set(events)
    assert {c["method"] for c in await sb.calls()} >= {"copyMessage", "forwardMessage", "leaveChat"}


async def test_two_bots_keep_separate_state(server):
    other_token = "777:echo-bot"
    async with SandboxClient(server.base_url, TOKEN) as main_sb, SandboxClient(server.base_url, other_token) as echo_sb:
        uma = await main_sb.user("Uma")
        await main_sb.send(uma, "for main")
        await echo_sb.send(uma, "for echo")
        status, body = await raw_call(server.base_url, "getUpdates")
        assert [u["message"]["text"] for u in body["result"]] == ["for main"]
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{server.base_url}/bot{other_token}/getupdates") as resp:
                assert [u["message"]["text"] for u in (await resp.json())["result"]] == ["for echo"]
        assert [m.text for m in await echo_sb.messages(uma)] == ["for echo"]
        async with SandboxClient(server.base_url) as anonymous:
            with pytest.raises(SandboxError, match="pass token"):
                await anonymous.messages(uma)


async def test_real_frameworks_poll_the_sandbox(server, sb):
    from aiogram import Dispatcher, F
    from aiogram.filters import CommandStart
    from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler

    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message):
        await message.answer(f"hello {message.text.split()[1]}", reply_markup=keyboard(("Go", "go")))

    @dp.callback_query(F.data == "go")
    async def go(query):
        await query.answer("went")
        await query.message.edit_text("gone")

    aio_bot = AioBot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))
    polling = asyncio.create_task(dp.start_polling(aio_bot, handle_signals=False, polling_timeout=1))
    vic = await sb.user("Vic")
    try:
        await sb.send(vic, "/start aio")
        greeting = await sb.wait_for(vic, "hello aio")
        assert (await sb.callback_answer(await sb.press(vic, greeting, "Go")))["text"] == "went"
        assert (await sb.wait_for(vic, "gone")).id == greeting.id
    finally:
        await dp.stop_polling()
        await polling
        await aio_bot.session.close()

    async def ptb_start(update, context):
        await update.message.reply_text(f"hi {context.args[0]}")

    app = (ApplicationBuilder().token("888:ptb-bot").base_url(f"{server.base_url}/bot")
           .base_file_url(f"{server.base_url}/file/bot").build())
    app.add_handler(CommandHandler("start", ptb_start))
    app.add_handler(CallbackQueryHandler(lambda u, c: None))
    async with app, SandboxClient(server.base_url, "888:ptb-bot") as ptb_sb:
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        await ptb_sb.send(vic, "/start ptb")
        assert (await ptb_sb.wait_for(vic, "hi ptb")).from_bot
        await app.updater.stop()
        await app.stop()
