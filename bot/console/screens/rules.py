"""Routing: the ordered rule table with add, edit, move up / down and delete, and the dry run of
a (topic, district, street, sector, tag) beside it — `linkage route`'s operations. A rule that
could never match is refused with the reason beside the field. A district office sees and
changes its district's rules only, and tries its district's places."""

from __future__ import annotations

from aiohttp import web

from bot.console.web import Screen, now, read, refusal_of, refusal_text, render, session_of, write
from handlers.core.errors import AdminError
from handlers.core.i18n import N_
from handlers.core.roles import CITY, DISTRICT
from handlers.office.rules import AREAS, add_rule, delete_rule, dry_run, edit_rule, list_rules, move_rule
from storage import reference
from storage import targets as target_store

CONDITIONS = ("area", "topic", "district", "street", "sector", "tag")
RULE_FIELDS = (*CONDITIONS, "targets", "note")
ERROR_FIELDS = (*RULE_FIELDS, "position")  # a refusal naming none of them is about the targets
TRY_FIELDS = ("topic", "district", "street", "sector", "tag")
AREA_LABELS = {"city": N_("city-wide items"), "district": N_("district-level items"), "street": N_("street-level items")}
assert tuple(AREA_LABELS) == AREAS


async def _options(conn, lang: str) -> dict:
    out = {kind: [(r.code, reference.name(r, lang)) for r in await reference.rows_of(conn, kind)]
           for kind in ("topic", "district", "street", "sector", "tag")}
    out["area"] = list(AREA_LABELS.items())
    return out


def _form_values(form) -> dict:
    return {k: str(form.get(k, "")).strip() for k in (*RULE_FIELDS, "before")} | {
        "stop": form.get("stop") == "1", "watch": form.get("watch") == "1"}


async def page(request: web.Request, *, errors: dict | None = None, values: dict | None = None,
               trial=None, tried: dict | None = None, try_error: dict | None = None, done: str | None = None,
               status: int = 200) -> web.Response:
    session = session_of(request)
    within = session.scope.district
    async with read(request) as conn:
        rules = await list_rules(conn, within=within)
        options = await _options(conn, session.member.language)
        targets = await target_store.listed(conn, district=within)
    defaults = {k: "" for k in RULE_FIELDS} | {"stop": True, "watch": True,
                                                                       "district": within or ""}
    return render(request, "rules/page.html", status=status, rules=rules, options=options, targets=targets,
                  errors=errors or {}, values=values or defaults, trial=trial, tried=tried or {"district": within or ""},
                  try_errors=try_error or {}, done=done)


def _changes(values: dict) -> dict:
    return {"targets": [n.strip() for n in values["targets"].replace("，", ",").split(",") if n.strip()],
            **{k: values[k] or None for k in CONDITIONS}, "note": values["note"] or None,
            "stop": values["stop"], "watch": values["watch"]}


async def add(request: web.Request) -> web.Response:
    values = _form_values(await request.post())
    session = session_of(request)
    changes = _changes(values)
    before = int(values["before"]) if values["before"].isdigit() and len(values["before"]) < 10 else None
    try:
        async with write(request) as conn:
            rule_id = await add_rule(conn, changes.pop("targets"), now(request), before=before,
                                     within=session.scope.district, actor=session.actor, **changes)
    except AdminError as exc:
        return await page(request, errors=refusal_of(request, exc, "targets", fields=ERROR_FIELDS), values=values,
                          status=400)
    return _done("added", rule_id)


DONE = {"added": N_("Rule #{id} was added."), "saved": N_("Rule #{id} was saved."),
        "moved": N_("Rule #{id} was moved."), "deleted": N_("Rule #{id} was deleted.")}


def _done(what: str, rule_id: int) -> web.Response:
    """After a change, the table again (a reload repeats nothing)."""
    return web.Response(status=303, headers={"Location": f"/rules?done={what}&id={rule_id}"})


async def table(request: web.Request) -> web.Response:
    done = DONE.get(request.query.get("done", ""))
    rule_id = request.query.get("id", "")
    if done and not rule_id.isdigit():
        done = None
    return await page(request, done=(done, rule_id) if done else None)


async def edit_page(request: web.Request, *, errors: dict | None = None, values: dict | None = None,
                    status: int = 200) -> web.Response:
    session = session_of(request)
    rule = await _rule(request)
    async with read(request) as conn:
        options = await _options(conn, session.member.language)
    current = {"area": rule.area or "", "topic": rule.topic or "", "district": rule.district or "",
               "street": rule.street or "", "sector": rule.sector or "", "tag": rule.tag or "",
               "targets": ", ".join(rule.targets), "note": rule.note or "", "stop": rule.stop, "watch": rule.watch}
    return render(request, "rules/edit.html", status=status, rule=rule, options=options, values=values or current,
                  errors=errors or {})


async def _rule(request):
    raw = request.match_info["rule_id"]
    if not raw.isdigit() or len(raw) > 9:
        raise web.HTTPNotFound()
    async with read(request) as conn:
        rule = next((r for r in await list_rules(conn, within=session_of(request).scope.district) if r.id == int(raw)),
                    None)
    if rule is None:
        raise web.HTTPNotFound()
    return rule


async def edit_save(request: web.Request) -> web.Response:
    rule = await _rule(request)
    values = _form_values(await request.post())
    session = session_of(request)
    try:
        async with write(request) as conn:
            await edit_rule(conn, rule.id, now(request), within=session.scope.district, actor=session.actor,
                            **_changes(values))
    except AdminError as exc:
        return await edit_page(request, errors=refusal_of(request, exc, "targets", fields=ERROR_FIELDS), values=values,
                               status=400)
    return _done("saved", rule.id)


async def move(request: web.Request) -> web.Response:
    rule = await _rule(request)
    direction = (await request.post()).get("direction")
    session = session_of(request)
    try:
        async with write(request) as conn:
            await move_rule(conn, rule.id, now(request), up=direction == "up", down=direction == "down",
                            within=session.scope.district, actor=session.actor)
    except AdminError as exc:
        return await page(request, errors={"table": refusal_text(request, exc)}, status=400)
    return _done("moved", rule.id)


async def delete(request: web.Request) -> web.Response:
    rule = await _rule(request)
    session = session_of(request)
    async with write(request) as conn:
        await delete_rule(conn, rule.id, now(request), within=session.scope.district, actor=session.actor)
    return _done("deleted", rule.id)


async def try_route(request: web.Request) -> web.Response:
    """The dry run: where an item would go once the groups are bound, and now."""
    tried = {k: request.query.get(k, "").strip() for k in TRY_FIELDS}
    session = session_of(request)
    try:
        async with read(request) as conn:
            trial = await dry_run(conn, tried["topic"], district=tried["district"] or None,
                                  street=tried["street"] or None, sector=tried["sector"] or None,
                                  tags=[tried["tag"]] if tried["tag"] else [], within=session.scope.district)
    except AdminError as exc:
        return await page(request, tried=tried, try_error=refusal_of(request, exc, "topic", fields=TRY_FIELDS),
                          status=400)
    return await page(request, trial=trial, tried=tried)


SCREEN = Screen("rules", N_("Routing"), "/rules", allowed=lambda scope: scope.kind in (CITY, DISTRICT),
                routes=[("GET", "/rules", table), ("POST", "/rules/add", add), ("GET", "/rules/try", try_route),
                        ("GET", "/rules/{rule_id}", edit_page), ("POST", "/rules/{rule_id}", edit_save),
                        ("POST", "/rules/{rule_id}/move", move), ("POST", "/rules/{rule_id}/delete", delete)])
