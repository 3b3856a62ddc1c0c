"""Groups and liaisons: the targets, the chat each is bound to, their bind keys (issue, revoke)
and their liaisons (add, remove) — the operations of `linkage group` and `linkage liaison`. A
district office sees and manages its district's targets only."""

from __future__ import annotations

from aiohttp import web

from bot.console.web import CONFIG, Screen, now, read, refusal_text, render, session_of, write
from handlers.core.errors import AdminError
from handlers.core.i18n import N_
from handlers.core.roles import CITY, DISTRICT
from handlers.office.keys import KINDS, list_keys, make_bind_key, revoke_bind_key
from handlers.office.liaisons import add_liaison, remove_liaison
from storage import targets as target_store


async def page(request: web.Request, *, errors: dict | None = None, issued: dict | None = None,
               done: str | None = None, status: int = 200) -> web.Response:
    session = session_of(request)
    within = session.scope.district
    async with read(request) as conn:
        targets = await target_store.listed(conn, district=within)
        liaisons = {t.id: sorted(await target_store.liaisons(conn, t.id), key=lambda m: m.roster_id) for t in targets}
        keys = [k for k in await list_keys(conn, now(request), within=within) if k.state == "open"]
    lang = session.member.language
    return render(request, "groups/page.html", status=status, targets=targets, liaisons=liaisons,
                  keys={t.name: [k for k in keys if k.target == t.name] for t in targets},
                  title=lambda tg: tg.title_zh if lang == "zh" else tg.title_en, kinds=KINDS, errors=errors or {}, issued=issued,
                  done=done, hours=request.app[CONFIG].bind_key_hours)


async def _act(request, work, field: str, done: str):
    form = await request.post()
    session = session_of(request)
    try:
        async with write(request) as conn:
            result = await work(conn, form, session)
    except AdminError as exc:
        return await page(request, errors={field: refusal_text(request, exc)}, status=400)
    if isinstance(result, dict):
        return await page(request, issued=result)
    return await page(request, done=done if result is not False else N_("Nothing changed."))


async def issue_key(request: web.Request) -> web.Response:
    async def work(conn, form, session):
        name = str(form.get("target", "")).strip()
        existing = await target_store.by_name(conn, name)
        kind = existing.kind if existing is not None else str(form.get("kind", "")).strip()
        key = await make_bind_key(conn, name, kind, now(request), hours=request.app[CONFIG].bind_key_hours,
                                  within=session.scope.district, actor=session.actor)
        return {"target": name, "key": key}
    return await _act(request, work, "key", "")


async def revoke(request: web.Request) -> web.Response:
    async def work(conn, form, session):
        await revoke_bind_key(conn, str(form.get("key", "")), now(request), within=session.scope.district,
                              actor=session.actor)
    return await _act(request, work, "revoke", N_("The key was revoked: /bind with it is refused from now on."))


async def liaison_add(request: web.Request) -> web.Response:
    async def work(conn, form, session):
        return await add_liaison(conn, str(form.get("member", "")), str(form.get("target", "")), now(request),
                                 within=session.scope.district, actor=session.actor)
    return await _act(request, work, "liaison", N_("The liaison was added."))


async def liaison_remove(request: web.Request) -> web.Response:
    async def work(conn, form, session):
        return await remove_liaison(conn, str(form.get("member", "")), str(form.get("target", "")), now(request),
                                    within=session.scope.district, actor=session.actor)
    return await _act(request, work, "liaison", N_("The liaison was removed: they no longer act on the group's cards."))


SCREEN = Screen("groups", N_("Groups and liaisons"), "/groups", allowed=lambda scope: scope.kind in (CITY, DISTRICT),
                routes=[("GET", "/groups", page), ("POST", "/groups/key", issue_key),
                        ("POST", "/groups/revoke", revoke), ("POST", "/groups/liaison/add", liaison_add),
                        ("POST", "/groups/liaison/remove", liaison_remove)])
