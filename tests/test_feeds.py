"""Feeds: a channel follows an RSS / Atom feed served on this machine (never the internet). New
entries become items once (de-duplicated by entry id), entries without a title or an id are
skipped and counted, a failing feed backs off and is recorded, then recovers; the office sees
each feed's last success and failure; a feed entry reaches the digest of members who take the
channel there."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiohttp import web
from click.testing import CliRunner

from bot.cli import main as cli
from handlers.channels import feeds
from handlers.channels.items import ChannelError
from storage import channels as store
from tests.test_channels import channel, copy_of, office

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)


def rss(*entries: str) -> bytes:
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>天津政协网</title>"
            "<link>https://www.tjszx.gov.cn/</link><description>政协动态</description>"
            + "".join(entries) + "</channel></rss>").encode()


def entry(guid: str | None, title: str | None, link: str, summary: str = "") -> str:
    parts = [f"<guid>{guid}</guid>" if guid else "", f"<title>{title}</title>" if title else "",
             f"<link>{link}</link>", f"<description>{summary}</description>"]
    return "<item>" + "".join(parts) + "</item>"


class FeedServer:
    """A local HTTP server whose answer the test changes as it goes."""

    def __init__(self):
        self.status, self.body, self.hits = 200, rss(), 0

    async def handle(self, request):
        self.hits += 1
        return web.Response(status=self.status, body=self.body, content_type="application/rss+xml")

    async def __aenter__(self):
        app = web.Application()
        app.router.add_get("/feed.xml", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/feed.xml"
        return self

    async def __aexit__(self, *exc):
        await self.runner.cleanup()


async def fetch_due(stack, minutes: float = 0) -> None:
    stack.app.clock.advance(timedelta(minutes=minutes))
    await stack.app.scheduler.fire_due()
    await stack.settle()


def about(span: timedelta, expected: timedelta) -> bool:
    """The clock runs on between the run and the check: within a few seconds."""
    return abs(span - expected) < timedelta(seconds=5)


async def feed_row(stack, feed_id: int):
    async with stack.app.db.read() as conn:
        return await store.feed(conn, feed_id)


async def test_new_repeated_and_malformed_entries_failures_backoff_and_recovery(stack):
    from tests.test_digests import digests_of, move_to_weekly
    pilot = await stack.pilot()
    sb = stack.sb
    cppcc = await channel(stack, "cppcc_news")
    member = await stack.row("members", telegram_user_id=pilot.hongqiao.id)
    async with stack.app.db.transaction() as conn:  # one member takes the channel in the digest
        await store.set_subscription(conn, cppcc.id, member.id, True, "digest", stack.app.clock.now())

    async with FeedServer() as server:
        server.body = rss(entry("tjszx-1", "市政协召开专题协商会", "https://www.tjszx.gov.cn/1", "<p>会议&amp;协商</p>"),
                          entry(None, "委员视察智慧停车项目", "https://www.tjszx.gov.cn/2"),
                          entry("tjszx-3", None, "https://www.tjszx.gov.cn/3"))  # no title: skipped
        with pytest.raises(ChannelError, match="http"):
            await office(stack, lambda ctx: feeds.add(ctx, "cppcc_news", "file:///etc/passwd"))
        feed_id = await office(stack, lambda ctx: feeds.add(ctx, "cppcc_news", server.url))
        await fetch_due(stack)
        assert server.hits == 1
        rows = await stack.count("channel_items", feed_id=feed_id)
        assert rows == 2
        run = await stack.row("channel_feed_runs", feed_id=feed_id)
        assert run.ok and run.new_entries == 2 and run.skipped == 1
        first = await stack.row("channel_items", entry_id="tjszx-1")
        assert first.body == "会议&协商" and first.link == "https://www.tjszx.gov.cn/1" and first.kind == "feed"
        assert (await stack.row("channel_items", entry_id="https://www.tjszx.gov.cn/2")) is not None  # id: its link
        assert copy_of(await sb.messages(pilot.city), first.id) is None  # the first run's backlog: digests only

        # nothing before the next fetch is due; then the same entries add nothing, a new one is added
        await fetch_due(stack, 29)
        assert server.hits == 1
        await fetch_due(stack, 2)
        assert server.hits == 2 and await stack.count("channel_items", feed_id=feed_id) == 2
        server.body = rss(entry("tjszx-4", "党建工作会议召开", "https://www.tjszx.gov.cn/4"), server.body.decode()
                          .split("<description>政协动态</description>")[1].removesuffix("</channel></rss>"))
        await fetch_due(stack, 31)
        assert await stack.count("channel_items", feed_id=feed_id) == 3
        fourth = await stack.row("channel_items", entry_id="tjszx-4")
        assert copy_of(await sb.messages(pilot.city), fourth.id) is not None  # new entries: at once to instant ones
        assert copy_of(await sb.messages(pilot.hongqiao), fourth.id) is None  # she takes the channel in the digest

        # failures: an HTTP error, then a page that is no feed — each recorded, the retries backing off
        server.status = 500
        before = server.hits
        await fetch_due(stack, 31)
        failed = await feed_row(stack, feed_id)
        assert failed.failures == 1 and failed.last_error == "HTTP 500"
        assert about(failed.next_fetch_at - stack.app.clock.now(), timedelta(minutes=5))
        server.status, server.body = 200, b"<html><body>502 Bad Gateway</body></html>"
        await fetch_due(stack, 5)
        failed = await feed_row(stack, feed_id)
        assert server.hits == before + 2 and failed.failures == 2 and failed.last_error.startswith("not a feed")
        assert about(failed.next_fetch_at - stack.app.clock.now(), timedelta(minutes=10))
        await fetch_due(stack, 9)
        assert server.hits == before + 2  # not before the backoff is over

        result = await asyncio.to_thread(CliRunner().invoke, cli, ["channel", "feed", "list"],
                                         env={"LINKAGE_DATABASE": stack.app.settings.database})
        assert result.exit_code == 0 and "2 in a row: not a feed" in result.output and server.url in result.output

        # it recovers: the failures are cleared and the new entry comes in
        server.body = rss(entry("tjszx-5", "政协委员走进社区", "https://www.tjszx.gov.cn/5"))
        await fetch_due(stack, 1)
        recovered = await feed_row(stack, feed_id)
        assert recovered.failures == 0 and about(stack.app.clock.now() - recovered.last_success_at, timedelta(0))
        assert recovered.last_failure_at is not None  # the failure stays on record
        assert await stack.count("channel_items", feed_id=feed_id) == 4
        assert await stack.count("channel_feed_runs", feed_id=feed_id) == 6  # every fetch on record

    # a restart plans the next fetch again (one pending timer per feed, never two)
    await stack.app.stop()
    stack.app = stack.new_app(clock=stack.app.clock)
    await stack.app.start()
    async with stack.app.db.read() as conn:
        from storage import timers
        assert len(await timers.pending_with_prefix(conn, feeds.timer_prefix(feed_id))) == 1

    # the feed's entries reach the digest of the member who takes the channel there
    await move_to_weekly(stack)
    digest = (await digests_of(stack, pilot.hongqiao))[-1].text
    assert "政协动态" in digest and "政协委员走进社区" in digest and "市政协召开专题协商会" in digest
    assert digest.index("政协委员走进社区") < digest.index("市政协召开专题协商会")  # newest first


async def test_a_body_over_the_size_cap_or_no_answer_fails_cleanly(stack, monkeypatch):
    async with FeedServer() as server:
        monkeypatch.setattr(feeds, "MAX_BYTES", 1000)
        server.body = rss(*(entry(f"id-{n}", f"条目{n}", f"https://www.tjszx.gov.cn/{n}") for n in range(50)))
        fetched = await feeds.fetch(server.url)
        assert not fetched.ok and fetched.error.startswith("larger than")
    fetched = await feeds.fetch(server.url)  # the server is gone: a connection error, recorded as such
    assert not fetched.ok and "Error" in fetched.error


def test_atom_is_read_and_html_in_titles_is_plain_text():
    atom = ("<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'><title>红桥区政协</title>"
            "<entry><id>urn:hq:1</id><title type='html'>&lt;b&gt;红桥区政协&lt;/b&gt;视察</title>"
            "<link href='https://www.hqzx.gov.cn/1'/><summary>视察了西于庄街道。</summary></entry>"
            "<entry><id>urn:hq:2</id><title>无链接的条目</title><link href='javascript:alert(1)'/></entry></feed>")
    fetched = feeds.parse(atom.encode())
    assert fetched.ok and [e["title"] for e in fetched.entries] == ["红桥区政协 视察", "无链接的条目"]
    assert fetched.entries[0]["link"] == "https://www.hqzx.gov.cn/1" and fetched.entries[1]["link"] is None
    broken = feeds.parse(rss(entry("a", "未闭合的条目", "https://x.cn/a")).replace(b"</rss>", b""))
    assert broken.ok and broken.entries[0]["title"] == "未闭合的条目"  # a slightly broken feed is still read
    assert not feeds.parse(b"\x00\x01 not xml").ok


async def test_feeds_on_postgres(pg_stack):
    await test_new_repeated_and_malformed_entries_failures_backoff_and_recovery(pg_stack)
