"""What the study calendar shows: the office's views (the command line in English, ``/study`` in
chat translated), a member's ``/sessions``, the digest's "Coming up", and ``/mydata``'s part."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from handlers.core import audience
from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.core.localtime import local_at, local_day, show_span, shown
from handlers.study.calendar import session_line
from handlers.study.cards import card, esc, plan_day_message
from handlers.study.plans import member_plan_days
from handlers.study.terms import KINDS, SESSION_STATUS, STATE_LABELS, StudyError, spec_text
from storage import study as store

LISTED = 10  # sessions shown by /sessions


# --- the office's views -----------------------------------------------------------------------

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
               f"  audience: {spec_text(s.audience)}; reminders (minutes before): "
               f"{', '.join(map(str, s.reminders)) or 'none'}; check-in code: {s.checkin_code}",
               f"  stored in UTC: {s.starts_at:%Y-%m-%d %H:%M} – {s.ends_at:%Y-%m-%d %H:%M}"]
        if s.materials:
            state = f"sent {shown(s.materials_sent_at)}" if s.materials_sent_at else "not sent yet"
            out.append(f"  materials: {s.materials['kind']} for those {s.materials['to']} ({state})")
        for r in self.rsvps:
            extra = ""
            if r.status == "waiting":
                extra = f" #{1 + [w.member_id for w in self.waiting].index(r.member_id)} in line"
            if r.reason:
                extra += f" — {r.reason}"
            checked = f", checked in {shown(r.checked_in_at)}" if r.checked_in_at else ""
            out.append(f"  {r.roster_id} {r.name}: {r.status}{extra}{checked}")
        return out


@dataclass
class PlanView:
    plan: object
    days: list
    checkins: dict  # day_no -> count

    def lines(self) -> list[str]:
        p = self.plan
        out = [f"plan #{p.id} [{p.status}] {p.title}: {len(self.days)} days from {p.start_date}, "
               f"daily at {p.remind_at} Asia/Shanghai, audience {spec_text(p.audience)}"]
        for d in self.days:
            out.append(f"  day {d.day_no} {d.on_date} {d.kinds}: {d.assignment} — "
                       f"{self.checkins.get(d.day_no, 0)} check-in(s)")
        return out


async def list_sessions(conn, now: datetime, *, include_past: bool = False) -> list[SessionView]:
    rows = await store.sessions(conn, ending_after=None if include_past else now - timedelta(days=7))
    counts = await store.counts(conn, [r.id for r in rows])
    return [SessionView(r, counts[r.id]) for r in rows]


async def show_session(conn, session_id: int) -> SessionView:
    s = await store.session(conn, session_id)
    if s is None:
        raise StudyError("there is no session #{session_id} (see: linkage study list)", session_id=session_id)
    counts = await store.counts(conn, [s.id])
    return SessionView(s, counts[s.id], await store.rsvps(conn, s.id), await store.waiting_list(conn, s.id))


async def checkin_code(conn, session_id: int) -> str:
    s = await store.session(conn, session_id)
    if s is None:
        raise StudyError("there is no session #{session_id} (see: linkage study list)", session_id=session_id)
    return s.checkin_code


async def list_plans(conn) -> list[PlanView]:
    return [PlanView(p, await store.plan_days(conn, p.id), await store.plan_checkin_counts(conn, p.id))
            for p in await store.plans(conn)]



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
        lines.append(f"#{s.id} {show_span(s.starts_at, s.ends_at)} <b>{esc(s.title)}</b> · {t(KINDS[s.kind])} · "
                     f"{t(SESSION_STATUS[s.status])}")
        lines.append(t("attending {attending} · excused {excused} · waiting {waiting} · checked in {checked_in} · "
                       "no answer {invited} · check-in code {code}", code=s.checkin_code, **c))
    for pv in await list_plans(ctx.conn):
        if pv.plan.status != "active" or pv.days[-1].on_date < local_day(ctx.now):
            continue
        day = next((d for d in pv.days if d.on_date == local_day(ctx.now)), None)
        lines.append("")
        lines.append("📖 " + t("Reading plan #{id} <b>{title}</b>: {days} days from {date}; check-ins today: {count}",
                               id=pv.plan.id, title=pv.plan.title, days=len(pv.days),
                               date=pv.plan.start_date.isoformat(),
                               count=pv.checkins.get(day.day_no, 0) if day else 0))
    await ctx.reply("\n".join(lines))


# --- member: /sessions, the digest's "Coming up", /mydata -------------------------------------

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
    plans = await member_plan_days(ctx)
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
            text, buttons = plan_day_message(t, p, day, total, done)
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
        lines.append(session_line(t, s, r))  # the same line as /calendar's
    for p, days in plans:
        if audience.addresses(p.audience, member):
            lines.append("· 📖 " + t("{date} reading plan <b>{title}</b> ({days} days)", date=p.start_date.isoformat(),
                                     title=p.title, days=days))
    return lines


async def personal_data(conn, member) -> dict:
    """For /mydata (handlers/privacy.py): the member's answers, check-ins and reading days."""
    t = translator(member.language)
    return {"study_sessions": [{"title": r.title, "starts_at": r.starts_at, "answer": t.plain(STATE_LABELS[r.status]),
                                "reason": r.reason, "checked_in_at": r.checked_in_at}
                               for r in await store.attendance_of(conn, member.id)],
            "reading_plan_days": [{"plan": r.title, "day": r.day_no, "checked_at": r.checked_at}
                                  for r in await store.plan_checkins_of(conn, member.id)]}
