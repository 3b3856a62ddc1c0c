"""The console's screens: one module each, listed here in the nav's order (bot/console/__init__.py
says how to add one)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Sequence

from aiohttp import web

from handlers.core.roles import Scope

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Screen:
    name: str  # its templates' folder, templates/<name>/
    title: str  # the nav's label (an N_ msgid)
    path: str  # where the nav links to
    allowed: Callable[[Scope], bool]  # who may open any of its routes (403 for anyone else)
    routes: Sequence[tuple[str, str, Handler]] = field(default_factory=tuple)  # (method, path, handler)
    nav: bool = True  # listed in the nav (False: reached from other pages only)


def _screens() -> list[Screen]:
    from bot.console.screens import audit, dashboard, exports, reports
    return [
        dashboard.SCREEN,  # numbers for a period, the chart, oldest unclaimed, the outbox's health
        reports.SCREEN,    # reports: list, filters, search; a report's page; revealing an author
        audit.SCREEN,      # the audit log
        exports.SCREEN,    # exports as downloads
    ]


@functools.cache
def screens() -> tuple[Screen, ...]:
    return tuple(_screens())


def visible_screens(scope: Scope) -> list[Screen]:
    return [s for s in screens() if s.nav and s.allowed(scope)]


def _guarded(screen: Screen, handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        from bot.console.app import SESSION, refuse
        from handlers.core.i18n import N_
        if not screen.allowed(request[SESSION].scope):
            raise refuse(403, N_("Not for your office"), N_("This page is not part of what your office manages."))
        return await handler(request)
    return guarded


def add_screens(app: web.Application) -> None:
    for screen in screens():
        for method, path, handler in screen.routes:
            app.router.add_route(method, path, _guarded(screen, handler))
