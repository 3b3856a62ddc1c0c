"""Quiet hours: bulk messages (here a notice and its reminder) queued inside the window wait until
it ends; outside it they go at once; an answer to a member is never held. The window is set
relative to the real time the test runs (CI runs at any hour), never to a fixed hour."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from handlers.core import audience
from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.core.localtime import local, quiet_until
from handlers.features import REGISTRY
from handlers.notices.notices import send_notice
from storage import outbox
from storage.schema import outbox as outbox_table
from tests.conftest import close_stack, open_stack, stack_settings
from tests.test_notices import notice_message

STACK_TIER = "fast"
zh = translator("zh")
TIMEOUT = 30


def window(start: datetime, end: datetime) -> str:
    return f"{local(start):%H:%M}-{local(end):%H:%M}"


@pytest.fixture
async def quiet_stack(sandbox, tmp_path, framework, request, seeded_sqlite):
    """Quiet from an hour from now for four hours: the notice goes now, its reminder falls inside."""
    now = datetime.now(timezone.utc)
    settings = stack_settings(tmp_path, sandbox, framework, request,
                              quiet_hours=window(now + timedelta(hours=1), now + timedelta(hours=5)))
    stack = await open_stack(sandbox, settings, seeded=seeded_sqlite)
    yield stack
    await close_stack(stack)


def test_the_window_may_span_midnight():
    shanghai = timezone(timedelta(hours=8))
    evening = datetime(2026, 12, 2, 22, 15, tzinfo=shanghai)
    assert quiet_until(evening, "21:00-08:00") == datetime(2026, 12, 3, 8, 0, tzinfo=shanghai)
    assert quiet_until(evening.replace(hour=3), "21:00-08:00") == datetime(2026, 12, 2, 8, 0, tzinfo=shanghai)
    assert quiet_until(evening.replace(hour=12), "21:00-08:00") is None
    assert quiet_until(evening.replace(hour=8, minute=0), "21:00-08:00") is None  # the end is not quiet
    assert quiet_until(evening.replace(hour=12), "12:00-13:30") == evening.replace(hour=13, minute=30)
    assert quiet_until(evening, "") is None


async def test_a_reminder_due_in_quiet_hours_waits_for_the_morning_and_answers_do_not(quiet_stack):
    stack = quiet_stack
    pilot = await stack.pilot()
    sb, app = stack.sb, stack.app
    async with app.db.transaction() as conn:  # outside the window: the notice goes at once
        ctx = Ctx.offline(conn, app.clock.now(), app.dispatcher.config, REGISTRY)
        notice_id, _ = await send_notice(ctx, title="十二月委员学习", body="请准时参加。",
                                         spec=audience.parse("list:C001,H001"), sender_id=None, remind_after_hours=2)
    app.sender.wake.set()
    await stack.settle()
    assert notice_message(await sb.messages(pilot.city), notice_id) is not None

    app.clock.advance(timedelta(hours=2, minutes=1))  # the reminder falls due inside the quiet hours
    await app.scheduler.fire_due()
    assert (await stack.row("timers", key=f"notice:{notice_id}:remind")).status == "done"
    held = [r for r in await _pending(stack) if r.chat_id == pilot.city.id]
    end = quiet_until(app.clock.now(), app.dispatcher.config.quiet_hours)
    assert end is not None and [r.not_before for r in held] == [end]

    await sb.send(pilot.city, "/help")  # the member's own chat: the answer goes past the held reminder
    await sb.wait_for(pilot.city, "/submit", TIMEOUT)
    assert notice_message(await sb.messages(pilot.city), notice_id, reminder=True) is None

    app.clock.advance(end - app.clock.now() + timedelta(minutes=1))  # the morning
    app.sender.wake.set()
    await stack.settle()
    assert notice_message(await sb.messages(pilot.city), notice_id, reminder=True) is not None


async def _pending(stack) -> list:
    """The whole rows the sender would take by tomorrow."""
    async with stack.app.db.read() as conn:
        ids = [r.id for r in await outbox.due(conn, stack.app.clock.now() + timedelta(days=1), 1000)]
        return list(await conn.execute(select(outbox_table).where(outbox_table.c.id.in_(ids)).order_by(outbox_table.c.id)))
