"""The duty record (履职档案): one member's year gathered from every feature's part
(``Feature.record_parts``, handlers/core/points.py) — reports and their outcomes, co-signatures,
study sessions and excused absences, reading plans, notices read, points — as a short summary
in chat (``/record``, the member's own only) and as an XLSX and a PDF document; the office's
``linkage record`` writes one member's or everyone's (handlers/points/files.py)."""

from __future__ import annotations

import base64
import html

from handlers.core.context import Ctx
from handlers.core.errors import AdminError
from handlers.core.i18n import N_, translator
from handlers.core.localtime import local_day, shown
from handlers.core.points import RecordSection
from handlers.points import files, ledger
from handlers.points.views import entry_reason
from storage import people
from storage import points as store


async def record_part(conn, member, start, end, lang: str) -> list[RecordSection]:
    """The points' own part: every entry of the window with its reason, and the total."""
    t = translator(lang)
    rules = await store.rules(conn)
    entries = list(reversed(await store.of_member(conn, member.id, start=start, end=end)))
    rows = [[shown(e.occurred_at), e.amount, entry_reason(e, rules, lang)] for e in entries]
    if rows:
        rows.append([t.plain(N_("Total")), sum(e.amount for e in entries), ""])
    return [RecordSection("points", t.plain(N_("Points")),
                          [t.plain(N_("When")), t.plain(N_("Points")), t.plain(N_("Why"))], rows)]


async def member_record(conn, features, member, year: int, lang: str) -> list[RecordSection]:
    start, end = ledger.year_of(year)
    return [section for part in features.record_parts for section in await part(conn, member, start, end, lang)]


def summary(member, year: int, sections: list[RecordSection], lang: str) -> str:
    t = translator(lang)
    lines = [t("📒 <b>Your duty record for {year}</b>", year=year), html.escape(member.name), ""]
    lines += [t("{section}: {count}", section=section.title, count=files.counted(section)) for section in sections]
    return "\n".join(lines + ["", t("The spreadsheet and the PDF below hold every line.")])


def _document(ctx: Ctx, name: str, content: bytes) -> dict:
    return {"chat_id": ctx.event.chat_id,
            "document": {"$upload": {"name": name, "base64": base64.b64encode(content).decode()}}}


async def cmd_record(ctx: Ctx) -> None:
    """/record [YEAR]: the sender's own record (nobody else's: there is no member argument)."""
    member, lang = ctx.member, ctx.member.language
    words = (ctx.event.text or "").split()[1:]
    year = local_day(ctx.now).year
    if words and words[0].isdigit() and 2000 <= int(words[0]) <= year:
        year = int(words[0])
    await ledger.collect(ctx.conn, ctx.features, ctx.now)
    sections = await member_record(ctx.conn, ctx.features, member, year, lang)
    await ctx.reply(summary(member, year, sections, lang))
    title = ctx.t.plain("Duty record {year}: {name}", year=year, name=member.name)
    stem = f"linkage-record-{member.roster_id}-{year}"
    for name, content in ((f"{stem}.xlsx", files.member_workbook(sections)),
                          (f"{stem}.pdf", files.member_pdf(title, sections))):
        await ctx.call("sendDocument", _document(ctx, name, content), chat_id=ctx.event.chat_id)


async def write_member(conn, features, roster_ref: str, year: int, path) -> int:
    """The office's ``linkage record MEMBER``: the member's year as .xlsx or .pdf (zh); returns rows."""
    member = await people.find(conn, roster_ref)
    if member is None:
        raise AdminError("no member {roster_ref!r}", roster_ref=roster_ref)
    sections = await member_record(conn, features, member, year, "zh")
    title = translator("zh").plain("Duty record {year}: {name}", year=year, name=member.name)
    content = files.member_pdf(title, sections) if path.suffix.lower() == ".pdf" else files.member_workbook(sections)
    path.write_bytes(content)
    return sum(len(section.rows) for section in sections)


async def write_all(conn, features, year: int, path) -> int:
    """The office's ``linkage record --all``: every active member's year in one workbook; returns members."""
    records = []
    for row in sorted(await store.standings(conn, *ledger.year_of(year)), key=lambda r: r.roster_id):
        member = await people.by_id(conn, row.id)
        records.append((member, await member_record(conn, features, member, year, "zh")))
    path.write_bytes(files.everyone_workbook(records))
    return len(records)
