"""Online deliberation (网络议政): the topics with their counts, a topic opened to an audience, a
topic's page with everything said (authors by name: the committee's view) where the committee
hides (with a reason) and pins, closes early and writes its conclusion, and the XLSX of the
thread — the operations of `linkage deliberation` (handlers/deliberation/topics.py). Committee
staff see and run their own committee's topics; the city office every committee's."""

from __future__ import annotations

from aiohttp import web

from bot.console.web import (CONFIG, Screen, attempt, committees_own, download, field_named, id_in_path, now, office_ctx,
                             read, render, room_key, session_of)
from handlers.core.i18n import N_, translator
from handlers.core.roles import CITY, COMMITTEE
from handlers.deliberation import summary, topics
from handlers.deliberation.common import committee_name, question_label
from storage import deliberation as store
from storage import reference

OPEN_FIELDS = ("title", "committee", "audience", "opens", "closes", "body", "link", "questions")
FIELD_WORDS = {"title": ("title",), "committee": ("committee",), "body": ("background",), "link": ("link",),
               "questions": ("question",), "audience": ("audience",), "closes": ("time",)}
STATUS = {"scheduled": N_("to open"), "open": N_("open for views"), "closed": N_("closed for views")}


def _committee_of(request) -> str | None:
    """The committee a staff member's console is limited to (None: the city office, every one)."""
    scope = session_of(request).scope
    return scope.committee_code if scope.kind == COMMITTEE else None


async def page(request: web.Request, *, errors: dict | None = None, values: dict | None = None,
               status: int = 200) -> web.Response:
    lang = session_of(request).member.language
    shown_status = request.query.get("status", "")
    async with read(request) as conn:
        rows = await summary.listing(conn, committee=_committee_of(request),
                                     statuses=(shown_status,) if shown_status in STATUS else None)
        committees = [(c.code, reference.name(c, lang)) for c in await reference.rows_of(conn, "committee")]
    return render(request, "deliberation/page.html", status=status, rows=rows, statuses=STATUS,
                  shown_status=shown_status, committees=committees, committee_names=dict(committees),
                  errors=errors or {}, values=values or {})


async def open_(request: web.Request) -> web.StreamResponse:
    async def work(conn, form, session):
        topic = await topics.open_topic(
            office_ctx(request, conn), title=form.get("title", ""), committee=_committee_of(request) or form.get(
                "committee", ""), audience_spec=form.get("audience") or "all", closes=form.get("closes", ""),
            opens=form.get("opens") or None, body=form.get("body", ""), link=form.get("link") or None,
            questions=form.get("questions", "").splitlines(), opened_by=session.member.id, actor=session.actor)
        return f"/deliberation/{topic.id}"

    async def again(message, form):
        return await page(request, errors={field_named(message, FIELD_WORDS, "title"): message}, values=form,
                          status=400)
    return await attempt(request, work, again)


async def _topic(request: web.Request, conn, topic_id: int):
    return committees_own(request, await store.by_id(conn, topic_id))


async def topic_page(request: web.Request, *, topic_id: int | None = None, errors: dict | None = None,
                     issued: str | None = None, status: int = 200) -> web.Response:
    topic_id = topic_id or id_in_path(request, "topic_id")
    lang = session_of(request).member.language
    async with read(request) as conn:
        topic = await _topic(request, conn, topic_id)
        said = await store.not_withdrawn(conn, topic.id)
        visible = [r for r in said if r.status == "visible"]
        committee = await committee_name(conn, topic.committee_code, lang)
        took_part = await summary.tallies(conn, visible, translator(lang).plain, lang)
    numbers = {r.id: r.number for r in said}
    return render(request, "deliberation/topic.html", status=status, topic=topic, said=said, numbers=numbers,
                  counts=summary.counts(visible), took_part=took_part, committee=committee,
                  statuses=STATUS, question=lambda say, position: question_label(say, topic, position),
                  errors=errors or {}, issued=issued, hours=request.app[CONFIG].bind_key_hours)


async def topic_act(request: web.Request) -> web.StreamResponse:
    """Close the topic now, or post its conclusion."""
    topic_id, action = id_in_path(request, "topic_id"), request.match_info["action"]

    async def work(conn, form, session):
        topic = await _topic(request, conn, topic_id)
        ctx = office_ctx(request, conn)
        if action == "close":
            await topics.close_topic(ctx, topic.id, actor=session.actor)
        else:
            await topics.conclude(ctx, topic.id, form.get("conclusion", ""), actor=session.actor)
        return f"/deliberation/{topic.id}"

    async def again(message, form):
        return await topic_page(request, errors={action: message}, status=400)
    return await attempt(request, work, again)


async def moderate(request: web.Request) -> web.StreamResponse:
    """Hide (a reason needed; the author is told it) or pin one contribution of a topic in scope."""
    contribution_id, action = id_in_path(request, "contribution_id"), request.match_info["action"]
    async with read(request) as conn:
        row = await store.contribution(conn, contribution_id)
        topic = await _topic(request, conn, row.deliberation_id if row else 0)

    async def work(conn, form, session):
        await topics.moderate(office_ctx(request, conn), contribution_id, action, reason=form.get("reason"),
                              actor=session.actor)
        return f"/deliberation/{topic.id}#c{contribution_id}"

    async def again(message, form):
        return await topic_page(request, topic_id=topic.id, errors={f"c{contribution_id}": message}, status=400)
    return await attempt(request, work, again)


async def room(request: web.Request) -> web.Response:
    """A one-time key for the topic's own group or forum topic (`linkage deliberation room`)."""
    topic_id = id_in_path(request, "topic_id")

    async def make(conn, hours, actor):
        await _topic(request, conn, topic_id)
        return await topics.room_key(conn, topic_id, now(request), hours=hours, actor=actor)
    key, errors = await room_key(request, make)
    return await topic_page(request, topic_id=topic_id, errors=errors, issued=key, status=400 if errors else 200)


async def export(request: web.Request) -> web.Response:
    topic_id = id_in_path(request, "topic_id")
    lang = session_of(request).member.language

    async def make(conn, path):
        await summary.write_export(conn, await _topic(request, conn, topic_id), path, lang)
    return await download(request, f"deliberation-{topic_id}.xlsx", make)


SCREEN = Screen("deliberation", N_("Online deliberation"), "/deliberation",
                allowed=lambda scope: scope.kind in (CITY, COMMITTEE),
                routes=[("GET", "/deliberation", page), ("POST", "/deliberation/open", open_),
                        ("GET", "/deliberation/{topic_id}", topic_page),
                        ("GET", "/deliberation/{topic_id}/export.xlsx", export),
                        ("POST", r"/deliberation/{topic_id}/{action:close|conclude}", topic_act),
                        ("POST", "/deliberation/{topic_id}/room", room),
                        ("POST", r"/deliberation/contribution/{contribution_id}/{action:hide|pin}", moderate)])
