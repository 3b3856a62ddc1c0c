"""Content hygiene: what reaches the log, what a member's text may contain, what cards show."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot import logs
from handlers.office.roster import ROSTER_COLUMNS, read_roster_file
from handlers.core.cells import write_table
from handlers.core.i18n import translator
from tests.conftest import TOKEN

zh = translator("zh")
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


INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\ufe0f \u3000"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.mark.tier("fast")  # the handlers' text hygiene; the log test above stays on HTTP (the adapters log)
async def test_invisible_text_is_no_text_and_bidi_controls_never_reach_a_card(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    member = pilot.city
    await world.start_city_report(member)
    await sb.send(member, INVISIBLE)
    refusal = await sb.wait_for(member, None, 30)
    assert refusal.text == zh("This step needs some text. Please type it, or /cancel to stop.")
    assert (await stack.row("conversations", user_id=member.id)).step == "observation"
    await sb.send(member, "/cancel")

    code = await world.submit(member, topic="smart_parking", area="city", observation="\u202e停车难\u202c。",
                              analysis="\u2067原因\u2069", suggestion="建议\u202d共享\u202c")
    card = await world.card(pilot.topic_group, code)
    assert "停车难。" in card.text and "原因" in card.text and "建议共享" in card.text
    assert not any(char in card.text for char in BIDI)
    preview = next(m for m in await sb.messages(member) if "s:preview:submit" in m.button_data.values())
    assert not any(char in preview.text for char in BIDI)


def test_roster_names_lose_bidi_controls_on_import(tmp_path):
    path = tmp_path / "roster.csv"
    write_table(path, list(ROSTER_COLUMNS), [["C9", "\u202e王晓明\u202c", "city", "", "", "", "", "", "", ""]])
    assert read_roster_file(path)[0]["name"] == "王晓明"
