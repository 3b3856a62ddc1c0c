"""Exports (placeholder until filled in)."""

from __future__ import annotations

from aiohttp import web

from bot.console.web import Screen, render
from handlers.core.i18n import N_


async def page(request: web.Request) -> web.Response:
    return render(request, "exports/page.html")


SCREEN = Screen("exports", N_("Exports"), "/exports", allowed=lambda scope: scope.sees_reports,
                routes=[("GET", "/exports", page)])
