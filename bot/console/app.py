"""The console's aiohttp application: its middlewares (refusal pages, the session, CSRF on every
POST, security headers), the screens' routes behind their scope guard, and serving it."""

from __future__ import annotations

import logging
import secrets

import jinja2
import yarl
from aiohttp import web

from bot.clock import Clock
from bot.console import auth
from bot.console.screens import SCREEN_LIST
from bot.console.web import (CLOCK, CONFIG, COOKIE, DB, HERE, JINJA, MAX_UPLOAD, PUBLIC, SCREENS, SESSION,
                             Refusal, Screen, refusal_page, refuse)
from handlers.console import signin
from handlers.core.context import HandlerConfig
from handlers.core.i18n import N_
from storage.db import Database

log = logging.getLogger("linkage.console")


@web.middleware
async def refusals(request: web.Request, handler):
    try:
        return await handler(request)
    except Refusal as refusal:
        return refusal_page(request, refusal)
    except web.HTTPNotFound:
        return refusal_page(request, Refusal(404, N_("Not found"), N_("There is no such page in the console.")))
    except web.HTTPMethodNotAllowed:
        return refusal_page(request, Refusal(405, N_("Not allowed"), N_("This page cannot be used that way.")))
    except web.HTTPRequestEntityTooLarge:
        return refusal_page(request, Refusal(413, N_("Too large"), N_("The file is larger than the console takes "
                                             "({mb} MB)."), mb=MAX_UPLOAD // (1024 * 1024)))


@web.middleware
async def sessions(request: web.Request, handler):
    """Every page but the sign-in's needs a live session; every POST its CSRF token."""
    origin = request.headers.get("Origin")
    if request.method == "POST" and origin and origin != "null" and yarl.URL(origin).host_port_subcomponent != request.host:
        # a browser says where a form came from: another site's form is refused, the sign-in's too
        raise refuse(400, N_("The form has expired"),
                     N_("This form was not sent from the console's own page. Open the page again and retry."))
    if request.path.startswith(PUBLIC):
        return await handler(request)
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise refuse(403, N_("Please sign in"), N_("Send /console to the bot in a private chat for a sign-in link."))
    async with request.app[DB].transaction() as conn:
        session = await signin.session(conn, cookie, request.app[CLOCK].now(), request.app[CONFIG])
    if session is None:  # unknown (tampered), ended, idle too long, or the role was taken away
        response = refusal_page(request, Refusal(
            403, N_("Your session is not valid"),
            N_("It has ended, timed out after {minutes} minutes without use, or the cookie was changed. "
               "Send /console to the bot for a new sign-in link."), minutes=request.app[CONFIG].console_idle_minutes))
        response.del_cookie(COOKIE, path="/")
        return response
    request[SESSION] = session
    if request.method == "POST":
        form = await request.post()
        given = str(form.get("csrf", "")).encode("utf-8", "surrogateescape")
        if not secrets.compare_digest(given, session.csrf.encode()):
            raise refuse(400, N_("The form has expired"), N_("This form was not sent from the console's own page. Open the page again and retry."))
    return await handler(request)


@web.middleware
async def headers(request: web.Request, handler):
    response = await handler(request)
    # nothing from elsewhere, no framing, no Referer (a sign-in link's token must not leak), no cache
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
                                "style-src 'self'; frame-ancestors 'none'; form-action 'self'")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _guarded(screen: Screen, handler):
    async def guarded(request: web.Request) -> web.StreamResponse:
        if not screen.allowed(request[SESSION].scope):
            raise refuse(403, N_("Outside what you manage"), N_("This page is outside what you manage."))
        return await handler(request)
    return guarded


def make_app(db: Database, config: HandlerConfig, clock: Clock | None = None) -> web.Application:
    app = web.Application(middlewares=[headers, refusals, sessions], client_max_size=MAX_UPLOAD)
    app[DB], app[CONFIG], app[CLOCK] = db, config, clock or Clock()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    app[JINJA] = env
    app[SCREENS] = tuple(SCREEN_LIST)
    auth.add_routes(app)
    for screen in SCREEN_LIST:
        for method, path, handler in screen.routes:
            app.router.add_route(method, path, _guarded(screen, handler))
    app.router.add_static("/static/", HERE / "static")
    return app


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)  # an access log would hold the sign-in links' tokens
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("console listening", extra={"host": host, "port": port})
    return runner
