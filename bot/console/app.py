"""The console's aiohttp application: middlewares (refusal pages, session, CSRF, headers) and
the helpers every screen uses (``render``, ``read``, ``write``, ``refuse``)."""

from __future__ import annotations

import logging
import secrets
from contextlib import asynccontextmanager
from pathlib import Path

import jinja2
from aiohttp import web

from bot.clock import Clock
from handlers.console import signin
from handlers.core.context import HandlerConfig
from handlers.core.i18n import N_, translator
from handlers.core.localtime import shown
from storage.db import Database

log = logging.getLogger("linkage.console")

HERE = Path(__file__).parent
COOKIE = "linkage_console"
MAX_UPLOAD = 10 * 1024 * 1024  # the largest form or file the console takes (a roster XLSX)
PUBLIC = ("/login/", "/static/", "/signed-out")  # no session needed

DB = web.AppKey("db", Database)
CONFIG = web.AppKey("config", HandlerConfig)
CLOCK = web.AppKey("clock", Clock)
JINJA = web.AppKey("jinja", jinja2.Environment)
SESSION = web.RequestKey("session", signin.Session)  # request[SESSION]: the signed-in session


class Refusal(Exception):
    """Answer with the refusal page: ``status``, a title and a message (msgids)."""

    def __init__(self, status: int, title: str, message: str, **values):
        super().__init__(title)
        self.status, self.title, self.message, self.values = status, title, message, values


def refuse(status: int, title: str, message: str, **values) -> Refusal:
    return Refusal(status, title, message, **values)


def _lang(request: web.Request) -> str:
    session = request.get(SESSION)
    return session.member.language if session is not None else "zh"


def render(request: web.Request, template: str, *, status: int = 200, **values) -> web.Response:
    """The template, with what every page needs: t(), the session, the nav, the CSRF field."""
    from bot.console.screens import visible_screens
    t = translator(_lang(request))
    session = request.get(SESSION)
    env = request.app[JINJA]
    page = env.get_template(template).render(
        t=t.plain, lang=t.lang, session=session, scope=session.scope if session else None,
        nav=visible_screens(session.scope) if session else [], path=request.path,
        csrf=session.csrf if session else "", shown=shown, **values)
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")


@asynccontextmanager
async def read(request: web.Request):
    async with request.app[DB].read() as conn:
        yield conn


@asynccontextmanager
async def write(request: web.Request):
    async with request.app[DB].transaction() as conn:
        yield conn


def now(request: web.Request):
    return request.app[CLOCK].now()


def session_of(request: web.Request) -> signin.Session:
    return request[SESSION]


def refusal_page(request: web.Request, refusal: Refusal) -> web.Response:
    t = translator(_lang(request))
    return render(request, "refusal.html", status=refusal.status, title=t.plain(refusal.title),
                  message=t.plain(refusal.message, **refusal.values))


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


def set_session_cookie(response: web.StreamResponse, request: web.Request, token: str) -> None:
    secure = request.app[CONFIG].console_url.startswith("https://")
    response.set_cookie(COOKIE, token, path="/", httponly=True, samesite="Strict", secure=secure)


def make_app(db: Database, config: HandlerConfig, clock: Clock | None = None) -> web.Application:
    from bot.console import auth
    from bot.console.screens import add_screens
    app = web.Application(middlewares=[headers, refusals, sessions], client_max_size=MAX_UPLOAD)
    app[DB], app[CONFIG], app[CLOCK] = db, config, clock or Clock()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    app[JINJA] = env
    auth.add_routes(app)
    add_screens(app)
    app.router.add_static("/static/", HERE / "static")
    return app


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)  # an access log would hold the sign-in links' tokens
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("console listening", extra={"host": host, "port": port})
    return runner
