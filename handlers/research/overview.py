"""What the directors read, for the command line and the console alike: the projects with their
counts and the proposals waiting (``linkage research list``), and one project whole — its steps,
answers, field visits, findings and who attended what (``linkage research show``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handlers.research.common import project_or_fail
from storage import research as store


async def listing(conn, sees: Callable[[str | None], bool] = lambda code: True) -> tuple[list, list]:
    """([(project, joined, findings)] newest first, [pending proposals]) of the committees ``sees``
    admits (a committee code, None for the office)."""
    projects = [(p, await store.joined_count(conn, p.id), len(await store.findings(conn, p.id)))
                for p in await store.projects(conn) if sees(p.committee_code)]
    return projects, [p for p in await store.proposals(conn) if p.status == "pending" and sees(p.committee_code)]


@dataclass(frozen=True)
class ProjectView:
    project: object
    steps: list
    answers: list  # everyone who answered the call, joined or not
    visits: list
    findings: list
    attended: dict  # member id → field visits checked in at


async def details(conn, project_id: int) -> ProjectView:
    p = await project_or_fail(conn, project_id)
    return ProjectView(p, await store.milestones(conn, p.id), await store.answers(conn, p.id),
                       await store.visits(conn, p.id), await store.findings(conn, p.id),
                       await store.visits_attended(conn, p.id))
