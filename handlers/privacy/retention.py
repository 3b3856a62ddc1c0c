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
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from handlers.core.context import Ctx
from handlers.core.localtime import local_at, local_day
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


async def apply_retention(ctx: Ctx, timer=None) -> dict[str, int]:
    done = {"raw_updates_deleted": await inbox.purge_handled(
                ctx.conn, ctx.now - timedelta(days=ctx.config.retention_inbox_days)),
            "sent_messages_emptied": await outbox.blank_finished(
                ctx.conn, ctx.now - timedelta(days=ctx.config.retention_outbox_days)),
            "wrong_checkin_codes_forgotten": await study_store.forget_wrong_codes(
                ctx.conn, ctx.now - timedelta(days=1)),
            "flood_counters_forgotten": await floods.forget_before(ctx.conn, ctx.now - timedelta(days=1))}
    log.info("retention applied", extra=done)
    return done
