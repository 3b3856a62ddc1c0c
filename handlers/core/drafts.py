"""Messages decided now and written just before they are sent: *drafts*.

A digest to 100,000 members fires once, but Telegram lets the bot deliver it at 30 messages a
second — almost an hour. Rendering every text when it fires would cost minutes of work in one go
and gigabytes of texts waiting in the outbox, all of them older by the time the last one leaves.
So a job queues a draft per recipient instead — an outbox row with status 'draft' whose params name
the writer and what it needs, ``{"draft": name, ...}``, written set-based (storage/digests.py
``queue_drafts``) — and the sender, whenever fewer than a few seconds of messages wait, has the
next drafts written: ``prepare`` in a read-only snapshot (what they share, read once per process),
then ``write`` in a short transaction. A feature declares its writers in ``Feature.drafts``
(``DraftWriter``). It is the mail queue's way with digests: each recipient's is rendered by the
job that delivers it.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from handlers.core.context import Ctx
from storage import outbox

log = logging.getLogger("linkage.drafts")


def _by_writer(rows: list) -> dict[str, list]:
    found: dict[str, list] = defaultdict(list)
    for row in rows:
        found[row.params.get("draft", "")].append(row)
    return found


async def prepare(ctx: Ctx, limit: int) -> None:
    """Let the writers of the next ``limit`` drafts read what those share (in a snapshot)."""
    for name, drafts in _by_writer(await outbox.drafts(ctx.conn, ctx.now, limit)).items():
        writer = ctx.features.drafts.get(name)
        if writer is not None and writer.prepare is not None:
            await writer.prepare(ctx, drafts)


async def write(ctx: Ctx, limit: int) -> int:
    """Write up to ``limit`` due drafts, oldest first, in the caller's transaction; returns how many."""
    rows = await outbox.drafts(ctx.conn, ctx.now, limit, claim=True)
    for name, drafts in _by_writer(rows).items():
        writer = ctx.features.drafts.get(name)
        if writer is None:  # a writer that no feature declares any more: the drafts cannot be written
            log.error("no writer for drafts", extra={"draft": name, "rows": len(drafts)})
            written = {}
        else:
            written = await writer.write(ctx, drafts)
        await outbox.fill_drafts(ctx.conn, [(row, written.get(row.id)) for row in drafts], ctx.now)
    return len(rows)
