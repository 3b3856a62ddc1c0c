"""Points (积分): the rules table (points and monthly cap edited, audited — the city office's, like
`linkage points rule set`), the board by district, level or sector for a period, a member's entries
of a year with a correction (a reason needed), and the year's workbook as a download, the ledger recomputed under today's rules — the
operations of `linkage points` (handlers/points/). A district office sees, corrects and exports its
own district's members only and reads the rules table."""

from __future__ import annotations

from aiohttp import web

from bot.console.web import Screen, attempt, download, now, number_in, refusal_text, refuse, render, session_of, write
from handlers.console.dashboard import PeriodError, period
from handlers.core.errors import AdminError
from handlers.core.i18n import N_, translator
from handlers.core.localtime import local_day
from handlers.core.roles import CITY, DISTRICT
from handlers.features import REGISTRY
from handlers.office.lookups import check_member_within
from handlers.points import board, ledger
from handlers.points.views import entry_reason
from storage import people
from storage import points as store

GROUPINGS = {"district": N_("by district"), "level": N_("by level"), "sector": N_("by sector")}
GROUP_NAMES = {"district": {"-": N_("city level")}, "level": {"city": N_("city level"), "district": N_("district level")},
               "sector": {"-": N_("not given")}}  # the board's codes and its "-" (no group) as the office reads them


def _year(request) -> int:
    raw = request.query.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else local_day(now(request)).year


async def page(request: web.Request, *, errors: dict | None = None, status: int = 200) -> web.Response:
    session = session_of(request)
    t = translator(session.member.language)
    q, errors = request.query, dict(errors or {})
    today = local_day(now(request))
    by = q.get("by") if q.get("by") in GROUPINGS else "district"
    try:
        first, last = period(q.get("from") or f"{today.year}-01-01", q.get("to"), today)
    except PeriodError as exc:
        errors[exc.field] = t.plain(str(exc))
        first, last = today.replace(month=1, day=1), today
        status = 400
    async with write(request) as conn:  # the ledger is collected before anyone reads it
        await ledger.collect(conn, REGISTRY, now(request))
        rules = list((await store.rules(conn)).values())
        groups = await board.board(conn, by, *board.window(first, last, now(request)), top=20,
                                   within=session.scope.district)
    return render(request, "points/page.html", status=status, rules=rules, groups=groups, by=by,
                  groupings=GROUPINGS, group_names=GROUP_NAMES[by], first=first, last=last, year=today.year, errors=errors)


def _city_only(request) -> None:
    if session_of(request).scope.kind != CITY:
        raise refuse(403, N_("Outside what you manage"), N_("The points rules are kept by the city office."))


async def rule_set(request: web.Request) -> web.StreamResponse:
    _city_only(request)
    key = request.match_info["key"]

    async def work(conn, form, session):
        if await store.rule(conn, key) is None:
            raise web.HTTPNotFound()  # a rule the table does not have: nothing to edit
        cap = form.get("cap", "")
        await ledger.set_rule(conn, key, now(request), points=number_in(form.get("points", ""), signed=True),
                              cap_per_month=number_in(cap, signed=True) if cap else None, actor=session.actor)
        return "/points#rules"

    async def again(message, form):
        return await page(request, errors={f"rule:{key}": message}, status=400)
    return await attempt(request, work, again)


async def recompute(request: web.Request) -> web.StreamResponse:
    """Every entry but the corrections rebuilt under today's rules, as `linkage points recompute`."""
    _city_only(request)

    async def work(conn, form, session):
        await ledger.recompute(conn, REGISTRY, now(request), actor=session.actor)
        return "/points#rules"

    async def again(message, form):
        return await page(request, errors={"recompute": message}, status=400)
    return await attempt(request, work, again)


async def _member(request, conn, ref: str):
    """The member named, if this console's scope reaches them (else the message for the field)."""
    member = await people.find(conn, ref) if ref else None
    if member is None:
        raise AdminError("no member {roster_ref!r}", roster_ref=ref)
    check_member_within(member, session_of(request).scope.district)
    return member


async def member_page(request: web.Request, *, errors: dict | None = None, status: int = 200) -> web.Response:
    session = session_of(request)
    ref, year = request.query.get("member", "").strip(), _year(request)
    try:
        async with write(request) as conn:
            member = await _member(request, conn, ref)
            await ledger.collect(conn, REGISTRY, now(request))
            start, end = ledger.year_of(year)
            rules = await store.rules(conn)
            entries = await store.of_member(conn, member.id, start=start, end=end)
            total = await store.total(conn, member.id, start, end)
    except AdminError as exc:
        return await page(request, errors={"member": refusal_text(request, exc)}, status=400)
    lang = session.member.language
    return render(request, "points/member.html", status=status, member=member, year=year, total=total,
                  entries=[(e, entry_reason(e, rules, lang)) for e in entries], errors=errors or {})


async def correct(request: web.Request) -> web.StreamResponse:
    ref = request.query.get("member", "").strip()

    async def work(conn, form, session):
        member = await _member(request, conn, ref)
        await ledger.correct(conn, member.roster_id, number_in(form.get("points", ""), signed=True), form.get("reason", ""),
                             now(request), actor=session.actor, within=session.scope.district)
        return f"/points/member?member={member.roster_id}"

    async def again(message, form):
        return await member_page(request, errors={"correct": message}, status=400)
    return await attempt(request, work, again)


async def export(request: web.Request) -> web.Response:
    year, within = _year(request), session_of(request).scope.district

    async def make(conn, path):
        await ledger.collect(conn, REGISTRY, now(request))
        await board.export_year(conn, year, path, within=within)
    return await download(request, f"points-{year}.xlsx", make, changes=True)


SCREEN = Screen("points", N_("Points"), "/points", allowed=lambda scope: scope.kind in (CITY, DISTRICT),
                routes=[("GET", "/points", page), ("POST", "/points/rule/{key}", rule_set),
                        ("POST", "/points/recompute", recompute),
                        ("GET", "/points/member", member_page), ("POST", "/points/member/correct", correct),
                        ("GET", "/points/export.xlsx", export)])
