"""What every console page uses: the app's keys, ``render``, ``read``/``write`` (a transaction),
``refuse`` (the refusal page), the session cookie, :class:`Screen` (one per screen module), and
for the screens that act: ``office_ctx``, ``attempt`` (a change and its refusal) and ``download``."""

from __future__ import annotations

import tempfile
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Sequence

import jinja2
from aiohttp import web

from bot.clock import Clock
from handlers.console import signin
from handlers.core.context import Ctx, HandlerConfig
from handlers.core.errors import AdminError
from handlers.core.i18n import translator
from handlers.core.localtime import shown
from handlers.core.roles import Scope
from handlers.features import REGISTRY
from storage.db import Database

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
    t = translator(_lang(request))
    session = request.get(SESSION)
    env = request.app[JINJA]
    page = env.get_template(template).render(
        t=t.plain, lang=t.lang, session=session, scope=session.scope if session else None,
        nav=visible_screens(request, session.scope) if session else [], path=request.path,
        csrf=session.csrf if session else "", shown=shown, refusal=lambda error: error.text(t), **values)
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


def refusal_text(request: web.Request, exc: AdminError) -> str:
    """An office operation's refusal in the reader's language (``str(exc)`` is the English)."""
    return exc.text(translator(_lang(request)))


def refusal_of(request: web.Request, exc: AdminError, default: str, *, fields=None, prefix: str = "") -> dict:
    """A refusal as a form's ``errors``: beside the field it names (``exc.field``, if the form has
    it: ``fields``), else beside ``default``; ``prefix`` tells a page's forms apart ("plan_")."""
    field = exc.field if exc.field and (fields is None or exc.field in fields) else default
    return {prefix + field: refusal_text(request, exc)}


def refusal_page(request: web.Request, refusal: Refusal) -> web.Response:
    t = translator(_lang(request))
    return render(request, "refusal.html", status=refusal.status, title=t.plain(refusal.title),
                  message=t.plain(refusal.message, **refusal.values))


SCREENS = web.AppKey("screens", tuple)  # every Screen, in the nav's order

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Screen:
    name: str  # its templates' folder, templates/<name>/
    title: str  # the nav's label (an N_ msgid)
    path: str  # where the nav links to
    allowed: Callable[[Scope], bool]  # who may open any of its routes (403 for anyone else)
    routes: Sequence[tuple[str, str, Handler]] = field(default_factory=tuple)  # (method, path, handler)
    nav: bool = True  # listed in the nav (False: reached from other pages only)


def visible_screens(request: web.Request, scope: Scope) -> list[Screen]:
    return [s for s in request.app[SCREENS] if s.nav and s.allowed(scope)]


def set_session_cookie(response: web.StreamResponse, request: web.Request, token: str) -> None:
    secure = request.app[CONFIG].console_url.startswith("https://")
    response.set_cookie(COOKIE, token, path="/", httponly=True, samesite="Strict", secure=secure)


async def form_of(request: web.Request) -> dict[str, str]:
    """A POSTed form's text fields, stripped (the CSRF middleware has read and checked it already)."""
    form = await request.post()
    return {key: value.strip() for key, value in form.items() if isinstance(value, str) and key != "csrf"}


def see_other(path: str) -> web.HTTPSeeOther:
    """After a change, answer with a redirect to a page (raise it): a reload does not repeat the change."""
    return web.HTTPSeeOther(path)


def office_ctx(request: web.Request, conn) -> Ctx:
    """The context an office operation runs in, as on the command line: no update, no sender
    (what it sends goes to the outbox, its timers to the scheduler)."""
    return Ctx.offline(conn, now(request), request.app[CONFIG], REGISTRY)


def id_in_path(request: web.Request, name: str) -> int:
    """A numeric id from the route; anything else is a page that does not exist."""
    raw = request.match_info[name]
    if not raw.isdigit() or len(raw) > 9:
        raise web.HTTPNotFound()
    return int(raw)


def number_in(text: str, *, digits: int = 6, signed: bool = False) -> int:
    """A whole number typed in a form (at most ``digits`` digits: a column's integer holds it), or
    a refusal (AdminError), shown beside the field."""
    unsigned = text[1:] if signed and text[:1] in ("+", "-") else text
    if not unsigned.isdigit() or len(unsigned) > digits:
        raise AdminError("a whole number of at most {digits} digits, not {text!r}", digits=digits, text=text)
    return int(text)


def committees_own(request: web.Request, row):
    """The row (a topic, a project, a proposal) if the session's scope runs its committee
    (``committee_code``, None: the office's own); another committee's does not exist here (404)."""
    if row is None or not session_of(request).scope.sees_committee(row.committee_code):
        raise web.HTTPNotFound()
    return row


def field_named(message: str, fields: dict[str, tuple[str, ...]], default: str) -> str:
    """The form field a refusal is about: the first whose words the (English) message names."""
    lowered = message.lower()
    return next((name for name, words in fields.items() if any(w in lowered for w in words)), default)


async def attempt(request: web.Request, work, again) -> web.StreamResponse:
    """A change through an office operation: ``work(conn, form, session)`` runs in one transaction
    and returns the page to go to (303). A refusal (AdminError) answers ``again(message, form)``
    (the page again, status 400, the message beside its field): the transaction is rolled back."""
    form = await form_of(request)
    try:
        async with write(request) as conn:
            target = await work(conn, form, session_of(request))
    except AdminError as exc:
        return await again(refusal_text(request, exc), form)
    raise see_other(target)


async def room_key(request: web.Request, make) -> tuple[str | None, dict]:
    """A topic's or project's room key (``make(conn, hours, actor)``, its module's ``room_key``):
    (the key, shown once; no errors), or (None, the refusal beside the room's form)."""
    session = session_of(request)
    try:
        async with write(request) as conn:
            return await make(conn, request.app[CONFIG].bind_key_hours, session.actor), {}
    except AdminError as exc:
        return None, {"room": refusal_text(request, exc)}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def download(request: web.Request, name: str, make, *, changes: bool = False) -> web.Response:
    """A file an office operation writes (``make(conn, path)``), as a download named ``name``;
    ``changes``: the operation writes to the database too (the points' collection)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        async with (write(request) if changes else read(request)) as conn:
            await make(conn, path)
        body = path.read_bytes()
    return web.Response(body=body, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
