"""The organisers' operations (the command line runs them; each raises ConsultationError with an
English message on refusal): add a meeting, set its venues, announce it, make its group's bind
key, order the accepted statements and mark the speakers, record a department's response, and
push materials or the minutes to the participants.

Announcing sends each member of the audience an invitation card (bulk, keyed
``consult:{id}:card:{member}``) and schedules the reminders 48 h and 2 h before (timers
``consult:{id}:remind:{minutes}``, expiring at the start), which go to those who said they come.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timedelta
from pathlib import Path

from handlers.consultation.cards import card, reachable, tell
from handlers.consultation.terms import REMINDER_MINUTES, STATEMENT_STATUS, ConsultationError, esc
from handlers.core import audience
from handlers.core.context import CAPTION_LIMIT, Ctx, split_text
from handlers.core.errors import AdminError, Term
from handlers.core.i18n import N_, translator
from handlers.office.keys import make_bind_key
from handlers.core.localtime import parse_local, shown
from storage import audit, departments, outbox, people
from storage import consultation as store

log = logging.getLogger("linkage.consultation")

ROOM_KEY_HOURS = 72
FILE_KINDS = {"materials": N_("📎 Materials of <b>{title}</b>: {name}"),
              "minutes": N_("🗒 Minutes of <b>{title}</b>: {name}")}


def room_name(meeting_id: int) -> str:
    return f"consultation:{meeting_id}"


def _when(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else parse_local(value)


async def meeting_or_fail(conn, meeting_id: int):
    m = await store.meeting(conn, meeting_id, lock=True)
    if m is None:
        raise ConsultationError("there is no consultation #{meeting_id} (see: linkage consultation list)",
                                meeting_id=meeting_id)
    return m


async def _host(conn, committee: str, host: str | None):
    if host:
        member = await people.by_roster_id(conn, host)
        if member is None or not member.active:
            raise ConsultationError("no active member with roster id {host!r} to host the meeting", host=host)
        return member
    staff = await store.committee_staff(conn, committee) or await people.admins(conn)
    if not staff:
        raise ConsultationError("the committee has no staff on Linkage yet: name the host with --host ROSTER_ID")
    return staff[0]


async def add_meeting(ctx: Ctx, *, title: str, theme: str, committee: str, starts: str | datetime,
                      ends: str | datetime, audience_spec: str, host: str | None = None,
                      statements_by: str | datetime | None = None, actor: str = "cli"):
    """A draft meeting (venues next, then announce); returns its row."""
    title, theme = " ".join((title or "").split()), (theme or "").strip()
    if not title or len(title) > 200:
        raise ConsultationError("a title is needed (at most 200 characters)")
    if not theme or len(theme) > 2000:
        raise ConsultationError("a theme is needed (at most 2000 characters)")
    if await store.committee(ctx.conn, committee) is None:
        raise ConsultationError("there is no committee {committee!r} (seeds/committees.yaml)",
                                committee=committee)
    starts_at, ends_at = _when(starts), _when(ends)
    if ends_at <= starts_at:
        raise ConsultationError("the end must come after the start")
    if starts_at <= ctx.now:
        raise ConsultationError("the start ({starts_at} Asia/Shanghai) is in the past",
                                starts_at=shown(starts_at))
    deadline = _when(statements_by) if statements_by else starts_at
    if not ctx.now < deadline <= starts_at:
        raise ConsultationError("the statements' deadline must be in the future and not after the start")
    try:
        spec = audience.parse(audience_spec)
    except AdminError as exc:
        raise ConsultationError.like(exc) from None
    host_row = await _host(ctx.conn, committee, host)
    meeting_id = await store.create(ctx.conn, title=title, theme=theme, committee_code=committee, host_id=host_row.id,
                                    audience=spec, starts_at=starts_at, ends_at=ends_at, statements_by=deadline,
                                    status="draft", created_by=actor, created_at=ctx.now)
    await audit.record(ctx.conn, actor, "consultation.add", {"consultation": meeting_id}, ctx.now)
    return await store.meeting(ctx.conn, meeting_id)


def _venue(text: str, kind: str) -> dict:
    """'PLACE|LINK' (the main venue) or 'NAME|PLACE|LINK' (a sub-venue); place or link may be empty."""
    parts = [p.strip() for p in text.split("|")]
    wanted = 2 if kind == "main" else 3
    if len(parts) != wanted:
        shape = "PLACE|LINK" if kind == "main" else "NAME|PLACE|LINK"
        raise ConsultationError("a {kind} venue is written {shape}, not {text!r}",
                                kind=kind, shape=shape, text=text)
    name, place, link = ("主会场", *parts) if kind == "main" else parts
    if not name or len(name) > 100:
        raise ConsultationError("a sub-venue needs a name (at most 100 characters): {text!r}", text=text)
    if not place and not link:
        raise ConsultationError("venue {name}: give a place, a link, or both", name=name)
    if link and (not re.match(r"https?://\S+$", link) or len(link) > 500):
        raise ConsultationError("venue {name}: the link must start with http:// or https://, not {link!r}",
                                name=name, link=link)
    if len(place) > 200:
        raise ConsultationError("venue {name}: the place has at most 200 characters", name=name)
    return {"kind": kind, "name": name, "place": place or None, "link": link or None}


async def set_venues(ctx: Ctx, meeting_id: int, *, main: str, subs: list[str] = (), actor: str = "cli") -> list:
    """The main venue and the sub-venues (replacing earlier ones, before the announcement)."""
    m = await meeting_or_fail(ctx.conn, meeting_id)
    if m.status != "draft":
        raise ConsultationError("consultation #{id} was announced: its venues can no longer change", id=m.id)
    await store.replace_venues(ctx.conn, m.id, [_venue(main, "main"), *(_venue(s, "sub") for s in subs)])
    await audit.record(ctx.conn, actor, "consultation.venues", {"consultation": m.id, "subs": len(subs)}, ctx.now)
    return await store.venues(ctx.conn, m.id)


def card_key(meeting_id: int, member_id: int) -> str:
    return f"consult:{meeting_id}:card:{member_id}"


async def announce(ctx: Ctx, meeting_id: int, *, actor: str = "cli") -> int:
    """Invitation cards to the audience and the reminders' timers; returns how many were invited."""
    m = await meeting_or_fail(ctx.conn, meeting_id)
    if m.status != "draft":
        raise ConsultationError("consultation #{id} was already announced", id=m.id)
    if m.starts_at <= ctx.now:
        raise ConsultationError("consultation #{id} has already begun", id=m.id)
    if not await store.venues(ctx.conn, m.id):
        raise ConsultationError("consultation #{id} has no venues yet: linkage consultation venues {id} "
                                "--main ...", id=m.id)
    await store.change(ctx.conn, m.id, status="announced", announced_at=ctx.now)
    m = await store.meeting(ctx.conn, m.id)
    invited = 0
    for member in await people.in_audience(ctx.conn, m.audience):
        r = await store.ensure_rsvp(ctx.conn, m.id, member.id, ctx.now)
        invited += 1
        if not member.reachable:
            continue
        key = card_key(m.id, member.id)
        await store.change_rsvp(ctx.conn, m.id, member.id, ctx.now, card_key=key)
        text, buttons = await card(ctx, translator(member.language), m, r, member.id)
        await ctx.send(member.telegram_user_id, text, buttons=buttons, key=key, priority=outbox.BULK)
    for minutes in REMINDER_MINUTES:
        due = m.starts_at - timedelta(minutes=minutes)
        if due > ctx.now:
            await ctx.schedule(f"consult:{m.id}:remind:{minutes}", "consult.remind", due,
                               payload={"meeting": m.id, "minutes": minutes}, expires_at=m.starts_at)
    await audit.record(ctx.conn, actor, "consultation.announce", {"consultation": m.id, "invited": invited}, ctx.now)
    log.info("consultation announced", extra={"consultation": m.id, "invited": invited})
    return invited


async def room_key(ctx: Ctx, meeting_id: int, *, actor: str = "cli") -> str:
    """A one-time key: ``/bind KEY`` in the meeting's group makes it the room comments are pushed to."""
    m = await meeting_or_fail(ctx.conn, meeting_id)
    return await make_bind_key(ctx.conn, room_name(m.id), "room", ctx.now, hours=ROOM_KEY_HOURS,
                               title_zh=f"专题协商会·{m.title}"[:64], title_en=f"Consultation · {m.title}"[:64],
                               actor=actor)


async def _statement_or_fail(conn, statement_id: int):
    s = await store.statement(conn, statement_id)
    if s is None:
        raise ConsultationError("there is no statement #{statement_id}", statement_id=statement_id)
    return s


async def order(ctx: Ctx, meeting_id: int, statement_ids: list[int], *, actor: str = "cli") -> None:
    """The accepted statements in this order (the others keep theirs, after these)."""
    m = await meeting_or_fail(ctx.conn, meeting_id)
    if len(set(statement_ids)) != len(statement_ids) or not statement_ids:
        raise ConsultationError("give each statement id once, e.g. 3,1,2")
    for sid in statement_ids:
        s = await _statement_or_fail(ctx.conn, sid)
        if s.consultation_id != m.id or s.status != "accepted":
            raise ConsultationError("statement #{sid} is not an accepted statement of consultation #{id}",
                                    sid=sid, id=m.id)
    rest = [s.id for s in await store.statements(ctx.conn, m.id, status="accepted") if s.id not in statement_ids]
    for position, sid in enumerate([*statement_ids, *rest], start=1):
        await store.change_statement(ctx.conn, sid, position=position)
    await audit.record(ctx.conn, actor, "consultation.order", {"consultation": m.id, "order": statement_ids}, ctx.now)


async def speaker(ctx: Ctx, statement_id: int, *, in_person: bool = True, actor: str = "cli") -> None:
    """Mark (or unmark) the author of an accepted statement as speaking in person; they are told."""
    s = await _statement_or_fail(ctx.conn, statement_id)
    if s.status != "accepted":
        raise ConsultationError("statement #{id} is {status}: only an accepted one is spoken",
                                id=s.id, status=Term(STATEMENT_STATUS[s.status]))
    await store.change_statement(ctx.conn, s.id, in_person=in_person)
    await audit.record(ctx.conn, actor, "consultation.speaker", {"statement": s.id, "in_person": in_person}, ctx.now)
    if in_person and s.in_person is False:
        await tell(ctx, s.member_id, N_("🎤 You will present your statement <b>{title}</b> in person at the meeting."),
                    title=s.title)


async def respond(ctx: Ctx, statement_id: int, *, department: str, body: str, actor: str = "cli") -> int:
    """A department's response to a statement, recorded and sent to its author."""
    s = await _statement_or_fail(ctx.conn, statement_id)
    d = await departments.by_code(ctx.conn, department)
    if d is None or not d.active:
        raise ConsultationError("there is no active department {department!r} (see: linkage department list)",
                                department=department)
    body = (body or "").strip()
    if not body or len(body) > 3000:
        raise ConsultationError("a response needs a body (at most 3000 characters)")
    if s.status != "accepted":
        raise ConsultationError("statement #{id} is {status}: departments respond to accepted statements",
                                id=s.id, status=Term(STATEMENT_STATUS[s.status]))
    response_id = await store.add_response(ctx.conn, statement_id=s.id, department_code=d.code, body=body, at=ctx.now)
    await audit.record(ctx.conn, actor, "consultation.respond", {"statement": s.id, "department": d.code}, ctx.now)
    member = await people.by_id(ctx.conn, s.member_id)
    if member is not None and reachable(member):
        t = translator(member.language)
        await ctx.send(member.telegram_user_id, t("🏢 <b>{department}</b> responded to your statement <b>{title}</b>:",
                                                  department=d.name_en if t.lang == "en" else d.name_zh,
                                                  title=s.title) + "\n" + esc(body),
                       key=f"consult:response:{response_id}", priority=outbox.BULK)
    return response_id


async def participants(conn, meeting_id: int) -> list:
    """Those who said they come (at a venue or online) or checked in, reachable."""
    checked = {c.member_id for c in await store.checkins(conn, meeting_id)}
    return [r for r in await store.rsvps(conn, meeting_id)
            if (r.answer in ("venue", "online") or r.member_id in checked) and reachable(r)]


async def push_file(ctx: Ctx, meeting_id: int, kind: str, path: str | Path, *, actor: str = "cli") -> int:
    """Materials or the minutes, as a document to every participant (bulk, keyed: a second push of
    the same file sends nothing new); returns how many were queued."""
    m = await meeting_or_fail(ctx.conn, meeting_id)
    file = Path(path).resolve()
    if not file.is_file():
        raise ConsultationError("{path} is not a file", path=path)
    if file.stat().st_size > ctx.config.max_file_bytes:
        raise ConsultationError("{path} is larger than the limit of {mb} MB",
                                path=path, mb=ctx.config.max_file_bytes // 2**20)
    digest = hashlib.sha256(file.read_bytes()).hexdigest()[:12]
    sent = 0
    for r in await participants(ctx.conn, m.id):
        caption = translator(r.language)(FILE_KINDS[kind], title=m.title, name=file.name)
        await ctx.call("sendDocument", {"chat_id": r.telegram_user_id, "document": {"$file": str(file)},
                                        "caption": split_text(caption, CAPTION_LIMIT)[0], "parse_mode": "HTML"},
                       chat_id=r.telegram_user_id, key=f"consult:{m.id}:{kind}:{digest}:{r.member_id}",
                       priority=outbox.BULK)
        sent += 1
    await audit.record(ctx.conn, actor, f"consultation.{kind}", {"consultation": m.id, "sent": sent}, ctx.now)
    return sent


async def summary(conn, meeting_id: int) -> dict | None:
    """A meeting with its venues and counts (``linkage consultation show``, the organisers' view)."""
    m = await store.meeting(conn, meeting_id)
    if m is None:
        return None
    venues = await store.venues(conn, m.id)
    rsvps = await store.rsvps(conn, m.id)
    answers = {"by_venue": {v.id: sum(1 for r in rsvps if r.answer == "venue" and r.venue_id == v.id) for v in venues},
               **{a: sum(r.answer == a for r in rsvps) for a in ("online", "absent", "invited")}}
    statements = await store.statements(conn, m.id)
    return {"meeting": m, "venues": venues, "answers": answers, "invited": len(rsvps),
            "checked_in": len(await store.checkins(conn, m.id)), "statements": statements,
            "requests": await store.speak_requests(conn, m.id), "comments": len(await store.comments(conn, m.id)),
            "responses": len(await store.responses(conn, m.id)),
            "host": await people.by_id(conn, m.host_id) if m.host_id else None}
