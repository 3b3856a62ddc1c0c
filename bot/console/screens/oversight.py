"""Oversight (民主监督): the items with a status filter, opening one (`linkage oversight open`), an
item's page — its chain of states (who, why), the department's replies, the members' ratings, its
inspections and findings — and the steps the office takes: send it to the department, record the
reply (with its document, if any), close it, plan an inspection. The same operations as `linkage oversight` and the chat
(handlers/oversight/items.py, inspections.py). The city office sees every item; a committee's
staff the items their committee follows up (and opens items for it only). A rating's or a step's
author who sent the report anonymously stays "anonymous member", as in the export."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import unquote

from aiohttp import web

from bot.console.committees import (WHOLE_NUMBER, audience_for, committee_of, refusal_beside, number, ours,
                                    owned, said)
from bot.console.web import Screen, form_of, office_ctx, read, refusal_text, render, see_other, session_of, write
from handlers.core.errors import AdminError
from handlers.core.i18n import N_, translator
from handlers.core.roles import CITY, COMMITTEE
from handlers.oversight.common import MOVES, RATINGS, SOURCES, STATUS, department_name
from handlers.oversight.export import actor_shown, source_of
from handlers.oversight.inspections import create_inspection
from handlers.oversight.items import close_item, open_item, record_reply, send_item
from storage import departments as department_store
from storage import oversight as store
from storage import people, reference

OPEN_FIELDS = ("subject", "department", "promise", "report", "statement", "raised_by", "committee", "due_days")
INSPECT_FIELDS = ("title", "start", "end", "place", "audience", "capacity")
FIELD_WORDS = (("audience", ("audience",)), ("statement", ("statement",)), ("report", ("report",)),
               ("raised_by", ("member",)), ("committee", ("committee",)), ("due_days", ("working days",)),
               ("department", ("department",)), ("promise", ("promise",)), ("subject", ("subject",)),
               ("capacity", ("capacity",)), ("end", ("end",)), ("start", ("start", "past", "date", "time")),
               ("title", ("title",)), ("place", ("place",)))


async def page(request: web.Request, *, errors: dict | None = None, values: dict | None = None,
               status: int = 200) -> web.Response:
    wanted = request.query.get("status", "")
    errors = dict(errors or {})
    if wanted and wanted not in STATUS:
        errors["status"], wanted = said(request, N_("Choose a status from the list.")), ""
    async with read(request) as conn:
        items = [row for row in await store.listing(conn, status=wanted or None) if ours(request, row)]
        departments = await department_store.listed(conn)
        committees = await reference.rows_of(conn, "committee")
    lang = session_of(request).member.language
    return render(request, "oversight/page.html", status=status, items=items, wanted=wanted, statuses=STATUS,
                  departments=departments, committees=committees, name=lambda row: reference.name(row, lang),
                  department=lambda row: department_name(row, lang), errors=errors, values=values or {})


async def open_(request: web.Request) -> web.Response:
    values = await form_of(request)
    values = {name: values.get(name, "") for name in OPEN_FIELDS}
    session = session_of(request)
    try:
        due_days, statement = number(values["due_days"]), number(values["statement"])
    except ValueError:
        field = "due_days" if values["due_days"] and not values["due_days"].isdigit() else "statement"
        return await page(request, errors={field: said(request, WHOLE_NUMBER)}, values=values, status=400)
    committee = committee_of(request) or values["committee"] or None
    try:
        async with write(request) as conn:
            item = await open_item(office_ctx(request, conn), subject=values["subject"], department=values["department"],
                                   promise=values["promise"], report=values["report"] or None, statement=statement,
                                   committee=committee, raised_by=[r for r in values["raised_by"].split(",") if r.strip()],
                                   due_days=due_days, actor=session.actor)
    except AdminError as exc:
        return await page(request, errors=refusal_beside(request, exc, FIELD_WORDS, OPEN_FIELDS), values=values, status=400)
    raise see_other(f"/oversight/{item.id}")


async def _item(request):
    return await owned(request, "item_id", store.with_department)


async def item_page(request: web.Request, *, errors: dict | None = None, values: dict | None = None,
                    status: int = 200) -> web.Response:
    item = await _item(request)
    t = translator(session_of(request).member.language)
    async with read(request) as conn:
        ref, report = await source_of(conn, item)
        hidden = report.author_id if report is not None and report.privacy != "named" else None
        raisers = [await people.by_id(conn, member_id) for member_id in item.raisers]
        steps = [(s, actor_shown(s.actor, hidden, t.plain)) for s in await store.steps(conn, item.id)]
        ratings = [(r, t.plain(N_("anonymous member")) if r.member_id == hidden else f"{r.roster_id} {r.name}")
                   for r in await store.ratings(conn, item.id)]
        replies, sessions = await store.replies(conn, item.id), await store.sessions_of(conn, item.id)
        findings = await store.findings(conn, item.id)
    return render(request, "oversight/item.html", status=status, item=item, ref=ref, source=SOURCES[item.source_kind],
                  raisers=[t.plain(N_("anonymous member")) if m.id == hidden else f"{m.roster_id} {m.name}"
                           for m in raisers if m is not None],
                  steps=steps, ratings=ratings, rating_labels=RATINGS, replies=replies, sessions=sessions,
                  findings=findings, statuses=STATUS, next_steps=MOVES[item.status],
                  department=department_name(item, t.lang), errors=errors or {}, values=values or {})


async def act(request: web.Request) -> web.Response:
    """send · reply · close: the item's next step, as `linkage oversight send / reply / close`."""
    item = await _item(request)
    action = request.match_info["action"]
    values = await form_of(request)
    session = session_of(request)
    try:
        due_days = number(values.get("due_days", ""))
    except ValueError:
        return await item_page(request, errors={action: said(request, WHOLE_NUMBER)}, values=values, status=400)
    with tempfile.TemporaryDirectory() as tmp:
        document = await _document(request, Path(tmp)) if action == "reply" else None
        try:
            async with write(request) as conn:
                ctx = office_ctx(request, conn)
                if action == "send":
                    await send_item(ctx, item.id, due_days=due_days, reason=values.get("reason", ""),
                                    actor=session.actor)
                elif action == "reply":  # the document is kept in var/oversight/ and sent to the raisers
                    await record_reply(ctx, item.id, text=values.get("text", ""), file=document, actor=session.actor)
                elif action == "close":
                    await close_item(ctx, item.id, reason=values.get("reason", ""), actor=session.actor)
                else:
                    raise web.HTTPNotFound()
        except AdminError as exc:
            return await item_page(request, errors={action: refusal_text(request, exc)}, values=values, status=400)
    raise see_other(f"/oversight/{item.id}")


async def _document(request: web.Request, folder: Path) -> Path | None:
    """The reply's uploaded document, saved under its own name (no path) in ``folder``; None if none."""
    upload = (await request.post()).get("file")
    if not getattr(upload, "filename", None):
        return None
    name = unquote(upload.filename).replace("\\", "/").rsplit("/", 1)[-1].strip()[-100:]  # (some clients quote it)
    path = folder / (name if name not in ("", ".", "..") else "reply")
    path.write_bytes(upload.file.read())
    return path


async def inspect(request: web.Request) -> web.Response:
    """An inspection (视察) of this item: a study-calendar session, announced (`linkage oversight inspect`)."""
    item = await _item(request)
    values = await form_of(request)
    values = {name: values.get(name, "") for name in INSPECT_FIELDS}
    session = session_of(request)
    try:
        capacity = number(values["capacity"])
    except ValueError:
        return await item_page(request, errors={"capacity": said(request, WHOLE_NUMBER)}, values=values, status=400)
    try:
        async with write(request) as conn:
            await create_inspection(office_ctx(request, conn), [item.id], title=values["title"],
                                    start=values["start"].replace("T", " "), end=values["end"].replace("T", " "),
                                    place=values["place"] or None, audience_spec=audience_for(request, values["audience"]),
                                    capacity=capacity, actor=session.actor)
    except (AdminError, ValueError) as exc:
        return await item_page(request, errors=refusal_beside(request, exc, FIELD_WORDS, INSPECT_FIELDS), values=values,
                               status=400)
    raise see_other(f"/oversight/{item.id}#inspections")


SCREEN = Screen("oversight", N_("Oversight"), "/oversight", allowed=lambda scope: scope.kind in (CITY, COMMITTEE),
                routes=[("GET", "/oversight", page), ("POST", "/oversight/open", open_),
                        ("GET", "/oversight/{item_id}", item_page),
                        ("POST", "/oversight/{item_id}/inspect", inspect),
                        ("POST", "/oversight/{item_id}/{action}", act)])
