"""Exports as downloads: the reports of a period as XLSX or CSV — the same operation as
``linkage export reports`` (handlers/reports/exports.py), audited with the console as the door.
A district office's admin exports their own district; only the city office may name anonymous
authors (``reveal``), and that is in the audit log."""

from __future__ import annotations

import tempfile
from pathlib import Path

from aiohttp import web

from bot.console.web import Screen, now, render, session_of, write
from handlers.console.dashboard import PeriodError, period
from handlers.core.errors import AdminError
from handlers.core.i18n import N_, translator
from handlers.core.localtime import local_day
from handlers.core.roles import CITY
from handlers.reports.exports import export_reports
from storage import reference

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}


async def _form(request: web.Request, values: dict, errors: dict, status: int = 200) -> web.Response:
    from bot.console.web import read
    session = session_of(request)
    lang = translator(session.member.language).lang
    async with read(request) as conn:
        districts = [(d.code, reference.name(d, lang)) for d in await reference.all_districts(conn)]
    return render(request, "exports/page.html", status=status, values=values, errors=errors, districts=districts)


async def page(request: web.Request) -> web.Response:
    today = local_day(now(request))
    first, last = period(None, None, today)
    return await _form(request, {"from": first.isoformat(), "to": last.isoformat(), "format": "xlsx",
                                 "district": "", "reveal": False}, {})


async def download(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    t = translator(session.member.language)
    form = await request.post()
    values = {"from": str(form.get("from", "")), "to": str(form.get("to", "")), "format": str(form.get("format", "")),
              "district": str(form.get("district", "")), "reveal": form.get("reveal") == "1"}
    errors = {}
    try:
        first, last = period(values["from"] or None, values["to"] or None, local_day(now(request)))
    except PeriodError as exc:
        errors[exc.field] = t.plain(str(exc))
    if values["format"] not in FORMATS:
        errors["format"] = t.plain(N_("Choose XLSX or CSV."))
    city = session.scope.kind == CITY
    if values["reveal"] and not city:
        errors["reveal"] = t.plain(N_("Only the city office may name anonymous authors."))
    district = (values["district"] or None) if city else session.scope.district
    if errors:
        return await _form(request, values, errors, status=400)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"reports-{first}-{last}.{values['format']}"
        try:
            async with write(request) as conn:
                await export_reports(conn, path, first, last, now(request), district=district,
                                     reveal_anonymous=values["reveal"], lang=t.lang, actor=session.actor)
        except AdminError as exc:
            return await _form(request, values, {"district": exc.text(t)}, status=400)
        body = path.read_bytes()
    return web.Response(body=body, content_type=FORMATS[values["format"]], headers={
        "Content-Disposition": f'attachment; filename="{path.name}"'})


SCREEN = Screen("exports", N_("Exports"), "/exports", allowed=lambda scope: scope.sees_reports,
                routes=[("GET", "/exports", page), ("POST", "/exports/reports", download)])
