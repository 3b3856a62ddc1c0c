"""The reports' part of a member's duty record (履职档案, ``Feature.record_parts``): the reports
they submitted in the window with their state and outcome chain, and the reports they co-signed."""

from __future__ import annotations

from handlers.core.i18n import N_, translator
from handlers.core.localtime import shown
from handlers.core.points import RecordSection
from handlers.reports import chain, lifecycle
from storage import cosign as cosign_store
from storage import items as item_store
from storage import outcomes as outcome_store


async def record_part(conn, member, start, end, lang: str) -> list[RecordSection]:
    t = translator(lang)
    mine = [item for item in await item_store.of_author(conn, member.id, limit=None) if start <= item.created_at < end]
    chains = await outcome_store.chains(conn, [item.id for item in mine])
    reports = [[item.code, item.title or "", shown(item.created_at), lifecycle.status_label(item.status, lang),
                " → ".join(chain.step_label(step, lang) for step in chains.get(item.id, []))]
               for item in reversed(mine)]
    signed = [[row.code, shown(row.answered_at)] for row in await cosign_store.of_member(conn, member.id)
              if row.status == "signed" and start <= row.answered_at < end]
    return [RecordSection("reports", t.plain(N_("Reports submitted")),
                          [t.plain(h) for h in (N_("Code"), N_("Title"), N_("Submitted"), N_("State"), N_("Outcome"))],
                          reports),
            RecordSection("cosigned", t.plain(N_("Reports co-signed")), [t.plain(N_("Code")), t.plain(N_("Signed"))],
                          signed)]
