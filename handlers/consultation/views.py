"""The consultation's part of the shared places: /my (the member's invitations with their answer,
their statements and requests to speak), the digest's "Coming up" and its news (meetings held
in the window, with their statements and the departments' responses), and /mydata."""

from __future__ import annotations

from datetime import timedelta

from handlers.consultation.cards import answer_text
from handlers.consultation.terms import REQUEST_STATUS, STATEMENT_STATUS, esc
from handlers.core import audience
from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.core.localtime import show_span
from storage import consultation as store

MY_DAYS = 30  # /my shows meetings that ended up to this many days ago


async def my_part(ctx: Ctx) -> None:
    t = ctx.t
    since = ctx.now - timedelta(days=MY_DAYS)
    invitations = [r for r in await store.rsvps_of(ctx.conn, ctx.member.id) if r.ends_at > since]
    statements = await store.statements_of(ctx.conn, ctx.member.id)
    requests = await store.speak_requests_of(ctx.conn, ctx.member.id)
    if not invitations and not statements and not requests:
        return
    lines = [t("<b>Consultation meetings (专题协商会)</b>")]
    for r in invitations:
        answer = answer_text(t, r, await store.venues(ctx.conn, r.consultation_id))
        lines.append(f"· {show_span(r.starts_at, r.ends_at)} <b>{esc(r.title)}</b> — {answer}")
    for s in statements:
        status = t(STATEMENT_STATUS[s.status])
        if s.status == "returned" and s.note:
            status += " — " + esc(s.note)
        lines.append(t("· 📝 Statement #{id} {title} ({meeting}): ", id=s.id, title=s.title, meeting=s.meeting_title)
                     + status)
    for q in requests:
        lines.append(t("· 🙋 Request to speak ({meeting}): {topic} — ", meeting=q.meeting_title, topic=q.topic)
                     + t(REQUEST_STATUS[q.status]))
    await ctx.reply("\n".join(lines))


async def _invited(conn, meetings: list, member, cache: dict) -> list:
    """Which of these meetings invited the member: by their audience, or by an answer on record
    (every member's answers read once per digest firing, not once per member)."""
    key = ("consultation:answered", tuple(m.id for m in meetings))
    if key not in cache:
        cache[key] = await store.answered_pairs(conn, [m.id for m in meetings]) if meetings else set()
    return [m for m in meetings if audience.addresses(m.audience, member) or (m.id, member.id) in cache[key]]


async def upcoming(conn, member, start, end, lang: str, cache: dict) -> list[str]:
    """The digest's "Coming up": the member's meetings starting in [start, end)."""
    key = ("consultation", start, end)
    if key not in cache:
        cache[key] = [m for m in await store.meetings(conn, ending_after=start, announced_only=True)
                      if start <= m.starts_at < end]
    t = translator(lang)
    return [f"· {show_span(m.starts_at, m.ends_at)} " + t("🏛 <b>{title}</b> (专题协商会)", title=m.title)
            for m in await _invited(conn, cache[key], member, cache)]


async def recent(conn, member, since, until, lang: str, cache: dict) -> list[str]:
    """The digest's news: meetings held in [since, until) with their outcome."""
    key = ("consultation:recent", since, until)
    if key not in cache:
        cache[key] = [(m, len(await store.statements(conn, m.id, status="accepted")),
                       len(await store.responses(conn, m.id))) for m in await store.ended_between(conn, since, until)]
    invited = {m.id for m in await _invited(conn, [m for m, _, _ in cache[key]], member, cache)}
    held = [(m, n, r) for m, n, r in cache[key] if m.id in invited]
    if not held:
        return []
    t = translator(lang)
    return ["", t("<b>Consultation meetings held (专题协商会)</b>"),
            *(t("· {title}: {statements} written statements, {responses} responses from departments",
                title=m.title, statements=n, responses=r) for m, n, r in held)]


async def personal_data(conn, member) -> dict:
    """For /mydata: the member's invitations, check-ins, statements, requests and comments."""
    return {"consultations": [{"meeting": r.title, "answer": r.answer, "venue_id": r.venue_id,
                               "answered_at": r.answered_at} for r in await store.rsvps_of(conn, member.id)],
            "consultation_checkins": [{"meeting": c.title, "at": c.at} for c in await store.checkins_of(conn, member.id)],
            "consultation_statements": [{"meeting": s.meeting_title, "title": s.title, "text": s.text,
                                         "status": s.status, "note": s.note, "submitted_at": s.created_at}
                                        for s in await store.statements_of(conn, member.id)],
            "consultation_speak_requests": [{"meeting": q.meeting_title, "topic": q.topic, "status": q.status}
                                            for q in await store.speak_requests_of(conn, member.id)],
            "consultation_comments": [{"meeting": c.meeting_title, "text": c.text, "named": c.named, "at": c.created_at}
                                      for c in await store.comments_of(conn, member.id)]}
