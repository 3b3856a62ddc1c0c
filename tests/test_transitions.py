"""An item changes only by the moves its states allow (storage/items.py), through one function
(handlers/reports/transitions.py) that writes the item, its event and tells the features that listen."""

from __future__ import annotations

import pytest

from bot.clock import Clock
from handlers.core.context import Ctx, HandlerConfig
from handlers.core.feature import Feature, Registry
from handlers.features import FEATURES
from handlers.reports import transitions
from seeds.loader import load_seeds
from storage import items as item_store
from storage import people
from storage.db import Database


def test_closed_is_the_end_closing_needs_an_outcome_and_withdrawing_is_open_until_then():
    every_state = (*item_store.OPEN, *item_store.RESOLVED, *item_store.CLOSED)
    for state in every_state:
        assert item_store.may_move(state, "withdrawn") == (state not in item_store.CLOSED), state
        assert item_store.may_move(state, "closed") == (state in item_store.RESOLVED), state
    assert all(item_store.may_move(state, "claimed") for state in item_store.WAITING)
    assert not item_store.may_move("submitted", "claimed")  # routed first
    assert {to for moves in item_store.MOVES.values() for to in moves} <= set(every_state)


async def test_a_move_the_state_does_not_allow_is_refused_and_changes_nothing(tmp_path):
    db = Database(str(tmp_path / "moves.db"))
    await db.ensure_schema()
    clock = Clock()
    await load_seeds(db, clock.now())
    heard = []

    async def listener(ctx, item_id):
        heard.append(item_id)

    listening = Registry([*FEATURES, Feature("listener", on_item_moved=[listener])])
    try:
        async with db.transaction() as conn:
            author = await people.by_roster_id(conn, "C001")
            item_id = await item_store.create(
                conn, files=[], code="SQ-2026-09999", author_id=author.id, topic_code="smart_parking",
                area="city", observation="情况", suggestion="建议", privacy="named", status="submitted",
                level="city", created_at=clock.now(), updated_at=clock.now())
            ctx = Ctx.offline(conn, clock.now(), HandlerConfig(), listening)
            item = await item_store.by_id(conn, item_id)
            with pytest.raises(ValueError, match="cannot move from submitted to claimed"):
                await transitions.move(ctx, item, "claimed", "claimed", actor_id=None)
            assert await item_store.events(conn, item_id) == [] and heard == []

            await transitions.move(ctx, item, "withdrawn", "withdrawn", actor_id=author.id, closed_at=ctx.now)
            item = await item_store.by_id(conn, item_id)
            [event] = await item_store.events(conn, item_id)
    finally:
        await db.close()
    assert (item.status, item.closed_at is not None) == ("withdrawn", True)
    assert (event.kind, event.status_from, event.status_to, event.actor_id) == \
        ("withdrawn", "submitted", "withdrawn", author.id)
    assert heard == [item_id]
