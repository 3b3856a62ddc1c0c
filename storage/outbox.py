"""The outbox: every Bot API call the bot makes is a row, written in the same transaction
as the change that caused it, and drained by the one sender (``bot/sender.py``).

A row may carry a ``key`` so that later rows can point at the message it produced:
``{"$ref": key}`` anywhere in ``params`` is replaced by that message's id at send time
(editing a card in place, replying to a card).

A row may also be a *draft* (status 'draft'; ``params`` say which feature writes it and what it
needs, ``{"draft": name, ...}``): a message decided now and written just before it is sent
(``handlers/core/drafts.py``), so a digest to 100,000 members costs one small row each when it
fires and its texts are rendered at the sender's pace.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.dialect import built_once, first_of
from storage.schema import outbox

INTERACTIVE, BULK = 0, 1
DRAFT = "draft"
UNSENT = (DRAFT, "pending", "sending")  # the rows whose message has not yet reached Telegram
COUNTED = ("send", "copyMessage", "forwardMessage", "edit")  # method prefixes Telegram counts as messages


def row(*, method: str, params: dict, now: datetime, chat_id: int | None = None, is_group: bool = False,
        key: str | None = None, priority: int = INTERACTIVE, not_before: datetime | None = None,
        status: str = "pending") -> dict:
    """One call as an outbox row, for ``enqueue_many``."""
    return {"key": key, "method": method, "params": params, "chat_id": chat_id, "is_group": is_group,
            "priority": priority, "status": status, "attempts": 0, "not_before": not_before or now,
            "created_at": now}


async def enqueue(conn: AsyncConnection, **call: Any) -> None:
    """Queue one call (``row``'s arguments); a row whose ``key`` already exists is left as it is
    (once per key)."""
    await enqueue_many(conn, [row(**call)])


ENQUEUE = built_once(lambda insert: insert(outbox).on_conflict_do_nothing())  # a row whose key exists: skipped


async def enqueue_many(conn: AsyncConnection, rows: list[dict]) -> None:
    """Queue several rows in one statement (each skipped if its key exists)."""
    if rows:
        await conn.execute(ENQUEUE(conn), rows)


DECIDED_BY = ("id", "key", "method", "chat_id", "is_group", "priority", "attempts")


def _due_query(claim: bool):
    """Built once per kind (see ``due``): constructing it and its cache key cost more than running it.

    A row is its chat's head when no earlier row of that chat is unfinished (and due, retried or
    being sent): a look along (chat_id, id) per candidate, candidates walked in (priority, id)
    order until ``limit`` are found, so 100,000 queued digest rows cost a look no more than 10."""
    now = bindparam("now", type_=outbox.c.not_before.type)
    earlier = outbox.alias("earlier")
    blocked = (select(earlier.c.id)
               .where(earlier.c.chat_id == outbox.c.chat_id, earlier.c.id < outbox.c.id,
                      earlier.c.status.in_(("pending", "sending")),
                      or_(earlier.c.not_before <= now, earlier.c.error.is_not(None), earlier.c.status == "sending"))
               .exists())
    later = outbox.alias("later")  # another row waits behind this one: once it is sent, look again
    followed = (select(later.c.id).where(later.c.chat_id == outbox.c.chat_id, later.c.id > outbox.c.id,
                                         later.c.status == "pending").exists().label("followed"))
    # what the sender decides by, not the params (read for the rows it starts: ``params_of``)
    query = (select(*(outbox.c[name] for name in DECIDED_BY), followed).where(
             outbox.c.status == "pending", outbox.c.not_before <= now,
                                  or_(outbox.c.chat_id.is_(None), ~blocked))
             .order_by(outbox.c.priority, outbox.c.id).limit(bindparam("limit")))
    return query.with_for_update(skip_locked=True, of=outbox) if claim else query


DUE = {claim: _due_query(claim) for claim in (False, True)}


async def due(conn: AsyncConnection, now: datetime, limit: int, *, claim: bool = False) -> list:
    """The rows that may go now, interactive before bulk, oldest first: of each chat only its
    earliest unfinished row (and none while that one is being sent or waits for a retry), so a
    chat's messages never overtake each other and a chat with a thousand rows takes one place in
    the batch, not a thousand. Rows addressed to no chat (button answers) are all due. A row that
    never failed and whose time has not come (a reminder held until quiet hours end) does not
    hold up the chat's later rows: an answer to the member goes past it.

    ``claim``: lock the rows for this transaction, passing over rows another transaction holds
    (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has no row locks and one writer at a time).
    Each row has the columns of ``DECIDED_BY`` and ``followed``: whether a later row of its chat
    is waiting behind it; the params (a whole message, decoded from JSON) are read only for the rows
    the sender starts (``params_of``)."""
    return list(await conn.execute(DUE[claim], {"now": now, "limit": limit}))


PARAMS_OF = select(outbox.c.id, outbox.c.params).where(outbox.c.id.in_(bindparam("ids", expanding=True)))


async def params_of(conn: AsyncConnection, row_ids: list[int]) -> dict[int, dict]:
    return {row_id: params for row_id, params in await conn.execute(PARAMS_OF, {"ids": row_ids})}


async def drafts(conn: AsyncConnection, now: datetime, limit: int, *, claim: bool = False) -> list:
    """The next drafts due to be written, in the order they go; ``claim``: locked for this
    transaction (another sender passes over them: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL)."""
    query = (select(outbox).where(outbox.c.status == DRAFT, outbox.c.not_before <= now)
             .order_by(outbox.c.priority, outbox.c.id).limit(limit))
    return list(await conn.execute(query.with_for_update(skip_locked=True) if claim else query))


async def fill_drafts(conn: AsyncConnection, written: list[tuple[Any, list[dict] | None]], now: datetime) -> None:
    """Drafts written: (the draft's row, its messages as ``row`` dicts). The draft's row becomes the
    first message (keeping its key and its place in its chat's order), later parts are queued after
    it; a draft with no message (nothing to say by now) is 'cancelled', one that could not be
    written (None) 'failed'."""
    for status, error, unwritten in (("cancelled", "nothing to send", []), ("failed", "could not be written", None)):
        ids = [draft.id for draft, messages in written if messages == unwritten]
        if ids:
            await conn.execute(update(outbox).where(outbox.c.id.in_(ids))
                               .values(status=status, error=error, sent_at=now))
    filled = [(draft, messages) for draft, messages in written if messages]
    if filled:
        await conn.execute(update(outbox).where(outbox.c.id == bindparam("row_id")).values(
            status="pending", method=bindparam("m"), params=bindparam("p"), chat_id=bindparam("c"),
            not_before=bindparam("at")),
            [{"row_id": draft.id, "m": first["method"], "p": first["params"], "c": first["chat_id"],
              "at": first["not_before"]}
             for draft, (first, *_) in filled])
        await enqueue_many(conn, [part for _, (_, *later) in filled for part in later])


async def message_ids_for(conn: AsyncConnection, keys: set[str]) -> dict[str, tuple[str, int | None]]:
    rows = await conn.execute(select(outbox.c.key, outbox.c.status, outbox.c.message_id)
                              .where(outbox.c.key.in_(keys)))
    return {key: (status, message_id) for key, status, message_id in rows}


# built once: each batch of sends makes both
MARK_SENDING = (update(outbox).where(outbox.c.id.in_(bindparam("ids", expanding=True)))
                .values(status="sending", attempts=outbox.c.attempts + 1))
MARK_SENT = (update(outbox).where(outbox.c.id == bindparam("row_id"))
             .values(status="sent", message_id=bindparam("mid"), sent_at=bindparam("at"), error=None))


async def mark_sending(conn: AsyncConnection, row_ids: list[int]) -> None:
    await conn.execute(MARK_SENDING, {"ids": row_ids})


async def mark_sent(conn: AsyncConnection, sent: list[tuple[int, int | None]], now: datetime) -> None:
    """Rows delivered: (row id, Telegram message id or None)."""
    await conn.execute(MARK_SENT, [{"row_id": row_id, "mid": message_id, "at": now} for row_id, message_id in sent])


async def mark_final(conn: AsyncConnection, row_id: int, status: str, error: str, now: datetime) -> None:
    """``failed`` (400: will never succeed) or ``blocked`` (403: the recipient is gone)."""
    await conn.execute(update(outbox).where(outbox.c.id == row_id)
                       .values(status=status, error=error[:1000], sent_at=now))


async def cancel_pending(conn: AsyncConnection, keys: set[str], reason: str, now: datetime) -> set[str]:
    """Rows of ``keys`` not yet taken by the sender never go ('cancelled'); returns their keys
    (a row already 'sending' cannot be called back)."""
    if not keys:
        return set()
    rows = await conn.execute(update(outbox).where(outbox.c.key.in_(keys), outbox.c.status.in_((DRAFT, "pending")))
                              .values(status="cancelled", error=reason, sent_at=now).returning(outbox.c.key))
    return {key for (key,) in rows}


async def retry_later(conn: AsyncConnection, row_id: int, at: datetime, error: str,
                      count_attempt: bool = True) -> None:
    values: dict[str, Any] = {"status": "pending", "not_before": at, "error": error[:1000]}
    if not count_attempt:  # a 429 is Telegram's pacing, not the row's fault
        values["attempts"] = outbox.c.attempts - 1
    await conn.execute(update(outbox).where(outbox.c.id == row_id).values(**values))


async def recent_sends(conn: AsyncConnection, since: datetime) -> list:
    """What reached Telegram (or may have) since ``since``: (chat_id, is_group, sent_at) of the
    rows sent since then, and of the rows still 'sending' with sent_at None (a dead sender's
    messages in flight), so a new sender counts them in Telegram's windows."""
    counted = or_(*(outbox.c.method.startswith(prefix) for prefix in COUNTED))
    rows = await conn.execute(select(outbox.c.chat_id, outbox.c.is_group, outbox.c.status, outbox.c.sent_at)
                              .where(outbox.c.chat_id.is_not(None), counted,
                                     or_(outbox.c.status == "sending",
                                         (outbox.c.sent_at >= since) & (outbox.c.status == "sent"))))
    return [(chat_id, is_group, None if status == "sending" else sent_at) for chat_id, is_group, status, sent_at in rows]


async def requeue_interrupted(conn: AsyncConnection, now: datetime) -> int:
    """Rows left 'sending' by a crash may or may not have reached Telegram: send them again
    (a rare duplicate beats a loss). Returns how many."""
    result = await conn.execute(update(outbox).where(outbox.c.status == "sending")
                                .values(status="pending", not_before=now))
    return result.rowcount or 0


async def counts(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
    return dict(rows.all())


def backoff(attempts: int, now: datetime) -> datetime:
    return now + timedelta(seconds=min(300, 2 ** max(0, attempts - 1)))


async def blank_finished(conn: AsyncConnection, before: datetime, limit: int) -> int:
    """Empty the params (the texts, an uploaded file) of at most ``limit`` rows finished before
    ``before``; the key and message id stay, so an old card can still be edited in place."""
    result = await conn.execute(update(outbox).where(first_of(
        outbox.c.id, limit, outbox.c.blanked.is_(False), outbox.c.created_at < before,
        outbox.c.status.notin_(UNSENT))).values(params={}, blanked=True))
    return result.rowcount
