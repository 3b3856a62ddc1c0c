"""The core flow on PostgreSQL (the scale-out store), end to end through the whole bot. Storage is
what varies here, not the framework: the stack tests run once, on the fast tier (the same flows
over HTTP through both frameworks are test_core_flow's, on SQLite)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from handlers.features import REGISTRY
from handlers.office.keys import make_bind_key
from handlers.members import onboarding
from handlers.core.context import Ctx, HandlerConfig
from handlers.core.events import Event
from seeds.loader import load_seeds
from storage import people
from storage import targets as target_store
from storage.schema import inbox, outbox
from tests import test_core_flow
from tests.test_admin import NOW, db  # noqa: F401  (the fixture: a real SQLite file, a fresh PostgreSQL schema)

STACK_TIER = "fast"  # feature logic on another store: once, in-process (tests/fast.py)


async def test_report_routed_claimed_and_answered_on_postgres(pg_stack):
    await test_core_flow.test_liaison_claims_asks_replies_and_records_adopted_while_the_member_watches(pg_stack)


async def test_anonymous_street_report_on_postgres(pg_stack):
    await test_core_flow.test_anonymous_street_report_reaches_port_and_sub_port_without_the_name(pg_stack)


async def test_escalation_on_postgres(pg_stack):
    await test_core_flow.test_district_item_escalated_to_the_city_and_the_member_sees_the_reason(pg_stack)


# --- single use under concurrency, and ids from buttons within the column's range --------------

ATTEMPTS = 8  # concurrent transactions, each on its own pooled connection


async def _onboarding_attempt(db, code: str, user_id: int) -> list[dict]:
    """One /start CODE, handled in its own transaction exactly as the dispatcher would."""
    event = Event(update_id=user_id, kind="message", user_id=user_id, user_name="x", language_code="zh-hans",
                  chat_id=user_id, chat_type="private", text=f"/start {code}", command="start", command_args=code)
    async with db.transaction() as conn:
        ctx = Ctx(event=event, conn=conn, now=NOW, config=HandlerConfig(), features=REGISTRY)
        await onboarding.start(ctx)
        return ctx.sent


async def test_an_invite_is_redeemed_once_under_concurrent_attempts(db):
    await load_seeds(db, NOW)
    async with db.transaction() as conn:
        member = await people.by_roster_id(conn, "C002")
        code = await people.create_invite(conn, member.id, NOW, 14)
    await asyncio.gather(*(_onboarding_attempt(db, code, 7000 + n) for n in range(ATTEMPTS)))
    async with db.read() as conn:
        linked = (await people.by_id(conn, member.id)).telegram_user_id
        welcomes = [r for r in await conn.execute(select(outbox)) if "李静怡" in r.params["text"]]
    assert len(welcomes) == 1 and welcomes[0].chat_id == linked  # one winner, told so; the rest refused


async def test_a_bind_key_binds_once_under_concurrent_binds(db):
    await load_seeds(db, NOW)
    async with db.transaction() as conn:
        key = await make_bind_key(conn, "topic:smart_parking", "topic", NOW, hours=48, topic="smart_parking")

    async def bind(chat_id: int):
        async with db.transaction() as conn:
            return await target_store.bind(conn, key, chat_id, None, NOW)

    results = await asyncio.gather(*(bind(-1000 - n) for n in range(ATTEMPTS)))
    winners = [(-1000 - n) for n, result in enumerate(results) if result is not None]
    assert len(winners) == 1
    async with db.read() as conn:
        target = await target_store.by_id(conn, next(r for r in results if r is not None))
    assert target.chat_id == winners[0]


async def test_out_of_range_ids_in_forged_buttons_get_the_polite_answer_on_postgres(pg_stack):
    sb, world = pg_stack.sb, pg_stack.world
    member = await world.join("C002", "李静怡")
    welcome = (await sb.messages(member))[-1]
    too_big = "9999999999"  # fits the button data patterns, not an INTEGER column
    for forged in (f"m:withdraw:{too_big}", f"c:{too_big}:1:claim", f"c:1:{too_big}:claim",
                   f"l:fw:{too_big}:1:2", f"cs:y:{too_big}", f"st:a:{too_big}", f"st:p:{too_big}:1",
                   f"nr:{too_big}", "m:withdraw:0"):
        answer = await sb.callback_answer(await sb.press(member, welcome, data=forged, forge=True))
        assert answer["show_alert"] and answer["text"], forged
    await pg_stack.settle()
    assert await pg_stack.count("inbox", status="done") == await pg_stack.count("inbox")  # no handler failed
    async with pg_stack.app.db.read() as conn:
        assert not [r for r in await conn.execute(select(inbox)) if r.attempts]
