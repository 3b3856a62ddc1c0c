"""A project's life, for the chat and the command line alike: open it (from a proposal or on its
own) with its three steps and the call to every member; join or decline, within its places; field
visits as study-calendar sessions; findings; the steps' reminders (timers
``research:{id}:step:{milestone}:remind``, the day before each step's date) and their completion; the
research paper (调研报告) delivered to the participants and the office; the room's bind key.

Every call card is an outbox row keyed ``research:{id}:call:{member_id}``."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from handlers.core.context import CAPTION_LIMIT, Ctx, split_text
from handlers.core.i18n import translator
from handlers.core.localtime import local_at, parse_date, shown
from handlers.core.errors import Term
from handlers.office import keys
from handlers.research.common import (MAX_QUESTIONS, QUESTION_LIMIT, STATUS, STEP_LABELS, STEPS, TEXT_LIMIT,
                                      TITLE_LIMIT, ResearchError, call_card, esc, project_or_fail,
                                      refresh_proposal_cards)
from handlers.study import sessions as study_sessions
from handlers.study.terms import StudyError
from storage import audit, outbox, people, reference, targets, timers
from storage import deliberation as committee_store
from storage import research as store
from storage import study as study_store

log = logging.getLogger("linkage.research")
REMIND_BEFORE = timedelta(days=1)
PAPER_SUMMARY_LIMIT = 1000


def clean_questions(questions) -> list[str]:
    cleaned = [" ".join(q.split()) for q in questions or () if q and q.strip()]
    if len(cleaned) > MAX_QUESTIONS:
        raise ResearchError("a project has at most {max_questions} questions", max_questions=MAX_QUESTIONS)
    if any(len(q) > QUESTION_LIMIT for q in cleaned):
        raise ResearchError("a question has at most {question_limit} characters",
                            question_limit=QUESTION_LIMIT)
    return cleaned


def step_dates(values, now: datetime, deadline_time: str) -> list[datetime]:
    """The three steps' dates (选准课题, 深入调研走访, 交流调研成果: YYYY-MM-DD, in order, to come) as
    moments at the end of the working day."""
    values = list(values)
    if len(values) != len(STEPS):
        raise ResearchError("give the dates of the three steps: choosing the subject, field visits, sharing results")
    days = [parse_date(v) for v in values]
    if days != sorted(days) or len(set(days)) != len(days):
        raise ResearchError("the steps' dates must come one after the other")
    dues = [local_at(day, deadline_time) for day in days]
    if dues[0] <= now:
        raise ResearchError("the first step's date {day} has passed (a step is due at {deadline_time} that "
                            "day)", day=days[0], deadline_time=deadline_time)
    return dues


async def check_committee(conn, code: str | None) -> None:
    if code is not None and code not in {row.code for row in await reference.rows_of(conn, "committee")}:
        raise ResearchError("there is no committee {code!r}", code=code)


async def open_project(ctx: Ctx, *, title: str, committee: str | None, goal: str, questions=(), steps,
                       capacity: int | None = None, proposal_id: int | None = None, opened_by: int | None = None,
                       actor: str = "cli"):
    """Create a project and send the call to every member; ``steps``: the three dates."""
    title, goal = " ".join((title or "").split()), (goal or "").strip()
    if not title or len(title) > TITLE_LIMIT:
        raise ResearchError("a title is needed (at most {title_limit} characters)", title_limit=TITLE_LIMIT)
    if not goal or len(goal) > TEXT_LIMIT:
        raise ResearchError("a goal is needed (at most {text_limit} characters)", text_limit=TEXT_LIMIT)
    if capacity is not None and capacity < 1:
        raise ResearchError("the number of places must be at least 1 (leave it out for no limit)")
    await check_committee(ctx.conn, committee)
    dues = step_dates(steps, ctx.now, ctx.config.deadline_time)
    project_id = await store.create_project(
        ctx.conn, list(zip(STEPS, dues)), committee_code=committee, title=title, goal=goal,
        questions=clean_questions(questions), starts_at=ctx.now, ends_at=dues[-1], capacity=capacity, status="open",
        proposal_id=proposal_id, opened_by=opened_by, created_at=ctx.now)
    await audit.record(ctx.conn, actor, "research.open", {"project": project_id, "committee": committee}, ctx.now)
    for m in await store.milestones(ctx.conn, project_id):
        if m.due_at - REMIND_BEFORE > ctx.now:
            await ctx.schedule(f"research:{project_id}:step:{m.id}:remind", "research.step", m.due_at - REMIND_BEFORE,
                               payload={"project": project_id, "milestone": m.id}, expires_at=m.due_at)
    if proposal_id is not None:
        await _tell_proposer(ctx, proposal_id, project_id, "accepted", actor)
    project = await store.project(ctx.conn, project_id)
    sent = await send_call(ctx, project)
    log.info("research project opened", extra={"project": project_id, "recipients": sent})
    return project


async def send_call(ctx: Ctx, project) -> int:
    """The call to take part, to every member the bot can reach (all committees, all levels)."""
    sent = 0
    for member in await people.in_audience(ctx.conn, {"kind": "all"}):
        if not member.reachable:
            continue
        text, buttons = await call_card(ctx.conn, project, member.language)
        await ctx.send(member.telegram_user_id, text, buttons=buttons, priority=outbox.BULK,
                       key=f"research:{project.id}:call:{member.id}")
        sent += 1
    return sent


async def directors_of(conn, project) -> list:
    """Who gets the project's copies: the committee's staff (the office's admins for an office
    project, or a committee without staff on the bot), and the opener."""
    found = await committee_store.staff_of(conn, project.committee_code) if project.committee_code else []
    if not found:
        found = await people.admins(conn)
    if project.opened_by and all(m.id != project.opened_by for m in found):
        opener = await people.by_id(conn, project.opened_by)
        if opener is not None and opener.active and opener.telegram_user_id is not None:
            found.append(opener)
    return found


# --- taking part -------------------------------------------------------------------------------------

JOINED, ALREADY, FULL, CLOSED, DECLINED, LEFT = "joined", "already", "full", "closed", "declined", "left"


async def answer_call(ctx: Ctx, project_id: int, member, join: bool) -> str:
    """The member's answer to the call; the project row is locked so two last presses cannot both
    take the last place. Returns what happened."""
    project = await project_or_fail(ctx.conn, project_id, lock=True)
    if project.status != "open":
        return CLOSED
    current = await store.membership(ctx.conn, project.id, member.id)
    if join:
        if current is not None and current.status == "joined":
            return ALREADY
        if project.capacity is not None and await store.joined_count(ctx.conn, project.id) >= project.capacity:
            return FULL
        await store.answer(ctx.conn, project.id, member.id, ctx.now, status="joined", joined_at=ctx.now, left_at=None)
        for visit in await store.visits(ctx.conn, project.id):  # later visits: they may answer in /sessions
            if visit.status == "announced" and visit.starts_at > ctx.now:
                await study_store.ensure_rsvp(ctx.conn, visit.id, member.id, ctx.now)
        await audit.record(ctx.conn, f"member:{member.id}", "research.join", {"project": project.id}, ctx.now)
        return JOINED
    if current is not None and current.status == "joined":
        await store.answer(ctx.conn, project.id, member.id, ctx.now, status="left", left_at=ctx.now)
        await audit.record(ctx.conn, f"member:{member.id}", "research.leave", {"project": project.id}, ctx.now)
        return LEFT
    await store.answer(ctx.conn, project.id, member.id, ctx.now, status="declined")
    return DECLINED


async def add_visit(ctx: Ctx, project_id: int, *, title: str, start, end, place: str | None = None,
                    link: str | None = None, capacity: int | None = None, actor: str = "cli"):
    """A field visit (调研走访): a study-calendar session for the project's participants, so RSVP,
    reminders and check-in are the calendar's; linked through research_visits."""
    project = await project_or_fail(ctx.conn, project_id)
    if project.status != "open":
        raise ResearchError("project #{project_id} has delivered its paper; no more visits",
                            project_id=project_id)
    roster = [p.roster_id for p in await store.participants(ctx.conn, project.id)]
    if not roster:
        raise ResearchError("nobody has joined project #{project_id} yet: a visit needs participants",
                            project_id=project_id)
    try:
        session = await study_sessions.add_session(
            ctx, title=title, kind="visit", start=start, end=end, place=place, link=link,
            audience_spec={"kind": "list", "roster_ids": roster}, capacity=capacity, actor=actor)
    except StudyError as exc:
        raise ResearchError.like(exc) from None
    await store.link_visit(ctx.conn, project.id, session.id, ctx.now)
    return session


async def add_finding(ctx: Ctx, project, member, text: str, file: dict | None) -> int:
    """A participant's finding; the directors get a copy (with the photo or document)."""
    finding_id = await store.add_finding(ctx.conn, project_id=project.id, member_id=member.id, text=text,
                                         file_id=(file or {}).get("file_id"), file_kind=(file or {}).get("kind"),
                                         created_at=ctx.now)
    for director in await directors_of(ctx.conn, project):
        t = translator(director.language)
        await ctx.send(director.telegram_user_id, "\n".join([
            t("📝 <b>New finding</b> · {title}", title=project.title), f"{esc(member.name)}:",
            esc(text) + (" 📎" if file else "")]), priority=outbox.BULK, key=f"research:f{finding_id}:{director.id}")
        if file:
            method, field = ("sendPhoto", "photo") if file["kind"] == "photo" else ("sendDocument", "document")
            await ctx.call(method, {"chat_id": director.telegram_user_id, field: file["file_id"]},
                           chat_id=director.telegram_user_id, priority=outbox.BULK)
    room = await targets.by_name(ctx.conn, room_name(project.id))
    if room is not None and room.chat_id is not None:
        t = translator(ctx.config.group_language)
        await ctx.send(room.chat_id, "\n".join([t("📝 <b>New finding</b> · {title}", title=project.title),
                                                f"{esc(member.name)}:", esc(text)]),
                       thread_id=room.thread_id, is_group=True, priority=outbox.BULK)
    return finding_id


# --- steps -------------------------------------------------------------------------------------------

async def step_job(ctx: Ctx, timer) -> None:
    """The day before a step's date: a reminder to every participant (none once it is done)."""
    project = await store.project(ctx.conn, timer.payload["project"])
    milestone = await store.milestone(ctx.conn, timer.payload["milestone"])
    if project is None or milestone is None or project.status != "open" or milestone.done_at is not None:
        return
    for p in await store.participants(ctx.conn, project.id):
        if not p.active or not p.reachable or p.telegram_user_id is None:
            continue
        t = translator(p.language)
        await ctx.send(p.telegram_user_id, t("⏰ Research project «{title}»: the step {step} is due {time}.",
                                             title=project.title, step=t.plain(STEP_LABELS[milestone.step]),
                                             time=shown(milestone.due_at)),
                       priority=outbox.BULK, key=f"research:{project.id}:step:{milestone.id}:{p.member_id}")


async def complete_step(ctx: Ctx, milestone_id: int, *, actor: str = "cli"):
    """The director marks a step done; the participants are told. Returns (project, milestone)."""
    milestone = await store.milestone(ctx.conn, milestone_id)
    if milestone is None:
        raise ResearchError("there is no step #{milestone_id}", milestone_id=milestone_id)
    project = await project_or_fail(ctx.conn, milestone.project_id)
    if milestone.done_at is not None:
        raise ResearchError("step #{milestone_id} is already done", milestone_id=milestone_id)
    await store.change_milestone(ctx.conn, milestone.id, done_at=ctx.now)
    await timers.cancel(ctx.conn, f"research:{project.id}:step:{milestone.id}:", ctx.now)
    await audit.record(ctx.conn, actor, "research.step", {"project": project.id, "step": milestone.step}, ctx.now)
    for p in await store.participants(ctx.conn, project.id):
        if p.active and p.reachable and p.telegram_user_id is not None:
            t = translator(p.language)
            await ctx.send(p.telegram_user_id, t("✓ Research project «{title}»: {step} is done.", title=project.title,
                                                 step=t.plain(STEP_LABELS[milestone.step])), priority=outbox.BULK)
    return project, await store.milestone(ctx.conn, milestone.id)


# --- the research paper (调研报告) ---------------------------------------------------------------------

async def deliver_paper(ctx: Ctx, project_id: int, *, file_id: str | None = None, path: str | Path | None = None,
                        name: str | None = None, summary: str = "", actor: str = "cli") -> int:
    """The director's research paper: to every participant and the office's admins (a Telegram
    file, or a local file the bot uploads); the project is then done. Returns how many got it."""
    project = await project_or_fail(ctx.conn, project_id, lock=True)
    if project.status != "open":
        raise ResearchError("project #{project_id} has already delivered its paper", project_id=project_id)
    if (file_id is None) == (path is None):
        raise ResearchError("give the paper as one file")
    summary = (summary or "").strip()
    if len(summary) > PAPER_SUMMARY_LIMIT:
        raise ResearchError("the summary has at most {paper_summary_limit} characters",
                            paper_summary_limit=PAPER_SUMMARY_LIMIT)
    if path is not None:
        resolved = Path(path).resolve()
        if not resolved.is_file():
            raise ResearchError("{path} is not a file", path=path)
        if resolved.stat().st_size > ctx.config.max_file_bytes:
            raise ResearchError("{path} is larger than the limit of {mb} MB",
                                path=path, mb=ctx.config.max_file_bytes // 2**20)
        document, name = {"$file": str(resolved)}, name or resolved.name
    else:
        document = file_id
    await store.change_project(ctx.conn, project.id, status="reported", report_file_id=file_id,
                               report_name=(name or "")[:200] or None, report_summary=summary or None,
                               reported_at=ctx.now)
    await timers.cancel(ctx.conn, f"research:{project.id}:", ctx.now)
    await audit.record(ctx.conn, actor, "research.paper", {"project": project.id}, ctx.now)
    recipients = {p.member_id: p for p in await store.participants(ctx.conn, project.id)
                  if p.active and p.reachable and p.telegram_user_id is not None}
    for admin in await people.admins(ctx.conn):
        recipients.setdefault(admin.id, admin)
    for member_id, r in recipients.items():
        t = translator(r.language)
        caption = t("📄 <b>Research paper (调研报告)</b> · {title}", title=project.title)
        if summary:
            caption += "\n" + esc(summary)
        await ctx.call("sendDocument", {"chat_id": r.telegram_user_id, "document": document,
                                        "caption": split_text(caption, CAPTION_LIMIT)[0], "parse_mode": "HTML"},
                       chat_id=r.telegram_user_id, priority=outbox.BULK, key=f"research:{project.id}:paper:{member_id}")
    room = await targets.by_name(ctx.conn, room_name(project.id))
    if room is not None and room.chat_id is not None:
        t = translator(ctx.config.group_language)
        await ctx.call("sendDocument", {"chat_id": room.chat_id, "document": document, "parse_mode": "HTML",
                                        "caption": t("📄 <b>Research paper (调研报告)</b> · {title}", title=project.title),
                                        **({"message_thread_id": room.thread_id} if room.thread_id else {})},
                       chat_id=room.chat_id, is_group=True, priority=outbox.BULK)
    log.info("research paper delivered", extra={"project": project.id, "recipients": len(recipients)})
    return len(recipients)


def paper_path(config, project_id: int, name: str) -> Path:
    """Where a paper uploaded through the console is kept until the sender has sent it (and after):
    beside the office's charts, var/research/project-3-报告.pdf by default."""
    folder = Path(config.charts_dir).parent / "research"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"project-{project_id}-{Path(name).name or 'paper'}"


# --- proposals: merged or declined (accepted ones open a project above) ---------------------------------

async def _tell_proposer(ctx: Ctx, proposal_id: int, project_id: int | None, status: str, actor: str,
                         reason: str | None = None) -> None:
    proposal = await store.proposal(ctx.conn, proposal_id)
    await store.change_proposal(ctx.conn, proposal_id, status=status, project_id=project_id, decline_reason=reason,
                                decided_by=actor, decided_at=ctx.now)
    await audit.record(ctx.conn, actor, f"research.proposal.{status}", {"proposal": proposal_id,
                                                                         "project": project_id}, ctx.now)
    await refresh_proposal_cards(ctx, proposal_id)
    member = await people.by_id(ctx.conn, proposal.member_id)
    if member is None or not member.active or not member.reachable or member.telegram_user_id is None:
        return
    t = translator(member.language)
    project = await store.project(ctx.conn, project_id) if project_id else None
    if status == "accepted":
        text = t("✅ Your proposed direction «{title}» is now research project #{id}; every member is called to "
                 "take part.", title=proposal.title, id=project_id)
    elif status == "merged":
        text = t("🔗 Your proposed direction «{title}» was merged into the research project «{project}».",
                 title=proposal.title, project=project.title)
    else:
        text = t("Your proposed direction «{title}» was not taken up. Reason: {reason}", title=proposal.title,
                 reason=reason)
    buttons = None
    if status == "merged" and project.status == "open":  # an accepted one: the call itself follows
        _, buttons = await call_card(ctx.conn, project, member.language)
    await ctx.send(member.telegram_user_id, text, buttons=buttons)


async def pending_proposal(conn, proposal_id: int):
    proposal = await store.proposal(conn, proposal_id)
    if proposal is None:
        raise ResearchError("there is no proposal #{proposal_id}", proposal_id=proposal_id)
    if proposal.status != "pending":
        raise ResearchError("proposal #{proposal_id} is already {status}",
                            proposal_id=proposal_id, status=Term(STATUS[proposal.status]))
    return proposal


async def merge_proposal(ctx: Ctx, proposal_id: int, project_id: int, *, actor: str = "cli") -> None:
    proposal = await pending_proposal(ctx.conn, proposal_id)
    project = await project_or_fail(ctx.conn, project_id)
    if project.status != "open":
        raise ResearchError("project #{project_id} has delivered its paper", project_id=project_id)
    if project.committee_code != proposal.committee_code:
        raise ResearchError("project #{project_id} belongs to another committee", project_id=project_id)
    await _tell_proposer(ctx, proposal.id, project.id, "merged", actor)


async def decline_proposal(ctx: Ctx, proposal_id: int, reason: str, *, actor: str = "cli") -> None:
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ResearchError("declining needs a reason (at most 500 characters)")
    proposal = await pending_proposal(ctx.conn, proposal_id)
    await _tell_proposer(ctx, proposal.id, None, "declined", actor, reason=reason)


# --- the room ----------------------------------------------------------------------------------------

def room_name(project_id: int) -> str:
    return f"research:{project_id}"


async def room_key(conn, project_id: int, now, *, hours: int, actor: str = "cli") -> str:
    """A one-time key for the project's group or forum topic (``/bind KEY`` there): findings and
    the paper are posted in it."""
    project = await project_or_fail(conn, project_id)
    return await keys.make_bind_key(conn, room_name(project.id), "room", now, hours=hours,
                                    title_zh=f"调查研究·{project.title}"[:64],
                                    title_en=f"Research · {project.title}"[:64], actor=actor)
