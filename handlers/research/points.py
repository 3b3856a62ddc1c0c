"""The research projects' point sources (handlers/core/points.py): ``research.joined`` when a member
joins a project's call (given back when they leave it), ``research.finding`` for each finding they
send, ``research.report`` to every participant when the project's research paper (调研报告) is
delivered. Reasons name the project, never a finding's text."""

from __future__ import annotations

from handlers.core.points import PointEvent
from storage import research as store

JOINED, FINDING, REPORT = "research.joined", "research.finding", "research.report"


async def events(conn, since, until) -> list[PointEvent]:
    found = [PointEvent(row.member_id, JOINED, "research", str(row.project_id), row.at, row.title[:120])
             for row in await store.joins_between(conn, since, until, "joined_at")]
    found += [PointEvent(row.member_id, JOINED, "research", str(row.project_id), row.at, row.title[:120],
                         gives_back=True)
              for row in await store.joins_between(conn, since, until, "left_at")]
    found += [PointEvent(row.member_id, FINDING, "research_finding", str(row.id), row.at, row.title[:120])
              for row in await store.findings_between(conn, since, until)]
    for project in await store.reported_between(conn, since, until):
        found += [PointEvent(p.member_id, REPORT, "research", str(project.id), project.reported_at,
                             project.title[:120]) for p in await store.participants(conn, project.id)]
    return found
