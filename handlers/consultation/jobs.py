"""The ``consult.remind`` timer, 48 h and 2 h before a meeting: to each member who said they come,
with their venue, its place and link (or the online link), one message per member and reminder
(keyed ``consult:{id}:remind:{minutes}:{member}``)."""

from __future__ import annotations

import logging

from handlers.consultation.cards import reachable, venue_line
from handlers.core.context import Ctx
from handlers.core.i18n import Html, translator
from handlers.core.localtime import shown
from storage import consultation as store
from storage import outbox

log = logging.getLogger("linkage.consultation")


async def remind(ctx: Ctx, timer) -> None:
    m = await store.meeting(ctx.conn, timer.payload["meeting"])
    if m is None or m.status != "announced":
        return
    venues = await store.venues(ctx.conn, m.id)
    main = venues[0] if venues else None
    minutes = timer.payload["minutes"]
    sent = 0
    for r in await store.rsvps(ctx.conn, m.id):
        if r.answer not in ("venue", "online") or not reachable(r):
            continue
        t = translator(r.language)
        lines = [t("⏰ Reminder: <b>{title}</b> starts at {time}.", title=m.title, time=shown(m.starts_at))]
        venue = next((v for v in venues if v.id == r.venue_id), None) if r.answer == "venue" else None
        if venue is not None:
            lines.append(t("Your venue: {venue}", venue=Html(venue_line(t, venue))))
        elif main is not None and main.link:
            lines.append(t("You take part online: {link}", link=main.link))
        else:
            lines.append(t("You take part online; the organisers will send the link."))
        await ctx.send(r.telegram_user_id, "\n".join(lines), key=f"consult:{m.id}:remind:{minutes}:{r.member_id}",
                       priority=outbox.BULK)
        sent += 1
    log.info("consultation reminder sent", extra={"consultation": m.id, "minutes": minutes, "recipients": sent})
