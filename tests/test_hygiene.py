"""Content hygiene: what reaches the log, what a member's text may contain, what cards show."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from bot import logs
from tests.conftest import TOKEN

SECRET_TEXT = "绝密观察内容X7Q"


async def test_debug_log_holds_neither_report_text_nor_token_even_after_a_database_error(stack):
    logs.setup("DEBUG", stack.app.settings.log_file)
    world = stack.world
    member = await world.join("C002", "李静怡")
    async with stack.app.db.transaction() as conn:  # the report's insert fails, with its parameters
        await conn.execute(text("CREATE TRIGGER refuse_items BEFORE INSERT ON items "
                                "BEGIN SELECT RAISE(ABORT, 'forced failure'); END"))
    await world.submit(member, topic="smart_parking", area="city", observation=SECRET_TEXT,
                       suggestion=SECRET_TEXT + "建议", receipt=False)
    while not await _failed_attempts(stack):
        await asyncio.sleep(0.1)
    await stack.settle()
    log = open(stack.app.settings.log_file, encoding="utf-8").read()
    assert "forced failure" in log  # the error was logged...
    assert SECRET_TEXT not in log and "李静怡" not in log  # ...without the member's words or name
    assert TOKEN not in log and TOKEN.split(":")[1] not in log


async def _failed_attempts(stack) -> int:
    async with stack.app.db.read() as conn:
        return (await conn.execute(text("SELECT count(*) FROM inbox WHERE attempts > 0"))).scalar_one()
