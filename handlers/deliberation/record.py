"""The deliberation's part of a member's duty record (履职档案, ``Feature.record_parts``): each
contribution and reply the member wrote in the window — its topic, the question it answers, when,
whether a view or a reply, and its state (shown, pinned, hidden by the committee). Withdrawn ones
are left out, as everywhere the author took them back."""

from __future__ import annotations

from handlers.core.i18n import N_, translator
from handlers.core.localtime import shown
from handlers.core.points import RecordSection
from handlers.deliberation.common import question_label
from storage import deliberation as store

STATE = {"visible": N_("shown"), "hidden": N_("hidden by the committee")}
PINNED = N_("shown, pinned")  # hiding unpins: a pinned contribution is shown


async def record_part(conn, member, start, end, lang: str) -> list[RecordSection]:
    t = translator(lang)
    topics: dict[int, object] = {}
    rows = []
    for row in await store.of_member(conn, member.id):
        if row.status == "withdrawn" or not start <= row.created_at < end:
            continue
        if row.deliberation_id not in topics:
            topics[row.deliberation_id] = await store.by_id(conn, row.deliberation_id)
        topic = topics[row.deliberation_id]
        state = t.plain(PINNED if row.pinned else STATE[row.status])
        rows.append([row.title, f"#{row.number}", question_label(t.plain, topic, row.question), shown(row.created_at),
                     t.plain(N_("view") if row.parent_id is None else N_("reply")), state])
    return [RecordSection("deliberation", t.plain(N_("Deliberation contributions")),
                          [t.plain(h) for h in (N_("Topic"), N_("Number"), N_("Question"), N_("Written"), N_("Kind"),
                                                N_("State"))], rows)]
