"""Consultation meetings (远程协商, 专题协商会): the meetings, a new one drafted, and a meeting's
page — its venues (set while a draft) and announcement, the registrations by venue, the check-ins,
the written statements (accept, or return with a note) and requests to speak (accept, decline),
the 发言摘登 or the workbook as a download. The same operations as `linkage consultation` and the
organisers' buttons in chat (handlers/consultation/meetings.py, statements.py, export.py). The
city office sees every meeting; a committee's staff their committee's (and draft meetings for it
only, addressed to its members or a list)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from aiohttp import web

from bot.console.committees import audience_for, committee_of, refusal_beside, ours, owned, path_id, said
from bot.console.web import Screen, form_of, office_ctx, read, refusal_text, render, see_other, session_of, write
from handlers.consultation.export import export
from handlers.consultation.meetings import add_meeting, announce, set_venues, summary
from handlers.consultation.statements import decide_request, decide_statement
from handlers.consultation.terms import ANSWERS, REQUEST_STATUS, STATEMENT_STATUS
from handlers.core.errors import AdminError
from handlers.core.localtime import parse_local
from handlers.core.i18n import N_
from handlers.core.roles import CITY, COMMITTEE
from storage import consultation as store
from storage import reference

ADD_FIELDS = ("title", "theme", "committee", "starts", "ends", "audience", "host", "statements_by")
FIELD_WORDS = (("audience", ("audience", "level")), ("host", ("host", "roster id")), ("committee", ("committee",)),
               ("statements_by", ("deadline",)), ("ends", ("end",)), ("starts", ("start", "past", "date", "time")),
               ("theme", ("theme",)), ("title", ("title",)))
EXPORTS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
MOMENTS = ("starts", "ends", "statements_by")  # add_meeting's times (the deadline may be empty)
STATEMENT_ACTIONS, REQUEST_ACTIONS = ("accept", "return"), ("accept", "decline")


async def page(request: web.Request, *, errors: dict | None = None, values: dict | None = None,
               status: int = 200) -> web.Response:
    lang = session_of(request).member.language
    async with read(request) as conn:
        meetings = [m for m in reversed(await store.meetings(conn)) if ours(request, m)]
        committees = await reference.rows_of(conn, "committee")
    return render(request, "consultation/page.html", status=status, meetings=meetings, committees=committees,
                  name=lambda row: reference.name(row, lang), errors=errors or {}, values=values or {})


async def add(request: web.Request) -> web.Response:
    form = await form_of(request)
    values = {name: form.get(name, "") for name in ADD_FIELDS}
    session = session_of(request)
    moments, errors = {}, {}
    for name in MOMENTS:  # each time's refusal beside its own field
        try:
            moments[name] = parse_local(values[name]) if values[name] or name != "statements_by" else None
        except AdminError as exc:
            errors[name] = refusal_text(request, exc)
    if errors:
        return await page(request, errors=errors, values=values, status=400)
    try:
        async with write(request) as conn:
            m = await add_meeting(office_ctx(request, conn), title=values["title"], theme=values["theme"],
                                  committee=committee_of(request) or values["committee"], **moments,
                                  audience_spec=audience_for(request, values["audience"]), host=values["host"] or None,
                                  actor=session.actor)
    except (AdminError, ValueError) as exc:
        return await page(request, errors=refusal_beside(request, exc, FIELD_WORDS, ADD_FIELDS), values=values,
                          status=400)
    raise see_other(f"/consultation/{m.id}")


async def _meeting(request):
    return await owned(request, "meeting_id", store.meeting)


async def meeting_page(request: web.Request, *, errors: dict | None = None, values: dict | None = None,
                       status: int = 200) -> web.Response:
    m = await _meeting(request)
    async with read(request) as conn:
        info = await summary(conn, m.id)
        rsvps, checkins = await store.rsvps(conn, m.id), await store.checkins(conn, m.id)
    venues = {v.id: v for v in info["venues"]}
    main = next((v for v in info["venues"] if v.kind == "main"), None)
    subs = "\n".join(f"{v.name}|{v.place or ''}|{v.link or ''}" for v in info["venues"] if v.kind == "sub")
    return render(request, "consultation/meeting.html", status=status, m=m, info=info, rsvps=rsvps,
                  checkins=checkins, venues=venues, answers=ANSWERS, statement_status=STATEMENT_STATUS,
                  request_status=REQUEST_STATUS, errors=errors or {},
                  values=values or {"main_place": (main.place or "") if main else "",
                                    "main_link": (main.link or "") if main else "", "subs": subs})


async def _change(request, work, field: str, values: dict | None = None) -> web.Response:
    """Run an office operation on this meeting; a refusal is shown beside ``field``."""
    m = await _meeting(request)
    try:
        async with write(request) as conn:
            await work(office_ctx(request, conn), m, session_of(request).actor)
    except AdminError as exc:
        return await meeting_page(request, errors={field: refusal_text(request, exc)}, values=values, status=400)
    raise see_other(f"/consultation/{m.id}#{field}")


async def venues(request: web.Request) -> web.Response:
    form = await form_of(request)
    subs = [line.strip() for line in form.get("subs", "").splitlines() if line.strip()]
    return await _change(request, lambda ctx, m, actor: set_venues(
        ctx, m.id, main=f"{form.get('main_place', '')}|{form.get('main_link', '')}", subs=subs, actor=actor),
        "venues", values=form)


async def announce_(request: web.Request) -> web.Response:
    return await _change(request, lambda ctx, m, actor: announce(ctx, m.id, actor=actor), "announce")


async def decide(request: web.Request) -> web.Response:
    """A statement accepted or returned (with a note), a request to speak accepted or declined."""
    kind, action = request.match_info["kind"], request.match_info["action"]
    if (kind, action) not in {("statement", a) for a in STATEMENT_ACTIONS} | {("request", a) for a in REQUEST_ACTIONS}:
        raise web.HTTPNotFound()
    row_id = path_id(request, "row_id")
    m = await _meeting(request)
    async with read(request) as conn:
        row = await (store.statement if kind == "statement" else store.speak_request)(conn, row_id)
    if row is None or row.consultation_id != m.id:
        raise web.HTTPNotFound()  # a forged id: another meeting's statement is not this page's
    note = (await form_of(request)).get("note", "")

    async def work(ctx, m, actor):
        if kind == "statement":
            await decide_statement(ctx, row.id, accept=action == "accept", note=note, actor=actor)
        else:
            await decide_request(ctx, row.id, accept=action == "accept", actor=actor)
    return await _change(request, work, f"{kind}-{row.id}")


async def download(request: web.Request) -> web.StreamResponse:
    m = await _meeting(request)
    kind = (await form_of(request)).get("format", "")
    if kind not in EXPORTS:
        return await meeting_page(request, errors={"export": said(request, N_(
            "Choose the compilation of statements (DOCX) or the workbook (XLSX)."))}, status=400)
    with tempfile.TemporaryDirectory() as tmp:
        async with read(request) as conn:
            path = await export(office_ctx(request, conn), m.id, Path(tmp) / f"consultation-{m.id}.{kind}",
                                lang=session_of(request).member.language)
        body = path.read_bytes()
    return web.Response(body=body, content_type=EXPORTS[kind],
                        headers={"Content-Disposition": f'attachment; filename="{path.name}"'})


SCREEN = Screen("consultation", N_("Consultation meetings"), "/consultation",
                allowed=lambda scope: scope.kind in (CITY, COMMITTEE),
                routes=[("GET", "/consultation", page), ("POST", "/consultation/add", add),
                        ("GET", "/consultation/{meeting_id}", meeting_page),
                        ("POST", "/consultation/{meeting_id}/venues", venues),
                        ("POST", "/consultation/{meeting_id}/announce", announce_),
                        ("POST", "/consultation/{meeting_id}/export", download),
                        ("POST", "/consultation/{meeting_id}/{kind}/{row_id}/{action}", decide)])
