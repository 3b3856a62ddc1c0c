"""Dashboard: the numbers of a period the admin picks (placeholder until filled in)."""

from __future__ import annotations

from aiohttp import web

from bot.console.web import Screen, render
from handlers.core.i18n import N_


async def page(request: web.Request) -> web.Response:
    return render(request, "dashboard/page.html")


SCREEN = Screen("dashboard", N_("Dashboard"), "/dashboard", allowed=lambda scope: scope.sees_reports,
                routes=[("GET", "/dashboard", page)])
