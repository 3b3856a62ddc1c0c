"""The consultation's point sources (handlers/core/points.py): ``consultation.attended`` for a
check-in at a meeting (at a venue or online), ``consultation.statement_accepted`` for a written
statement (书面发言) the organisers accepted (采用), at the decision, and ``consultation.spoke``
for an accepted statement whose author spoke in person (安排现场发言), earned when the meeting
ends (the arrangement as it stood then). An accepted statement is final, so nothing gives back."""

from __future__ import annotations

from handlers.core.points import PointEvent
from storage import civic_points

ATTENDED, ACCEPTED, SPOKE = "consultation.attended", "consultation.statement_accepted", "consultation.spoke"


def reason(row) -> str:
    """A statement as the ledger names it: its title and its meeting's (never its text)."""
    return f"{row.title}（{row.meeting_title}）"[:120]


async def events(conn, since, until) -> list[PointEvent]:
    found = [PointEvent(row.member_id, ATTENDED, "consultation", str(row.consultation_id), row.at, row.title[:120])
             for row in await civic_points.meetings_checked_in(conn, since, until)]
    found += [PointEvent(row.member_id, ACCEPTED, "statement", str(row.id), row.decided_at, reason(row))
              for row in await civic_points.statements_accepted(conn, since, until)]
    found += [PointEvent(row.member_id, SPOKE, "statement", str(row.id), row.ends_at, reason(row))
              for row in await civic_points.speakers(conn, since, until)]
    return found
