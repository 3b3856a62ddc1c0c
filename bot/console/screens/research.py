"""Research (调查研究): the projects with their counts and the proposals waiting (accepted as a
project, merged into one, or declined with a reason the member is told), a project opened with its
three steps, a project's page — steps marked done, who answered the call, field visits (arranged
here as study-calendar sessions), findings —
the research paper delivered as an upload, and the project's workbook — the operations of
`linkage research` (handlers/research/projects.py). Committee staff see and direct their own
committee's projects and proposals; the city office every committee's and the office's own."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.console.web import (CONFIG, Screen, attempt, committees_own, download, field_named, id_in_path, now, number_in,
                             office_ctx, read, render, room_key, session_of)
from handlers.core.errors import AdminError
from handlers.core.i18n import N_
from handlers.core.roles import CITY, COMMITTEE
from handlers.research import overview, projects
from handlers.research.common import OFFICE, STEP_LABELS, ResearchError, committee_name
from handlers.research.export import ANSWERS, write_export
from storage import people, reference
from storage import research as store

FIELD_WORDS = {"proposal": ("proposal",), "title": ("title",), "goal": ("goal",), "questions": ("question",),
               "capacity": ("places",), "committee": ("committee",), "steps": ("step", "date")}
PROJECT_STATUS = {"open": N_("under way"), "reported": N_("paper delivered")}


def _sees(request):
    return session_of(request).scope.sees_committee


def _committee(request, typed: str) -> str | None:
    """The directing committee: a staff member's own; the city office's choice (None: the office)."""
    scope = session_of(request).scope
    if scope.kind == COMMITTEE:
        return scope.committee_code
    return None if typed in ("", OFFICE) else typed


async def page(request: web.Request, *, errors: dict | None = None, values: dict | None = None,
               status: int = 200) -> web.Response:
    lang = session_of(request).member.language
    async with read(request) as conn:
        rows, waiting = await overview.listing(conn, _sees(request))
        committees = [(c.code, reference.name(c, lang)) for c in await reference.rows_of(conn, "committee")]
        names = {p.member_id: (await _proposer(conn, p.member_id)) for p in waiting}
        values = values or await _from_proposal(request, conn, waiting)
    merge_into = {p.id: [r for r, _, _ in rows if r.status == "open" and r.committee_code == p.committee_code]
                  for p in waiting}
    return render(request, "research/page.html", status=status, rows=rows, waiting=waiting, names=names,
                  merge_into=merge_into, committees=committees, committee_names=dict(committees),
                  statuses=PROJECT_STATUS, office=OFFICE, errors=errors or {}, values=values)


async def _proposer(conn, member_id: int) -> str:
    member = await people.by_id(conn, member_id)
    return f"{member.roster_id} {member.name}"


async def _from_proposal(request, conn, waiting) -> dict:
    """The opening form filled in from the proposal being accepted (?proposal=ID)."""
    raw = request.query.get("proposal", "")
    proposal = next((p for p in waiting if str(p.id) == raw), None)
    if proposal is None:
        return {}
    return {"proposal": str(proposal.id), "title": proposal.title, "goal": proposal.why,
            "questions": proposal.questions, "committee": proposal.committee_code or OFFICE}


async def _proposal_in_scope(request, conn, proposal_id: int):
    return committees_own(request, await store.proposal(conn, proposal_id))


async def open_(request: web.Request) -> web.StreamResponse:
    async def work(conn, form, session):
        proposal_id = number_in(form["proposal"], digits=9) if form.get("proposal") else None
        committee = _committee(request, form.get("committee", ""))
        if proposal_id is not None:
            proposal = await _proposal_in_scope(request, conn, proposal_id)
            await projects.pending_proposal(conn, proposal_id)
            committee = proposal.committee_code
        capacity = form.get("capacity", "")
        project = await projects.open_project(
            office_ctx(request, conn), title=form.get("title", ""), committee=committee, goal=form.get("goal", ""),
            questions=form.get("questions", "").splitlines(),
            steps=[form.get(step, "") for step in STEP_LABELS],
            capacity=number_in(capacity) if capacity else None,
            proposal_id=proposal_id, opened_by=session.member.id, actor=session.actor)
        return f"/research/{project.id}"

    async def again(message, form):
        return await page(request, errors={field_named(message, FIELD_WORDS, "title"): message}, values=form,
                          status=400)
    return await attempt(request, work, again)


async def proposal_act(request: web.Request) -> web.StreamResponse:
    """Merge a proposal into an open project of its committee, or decline it with a reason."""
    proposal_id, action = id_in_path(request, "proposal_id"), request.match_info["action"]

    async def work(conn, form, session):
        await _proposal_in_scope(request, conn, proposal_id)
        ctx = office_ctx(request, conn)
        if action == "merge":
            into = number_in(form.get("project", ""), digits=9)
            await _project(request, conn, into)
            await projects.merge_proposal(ctx, proposal_id, into, actor=session.actor)
        else:
            await projects.decline_proposal(ctx, proposal_id, form.get("reason", ""), actor=session.actor)
        return "/research"

    async def again(message, form):
        return await page(request, errors={f"p{proposal_id}": message}, status=400)
    return await attempt(request, work, again)


async def _project(request, conn, project_id: int):
    return committees_own(request, await store.project(conn, project_id))


async def project_page(request: web.Request, *, project_id: int | None = None, errors: dict | None = None,
                       values: dict | None = None, issued: str | None = None, status: int = 200) -> web.Response:
    project_id = project_id or id_in_path(request, "project_id")
    lang = session_of(request).member.language
    async with read(request) as conn:
        await _project(request, conn, project_id)
        view = await overview.details(conn, project_id)
        committee = await committee_name(conn, view.project.committee_code, lang)
    found = {}
    for f in view.findings:
        found[f.member_id] = found.get(f.member_id, 0) + 1
    return render(request, "research/project.html", status=status, view=view, p=view.project, committee=committee,
                  steps=STEP_LABELS, answers=ANSWERS, found=found, statuses=PROJECT_STATUS, errors=errors or {},
                  values=values or {}, issued=issued, hours=request.app[CONFIG].bind_key_hours)


async def step_done(request: web.Request) -> web.StreamResponse:
    milestone_id = id_in_path(request, "milestone_id")
    async with read(request) as conn:
        milestone = await store.milestone(conn, milestone_id)
        project = await _project(request, conn, milestone.project_id if milestone else 0)

    async def work(conn, form, session):
        await projects.complete_step(office_ctx(request, conn), milestone_id, actor=session.actor)
        return f"/research/{project.id}"

    async def again(message, form):
        return await project_page(request, project_id=project.id, errors={"steps": message}, status=400)
    return await attempt(request, work, again)


async def visit(request: web.Request) -> web.StreamResponse:
    """A field visit (调研走访): a study-calendar session for the participants, as `linkage research visit`."""
    project_id = id_in_path(request, "project_id")

    async def work(conn, form, session):
        await _project(request, conn, project_id)
        capacity = form.get("capacity", "")
        await projects.add_visit(office_ctx(request, conn), project_id, title=form.get("title", ""),
                                 start=form.get("start", ""), end=form.get("end", ""), place=form.get("place") or None,
                                 link=form.get("link") or None,
                                 capacity=number_in(capacity) if capacity else None,
                                 actor=session.actor)
        return f"/research/{project_id}#visits"

    async def again(message, form):
        return await project_page(request, project_id=project_id, errors={"visit": message}, values=form, status=400)
    return await attempt(request, work, again)


async def paper(request: web.Request) -> web.StreamResponse:
    """The research paper uploaded: kept beside the charts and sent to the participants and the office."""
    project_id = id_in_path(request, "project_id")

    async def work(conn, form, session):
        await _project(request, conn, project_id)
        upload = (await request.post()).get("paper")
        if not getattr(upload, "filename", None):
            raise ResearchError("choose the paper's file (PDF, Word …)")
        ctx = office_ctx(request, conn)
        path = projects.paper_path(ctx.config, project_id, upload.filename)
        path.write_bytes(upload.file.read())
        try:
            await projects.deliver_paper(ctx, project_id, path=path, name=Path(upload.filename).name,
                                         summary=form.get("summary", ""), actor=session.actor)
        except AdminError:
            path.unlink(missing_ok=True)
            raise
        return f"/research/{project_id}"

    async def again(message, form):
        return await project_page(request, project_id=project_id, errors={"paper": message}, status=400)
    return await attempt(request, work, again)


async def room(request: web.Request) -> web.Response:
    """A one-time key for the project's group or forum topic (`linkage research room`): findings and
    the paper are posted there."""
    project_id = id_in_path(request, "project_id")

    async def make(conn, hours, actor):
        await _project(request, conn, project_id)
        return await projects.room_key(conn, project_id, now(request), hours=hours, actor=actor)
    key, errors = await room_key(request, make)
    return await project_page(request, project_id=project_id, errors=errors, issued=key, status=400 if errors else 200)


async def export(request: web.Request) -> web.Response:
    project_id = id_in_path(request, "project_id")
    lang = session_of(request).member.language

    async def make(conn, path):
        await write_export(conn, await _project(request, conn, project_id), path, lang)
    return await download(request, f"research-{project_id}.xlsx", make)


SCREEN = Screen("research", N_("Research"), "/research", allowed=lambda scope: scope.kind in (CITY, COMMITTEE),
                routes=[("GET", "/research", page), ("POST", "/research/open", open_),
                        ("POST", r"/research/proposal/{proposal_id}/{action:merge|decline}", proposal_act),
                        ("GET", "/research/{project_id}", project_page),
                        ("GET", "/research/{project_id}/export.xlsx", export),
                        ("POST", "/research/{project_id}/paper", paper),
                        ("POST", "/research/{project_id}/visit", visit),
                        ("POST", "/research/{project_id}/room", room),
                        ("POST", "/research/step/{milestone_id}/done", step_done)])
