"""The digests' jobs: each queues one outbox row per recipient for its period and skips everyone
whose row exists (once per period). The members' digests (weekly, daily, instant) are ``Chunked``
and queue *drafts* (handlers/core/drafts.py): where each chunk of ``digest_chunk`` members ends is
read in a read-only snapshot, and its drafts are written (one INSERT … SELECT, with the run's
cursor) in a short transaction of its own, so members' updates commit between chunks and a crash
resumes after the last chunk written. ``write_digests`` renders each draft just before the sender
sends it: the window's news read once per firing and process (an ``Edition``, in the sender's
snapshot), the members' own reports and choices read set-based for each batch of drafts. A
digest's text is as fresh as its send, and a digest to 100,000 members costs one small row each
when it fires.
``send_now`` is the command line's way to fill the current period."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from handlers.core.context import Ctx
from handlers.core.feature import DraftWriter
from handlers.core.scheduled import Chunked
from handlers.core.i18n import translator
from handlers.core.localtime import local_at, local_day, quiet_until
from handlers.digests.news import News, OfficeStats, OwnItems
from handlers.digests.render import office_chart, open_count, render_liaison, render_member, render_office
from handlers.digests.schedule import current_weekly, period_of, row_key
from storage import digests as store
from storage import cache, outbox, people

log = logging.getLogger("linkage.digest")
DRAFT = "digest"  # the members' digests' draft writer (``Feature.drafts``)
EDITIONS_KEPT = 4  # firings whose news a process keeps while their drafts are written


@dataclass
class Firing:
    """One firing of a members' digest, as its chunks of drafts are written."""

    kind: str  # weekly | daily | instant
    due: datetime
    nothing: bool = False  # nothing to send (an hour without adoptions)
    created: int = 0  # drafts this process queued in this firing

    @property
    def period(self) -> str:
        return period_of(self.kind, self.due)


def _since(kind: str, due: datetime) -> datetime:
    return due - {"weekly": timedelta(days=7), "daily": timedelta(days=1), "instant": timedelta(hours=1)}[kind]


async def prepare(ctx: Ctx, kind: str, due: datetime) -> Firing:
    """A firing: its drafts name the digest, the news is read when they are written."""
    if kind == "instant":
        return Firing(kind, due, nothing=not await store.adoptions(ctx.conn, _since(kind, due), due))
    return Firing(kind, due)


@dataclass
class Edition:
    """What every member's digest of one firing shows alike, read once per process."""

    news: News
    daily_news: News | None = None  # the weekly digest's news of the last day, for members who chose daily
    targets: dict = field(default_factory=dict)  # target names for the own reports' latest hops


async def _edition(ctx: Ctx, kind: str, due: str) -> Edition:
    """The firing's edition: read once per process (storage/cache.py ``kept``; the news of a past
    window does not change), in a snapshot before its first batch of drafts (``prepare_digests``),
    not in every batch's transaction."""
    editions = cache.kept(ctx.conn, "digest editions")
    edition = editions.get((kind, due))
    if edition is None:
        at = datetime.fromisoformat(due)
        if kind == "weekly":
            edition = Edition(*await News.week_and_day(ctx.conn, at, ctx.features))
        else:
            edition = Edition(await News.load(ctx.conn, _since(kind, at), at, ctx.features))
        editions[(kind, due)] = edition
        while len(editions) > EDITIONS_KEPT:
            editions.popitem(last=False)
    return edition


def _by_edition(drafts: list) -> dict[tuple[str, str], list]:
    found: dict[tuple[str, str], list] = defaultdict(list)
    for draft in drafts:
        found[(draft.params["kind"], draft.params["due"])].append(draft)
    return found


@dataclass
class Chunk:
    """The next ``digest_chunk`` recipients, whose drafts are to be written."""

    after: int  # the run's cursor they follow
    last: int | None  # the last of them (None: there are none)
    finished: bool  # no member after them


async def _cursor(conn, period: str) -> int:
    run = await store.run(conn, period)
    return (run.cursor or 0) if run is not None else 0


async def read_chunk(ctx: Ctx, firing: Firing) -> Chunk:
    """Where the next ``digest_chunk`` recipients after the run's cursor end."""
    after, limit = await _cursor(ctx.conn, firing.period), ctx.config.digest_chunk
    if firing.nothing:
        return Chunk(after, None, True)
    count, last = await store.next_recipients(ctx.conn, after=after, limit=limit,
                                              frequency=None if firing.kind == "weekly" else firing.kind)
    return Chunk(after, last, count < limit)


async def write_chunk(ctx: Ctx, firing: Firing, chunk: Chunk) -> bool:
    """The chunk's drafts (one INSERT … SELECT; a member whose row exists is skipped, so a run
    started again — ``linkage digest send`` — adds nothing) and the run's cursor, in one short
    transaction; True when the run is done. Nothing is written when the cursor moved since the
    chunk was read (another process wrote it)."""
    if firing.nothing:
        return True
    if await _cursor(ctx.conn, firing.period) != chunk.after:
        return False
    created = 0
    if chunk.last is not None:
        created = await store.queue_drafts(
            ctx.conn, after=chunk.after, last=chunk.last, frequency=None if firing.kind == "weekly" else firing.kind,
            key_prefix=row_key(firing.period, ""), args={"draft": DRAFT, "kind": firing.kind,
                                                        "due": firing.due.isoformat()},
            not_before=quiet_until(ctx.now, ctx.config.quiet_hours) or ctx.now, now=ctx.now)
    await store.advance_run(ctx.conn, firing.period, firing.kind, created, None if chunk.finished else chunk.last,
                            ctx.now)
    firing.created += created
    if chunk.finished and firing.kind == "weekly":
        log.info("weekly digest queued", extra={"period": firing.period,
                                                "rows": (await store.run(ctx.conn, firing.period)).recipients})
    return chunk.finished


def _members_job(kind: str) -> Chunked:
    return Chunked(prepare=lambda ctx, timer: prepare(ctx, kind, timer.due_at),
                   read=lambda ctx, timer, firing: read_chunk(ctx, firing),
                   write=lambda ctx, timer, firing, chunk: write_chunk(ctx, firing, chunk))


WEEKLY, DAILY, INSTANT = _members_job("weekly"), _members_job("daily"), _members_job("instant")


async def prepare_digests(ctx: Ctx, drafts: list) -> None:
    """Read the news of these drafts' firings (once per process), in the sender's snapshot."""
    for kind, due in _by_edition(drafts):
        await _edition(ctx, kind, due)


async def write_digests(ctx: Ctx, drafts: list) -> dict[int, list[dict]]:
    """The members' digests of these drafts, each rendered as it is about to be sent (their own
    reports and choices read set-based): nothing for a member no longer reachable, or with
    nothing to be told."""
    written: dict[int, list[dict]] = {}
    for (kind, due), group in _by_edition(drafts).items():
        edition = await _edition(ctx, kind, due)
        ids = [draft.params["member"] for draft in group]
        members = {m.id: m for m in await store.recipients(ctx.conn, ids=ids)}
        prefs = await store.frequencies(ctx.conn, ids)
        own = await OwnItems.load(ctx.conn, ids, edition.news.since, edition.targets) if kind == "weekly" else None
        for draft in group:
            member = members.get(draft.params["member"])
            try:
                with ctx.holding() as messages:
                    if member is not None:
                        text = await render_member(ctx.conn, member, kind=kind, due=edition.news.until,
                                                   news=edition.news, own=own, daily_news=edition.daily_news,
                                                   frequency=prefs.get(member.id, store.DEFAULT_FREQUENCY))
                        if text is not None:
                            await ctx.send(member.telegram_user_id, text, priority=outbox.BULK)
            except Exception:  # one member's broken digest must not hold up the thousands after it
                log.exception("digest not written", extra={"outbox_id": draft.id})
                continue
            written[draft.id] = messages
    return written


DIGESTS = DraftWriter(prepare=prepare_digests, write=write_digests)


async def fire_liaison(ctx: Ctx, timer) -> None:
    await send_liaison(ctx, timer.due_at)


async def fire_office(ctx: Ctx, timer) -> None:
    await send_office(ctx, timer.due_at)


async def send_members(ctx: Ctx, kind: str, due: datetime) -> int:
    """The members' digest of ``kind`` for the period ending at ``due``, every chunk in the
    caller's transaction; returns drafts queued."""
    firing = await prepare(ctx, kind, due)
    while not await write_chunk(ctx, firing, await read_chunk(ctx, firing)):
        pass
    return firing.created


async def send_liaison(ctx: Ctx, due: datetime) -> int:
    period = period_of("liaison", due)
    by_member = await store.liaison_targets(ctx.conn)
    liaisons = await store.recipients(ctx.conn, ids=list(by_member))  # the liaisons only, not every member
    done = await store.queued_keys(ctx.conn, [row_key(period, m.id) for m in liaisons])
    created = 0
    for member in liaisons:
        key = row_key(period, member.id)
        if key in done:
            continue
        text = await render_liaison(ctx.conn, member, ctx.now, ctx.config, by_member[member.id])
        if text is None:
            continue
        await ctx.send(member.telegram_user_id, text, key=key, priority=outbox.BULK)
        created += 1
    await store.record_run(ctx.conn, period, "liaison", created, ctx.now)
    return created


async def send_office(ctx: Ctx, due: datetime) -> int:
    period = period_of("office", due)
    admins = [m for m in await people.admins(ctx.conn) if m.reachable]
    done = await store.queued_keys(ctx.conn, [row_key(period, m.id) for m in admins])
    admins = [m for m in admins if row_key(period, m.id) not in done]
    if not admins:
        return 0
    stats = await OfficeStats.load(ctx.conn, due)
    open_now = await open_count(ctx.conn)
    charts: dict[str, Path] = {}
    for member in admins:
        t = translator(member.language)
        if t.lang not in charts:
            charts[t.lang] = office_chart(stats, ctx.config, due, t.lang)
        await ctx.send(member.telegram_user_id, render_office(stats, t.lang, open_now),
                       key=row_key(period, member.id), priority=outbox.BULK)
        await ctx.call("sendPhoto", {"chat_id": member.telegram_user_id, "photo": {"$file": str(charts[t.lang])},
                                     "caption": t("📊 Reports this week by topic and district ({period})",
                                                  period=stats.period_label()), "parse_mode": "HTML"},
                       chat_id=member.telegram_user_id, key=row_key(period, member.id) + ":chart",
                       priority=outbox.BULK)
    await store.record_run(ctx.conn, period, "office", len(admins), ctx.now)
    return len(admins)


def current_due(kind: str, now: datetime, config) -> datetime:
    """When the current period of ``kind`` fell due (the period ``linkage digest send`` fills)."""
    if kind in ("weekly", "office"):
        return current_weekly(now, config)
    if kind in ("liaison", "daily"):
        return local_at(local_day(now), config.digest_liaison_time if kind == "liaison" else config.digest_time)
    raise ValueError(f"kind must be weekly, daily, liaison or office, not {kind!r}")


async def send_now(ctx: Ctx, kind: str) -> tuple[str, int]:
    """Queue the digest of ``kind`` for the current period now, in the caller's transaction
    (idempotent per period): (period, rows created)."""
    due = current_due(kind, ctx.now, ctx.config)
    if kind in ("weekly", "daily"):
        sent = await send_members(ctx, kind, due)
    else:
        sent = await (send_office(ctx, due) if kind == "office" else send_liaison(ctx, due))
    return period_of(kind, due), sent
