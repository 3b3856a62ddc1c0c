"""Both framework adapters against the in-process sandbox Bot API server, over real HTTP: the same
JSON in and out, and the same error kinds, whichever framework carries the calls. (That only the
adapter modules import aiogram or telegram is an import contract: tests/test_architecture.py.)"""

from __future__ import annotations

import asyncio
import logging
import socket
import warnings

import pytest
from sqlalchemy import select

from bot.adapters import make_api
from bot.sandbox import Fault, Limits, SandboxClient, SandboxServer
from bot.sandbox.media import make_png
from bot.transport import ALLOWED_UPDATES, ApiError
from handlers.core.i18n import translator
from storage.schema import outbox
from tests.conftest import close_stack, make_settings, open_stack

TOKEN = "6100000001:adapter-test-token"
BOT_ID = 6100000001
FRAMEWORKS = ["aiogram", "ptb"]
KEYBOARD = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok:1"}, {"text": "No", "callback_data": "no:1"}]]}

zh = translator("zh")


@pytest.fixture
async def server():
    srv = SandboxServer(limits=Limits(enabled=False))
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture
async def sb(server):
    async with SandboxClient(server.base_url, TOKEN) as client:
        yield client


@pytest.fixture(params=FRAMEWORKS, ids=FRAMEWORKS)
async def new_api(request, server):
    """A factory of adapters of the parametrised framework (``base`` defaults to the sandbox); all closed."""
    made = []

    def make(base: str | None = None, *, read_timeout: float | None = None):
        api = make_api(request.param, TOKEN, base or server.base_url)
        if read_timeout is not None:  # how long a call waits for its answer (default 30-60 s)
            if api.name == "ptb":
                from bot.adapters.ptb_adapter import PtbApi
                api = PtbApi(TOKEN, base or server.base_url, read_timeout=read_timeout)
            else:
                api.bot.session.timeout = read_timeout
        made.append(api)
        return api

    yield make
    for api in made:
        await api.close()


@pytest.fixture
async def api(new_api):
    api = new_api()
    await api.start()
    return api


async def send(api, chat_id: int, text: str = "hello", **params) -> dict:
    return await api.call("sendMessage", {"chat_id": chat_id, "text": text, **params})


async def person(sb, name: str = "Alice", **kwargs):
    """A user who has started the bot (a bot can't initiate a private conversation)."""
    user = await sb.user(name, **kwargs)
    await sb.send(user, "/start")
    return user


async def error_of(coro) -> ApiError:
    with pytest.raises(ApiError) as info:
        await coro
    return info.value


def assert_plain_json(value, where: str = "$") -> None:
    """Only JSON's own types (no framework enums or models hiding behind str/dict subclasses)."""
    assert type(value) in (dict, list, str, int, float, bool, type(None)), f"{where}: {type(value).__name__}"
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, f"{where}: key {key!r}"
            assert_plain_json(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_plain_json(item, f"{where}[{i}]")


def assert_contains(actual, expected, where: str = "$") -> None:
    """Every field of ``expected`` is in ``actual`` with the same value (frameworks may add defaults)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r}"
        for key, item in expected.items():
            assert key in actual, f"{where}: {key!r} missing in {sorted(actual)}"
            assert_contains(actual[key], item, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_contains(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


# ---------------------------------------------------------------- calls and results

async def test_start_returns_get_me(new_api, request):
    api = new_api()
    assert api.name == request.node.callspec.id
    me = await api.start()
    assert_plain_json(me)
    assert (me["id"], me["is_bot"], me["username"]) == (BOT_ID, True, f"sandbox{BOT_ID}_bot")


async def test_send_html_with_keyboard_then_edit(api, sb):
    alice = await person(sb)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sent = await send(api, alice.id, "<b>Report</b> received <i>today</i>", parse_mode="HTML",
                          reply_markup=KEYBOARD)
    # calling a method by name is the adapter's job, not a mistake to warn about (PTB would)
    assert [str(w.message) for w in caught] == []
    assert_plain_json(sent)
    assert isinstance(sent["message_id"], int) and sent["chat"]["id"] == alice.id
    assert sent["text"] == "Report received today"
    assert {(e["type"], e["offset"], e["length"]) for e in sent["entities"]} == {("bold", 0, 6), ("italic", 16, 5)}
    assert sent["reply_markup"] == KEYBOARD

    edited = await api.call("editMessageText", {"chat_id": alice.id, "message_id": sent["message_id"],
                                                "text": "Report <u>closed</u>", "parse_mode": "HTML"})
    assert_plain_json(edited)
    assert edited["message_id"] == sent["message_id"] and edited["text"] == "Report closed"
    assert "reply_markup" not in edited  # an edit without reply_markup removes the keyboard
    [seen] = [m for m in await sb.messages(alice) if m.from_bot]
    assert (seen.id, seen.text, seen.edits, seen.reply_markup) == (sent["message_id"], "Report closed", 1, None)


async def test_get_updates_message_callback_and_my_chat_member(api, sb):
    alice = await sb.user("Alice", username="alice")
    await sb.send(alice, "hello bot")  # the first message: no /start before it
    card = await send(api, alice.id, "Card", reply_markup=KEYBOARD)
    query_id = await sb.press(alice, card["message_id"], text="OK")
    group = await sb.group("Street office", members=[alice], creator=alice)

    updates = await api.get_updates(None, 0)
    assert_plain_json(updates)
    kinds = [next(k for k in u if k != "update_id") for u in updates]
    assert set(kinds) <= set(ALLOWED_UPDATES)
    by_kind = {}
    for kind, update in zip(kinds, updates):
        by_kind.setdefault(kind, update[kind])
    message, callback, member = by_kind["message"], by_kind["callback_query"], by_kind["my_chat_member"]
    assert message["text"] == "hello bot" and message["from"]["id"] == alice.id
    assert message["chat"] == {"id": alice.id, "type": "private", "first_name": "Alice", "username": "alice"}
    assert isinstance(message["date"], int)
    assert (callback["id"], callback["data"], callback["from"]["id"]) == (query_id, "ok:1", alice.id)
    assert callback["message"]["message_id"] == card["message_id"]
    assert member["chat"]["id"] == group.id and member["from"]["id"] == alice.id
    assert (member["old_chat_member"]["status"], member["new_chat_member"]["status"]) == ("left", "member")
    assert member["new_chat_member"]["user"]["id"] == BOT_ID

    ids = [u["update_id"] for u in updates]
    assert ids == sorted(ids)
    assert await api.get_updates(ids[-1] + 1, 0) == []  # the offset confirmed them


async def test_send_photo_uploads_a_local_file(api, sb, tmp_path):
    alice = await person(sb)
    png = make_png(40, 30)
    path = tmp_path / "chart.png"
    path.write_bytes(png)
    sent = await api.call("sendPhoto", {"chat_id": alice.id, "photo": {"$file": str(path)},
                                        "caption": "<b>Weekly</b> chart", "parse_mode": "HTML"})
    assert_plain_json(sent)
    assert sent["caption"] == "Weekly chart"
    biggest = sent["photo"][-1]
    assert (biggest["width"], biggest["height"], biggest["file_size"]) == (40, 30, len(png))
    [seen] = [m for m in await sb.messages(alice) if m.from_bot]
    assert seen.kind == "photo"


async def test_link_preview_options_come_through_as_telegram_sent_them(api, sb):
    """Real Telegram puts link_preview_options into a member's message with a link and into every sent
    message whose preview options the bot set; aiogram's models fill their missing fields with
    placeholders that are not JSON."""
    alice = await person(sb)
    start = await api.get_updates(None, 0)
    written = await sb.send(alice, "see https://example.org/a?b=1, please")
    [update] = await api.get_updates(start[-1]["update_id"] + 1, 0)
    assert update["message"] == written.raw
    assert update["message"]["link_preview_options"] == {"url": "https://example.org/a?b=1"}

    sent = await send(api, alice.id, "Report received", link_preview_options={"is_disabled": True})
    assert sent["link_preview_options"] == {"is_disabled": True}
    edited = await api.call("editMessageText", {"chat_id": alice.id, "message_id": sent["message_id"],
                                                "text": "Report closed", "link_preview_options": {"is_disabled": True}})
    assert edited["link_preview_options"] == {"is_disabled": True}
    [seen] = [m for m in await sb.messages(alice) if m.from_bot]  # sent once, not once per retry
    assert edited == seen.raw


# ---------------------------------------------------------------- errors, sorted for the sender

# PTB's RetryAfter reads its own int-or-timedelta property when built, which warns about the change
@pytest.mark.filterwarnings("ignore:.*attribute `retry_after`:DeprecationWarning")
async def test_429_is_retry_after_with_its_delay(api, sb, monkeypatch):
    alice = await person(sb)
    await sb.faults(Fault("429", method="sendMessage", retry_after=7))
    error = await error_of(send(api, alice.id))
    assert (error.kind, error.retry_after) == ("retry_after", 7.0)
    # PTB 22 gives retry_after as a timedelta once PTB_TIMEDELTA is set (the coming default)
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    await sb.faults(Fault("429", method="sendMessage", retry_after=3))
    error = await error_of(send(api, alice.id))
    assert (error.kind, error.retry_after) == ("retry_after", 3.0)
    assert isinstance(error.retry_after, float)


async def test_blocked_user_is_forbidden(api, sb):
    alice = await person(sb)
    await send(api, alice.id)
    await sb.block(alice)
    error = await error_of(send(api, alice.id))
    assert error.kind == "forbidden" and "blocked" in error.description


async def test_unknown_chat_and_unknown_method_are_bad_requests(api, sb):
    error = await error_of(send(api, 987654321))
    assert error.kind == "bad_request" and "chat not found" in error.description.lower()
    error = await error_of(api.call("sendTelepathy", {"chat_id": 1}))
    assert error.kind == "bad_request"


@pytest.mark.parametrize("status", ["500", "502"])
async def test_5xx_is_server(api, sb, status):
    alice = await person(sb)
    await sb.faults(Fault(status, method="sendMessage"))
    error = await error_of(send(api, alice.id))
    assert error.kind == "server", error
    assert [f["kind"] for f in await sb.fired_faults()] == [status]
    assert (await send(api, alice.id))["text"] == "hello"  # and the next call goes through


@pytest.mark.parametrize("fault", [Fault("drop_before", method="sendMessage"),
                                   Fault("drop_after", method="sendMessage"),
                                   Fault("timeout", method="sendMessage", then="never")],
                         ids=["drop_before", "drop_after", "timeout"])
async def test_dropped_or_unanswered_call_is_network(new_api, sb, fault):
    api = new_api(read_timeout=0.5)  # "timeout" holds the call until the server stops
    await api.start()
    alice = await person(sb)
    await sb.faults(fault)
    error = await error_of(asyncio.wait_for(send(api, alice.id), 10))
    assert error.kind == "network", error
    assert [f["kind"] for f in await sb.fired_faults()] == [fault.kind]


@pytest.mark.parametrize("fault, kind", [
    (Fault("html", method="sendMessage"), "server"),  # a proxy's page: text/html, not JSON
    (Fault("html", method="sendMessage", status=403), "server"),  # a firewall's page is not Telegram's "forbidden"
    (Fault("html", method="sendMessage", status=404), "server"),  # nor its "not found"
    (Fault("truncated", method="sendMessage"), "server"),  # a 200 whose JSON is cut off
    (Fault("reset", method="sendMessage"), "network"),  # TCP RST instead of an answer
    (Fault("slow", method="sendMessage", seconds=3), "network"),  # performed, but answered after the read timeout
    (Fault("html", method="getUpdates"), "server"), (Fault("truncated", method="getUpdates"), "server"),
    (Fault("reset", method="getUpdates"), "network")],
    ids=["html", "html_403", "html_404", "truncated", "reset", "slow", "getUpdates_html", "getUpdates_truncated",
         "getUpdates_reset"])
async def test_an_answer_that_is_not_telegram_json_is_an_api_error(new_api, sb, caplog, fault, kind):
    api = new_api(read_timeout=1)
    await api.start()
    alice = await person(sb)
    await sb.faults(fault)
    caplog.set_level(logging.INFO)
    call = send(api, alice.id, "阿丽丝的报告") if fault.method == "sendMessage" else api.get_updates(None, 0)
    error = await error_of(asyncio.wait_for(call, 10))
    assert error.kind == kind, error
    # an answer's body (a member's text, here echoed back in the result) is in neither the error nor a log
    assert "阿丽丝" not in error.description and "Alice" not in error.description
    assert not [r for r in caplog.records if "阿丽丝" in r.getMessage() or "Alice" in r.getMessage()]
    assert [f["kind"] for f in await sb.fired_faults()] == [fault.kind]
    assert isinstance(await api.get_updates(None, 0), list)  # and the next call goes through


async def test_unreachable_server_is_network(new_api):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    error = await error_of(new_api(f"http://127.0.0.1:{port}").start())
    assert error.kind == "network", error


async def test_get_updates_conflicts_with_another_poller(api, new_api, sb):
    older = asyncio.create_task(api.get_updates(None, 5))
    await sb.wait_polling()  # the long poll is waiting on the server
    other = new_api()
    await other.start()
    assert await other.get_updates(None, 0) == []  # the newer request wins ...
    error = await error_of(asyncio.wait_for(older, 3))  # ... the older one is answered 409
    assert error.kind == "conflict" and "other getUpdates" in error.description


async def test_get_updates_conflicts_with_a_webhook(api):
    assert await api.call("setWebhook", {"url": "https://bot.example.org/telegram/webhook"}) is True
    error = await error_of(api.get_updates(None, 0))
    assert error.kind == "conflict" and "webhook" in error.description
    assert await api.call("deleteWebhook", {"drop_pending_updates": False}) is True
    assert await api.get_updates(None, 0) == []


# ---------------------------------------------------------------- end to end: a member's link

async def _a_link_then_help(stack) -> None:
    """A member writes a link (Telegram adds link_preview_options), then asks for /help: the bot
    answers both, and each of its messages went out once, with its message id recorded."""
    sb = stack.sb
    member = await stack.world.join("C002", "李静怡")
    written = await sb.send(member, "请看 https://www.tj.gov.cn/zwgk/ 这条通知")
    assert written.raw["link_preview_options"] == {"url": "https://www.tj.gov.cn/zwgk/"}
    await sb.wait_for(member, "/submit", 30)
    await sb.send(member, "/help")
    await sb.wait_for(member, "/submit", 30)
    await stack.settle()
    sent_by_bot = sorted(m.id for m in await sb.messages(member) if m.from_bot)
    async with stack.app.db.read() as conn:
        recorded = (await conn.execute(select(outbox.c.status, outbox.c.message_id)
                                       .where(outbox.c.chat_id == member.id))).all()
    assert [status for status, _ in recorded] == ["sent"] * len(recorded)
    assert sorted(message_id for _, message_id in recorded) == sent_by_bot
    assert await stack.count("inbox", status="done") == await stack.count("inbox")


async def test_a_members_link_through_polling(stack):
    await _a_link_then_help(stack)


async def test_a_members_link_through_the_webhook(sandbox, tmp_path, framework):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = make_settings(tmp_path, sandbox.base_url, framework=framework, webhook_url=f"http://127.0.0.1:{port}",
                             webhook_secret="a-webhook-secret-of-forty-characters-ok", webhook_host="127.0.0.1",
                             webhook_port=port)
    stack = await open_stack(sandbox, settings, use_webhook=True)
    try:
        await _a_link_then_help(stack)
        assert (await stack.sb.bot_info())["webhook_error"] is None  # no update was refused
    finally:
        await close_stack(stack)


async def test_a_proxy_page_instead_of_get_chat_member_leaves_the_bot_working(stack):
    """/bind asks getChatMember before its transaction; a proxy's HTML page there is an ApiError the
    dispatcher handles (no admin status known: refused), not a framework exception that ends it."""
    sb = stack.sb
    office = await stack.world.join("C002", "李静怡")
    await sb.faults(Fault("html", method="getChatMember"))
    first = await sb.group("河西区政协委员联络中心", admins=[office.id])
    await sb.send(office, "/bind any-key", chat=first)
    # the answer to /bind (not the greeting on joining, which may come first): no status known, refused
    await sb.wait_for(first, zh("Only an administrator of this group can bind it."), 30)
    assert [f["kind"] for f in await sb.fired_faults()] == ["html"]
    group = await stack.world.bound_group("topic:education", "topic", "市政协·议政论坛", office)
    assert group.chat.id != first.id

