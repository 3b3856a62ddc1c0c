"""Study sessions and events (委员学习, 读书班, training, 履职直播) and reading plans (PRODUCT.md §7).

Framework-free: the chat (``COMMANDS``, ``BUTTONS``, ``FLOWS``), the command line
(``bot/cli/study.py``), the scheduler (``@job`` timers) and the demo (``sample_calendar``,
``calendar_lines``) all go through the functions here, each inside one transaction whose
outbox rows the bot's sender delivers.

Decisions (also in the README's calendar section):

- Times are entered and shown in Asia/Shanghai and stored in UTC.
- Announcing sends each member of the audience (bulk priority) a card with RSVP buttons; an
  RSVP row (``invited``) is kept per member. Members who match the audience later (they joined
  after the announcement) see the session in ``/sessions`` and may answer there.
- Capacity: "attend" beyond it puts the member on the waiting list and tells their position;
  when an attendee turns to "excused" the first on the list is promoted and told. Answers may
  change until the start.
- Reminders (default 48 h and 2 h before, per session) are timers
  ``study:{id}:remind:{minutes}`` (``…:r{n}`` after the n-th move) expiring at the start. They
  go to members who are attending and to those who have not answered (with the RSVP buttons),
  not to the excused nor to the waiting list. A reminder whose time has already passed when
  the session is announced or moved is not scheduled (the card itself says it all).
- Check-in: ``/checkin CODE`` (or the 📍 button, which asks for the code) from 15 minutes
  before the start until the end; once per member; the code of another session is refused.
  Ten wrong codes within an hour make ``/checkin`` wait, so a code cannot be found by trying.
  When check-in opens (timer ``study:{id}:open``) those attending get the 📍 button; the code
  itself is only shown at the session (``linkage study code ID``, ``/study``).
- Materials are pushed when the session ends (timer ``study:{id}:materials``), or at once if it
  is over, to those who checked in (``to="attended"``, the default) or to everyone invited
  (``to="invited"``).
- Reading plans: one timer per day ``study:plan:{id}:day:{n}`` at the plan's time (default
  08:30) expiring at midnight, carrying the day's assignment and a "✅ Studied today" button;
  one check-in per member per day, on that day.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from handlers.core import audience
from handlers.core import flows
from handlers.core.errors import AdminError
from handlers.core.context import CAPTION_LIMIT, Buttons, Ctx, HandlerConfig, split_text
from handlers.core.feature import Registry
from handlers.core.i18n import N_, Html, Translator, translator
from handlers.core.buttons import ButtonData, Optional
from storage import audit, conversations, outbox, people, timers
from storage import study as store

log = logging.getLogger("linkage.study")

SHANGHAI = ZoneInfo("Asia/Shanghai")
# attend · excused · check in a session (id), or a reading plan's day studied (plan id, day)
BUTTON = ButtonData("st", action=("a", "e", "c", "p"), id=int, day=Optional(int))

KINDS = {"study": N_("member study (委员学习)"), "reading": N_("reading class (读书班)"),
         "training": N_("training (培训)"), "live": N_("live duty broadcast (履职直播)")}
KIND_ALIASES = {"委员学习": "study", "学习": "study", "读书班": "reading", "培训": "training",
                "履职直播": "live", "直播": "live"}
DAY_KINDS = {"self-study": N_("self-study"), "lecture": N_("lecture"), "discussion": N_("discussion")}
DAY_KIND_ALIASES = {"selfstudy": "self-study", "self_study": "self-study", "study": "self-study",
                    "自学": "self-study", "lectures": "lecture", "辅导": "lecture", "专题辅导": "lecture",
                    "讲座": "lecture", "研讨": "discussion", "交流研讨": "discussion", "discuss": "discussion"}
SESSION_STATUS = {"draft": N_("draft"), "announced": N_("announced"), "cancelled": N_("cancelled")}
STATE_LABELS = {"invited": N_("not answered yet"), "attending": N_("attending"),
                "waiting": N_("on the waiting list"), "excused": N_("excused")}
MATERIALS_TO = ("attended", "invited")
REASON_LIMIT = 300
LISTED = 10  # sessions shown by /sessions
CODE_TRIES = 5  # wrong codes in one check-in conversation before it ends
WRONG_CODES_PER_HOUR = 10  # then /checkin waits: a six-digit code must not be guessable by trying


class StudyError(AdminError):
    """What an office user (command line, admin chat) did wrong, and how to fix it."""


# --- time: entered and shown in Asia/Shanghai, stored in UTC ---------------------------------

def parse_local(text: str) -> datetime:
    """'2026-12-03 14:30' (Asia/Shanghai) → an aware UTC datetime."""
    cleaned = " ".join(str(text).strip().replace("T", " ").split())
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            naive = datetime.strptime(cleaned, pattern)
            break
        except ValueError:
            continue
    else:
        raise StudyError(f"time {text!r} must look like 2026-12-03 14:30 (Asia/Shanghai)")
    return naive.replace(tzinfo=SHANGHAI).astimezone(timezone.utc)


def parse_date(text: str | date) -> date:
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise StudyError(f"date {text!r} must look like 2026-12-07") from None


def parse_clock(text: str) -> str:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(text).strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise StudyError(f"time of day {text!r} must look like 08:30")
    return f"{int(match[1]):02d}:{match[2]}"


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def show_time(moment: datetime) -> str:
    return local(moment).strftime("%Y-%m-%d %H:%M")


def show_span(start: datetime, end: datetime) -> str:
    a, b = local(start), local(end)
    if a.date() == b.date():
        return f"{a:%Y-%m-%d %H:%M}–{b:%H:%M}"
    return f"{a:%Y-%m-%d %H:%M} – {b:%Y-%m-%d %H:%M}"


def local_at(day: date, clock: str) -> datetime:
    """A time of day on a Shanghai date, as UTC."""
    hours, minutes = (int(x) for x in clock.split(":"))
    return datetime.combine(day, time(hours, minutes), SHANGHAI).astimezone(timezone.utc)


def today(now: datetime) -> date:
    return local(now).date()


def checkin_opens(session, config: HandlerConfig) -> datetime:
    return session.starts_at - timedelta(minutes=config.study_checkin_early_minutes)


def in_checkin_window(session, now: datetime, config: HandlerConfig) -> bool:
    return checkin_opens(session, config) <= now <= session.ends_at


def _ctx(ctx_or_conn, now: datetime | None = None, config: HandlerConfig | None = None) -> Ctx:
    """A handler context for callers without an update (command line, demo)."""
    if isinstance(ctx_or_conn, Ctx):
        return ctx_or_conn
    if now is None:
        raise ValueError("now is needed with a bare connection")
    return Ctx.offline(ctx_or_conn, now, config or HandlerConfig(), Registry([]))  # sends only: no hooks



def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _suffix(session) -> str:
    return f":r{session.revision}" if session.revision else ""


# --- what a member sees ---------------------------------------------------------------------

def _details(t: Translator, s) -> list[str]:
    lines = [f"📚 <b>{_esc(s.title)}</b> · {t(KINDS[s.kind])}",
             t("🕒 Time: {time}", time=show_span(s.starts_at, s.ends_at))]
    if s.place:
        lines.append(t("📍 Place: {place}", place=s.place))
    if s.link:
        lines.append(t("🔗 Online: {link}", link=s.link))
    return lines


async def _state_line(ctx: Ctx, t: Translator, s, r) -> str:
    status = r.status if r is not None else "invited"
    label = t(STATE_LABELS[status])
    if status == "waiting":
        position = await store.waiting_position(ctx.conn, s.id, r.member_id)
        label = t("on the waiting list (number {position})", position=position)
    line = t("Your answer: {state}", state=Html(label))
    if status == "excused" and r.reason:
        line += "\n" + t("Reason: {reason}", reason=r.reason)
    if r is not None and r.checked_in_at is not None:
        line += "\n" + t("✅ Checked in at {time}", time=show_time(r.checked_in_at))
    return line


async def card(ctx: Ctx, t: Translator, s, r) -> tuple[str, Buttons]:
    """A session as a member sees it: details, places, their answer, the buttons they may press."""
    lines = _details(t, s)
    if s.capacity:
        taken = await store.attending_count(ctx.conn, s.id)
        lines.append(t("👥 Places: {capacity}, {free} left", capacity=s.capacity, free=max(s.capacity - taken, 0)))
    if s.status == "cancelled":
        lines.append(t("❌ This session was cancelled."))
        return "\n".join(lines), []
    lines.append("")
    lines.append(await _state_line(ctx, t, s, r))
    buttons: Buttons = []
    if ctx.now < s.starts_at:
        buttons.append([(t.plain("✅ I will attend"), BUTTON.pack("a", s.id)), (t.plain("🙏 Excused"), BUTTON.pack("e", s.id))])
    if in_checkin_window(s, ctx.now, ctx.config) and (r is None or r.checked_in_at is None):
        buttons.append([(t.plain("📍 Check in"), BUTTON.pack("c", s.id))])
    return "\n".join(lines), buttons


# --- sessions: add, announce, move, cancel, materials (the office; chat and CLI share these) --

def _kind(value: str) -> str:
    kind = KIND_ALIASES.get(value.strip(), value.strip().lower())
    if kind not in KINDS:
        raise StudyError(f"kind must be one of {', '.join(KINDS)} (or 委员学习, 读书班, 培训, 履职直播), not {value!r}")
    return kind


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
        raise StudyError(f"reminders must be minutes before the start, e.g. 2880,120 — not {value!r}") from None
    if any(m <= 0 or m > 60 * 24 * 60 for m in minutes):
        raise StudyError("each reminder must be between 1 minute and 60 days before the start")
    return minutes


def _audience(value) -> dict:
    if isinstance(value, dict):
        return value
    try:
        return audience.parse(value)
    except ValueError as exc:
        raise StudyError(str(exc)) from None


async def add_session(ctx_or_conn, *, title: str, kind: str, start: str | datetime, end: str | datetime,
                      place: str | None = None, link: str | None = None, audience_spec="all",
                      capacity: int | None = None, reminders=None, draft: bool = False,
                      actor: str = "cli", now: datetime | None = None, config: HandlerConfig | None = None):
    """Create a session (and announce it unless ``draft``); returns the session row."""
    ctx = _ctx(ctx_or_conn, now, config)
    title = " ".join((title or "").split())
    if not title or len(title) > 200:
        raise StudyError("a title is needed (at most 200 characters)")
    starts_at = start if isinstance(start, datetime) else parse_local(start)
    ends_at = end if isinstance(end, datetime) else parse_local(end)
    if ends_at <= starts_at:
        raise StudyError("the end must come after the start")
    if starts_at <= ctx.now:
        raise StudyError(f"the start ({show_time(starts_at)} Asia/Shanghai) is in the past")
    place = (place or "").strip() or None
    link = (link or "").strip() or None
    if not place and not link:
        raise StudyError("give a place (--place) or an online link (--link), or both")
    if link and not re.match(r"https?://\S+$", link):
        raise StudyError(f"the link must start with http:// or https://, not {link!r}")
    if place and len(place) > 200 or link and len(link) > 500:
        raise StudyError("the place (200) or the link (500 characters) is too long")
    if capacity is not None and capacity < 1:
        raise StudyError("capacity must be at least 1 (leave it out for no limit)")
    session_id = await store.create_session(
        ctx.conn, title=title, kind=_kind(kind), starts_at=starts_at, ends_at=ends_at, place=place, link=link,
        audience=_audience(audience_spec), capacity=capacity,
        reminders=_reminders(reminders, ctx.config.study_reminder_minutes), status="draft", revision=0,
        created_by=actor, created_at=ctx.now)
    await audit.record(ctx.conn, actor, "study.add", {"session": session_id, "title": title}, ctx.now)
    if not draft:
        await announce(ctx, session_id, actor=actor)
    return await store.session(ctx.conn, session_id)


async def _session_or_fail(conn, session_id: int):
    row = await store.session(conn, session_id, lock=True)
    if row is None:
        raise StudyError(f"there is no session #{session_id} (see: linkage study list)")
    return row


async def announce(ctx_or_conn, session_id: int, *, actor: str = "cli", now: datetime | None = None,
                   config: HandlerConfig | None = None) -> int:
    """Send the invitation cards (bulk) and schedule the reminders; returns how many were invited."""
    ctx = _ctx(ctx_or_conn, now, config)
    s = await _session_or_fail(ctx.conn, session_id)
    if s.status != "draft":
        raise StudyError(f"session #{session_id} is {s.status}: only a draft can be announced")
    if s.starts_at <= ctx.now:
        raise StudyError(f"session #{session_id} has already begun")
    await store.change_session(ctx.conn, s.id, status="announced", announced_at=ctx.now)
    s = await store.session(ctx.conn, s.id)
    invited = 0
    for member in await audience.members_of(ctx.conn, s.audience):
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


async def move_session(ctx_or_conn, session_id: int, *, start: str | datetime, end: str | datetime,
                       actor: str = "cli", now: datetime | None = None, config: HandlerConfig | None = None):
    """A new time: the old timers are cancelled, new ones scheduled, everyone invited told
    (with fresh buttons). Answers are kept."""
    ctx = _ctx(ctx_or_conn, now, config)
    s = await _session_or_fail(ctx.conn, session_id)
    if s.status == "cancelled":
        raise StudyError(f"session #{session_id} was cancelled")
    starts_at = start if isinstance(start, datetime) else parse_local(start)
    ends_at = end if isinstance(end, datetime) else parse_local(end)
    if ends_at <= starts_at or starts_at <= ctx.now:
        raise StudyError("the new start must be in the future and before the new end")
    cancelled = await timers.cancel(ctx.conn, f"study:{s.id}:", ctx.now)
    await store.change_session(ctx.conn, s.id, starts_at=starts_at, ends_at=ends_at, revision=s.revision + 1)
    s = await store.session(ctx.conn, s.id)
    if s.status == "announced":
        await _send_cards(ctx, s, intro=N_("🔁 The time of this session has changed:"))
        await _schedule(ctx, s)
    await audit.record(ctx.conn, actor, "study.move", {"session": s.id, "starts_at": starts_at.isoformat(),
                                                       "timers_cancelled": cancelled}, ctx.now)
    return s


async def cancel_session(ctx_or_conn, session_id: int, *, actor: str = "cli", now: datetime | None = None,
                         config: HandlerConfig | None = None) -> int:
    """Cancel a session: its timers are dropped and everyone invited is told; returns how many."""
    ctx = _ctx(ctx_or_conn, now, config)
    s = await _session_or_fail(ctx.conn, session_id)
    if s.status == "cancelled":
        raise StudyError(f"session #{session_id} is already cancelled")
    if s.ends_at <= ctx.now:
        raise StudyError(f"session #{session_id} is over; there is nothing to cancel")
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


async def set_materials(ctx_or_conn, session_id: int, *, link: str | None = None, file: str | Path | None = None,
                        file_id: str | None = None, name: str | None = None, to: str = "attended",
                        actor: str = "cli", now: datetime | None = None, config: HandlerConfig | None = None) -> str:
    """Attach materials (a link, a local file the bot uploads, or a Telegram file_id). They are
    pushed when the session ends — or now, if it is over. Returns what happens, in words."""
    ctx = _ctx(ctx_or_conn, now, config)
    s = await _session_or_fail(ctx.conn, session_id)
    if s.status == "cancelled":
        raise StudyError(f"session #{session_id} was cancelled")
    if to not in MATERIALS_TO:
        raise StudyError(f"materials go to {' or '.join(MATERIALS_TO)}, not {to!r}")
    if sum(x is not None for x in (link, file, file_id)) != 1:
        raise StudyError("give exactly one of --link, --file or --file-id")
    if link is not None:
        if not re.match(r"https?://\S+$", link) or len(link) > 500:
            raise StudyError(f"the link must start with http:// or https://, not {link!r}")
        materials = {"kind": "link", "value": link, "name": name, "to": to}
    elif file is not None:
        path = Path(file).resolve()
        if not path.is_file():
            raise StudyError(f"{file} is not a file")
        if path.stat().st_size > ctx.config.max_file_bytes:
            raise StudyError(f"{file} is larger than the limit of {ctx.config.max_file_bytes // 2**20} MB")
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
    return f"will be sent at the end, {show_time(s.ends_at)} Asia/Shanghai, to {whom}"


async def push_materials(ctx: Ctx, s) -> int:
    materials = s.materials or {}
    sent = 0
    for r in await store.rsvps(ctx.conn, s.id):
        if materials.get("to") == "attended" and r.checked_in_at is None:
            continue
        if not r.active or not r.reachable or r.telegram_user_id is None:
            continue
        t = translator(r.language)
        caption = t("📎 Materials of <b>{title}</b>", title=s.title)
        if materials.get("name"):
            caption += ": " + _esc(materials["name"])
        if materials.get("kind") == "link":
            await ctx.send(r.telegram_user_id, caption + "\n" + _esc(materials["value"]),
                           priority=outbox.BULK)
        else:
            await ctx.call("sendDocument", {"chat_id": r.telegram_user_id, "document": materials["value"],
                                            "caption": split_text(caption, CAPTION_LIMIT)[0], "parse_mode": "HTML"},
                           chat_id=r.telegram_user_id, priority=outbox.BULK)
        sent += 1
    await store.change_session(ctx.conn, s.id, materials_sent_at=ctx.now)
    log.info("study materials sent", extra={"session": s.id, "recipients": sent})
    return sent


# --- the office's views (CLI in English; /study in chat is translated) ----------------------

@dataclass
class SessionView:
    session: object
    counts: dict
    rsvps: list = field(default_factory=list)
    waiting: list = field(default_factory=list)

    def summary(self) -> str:
        s, c = self.session, self.counts
        where = s.place or s.link
        cap = f", capacity {s.capacity}" if s.capacity else ""
        return (f"#{s.id} [{s.status}] {show_span(s.starts_at, s.ends_at)} {s.kind}: {s.title} @ {where}{cap} — "
                f"attending {c['attending']}, excused {c['excused']}, waiting {c['waiting']}, "
                f"checked in {c['checked_in']}, no answer {c['invited']}")

    def lines(self) -> list[str]:
        s = self.session
        out = [self.summary(),
               f"  audience: {_spec_text(s.audience)}; reminders (minutes before): "
               f"{', '.join(map(str, s.reminders)) or 'none'}; check-in code: {s.checkin_code}",
               f"  stored in UTC: {s.starts_at:%Y-%m-%d %H:%M} – {s.ends_at:%Y-%m-%d %H:%M}"]
        if s.materials:
            state = f"sent {show_time(s.materials_sent_at)}" if s.materials_sent_at else "not sent yet"
            out.append(f"  materials: {s.materials['kind']} for those {s.materials['to']} ({state})")
        for r in self.rsvps:
            extra = ""
            if r.status == "waiting":
                extra = f" #{1 + [w.member_id for w in self.waiting].index(r.member_id)} in line"
            if r.reason:
                extra += f" — {r.reason}"
            checked = f", checked in {show_time(r.checked_in_at)}" if r.checked_in_at else ""
            out.append(f"  {r.roster_id} {r.name}: {r.status}{extra}{checked}")
        return out


def _spec_text(spec: dict) -> str:
    if spec.get("kind") == "all":
        return "all"
    if spec.get("kind") == "list":
        return "list:" + ",".join(spec.get("roster_ids", []))
    return f"{spec.get('kind')}:{spec.get('value')}"


async def list_sessions(conn, now: datetime, *, include_past: bool = False) -> list[SessionView]:
    rows = await store.sessions(conn, ending_after=None if include_past else now - timedelta(days=7))
    counts = await store.counts(conn, [r.id for r in rows])
    return [SessionView(r, counts[r.id]) for r in rows]


async def show_session(conn, session_id: int) -> SessionView:
    s = await store.session(conn, session_id)
    if s is None:
        raise StudyError(f"there is no session #{session_id} (see: linkage study list)")
    counts = await store.counts(conn, [s.id])
    return SessionView(s, counts[s.id], await store.rsvps(conn, s.id), await store.waiting_list(conn, s.id))


async def checkin_code(conn, session_id: int) -> str:
    s = await store.session(conn, session_id)
    if s is None:
        raise StudyError(f"there is no session #{session_id} (see: linkage study list)")
    return s.checkin_code


# --- timers -----------------------------------------------------------------------------------

async def _current(ctx: Ctx, timer):
    """The session a timer is about, if the timer still applies to it (not cancelled, not moved)."""
    s = await store.session(ctx.conn, timer.payload["session"])
    if s is None or s.status != "announced" or s.revision != timer.payload.get("revision", 0):
        log.info("study timer no longer applies", extra={"timer": timer.key})
        return None
    return s


async def remind(ctx: Ctx, timer) -> None:
    s = await _current(ctx, timer)
    if s is None:
        return
    for member in await audience.members_of(ctx.conn, s.audience):  # members who joined since
        await store.ensure_rsvp(ctx.conn, s.id, member.id, ctx.now)
    sent = 0
    for r in await store.rsvps(ctx.conn, s.id):
        if r.status not in ("attending", "invited") or not r.active or not r.reachable or r.telegram_user_id is None:
            continue
        t = translator(r.language)
        text, buttons = await card(ctx, t, s, r)
        head = t("⏰ Reminder: <b>{title}</b> starts at {time}.", title=s.title, time=show_time(s.starts_at))
        await ctx.send(r.telegram_user_id, head + "\n\n" + text, buttons=buttons, priority=outbox.BULK)
        sent += 1
    log.info("study reminder sent", extra={"session": s.id, "minutes": timer.payload["minutes"], "recipients": sent})


async def open_checkin(ctx: Ctx, timer) -> None:
    """Check-in opens: those attending get the 📍 button (the code itself is only shown at the session)."""
    s = await _current(ctx, timer)
    if s is None:
        return
    for r in await store.rsvps(ctx.conn, s.id):
        if r.status != "attending" or r.checked_in_at is not None or not r.active or not r.reachable \
                or r.telegram_user_id is None:
            continue
        t = translator(r.language)
        await ctx.send(r.telegram_user_id, t("📍 Check-in for <b>{title}</b> is open until {time}: send /checkin with "
                                             "the code shown at the session, or press the button.",
                                             title=s.title, time=show_time(s.ends_at)),
                       buttons=[[(t.plain("📍 Check in"), BUTTON.pack("c", s.id))]], priority=outbox.BULK)


async def send_materials(ctx: Ctx, timer) -> None:
    s = await _current(ctx, timer)
    if s is not None and s.materials and s.materials_sent_at is None:
        await push_materials(ctx, s)


# --- member: RSVP, excuse, check-in -----------------------------------------------------------

async def _refuse(ctx: Ctx, msgid: str, **values) -> None:
    """Say no: as the answer to a pressed button (an alert), or as a message."""
    if ctx.event.kind == "callback":
        await ctx.answer(ctx.t.plain(msgid, **values), alert=True)
    else:
        await ctx.reply(ctx.t(msgid, **values))


async def _invitation(ctx: Ctx, s):
    """The member's RSVP row for the session, made if they match its audience; None if the
    session is not for them."""
    row = await store.rsvp(ctx.conn, s.id, ctx.member.id)
    if row is None and audience.addresses(s.audience, ctx.member):
        row = await store.ensure_rsvp(ctx.conn, s.id, ctx.member.id, ctx.now)
    return row


async def _open_for_answers(ctx: Ctx, session_id: int):
    """The session and the member's RSVP if answers may still change; otherwise says why."""
    s = await store.session(ctx.conn, session_id, lock=True)
    if s is None or s.status == "draft":
        await _refuse(ctx, N_("This button is not valid."))
        return None
    if s.status == "cancelled":
        await _refuse(ctx, N_("This session was cancelled."))
        return None
    if ctx.now >= s.ends_at:
        await _refuse(ctx, N_("This session is over."))
        return None
    if ctx.now >= s.starts_at:
        await _refuse(ctx, N_("The session has begun: answers can no longer be changed."))
        return None
    r = await _invitation(ctx, s)
    if r is None:
        await _refuse(ctx, N_("This session is not one you were invited to."))
        return None
    return s, r


async def _show_card(ctx: Ctx, s, message_id) -> None:
    r = await store.rsvp(ctx.conn, s.id, ctx.member.id)
    text, buttons = await card(ctx, ctx.t, s, r)
    await ctx.edit(ctx.event.chat_id, message_id, text, buttons=buttons)


async def _attend(ctx: Ctx, session_id: int) -> None:
    found = await _open_for_answers(ctx, session_id)
    if found is None:
        return
    s, r = found
    t = ctx.t
    if r.status == "attending":
        await ctx.answer(t.plain("You are already registered."))
        return
    if r.status == "waiting":
        position = await store.waiting_position(ctx.conn, s.id, r.member_id)
        await ctx.answer(t.plain("You are already on the waiting list (number {position}).", position=position),
                         alert=True)
        return
    if s.capacity is not None and await store.attending_count(ctx.conn, s.id) >= s.capacity:
        await store.change_rsvp(ctx.conn, s.id, r.member_id, ctx.now, status="waiting", reason=None,
                                queue_no=await store.next_queue_no(ctx.conn, s.id), answered_at=ctx.now)
        position = await store.waiting_position(ctx.conn, s.id, r.member_id)
        await ctx.answer(t.plain("The session is full. You are number {position} on the waiting list; "
                                 "I will tell you if a place opens.", position=position), alert=True)
    else:
        await store.change_rsvp(ctx.conn, s.id, r.member_id, ctx.now, status="attending", reason=None,
                                queue_no=None, answered_at=ctx.now)
        await ctx.answer(t.plain("✅ Registered. See you there!"))
    await _show_card(ctx, s, ctx.event.message_id)


async def _excuse_button(ctx: Ctx, session_id: int) -> None:
    found = await _open_for_answers(ctx, session_id)
    if found is None:
        return
    s, r = found
    if r.status == "excused":
        await ctx.answer(ctx.t.plain("You are already excused."))
        return
    await flows.suspend_into(ctx, "study_excuse", "reason", {"session": s.id, "message": ctx.event.message_id})
    await ctx.answer()
    await ctx.reply(ctx.t("Please type a short reason for your absence from <b>{title}</b> "
                          "(/cancel keeps your current answer).", title=s.title))


async def on_excuse_text(ctx: Ctx, conv) -> None:
    reason = await flows.text_input(ctx)
    if reason is None:
        return
    if len(reason) > REASON_LIMIT:
        await ctx.reply(ctx.t("Please keep the reason under {limit} characters.", limit=REASON_LIMIT))
        return
    found = await _open_for_answers(ctx, conv.data["session"])
    if found is None:
        await flows.resume(ctx, conv)
        return
    s, r = found
    was = r.status
    await store.change_rsvp(ctx.conn, s.id, r.member_id, ctx.now, status="excused", reason=reason,
                            queue_no=None, answered_at=ctx.now)
    if was == "attending":
        await _promote(ctx, s)
    await ctx.reply(ctx.t("🙏 Noted: you are excused from <b>{title}</b>.", title=s.title))
    if conv.data.get("message"):
        await _show_card(ctx, s, conv.data["message"])
    await flows.resume(ctx, conv)


async def _promote(ctx: Ctx, s) -> None:
    """Fill free places from the waiting list, first in line first, and tell those promoted."""
    if s.capacity is None:
        return
    while await store.attending_count(ctx.conn, s.id) < s.capacity:
        line = await store.waiting_list(ctx.conn, s.id)
        if not line:
            return
        first = line[0]
        await store.change_rsvp(ctx.conn, s.id, first.member_id, ctx.now, status="attending", queue_no=None)
        member = await people.by_id(ctx.conn, first.member_id)
        log.info("study waiting list promotion", extra={"session": s.id, "member": member.id})
        if not member.active or not member.reachable or member.telegram_user_id is None:
            continue
        t = translator(member.language)
        await ctx.send(member.telegram_user_id, t("🎉 A place has opened: you are now registered for <b>{title}</b> "
                                                  "({time}).", title=s.title, time=show_span(s.starts_at, s.ends_at)))
        if first.card_key:
            text, buttons = await card(ctx, t, s, await store.rsvp(ctx.conn, s.id, member.id))
            await ctx.edit(member.telegram_user_id, {"$ref": first.card_key}, text, buttons=buttons)


async def _checkin_button(ctx: Ctx, session_id: int) -> None:
    s = await store.session(ctx.conn, session_id)
    if s is None or s.status == "draft":
        await _refuse(ctx, N_("This button is not valid."))
        return
    if await _checkin_refused(ctx, s):
        return
    await flows.suspend_into(ctx, "study_checkin", "code", {"session": s.id, "tries": 0})
    await ctx.answer()
    await ctx.reply(ctx.t("Type the check-in code shown at <b>{title}</b>.", title=s.title))


async def _checkin_refused(ctx: Ctx, s) -> bool:
    """Why this member cannot check in to this session now (said to them), or False."""
    if s.status == "cancelled":
        await _refuse(ctx, N_("This session was cancelled."))
        return True
    r = await _invitation(ctx, s)
    if r is None:
        await _refuse(ctx, N_("You were not invited to {title}, so you cannot check in to it."), title=s.title)
        return True
    if ctx.now < checkin_opens(s, ctx.config):
        await _refuse(ctx, N_("Check-in for {title} opens at {time}."), title=s.title,
                      time=show_time(checkin_opens(s, ctx.config)))
        return True
    if ctx.now > s.ends_at:
        await _refuse(ctx, N_("Check-in for {title} closed at {time}, when the session ended."), title=s.title,
                      time=show_time(s.ends_at))
        return True
    if r.checked_in_at is not None:
        await _refuse(ctx, N_("You already checked in to {title} at {time}."), title=s.title,
                      time=show_time(r.checked_in_at))
        return True
    return False


async def checkin(ctx: Ctx, code: str, expected: int | None = None) -> str:
    """Record attendance by code: 'done', 'wrong' (no such code, or not the expected session's),
    or 'refused' (not invited, outside the window, already checked in) — each told to the member."""
    wrong = await store.wrong_codes_since(ctx.conn, ctx.member.id, ctx.now - timedelta(hours=1))
    if len(wrong) >= WRONG_CODES_PER_HOUR:
        await ctx.reply(ctx.t("Too many wrong check-in codes. Please ask the organisers for the code; you can try "
                              "again after {time}.", time=show_time(wrong[-WRONG_CODES_PER_HOUR] + timedelta(hours=1))))
        return "refused"
    code = re.sub(r"\s+", "", code or "")[:12]
    s = await store.by_code(ctx.conn, code) if code.isdigit() else None
    if s is not None and s.status == "draft":
        s = None
    if s is None or (expected is not None and s.id != expected):
        await store.record_wrong_code(ctx.conn, ctx.member.id, ctx.now)
    if expected is not None and (s is None or s.id != expected):
        wanted = await store.session(ctx.conn, expected)
        await ctx.reply(ctx.t("That is not the check-in code of <b>{title}</b>. Please check it and send it again, "
                              "or /cancel.", title=wanted.title))
        return "wrong"
    if s is None:
        await ctx.reply(ctx.t("This check-in code is not valid. Please check it and try again."))
        return "wrong"
    if await _checkin_refused(ctx, s):
        return "refused"
    await store.change_rsvp(ctx.conn, s.id, ctx.member.id, ctx.now, checked_in_at=ctx.now)
    log.info("study check-in", extra={"session": s.id, "member": ctx.member.id})
    await ctx.reply(ctx.t("✅ Checked in to <b>{title}</b>. Thank you!", title=s.title))
    return "done"


async def cmd_checkin(ctx: Ctx) -> None:
    code = ctx.event.command_args.strip()
    if code:
        await checkin(ctx, code)
        return
    await flows.suspend_into(ctx, "study_checkin", "code", {"session": None, "tries": 0})
    await ctx.reply(ctx.t("Type the check-in code shown at the session (/cancel to stop)."))


async def on_checkin_text(ctx: Ctx, conv) -> None:
    code = await flows.text_input(ctx)
    if code is None:
        return
    outcome = await checkin(ctx, code, conv.data.get("session"))
    tries = conv.data.get("tries", 0) + 1
    if outcome == "wrong" and tries < CODE_TRIES:
        conv.data["tries"] = tries
        await conversations.save(ctx.conn, conv, ctx.now)
        return
    if outcome == "wrong":
        await ctx.reply(ctx.t("Too many wrong codes. Please ask the organisers for the code and send /checkin again."))
    await flows.resume(ctx, conv)


# --- member: /sessions ------------------------------------------------------------------------

async def my_sessions(ctx: Ctx) -> list[tuple[object, object]]:
    """Upcoming (or running) announced sessions for the member, with their RSVP row (or None)."""
    answers = await store.member_rsvps(ctx.conn, ctx.member.id)
    found = []
    for s in await store.sessions(ctx.conn, ending_after=ctx.now, statuses=("announced",)):
        r = answers.get(s.id)
        if r is not None or audience.addresses(s.audience, ctx.member):
            found.append((s, r))
    return found


async def cmd_sessions(ctx: Ctx) -> None:
    t = ctx.t
    mine = await my_sessions(ctx)
    plans = await _my_plan_days(ctx)
    if not mine and not plans:
        await ctx.reply(t("No upcoming study sessions for you."))
        return
    if mine:
        head = t("Your upcoming study sessions:")
        if len(mine) > LISTED:
            head += " " + t("(the next {shown} of {total})", shown=LISTED, total=len(mine))
        await ctx.reply(head)
        for s, r in mine[:LISTED]:
            text, buttons = await card(ctx, t, s, r)
            await ctx.reply(text, buttons=buttons)
    for p, day, total, done in plans:
        if day is None:
            await ctx.reply("📖 " + t("Reading plan <b>{title}</b> begins on {date}.", title=p.title,
                                      date=p.start_date.isoformat()))
        else:
            text, buttons = _plan_day_message(t, p, day, total, done)
            await ctx.reply(text, buttons=buttons)


async def upcoming_for_digest(conn, member, start: datetime, end: datetime, lang: str, cache: dict) -> list[str]:
    """The digest's "Coming up": the member's sessions starting in [start, end) with their answer,
    and reading plans beginning then (HTML lines). The calendar is read once per firing."""
    key = ("study", start, end)
    if key not in cache:
        sessions = [s for s in await store.sessions(conn, ending_after=start, statuses=("announced",))
                    if start <= s.starts_at < end]
        plans = [(p, len(await store.plan_days(conn, p.id))) for p in await store.plans(conn, statuses=("active",))
                 if start <= local_at(p.start_date, p.remind_at) < end]
        cache[key] = sessions, await store.session_rsvps(conn, [s.id for s in sessions]), plans
    sessions, answers, plans = cache[key]
    t = translator(lang)
    lines = []
    for s in sessions:
        r = answers.get((s.id, member.id))
        if r is None and not audience.addresses(s.audience, member):
            continue
        where = s.place or t("online")
        state = t(STATE_LABELS[r.status if r is not None else "invited"])
        lines.append(f"· {show_span(s.starts_at, s.ends_at)} <b>{_esc(s.title)}</b> · {_esc(where)} · {state}")
    for p, days in plans:
        if audience.addresses(p.audience, member):
            lines.append("· 📖 " + t("{date} reading plan <b>{title}</b> ({days} days)", date=p.start_date.isoformat(),
                                     title=p.title, days=days))
    return lines


# --- reading plans ----------------------------------------------------------------------------

def parse_days(spec: str | list) -> list[tuple[str, str]]:
    """'self-study:读…;lecture:…;self-study+lecture:…;discussion:…' → [(kinds, assignment)]."""
    entries = spec if isinstance(spec, list) else [e for e in re.split(r"[;\n；]", spec) if e.strip()]
    days: list[tuple[str, str]] = []
    for entry in entries:
        if isinstance(entry, tuple):
            kinds_text, assignment = entry
        else:
            match = re.match(r"\s*([^:：]+)[:：](.*)$", entry, re.S)
            if not match:
                raise StudyError(f"day {len(days) + 1}: write kind:assignment, e.g. self-study:读《……》第一章")
            kinds_text, assignment = match[1], match[2]
        kinds = []
        for part in re.split(r"[+＋,]", kinds_text.strip()):
            name = DAY_KIND_ALIASES.get(part.strip().lower(), part.strip().lower())
            if name not in DAY_KINDS:
                raise StudyError(f"day {len(days) + 1}: kind {part.strip()!r} must be one of "
                                 f"{', '.join(DAY_KINDS)} (several joined by +)")
            kinds.append(name)
        assignment = " ".join(assignment.split())
        if not assignment:
            raise StudyError(f"day {len(days) + 1}: say what to do, e.g. self-study:读《……》第一章")
        days.append(("+".join(kinds), assignment))
    if not days:
        raise StudyError("a plan needs at least one day")
    if len(days) > 60:
        raise StudyError("a plan has at most 60 days")
    return days


async def add_plan(ctx_or_conn, *, title: str, start_date: str | date, days, audience_spec="all",
                   remind_at: str | None = None, actor: str = "cli", now: datetime | None = None,
                   config: HandlerConfig | None = None) -> int:
    """A reading plan: one day after another from ``start_date``, a reminder each day at
    ``remind_at`` (Asia/Shanghai) with the day's assignment and a check-in button. The audience
    is told now. Returns the plan's id."""
    ctx = _ctx(ctx_or_conn, now, config)
    title = " ".join((title or "").split())
    if not title or len(title) > 200:
        raise StudyError("a title is needed (at most 200 characters)")
    first = parse_date(start_date)
    if first < today(ctx.now):
        raise StudyError(f"the plan would begin in the past ({first}); today is {today(ctx.now)} in Asia/Shanghai")
    clock = parse_clock(remind_at or ctx.config.study_plan_remind_at)
    spec = _audience(audience_spec)
    parsed = parse_days(days)
    plan_id = await store.create_plan(
        ctx.conn, [{"day_no": n, "on_date": first + timedelta(days=n - 1), "kinds": kinds, "assignment": text}
                   for n, (kinds, text) in enumerate(parsed, start=1)],
        title=title, start_date=first, remind_at=clock, audience=spec, status="active", created_by=actor,
        created_at=ctx.now)
    for day in await store.plan_days(ctx.conn, plan_id):
        await ctx.schedule(f"study:plan:{plan_id}:day:{day.day_no}", "study.plan_day", local_at(day.on_date, clock),
                           payload={"plan": plan_id, "day": day.day_no},
                           expires_at=local_at(day.on_date + timedelta(days=1), "00:00"))
    p = await store.plan(ctx.conn, plan_id)
    told = 0
    for member in await audience.members_of(ctx.conn, spec):
        if not member.reachable:
            continue
        await ctx.send(member.telegram_user_id, await _plan_intro(ctx, translator(member.language), p),
                       priority=outbox.BULK)
        told += 1
    await audit.record(ctx.conn, actor, "study.plan_add", {"plan": plan_id, "days": len(parsed), "told": told},
                       ctx.now)
    return plan_id


def _day_kinds(t: Translator, kinds: str) -> str:
    return " + ".join(t(DAY_KINDS[k]) for k in kinds.split("+") if k in DAY_KINDS)


async def _plan_intro(ctx: Ctx, t: Translator, p) -> str:
    days = await store.plan_days(ctx.conn, p.id)
    lines = ["📚 " + t("New reading plan: <b>{title}</b>, {first} – {last}.", title=p.title,
                       first=days[0].on_date.isoformat(), last=days[-1].on_date.isoformat()),
             t("Every day at {time} I will send the day's assignment; press “✅ Studied today” once you have "
               "done it.", time=p.remind_at), ""]
    for d in days:
        lines.append(t("Day {n} ({date}, {kinds}): {assignment}", n=d.day_no, date=d.on_date.isoformat(),
                       kinds=Html(_day_kinds(t, d.kinds)), assignment=d.assignment))
    return "\n".join(lines)


def _plan_day_message(t: Translator, p, d, total: int, done) -> tuple[str, Buttons]:
    text = "📖 " + t("<b>{title}</b> — day {n} of {total} ({kinds})", title=p.title, n=d.day_no, total=total,
                     kinds=Html(_day_kinds(t, d.kinds))) + "\n" + t("Today: {assignment}", assignment=d.assignment)
    if done is not None:
        return text + "\n" + t("✅ Studied today (recorded at {time})", time=local(done.checked_at).strftime("%H:%M")), []
    return text, [[(t.plain("✅ Studied today"), BUTTON.pack("p", p.id, d.day_no))]]


async def _my_plan_days(ctx: Ctx) -> list:
    """Active plans for the member: (plan, today's day or None if it begins later, days, check-in)."""
    found = []
    now_date = today(ctx.now)
    for p in await store.plans(ctx.conn, statuses=("active",)):
        if not audience.addresses(p.audience, ctx.member):
            continue
        days = await store.plan_days(ctx.conn, p.id)
        if days[-1].on_date < now_date:
            continue
        day = next((d for d in days if d.on_date == now_date), None)
        if day is None and days[0].on_date < now_date:
            continue
        done = await store.plan_checkin(ctx.conn, p.id, day.day_no, ctx.member.id) if day else None
        found.append((p, day, len(days), done))
    return found


async def plan_day_job(ctx: Ctx, timer) -> None:
    p = await store.plan(ctx.conn, timer.payload["plan"])
    if p is None or p.status != "active":
        log.info("study timer no longer applies", extra={"timer": timer.key})
        return
    d = await store.plan_day(ctx.conn, p.id, timer.payload["day"])
    total = len(await store.plan_days(ctx.conn, p.id))
    sent = 0
    for member in await audience.members_of(ctx.conn, p.audience):
        if not member.reachable:
            continue
        done = await store.plan_checkin(ctx.conn, p.id, d.day_no, member.id)
        text, buttons = _plan_day_message(translator(member.language), p, d, total, done)
        await ctx.send(member.telegram_user_id, text, buttons=buttons, priority=outbox.BULK)
        sent += 1
    log.info("study plan reminder sent", extra={"plan": p.id, "day": d.day_no, "recipients": sent})


async def _plan_button(ctx: Ctx, plan_id: int, day_no: int) -> None:
    t = ctx.t
    p = await store.plan(ctx.conn, plan_id)
    d = await store.plan_day(ctx.conn, plan_id, day_no) if p is not None else None
    if d is None:
        await ctx.answer(t.plain("This button is not valid."), alert=True)
        return
    if p.status != "active":
        await ctx.answer(t.plain("This reading plan was cancelled."), alert=True)
        return
    if not audience.addresses(p.audience, ctx.member):
        await ctx.answer(t.plain("This reading plan is not for you."), alert=True)
        return
    if d.on_date > today(ctx.now):
        await ctx.answer(t.plain("Day {n} has not begun yet.", n=d.day_no), alert=True)
        return
    if d.on_date < today(ctx.now):
        await ctx.answer(t.plain("Day {n} is over: the check-in is for that day only.", n=d.day_no), alert=True)
        return
    if not await store.add_plan_checkin(ctx.conn, p.id, d.day_no, ctx.member.id, ctx.now):
        await ctx.answer(t.plain("You already checked in for today."))
        return
    await ctx.answer(t.plain("✅ Recorded. Well done!"))
    total = len(await store.plan_days(ctx.conn, p.id))
    done = await store.plan_checkin(ctx.conn, p.id, d.day_no, ctx.member.id)
    text, buttons = _plan_day_message(t, p, d, total, done)
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, text, buttons=buttons)


@dataclass
class PlanView:
    plan: object
    days: list
    checkins: dict  # day_no -> count

    def lines(self) -> list[str]:
        p = self.plan
        out = [f"plan #{p.id} [{p.status}] {p.title}: {len(self.days)} days from {p.start_date}, "
               f"daily at {p.remind_at} Asia/Shanghai, audience {_spec_text(p.audience)}"]
        for d in self.days:
            out.append(f"  day {d.day_no} {d.on_date} {d.kinds}: {d.assignment} — "
                       f"{self.checkins.get(d.day_no, 0)} check-in(s)")
        return out


async def list_plans(conn) -> list[PlanView]:
    return [PlanView(p, await store.plan_days(conn, p.id), await store.plan_checkin_counts(conn, p.id))
            for p in await store.plans(conn)]


async def cancel_plan(ctx_or_conn, plan_id: int, *, actor: str = "cli", now: datetime | None = None,
                      config: HandlerConfig | None = None) -> int:
    """Stop a plan's daily reminders; returns how many were dropped."""
    ctx = _ctx(ctx_or_conn, now, config)
    p = await store.plan(ctx.conn, plan_id)
    if p is None:
        raise StudyError(f"there is no plan #{plan_id} (see: linkage study plan list)")
    if p.status == "cancelled":
        raise StudyError(f"plan #{plan_id} is already cancelled")
    await store.change_plan(ctx.conn, plan_id, status="cancelled")
    dropped = await timers.cancel(ctx.conn, f"study:plan:{plan_id}:", ctx.now)
    await audit.record(ctx.conn, actor, "study.plan_cancel", {"plan": plan_id}, ctx.now)
    return dropped


# --- office admins in chat: /study ------------------------------------------------------------

async def cmd_study(ctx: Ctx) -> None:
    t = ctx.t
    if ctx.member.role != "admin":
        await ctx.reply(t("This command is for the city office."))
        return
    views = await list_sessions(ctx.conn, ctx.now)
    lines = [t("Study sessions (from a week ago):")]
    if not views:
        lines.append(t("none yet — add one with: linkage study add"))
    for v in views[-30:]:
        s, c = v.session, v.counts
        lines.append("")
        lines.append(f"#{s.id} {show_span(s.starts_at, s.ends_at)} <b>{_esc(s.title)}</b> · {t(KINDS[s.kind])} · "
                     f"{t(SESSION_STATUS[s.status])}")
        lines.append(t("attending {attending} · excused {excused} · waiting {waiting} · checked in {checked_in} · "
                       "no answer {invited} · check-in code {code}", code=s.checkin_code, **c))
    for pv in await list_plans(ctx.conn):
        if pv.plan.status != "active" or pv.days[-1].on_date < today(ctx.now):
            continue
        day = next((d for d in pv.days if d.on_date == today(ctx.now)), None)
        lines.append("")
        lines.append("📖 " + t("Reading plan #{id} <b>{title}</b>: {days} days from {date}; check-ins today: {count}",
                               id=pv.plan.id, title=pv.plan.title, days=len(pv.days),
                               date=pv.plan.start_date.isoformat(),
                               count=pv.checkins.get(day.day_no, 0) if day else 0))
    await ctx.reply("\n".join(lines))



# --- router entry points ----------------------------------------------------------------------

async def on_button(ctx: Ctx, fields: dict) -> None:
    """st:a:ID attend · st:e:ID excused · st:c:ID check in · st:p:PLAN:DAY studied today."""
    action, target, day = fields["action"], fields["id"], fields["day"]
    if action == "p" and day is not None:
        await _plan_button(ctx, target, day)
    elif action != "p" and day is None:
        await {"a": _attend, "e": _excuse_button, "c": _checkin_button}[action](ctx, target)
    else:
        await ctx.answer(ctx.t.plain(BUTTON.refusal), alert=True)


async def personal_data(conn, member) -> dict:
    """For /mydata (handlers/privacy.py): the member's answers, check-ins and reading days."""
    t = translator(member.language)
    return {"study_sessions": [{"title": r.title, "starts_at": r.starts_at, "answer": t.plain(STATE_LABELS[r.status]),
                                "reason": r.reason, "checked_in_at": r.checked_in_at}
                               for r in await store.attendance_of(conn, member.id)],
            "reading_plan_days": [{"plan": r.title, "day": r.day_no, "checked_at": r.checked_at}
                                  for r in await store.plan_checkins_of(conn, member.id)]}



# --- the demo's calendar ----------------------------------------------------------------------

@dataclass
class SampleCalendar:
    sessions: dict[str, int]  # "study" | "live" | "training" -> session id
    plan: int
    codes: dict[int, str]  # session id -> check-in code


async def sample_calendar(ctx_or_conn, now: datetime, config: HandlerConfig | None = None) -> SampleCalendar:
    """A fictional sample calendar, announced at once to the members who have joined: a study
    meeting in two days (14:30), a live broadcast in three (19:30), a Hongqiao training with two
    places (waiting list) in four, and a one-week reading class from tomorrow (3½ days of
    self-study, 3 lectures, 2 days of discussion, as in the seed document)."""
    ctx = _ctx(ctx_or_conn, now, config)
    day = today(ctx.now)

    def at(days: int, clock: str) -> datetime:
        return local_at(day + timedelta(days=days), clock)

    study = await add_session(ctx, title="学习贯彻全会精神专题学习会", kind="study", start=at(2, "14:30"),
                              end=at(2, "16:30"), place="委员之家·第一学习室", actor="demo")
    live = await add_session(ctx, title="委员履职能力提升直播课", kind="live", start=at(3, "19:30"),
                             end=at(3, "20:30"), link="https://live.example.org/linkage-demo", actor="demo")
    training = await add_session(ctx, title="红桥区政协委员履职培训", kind="training", start=at(4, "09:00"),
                                 end=at(4, "11:30"), place="红桥区委员活动室（示例）", audience_spec="district:hongqiao",
                                 capacity=2, actor="demo")
    await set_materials(ctx, study.id, link="https://study.example.org/linkage-demo/notes", name="学习辅导材料（示例）",
                        actor="demo")
    plan_id = await add_plan(ctx, title="主题教育读书班（示例）", start_date=day + timedelta(days=1), actor="demo", days=[
        ("self-study", "自学：通读学习材料第一、二章，摘录要点"),
        ("self-study", "自学：学习材料第三、四章，结合履职实际写学习笔记"),
        ("self-study", "自学：学习材料第五章，准备一个交流发言题目"),
        ("self-study+lecture", "上午自学第六章；下午第一场专题辅导"),
        ("lecture", "上午第二场专题辅导；下午第三场专题辅导"),
        ("discussion", "分组交流研讨：学习体会与履职建议"),
        ("discussion", "集中交流研讨，形成读书班学习成果"),
    ])
    return SampleCalendar({"study": study.id, "live": live.id, "training": training.id}, plan_id,
                          {s.id: s.checkin_code for s in (study, live, training)})


async def calendar_lines(conn, now: datetime, lang: str = "zh") -> list[str]:
    """The calendar as plain lines (for the demo's transcript): upcoming sessions with their
    counts and check-in codes, then the reading plans' days with their check-ins."""
    t = translator(lang)
    out = []
    for v in await list_sessions(conn, now):
        s, c = v.session, v.counts
        out.append(f"#{s.id} {show_span(s.starts_at, s.ends_at)} {t.plain(KINDS[s.kind])} · {s.title} · "
                   + t.plain("attending {attending} · excused {excused} · waiting {waiting} · checked in "
                             "{checked_in} · no answer {invited} · check-in code {code}", code=s.checkin_code, **c))
    for pv in await list_plans(conn):
        if pv.plan.status != "active":
            continue
        out.append(f"📖 {pv.plan.title}")
        for d in pv.days:
            out.append(f"   {d.on_date} {_day_kinds(t, d.kinds)}: {d.assignment} ({pv.checkins.get(d.day_no, 0)} ✅)")
    return out
