"""Feeds: a channel follows the RSS or Atom feed of a CPPCC website. Each feed is fetched by a
restart-safe timer (``channel:feed:{id}:{time}``, planned again after every run and at start):
every ``FETCH_MINUTES`` after a success; after a failure 5 min, 10 min, 20 min … (at most 6 h).
Every run is recorded (``channel_feed_runs``) and the feed keeps its last success, last failure
and error, which ``linkage channel feed list`` shows.

New entries become published items of the channel (title, summary as plain text, link),
de-duplicated by the entry's id (its link when it has none; an entry with neither, or without a
title, is skipped and counted). The entries of a feed's first successful run are its backlog: they
are listed in the digests but sent to nobody at once. The fetch is aiohttp with a timeout and a size cap, the parse
feedparser (which also reads a slightly broken feed; a body that is no feed at all is a failure).
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
import feedparser

from handlers.channels import items
from handlers.core.context import Ctx
from storage import channels as store
from storage import timers

log = logging.getLogger("linkage.channels.feeds")

FETCH_MINUTES = 30
RETRY_MINUTES = 5
MAX_RETRY_MINUTES = 6 * 60
TIMEOUT_SECONDS = 10
MAX_BYTES = 2 * 1024 * 1024
ENTRIES_PER_RUN = 20  # a feed that suddenly lists hundreds adds the newest 20 in one run
TAG = re.compile(r"<[^>]+>")
SPACES = re.compile(r"[ \t\r\f\v]+")


@dataclass
class Fetched:
    ok: bool
    entries: list[dict] = field(default_factory=list)  # {"id", "title", "summary", "link"}
    skipped: int = 0
    error: str | None = None


def valid_url(url: str) -> bool:
    return url.startswith(("https://", "http://")) and len(url) <= 1000 and " " not in url


def _text(value: str | None) -> str:
    text = html.unescape(TAG.sub(" ", value or ""))
    return "\n".join(SPACES.sub(" ", line).strip() for line in text.splitlines() if line.strip())


def parse(body: bytes) -> Fetched:
    """The feed's entries as items would keep them; a body that is no feed is a failure."""
    parsed = feedparser.parse(body)
    if not parsed.get("version") and not parsed.entries:
        reason = str(parsed.get("bozo_exception") or "not an RSS or Atom feed")
        return Fetched(False, error=f"not a feed: {reason}"[:300])
    entries, skipped = [], 0
    for entry in parsed.entries:
        entry_id = (entry.get("id") or entry.get("link") or "").strip()
        title = _text(entry.get("title"))
        if not entry_id or not title:
            skipped += 1
            continue
        link = (entry.get("link") or "").strip()
        entries.append({"id": entry_id[:500], "title": items.clip(title, items.TITLE_LIMIT),
                        "summary": items.clip(_text(entry.get("summary")), 1000),
                        "link": link if valid_url(link) else None})
    return Fetched(True, entries, skipped)


async def fetch(url: str) -> Fetched:
    """Fetch and parse one feed: never raises; a timeout, an HTTP error, an over-large body or a
    body that is no feed is a failed run with its reason."""
    try:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(url, headers={"User-Agent": "Linkage feed reader"}) as response:
                if response.status != 200:
                    return Fetched(False, error=f"HTTP {response.status}")
                body = bytearray()
                async for chunk in response.content.iter_chunked(65536):
                    body += chunk
                    if len(body) > MAX_BYTES:
                        return Fetched(False, error=f"larger than {MAX_BYTES // 1048576} MB")
    except TimeoutError:
        return Fetched(False, error=f"no answer within {TIMEOUT_SECONDS} s")
    except aiohttp.ClientError as exc:
        return Fetched(False, error=f"{type(exc).__name__}: {exc}"[:300])
    return parse(bytes(body))


def next_fetch(now: datetime, fetched: Fetched, failures_before: int) -> datetime:
    if fetched.ok:
        return now + timedelta(minutes=FETCH_MINUTES)
    minutes = min(RETRY_MINUTES * 2 ** failures_before, MAX_RETRY_MINUTES)
    return now + timedelta(minutes=minutes)


async def store_run(ctx: Ctx, feed, fetched: Fetched) -> int:
    """Record a run; new entries become channel items. Returns how many were new."""
    new = 0
    channel = await store.by_id(ctx.conn, feed.channel_id)
    if fetched.ok:
        # a feed's first success brings its backlog: listed in the digests, sent to nobody at once
        first = feed.last_success_at is None
        for entry in fetched.entries[:ENTRIES_PER_RUN][::-1]:  # oldest first, so the newest is newest
            if await store.entry_known(ctx.conn, feed.id, entry["id"]):
                continue
            await items.post(ctx, channel, title=entry["title"], body=entry["summary"], link=entry["link"],
                             kind="feed", feed_id=feed.id, entry_id=entry["id"], deliver=not first)
            new += 1
    else:
        log.warning("feed fetch failed", extra={"feed": feed.id, "failures": feed.failures + 1})
    due = next_fetch(ctx.now, fetched, feed.failures)
    await store.record_run(ctx.conn, feed.id, ctx.now, ok=fetched.ok, new_entries=new, skipped=fetched.skipped,
                           error=fetched.error, next_fetch_at=due)
    await _plan_one(ctx, feed.id, due)
    return new


def timer_prefix(feed_id: int) -> str:
    return f"channel:feed:{feed_id}:"


async def _plan_one(ctx: Ctx, feed_id: int, due: datetime) -> None:
    if not await timers.pending_with_prefix(ctx.conn, timer_prefix(feed_id)):
        await ctx.schedule(f"{timer_prefix(feed_id)}{due:%Y%m%dT%H%M%S}", "channel_feed", due,
                           payload={"feed": feed_id})


async def plan(ctx: Ctx) -> None:
    """Planner: every active feed has its next fetch in the timers table."""
    for feed in await store.feeds(ctx.conn, active_only=True):
        await _plan_one(ctx, feed.id, feed.next_fetch_at or ctx.now)


async def fetch_job(ctx: Ctx, timer) -> None:
    """The timer's run. (The fetch is inside the firing's transaction, bounded by its timeout;
    the command line's ``feed fetch`` fetches before it opens one.)"""
    feed = await store.feed(ctx.conn, timer.payload["feed"])
    if feed is None or not feed.active:
        return
    await store_run(ctx, feed, await fetch(feed.url))


async def add(ctx: Ctx, channel_code: str, url: str) -> int:
    channel = await items.channel_by_code(ctx.conn, channel_code)
    if not valid_url(url):
        raise items.ChannelError("a feed is an http:// or https:// address")
    feed_id = await store.add_feed(ctx.conn, channel.id, url, ctx.now)
    await store.set_feed_active(ctx.conn, feed_id, True)
    await _plan_one(ctx, feed_id, ctx.now)
    return feed_id
