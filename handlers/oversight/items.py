"""An oversight item's life, for the command line and the chat alike: open (from a report, a
consultation statement or on its own), send to the department (its working-day clock starts),
record the department's reply (the raisers get a card to rate it), reopen (a 不满意 rating: a new
round with a new deadline), close. Every change of status goes through ``move``, which records the
step (who, when, why) — the one place statuses change.

Timers: ``oversight:{id}:due:{round}:{n}`` — the n-th overdue nudge to the office (and the
committee's staff) of that round: at the deadline, then a working day later, then one more. A
nudge whose round was answered meanwhile does nothing; the timers of a round are cancelled when
the department replies or the item closes."""

from __future__ import annotations

import logging
import shutil
from datetime import datetime
from pathlib import Path

from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.core.localtime import shown
from handlers.core.errors import Term
from handlers.oversight.common import (AWAITING_REPLY, CLOSED, DEFAULT_DUE_DAYS, MAX_DUE_DAYS, MOVES, OPENED,
                                       PROMISE_LIMIT, RATE, RATINGS, REASON_LIMIT, REOPENED, REPLIED, REPLY_LIMIT,
                                       SENT, STATUS, SUBJECT_LIMIT, OversightError, department_name, esc, item_or_fail,
                                       may_open, may_run)
from handlers.reports.deadlines import add_working_days, end_of_day
from storage import audit, cosign, outbox, people, reference, timers
from storage import calendar as calendar_store
from storage import consultation as consultation_store
from storage import departments as department_store
from storage import items as report_store
from storage import oversight as store
from storage import targets as target_store

log = logging.getLogger("linkage.oversight")
NUDGES = 3


def _actor(by, actor: str) -> str:
    return f"member:{by.id}" if by is not None else actor


def _check_runs(by, item) -> None:
    if by is not None and not may_run(by, item):
        raise OversightError("only an office admin or the item's committee staff may do this")


async def move(ctx: Ctx, item, status: str, actor: str, reason: str = "", **values):
    """The item's next status (checked against MOVES), its step recorded; returns the item as it is now."""
    if status not in MOVES[item.status]:
        raise OversightError("oversight item #{id} is {status}: it cannot become {wanted}",
                             id=item.id, status=Term(STATUS[item.status]), wanted=Term(STATUS[status]))
    await store.change(ctx.conn, item.id, status=status, updated_at=ctx.now, **values)
    await store.add_step(ctx.conn, item.id, item.status, status, actor, reason, ctx.now)
    await audit.record(ctx.conn, actor, f"oversight.{status}", {"item": item.id}, ctx.now)
    return await store.by_id(ctx.conn, item.id)


def _due_days(value) -> int:
    days = DEFAULT_DUE_DAYS if value in (None, "") else int(value)
    if not 1 <= days <= MAX_DUE_DAYS:
        raise OversightError("the department's time to reply is 1 to {max_due_days} working days, not {days}",
                             max_due_days=MAX_DUE_DAYS, days=days)
    return days


async def _raisers(ctx: Ctx, source_kind: str, source, raised_by) -> list[int]:
    if source_kind == "report":
        signed = [row.member_id for row in await cosign.of_item(ctx.conn, source.id) if row.status == "signed"]
        return [source.author_id, *[m for m in signed if m != source.author_id]]
    if source_kind == "statement":
        return [source.member_id]
    found = []
    for ref in raised_by or ():
        member = await people.find(ctx.conn, ref.strip())
        if member is None:
            raise OversightError("there is no member {ref!r} on the roster", ref=ref)
        if member.id not in found:
            found.append(member.id)
    return found


async def open_item(ctx: Ctx, *, subject: str, department: str, promise: str, report: str | None = None,
                    statement: int | None = None, committee: str | None = None, raised_by=(), due_days=None,
                    by=None, actor: str = "cli"):
    """A new item (status opened); ``report``: a report's code, ``statement``: a consultation
    statement's id; ``raised_by``: roster numbers of the members who rate (an item of its own)."""
    subject = " ".join((subject or "").split())
    promise = (promise or "").strip()
    if not subject or len(subject) > SUBJECT_LIMIT:
        raise OversightError("a subject is needed (at most {subject_limit} characters)",
                             subject_limit=SUBJECT_LIMIT)
    if not promise or len(promise) > PROMISE_LIMIT:
        raise OversightError("say what was promised (--promise, at most {promise_limit} characters)",
                             promise_limit=PROMISE_LIMIT)
    if report and statement:
        raise OversightError("an item comes from one report or one statement, not both")
    if committee and committee not in {row.code for row in await reference.rows_of(ctx.conn, "committee")}:
        raise OversightError("there is no committee {committee!r}", committee=committee)
    if by is not None and not may_open(by, committee):
        raise OversightError("only an office admin or that committee's staff may open an oversight item")
    dept = await department_store.by_code(ctx.conn, (department or "").strip())
    if dept is None or not dept.active:
        raise OversightError("there is no active department {department!r} (see: linkage department list)",
                             department=department)
    source_kind, source = "own", None
    if report:
        source_kind, source = "report", await report_store.by_code(ctx.conn, report.strip().upper())
        if source is None:
            raise OversightError("there is no report {report!r}", report=report)
    elif statement:
        source_kind, source = "statement", await consultation_store.statement(ctx.conn, int(statement))
        if source is None:
            raise OversightError("there is no consultation statement #{statement}", statement=statement)
    raisers = await _raisers(ctx, source_kind, source, raised_by)
    actor = _actor(by, actor)
    item_id = await store.create(ctx.conn, subject=subject, department_id=dept.id, promise=promise,
                                 source_kind=source_kind, source_id=source.id if source is not None else None,
                                 committee_code=committee or None, raisers=raisers, status=OPENED, round=1,
                                 due_days=_due_days(due_days), opened_by=actor, created_at=ctx.now,
                                 updated_at=ctx.now)
    await store.add_step(ctx.conn, item_id, None, OPENED, actor, "", ctx.now)
    await audit.record(ctx.conn, actor, "oversight.open", {"item": item_id, "source": source_kind}, ctx.now)
    item = await store.with_department(ctx.conn, item_id)
    await _tell_raisers(ctx, item, lambda t: t(
        "🔎 <b>Oversight (民主监督)</b>: «{subject}» is now followed up with {department} (item #{id}). You will be "
        "asked to rate the department's reply.", subject=item.subject, department=department_name(item, t.lang),
        id=item.id))
    return item


async def _arm(ctx: Ctx, item, round_: int, due_at: datetime, n: int = 1) -> None:
    await ctx.schedule(f"oversight:{item.id}:due:{round_}:{n}", "oversight.overdue", due_at,
                       payload={"item": item.id, "round": round_, "n": n})


async def send_item(ctx: Ctx, item_id: int, *, due_days=None, reason: str = "", by=None, actor: str = "cli"):
    """The office sent the item to its department: the working-day clock starts."""
    item = await item_or_fail(ctx.conn, item_id, lock=True)
    _check_runs(by, item)
    days = _due_days(due_days if due_days is not None else item.due_days)
    due_at = add_working_days(ctx.now, days, await calendar_store.load(ctx.conn), end_of_day(ctx.config))
    item = await move(ctx, item, SENT, _actor(by, actor), reason or "", due_days=days, due_at=due_at)
    await _arm(ctx, item, item.round, due_at)
    return item


def files_dir(ctx: Ctx) -> Path:
    folder = Path(ctx.config.charts_dir).parent / "oversight"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def record_reply(ctx: Ctx, item_id: int, *, text: str, file: str | Path | None = None, by=None,
                       actor: str = "cli"):
    """The department's reply as the office records it; each raiser gets a card to rate it."""
    text = (text or "").strip()
    if not text or len(text) > REPLY_LIMIT:
        raise OversightError("the reply needs its text (--text, at most {reply_limit} characters)",
                             reply_limit=REPLY_LIMIT)
    item = await item_or_fail(ctx.conn, item_id, lock=True)
    _check_runs(by, item)
    if item.status not in AWAITING_REPLY:
        raise OversightError("oversight item #{id} is {status}: send it to the department first",
                             id=item.id, status=Term(STATUS[item.status]))
    kept = None
    if file is not None:
        source = Path(file)
        if not source.is_file():
            raise OversightError("there is no file {file!r}", file=str(file))
        kept = files_dir(ctx) / f"oversight-{item.id}-{item.round}-{source.name}"
        shutil.copyfile(source, kept)
    actor = _actor(by, actor)
    await store.add_reply(ctx.conn, item_id=item.id, round=item.round, text=text,
                          file_name=source.name if kept else None, file_path=str(kept) if kept else None,
                          recorded_by=actor, at=ctx.now)
    await timers.cancel(ctx.conn, f"oversight:{item.id}:due:{item.round}:", ctx.now)
    item = await move(ctx, item, REPLIED, actor)
    item = await store.with_department(ctx.conn, item.id)
    for member in await _reachable_raisers(ctx, item):
        t = translator(member.language)
        text_, buttons = rating_card(t, item, text)
        await ctx.send(member.telegram_user_id, text_, buttons=buttons, key=f"oversight:{item.id}:card:{item.round}:"
                                                                            f"{member.id}", priority=outbox.BULK)
        if kept:
            await ctx.call("sendDocument", {"chat_id": member.telegram_user_id, "document": {"$file": str(kept)}},
                           chat_id=member.telegram_user_id, priority=outbox.BULK,
                           key=f"oversight:{item.id}:file:{item.round}:{member.id}")
    return item


def rating_card(t, item, reply_text: str):
    lines = [t("🔎 <b>Oversight (民主监督)</b> · item #{id}", id=item.id), f"<b>{esc(item.subject)}</b>",
             t("Responsible department (承办单位): {department}", department=department_name(item, t.lang)),
             t("What was promised: {promise}", promise=item.promise), "",
             t("<b>The department's reply</b> (round {round}):", round=item.round), esc(reply_text), "",
             t("How satisfied are you with this reply? You will be asked for a reason.")]
    buttons = [[(t.plain(RATINGS[rating]), RATE.pack(item.id, item.round, code))
                for code, rating in (("s", "satisfied"), ("b", "basically"), ("u", "unsatisfied"))]]
    return "\n".join(lines), buttons


async def reopen(ctx: Ctx, item, actor: str, reason: str):
    """Members were not satisfied: a new round, a new deadline for the department."""
    due_at = add_working_days(ctx.now, item.due_days, await calendar_store.load(ctx.conn), end_of_day(ctx.config))
    item = await move(ctx, item, REOPENED, actor, reason, round=item.round + 1, due_at=due_at)
    await _arm(ctx, item, item.round, due_at)
    await _tell_office(ctx, item, lambda t, row: t(
        "🔁 Oversight item #{id} «{subject}» is reopened: a member is not satisfied with {department}'s reply. "
        "Reason: {reason}. New deadline: {due}.", id=row.id, subject=row.subject,
        department=department_name(row, t.lang), reason=reason, due=shown(row.due_at)))
    return item


async def close_item(ctx: Ctx, item_id: int, *, reason: str = "", by=None, actor: str = "cli"):
    item = await item_or_fail(ctx.conn, item_id, lock=True)
    _check_runs(by, item)
    reason = (reason or "").strip()
    if item.status != "rated" and not reason:
        raise OversightError("oversight item #{id} is {status}, not rated: closing it needs --reason",
                             id=item.id, status=Term(STATUS[item.status]))
    if len(reason) > REASON_LIMIT:
        raise OversightError("the reason has at most {reason_limit} characters", reason_limit=REASON_LIMIT)
    item = await move(ctx, item, CLOSED, _actor(by, actor), reason, closed_at=ctx.now)
    await timers.cancel(ctx.conn, f"oversight:{item.id}:", ctx.now)
    item = await store.with_department(ctx.conn, item.id)
    await _tell_raisers(ctx, item, lambda t: t("✅ Oversight item #{id} «{subject}» is closed.", id=item.id,
                                               subject=item.subject))
    return item


async def _reachable_raisers(ctx: Ctx, item) -> list:
    found = []
    for member_id in item.raisers:
        member = await people.by_id(ctx.conn, member_id)
        if member is not None and member.active and member.reachable and member.telegram_user_id is not None:
            found.append(member)
    return found


async def _tell_raisers(ctx: Ctx, item, text_of) -> None:
    for member in await _reachable_raisers(ctx, item):
        await ctx.send(member.telegram_user_id, text_of(translator(member.language)), priority=outbox.BULK)


async def _tell_office(ctx: Ctx, item, text_of) -> None:
    """The office's bound chat (else its admins privately), and the item's committee staff."""
    row = await store.with_department(ctx.conn, item.id)
    office = await target_store.office(ctx.conn)
    if office is not None and office.chat_id is not None:
        await ctx.send(office.chat_id, text_of(translator(ctx.config.group_language), row), thread_id=office.thread_id,
                       is_group=office.kind != "person", priority=outbox.BULK)
        recipients = []
    else:
        recipients = list(await people.admins(ctx.conn))
    if item.committee_code:
        recipients += [m for m in await consultation_store.committee_staff(ctx.conn, item.committee_code)
                       if all(m.id != r.id for r in recipients)]
    for member in recipients:
        if member.reachable:
            await ctx.send(member.telegram_user_id, text_of(translator(member.language), row), priority=outbox.BULK)


async def overdue_job(ctx: Ctx, timer) -> None:
    """The department has not replied by the deadline: nudge the office, again a working day later."""
    p = timer.payload
    item = await store.by_id(ctx.conn, p["item"])
    if item is None or item.status not in AWAITING_REPLY or item.round != p["round"]:
        log.info("oversight nudge dropped: the item moved on", extra={"timer": timer.key})
        return
    await _tell_office(ctx, item, lambda t, row: t(
        "⏰ Oversight item #{id} «{subject}»: {department} has not replied; the deadline was {due}.", id=row.id,
        subject=row.subject, department=department_name(row, t.lang), due=shown(row.due_at)))
    if p["n"] < NUDGES:
        later = add_working_days(ctx.now, 1, await calendar_store.load(ctx.conn), end_of_day(ctx.config))
        await _arm(ctx, item, item.round, later, p["n"] + 1)

