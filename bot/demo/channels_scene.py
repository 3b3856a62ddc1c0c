"""The demo's last scene: 栏目 — an item posted to 政协动态 reaches members at once, a member who
takes the channel in the digest instead, and an entry of a (local) CPPCC website feed that
reaches that member's weekly digest."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from aiohttp import web

FEED = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>天津政协网</title>"
        "<link>https://www.tjszx.gov.cn/</link><description>政协动态</description>"
        "<item><guid>tjszx-2026-1201</guid><title>市政协开展“委员进社区”集中履职活动</title>"
        "<link>https://www.tjszx.gov.cn/news/1201</link><description>委员们走进社区倾听群众呼声。</description></item>"
        "</channel></rss>").encode()


async def channels_scene(app, world, pilot, transcript) -> None:
    from handlers.channels import feeds, items
    from handlers.core.context import Ctx
    from handlers.digests.preview import preview
    from handlers.digests.schedule import next_weekly
    from handlers.features import REGISTRY
    from storage import channels as store
    from storage import people

    sb = world.sb

    async def act(work):
        result = await app.scheduler.in_transaction(work)
        await app.scheduler.refresh()
        await app.sender.drain(timeout=60)
        await transcript.settle(1)
        return result

    async def press(user, prefix: str):
        offers = [m for m in await sb.messages(user) if any(d.startswith(prefix) for d in m.button_data.values())]
        await sb.press(user, offers[-1], data=next(d for d in offers[-1].button_data.values() if d.startswith(prefix)))
        await app.dispatcher.drain()
        await app.sender.drain(timeout=60)
        await transcript.settle(1)

    async with app.db.read() as conn:
        cppcc = await store.by_code(conn, "cppcc_news")
    # a Hongqiao member takes 政协动态 in the digest instead of at once
    await sb.send(pilot.hongqiao, "/channels")
    await sb.wait_for(pilot.hongqiao, lambda m: f"chs:{cppcc.id}:digest" in m.button_data.values(), 60)
    await press(pilot.hongqiao, f"chs:{cppcc.id}:digest")

    # the office posts; those who take it at once get it, one opens it in full
    item_id, _, count = await act(lambda ctx: _post(ctx, items, store))
    print(f"    (item #{item_id}: {count} members got it at once)")
    await press(pilot.city, f"chi:{item_id}")

    # the CPPCC website's feed, served on this machine: its new entry becomes an item of 政协动态
    server = web.Application()
    server.router.add_get("/rss.xml", lambda request: web.Response(body=FEED, content_type="application/rss+xml"))
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/rss.xml"
    try:
        feed_id = await act(lambda ctx: feeds.add(ctx, "cppcc_news", url))  # its timer is due at once
        await app.scheduler.fire_due()
        await app.sender.drain(timeout=60)
        await transcript.settle(1)
    finally:
        await runner.cleanup()
    async with app.db.read() as conn:
        run = (await store.runs(conn, feed_id, limit=1))[0]
    print(f"    (feed #{feed_id} from {url}: {run.new_entries} new entry, fetched by its timer)")

    async with app.db.read() as conn:
        member = await people.by_roster_id(conn, "H001")
        monday = next_weekly(app.clock.now(), app.dispatcher.config)  # the next weekly digest, as it will be
        text, _ = await preview(Ctx.offline(conn, monday + timedelta(minutes=1), app.dispatcher.config, REGISTRY),
                                member)
    part = html.unescape(re.sub(r"<[^>]+>", "", text)).split("\n")
    start = next((i for i, line in enumerate(part) if line == "栏目"), None)
    if start is not None:
        print("  赵丽娟's next weekly digest (linkage digest preview --member H001), its channels:")
        for line in part[start:start + 4]:
            if line.strip():
                print(f"    {line}")


async def _post(ctx, items, store):
    channel = await store.by_code(ctx.conn, "cppcc_news")
    return await items.post(ctx, channel, title="市政协召开十四届常委会第十次会议",
                            body="会议听取了关于推进智慧城市建设的专题调研报告，审议了有关人事事项。",
                            link="https://www.tjszx.gov.cn/news/1202")
