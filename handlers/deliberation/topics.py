"""A topic's life, for the chat and the command line alike: open (cards to the audience at the
opening time), close (at the closing time: the committee's summary and export), conclude (议政结论
to every participant), moderate (hide with a reason, pin), and the room's bind key.

Timers: ``deliberation:{id}:open`` (a topic opened for later) and ``deliberation:{id}:close``.
Every audience card is an outbox row keyed ``deliberation:{id}:card:{member_id}``; the
conclusion ``deliberation:{id}:conclusion:{member_id}``."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path

from handlers.core import audience, roles
from handlers.core.context import Ctx
from handlers.core.errors import AdminError, Term
from handlers.core.i18n import translator
from handlers.deliberation import mirror, summary
from handlers.deliberation.common import (MAX_QUESTIONS, QUESTION_LIMIT, TITLE_LIMIT, DeliberationError, card,
                                          committee_name, esc, topic_or_fail)
from handlers.office import keys
from handlers.core.localtime import parse_local
from storage import audit, outbox, people, reference, timers
from storage import deliberation as store

log = logging.getLogger("linkage.deliberation")
BODY_LIMIT = 3500
CONCLUSION_LIMIT = 3500


def room_name(deliberation_id: int) -> str:
    return f"deliberation:{deliberation_id}"


def _when(value: str | datetime | None, default: datetime) -> datetime:
    if value is None or value == "":
        return default
    return value if isinstance(value, datetime) else parse_local(value)


async def check_committee(conn, code: str) -> None:
    if code not in {row.code for row in await reference.rows_of(conn, "committee")}:
        raise DeliberationError("there is no committee {code!r}", code=code)


def clean_questions(questions) -> list[str]:
    cleaned = [" ".join(q.split()) for q in questions or () if q and q.strip()]
    if len(cleaned) > MAX_QUESTIONS:
        raise DeliberationError("a topic has at most {max_questions} questions", max_questions=MAX_QUESTIONS)
    if any(len(q) > QUESTION_LIMIT for q in cleaned):
        raise DeliberationError("a question has at most {question_limit} characters",
                                question_limit=QUESTION_LIMIT)
    return cleaned


async def open_topic(ctx: Ctx, *, title: str, committee: str, audience_spec: str | dict, closes: str | datetime,
                     opens: str | datetime | None = None, body: str = "", file_id: str | None = None,
                     link: str | None = None, questions=(), opened_by: int | None = None, actor: str = "cli"):
    """Create a topic: the cards go now, or at ``opens`` (a timer); it closes at ``closes``."""
    title = " ".join((title or "").split())
    body = (body or "").strip()
    if not title or len(title) > TITLE_LIMIT:
        raise DeliberationError("a title is needed (at most {title_limit} characters)",
                                title_limit=TITLE_LIMIT)
    if not body and not file_id:
        raise DeliberationError("a topic needs a background: --body or --file")
    if len(body) > BODY_LIMIT:
        raise DeliberationError("the background is {length} characters; the limit is {body_limit}",
                                length=len(body), body_limit=BODY_LIMIT)
    if link and not re.match(r"https?://\S+$", link):
        raise DeliberationError("the link must start with http:// or https://, not {link!r}", link=link)
    await check_committee(ctx.conn, committee)
    try:
        spec = audience.parse(audience_spec) if isinstance(audience_spec, str) else audience_spec
    except AdminError as exc:
        raise DeliberationError.like(exc) from None
    if not await people.in_audience(ctx.conn, spec):
        raise DeliberationError("nobody on the roster who uses the bot is in that audience")
    opens_at, closes_at = _when(opens, ctx.now), _when(closes, ctx.now)
    if closes_at <= max(opens_at, ctx.now):
        raise DeliberationError("the closing time must come after the opening time and now")
    topic_id = await store.create(ctx.conn, title=title, body=body, file_id=file_id, link=link or None,
                                  questions=clean_questions(questions), committee_code=committee, audience=spec,
                                  opens_at=opens_at, closes_at=closes_at, status="scheduled", opened_by=opened_by,
                                  created_at=ctx.now)
    await audit.record(ctx.conn, actor, "deliberation.open", {"deliberation": topic_id, "committee": committee},
                       ctx.now)
    await ctx.schedule(f"deliberation:{topic_id}:close", "deliberation.close", closes_at,
                       payload={"deliberation": topic_id})
    if opens_at <= ctx.now:
        await publish(ctx, topic_id)
    else:
        await ctx.schedule(f"deliberation:{topic_id}:open", "deliberation.open", opens_at,
                           payload={"deliberation": topic_id}, expires_at=closes_at)
    return await store.by_id(ctx.conn, topic_id)


async def publish(ctx: Ctx, topic_id: int) -> int:
    """The topic opens: a card to everyone in the audience; returns how many."""
    await store.change(ctx.conn, topic_id, status="open")
    topic = await store.by_id(ctx.conn, topic_id)
    sent = 0
    for member in await people.in_audience(ctx.conn, topic.audience):
        if not member.reachable:
            continue
        text, buttons = await card(ctx.conn, topic, member.language)
        await ctx.send(member.telegram_user_id, text, buttons=buttons, priority=outbox.BULK,
                       key=f"deliberation:{topic.id}:card:{member.id}")
        if topic.file_id:
            await ctx.call("sendDocument", {"chat_id": member.telegram_user_id, "document": topic.file_id},
                           chat_id=member.telegram_user_id, priority=outbox.BULK,
                           key=f"deliberation:{topic.id}:file:{member.id}")
        sent += 1
    log.info("deliberation opened", extra={"deliberation": topic.id, "recipients": sent})
    return sent


async def open_job(ctx: Ctx, timer) -> None:
    topic = await store.by_id(ctx.conn, timer.payload["deliberation"])
    if topic is not None and topic.status == "scheduled":
        await publish(ctx, topic.id)


async def close_topic(ctx: Ctx, topic_id: int, *, actor: str = "cli") -> Path:
    """Close the thread; the committee's staff and the opener get the summary and the export."""
    topic = await topic_or_fail(ctx.conn, topic_id, lock=True)
    if topic.status == "closed":
        raise DeliberationError("deliberation #{topic_id} is already closed", topic_id=topic_id)
    await store.change(ctx.conn, topic.id, status="closed", closes_at=min(topic.closes_at, ctx.now))
    await timers.cancel(ctx.conn, f"deliberation:{topic.id}:", ctx.now)  # closed early: nothing left to fire
    await audit.record(ctx.conn, actor, "deliberation.close", {"deliberation": topic.id}, ctx.now)
    topic = await store.by_id(ctx.conn, topic.id)
    path = export_path(ctx, topic.id)
    await summary.write_export(ctx.conn, topic, path)
    for member in await committee_people(ctx.conn, topic):
        t = translator(member.language)
        text, buttons = await summary.summary(ctx.conn, topic, member.language)
        await ctx.send(member.telegram_user_id, text, buttons=buttons, key=f"deliberation:{topic.id}:summary:{member.id}",
                       priority=outbox.BULK)
        await ctx.call("sendDocument", {"chat_id": member.telegram_user_id, "document": {"$file": str(path)},
                                        "caption": t("Everything said on «{title}» (XLSX)", title=topic.title),
                                        "parse_mode": "HTML"},
                       chat_id=member.telegram_user_id, key=f"deliberation:{topic.id}:export:{member.id}",
                       priority=outbox.BULK)
    log.info("deliberation closed", extra={"deliberation": topic.id})
    return path


async def close_job(ctx: Ctx, timer) -> None:
    topic = await store.by_id(ctx.conn, timer.payload["deliberation"])
    if topic is not None and topic.status != "closed":
        await close_topic(ctx, topic.id, actor="system")


def export_path(ctx: Ctx, topic_id: int) -> Path:
    """Beside the office's charts: var/deliberations/deliberation-7.xlsx by default."""
    folder = Path(ctx.config.charts_dir).parent / "deliberations"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"deliberation-{topic_id}.xlsx"


async def committee_people(conn, topic) -> list:
    """Who gets the committee's copies: its staff, and the opener (an admin, say)."""
    found = await store.staff_of(conn, topic.committee_code)
    if topic.opened_by and all(m.id != topic.opened_by for m in found):
        opener = await people.by_id(conn, topic.opened_by)
        if opener is not None and opener.active and opener.telegram_user_id is not None:
            found.append(opener)
    return found


async def conclude(ctx: Ctx, topic_id: int, body: str, *, actor: str = "cli") -> int:
    """The committee's conclusion (议政结论), to every participant; returns how many."""
    body = (body or "").strip()
    if not body or len(body) > CONCLUSION_LIMIT:
        raise DeliberationError("a conclusion needs text (at most {conclusion_limit} characters)",
                                conclusion_limit=CONCLUSION_LIMIT)
    topic = await topic_or_fail(ctx.conn, topic_id, lock=True)
    if topic.status != "closed":
        raise DeliberationError("deliberation #{topic_id} is still open: close it first", topic_id=topic_id)
    if topic.conclusion:
        raise DeliberationError("deliberation #{topic_id} already has its conclusion", topic_id=topic_id)
    await store.change(ctx.conn, topic.id, conclusion=body, concluded_at=ctx.now)
    await audit.record(ctx.conn, actor, "deliberation.conclude", {"deliberation": topic.id}, ctx.now)
    authors = {row.member_id for row in await store.visible(ctx.conn, topic.id)}
    sent = 0
    for member_id in sorted(authors):
        member = await people.by_id(ctx.conn, member_id)
        if not member.active or not member.reachable or member.telegram_user_id is None:
            continue
        t = translator(member.language)
        text = "\n".join([t("📌 <b>Conclusion (议政结论)</b> · {committee}",
                            committee=await committee_name(ctx.conn, topic.committee_code, member.language)),
                          f"<b>{esc(topic.title)}</b>", "", esc(body), "",
                          t("Thank you for taking part.")])
        await ctx.send(member.telegram_user_id, text, key=f"deliberation:{topic.id}:conclusion:{member.id}",
                       priority=outbox.BULK)
        sent += 1
    return sent


async def moderate(ctx: Ctx, contribution_id: int, action: str, *, reason: str | None = None,
                   by=None, actor: str = "cli"):
    """Hide (with a reason; the author is told) or pin one contribution; ``by``: the member acting
    in chat, whose role is checked here. Returns the contribution as it is now."""
    row = await store.contribution(ctx.conn, contribution_id)
    if row is None:
        raise DeliberationError("there is no contribution #{contribution_id}", contribution_id=contribution_id)
    topic = await store.by_id(ctx.conn, row.deliberation_id)
    if by is not None and not roles.runs_committee(by, topic.committee_code):
        raise DeliberationError("only the committee's staff or an office admin may moderate")
    if row.status != "visible":
        raise DeliberationError("contribution #{contribution_id} is {status}",
                                contribution_id=contribution_id, status=Term(summary.STATUS[row.status]))
    if action == "pin" and row.parent_id is not None:
        raise DeliberationError("contribution #{contribution_id} is a reply: pin the contribution it answers",
                                contribution_id=contribution_id)
    if action == "hide":
        reason = (reason or "").strip()
        if not reason:
            raise DeliberationError("hiding needs a reason (--reason)")
        await store.change_contribution(ctx.conn, row.id, status="hidden", hidden_reason=reason, hidden_by=actor,
                                        pinned=False)
        author = await people.by_id(ctx.conn, row.member_id)
        if author.reachable and author.telegram_user_id is not None:
            t = translator(author.language)
            await ctx.send(author.telegram_user_id, t(
                "Your contribution #{number} on «{title}» was hidden by the committee. Reason: {reason}",
                number=row.number, title=topic.title, reason=reason))
    else:
        await store.unpin_all(ctx.conn, topic.id)
        await store.change_contribution(ctx.conn, row.id, pinned=True)
    await audit.record(ctx.conn, actor, f"deliberation.{action}",
                       {"contribution": row.id, "deliberation": topic.id, **({"reason": reason} if reason else {})},
                       ctx.now)
    await mirror.refresh(ctx, topic, row.id, await committee_people(ctx.conn, topic))
    return await store.contribution(ctx.conn, row.id)


async def room_key(conn, topic_id: int, now, *, hours: int, actor: str = "cli") -> str:
    """A one-time key for the topic's own forum topic or group (``/bind KEY`` there)."""
    topic = await topic_or_fail(conn, topic_id)
    return await keys.make_bind_key(conn, room_name(topic.id), "room", now, hours=hours,
                                    title_zh=f"网络议政·{topic.title}"[:64],
                                    title_en=f"Deliberation · {topic.title}"[:64], actor=actor)
