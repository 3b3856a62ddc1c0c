"""Sign-in through a one-time link (GET shows a button, POST uses the link: a link preview or a
mail scanner that fetches the page does not spend it), sign-out, and the home page."""

from __future__ import annotations

from aiohttp import web

from bot.console.web import COOKIE, SESSION, Refusal, now, read, refuse, render, set_session_cookie, visible_screens, write
from handlers.console import signin
from handlers.core.i18n import N_

REFUSALS = {  # SignInRefused.reason → (status, title, message)
    "unknown": (400, N_("This sign-in link is not valid"),
                N_("Check that the whole link was opened, or send /console to the bot for a new one.")),
    "used": (403, N_("This sign-in link has been used"),
             N_("Each link signs in once. Send /console to the bot for a new one.")),
    "expired": (403, N_("This sign-in link has expired"),
                N_("A link is valid for a few minutes only. Send /console to the bot for a new one.")),
    "not_allowed": (403, N_("The console is for the office's staff"),
                    N_("Only the office's staff, district CPPCC staff and committee staff may sign in.")),
}


def _refused(exc: signin.SignInRefused) -> Refusal:
    status, title, message = REFUSALS[exc.reason]
    return refuse(status, title, message)


async def login_page(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    async with read(request) as conn:
        try:
            member = await signin.check_link(conn, token, now(request))
        except signin.SignInRefused as exc:
            raise _refused(exc) from None
    return render(request, "login.html", name=member.name, token=token)


async def login(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    async with write(request) as conn:
        try:
            cookie, _session = await signin.sign_in(conn, token, now(request))
        except signin.SignInRefused as exc:
            raise _refused(exc) from None
    response = web.HTTPSeeOther("/")
    set_session_cookie(response, request, cookie)
    raise response


async def logout(request: web.Request) -> web.Response:
    async with write(request) as conn:
        await signin.sign_out(conn, request.cookies[COOKIE], now(request), request[SESSION])
    response = web.HTTPSeeOther("/signed-out")
    response.del_cookie(COOKIE, path="/")
    raise response


async def signed_out(request: web.Request) -> web.Response:
    return render(request, "signed_out.html")


async def home(request: web.Request) -> web.Response:
    screens = visible_screens(request, request[SESSION].scope)
    if screens:
        raise web.HTTPSeeOther(screens[0].path)
    return render(request, "home.html")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login/{token}", login_page)
    app.router.add_post("/login/{token}", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/signed-out", signed_out)
    app.router.add_get("/", home)
