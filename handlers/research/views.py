"""What members do and read: ``/research`` (propose a direction; the projects I take part in with
📝 a finding; the open calls; for directors their projects' progress and ➕ a new one), the
answer to a call (参加 within the places, or 不参加 — leaving frees a place), a finding (text, a
photo or a document with a caption), and the other features' views: /my, the digest's news (the
research papers delivered), /mydata."""

from __future__ import annotations

from handlers.core import flows
from handlers.core.context import Ctx, clip
from handlers.core.flows import file_problem
from handlers.core.i18n import N_, translator
from handlers.core.localtime import shown
from handlers.research import projects
from handlers.research.common import (ACT, GONE, NOT_OPEN, STATUS, STEP_LABELS, TEXT_LIMIT, call_card,
                                      committee_name, directs, esc, may_open, places_text)
from storage import conversations, outbox
from storage import research as store
from storage.conversations import Conversation

FINDING_FLOW = "research_finding"
ANSWERS = {projects.JOINED: N_("✅ You have joined «{title}». Send findings from /research; field visits come as "
                               "study-calendar cards."),
           projects.ALREADY: N_("You have already joined «{title}»."),
           projects.FULL: N_("Sorry, all {capacity} places of «{title}» are taken. Thank you for your interest."),
           projects.CLOSED: NOT_OPEN,
           projects.DECLINED: N_("Noted: you are not taking part in «{title}»."),
           projects.LEFT: N_("You have left «{title}»; your place is free for another member.")}


async def cmd_research(ctx: Ctx) -> None:
    """/research: my projects, the open calls, and (for directors) their projects' progress."""
    t = ctx.t
    mine = {m.project_id: m for m in await store.memberships_of(ctx.conn, ctx.member.id)}
    open_ = await store.projects(ctx.conn, ("open",))
    lines = [t("🔎 <b>Research (调查研究)</b>"),
             t("Members propose directions; committees open projects; every member may take part.")]
    buttons = [[(t.plain("💡 Propose a direction"), ACT.pack("propose"))]]
    if may_open(ctx.member):
        buttons.append([(t.plain("➕ Open a project"), ACT.pack("open"))])
    for project in open_:
        joined = mine.get(project.id) is not None and mine[project.id].status == "joined"
        mark = "✅ " if joined else ""
        lines.append(f"· {mark}#{project.id} <b>{esc(project.title)}</b> · "
                     f"{await committee_name(ctx.conn, project.committee_code, t.lang)} · "
                     + places_text(t, await store.joined_count(ctx.conn, project.id), project.capacity))
        row = []
        if joined:
            row.append((t.plain("📝 Finding #{id}", id=project.id), ACT.pack("finding", project.id)))
        if directs(ctx.member, project):
            row.append((t.plain("📊 Progress #{id}", id=project.id), ACT.pack("progress", project.id)))
        if not joined and not directs(ctx.member, project):
            row.append((clip(t.plain("🙋 Take part in #{id}", id=project.id), 30), ACT.pack("join", project.id)))
        if row:
            buttons.append(row)
    if not open_:
        lines.append(t("No research project is open now."))
    await ctx.reply("\n".join(lines), buttons=buttons)


async def _answer(ctx: Ctx, fields: dict, join: bool) -> None:
    project = await store.project(ctx.conn, fields["id"]) if fields["id"] else None
    if project is None:
        await ctx.answer(ctx.t.plain(GONE), alert=True)
        return
    outcome = await projects.answer_call(ctx, project.id, ctx.member, join)
    text = ctx.t.plain(ANSWERS[outcome], title=project.title, capacity=project.capacity or 0)
    if outcome in (projects.FULL, projects.CLOSED, projects.ALREADY):
        await ctx.answer(text, alert=True)
        return
    await ctx.answer()  # the message below says it
    await ctx.reply(ctx.t(ANSWERS[outcome], title=project.title, capacity=project.capacity or 0),
                    buttons=[[(ctx.t.plain("📝 Send a finding"), ACT.pack("finding", project.id))]]
                    if outcome == projects.JOINED else None)
    key = f"research:{project.id}:call:{ctx.member.id}"  # the member's call card shows the places taken now
    if key in await outbox.message_ids_for(ctx.conn, {key}):
        text, buttons = await call_card(ctx.conn, await store.project(ctx.conn, project.id), ctx.t.lang)
        await ctx.edit(ctx.member.telegram_user_id, {"$ref": key}, text, buttons=buttons)


async def join(ctx: Ctx, fields: dict) -> None:
    await _answer(ctx, fields, True)


async def decline(ctx: Ctx, fields: dict) -> None:
    await _answer(ctx, fields, False)


async def _participating(ctx: Ctx, project_id: int | None):
    project = await store.project(ctx.conn, project_id) if project_id else None
    membership = project and await store.membership(ctx.conn, project.id, ctx.member.id)
    if project is None or membership is None or membership.status != "joined":
        return None, N_("Only the project's participants can send findings to it.")
    if project.status != "open":
        return None, NOT_OPEN
    return project, None


async def finding(ctx: Ctx, fields: dict) -> None:
    project, refusal = await _participating(ctx, fields["id"])
    if project is None:
        await ctx.answer(ctx.t.plain(refusal), alert=True)
        return
    await flows.suspend_into(ctx, FINDING_FLOW, "finding", {"project": project.id})
    await ctx.reply(ctx.t("Send your finding for «{title}»: a text, or a photo or a document with a caption "
                          "(at most {limit} characters). /cancel stops.", title=project.title, limit=TEXT_LIMIT))
    await ctx.answer()


async def on_finding(ctx: Ctx, conv: Conversation) -> None:
    project, refusal = await _participating(ctx, conv.data["project"])
    if project is None:
        await conversations.clear(ctx.conn, ctx.event.user_id)
        await ctx.reply(ctx.t(refusal))
        return
    file = ctx.event.attachments[0] if ctx.event.attachments else None
    if file is not None:
        problem = file_problem(ctx, file) if file.kind in ("photo", "document") else ctx.t(
            "Send a text, a photo or a document, or /cancel to stop.")
        if problem:
            await ctx.reply(problem)
            return
        text = (ctx.event.text or "").strip() or file.file_name or "📎"
        if len(text) > TEXT_LIMIT:
            await ctx.reply(ctx.t("At most {limit} characters, please. Send a shorter one.", limit=TEXT_LIMIT))
            return
        kept = {"file_id": file.file_id, "kind": file.kind}
    else:
        text = await flows.text_input(ctx)
        if text is None:
            return
        if len(text) > TEXT_LIMIT:
            await ctx.reply(ctx.t("At most {limit} characters, please. Send a shorter one.", limit=TEXT_LIMIT))
            return
        kept = None
    await flows.resume(ctx, conv)
    finding_id = await projects.add_finding(ctx, project, ctx.member, text, kept)
    await ctx.reply(ctx.t("✅ Finding recorded (#{id}); the project's directors see it.", id=finding_id))


# --- the other features' views -------------------------------------------------------------------

async def my_part(ctx: Ctx) -> None:
    """/my: my projects (with my findings) and my proposals with what became of them."""
    t = ctx.t
    memberships = [m for m in await store.memberships_of(ctx.conn, ctx.member.id) if m.status == "joined"]
    proposals = await store.proposals_of(ctx.conn, ctx.member.id)
    if not memberships and not proposals:
        return
    counts: dict[int, int] = {}
    for f in await store.findings_of(ctx.conn, ctx.member.id):
        counts[f.project_id] = counts.get(f.project_id, 0) + 1
    lines = [t("<b>Research (调查研究)</b>")]
    for m in memberships:
        done = t(" · paper delivered") if m.reported_at else ""
        lines.append(t("· Project «{title}»: {count} findings of yours", title=m.title,
                       count=counts.get(m.project_id, 0)) + done)
    for p in proposals:
        state = t.plain(STATUS[p.status]) + (f"（{p.decline_reason}）" if t.lang == "zh" and p.decline_reason else
                                            f" ({p.decline_reason})" if p.decline_reason else "")
        lines.append(t("· Proposed direction «{title}»: {state}", title=p.title, state=state))
    await ctx.reply("\n".join(lines))


async def upcoming(conn, member, start, end, lang: str, cache: dict) -> list[str]:
    """The digest's coming-up: the steps of the member's projects due in the window."""
    key = ("research.steps", start, end)
    if key not in cache:  # the steps, and who joined their projects: once per digest firing
        steps = await store.steps_due_between(conn, start, end)
        cache[key] = steps, await store.joined_pairs(conn, list({m.project_id for m in steps})) if steps else set()
    steps, joined = cache[key]
    t = translator(lang)
    return ["· " + t("Research project <b>{title}</b>: {step} by {time}", title=m.title,
                     step=t.plain(STEP_LABELS[m.step]), time=shown(m.due_at))
            for m in steps if (m.project_id, member.id) in joined]


async def recent(conn, member, since, until, lang: str, cache: dict) -> list[str]:
    """The digest's news: research papers delivered in the window (the call went to everyone)."""
    key = ("research.reported", since, until)
    if key not in cache:
        cache[key] = await store.reported_between(conn, since, until)
    if not cache[key]:
        return []
    t = translator(lang)
    lines = ["", t("<b>Research results (调研成果)</b>")]
    for project in cache[key]:
        line = f"· <b>{esc(project.title)}</b> · {await committee_name(conn, project.committee_code, lang)}"
        if project.report_summary:
            line += f": {esc(clip(project.report_summary, 200))}"
        lines.append(line)
    return lines


async def personal_data(conn, member) -> dict:
    """For /mydata: my proposals, my answers to calls, my findings."""
    return {
        "research_proposals": [{"title": p.title, "committee": p.committee_code, "why": p.why,
                                "what_to_find_out": p.questions, "status": p.status, "reason": p.decline_reason,
                                "proposed_at": p.created_at} for p in await store.proposals_of(conn, member.id)],
        "research_projects": [{"project": m.title, "status": m.status, "joined_at": m.joined_at, "left_at": m.left_at}
                              for m in await store.memberships_of(conn, member.id)],
        "research_findings": [{"project": f.title, "text": f.text, "file": f.file_kind, "sent_at": f.created_at}
                              for f in await store.findings_of(conn, member.id)],
    }
