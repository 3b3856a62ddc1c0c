"""What the committee gets when a topic closes: the counts, who took part by level, district and
sector, the contributions grouped by question, and the XLSX of everything said (hidden ones
marked, withdrawn ones left out, authors named to the committee only shown by name: the file is
the committee's)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from handlers.core.cells import write_table
from handlers.core.context import Buttons, clip
from handlers.core.i18n import N_, translator
from handlers.core.localtime import shown
from handlers.deliberation.common import ACT, esc, question_label
from storage import deliberation as store
from storage import reference

COLUMNS = (N_("Number"), N_("Reply to"), N_("Question"), N_("Roster id"), N_("Member"), N_("Level"),
           N_("District"), N_("Sector"), N_("Naming"), N_("Text"), N_("Status"), N_("Reason hidden"),
           N_("Pinned"), N_("Written"), N_("Edited"))
NAMING = {"named": N_("named (署名)"), "committee": N_("named to the committee only")}
STATUS = {"visible": N_("shown"), "hidden": N_("hidden")}
LEVELS = {"city": N_("city level"), "district": N_("district level")}
NONE = N_("not given")
QUOTE_CHARS = 120  # each contribution's first characters in the summary


def counts(rows) -> dict:
    """Contributions, replies and participants among visible rows."""
    return {"contributions": sum(1 for r in rows if r.parent_id is None),
            "replies": sum(1 for r in rows if r.parent_id is not None),
            "participants": len({r.member_id for r in rows})}


async def listing(conn, *, committee: str | None = None, statuses: tuple[str, ...] | None = None) -> list[tuple]:
    """[(topic, its counts)], newest first: every topic, or one committee's (the console's scope)."""
    return [(topic, counts(await store.visible(conn, topic.id))) for topic in await store.listing(conn, statuses)
            if committee is None or topic.committee_code == committee]


async def _names(conn, kind: str, lang: str) -> dict:
    return {row.code: reference.name(row, lang) for row in await reference.rows_of(conn, kind)}


def _tally(t, people: dict, key, names: dict | None = None) -> str:
    counted = Counter(key(row) for row in people.values())
    parts = [f"{t(LEVELS[k]) if names is None else names.get(k, k) if k else t(NONE)} {n}"
             for k, n in counted.most_common()]
    return "、".join(parts) if t.lang == "zh" else ", ".join(parts)


async def tallies(conn, rows, say, lang: str) -> list[str]:
    """Who took part, by level, district and sector (none without authors); ``say``: a translator
    (HTML) or its ``plain`` (the console's page)."""
    authors = {r.member_id: r for r in rows}
    if not authors:
        return []
    t = translator(lang)
    return [say("By level: {tally}", tally=_tally(t, authors, lambda r: r.level)),
            say("By district: {tally}", tally=_tally(t, authors, lambda r: r.district_code,
                                                     await _names(conn, "district", lang))),
            say("By sector: {tally}", tally=_tally(t, authors, lambda r: r.sector_code,
                                                   await _names(conn, "sector", lang)))]


async def summary(conn, topic, lang: str) -> tuple[str, Buttons]:
    """The closing summary for the committee, with the button that writes the conclusion."""
    t = translator(lang)
    rows = await store.visible(conn, topic.id)
    c = counts(rows)
    lines = [t("📊 <b>Deliberation closed: {title}</b>", title=topic.title),
             t("{contributions} contributions, {replies} replies, {participants} participants", **c)]
    lines += await tallies(conn, rows, t, lang)
    for position in [*range(1, len(topic.questions) + 1), None]:
        said = [r for r in rows if r.question == position and r.parent_id is None]
        if not said:
            continue
        lines += ["", f"<b>{question_label(t, topic, position)}</b>"]
        lines += [f"#{r.number} {esc(r.name)}: {esc(clip(r.text, QUOTE_CHARS))}" for r in said]
    buttons = [] if topic.conclusion else [[(t.plain("📌 Write the conclusion"), ACT.pack("conclude", topic.id))]]
    return "\n".join(lines), buttons


async def write_export(conn, topic, path: Path, lang: str = "zh") -> int:
    """The XLSX (or CSV) of everything said but what was withdrawn; returns the rows written."""
    t = translator(lang)
    rows = await store.not_withdrawn(conn, topic.id)
    numbers = {r.id: r.number for r in rows}
    districts, sectors = await _names(conn, "district", lang), await _names(conn, "sector", lang)
    table = [[r.number, numbers.get(r.parent_id, "") if r.parent_id else "", question_label(t.plain, topic, r.question),
              r.roster_id, r.name, t.plain(LEVELS.get(r.level, r.level)), districts.get(r.district_code, ""),
              sectors.get(r.sector_code, ""), t.plain(NAMING[r.naming]), r.text, t.plain(STATUS[r.status]),
              r.hidden_reason or "", "✓" if r.pinned else "", shown(r.created_at),
              shown(r.edited_at) if r.edited_at else ""] for r in rows]
    write_table(path, [t.plain(column) for column in COLUMNS], table)
    return len(table)
