"""Inspections (视察): a study-calendar session of kind ``inspection`` linked to oversight items.
The study calendar announces it (cards with sign-up and capacity, a waiting list, reminders,
the check-in code); this module links it to its items and, when it ends, asks the participants
for their findings (timer ``oversight:inspection:{session}:findings``)."""

from __future__ import annotations

from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.oversight.common import CLOSED, FIND, OversightError, item_or_fail, may_run
from handlers.study import sessions
from storage import audit, outbox
from storage import oversight as store
from storage import study as study_store


async def _items(ctx: Ctx, item_ids, by) -> list:
    found = []
    for item_id in item_ids:
        item = await item_or_fail(ctx.conn, int(item_id))
        if by is not None and not may_run(by, item):
            raise OversightError("only an office admin or the item's committee staff may do this")
        if item.status == CLOSED:
            raise OversightError("oversight item #{id} is closed", id=item.id)
        found.append(item)
    if not found:
        raise OversightError("an inspection is linked to at least one oversight item")
    return found


async def _after_link(ctx: Ctx, session, items, actor: str) -> None:
    for item in items:
        await store.link(ctx.conn, item.id, session.id, ctx.now)
    await audit.record(ctx.conn, actor, "oversight.inspection",
                       {"session": session.id, "items": [i.id for i in items]}, ctx.now)
    await _ask_at_end(ctx, session)


async def _ask_at_end(ctx: Ctx, session) -> None:
    """The findings' prompt at the session's end (keyed by the end: a moved session gets a new one)."""
    await ctx.schedule(f"oversight:inspection:{session.id}:findings:{int(session.ends_at.timestamp())}",
                       "oversight.findings", session.ends_at, payload={"session": session.id})


async def create_inspection(ctx: Ctx, item_ids, *, title: str, start, end, place=None, link=None, audience_spec="all",
                            capacity=None, reminders=None, by=None, actor: str = "cli"):
    """A new inspection session on the study calendar, linked to the items and announced."""
    items = await _items(ctx, item_ids, by)
    actor = f"member:{by.id}" if by is not None else actor
    session = await sessions.add_session(ctx, title=title, kind="inspection", start=start, end=end, place=place,
                                         link=link, audience_spec=audience_spec, capacity=capacity,
                                         reminders=reminders, draft=True, actor=actor)
    await _after_link(ctx, session, items, actor)
    await sessions.announce(ctx, session.id, actor=actor)
    return await study_store.session(ctx.conn, session.id)


async def link_session(ctx: Ctx, item_ids, session_id: int, *, by=None, actor: str = "cli"):
    """Link an existing study-calendar session (a visit already planned) to items."""
    items = await _items(ctx, item_ids, by)
    session = await study_store.session(ctx.conn, session_id)
    if session is None or session.status == "cancelled":
        raise OversightError("there is no session #{session_id} to link (see: linkage study list)",
                             session_id=session_id)
    await _after_link(ctx, session, items, f"member:{by.id}" if by is not None else actor)
    return session


def finding_buttons(t, items, session_id: int):
    return [[(t.plain("📝 Finding: {subject}", subject=item.subject[:40]), FIND.pack(item.id, session_id))]
            for item in items if item.status != CLOSED]


async def findings_job(ctx: Ctx, timer) -> None:
    """The inspection is over: each participant is asked for findings, a button per item."""
    session = await study_store.session(ctx.conn, timer.payload["session"])
    if session is None or session.status == "cancelled":
        return
    if session.ends_at > ctx.now:  # moved later on the calendar: ask at its new end
        await _ask_at_end(ctx, session)
        return
    items = await store.items_of_session(ctx.conn, session.id)
    for r in await study_store.rsvps(ctx.conn, session.id):
        if r.status != "attending" and r.checked_in_at is None:
            continue
        if not r.active or not r.reachable or r.telegram_user_id is None:
            continue
        t = translator(r.language)
        buttons = finding_buttons(t, items, session.id)
        if not buttons:
            continue
        await ctx.send(r.telegram_user_id, t(
            "🔎 Thank you for taking part in the inspection «{title}». What did you find? Your findings are attached "
            "to the oversight items.", title=session.title), buttons=buttons, priority=outbox.BULK,
            key=f"oversight:inspection:{session.id}:ask:{r.member_id}")
