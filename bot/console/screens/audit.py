"""The audit log, filterable by door, action and period (handlers/console/audit.py)."""

from __future__ import annotations

import json

from aiohttp import web

from bot.console.web import Screen, now, read, render, session_of
from handlers.console import audit
from handlers.core.i18n import N_, translator
from handlers.core.localtime import local_day


async def page(request: web.Request) -> web.Response:
    session = session_of(request)
    t = translator(session.member.language)
    f = audit.read_filters(request.query, local_day(now(request)))
    async with read(request) as conn:
        rows = await audit.entries(conn, session.scope, f)
    shown_rows = [(row, json.dumps(row.detail, ensure_ascii=False, sort_keys=True)) for row in rows]
    return render(request, "audit/page.html", rows=shown_rows, q=request.query, f=f, doors=list(audit.DOORS.items()),
                  errors={name: t.plain(msgid) for name, msgid in f.errors.items()},
                  limited=len(rows) >= audit.MAX_ROWS)


SCREEN = Screen("audit", N_("Audit log"), "/audit", allowed=lambda scope: True, routes=[("GET", "/audit", page)])
