"""The per-process cache of reference data (storage/cache.py): a change made through the office's
operations is seen by the next update in this process, and by the next transaction of another
Database object (another process) on the same database; a change rolled back is never seen."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from seeds.loader import SEED_DIR, load_seeds
from storage import reference
from storage import targets as target_store
from storage.db import Database
from tests.conftest import fresh_postgres_database

STACK_TIER = "fast"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
TIMEOUT = 30
RENAMED = "智慧停车管理"


def renamed_seeds(tmp_path: Path) -> Path:
    """The seeds with the topic smart_parking renamed, as the office edits seeds/topics.yaml."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, seeds)
    topics = seeds / "topics.yaml"
    text = topics.read_text(encoding="utf-8")
    assert "name_zh: 智慧停车," in text
    topics.write_text(text.replace("name_zh: 智慧停车,", f"name_zh: {RENAMED},"), encoding="utf-8")
    return seeds


async def topic_buttons(stack, chat) -> list[str]:
    """The transport domain's topic screen of the submit flow, as the member sees it."""
    sb, world = stack.sb, stack.world
    await sb.send(chat, "/submit")
    await sb.wait_for(chat, lambda m: any(d.startswith("s:domain:") for d in m.button_data.values()), TIMEOUT)
    await world.step(chat, "s:domain", "transport")
    screen = await sb.wait_for(chat, lambda m: any(d.startswith("s:topic:") for d in m.button_data.values()),
                               TIMEOUT)
    await sb.send(chat, "/cancel")
    return list(screen.button_data)


async def test_a_renamed_topic_is_shown_by_the_next_update(stack, tmp_path):
    pilot = await stack.pilot()
    assert "智慧停车" in await topic_buttons(stack, pilot.city)  # read, and cached
    await load_seeds(stack.app.db, stack.app.clock.now(), roster=False, seed_dir=renamed_seeds(tmp_path))
    buttons = await topic_buttons(stack, pilot.city)
    assert RENAMED in buttons and "智慧停车" not in buttons


@pytest.fixture(params=["sqlite", "postgresql"])
async def two_processes(request, tmp_path):
    """Two Database objects on one database, as two processes have."""
    if request.param == "sqlite":
        url = str(tmp_path / "one.db")
        yield await _pair(url)
        return
    async with fresh_postgres_database() as url:
        yield await _pair(url)


async def _pair(url: str) -> tuple[Database, Database]:
    first = Database(url)
    await first.ensure_schema()
    await load_seeds(first, NOW, roster=False)
    return first, Database(url)


async def test_a_change_by_another_process_is_seen_by_the_next_transaction(two_processes, tmp_path):
    here, there = two_processes
    try:
        async with here.read() as conn:
            assert (await reference.topic(conn, "smart_parking")).name_zh == "智慧停车"
            office = await target_store.office(conn)
            assert await target_store.by_chat(conn, -1005, None) is None
        await load_seeds(there, NOW, roster=False, seed_dir=renamed_seeds(tmp_path))
        async with there.transaction() as conn:
            key = await target_store.create_bind_key(conn, office.id, NOW, hours=1)
            assert await target_store.bind(conn, key, -1005, None, NOW) == office.id
        async with here.read() as conn:
            assert (await reference.topic(conn, "smart_parking")).name_zh == RENAMED
            assert (await target_store.by_chat(conn, -1005, None)).id == office.id
    finally:
        await there.close()
        await here.close()


async def test_a_change_rolled_back_is_never_seen(two_processes):
    here, there = two_processes
    try:
        async with here.transaction() as conn:
            office = await target_store.office(conn)
            key = await target_store.create_bind_key(conn, office.id, NOW, hours=1)
        with pytest.raises(RuntimeError):
            async with here.transaction() as conn:
                assert await target_store.bind(conn, key, -1006, None, NOW + timedelta(minutes=1)) == office.id
                assert (await target_store.by_chat(conn, -1006, None)).id == office.id  # seen inside
                raise RuntimeError("the handler failed after the bind")
        for db in (here, there):
            async with db.read() as conn:
                assert await target_store.by_chat(conn, -1006, None) is None
    finally:
        await there.close()
        await here.close()
