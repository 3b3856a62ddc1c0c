"""The yearly summary: at ``year_summary_at`` (default 12-31 18:00 Asia/Shanghai) every joined
member gets one message with their year — each section of the duty record (履职档案, gathered
from ``Feature.record_parts``) counted, and the points total — with buttons for /record and
/points. Restart-safe: one timer ``summary:{year}`` (the planner keeps the year's in the timers
table; a bot down at the time still sends it within ``USEFUL``); once per member and year (the
``year_summaries`` row, written with the outbox row ``summary:{year}:{member}``); bulk priority,
so quiet hours hold it as they hold digests. ``linkage summary send --year`` fills a year by hand."""

from __future__ import annotations

import dataclasses
import html
import logging
import re
from datetime import date, datetime, timedelta

from handlers.core.buttons import ButtonData
from handlers.core.context import Ctx
from handlers.core.errors import AdminError
from handlers.core.i18n import N_, translator
from handlers.core.localtime import local_at, local_day
from storage import digests as recipients_store
from storage import outbox
from storage import points as points_store
from storage import selfservice as store

log = logging.getLogger("linkage.summary")

USEFUL = timedelta(days=3)  # a bot down at the time sends the summary when back, within this
KIND = "selfservice.year_summary"
OPEN = ButtonData("ysum", refusal=N_("This button is not valid."), what=("record", "points"), year=int)
_SPEC = re.compile(r"(\d{2})-(\d{2}) (\d{2}:\d{2})")


def summary_due(year: int, spec: str) -> datetime:
    """``"12-31 18:00"`` (Asia/Shanghai) in ``year``, in UTC; ValueError for a bad spec."""
    match = _SPEC.fullmatch(spec.strip())
    if not match:
        raise ValueError(f"the yearly summary's time is MM-DD HH:MM (Asia/Shanghai), not {spec!r}")
    return local_at(date(year, int(match[1]), int(match[2])), match[3])


def timer_key(year: int) -> str:
    return f"summary:{year}"


def row_key(year: int, member_id: int) -> str:
    return f"summary:{year}:{member_id}"


async def plan_summary(ctx: Ctx) -> None:
    """Keep this year's summary planned (next year's once this year's is past being useful)."""
    year = local_day(ctx.now).year
    due = summary_due(year, ctx.config.year_summary_at)
    if ctx.now >= due + USEFUL:
        year += 1
        due = summary_due(year, ctx.config.year_summary_at)
    await ctx.schedule(timer_key(year), KIND, due, payload={"year": year}, expires_at=due + USEFUL)


async def fire(ctx: Ctx, timer) -> None:
    await send_year(ctx, int(timer.payload["year"]))


def year_window(year: int) -> tuple[datetime, datetime]:
    """The local calendar year [Jan 1 00:00, next Jan 1 00:00) in UTC, as the duty record reads it."""
    return local_at(date(year, 1, 1), "00:00"), local_at(date(year + 1, 1, 1), "00:00")


async def text_for(ctx: Ctx, member, year: int) -> str:
    t = translator(member.language)
    start, end = year_window(year)
    lines = [t("📒 <b>Your year {year}: a summary</b>", year=year), html.escape(member.name), ""]
    for part in ctx.features.record_parts:
        for section in await part(ctx.conn, member, start, end, t.lang):
            if section.key != "points":  # the points come last, as their total
                lines.append(t("{section}: {count}", section=section.title, count=len(section.rows)))
    total = await points_store.total(ctx.conn, member.id, start, end)
    lines += [t("⭐ Points: {total}", total=total), "",
              t("Thank you for your work this year. /record {year} gives your full duty record (a spreadsheet and a "
                "PDF); /points shows how you earned your points.", year=year)]
    return "\n".join(lines)


def buttons_for(member, year: int) -> list:
    t = translator(member.language)
    return [[(t.plain("📒 Duty record {year}", year=year), OPEN.pack("record", year)),
             (t.plain("⭐ My points"), OPEN.pack("points", year))]]


async def send_year(ctx: Ctx, year: int, *, dry_run: bool = False) -> int:
    """Every joined member's summary of ``year`` not queued yet; returns how many (would be) queued."""
    if not 2000 <= year <= local_day(ctx.now).year + 1:
        raise AdminError("year {year} is not one Linkage can summarise (2000 to next year)", year=year)
    collect = ctx.features.jobs.get("points.collect")  # the ledger up to this moment, through the registry
    if collect is not None and not dry_run:
        await collect(ctx, None)
    done = await store.summarised(ctx.conn, year)
    queued = 0
    for member in await recipients_store.recipients(ctx.conn):
        if member.id in done:
            continue
        queued += 1
        if dry_run:
            continue
        if not await store.mark_summarised(ctx.conn, year, member.id, ctx.now):
            queued -= 1
            continue
        await ctx.send(member.telegram_user_id, await text_for(ctx, member, year), buttons=buttons_for(member, year),
                       key=row_key(year, member.id), priority=outbox.BULK)
    log.info("yearly summary queued", extra={"year": year, "rows": queued, "dry_run": dry_run})
    return queued


async def on_button(ctx: Ctx, fields: dict) -> None:
    """📒 / ⭐ under the summary: the member's own /record of that year, or /points — run as typed."""
    command = fields["what"]
    handler = ctx.features.commands.get(command)
    await ctx.answer()
    if handler is None:
        return
    text = f"/record {fields['year']}" if command == "record" else "/points"
    ctx.event = dataclasses.replace(ctx.event, kind="message", text=text, command=command,
                                    command_args=text.partition(" ")[2], callback_id=None)
    await handler(ctx)
