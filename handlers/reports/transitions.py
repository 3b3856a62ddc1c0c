"""The one way an item changes: ``move`` checks the move is allowed (``storage.items.MOVES``),
writes the item and its event, puts the cards right and tells the features that listen
(``Feature.on_item_moved``: deadlines re-arm their clocks)."""

from __future__ import annotations

from handlers.core.context import Ctx
from handlers.reports import lifecycle
from storage import items as item_store
from storage import people

async def move(ctx: Ctx, item, to_status: str | None, event_kind: str, *, actor_id: int | None,
               target_id: int | None = None, to_targets: list | None = None, watchers: list = (),
               reason: str | None = None, body: str | None = None, keep_watching: int | None = None,
               **changes) -> None:
    """Move the item (the row as read in this transaction) to ``to_status`` — None: it keeps its
    state, as an edit does, and the event names no states — changing ``changes`` with it.

    With ``to_targets`` the item also leaves where it is handled for those targets (routing,
    forward, escalate, take-up, delegate): a card and an event at each — a target watching the
    item turns its watch card into a handling one — and the cards it left say where it went.
    ``watchers`` get a watch card (知悉) each; ``keep_watching`` (a target id) turns that target's
    handling card into one (the city group that delegates). Watch cards stay as the item moves,
    updated."""
    if to_status is not None and not item_store.may_move(item.status, to_status):
        raise ValueError(f"item {item.code} cannot move from {item.status} to {to_status}")
    states = {} if to_status is None else {"status_from": item.status, "status_to": to_status}
    event = dict(actor_id=actor_id, target_id=target_id, reason=reason, body=body, **states)
    if to_targets is not None:
        left = {card.id for card in await item_store.placements(ctx.conn, item.id)}
        await item_store.leave(ctx.conn, item.id, role=item_store.HANDLE)
        if keep_watching is not None:
            await item_store.watch_here(ctx.conn, item.id, keep_watching)
    await item_store.change(ctx.conn, item.id, ctx.now, **({} if to_status is None else {"status": to_status}),
                            **changes)
    if to_targets is None:
        await item_store.add_event(ctx.conn, item.id, event_kind, ctx.now, **event)
        await lifecycle.refresh_cards(ctx, item.id)
    else:
        new_cards = set()
        for target in to_targets:
            watching = await item_store.placement(ctx.conn, item.id, target.id)
            if watching is not None:  # its card is edited in place below, with claim and the rest
                await item_store.handle_here(ctx.conn, watching.id)
            else:
                await lifecycle.deliver(ctx, item.id, target)
                new_cards.add(target.id)
            await item_store.add_event(ctx.conn, item.id, event_kind, ctx.now, to_target_id=target.id, **event)
        if keep_watching is not None:
            await item_store.add_event(ctx.conn, item.id, "watched", ctx.now, to_target_id=keep_watching)
        for target in watchers:
            await lifecycle.deliver(ctx, item.id, target, item_store.WATCH)
            new_cards.add(target.id)
            await item_store.add_event(ctx.conn, item.id, "watched", ctx.now, to_target_id=target.id)
        await lifecycle.refresh_cards(ctx, item.id, [  # the cards it left, and those still watching
            card for card in await item_store.placements(ctx.conn, item.id, active_only=False, role=None)
            if card.id in left or card.active and card.target_id not in new_cards])
    for listener in ctx.features.on_item_moved:
        await listener(ctx, item.id)


async def route_item(ctx: Ctx, item_id: int) -> lifecycle.RouteTrace:
    """Send a newly submitted item where the rules say; returns the walk (no targets: it waits as
    submitted for the city office)."""
    item = await item_store.by_id(ctx.conn, item_id)
    author = await people.by_id(ctx.conn, item.author_id)
    trace = await lifecycle.resolve_route(ctx.conn, area=item.area, topic=item.topic_code,
                                          district=item.district_code, street=item.street_code,
                                          sector=author.sector_code,
                                          tags=tuple(t.code for t in await item_store.tags_of(ctx.conn, item_id)))
    if trace.targets:
        await move(ctx, item, "routed", "routed", actor_id=None, to_targets=trace.targets,
                   watchers=trace.watchers, reason="fallback" if trace.fallback else None)
    return trace
