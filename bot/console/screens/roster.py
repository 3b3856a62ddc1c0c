"""Roster and invites: the members with whether they joined; a roster file checked row by row
before anything is written; one member edited; bulk invites as a printable page (a QR code per
link) or CSV. A district office sees and manages its district's members only (``within``)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from aiohttp import web

from bot.console.web import CONFIG, MAX_UPLOAD, Screen, now, read, refusal_of, refusal_text, render, session_of, write
from handlers.core.errors import AdminError
from handlers.core.i18n import N_
from handlers.core.roles import CITY, DISTRICT, ROLES
from handlers.office.invites import INVITE_STATES, Filters, bulk_invites, invites_csv, joined_status, qr_svg
from handlers.office.member_edit import EDITABLE, KEEP, MemberEditError, current_values, edit_member
from handlers.office.lookups import find_member
from handlers.office.roster import ROSTER_COLUMNS, import_roster, read_roster_file
from storage import reference

ROSTER_SUFFIXES = (".csv", ".xlsx")


def _within(request) -> str | None:
    return session_of(request).scope.district


async def _choices(conn, lang: str) -> dict[str, list[tuple[str, str]]]:
    """(code, name) options of the reference lists a member's form offers."""
    return {kind: [(r.code, reference.name(r, lang)) for r in await reference.rows_of(conn, kind)]
            for kind in ("district", "street", "sector", "committee")}


def _state_filter(value: str) -> bool | None:
    return {"joined": True, "not_joined": False}.get(value)


async def page(request: web.Request, *, report=None, upload_error: str | None = None, invite_error: str | None = None,
               status: int = 200) -> web.Response:
    query = request.query
    session = session_of(request)
    within = _within(request)
    district = within or query.get("district") or None
    state = query.get("state", "")
    async with read(request) as conn:
        try:
            members = await joined_status(conn, now(request), filters=Filters(district=district),
                                          joined=_state_filter(state), within=within, lang=session.member.language)
        except AdminError:
            members = []
        choices = await _choices(conn, session.member.language)
    counts = {s: sum(1 for m in members if m.state == s) for s in INVITE_STATES}
    return render(request, "roster/page.html", status=status, members=members, counts=counts, choices=choices,
                  district=district or "", state=state, report=report, upload_error=upload_error,
                  invite_error=invite_error, rows_json=json.dumps(report.source, ensure_ascii=False) if report else "",
                  columns=ROSTER_COLUMNS)


async def import_file(request: web.Request) -> web.Response:
    """Step 1 (a file) or step 2 (the rows checked in step 1, sent back to be written)."""
    form = await request.post()
    only_valid = form.get("only_valid") == "1"
    upload = form.get("file")
    rows_json = form.get("rows")
    if rows_json:
        try:
            rows = json.loads(str(rows_json))
            assert isinstance(rows, list) and all(isinstance(r, dict) for r in rows)
        except (ValueError, AssertionError):
            return await page(request, upload_error=N_("The checked rows were changed: upload the file again."),
                              status=400)
        writing = form.get("write") == "1"
    else:
        if upload is None or not getattr(upload, "filename", None):
            return await page(request, upload_error=N_("Choose a roster file (.csv or .xlsx)."), status=400)
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in ROSTER_SUFFIXES:
            return await page(request, upload_error=N_("A roster is a .csv (UTF-8) or .xlsx file."), status=400)
        data = upload.file.read(MAX_UPLOAD + 1)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"roster{suffix}"
            path.write_bytes(data)
            try:
                rows = read_roster_file(path)
            except AdminError as exc:
                return await page(request, upload_error=refusal_text(request, exc), status=400)
            except Exception:  # a damaged XLSX: openpyxl's own errors are many
                return await page(request, upload_error=N_("The file cannot be read: save it again as .xlsx or "
                                                           "as CSV UTF-8."), status=400)
        writing = False
    async with write(request) as conn:
        report = await import_roster(conn, rows, now(request), check_only=not writing, only_valid=only_valid,
                                     within=_within(request), actor=session_of(request).actor)
    report.source = rows
    return await page(request, report=report, status=200 if report.ok or report.written else 400)


async def member_page(request: web.Request, *, errors: dict | None = None, values: dict | None = None,
                      saved: list | None = None, status: int = 200) -> web.Response:
    session = session_of(request)
    async with read(request) as conn:
        member = await _member(conn, request)
        choices = await _choices(conn, session.member.language)
        current = await current_values(conn, member)
    return render(request, "roster/member.html", status=status, member=member, values=values or current,
                  errors=errors or {}, choices=choices, roles=ROLES, saved=saved)


async def _member(conn, request):
    try:
        member = await find_member(conn, request.match_info["roster_id"])
    except AdminError:
        raise web.HTTPNotFound() from None
    within = _within(request)
    if within is not None and member.district_code != within:
        raise web.HTTPNotFound()  # another district's member does not exist for this office
    return member


async def member_save(request: web.Request) -> web.Response:
    form = await request.post()
    values = {k: str(form.get(k, "")).strip() for k in EDITABLE}
    active = form.get("active") == "1"
    session = session_of(request)
    async with read(request) as conn:
        member = await _member(conn, request)
    try:
        async with write(request) as conn:
            changed = await edit_member(conn, member.roster_id, now(request), active=active if member.active != active
                                        else KEEP, within=_within(request), actor=session.actor, **values)
    except MemberEditError as exc:
        return await member_page(request, errors={e.field: refusal_text(request, e) for e in exc.errors}, values=values,
                                 status=400)
    except AdminError as exc:
        return await member_page(request, errors=refusal_of(request, exc, "name", fields=EDITABLE), values=values,
                                 status=400)
    return await member_page(request, saved=changed)


async def invites(request: web.Request) -> web.StreamResponse:
    """Fresh links for the members not joined yet (of the filters): the printable page, or CSV."""
    form = await request.post()
    session = session_of(request)
    config = request.app[CONFIG]
    filters = Filters(district=_within(request) or str(form.get("district", "")).strip() or None,
                      roster_ids=tuple(str(form.get("members", "")).replace("，", ",").split(",")))
    try:
        async with write(request) as conn:
            rows = await bulk_invites(conn, now(request), days=config.invite_days, bot_username=config.bot_username,
                                      filters=filters, within=_within(request), lang=session.member.language,
                                      actor=session.actor)
    except AdminError as exc:
        return await page(request, invite_error=refusal_text(request, exc), status=400)
    if form.get("format") == "csv":
        return web.Response(body=invites_csv(rows, lang=session.member.language), content_type="text/csv",
                            charset="utf-8", headers={"Content-Disposition": 'attachment; filename="invites.csv"'})
    return render(request, "roster/invites.html", rows=rows, codes={r.roster_id: qr_svg(r.link) for r in rows},
                  days=config.invite_days)


SCREEN = Screen("roster", N_("Roster and invites"), "/roster", allowed=lambda scope: scope.kind in (CITY, DISTRICT),
                routes=[("GET", "/roster", page), ("POST", "/roster/import", import_file),
                        ("GET", "/roster/member/{roster_id}", member_page),
                        ("POST", "/roster/member/{roster_id}", member_save),
                        ("POST", "/roster/invites", invites)])
