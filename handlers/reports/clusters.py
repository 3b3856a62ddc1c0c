"""多区同类问题: the same problem reported from several districts. When a submitted report reads
like reports on its topic from other districts within 30 days (handlers/reports/similar.py) and
together they come from three or more districts, the city topic group of that topic (target
``topic:<code>``, once bound) gets one cluster card listing them — code, title, district, state,
never who wrote them. The cluster is stored (storage/duplicates.py), so the card is edited in
place when a report joins it or any of its reports moves, not sent again."""

from __future__ import annotations

import html
from datetime import timedelta

from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.reports import lifecycle, similar
from storage import duplicates as store
from storage import items as item_store
from storage import reference
from storage import targets as target_store

WINDOW = timedelta(days=30)
MIN_DISTRICTS = 3


async def on_submitted(ctx: Ctx, item_id: int) -> None:
    """After routing, in the submit's transaction: join or start a cluster, and show it."""
    item = await item_store.by_id(ctx.conn, item_id)
    if item.district_code is None:
        return  # a city-wide report is no district's
    recent = [r for r in await store.recent_in_districts(ctx.conn, topic=item.topic_code, since=ctx.now - WINDOW)
              if r.id != item.id]
    alike = [r for r in recent if r.id in set(similar.similar_ids(item, recent))]
    cluster = await store.cluster_of(ctx.conn, [r.id for r in alike])
    if cluster is not None:
        cluster_id = cluster.id
    elif len({r.district_code for r in alike} | {item.district_code}) >= MIN_DISTRICTS:
        cluster_id = await store.create_cluster(ctx.conn, item.topic_code, ctx.now)
    else:
        return
    await store.add_to_cluster(ctx.conn, cluster_id, sorted([*(r.id for r in alike), item.id]), ctx.now)
    await show(ctx, cluster_id)


async def on_item_moved(ctx: Ctx, item_id: int) -> None:
    """``Feature.on_item_moved``: the cards of the clusters the report is in show its new state."""
    for cluster in await store.clusters_of_item(ctx.conn, item_id):
        if cluster.target_id is not None:
            await show(ctx, cluster.id)


async def on_target_bound(ctx: Ctx, target) -> None:
    """``Feature.on_target_bound``: a city topic group just bound gets the cards of its topic's
    clusters that formed while it had no group."""
    if target.kind == "topic" and target.level == "city":
        for cluster in await store.unshown_clusters(ctx.conn, target.topic_code):
            await show(ctx, cluster.id)


def _key(cluster_id: int) -> str:
    return f"cluster:{cluster_id}"


async def show(ctx: Ctx, cluster_id: int) -> None:
    """Post the cluster's card in the topic group, or edit it there; nothing while unbound."""
    cluster = await store.cluster(ctx.conn, cluster_id)
    if cluster.target_id is not None:
        target = await target_store.by_id(ctx.conn, cluster.target_id)
    else:
        target = next((t for t in await target_store.of_kind(ctx.conn, "topic", topic=cluster.topic_code,
                                                             level="city") if t.chat_id is not None), None)
    if target is None or target.chat_id is None:
        return
    text = await render(ctx, cluster)
    if cluster.target_id is None:
        await store.set_cluster_target(ctx.conn, cluster.id, target.id)
        await ctx.send(target.chat_id, text, thread_id=target.thread_id, key=_key(cluster.id), is_group=True)
    else:
        await ctx.edit(target.chat_id, {"$ref": _key(cluster.id)}, text, is_group=True)


async def render(ctx: Ctx, cluster) -> str:
    lang = ctx.config.group_language
    t = translator(lang)
    reports = await store.cluster_items(ctx.conn, cluster.id)
    topic = await reference.topic(ctx.conn, cluster.topic_code)
    districts = {r.district_code for r in reports}
    lines = [t("🧩 <b>The same problem in several districts</b> (多区同类问题) · {topic}",
               topic=reference.name(topic, lang)),
             t("{count} similar reports from {districts} districts:", count=len(reports), districts=len(districts))]
    for report in reports:
        district = reference.name(await reference.district(ctx.conn, report.district_code), lang)
        title = f" · {html.escape(report.title)}" if report.title else ""
        lines.append(f"• <b>{report.code}</b>{title} · {html.escape(district)} · "
                     f"{lifecycle.status_label(report.status, lang)}")
    return "\n".join(lines)
