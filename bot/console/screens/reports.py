"""Reports: the list with filters and search, a report's page, revealing an anonymous author
(handlers/console/reports.py decides what the viewer's scope may see)."""

from __future__ import annotations

from aiohttp import web

from bot.console.web import CONFIG, Screen, now, read, refuse, render, session_of, write
from handlers.console import reports
from handlers.core.errors import AdminError
from handlers.core.i18n import N_, translator
from handlers.core.localtime import local_day


async def listing(request: web.Request) -> web.Response:
    session = session_of(request)
    t = translator(session.member.language)
    async with read(request) as conn:
        filters = await reports.read_filters(conn, session.scope, request.query, local_day(now(request)))
        rows = await reports.listing(conn, session.scope, filters, request.app[CONFIG], now(request), t.lang)
        options = await reports.choices(conn, session.scope, t.lang)
    errors = {name: t.plain(msgid) for name, msgid in filters.errors.items()}
    return render(request, "reports/list.html", rows=rows, f=filters, q=request.query, errors=errors,
                  options=options, limited=len(rows) >= reports.MAX_LISTED)


async def page(request: web.Request) -> web.Response:
    session = session_of(request)
    lang = translator(session.member.language).lang
    async with read(request) as conn:
        try:
            report = await reports.report_page(conn, session.scope, request.match_info["code"], lang)
        except AdminError as exc:
            raise refuse(404, N_("Not found"), exc.msgid, **exc.values) from None
    return render(request, "reports/page.html", r=report)


async def reveal(request: web.Request) -> web.Response:
    session = session_of(request)
    lang = translator(session.member.language).lang
    async with write(request) as conn:
        try:
            report = await reports.reveal(conn, session.scope, request.match_info["code"], now(request),
                                          actor=session.actor, lang=lang)
        except AdminError as exc:
            raise refuse(403, N_("Not allowed"), exc.msgid, **exc.values) from None
    return render(request, "reports/page.html", r=report)


SCREEN = Screen("reports", N_("Reports"), "/reports", allowed=lambda scope: scope.sees_reports,
                routes=[("GET", "/reports", listing), ("GET", "/reports/{code}", page),
                        ("POST", "/reports/{code}/reveal", reveal)])
