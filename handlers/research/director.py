"""The director's side in chat (a committee's staff, or an office admin for any committee): open a
project (committee → title → goal → questions → the steps' dates and the places → confirm; from a
proposal the first four come filled in), see its progress (participants, findings, visits attended,
steps), mark a step done, and deliver the research paper (调研报告) as a document. Every press and
message checks the role again."""

from __future__ import annotations

from handlers.core import flows, roles
from handlers.core.buttons import ButtonData
from handlers.core.context import Buttons, Ctx
from handlers.core.flows import Step, file_problem
from handlers.core.i18n import N_
from handlers.core.localtime import show_span, shown
from handlers.research import projects
from handlers.research.common import (choose_committee, take_text, ACT, DIRECTORS_ONLY, GONE, MILESTONE, NOT_OPEN, OFFICE, STEP_LABELS, TEXT_LIMIT,
                                      TITLE_LIMIT, ResearchError, committee_name, directs, esc, may_open,
                                      milestone_lines, places_text)
from storage import conversations, reference
from storage import research as store
from storage.conversations import Conversation

STEP = ButtonData("rso", refusal=N_("This button is no longer valid."), step=("committee", "questions", "confirm"),
                  value=str)
PAPER_FLOW = "research_paper"
OPEN_ONLY = N_("Only a committee's staff or the office can open a research project.")
PLAN_HELP = N_("Send the dates of the three steps, one a line — choosing the subject (选准课题), field visits "
               "(深入调研走访), sharing the results (交流调研成果) — and then the number of places (0: no limit). "
               "For example:\n2026-12-15\n2027-01-20\n2027-02-28\n20")


async def start(ctx: Ctx, fields: dict) -> None:
    """➕ in /research: staff open a project for their own committee; an admin chooses."""
    if not may_open(ctx.member):
        await ctx.answer(ctx.t.plain(OPEN_ONLY), alert=True)
        return
    own = roles.staff_committee(ctx.member)
    first, data = ("title", {"committee": own}) if own else ("committee", {})
    await OPEN.prompt(ctx, await flows.suspend_into(ctx, OPEN.name, first, data))
    await ctx.answer()


async def start_from_proposal(ctx: Ctx, proposal) -> None:
    try:
        questions = projects.clean_questions(proposal.questions.splitlines())
    except ResearchError:  # too many or too long to be a list: the goal keeps them
        questions = []
    goal = proposal.why if questions else f"{proposal.why}\n{proposal.questions}"
    data = {"committee": proposal.committee_code, "title": proposal.title, "goal": goal[:TEXT_LIMIT],
            "questions": questions, "proposal": proposal.id}
    await OPEN.prompt(ctx, await flows.suspend_into(ctx, OPEN.name, "plan", data))


async def _committees(ctx: Ctx, conv: Conversation):
    rows = await reference.rows_of(ctx.conn, "committee")
    return flows.grid([(reference.name(row, ctx.t.lang), row.code) for row in rows], 2) + [
        [(await committee_name(ctx.conn, None, ctx.t.lang), OFFICE)]]


async def _take_questions(ctx: Ctx, conv: Conversation) -> bool:
    text = await flows.text_input(ctx)
    if text is None:
        return False
    try:
        conv.data["questions"] = projects.clean_questions(text.splitlines())
    except ResearchError:
        await ctx.reply(ctx.t("At most {count} questions of at most {limit} characters each, one a line. Please "
                              "send them again.", count=10, limit=200))
        return False
    return True


async def _no_questions(ctx: Ctx, conv: Conversation, value: str) -> bool:
    conv.data["questions"] = []
    return True


async def _take_plan(ctx: Ctx, conv: Conversation) -> bool:
    text = await flows.text_input(ctx)
    if text is None:
        return False
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    try:
        if len(lines) != 4 or not lines[3].isdigit():
            raise ResearchError("three dates and a number")
        projects.step_dates(lines[:3], ctx.now, ctx.config.deadline_time)
    except ResearchError:
        await ctx.reply(ctx.t("Those are not three dates to come, in order, and a number. ") + ctx.t(PLAN_HELP))
        return False
    conv.data.update(steps=lines[:3], capacity=int(lines[3]) or None)
    return True


async def _preview(ctx: Ctx, conv: Conversation) -> str:
    t, d = ctx.t, conv.data
    lines = [t("<b>Preview</b> · {committee}", committee=await committee_name(ctx.conn, d["committee"], t.lang)),
             f"<b>{esc(d['title'])}</b>", esc(d["goal"])]
    lines += [f"{n}. {esc(q)}" for n, q in enumerate(d["questions"], 1)]
    lines += [f"○ {t.plain(STEP_LABELS[step])}: {day}" for step, day in zip(STEP_LABELS, d["steps"])]
    lines.append(places_text(t, 0, d["capacity"]))
    lines.append(t("The call goes to every member."))
    return "\n".join(lines)


async def _open(ctx: Ctx, conv: Conversation) -> bool:
    t, d = ctx.t, conv.data
    await flows.resume(ctx, conv)
    if not roles.runs_committee(ctx.member, d["committee"]):
        await ctx.reply(t(DIRECTORS_ONLY))
        return True
    try:
        if d.get("proposal"):
            await projects.pending_proposal(ctx.conn, d["proposal"])
        project = await projects.open_project(
            ctx, title=d["title"], committee=d["committee"], goal=d["goal"], questions=d["questions"],
            steps=d["steps"], capacity=d["capacity"], proposal_id=d.get("proposal"), opened_by=ctx.member.id,
            actor=f"member:{ctx.member.id}")
    except ResearchError:
        await ctx.reply(t("The project could not be opened: a date has passed or the proposal was already decided. "
                          "Please start again."))
        return True
    await ctx.reply(t("Research project #{id} is open; every member is getting the call.", id=project.id))
    return True


OPEN = flows.Flow("research_open", STEP, [
    Step("committee", N_("<b>New research project.</b> Which committee directs it? /cancel stops."),
         choices=_committees, on_choice=choose_committee, next="title"),
    Step("title", N_("<b>New research project.</b> Send its title (at most 60 characters). /cancel stops."),
         on_text=take_text("title", TITLE_LIMIT), next="goal"),
    Step("goal", N_("Send the project's goal: what the research is for."), on_text=take_text("goal", TEXT_LIMIT),
         next="questions"),
    Step("questions", N_("Send the questions it sets out to answer, one a line, or press No questions."),
         choices=[[(N_("No questions"), "none")]], on_choice=_no_questions, on_text=_take_questions, next="plan"),
    Step("plan", PLAN_HELP, on_text=_take_plan, next="confirm"),
    flows.confirm_step("confirm", _preview, (N_("🔎 Open and call members"), "open"), _open,
                       cancelled=N_("The project was not opened.")),
], stale=N_("This button is no longer valid."))


async def on_step(ctx: Ctx, fields: dict) -> None:
    if not may_open(ctx.member):
        await ctx.answer(ctx.t.plain(OPEN_ONLY), alert=True)
        return
    await OPEN.on_button(ctx, fields)


async def on_open_text(ctx: Ctx, conv: Conversation) -> None:
    if not may_open(ctx.member):
        await conversations.clear(ctx.conn, ctx.event.user_id)
        await ctx.reply(ctx.t(OPEN_ONLY))
        return
    await OPEN.on_message(ctx, conv)


# --- progress, steps and the paper ------------------------------------------------------------------

async def _directed(ctx: Ctx, project_id: int | None):
    project = await store.project(ctx.conn, project_id) if project_id else None
    if project is None:
        await ctx.answer(ctx.t.plain(GONE), alert=True)
        return None
    if not directs(ctx.member, project):
        await ctx.answer(ctx.t.plain(DIRECTORS_ONLY), alert=True)
        return None
    return project


async def progress_text(ctx: Ctx, project) -> tuple[str, Buttons]:
    """What the director sees: participants (with their findings and visits attended), the visits,
    the steps; buttons to mark a step done and to deliver the paper."""
    t = ctx.t
    joined = await store.participants(ctx.conn, project.id)
    findings = await store.findings(ctx.conn, project.id)
    attended = await store.visits_attended(ctx.conn, project.id)
    per_member: dict[int, int] = {}
    for f in findings:
        per_member[f.member_id] = per_member.get(f.member_id, 0) + 1
    lines = [t("📊 <b>Progress</b> · #{id} {title}", id=project.id, title=project.title),
             places_text(t, len(joined), project.capacity),
             t("{findings} findings; {visits} field visits", findings=len(findings),
               visits=len(await store.visits(ctx.conn, project.id)))]
    for p in joined:
        lines.append("· " + t("{name}: {findings} findings, {visits} visits attended", name=p.name,
                               findings=per_member.get(p.member_id, 0), visits=attended.get(p.member_id, 0)))
    for visit in await store.visits(ctx.conn, project.id):
        lines.append("🚶 " + f"{show_span(visit.starts_at, visit.ends_at)} {esc(visit.title)}")
    lines += ["", t("<b>Steps</b>")] + await milestone_lines(ctx.conn, t, project.id)
    if project.status != "open":
        lines.append(t("📄 Research paper delivered {time}.", time=shown(project.reported_at)))
        return "\n".join(lines), []
    buttons = [[(t.plain("✓ {step} done", step=t.plain(STEP_LABELS[m.step])), MILESTONE.pack(m.id))]
               for m in await store.milestones(ctx.conn, project.id) if m.done_at is None]
    buttons.append([(t.plain("🚶 Arrange a field visit"), ACT.pack("visit", project.id)),
                    (t.plain("📄 Deliver the research paper"), ACT.pack("paper", project.id))])
    return "\n".join(lines), buttons


async def progress(ctx: Ctx, fields: dict) -> None:
    project = await _directed(ctx, fields["id"])
    if project is not None:
        text, buttons = await progress_text(ctx, project)
        await ctx.reply(text, buttons=buttons)
        await ctx.answer()


async def step_done(ctx: Ctx, fields: dict) -> None:
    milestone = await store.milestone(ctx.conn, fields["milestone"])
    project = await _directed(ctx, milestone.project_id if milestone else None)
    if project is None:
        return
    if milestone.done_at is not None or project.status != "open":
        await ctx.answer(ctx.t.plain("This step is already done."), alert=True)
        return
    await projects.complete_step(ctx, milestone.id, actor=f"member:{ctx.member.id}")
    text, buttons = await progress_text(ctx, await store.project(ctx.conn, project.id))
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, text, buttons=buttons)
    await ctx.answer(ctx.t.plain("✓ Done; the participants were told."))


async def paper(ctx: Ctx, fields: dict) -> None:
    project = await _directed(ctx, fields["id"])
    if project is None:
        return
    if project.status != "open":
        await ctx.answer(ctx.t.plain(NOT_OPEN), alert=True)
        return
    await flows.suspend_into(ctx, PAPER_FLOW, "document", {"project": project.id})
    await ctx.reply(ctx.t("Send the research paper (调研报告) of «{title}» as a document, with a short summary as its "
                          "caption. It goes to every participant and the office. /cancel stops.", title=project.title))
    await ctx.answer()


async def on_paper(ctx: Ctx, conv: Conversation) -> None:
    project = await store.project(ctx.conn, conv.data["project"])
    if project is None or not directs(ctx.member, project):
        await conversations.clear(ctx.conn, ctx.event.user_id)
        await ctx.reply(ctx.t(DIRECTORS_ONLY))
        return
    document = next((a for a in ctx.event.attachments if a.kind == "document"), None)
    if document is None:
        await ctx.reply(ctx.t("Please send the paper as a document (PDF, Word …), or /cancel to stop."))
        return
    problem = file_problem(ctx, document)
    if problem:
        await ctx.reply(problem)
        return
    summary = (ctx.event.text or "").strip()[:projects.PAPER_SUMMARY_LIMIT]
    await flows.resume(ctx, conv)
    try:
        count = await projects.deliver_paper(ctx, project.id, file_id=document.file_id, name=document.file_name,
                                             summary=summary, actor=f"member:{ctx.member.id}")
    except ResearchError:
        await ctx.reply(ctx.t(NOT_OPEN))
        return
    await ctx.reply(ctx.t("📄 The research paper is on its way to {count} people: the participants and the office.",
                          count=count))
