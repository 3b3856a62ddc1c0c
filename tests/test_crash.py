"""The crash test: SIGKILL the bot process in the middle of a burst of 60 submissions from 20
members (the sandbox injecting 429s and 5xx), restart it: every submission is stored exactly
once, every receipt and routed card is delivered; duplicates happen only for rows that were
mid-send at the kill, and are counted and printed.

The sandbox Bot API server runs in the test process; the bot runs as a separate process
(``python -m bot.cli run``) on its own SQLite file, which the test also reads (WAL + busy timeout).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from bot.bench.process import BotProcess  # `linkage run` in a child process: started, killed, restarted
from bot.clock import Clock
from bot.demo.scenario import World
from bot.sandbox import Fault, Limits, SandboxClient, SandboxServer
from handlers.office.roster import import_roster
from seeds.loader import load_seeds
from storage import outbox as outbox_store
from storage.db import Database
from storage.schema import inbox, items, members, outbox

TOKEN = "6100000002:crash-test-token"
# Telegram's allowances times thirty, in the sandbox and in the bot alike: what is proven here is
# recovery, not pace (test_sender and test_limits prove the pace), and a scripted member's flow
# waits on its chat's pace at every step.
SCALE = 30
MEMBERS = 20
# 20 members at once keep rows in flight at any moment; the burst's length is the bot process's
# CPU (each submission is a dozen updates and messages), so three each rather than six
PER_MEMBER = 3
KILL_AFTER_ITEMS = 25  # SIGKILL once this many submissions are stored (of 60)
TOPICS = ["smart_parking", "smart_elderly_care", "smart_transport", "smart_water", "healthcare"]
# fictional members, imported on top of the sample roster
NAMES = ["林一帆", "高晓岚", "郭明远", "罗佳怡", "梁思成", "宋雨桐", "唐志飞", "韩若曦", "冯子健", "曹欣悦",
         "彭浩然", "曾静雯", "萧云山", "田野青", "董书瑶", "袁博涛", "潘晓月", "蒋一鸣", "蔡文静", "余天宇"]
SECTORS = ["economics", "medicine_health", "science_technology", "social_welfare", "culture_arts"]
CODE = re.compile(r"SQ-\d{4}-\d{5}")
DEADLINE = 240  # seconds for the whole burst, kill and restart included (a guard: ~30 s normally)


def bot_env(base_url: str, tmp_path, framework: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKAGE_")}
    env.update(LINKAGE_FRAMEWORK=framework, LINKAGE_BOT_TOKEN=TOKEN, LINKAGE_API_BASE=base_url, LINKAGE_DATABASE=str(tmp_path / "linkage.db"),
               LINKAGE_POLL_TIMEOUT="1", LINKAGE_LOG_FILE=str(tmp_path / "linkage.log"), LINKAGE_QUIET_HOURS="",
               LINKAGE_RATE_GLOBAL_PER_SECOND=str(30 * SCALE), LINKAGE_RATE_PER_CHAT_PER_SECOND=str(1 * SCALE),
               LINKAGE_RATE_PER_GROUP_PER_MINUTE=str(20 * SCALE), PYTHONUNBUFFERED="1",
               LINKAGE_USER_MESSAGES_PER_MINUTE=str(20 * SCALE))  # scripted members are faster than people
    return env


async def outbox_counts(db: Database) -> dict[str, int]:
    async with db.read() as conn:
        return await outbox_store.counts(conn)


async def item_count(db: Database) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(items))).scalar_one()


@pytest.mark.long
async def test_sigkill_mid_burst_loses_nothing_and_duplicates_only_what_was_mid_send(tmp_path, capsys, framework):
    started = time.monotonic()
    server = SandboxServer(limits=Limits(scale=SCALE))
    await server.start()
    clock = Clock()
    db = Database(str(tmp_path / "linkage.db"))
    await db.ensure_schema()
    await load_seeds(db, clock.now())
    roster = [{"roster_id": f"T{i + 1:03}", "name": name, "level": "city", "sector": SECTORS[i % len(SECTORS)],
               "role": "member", "language": "zh"} for i, name in enumerate(NAMES)]
    async with db.transaction() as conn:
        report = await import_roster(conn, roster, clock.now())
    assert report.ok, report.lines()

    bot = BotProcess(bot_env(server.base_url, tmp_path, framework), tmp_path)
    clients: list[SandboxClient] = []
    kill_task: asyncio.Task | None = None
    try:
        await bot.start(bot.logged_start, timeout=120)
        sb = SandboxClient(server.base_url, TOKEN)
        clients.append(sb)
        office_world = World(sb, db, clock.now)
        office = await office_world.join("O001", "何欣然")
        groups = {}
        for topic in TOPICS:
            groups[topic] = await office_world.bound_group(f"topic:{topic}", "topic", f"主题议政群 {topic}", office,
                                                           topic=topic)

        worlds: list[World] = []
        for _ in range(MEMBERS):
            client = SandboxClient(server.base_url, TOKEN)  # each member waits on their own cursor
            clients.append(client)
            worlds.append(World(client, db, clock.now))
        people = await asyncio.gather(*(w.join(r["roster_id"], r["name"]) for w, r in zip(worlds, roster)))
        joined_at = time.monotonic()

        # a 429 pauses the whole sender for retry_after (1 s, Telegram's least): a dozen make the point
        await sb.faults(Fault("429", method="sendMessage", rate=0.005, retry_after=1),
                        Fault("500", method="sendMessage", rate=0.02),
                        Fault("502", method="sendMessage", rate=0.02), seed=20240611)

        codes: dict[str, list[str]] = {r["roster_id"]: [] for r in roster}

        async def member_burst(index: int) -> None:
            roster_id = roster[index]["roster_id"]
            for j in range(PER_MEMBER):
                code = await worlds[index].submit(
                    people[index], topic=TOPICS[(index + j) % len(TOPICS)], area="city",
                    observation=f"{roster_id} 第{j + 1}条：老旧小区夜间停车难，道路拥堵（编号 {index}-{j}）。",
                    suggestion=f"{roster_id} 第{j + 1}条建议：推行错时共享停车。")
                codes[roster_id].append(code)

        mid_send: dict[int, str] | None = None  # outbox id -> method of the rows caught 'sending'
        kill_gap = 0.0

        async def killer() -> None:
            nonlocal mid_send, kill_gap
            while await item_count(db) < KILL_AFTER_ITEMS:
                await asyncio.sleep(0.05)
            await bot.kill()
            killed = time.monotonic()
            async with db.read() as conn:
                mid_send = dict((await conn.execute(select(outbox.c.id, outbox.c.method)
                                                    .where(outbox.c.status == "sending"))).all())
            await asyncio.sleep(1.0)  # members keep pressing while the bot is down
            await bot.start(bot.logged_start, timeout=120)
            kill_gap = time.monotonic() - killed

        burst_start = time.monotonic()
        kill_task = asyncio.create_task(killer())
        await asyncio.wait_for(asyncio.gather(*(member_burst(i) for i in range(MEMBERS))), DEADLINE)
        await asyncio.wait_for(kill_task, 10)  # the kill happened during the burst, not after it
        burst = time.monotonic() - burst_start

        deadline = time.monotonic() + 60
        while True:  # every message out: nothing pending, nothing in flight
            counts = await outbox_counts(db)
            if not counts.get("pending") and not counts.get("sending"):
                break
            assert time.monotonic() < deadline, f"the outbox did not empty: {counts}"
            await asyncio.sleep(0.2)
        stats = await sb.stats()
        fired = Counter(f["kind"] for f in await sb.fired_faults())
        await sb.clear_faults()
        assert fired["429"] and fired["500"] and fired["502"], f"the faults did not all fire: {fired}"

        # every submission stored exactly once
        async with db.read() as conn:
            stored = (await conn.execute(select(items.c.code, items.c.source_key, items.c.status, items.c.topic_code,
                                                members.c.roster_id).join(members, items.c.author_id == members.c.id)
                                         )).all()
            sent_rows = (await conn.execute(select(outbox.c.id).where(
                outbox.c.status == "sent", outbox.c.method.like("send%")))).all()
            updates = Counter((await conn.execute(select(inbox.c.status))).scalars())
            lost = (await conn.execute(select(outbox.c.id, outbox.c.method, outbox.c.chat_id, outbox.c.status,
                                              outbox.c.attempts, outbox.c.error, outbox.c.params).where(
                outbox.c.status.not_in(("sent", "pending", "sending"))))).all()
        assert mid_send is not None
        sending_at_kill = len(mid_send)
        # A re-sent answerCallbackQuery whose first call did reach Telegram is refused (a query is
        # answered once): the member already got the answer, and the sender files it as expired.
        # Any other row that is not sent is a lost message.
        refused_resends = [r for r in lost if r.id in mid_send and r.status == "expired"]
        assert not [r for r in lost if r not in refused_resends], f"messages not delivered: {lost}"
        assert set(updates) == {"done"}, f"updates not handled: {updates}"  # none parked, none left
        assert len(stored) == MEMBERS * PER_MEMBER
        assert len({r.source_key for r in stored}) == len(stored)
        assert len({r.code for r in stored}) == len(stored)
        assert all(r.status == "routed" for r in stored)
        by_member = Counter(r.roster_id for r in stored)
        assert by_member == {r["roster_id"]: PER_MEMBER for r in roster}
        assert {r.code for r in stored} == {c for cs in codes.values() for c in cs}
        for roster_id, own in codes.items():
            assert sorted(own) == sorted(r.code for r in stored if r.roster_id == roster_id)

        # every receipt and every card delivered; duplicates counted
        duplicates = Counter()
        receipts = cards = bot_messages = 0
        for roster_id, user in zip(codes, people):
            mine = [m for m in await sb.messages(user) if m.from_bot]
            bot_messages += len(mine)
            # receipts only: the similar-reports step also names other members' codes
            texts = Counter(m.text for m in mine if (m.text or "").startswith("✅") and CODE.search(m.text))
            receipts += len(texts)
            duplicates["receipt"] += sum(n - 1 for n in texts.values())
            got = {c for text in texts for c in CODE.findall(text)}
            assert got == set(codes[roster_id]), f"{roster_id}: receipts {sorted(got)} != {sorted(codes[roster_id])}"
        bot_messages += len([m for m in await sb.messages(office) if m.from_bot])
        for topic, group in groups.items():
            mine = [m for m in await sb.messages(group.chat) if m.from_bot]
            bot_messages += len(mine)
            texts = Counter(m.text for m in mine if (m.text or "").startswith("📋 "))
            cards += len(texts)
            duplicates["card"] += sum(n - 1 for n in texts.values())
            shown = {text.split()[1].split("「")[0] for text in texts}  # 📋 SQ-2026-00012「title」 · topic
            assert shown == {r.code for r in stored if r.topic_code == topic}, f"cards missing in {topic}"
        assert receipts == cards == MEMBERS * PER_MEMBER
        # every bot message is an outbox row sent once, or a re-send of a row caught mid-send
        all_duplicates = bot_messages - len(sent_rows)
        assert duplicates["receipt"] + duplicates["card"] <= all_duplicates <= sending_at_kill

        duration = time.monotonic() - started
        line = (f"CRASH TEST: {len(stored)} submissions from {MEMBERS} members stored once, "
                f"{receipts} receipts, {cards} cards; {sending_at_kill} rows mid-send at the kill "
                f"({', '.join(f'{n} {m}' for m, n in Counter(mid_send.values()).items()) or 'none'}), "
                f"duplicates: {duplicates['receipt']} receipts + {duplicates['card']} cards "
                f"({all_duplicates} messages of any kind, {len(refused_resends)} answerCallbackQuery re-sends "
                f"refused as already answered); faults injected: {fired.get('429', 0)}×429, "
                f"{fired.get('500', 0)}×500, {fired.get('502', 0)}×502 (sandbox answered "
                f"{stats['responses']}); bot down {kill_gap:.1f} s; burst {burst:.1f} s, "
                f"setup {joined_at - started:.1f} s, total {duration:.1f} s")
        with capsys.disabled():
            print("\n" + line)
    finally:
        if kill_task is not None and not kill_task.done():
            kill_task.cancel()
        await bot.stop()
        for client in clients:
            await client.close()
        await db.close()
        await server.stop()
