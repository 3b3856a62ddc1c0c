"""Contract tests: real Bot API JSON through both adapters, over real HTTP where Telegram would send it.

The fixtures under tests/botapi/ are written by hand from the Bot API documentation, with the
optional fields Telegram fills (link_preview_options, quote, sender_chat, legacy fields it still
sends ...), not taken from the sandbox. updates/: one Update each, of every kind Linkage accepts;
results/: ``{"params": ..., "result": ...}`` for every method Linkage calls. The sandbox answers
them as given ("answer" fault), so the adapter reads exactly what Telegram would have sent.

The promise checked: an adapter hands on what Telegram sent, unchanged (no framework placeholders,
no defaults added, nothing the core reads lost), so the core sees the same whichever framework runs.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot import webhook
from bot.clock import Clock
from bot.sandbox import Fault
from bot.supervise import Supervisor
from bot.transport import ALLOWED_UPDATES
from handlers.core.events import ANONYMOUS_ADMIN_BOT_ID, parse_update
from storage import inbox
from storage.db import Database
# the adapters against the in-process sandbox, once per framework: the fixtures of test_adapters
from tests.test_adapters import api, assert_plain_json, new_api, sb, server  # noqa: F401

FIXTURES = Path(__file__).parent / "botapi"
UPDATES = {path.stem: json.loads(path.read_text(encoding="utf-8"))
           for path in sorted((FIXTURES / "updates").glob("*.json"))}
RESULTS = {path.stem: json.loads(path.read_text(encoding="utf-8"))
           for path in sorted((FIXTURES / "results").glob("*.json"))}
SECRET = "a-webhook-secret-of-forty-characters-ok"
METHOD_NAME = re.compile(r'"((?:send|edit|answer|get|set|delete|copy|forward|create|leave|pin)[A-Z][A-Za-z]+)"')

# What the core (handlers.core.events) must read from some of them.
EVENTS = {
    "message_command": {"kind": "message", "command": "start", "command_args": "Q7mK2xPz", "user_name": "晓明 王"},
    "message_link": {"text": "请看 https://www.tj.gov.cn/zwgk/ 这条通知", "chat_type": "private"},
    "message_photo": {"text": "夜间停车 /submit", "attachment": ("photo", "AgACAgUAAxkBAAIQBWd1photo1280")},
    "message_document": {"attachment": ("document", "BQACAgUAAxkBAAIQBmd1doc")},
    "message_voice": {"attachment": ("voice", "AwACAgUAAxkBAAIQB2d1voice")},
    "message_location": {"attachment": ("location", None)},
    "message_video": {"attachment": ("unsupported", None)},
    "message_sticker": {"attachment": ("unsupported", None)},
    "message_contact": {"attachment": ("unsupported", None)},
    "message_forum_topic": {"thread_id": 214, "command": "bind", "reply_to_message_id": 214},
    "message_reply_with_quote": {"reply_to_message_id": 4090},
    "message_anonymous_admin": {"user_id": ANONYMOUS_ADMIN_BOT_ID, "sender_is_chat": True, "command": "bind"},
    "edited_message": {"kind": "edited_message", "message_id": 4102},
    "callback_query": {"kind": "callback", "callback_data": "c:42:claim", "thread_id": 214, "message_id": 390},
    "callback_query_inaccessible_message": {"kind": "callback", "chat_id": 7012345678, "message_id": 3001},
    "my_chat_member_added_as_admin": {"kind": "bot_membership", "bot_status": "administrator"},
    "my_chat_member_blocked": {"kind": "bot_membership", "bot_status": "kicked"},
}


def test_the_fixtures_cover_what_linkage_accepts():
    kinds = {next(k for k in update if k != "update_id") for update in UPDATES.values()}
    assert kinds == set(ALLOWED_UPDATES)
    assert set(EVENTS) <= set(UPDATES)
    messages = [u.get("message") or u.get("edited_message") or {} for u in UPDATES.values()]
    for field in ("link_preview_options", "quote", "sender_chat", "external_reply", "forward_origin", "photo",
                  "document", "voice", "location", "video", "sticker", "contact", "is_topic_message"):
        assert any(field in m for m in messages), field
    assert UPDATES["callback_query_inaccessible_message"]["callback_query"]["message"]["date"] == 0


async def test_the_webhook_stores_every_update_as_sent_and_refuses_what_is_no_update(tmp_path):
    """The webhook, like polling, keeps what Telegram sent: no framework reads it first, so an update
    a framework's models reject is never answered 4xx (Telegram would hold back every later one)."""
    db = Database(str(tmp_path / "linkage.db"))
    await db.ensure_schema()
    supervisor = Supervisor(asyncio.Event())
    runner = web.AppRunner(webhook.make_app(db, Clock(), SECRET, asyncio.Event(), supervisor,
                                            supervisor.loop("webhook")))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}{webhook.PATH}"
    try:
        async with aiohttp.ClientSession(headers={webhook.SECRET_HEADER: SECRET}) as http:
            for update in UPDATES.values():
                async with http.post(url, json=update) as r:
                    assert r.status == 200
            for bad in ({}, {"update_id": "seven"}, ["not", "an", "update"], {"update_id": 7.5}):
                async with http.post(url, json=bad) as r:
                    assert r.status == 400
            async with http.post(url, data=b"<html>not json</html>") as r:
                assert r.status == 400
        async with db.read() as conn:
            stored = {row.update_id: row.payload for row in await inbox.next_batch(conn, limit=100)}
        assert stored == {u["update_id"]: u for u in UPDATES.values()}
    finally:
        await runner.cleanup()
        await db.close()


async def test_get_updates_hands_on_the_updates_as_sent(api, sb):
    updates = list(UPDATES.values())
    await sb.faults(Fault("answer", method="getUpdates", result=updates))
    received = await api.get_updates(None, 0)
    assert_plain_json(received)
    assert received == updates
    for name, expected in EVENTS.items():
        event = parse_update(received[updates.index(UPDATES[name])])
        attachment = expected.get("attachment")
        seen = {key: getattr(event, key) for key in expected if key != "attachment"}
        assert seen == {k: v for k, v in expected.items() if k != "attachment"}, name
        if attachment:
            assert (event.attachments[0].kind, event.attachments[0].file_id) == attachment, name


@pytest.mark.parametrize("method", sorted(set(RESULTS) - {"getMe"}))
async def test_call_hands_on_the_result_as_sent(api, sb, method):
    await sb.faults(Fault("answer", method=method, result=RESULTS[method]["result"]))
    result = await api.call(method, copy.deepcopy(RESULTS[method]["params"]))
    assert_plain_json(result)
    assert result == RESULTS[method]["result"]


async def test_start_hands_on_get_me_as_sent(new_api, sb):
    await sb.faults(Fault("answer", method="getMe", result=RESULTS["getMe"]["result"]))
    me = await new_api().start()
    assert_plain_json(me)
    assert me == RESULTS["getMe"]["result"]


def test_every_method_linkage_calls_has_a_result_fixture():
    """Bot API method names quoted in the core and the runtime (not the sandbox, which serves them all)."""
    root = Path(__file__).resolve().parents[1]
    called = set()
    for package in ("handlers", "bot"):
        for path in (root / package).rglob("*.py"):
            if "sandbox" not in path.parts:
                called |= set(METHOD_NAME.findall(path.read_text(encoding="utf-8")))
    assert {"sendMessage", "editMessageText", "getChatMember", "setWebhook"} <= called  # the scan sees them
    assert called - {"getUpdates"} <= set(RESULTS)
