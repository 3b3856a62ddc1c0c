"""Audit log (placeholder until filled in)."""

from __future__ import annotations

from aiohttp import web

from bot.console.web import Screen, render
from handlers.core.i18n import N_


async def page(request: web.Request) -> web.Response:
    return render(request, "audit/page.html")


SCREEN = Screen("audit", N_("Audit log"), "/audit", allowed=lambda scope: scope.sees_reports,
                routes=[("GET", "/audit", page)])
