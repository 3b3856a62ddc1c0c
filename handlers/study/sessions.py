"""The office's sessions: add, announce, edit (title, place, link, time), cancel, attach materials
(chat, CLI and console share these).

- Announcing sends each member of the audience (bulk priority) a card with RSVP buttons; an
  RSVP row (``invited``) is kept per member. Members who match the audience later (they joined
  after the announcement) see the session in ``/sessions`` and may answer there.
- Reminders (default 48 h and 2 h before, per session) are timers
  ``study:{id}:remind:{minutes}`` (``…:r{n}`` after the n-th move) expiring at the start. A
  reminder whose time has already passed when the session is announced or moved is not
  scheduled (the card itself says it all). Check-in opens with timer ``study:{id}:open``.
- Materials are pushed when the session ends (timer ``study:{id}:materials``), or at once if it
  is over, to those who checked in (``to="attended"``, the default) or to everyone invited
  (``to="invited"``).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from pathlib import Path

from handlers.core.context import CAPTION_LIMIT, Ctx, split_text
from handlers.core.i18n import N_, translator
from handlers.study.cards import card, esc
from handlers.study.terms import SESSION_STATUS, StudyError, parse_audience, parse_kind
from handlers.study.times import checkin_opens
from handlers.core.localtime import parse_local, show_span, shown
from handlers.core.errors import Term
from storage import audit, outbox, people, timers
from storage import study as store

log = logging.getLogger("linkage.study")

MATERIALS_TO = ("attended", "invited")


def _reminders(value, default: tuple[int, ...]) -> list[int]:
    if value is None:
        return sorted(set(default), reverse=True)
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
    else:
        parts = list(value)
    try:
        minutes = sorted({int(p) for p in parts}, reverse=True)
    except ValueError:
        raise StudyError("reminders must be minutes before the start, e.g. 2880,120 — not {value!r}",
                         value=value) from None
    if any(m <= 0 or m > 60 * 24 * 60 for m in minutes):
        raise StudyError("each reminder must be between 1 minute and 60 days before the start")
    return minutes


def _suffix(session) -> str:
    return f":r{session.revision}" if session.revision else ""


def _when(value: str | datetime, field: str) -> datetime:
    return value if isinstance(value, datetime) else parse_local(value, field=field)


def _checked_times(ctx: Ctx, starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise StudyError("the end must come after the start", field="end")
    if starts_at <= ctx.now:
        raise StudyError("the start ({starts_at} Asia/Shanghai) is in the past", field="start",
                         starts_at=shown(starts_at))


def _checked_details(title: str, place: str | None, link: str | None) -> dict:
    """A session's title, place and link as stored, or a refusal beside the field that is wrong."""
    title = " ".join((title or "").split())
    if not title or len(title) > 200:
        raise StudyError("a title is needed (at most 200 characters)", field="title")
    place = (place or "").strip() or None
    link = (link or "").strip() or None
    if not place and not link:
        raise StudyError("give a place (--place) or an online link (--link), or both", field="place")
    if link and not re.match(r"https?://\S+$", link):
        raise StudyError("the link must start with http:// or https://, not {link!r}", field="link", link=link)
    if place and len(place) > 200 or link and len(link) > 500:
        raise StudyError("the place (200) or the link (500 characters) is too long",
                         field="place" if place and len(place) > 200 else "link")
    return {"title": title, "place": place, "link": link}


async def add_session(ctx: Ctx, *, title: str, kind: str, start: str | datetime, end: str | datetime,
                      place: str | None = None, link: str | None = None, audience_spec="all",
                      capacity: int | None = None, reminders=None, draft: bool = False, actor: str = "cli"):
    """Create a session (and announce it unless ``draft``); returns the session row."""
    details = _checked_details(title, place, link)
    starts_at, ends_at = _when(start, "start"), _when(end, "end")
    _checked_times(ctx, starts_at, ends_at)
    if capacity is not None and capacity < 1:
        raise StudyError("capacity must be at least 1 (leave it out for no limit)", field="capacity")
    session_id = await store.create_session(
        ctx.conn, **details, kind=parse_kind(kind), starts_at=starts_at, ends_at=ends_at,
        audience=parse_audience(audience_spec), capacity=capacity,
        reminders=_reminders(reminders, ctx.config.study_reminder_minutes), status="draft", revision=0,
        created_by=actor, created_at=ctx.now)
    await audit.record(ctx.conn, actor, "study.add", {"session": session_id, "title": details["title"]}, ctx.now)
    if not draft:
        await announce(ctx, session_id, actor=actor)
    return await store.session(ctx.conn, session_id)


async def _session_or_fail(conn, session_id: int):
    row = await store.session(conn, session_id, lock=True)
    if row is None:
        raise StudyError("there is no session #{session_id} (see: linkage study list)", session_id=session_id)
    return row


async def announce(ctx: Ctx, session_id: int, *, actor: str = "cli") -> int:
    """Send the invitation cards (bulk) and schedule the reminders; returns how many were invited."""
    s = await _session_or_fail(ctx.conn, session_id)
    if s.status != "draft":
        raise StudyError("session #{session_id} is {status}: only a draft can be announced",
                         session_id=session_id, status=Term(SESSION_STATUS[s.status]))
    if s.starts_at <= ctx.now:
        raise StudyError("session #{session_id} has already begun", session_id=session_id)
    await store.change_session(ctx.conn, s.id, status="announced", announced_at=ctx.now)
    s = await store.session(ctx.conn, s.id)
    invited = 0
    for member in await people.in_audience(ctx.conn, s.audience):
        await store.ensure_rsvp(ctx.conn, s.id, member.id, ctx.now)
        invited += 1
    await _send_cards(ctx, s)
    await _schedule(ctx, s)
    await audit.record(ctx.conn, actor, "study.announce", {"session": s.id, "invited": invited}, ctx.now)
    log.info("study session announced", extra={"session": s.id, "invited": invited})
    return invited


async def _send_cards(ctx: Ctx, s, intro: str | None = None) -> int:
    """A card to every invited member who can be reached; the card's outbox key is kept so a
    promotion can edit it in place."""
    sent = 0
    for r in await store.rsvps(ctx.conn, s.id):
        if not r.active or not r.reachable or r.telegram_user_id is None:
            continue
        key = f"study:{s.id}:card:{r.member_id}:{s.revision}"
        await store.change_rsvp(ctx.conn, s.id, r.member_id, ctx.now, card_key=key)
        t = translator(r.language)
        text, buttons = await card(ctx, t, s, r)
        if intro:
            text = t(intro) + "\n\n" + text
        await ctx.send(r.telegram_user_id, text, buttons=buttons, key=key, priority=outbox.BULK)
        sent += 1
    return sent


async def _schedule(ctx: Ctx, s) -> None:
    for minutes in s.reminders:
        due = s.starts_at - timedelta(minutes=minutes)
        if due <= ctx.now:
            continue  # the card has just told them; a reminder now would repeat it
        await ctx.schedule(f"study:{s.id}:remind:{minutes}{_suffix(s)}", "study.remind", due,
                           payload={"session": s.id, "minutes": minutes, "revision": s.revision},
                           expires_at=s.starts_at)
    if checkin_opens(s, ctx.config) > ctx.now:
        await ctx.schedule(f"study:{s.id}:open{_suffix(s)}", "study.open", checkin_opens(s, ctx.config),
                           payload={"session": s.id, "revision": s.revision}, expires_at=s.ends_at)
    if s.materials and s.materials_sent_at is None:
        await ctx.schedule(f"study:{s.id}:materials{_suffix(s)}", "study.materials", s.ends_at,
                           payload={"session": s.id, "revision": s.revision})


KEEP = object()  # edit_session: leave this as it is
CHANGED = {("time",): N_("🔁 The time of this session has changed:"),
           ("place",): N_("📍 The place of this session has changed:"),
           ("time", "place"): N_("🔁 The time and place of this session have changed:")}


async def edit_session(ctx: Ctx, session_id: int, *, title=KEEP, place=KEEP, link=KEEP, start=KEEP, end=KEEP,
                       actor: str = "cli"):
    """Change a session's title, place, link or time (what is left out stays; the whole is
    checked as a new session is). A new time or place is told to everyone invited, with fresh
    buttons (answers are kept); a new time also cancels the old timers and schedules new ones."""
    s = await _session_or_fail(ctx.conn, session_id)
    if s.status == "cancelled":
        raise StudyError("session #{session_id} was cancelled", session_id=session_id)
    details = _checked_details(s.title if title is KEEP else title, s.place if place is KEEP else place,
                               s.link if link is KEEP else link)
    starts_at = s.starts_at if start is KEEP else _when(start, "start")
    ends_at = s.ends_at if end is KEEP else _when(end, "end")
    moved = (starts_at, ends_at) != (s.starts_at, s.ends_at)
    if moved:
        _checked_times(ctx, starts_at, ends_at)
    changed = [k for k, v in details.items() if getattr(s, k) != v] + (["time"] if moved else [])
    told = tuple(k for k, of in (("time", {"time"}), ("place", {"place", "link"})) if of & set(changed))
    if not changed:
        return s
    cancelled = 0
    if told:  # the cards and timers are keyed by the revision: a new one sends and schedules them afresh
        cancelled = await timers.cancel(ctx.conn, f"study:{s.id}:", ctx.now)
    await store.change_session(ctx.conn, s.id, **details, starts_at=starts_at, ends_at=ends_at,
                               revision=s.revision + 1 if told else s.revision)
    s = await store.session(ctx.conn, s.id)
    if told and s.status == "announced":
        await _send_cards(ctx, s, intro=CHANGED[told])
        await _schedule(ctx, s)
    await audit.record(ctx.conn, actor, "study.edit", {"session": s.id, "changed": changed,
                                                       "starts_at": starts_at.isoformat(),
                                                       "timers_cancelled": cancelled}, ctx.now)
    return s


async def cancel_session(ctx: Ctx, session_id: int, *, actor: str = "cli") -> int:
    """Cancel a session: its timers are dropped and everyone invited is told; returns how many."""
    s = await _session_or_fail(ctx.conn, session_id)
    if s.status == "cancelled":
        raise StudyError("session #{session_id} is already cancelled", session_id=session_id)
    if s.ends_at <= ctx.now:
        raise StudyError("session #{session_id} is over; there is nothing to cancel", session_id=session_id)
    await timers.cancel(ctx.conn, f"study:{s.id}:", ctx.now)
    await store.change_session(ctx.conn, s.id, status="cancelled", cancelled_at=ctx.now)
    told = 0
    if s.status == "announced":
        for r in await store.rsvps(ctx.conn, s.id):
            if not r.active or not r.reachable or r.telegram_user_id is None:
                continue
            t = translator(r.language)
            await ctx.send(r.telegram_user_id, t("❌ Cancelled: <b>{title}</b> ({time}) will not take place.",
                                                 title=s.title, time=show_span(s.starts_at, s.ends_at)),
                           priority=outbox.BULK)
            told += 1
    await audit.record(ctx.conn, actor, "study.cancel", {"session": s.id, "told": told}, ctx.now)
    return told


async def set_materials(ctx: Ctx, session_id: int, *, link: str | None = None, file: str | Path | None = None,
                        file_id: str | None = None, name: str | None = None, to: str = "attended",
                        actor: str = "cli") -> str:
    """Attach materials (a link, a local file the bot uploads, or a Telegram file_id). They are
    pushed when the session ends — or now, if it is over. Returns what happens, in words."""
    s = await _session_or_fail(ctx.conn, session_id)
    if s.status == "cancelled":
        raise StudyError("session #{session_id} was cancelled", session_id=session_id)
    if to not in MATERIALS_TO:
        raise StudyError("materials go to {materials_to}, not {to!r}",
                         materials_to=" or ".join(MATERIALS_TO), to=to)
    if sum(x is not None for x in (link, file, file_id)) != 1:
        raise StudyError("give exactly one of --link, --file or --file-id")
    if link is not None:
        if not re.match(r"https?://\S+$", link) or len(link) > 500:
            raise StudyError("the link must start with http:// or https://, not {link!r}", link=link)
        materials = {"kind": "link", "value": link, "name": name, "to": to}
    elif file is not None:
        path = Path(file).resolve()
        if not path.is_file():
            raise StudyError("{file} is not a file", file=file)
        if path.stat().st_size > ctx.config.max_file_bytes:
            raise StudyError("{file} is larger than the limit of {mb} MB",
                             file=file, mb=ctx.config.max_file_bytes // 2**20)
        materials = {"kind": "document", "value": {"$file": str(path)}, "name": name or path.name, "to": to}
    else:
        materials = {"kind": "document", "value": file_id, "name": name, "to": to}
    await store.change_session(ctx.conn, s.id, materials=materials, materials_sent_at=None)
    s = await store.session(ctx.conn, s.id)
    await audit.record(ctx.conn, actor, "study.materials", {"session": s.id, "kind": materials["kind"], "to": to},
                       ctx.now)
    if s.ends_at <= ctx.now:
        sent = await push_materials(ctx, s) if s.status == "announced" else 0
        return f"sent to {sent} member(s)"
    await ctx.schedule(f"study:{s.id}:materials{_suffix(s)}", "study.materials", s.ends_at,
                       payload={"session": s.id, "revision": s.revision})
    whom = "those who checked in" if to == "attended" else "everyone invited"
    return f"will be sent at the end, {shown(s.ends_at)} Asia/Shanghai, to {whom}"


async def push_materials(ctx: Ctx, s) -> int:
    materials = s.materials or {}
    sent = 0
    for r in await store.rsvps(ctx.conn, s.id):
        if materials.get("to") == "attended" and r.checked_in_at is None:
            continue
        if not r.active or not r.reachable or r.telegram_user_id is None:
            continue
        t = translator(r.language)
        caption = t("📎 Materials of <b>{title}</b>: {name}", title=s.title, name=materials["name"]) \
            if materials.get("name") else t("📎 Materials of <b>{title}</b>", title=s.title)
        if materials.get("kind") == "link":
            await ctx.send(r.telegram_user_id, caption + "\n" + esc(materials["value"]),
                           priority=outbox.BULK)
        else:
            await ctx.call("sendDocument", {"chat_id": r.telegram_user_id, "document": materials["value"],
                                            "caption": split_text(caption, CAPTION_LIMIT)[0], "parse_mode": "HTML"},
                           chat_id=r.telegram_user_id, priority=outbox.BULK)
        sent += 1
    await store.change_session(ctx.conn, s.id, materials_sent_at=ctx.now)
    log.info("study materials sent", extra={"session": s.id, "recipients": sent})
    return sent
