"""Calendar, notices, digests: study sessions (add, edit, cancel, announce a draft; RSVPs, the
waiting list and attendance), a notice composed and its read counts, a member's digest previewed,
the holiday table — the operations of `linkage study`, `notice`, `digest preview` and `holidays`.
A district office sees and makes the sessions and notices addressed to its district (their
audience is its district), previews its own members' digests and reads the holiday table (the
city office keeps it)."""

from __future__ import annotations

import html
import re
from aiohttp import web

from bot.console.web import CONFIG, Screen, refuse, now, read, refusal_of, refusal_text, render, session_of, write
from handlers.core import audience
from handlers.core.context import Ctx
from handlers.core.errors import AdminError
from handlers.core.i18n import N_
from handlers.core.localtime import local
from handlers.core.roles import CITY, DISTRICT
from handlers.digests.preview import preview
from handlers.features import REGISTRY
from handlers.notices.notices import send_notice, summary
from handlers.reports.deadlines import parse_day, remove_day, set_day
from handlers.study.plans import add_plan, cancel_plan
from handlers.study.sessions import add_session, announce, cancel_session, edit_session
from handlers.study.terms import KINDS, SESSION_STATUS, STATE_LABELS
from handlers.study.views import list_plans, list_sessions, show_session
from storage import calendar as calendar_store
from storage import notices as notice_store
from storage import people

SESSION_FIELDS = ("title", "kind", "start", "end", "place", "link", "audience", "capacity")
EDIT_FIELDS = ("title", "place", "link", "start", "end")  # what a session's page changes
NOTICE_FIELDS = ("title", "body", "audience")
PLAN_FIELDS = ("title", "start_date", "days", "audience", "remind_at")
PLAN_ERRORS = ("title", "start", "days", "audience", "remind_at")  # the fields add_plan's refusals name
PLAN_STATUS = {"active": N_("active"), "cancelled": N_("cancelled")}
DIGEST_KINDS = ("weekly", "liaison", "office")
FORM_TIME = "%Y-%m-%dT%H:%M"  # a datetime-local input's value


def _ctx(conn, request) -> Ctx:
    return Ctx.offline(conn, now(request), request.app[CONFIG], REGISTRY)


def _within(request) -> str | None:
    return session_of(request).scope.district


def _ours(spec: dict, within: str | None) -> bool:
    """A session's or notice's audience a district office manages: its district's."""
    return within is None or spec == {"kind": "district", "value": within}


def _audience(typed: str, within: str | None) -> str:
    return f"district:{within}" if within is not None else (typed or "all")


def plain(text: str) -> str:
    """A digest's Telegram HTML as the text the member reads."""
    return html.unescape(re.sub(r"<[^>]+>", "", text or ""))


async def page(request: web.Request, *, errors: dict | None = None, values: dict | None = None,
               digest: dict | None = None, done: str | None = None, status: int = 200) -> web.Response:
    year = request.query.get("year", "")
    within = _within(request)
    async with read(request) as conn:
        sessions = [v for v in await list_sessions(conn, now(request)) if _ours(v.session.audience, within)]
        notices = [n for n in await notice_store.recent(conn, 100 if within else 20) if _ours(n.audience, within)][:20]
        shown_year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else local(now(request)).year
        holidays = await calendar_store.days(conn, shown_year)
        plans = [p for p in await list_plans(conn) if _ours(p.plan.audience, within)]
    return render(request, "calendar/page.html", status=status, sessions=sessions, notices=notices,
                  holidays=[h for h in holidays if h.kind != "normal"], year=shown_year, plans=plans, plan_statuses=PLAN_STATUS, kinds=KINDS,
                  statuses=SESSION_STATUS, errors=errors or {}, values=values or {}, digest=digest,
                  digest_kinds=DIGEST_KINDS, done=done, local=local)


async def _form(request, names) -> dict:
    form = await request.post()
    return {k: str(form.get(k, "")).strip() for k in names}


async def session_add(request: web.Request) -> web.Response:
    values = await _form(request, (*SESSION_FIELDS, "draft"))
    session = session_of(request)
    try:
        capacity = int(values["capacity"]) if values["capacity"] else None
    except ValueError:
        return await page(request, errors={"capacity": N_("Capacity is a whole number.")}, values=values, status=400)
    try:
        async with write(request) as conn:
            row = await add_session(_ctx(conn, request), title=values["title"], kind=values["kind"],
                                    start=values["start"].replace("T", " "), end=values["end"].replace("T", " "),
                                    place=values["place"], link=values["link"], audience_spec=_audience(values["audience"], _within(request)),
                                    capacity=capacity, draft=values["draft"] == "1", actor=session.actor)
    except AdminError as exc:
        return await page(request, errors=refusal_of(request, exc, "title", fields=SESSION_FIELDS), values=values,
                          status=400)
    return web.Response(status=303, headers={"Location": f"/calendar/session/{row.id}"})


async def plan_add(request: web.Request) -> web.Response:
    values = await _form(request, PLAN_FIELDS)
    session = session_of(request)
    try:
        async with write(request) as conn:
            await add_plan(_ctx(conn, request), title=values["title"], start_date=values["start_date"],
                           days=values["days"], audience_spec=_audience(values["audience"], _within(request)),
                           remind_at=values["remind_at"] or None, actor=session.actor)
    except AdminError as exc:
        return await page(request, errors=refusal_of(request, exc, "title", fields=PLAN_ERRORS, prefix="plan_"),
                          values={f"plan_{k}": v for k, v in values.items()},
                          status=400)
    return web.Response(status=303, headers={"Location": "/calendar#plans"})


async def plan_cancel(request: web.Request) -> web.Response:
    raw = request.match_info["plan_id"]
    if not raw.isdigit() or len(raw) > 9:
        raise web.HTTPNotFound()
    async with read(request) as conn:
        plan = next((p.plan for p in await list_plans(conn) if p.plan.id == int(raw)), None)
    if plan is None or not _ours(plan.audience, _within(request)):
        raise web.HTTPNotFound()
    try:
        async with write(request) as conn:
            await cancel_plan(_ctx(conn, request), plan.id, actor=session_of(request).actor)
    except AdminError as exc:
        return await page(request, errors={"plan_cancel": refusal_text(request, exc)}, status=400)
    return web.Response(status=303, headers={"Location": "/calendar#plans"})


async def _session_view(request):
    raw = request.match_info["session_id"]
    if not raw.isdigit() or len(raw) > 9:
        raise web.HTTPNotFound()
    try:
        async with read(request) as conn:
            view = await show_session(conn, int(raw))
    except AdminError:
        raise web.HTTPNotFound() from None
    if not _ours(view.session.audience, _within(request)):
        raise web.HTTPNotFound()  # another district's session does not exist for this office
    return view


async def session_page(request: web.Request, *, errors: dict | None = None, values: dict | None = None,
                       status: int = 200) -> web.Response:
    view = await _session_view(request)
    s = view.session
    current = {"title": s.title, "place": s.place or "", "link": s.link or "",
               "start": local(s.starts_at).strftime(FORM_TIME), "end": local(s.ends_at).strftime(FORM_TIME)}
    return render(request, "calendar/session.html", status=status, view=view, s=s, kinds=KINDS,
                  statuses=SESSION_STATUS, states=STATE_LABELS, errors=errors or {}, values=values or current,
                  local=local)


async def session_act(request: web.Request) -> web.Response:
    view = await _session_view(request)
    action = request.match_info["action"]
    values = await _form(request, EDIT_FIELDS)
    session = session_of(request)
    try:
        async with write(request) as conn:
            ctx = _ctx(conn, request)
            if action == "edit":
                await edit_session(ctx, view.session.id, title=values["title"], place=values["place"],
                                   link=values["link"], start=values["start"].replace("T", " "),
                                   end=values["end"].replace("T", " "), actor=session.actor)
            elif action == "cancel":
                await cancel_session(ctx, view.session.id, actor=session.actor)
            elif action == "announce":
                await announce(ctx, view.session.id, actor=session.actor)
            else:
                raise web.HTTPNotFound()
    except AdminError as exc:
        errors = refusal_of(request, exc, "title", fields=EDIT_FIELDS) if action == "edit" else \
            {action: refusal_text(request, exc)}
        return await session_page(request, errors=errors, values=values if action == "edit" else None, status=400)
    return web.Response(status=303, headers={"Location": f"/calendar/session/{view.session.id}"})


async def notice_send(request: web.Request) -> web.Response:
    values = await _form(request, NOTICE_FIELDS)
    session = session_of(request)
    try:
        spec = audience.parse(_audience(values["audience"], _within(request)))
        async with write(request) as conn:
            notice_id, _ = await send_notice(_ctx(conn, request), title=values["title"], body=values["body"],
                                             spec=spec, sender_id=session.member.id)
    except AdminError as exc:
        return await page(request, errors=refusal_of(request, exc, "title", fields=NOTICE_FIELDS, prefix="notice_"),
                          values={f"notice_{k}": v for k, v in values.items()}, status=400)
    return web.Response(status=303, headers={"Location": f"/calendar/notice/{notice_id}"})


async def notice_page(request: web.Request) -> web.Response:
    raw = request.match_info["notice_id"]
    if not raw.isdigit() or len(raw) > 9:
        raise web.HTTPNotFound()
    async with read(request) as conn:
        info = await summary(conn, int(raw))
    if info is None or not _ours(info["notice"].audience, _within(request)):
        raise web.HTTPNotFound()
    return render(request, "calendar/notice.html", info=info, n=info["notice"],
                  audience=audience.audience_text(info["notice"].audience), local=local)


async def digest_preview(request: web.Request) -> web.Response:
    ref = request.query.get("member", "").strip()
    kind = request.query.get("kind", "weekly")
    values = {"member": ref, "kind": kind}
    if kind not in DIGEST_KINDS:
        return await page(request, errors={"member": N_("Choose a digest from the list.")}, values=values, status=400)
    async with write(request) as conn:  # a preview sends nothing, but its news may be collected first
        member = await people.find(conn, ref) if ref else None
        if member is not None and _within(request) is not None and member.district_code != _within(request):
            member = None  # not this office's member
        if member is not None:
            text, chart = await preview(_ctx(conn, request), member, kind)
    if member is None:  # (the page is read after the transaction: SQLite has one writer)
        return await page(request, errors={"member": N_("No member with this roster id or name.")},
                          values=values, status=400)
    return await page(request, digest={"member": member, "kind": kind, "text": plain(text), "chart": chart is not None},
                      values=values)


async def holiday_set(request: web.Request) -> web.Response:
    values = await _form(request, ("day", "kind", "name"))
    session = session_of(request)
    if _within(request) is not None:
        raise refuse(403, N_("Outside what you manage"), N_("The holiday table is kept by the city office."))
    try:
        day = parse_day(values["day"])
        async with write(request) as conn:
            if request.match_info["action"] == "remove":
                await remove_day(conn, day, now(request), request.app[CONFIG], actor=session.actor)
            else:
                await set_day(conn, day, values["kind"], values["name"], now(request), request.app[CONFIG],
                              actor=session.actor)
    except AdminError as exc:
        return await page(request, errors={"holiday": refusal_text(request, exc)},
                          values={f"holiday_{k}": v for k, v in values.items()},
                          status=400)
    return web.Response(status=303, headers={"Location": f"/calendar?year={day.year}#holidays"})


SCREEN = Screen("calendar", N_("Calendar, notices, digests"), "/calendar", allowed=lambda scope: scope.kind in (CITY, DISTRICT),
                routes=[("GET", "/calendar", page), ("POST", "/calendar/session", session_add),
                        ("GET", "/calendar/session/{session_id}", session_page),
                        ("POST", "/calendar/session/{session_id}/{action}", session_act),
                        ("POST", "/calendar/plan", plan_add), ("POST", "/calendar/plan/{plan_id}/cancel", plan_cancel),
                        ("POST", "/calendar/notice", notice_send), ("GET", "/calendar/notice/{notice_id}", notice_page),
                        ("GET", "/calendar/digest", digest_preview),
                        ("POST", "/calendar/holiday/{action}", holiday_set)])
