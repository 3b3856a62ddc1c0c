"""Dashboard: the numbers of a period the admin picks, the weekly statistics' chart for it, the
oldest unclaimed reports and the outbox's health (handlers/console/dashboard.py computes them)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from bot.console.web import CONFIG, Screen, now, read, render, session_of
from handlers.console import dashboard
from handlers.core.i18n import N_, translator
from handlers.core.localtime import local_day
from handlers.reports.lifecycle import titled


def _period(request: web.Request):
    """(first, last, errors): the form's period, or the last seven days with the error beside its field."""
    today = local_day(now(request))
    try:
        first, last = dashboard.period(request.query.get("from"), request.query.get("to"), today)
        return first, last, {}
    except dashboard.PeriodError as exc:
        t = translator(session_of(request).member.language)
        first, last = dashboard.period(None, None, today)
        return first, last, {exc.field: t.plain(str(exc))}


async def page(request: web.Request) -> web.Response:
    session = session_of(request)
    first, last, errors = _period(request)
    async with read(request) as conn:
        board = await dashboard.load(conn, session.scope, first, last, request.app[CONFIG], now(request))
    lang = translator(session.member.language).lang
    oldest = [(titled(item), dashboard.age_days(item.updated_at, now(request)), item) for item in board.oldest_unclaimed]
    return render(request, "dashboard/page.html", board=board, totals=board.totals(), errors=errors,
                  by_topic=board.rows("topic", lang), by_district=board.rows("district", lang), oldest=oldest,
                  form={"from": request.query.get("from", first.isoformat()),
                        "to": request.query.get("to", last.isoformat())},
                  chart_query=f"from={first.isoformat()}&to={last.isoformat()}")


async def chart(request: web.Request) -> web.StreamResponse:
    """The weekly statistics' chart (handlers/digests/charts.py), drawn for this period and scope."""
    from handlers.digests.charts import render_office_chart
    session = session_of(request)
    first, last, _errors = _period(request)
    async with read(request) as conn:
        board = await dashboard.load(conn, session.scope, first, last, request.app[CONFIG], now(request))
    lang = translator(session.member.language).lang
    scope = session.scope.district or session.scope.kind
    path = (Path(request.app[CONFIG].charts_dir) / f"console-{scope}-{first}-{last}-{lang}.png").resolve()
    await asyncio.to_thread(render_office_chart, board.chart_data(lang), path, lang)  # matplotlib: off the loop
    return web.FileResponse(path, headers={"Content-Type": "image/png"})


SCREEN = Screen("dashboard", N_("Dashboard"), "/dashboard", allowed=lambda scope: scope.sees_reports,
                routes=[("GET", "/dashboard", page), ("GET", "/dashboard/chart.png", chart)])
