"""The reports' point sources (handlers/core/points.py): a report that reached a liaison earns
its author ``report.submit`` — given back when it is withdrawn or merged into another — each
co-signer who accepted ``report.cosign``, the author ``report.adopted`` and
``report.instructed`` (批示) at the first such step of its outcome chain."""

from __future__ import annotations

from handlers.core.points import PointEvent
from storage import point_events

SUBMIT, COSIGN, ADOPTED, INSTRUCTED = "report.submit", "report.cosign", "report.adopted", "report.instructed"


def reason(row) -> str:
    """A report as the ledger names it: its code and title (never its text)."""
    return f"{row.code} {row.title}"[:120] if row.title else row.code


async def events(conn, since, until) -> list[PointEvent]:
    found = [PointEvent(row.author_id, SUBMIT, "item", str(row.id), row.at, reason(row))
             for row in await point_events.reached_liaison(conn, since, until)]
    found += [PointEvent(row.author_id, SUBMIT, "item", str(row.id), row.at, reason(row), gives_back=True)
              for row in await point_events.left_the_record(conn, since, until)]
    found += [PointEvent(row.member_id, COSIGN, "item", str(row.id), row.at, reason(row))
              for row in await point_events.cosigned(conn, since, until)]
    for rule_key, kind in ((ADOPTED, "adopted"), (INSTRUCTED, "instructed")):
        found += [PointEvent(row.author_id, rule_key, "item", str(row.id), row.at, reason(row))
                  for row in await point_events.first_outcomes(conn, kind, since, until)]
    return found
