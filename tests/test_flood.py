"""Floods (issue 7, defect 5): a stranger's 300 messages, a member's burst, an outsider's commands
in a bound group. Each gets its few answers; every update stays in the inbox; everybody else's
answers and cards are not queued behind them. End to end over real HTTP, both frameworks."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from handlers.core.i18n import translator
from storage import floods
from storage import inbox as inbox_store
from storage.schema import inbox
from tests.test_admin import db  # noqa: F401  (the fixture: a real SQLite file, a fresh PostgreSQL schema)

zh = translator("zh")
STACK_SETTINGS = {"user_messages_per_minute": 20}  # the real limit (the other tests' people are faster)
TIMEOUT = 30
STRANGER_MESSAGES = 300
REFUSAL = "022-0000-0000"  # the office's contact: in the refusal, nowhere else a stranger could see
SLOW_DOWN = zh("You have sent more than {count} messages within a minute. Please slow down: I will not "
               "answer what you send during the next minute; after that, please send again whatever still "
               "needs an answer.", count=20)
HELP = zh("/help — this list")

WRONG_CHAT = "https://t.me/"  # the steering answer links to the private chat


async def _inbox_from(stack, user_id: int) -> dict[int, str]:
    """The user's texts and presses the inbox holds: update_id -> status (new, done)."""
    async with stack.app.db.read() as conn:
        rows = await conn.execute(select(inbox.c.update_id, inbox.c.status, inbox.c.payload))
    found = {}
    for update_id, status, payload in rows:
        sent = payload.get("callback_query") or payload.get("message") or {}
        if sent.get("from", {}).get("id") == user_id and ("text" in sent or "data" in sent):
            found[update_id] = status
    return found


async def _bot_texts(sb, chat) -> list[str]:
    return [m.text for m in await sb.messages(chat) if m.from_bot]


async def test_a_strangers_300_messages_get_one_refusal_and_do_not_delay_a_members_help(stack, capsys):
    sb, world = stack.sb, stack.world
    member = await world.join("C002", "李静怡")
    stranger = await sb.user("路人甲", language_code="zh-hans")
    asked_after = 250  # more than the sender's batch of 200 rows: the member's answer once queued behind
    for i in range(STRANGER_MESSAGES):
        await sb.send(stranger, f"广告 {i}")
        if i + 1 == asked_after:
            await sb.send(member, "/help")
            asked_at, help_seq = time.monotonic(), sb.cursor
    await sb.wait_for(member, HELP, TIMEOUT, after=help_seq)
    answered_at = time.monotonic()
    not_yet_handled = list((await _inbox_from(stack, stranger.id)).values()).count("new")
    await stack.settle()

    to_stranger = await _bot_texts(sb, stranger)
    assert len(to_stranger) == 1 and REFUSAL in to_stranger[0]
    sends = [str(call["params"]["chat_id"]) for call in await sb.calls("sendMessage")]  # as received
    help_answer = len(sends) - 1 - sends[::-1].index(str(member.id))
    assert sends[:help_answer].count(str(stranger.id)) <= 1  # it did not wait for the stranger's answers
    assert len(await _inbox_from(stack, stranger.id)) == STRANGER_MESSAGES  # stored, none lost
    with capsys.disabled():
        print(f"\nFLOOD TEST [{stack.app.settings.framework}]: a stranger sent {STRANGER_MESSAGES} messages; "
              f"a member's /help sent after the {asked_after}th was answered in {answered_at - asked_at:.2f} s, "
              f"{not_yet_handled} of the stranger's updates not yet handled then; the stranger got "
              f"{len(to_stranger)} refusal; {STRANGER_MESSAGES} of the stranger's updates are in the inbox")


async def test_a_members_burst_gets_one_notice_then_silence_until_the_minute_is_over(stack):
    sb, world = stack.sb, stack.world
    member = await world.join("C002", "李静怡")  # /start CODE: the minute's first message
    await sb.send(member, "/language")
    chooser = await sb.wait_for(member, lambda m: "lang:zh" in m.button_data.values(), TIMEOUT)
    answered_before = len(await _bot_texts(sb, member))
    burst_from = sb.cursor
    for _ in range(23):  # 25 in the minute
        await sb.send(member, "/help")
    await sb.wait_for(member, SLOW_DOWN, TIMEOUT, after=burst_from)
    press = await sb.callback_answer(await sb.press(member, chooser, text="中文"))
    assert press["text"] == zh.plain("Too many presses at once. Please try again in a minute.")
    await stack.settle()
    texts = (await _bot_texts(sb, member))[answered_before:]
    assert len(texts) == 18 + 1 and all(HELP in text for text in texts[:18])  # 18 × /help answered,
    assert texts[-1] == SLOW_DOWN  # the notice once, and nothing for the last 5 nor for the press
    assert list((await _inbox_from(stack, member.id)).values()) == ["done"] * (2 + 23 + 1)  # all kept

    stack.app.clock.advance(timedelta(seconds=61))  # a new minute: answered again
    await sb.send(member, "/help")
    await sb.wait_for(member, HELP, TIMEOUT)
    await world.start_city_report(member)
    burst_from = sb.cursor
    for _ in range(20):  # past this minute's limit with commands...
        await sb.send(member, "/help")
    await sb.wait_for(member, SLOW_DOWN, TIMEOUT, after=burst_from)
    lines = [f"第{i}段：小区门口占道停车。" for i in range(1, 4)]
    for line in lines:  # ...yet a draft's text is the member's report: it is taken
        await sb.send(member, line)
    await sb.wait_for(member, lambda m: "s:files:done" in m.button_data.values(), TIMEOUT)
    draft = await stack.row("conversations", user_id=member.id)
    assert [draft.data[step] for step in ("observation", "analysis", "suggestion")] == lines


async def test_an_outsiders_commands_in_a_bound_group_are_answered_once_and_cards_still_arrive(stack):
    pilot = await stack.pilot()
    sb, world = stack.sb, stack.world
    group = pilot.topic_group
    outsider = await sb.user("群友", language_code="zh-hans")
    await sb.join(outsider, group.chat)
    before = len(await _bot_texts(sb, group.chat))
    for i in range(40):
        await sb.send(outsider, ["/help", "/submit", "/start", "/bind 123"][i % 4], chat=group.chat)
    code = await world.submit(pilot.city, topic="smart_parking", area="city",
                              observation="夜间停车难。", suggestion="错时共享停车。")
    await world.card(group, code)
    await stack.settle()
    answers = (await _bot_texts(sb, group.chat))[before:]
    assert [text for text in answers if WRONG_CHAT in text or "管理员" in text] == [answers[0]]
    assert sum(1 for text in answers if text.startswith(f"📋 {code}")) == 1
    assert len(await _inbox_from(stack, outsider.id)) == 40  # every command kept

    stack.app.clock.advance(timedelta(hours=1, seconds=1))  # an hour later: one answer again
    await sb.send(outsider, "/help", chat=group.chat)
    await sb.wait_for(group.chat, WRONG_CHAT, TIMEOUT)


async def test_counters_count_every_hit_once_under_concurrency_on_postgresql(pg_stack):
    """Connections hitting one counter at once, as several processes would: none lost or doubled."""
    db, start = pg_stack.app.db, pg_stack.app.clock.now()

    async def hit(now):
        async with db.transaction() as conn:
            return await floods.hit(conn, "minute:42", now, timedelta(minutes=1))

    assert sorted(await asyncio.gather(*(hit(start) for _ in range(40)))) == list(range(1, 41))
    assert await hit(start + timedelta(seconds=59)) == 41
    assert await hit(start + timedelta(seconds=60)) == 1  # the window is over: a new one opens
    async with db.transaction() as conn:  # the nightly retention forgets what counts no more
        assert await floods.forget_before(conn, start + timedelta(seconds=61), limit=10) == 1
    assert await hit(start + timedelta(seconds=62)) == 1


async def test_a_strangers_flood_on_postgresql(pg_stack, capsys):
    await test_a_strangers_300_messages_get_one_refusal_and_do_not_delay_a_members_help(pg_stack, capsys)


def _update(update_id: int, user_id: int, text: str) -> dict:
    person = {"id": user_id, "is_bot": False, "first_name": "某"}
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 1767225600, "text": text,
                                                "from": person, "chat": {"id": user_id, "type": "private"}}}


async def test_the_dispatcher_takes_everybodys_oldest_update_first(db):
    """A stranger's 300 waiting updates do not hold back a member's, which came after them: the
    next batch is fair across senders, and each sender's updates keep their order."""
    stranger, member, malformed = 9100000001, 9100000002, {"update_id": 1, "message": {"from": {"id": "x"}}}
    waiting = [malformed] + [_update(100 + n, stranger, f"flood {n}") for n in range(300)]
    waiting += [_update(500, member, "/help"), _update(501, member, "/my")]
    now = datetime.now(timezone.utc)
    await inbox_store.store(db, waiting, now)

    async with db.read() as conn:
        batch = [row.update_id for row in await inbox_store.next_batch(conn, limit=50)]
    assert len(batch) == 50
    assert batch[:3] == [1, 100, 500]  # everybody's oldest (the malformed one a sender of its own)
    assert batch.index(101) < batch.index(102) and 501 in batch  # then everybody's next, in order
    assert [u for u in batch if u >= 100 and u < 500] == list(range(100, 147))  # 50 = 1 + 2 + 47
