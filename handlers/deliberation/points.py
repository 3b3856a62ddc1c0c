"""The deliberation's point sources (handlers/core/points.py). A view (意见: a contribution to the
topic or to one of its questions, not a reply 跟帖) earns ``deliberation.contribution`` when it is
written, under a monthly cap (quality over volume); a view the committee pins (📌) earns
``deliberation.pinned`` once, at the pin (moving the pin on later takes nothing back). A view the
committee hides gives both back, at the hiding; a view its author withdraws (within its 15
minutes) gives back ``deliberation.contribution``, dated when it was written (a pin the committee
gave in those minutes stays: the pin's moment is later, so a recompute would not see it undone).
Replies earn nothing."""

from __future__ import annotations

from handlers.core.points import PointEvent
from storage import civic_points

CONTRIBUTION, PINNED = "deliberation.contribution", "deliberation.pinned"
KIND = "contribution"


def reason(row) -> str:
    """A view as the ledger names it: its number and its topic's title (never its text)."""
    return f"#{row.number} {row.title}"[:120]


async def events(conn, since, until) -> list[PointEvent]:
    found = [PointEvent(row.member_id, CONTRIBUTION, KIND, str(row.id), row.created_at, reason(row))
             for row in await civic_points.views_written(conn, since, until)]
    found += [PointEvent(row.member_id, CONTRIBUTION, KIND, str(row.id), row.created_at, reason(row), gives_back=True)
              for row in await civic_points.views_written(conn, since, until, status="withdrawn")]
    for row, at in await civic_points.views_moderated(conn, "deliberation.pin", since, until):
        found.append(PointEvent(row.member_id, PINNED, KIND, str(row.id), at, reason(row)))
    for row, at in await civic_points.views_moderated(conn, "deliberation.hide", since, until):
        found += [PointEvent(row.member_id, rule, KIND, str(row.id), at, reason(row), gives_back=True)
                  for rule in (CONTRIBUTION, PINNED)]
    return found
