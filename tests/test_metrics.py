"""`linkage run`'s Prometheus metrics (LINKAGE_METRICS_PORT): served over HTTP in the exposition
format, and counting — updates handled, handling time, sends by result, the outbox by state, timers
due and late, the leader."""

from __future__ import annotations

import socket
from datetime import timedelta

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from storage import timers
from tests.conftest import close_stack, open_stack, stack_settings

STACK_TIER = "fast"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _scrape(port: int) -> dict[tuple[str, tuple], float]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200 and response.content_type == "text/plain"
            text = await response.text()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


async def test_metrics_count_what_the_bot_did_and_what_waits(sandbox, tmp_path, framework, request, seeded_sqlite):
    port = _free_port()
    stack = await open_stack(sandbox, stack_settings(tmp_path, sandbox, framework, request, metrics_port=port),
                             seeded=seeded_sqlite)
    try:
        before = await _scrape(port)
        assert before[("linkage_leader", ())] == 1  # on SQLite the one process leads
        assert before[("linkage_updates_total", (("result", "handled"),))] == 0
        member = await stack.world.join("C001", "王晓明")  # /start with an invite: updates handled, messages sent
        await stack.sb.send(member, "/help")
        await stack.sb.wait_for(member, "/submit", 30)
        await stack.settle()
        async with stack.app.db.transaction() as conn:  # a timer an hour overdue (the scheduler is not run)
            await timers.schedule(conn, "metrics-test", "no.such.kind", stack.app.clock.now() - timedelta(hours=1))
        after = await _scrape(port)
        handled = after[("linkage_updates_total", (("result", "handled"),))]
        assert handled >= 2 and after[("linkage_updates_total", (("result", "failed"),))] == 0
        assert after[("linkage_update_handling_seconds_count", ())] == handled
        assert after[("linkage_sends_total", (("result", "ok"),))] >= 2
        assert after[("linkage_outbox_rows", (("state", "sent"),))] >= 2
        assert after[("linkage_timers_due", ())] >= 1 and after[("linkage_timers_late", ())] >= 1
    finally:
        await close_stack(stack)
