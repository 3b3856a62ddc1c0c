"""Keeping no more than is needed (PRODUCT.md §12: minimal Telegram data, retention rules).

Every night at 03:30 Asia/Shanghai (timer ``retention:{date}``):

- raw updates in the inbox — names, texts and file ids exactly as Telegram sent them — are
  deleted once handled and older than ``retention_inbox_days`` (30). Telegram re-delivers an
  update for at most a day, so de-duplication needs only recent ones, and what a report holds
  lives in its own tables. Updates parked as failed stay for the office to look at.
- finished outbox rows older than ``retention_outbox_days`` (180) lose their params — the texts
  the bot sent, a /mydata file. The key and message id stay, so an old card can still be edited
  in place.
- wrong check-in codes older than a day are forgotten (they only cap guessing within an hour),
  and so are the inbound limits' counters (handlers/flood.py: a minute's or an hour's window).

It is a chunked job (handlers/core/scheduled.py): each transaction changes at most
``retention_chunk`` rows of each kind, found through an index of their age, so the first night
after a busy month holds the database, and the bot's loop, only briefly.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from handlers.core.context import Ctx
from handlers.core.localtime import local_at, local_day
from handlers.core.scheduled import Chunked
from storage import floods, inbox, outbox
from storage import study as study_store

log = logging.getLogger("linkage.retention")

AT = time(3, 30)  # a quiet hour


def next_run(now: datetime) -> datetime:
    due = local_at(local_day(now), AT)
    return due if due > now else local_at(local_day(now) + timedelta(days=1), AT)


async def plan_retention(ctx: Ctx) -> None:
    due = next_run(ctx.now)
    await ctx.schedule(f"retention:{local_day(due).isoformat()}", "retention", due)  # late is still useful


async def _tonight(ctx: Ctx, timer) -> dict:
    """What this night keeps: the cut-offs (fixed for the whole firing), and what was done so far."""
    return {"before": {"raw_updates_deleted": ctx.now - timedelta(days=ctx.config.retention_inbox_days),
                       "sent_messages_emptied": ctx.now - timedelta(days=ctx.config.retention_outbox_days),
                       "wrong_checkin_codes_forgotten": ctx.now - timedelta(days=1),
                       "flood_counters_forgotten": ctx.now - timedelta(days=1)},
            "done": dict.fromkeys(CLEAN_UPS, 0)}


async def _nothing_to_read(ctx: Ctx, timer, night: dict) -> None:
    return None  # each chunk's statements find their own rows


async def _one_chunk(ctx: Ctx, timer, night: dict, chunk: None) -> bool:
    """At most ``retention_chunk`` rows of each kind in this short transaction; True once every kind had
    fewer left (the rows a chunk changes no longer match, so a restart just goes on)."""
    limit, finished = ctx.config.retention_chunk, True
    for what, clean_up in CLEAN_UPS.items():
        changed = await clean_up(ctx.conn, night["before"][what], limit)
        night["done"][what] += changed
        finished = finished and changed < limit
    if finished:
        log.info("retention applied", extra=night["done"])
    return finished


CLEAN_UPS = {"raw_updates_deleted": inbox.purge_handled,
             "sent_messages_emptied": outbox.blank_finished,
             "wrong_checkin_codes_forgotten": study_store.forget_wrong_codes,
             "flood_counters_forgotten": floods.forget_before}
# in chunks, so a night's clean-up after a busy month holds the database (and the loop) only briefly
apply_retention = Chunked(prepare=_tonight, read=_nothing_to_read, write=_one_chunk)
