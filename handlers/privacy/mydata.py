"""A member's own data (PRODUCT.md §12): ``/mydata`` sends everything Linkage keeps about the
member as one JSON document in their private chat — their record, their reports with every hop
as they were told it, and what each feature keeps about them (a feature declares its
part, ``Feature.personal_data``: ``async def (conn, member) -> dict``). Other people never appear: a hop names the
place a report went, never the liaison; times are Asia/Shanghai.

The file travels inside its outbox row (``{"$upload": …}``, see bot/transport.py), so nothing
about the member is written to the bot's disk.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime

from handlers.reports import chain
from handlers.reports import cosign
from handlers.reports import lifecycle
from handlers.reports import submit
from handlers.core.context import Ctx
from handlers.core.localtime import local
from handlers.core.i18n import translator
from storage import cosign as cosign_store
from storage import items as item_store
from storage import outcomes as outcome_store
from storage import people
from storage import reference
from storage import targets as target_store

MESSAGES_SHOWN = ("asked", "replied", "info")  # event bodies the member saw in their chat


def _when(value):
    if isinstance(value, datetime):
        return local(value).isoformat(timespec="minutes")
    return str(value)


async def _member_record(conn, member, lang: str) -> dict:
    return {"roster_id": member.roster_id, "name": member.name, "level": member.level,
            "district": await reference.name_of(conn, reference.district, member.district_code, lang),
            "street": await reference.name_of(conn, reference.street, member.street_code, lang),
            "sector": member.sector_code, "committee": member.committee_code, "role": member.role,
            "language": member.language, "telegram_user_id": member.telegram_user_id, "since": member.created_at,
            # what liaisons see of a report named to the office only (made with the first such report)
            "alias": await people.alias_if_made(conn, member.id)}


async def _report(conn, item, lang: str, target_names: dict) -> dict:
    t = translator(lang)
    history = []
    for event in await item_store.events(conn, item.id):
        where = ""
        if event.to_target_id:
            if event.to_target_id not in target_names:
                target_names[event.to_target_id] = reference.name(
                    await target_store.by_id(conn, event.to_target_id), lang)
            where = target_names[event.to_target_id]
        hop = {"at": event.created_at, "what": t.plain(lifecycle.EVENT_LABELS.get(event.kind, event.kind),
                                                       where=where)}
        if event.reason and event.kind in lifecycle.REASONS_SHOWN:
            hop["reason"] = event.reason
        if event.body and event.kind in MESSAGES_SHOWN:
            hop["message"] = event.body
        history.append(hop)
    files = [{k: v for k, v in {"kind": f.kind, "file_name": f.file_name, "latitude": f.latitude,
                                "longitude": f.longitude}.items() if v is not None}
             for f in await item_store.files(conn, item.id)]
    return {"code": item.code, "title": item.title,
            "topic": await reference.name_of(conn, reference.topic, item.topic_code, lang),
            "tags": [reference.name(tag, lang) for tag in await item_store.tags_of(conn, item.id)],
            "area": t.plain(lifecycle.AREA_LABELS[item.area]),
            "district": await reference.name_of(conn, reference.district, item.district_code, lang),
            "street": await reference.name_of(conn, reference.street, item.street_code, lang),
            "observation": item.observation, "analysis": item.analysis, "suggestion": item.suggestion,
            "privacy": t.plain(submit.PRIVACY[item.privacy]), "status": lifecycle.status_label(item.status, lang), "outcome": item.outcome,
            "merged_into": await lifecycle.merged_into(conn, item) or None, "submitted_at": item.created_at,
            "closed_at": item.closed_at,
            "attachments": files, "history": history,
            "outcome_chain": [{"at": step.created_at, "step": chain.step_label(step, lang), "note": step.note}
                              for step in await outcome_store.chain(conn, item.id)],
            "co_signers": [{"name": r.name, "answer": t.plain(cosign.ANSWER_LABELS[r.status])}
                           for r in await cosign_store.of_item(conn, item.id)]}


async def collect(conn, member, features) -> dict:
    """Everything kept about ``member``, JSON-shaped (datetimes still datetimes)."""
    lang = member.language
    target_names: dict = {}
    data = {"member": await _member_record(conn, member, lang),
            "reports": [await _report(conn, item, lang, target_names)
                        for item in reversed(await item_store.of_author(conn, member.id, limit=None))]}
    for personal_data in features.personal_data:
        data.update(await personal_data(conn, member))
    return data


async def cmd_mydata(ctx: Ctx) -> None:
    data = await collect(ctx.conn, ctx.member, ctx.features)
    content = json.dumps({"exported_at": ctx.now, **data}, ensure_ascii=False, indent=2, default=_when)
    name = f"linkage-{ctx.member.roster_id}-{local(ctx.now):%Y%m%d}.json"
    await ctx.call("sendDocument", {
        "chat_id": ctx.event.chat_id,
        "document": {"$upload": {"name": name, "base64": base64.b64encode(content.encode()).decode()}},
        "caption": ctx.t.plain("Everything Linkage keeps about you: your record, your {count} report(s) with "
                               "every step, your study sessions, notices and settings.",
                               count=len(data["reports"]))},
        chat_id=ctx.event.chat_id)


