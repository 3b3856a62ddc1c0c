"""The sender against the sandbox enforcing Telegram's limits (scaled), over real HTTP."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, select

from bot.adapters import make_api
from bot.clock import Clock
from bot.sandbox import Fault, Limits, SandboxClient, SandboxServer
from bot.sender import Sender
from storage import outbox
from storage.db import Database
from storage.schema import members, outbox as outbox_table

TOKEN = "6200000001:sender-test"
SCALE = 10


@pytest.fixture
async def rig(tmp_path, framework):
    server = SandboxServer(limits=Limits(scale=SCALE))
    base = await server.start()
    api = make_api(framework, TOKEN, base)
    await api.start()
    db = Database(str(tmp_path / "sender.db"))
    await db.ensure_schema()
    clock = Clock()
    sender = Sender(db, api, clock, per_second=30 * SCALE, per_chat_per_second=1 * SCALE,
                    per_group_per_minute=20 * SCALE)
    sb = SandboxClient(base, TOKEN)
    yield server, sb, db, clock, sender
    await asyncio.gather(*sender._in_flight.values(), return_exceptions=True)  # they record their answers
    await sb.close()
    await api.close()
    await db.close()
    await server.stop()


async def _queue(db, clock, chat_id, texts, *, is_group=False, key_prefix=None):
    async with db.transaction() as conn:
        for i, text in enumerate(texts):
            await outbox.enqueue(conn, method="sendMessage", params={"chat_id": chat_id, "text": text},
                                 chat_id=chat_id, is_group=is_group, now=clock.now(),
                                 key=f"{key_prefix}:{i}" if key_prefix else None)


async def _statuses(db):
    async with db.read() as conn:
        return [tuple(r) for r in await conn.execute(
            select(outbox_table.c.id, outbox_table.c.status, outbox_table.c.error).order_by(outbox_table.c.id))]


async def test_a_burst_keeps_every_limit_and_each_chats_order(rig):
    server, sb, db, clock, sender = rig
    users = [await sb.user(f"U{i}") for i in range(30)]
    for user in users:
        await sb.send(user, "/start")  # a bot may only write to people who started it
    group = await sb.group("G", admins=[users[0].id])
    await _queue(db, clock, group.id, [f"g{i}" for i in range(50)], is_group=True)
    for user in users:
        await _queue(db, clock, user.id, [f"{user.id}-{i}" for i in range(5)])
    assert await sender.drain(timeout=120)
    stats = await sb.stats()
    assert stats["rate_limited"] == 0  # the sender never ran into Telegram's limits
    assert sender.stats.sent == 50 + 30 * 5
    texts = [m.text for m in await sb.messages(group) if m.from_bot]
    assert texts[-50:] == [f"g{i}" for i in range(50)]
    for user in users:
        assert [m.text for m in await sb.messages(user) if m.from_bot] == [f"{user.id}-{i}" for i in range(5)]


async def test_429_pauses_and_5xx_is_retried_until_delivered(rig):
    server, sb, db, clock, sender = rig
    user = await sb.user("A")
    await sb.send(user, "/start")
    await sb.faults(Fault("429", method="sendMessage", count=1, retry_after=1),
                    Fault("500", method="sendMessage", count=1), Fault("502", method="sendMessage", count=1))
    await _queue(db, clock, user.id, ["one", "two", "three"])
    assert await sender.drain(timeout=60)
    assert [m.text for m in await sb.messages(user) if m.from_bot] == ["one", "two", "three"]
    assert sender.stats.rate_limited == 1 and sender.stats.retried == 2


async def test_403_marks_the_member_unreachable_and_400_fails_with_its_reason(rig):
    server, sb, db, clock, sender = rig
    user = await sb.user("Blocked")
    await sb.send(user, "/start")
    await sb.block(user)
    async with db.transaction() as conn:
        await conn.execute(members.insert().values(roster_id="X1", name="测试", level="city", role="member",
                                                   language="zh", telegram_user_id=user.id, reachable=True,
                                                   active=True, created_at=clock.now()))
    await _queue(db, clock, user.id, ["to a blocker"])
    await _queue(db, clock, -999, ["to nowhere"], is_group=True)
    assert await sender.drain(timeout=30)
    statuses = await _statuses(db)
    assert [s for _, s, _ in statuses] == ["blocked", "failed"]
    assert "chat not found" in statuses[1][2].lower()
    async with db.read() as conn:
        assert (await conn.execute(select(members.c.reachable))).scalar_one() is False
    assert sender.stats.blocked == 1 and sender.stats.failed == 1


async def test_edits_and_replies_find_the_message_they_refer_to(rig):
    server, sb, db, clock, sender = rig
    user = await sb.user("A")
    await sb.send(user, "/start")
    async with db.transaction() as conn:
        await outbox.enqueue(conn, method="sendMessage", params={"chat_id": user.id, "text": "card v1"},
                             chat_id=user.id, key="card", now=clock.now())
        await outbox.enqueue(conn, method="editMessageText", chat_id=user.id, now=clock.now(),
                             params={"chat_id": user.id, "message_id": {"$ref": "card"}, "text": "card v2"})
        await outbox.enqueue(conn, method="sendMessage", chat_id=user.id, now=clock.now(),
                             params={"chat_id": user.id, "text": "reply",
                                     "reply_parameters": {"message_id": {"$ref": "card"}}})
    assert await sender.drain(timeout=30)
    card, reply = [m for m in await sb.messages(user) if m.from_bot]
    assert card.text == "card v2" and card.edits == 1
    assert reply.reply_to == card.id


async def test_rows_interrupted_by_a_crash_are_sent_again(rig):
    server, sb, db, clock, sender = rig
    user = await sb.user("A")
    await sb.send(user, "/start")
    await _queue(db, clock, user.id, ["was in flight"])
    async with db.transaction() as conn:
        row_id = (await outbox.due(conn, clock.now(), 1))[0].id
        await outbox.mark_sending(conn, [row_id])  # as if the process died during the HTTP call
    assert await sender.recover() == 1
    assert await sender.drain(timeout=30)
    assert [m.text for m in await sb.messages(user) if m.from_bot] == ["was in flight"]
    await asyncio.sleep(0)


async def test_a_new_leaders_sender_counts_what_the_last_one_sent_this_second(tmp_path, framework):
    """A leader dies after a second's worth of messages; the next leader's sender, started at once
    on the same outbox, waits for that second to pass instead of sending a second's worth on top
    (Telegram's real limits here: 30 messages in a few milliseconds fill the second)."""
    server = SandboxServer(limits=Limits())
    base = await server.start()
    api = make_api(framework, TOKEN, base)
    await api.start()
    db = Database(str(tmp_path / "handover.db"))
    await db.ensure_schema()
    sb = SandboxClient(base, TOKEN)
    clock = Clock()
    try:
        users = [await sb.user(f"U{i}") for i in range(30)]
        for user in users:
            await sb.send(user, "/start")
            await _queue(db, clock, user.id, [f"{user.id}-first"])
        assert await Sender(db, api, clock).drain(timeout=30)
        for user in users:
            await _queue(db, clock, user.id, [f"{user.id}-second"])
        successor = Sender(db, api, clock)
        await successor.recover()
        assert await successor.drain(timeout=30)
        assert (await sb.stats())["rate_limited"] == 0
        assert successor.stats.sent == 30
    finally:
        await sb.close()
        await api.close()
        await db.close()
        await server.stop()


async def test_answered_rows_are_marked_sent_together_by_the_next_look(rig):
    """One transaction per sent batch: the rows answered since the last look are marked sent by
    the next look, in its own transaction; until then they stay 'sending' (a crash would send them
    again) and their chat's next row waits."""
    server, sb, db, clock, sender = rig
    users = [await sb.user(f"B{i}") for i in range(5)]
    for user in users:
        await sb.send(user, "/start")
        await _queue(db, clock, user.id, ["first", "second"])
    await sender.step()  # claims each chat's first row
    await asyncio.gather(*sender._in_flight.values())  # every one answered
    assert [status for _, status, _ in await _statuses(db)] == ["sending", "pending"] * 5
    commits: list[int] = []

    def committed(_conn) -> None:
        commits.append(1)
    event.listen(db.engine.sync_engine, "commit", committed)
    await sender.step()
    event.remove(db.engine.sync_engine, "commit", committed)
    assert len(commits) == 1  # the five marks, and the look at what is due now, in one transaction
    assert [status for _, status, _ in await _statuses(db)][::2] == ["sent"] * 5
    assert await sender.drain(timeout=30)
    assert {status for _, status, _ in await _statuses(db)} == {"sent"}
    for user in users:
        assert [m.text for m in await sb.messages(user) if m.from_bot] == ["first", "second"]


async def test_a_row_waiting_behind_the_one_being_sent_is_looked_for_once_that_is_answered(rig):
    """The outbox shows one row per chat; the look that starts a chat's first row knows a second
    waits behind it, so the answer to the first brings a look at once (not the idle wait's)."""
    server, sb, db, clock, sender = rig
    alone, followed = await sb.user("Alone"), await sb.user("Followed")
    for user in (alone, followed):
        await sb.send(user, "/start")
    await _queue(db, clock, alone.id, ["only"])
    async with db.read() as conn:
        assert [row.followed for row in await outbox.due(conn, clock.now(), 10)] == [False]
    await sender.step()
    assert not sender._left_behind  # nothing else to send: the answer needs no look
    await asyncio.gather(*sender._in_flight.values())
    await _queue(db, clock, followed.id, ["first", "second"])
    async with db.read() as conn:
        assert [(row.chat_id, row.followed) for row in await outbox.due(conn, clock.now(), 10)] == \
            [(followed.id, True)]
    await sender.step()
    assert sender._left_behind  # "second" is due once "first" is sent: its answer brings a look


async def test_a_chats_backlog_does_not_delay_another_chats_message(rig):
    """A stranger's flood of refusals, a digest to one chat: 300 rows of one chat wait at its
    pace (1/s), while another chat's single later row goes out at once, not after them."""
    server, sb, db, clock, sender = rig
    flooded, other = await sb.user("Flooded"), await sb.user("Other")
    for user in (flooded, other):
        await sb.send(user, "/start")
    await _queue(db, clock, flooded.id, [f"backlog {i}" for i in range(300)])
    await _queue(db, clock, other.id, ["not behind the backlog"])
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))
    await sb.wait_for(other, "not behind the backlog", timeout=60)
    stop.set()
    await running
    order = [call["params"]["text"] for call in await sb.calls("sendMessage")]
    assert order.index("not behind the backlog") <= 2, order[:5]  # before the backlog's third row
    backlog = [text for text in order if text.startswith("backlog")]
    assert backlog == [f"backlog {i}" for i in range(len(backlog))]  # the chat's own order is kept


async def test_paid_broadcast_sends_bulk_rows_with_allow_paid_broadcast_and_answers_stay_unpaid(rig):
    server, sb, db, clock, unpaid = rig
    users = [await sb.user(f"P{i}") for i in range(40)]
    for user in users:
        await sb.send(user, "/start")
    sender = Sender(db, unpaid.api, clock, per_second=30 * SCALE, per_chat_per_second=SCALE,
                    per_group_per_minute=20 * SCALE, paid_broadcast=True, paid_per_second=1000 * SCALE)
    async with db.transaction() as conn:
        for user in users:
            await outbox.enqueue(conn, method="sendMessage", params={"chat_id": user.id, "text": "digest"},
                                 chat_id=user.id, now=clock.now(), priority=outbox.BULK)
        await outbox.enqueue(conn, method="sendMessage", params={"chat_id": users[0].id, "text": "an answer"},
                             chat_id=users[0].id, now=clock.now())
    assert await sender.drain(timeout=60)
    calls = {(int(c["params"]["chat_id"]), c["params"]["text"]): c["params"] for c in await sb.calls("sendMessage")}
    assert all(calls[(u.id, "digest")].get("allow_paid_broadcast") in (True, "true") for u in users)
    assert "allow_paid_broadcast" not in calls[(users[0].id, "an answer")]
    stats = await sb.stats()
    assert stats["paid_broadcasts"] == 40 and stats["rate_limited"] == 0
