"""What the queues say about the loops that drain them: read by /healthz and `linkage status`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import outbox as outbox_store
from storage.schema import inbox, outbox, timers


@dataclass
class QueueState:
    inbox: dict[str, int]  # status -> count (new, done, failed = parked)
    outbox: dict[str, int]
    oldest_new_update: datetime | None  # received_at of the oldest update not yet handled
    oldest_due_message: datetime | None  # not_before of the oldest pending message (or draft) already due
    dispatcher_stalled: str | None  # why, or None
    sender_stalled: str | None

    def as_dict(self, now: datetime) -> dict:
        return {"inbox": self.inbox, "outbox": self.outbox, "parked_updates": self.inbox.get("failed", 0),
                "oldest_new_update_seconds": _age(self.oldest_new_update, now),
                "oldest_due_message_seconds": _age(self.oldest_due_message, now)}


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else round((now - moment).total_seconds(), 1)


async def queue_state(conn: AsyncConnection, now: datetime, *, dispatcher_stall: float,
                      sender_stall: float) -> QueueState:
    """Counts, the oldest waiting update and due message, and whether the dispatcher (sender)
    is stalled: work older than its stall seconds and nothing handled (sent) for as long."""
    inbox_counts = dict((await conn.execute(select(inbox.c.status, func.count()).group_by(inbox.c.status))).all())
    oldest_new = (await conn.execute(select(func.min(inbox.c.received_at))
                                     .where(inbox.c.status == "new"))).scalar_one()
    waiting = outbox.c.status.in_(("pending", outbox_store.DRAFT))  # a draft: a message to write, then send
    oldest_due = (await conn.execute(select(func.min(outbox.c.not_before))
                                     .where(waiting, outbox.c.not_before <= now))).scalar_one()
    dispatcher_stalled = sender_stalled = None
    # the "nothing finished recently" look-ups scan, so they run only when work is already old
    since = now - timedelta(seconds=dispatcher_stall)
    if oldest_new is not None and oldest_new < since and not (await conn.execute(
            select(exists().where(inbox.c.handled_at >= since)))).scalar_one():
        dispatcher_stalled = f"an update has waited more than {dispatcher_stall:.0f} s and none was handled"
    since = now - timedelta(seconds=sender_stall)
    if oldest_due is not None and oldest_due < since and not (await conn.execute(
            select(exists().where(outbox.c.sent_at >= since)))).scalar_one():
        sender_stalled = f"a message has been due for more than {sender_stall:.0f} s and none was sent"
    return QueueState(inbox_counts, await outbox_store.counts(conn), oldest_new, oldest_due,
                      dispatcher_stalled, sender_stalled)


async def metric_counts(conn: AsyncConnection, now: datetime, *, late_seconds: float) -> dict:
    """For /metrics: the outbox and inbox by state, and the timers due now and those late."""
    due = select(func.count()).select_from(timers).where(timers.c.status == "pending", timers.c.due_at <= now)
    late = due.where(timers.c.due_at <= now - timedelta(seconds=late_seconds))
    return {"outbox": await outbox_store.counts(conn),
            "inbox": dict((await conn.execute(select(inbox.c.status, func.count()).group_by(inbox.c.status))).all()),
            "timers_due": (await conn.execute(due)).scalar_one(), "timers_late": (await conn.execute(late)).scalar_one()}
