"""What the research modules share: the buttons, the steps of a project, who may direct one, the
refusals, and the call card every member gets."""

from __future__ import annotations

import html

from handlers.core import flows, roles
from handlers.core.buttons import ButtonData, Optional
from handlers.core.context import Buttons, Ctx
from handlers.core.errors import AdminError
from handlers.core.i18n import N_, translator
from handlers.core.localtime import shown
from storage import deliberation as committee_store
from storage import outbox, people, reference
from storage import research as store
from storage.conversations import Conversation

# a member's and a director's presses: id is a project's (join, decline, finding, progress, paper, visit) or a
# proposal's (accept, merge, refuse); propose and open take none
ACT = ButtonData("rs", action=("propose", "open", "join", "decline", "finding", "progress", "paper", "visit",
                               "accept", "merge", "refuse"), id=Optional(int))
MERGE_INTO = ButtonData("rsm", proposal=int, project=int)  # merge a proposal into this project
MILESTONE = ButtonData("rsd", milestone=int)  # the director marks a step done

STEPS = ("select", "visit", "exchange")  # the steps of theme-education research (seed lines 1382–1400)
STEP_LABELS = {"select": N_("Choosing the research subject (选准课题)"),
               "visit": N_("Field visits (深入调研走访)"),
               "exchange": N_("Sharing the results (交流调研成果)")}
TITLE_LIMIT = 60
TEXT_LIMIT = 2000
MAX_QUESTIONS = 10
QUESTION_LIMIT = 200
DIRECTORS_ONLY = N_("Only the committee's staff or the office can do this.")
NOT_OPEN = N_("This project is no longer taking part: its research paper has been delivered.")
GONE = N_("This button is not valid.")
OFFICE = "office"  # a proposal's or project's committee choice meaning 委员学习和联络室
STATUS = {"pending": N_("waiting for the committee"), "accepted": N_("accepted as a project"),
          "merged": N_("merged into a project"), "declined": N_("not taken up")}  # a proposal's


class ResearchError(AdminError):
    """A research operation refused (the message says why, in English, for the command line)."""


def esc(text: str) -> str:
    return html.escape(text or "", quote=False)


def directs(member, project) -> bool:
    """May this member direct the project: its committee's staff, or an office admin."""
    return roles.runs_committee(member, project.committee_code)


def may_open(member) -> bool:
    return roles.is_admin(member) or roles.staff_committee(member) is not None


async def committee_name(conn, code: str | None, lang: str) -> str:
    t = translator(lang)
    if code is None:
        return t.plain(N_("the office (委员学习和联络室)"))
    rows = {row.code: row for row in await reference.rows_of(conn, "committee")}
    return reference.name(rows.get(code), lang) or code


async def project_or_fail(conn, project_id: int, *, lock: bool = False):
    row = await store.project(conn, project_id, lock=lock)
    if row is None:
        raise ResearchError("there is no research project #{project_id} (see: linkage research list)",
                            project_id=project_id)
    return row


def places_text(t, joined: int, capacity: int | None) -> str:
    if capacity is None:
        return t("👥 {joined} joined (no limit)", joined=joined)
    return t("👥 {joined} of {capacity} places taken", joined=joined, capacity=capacity)


async def milestone_lines(conn, t, project_id: int) -> list[str]:
    return [("✓ " if m.done_at else "○ ") + t("{step}: by {time}", step=t.plain(STEP_LABELS[m.step]),
                                                 time=shown(m.due_at))
            for m in await store.milestones(conn, project_id)]


async def call_card(conn, project, lang: str) -> tuple[str, Buttons]:
    """The call to take part (号召参与调研) every member gets, with 参加 / 不参加 while it is open."""
    t = translator(lang)
    lines = [t("🔎 <b>Research project</b> · {committee}", committee=await committee_name(
        conn, project.committee_code, lang)), f"<b>{esc(project.title)}</b>", "", esc(project.goal)]
    if project.questions:
        lines += ["", t("<b>What it sets out to find</b>")] + [f"{n}. {esc(q)}"
                                                              for n, q in enumerate(project.questions, 1)]
    lines += ["", t("<b>Steps</b>")] + await milestone_lines(conn, t, project.id)
    lines += ["", places_text(t, await store.joined_count(conn, project.id), project.capacity)]
    if project.status != "open":
        lines.append(t(NOT_OPEN))
        return "\n".join(lines), []
    return "\n".join(lines), [[(t.plain("🙋 Take part"), ACT.pack("join", project.id)),
                               (t.plain("Not this time"), ACT.pack("decline", project.id))]]


# --- a proposed direction's card, as the committee gets it ------------------------------------------

async def deciders(conn, committee_code: str | None) -> list:
    """Who decides on a proposal: the committee's staff; the office's admins for the office (or a
    committee with no staff on the bot)."""
    found = await committee_store.staff_of(conn, committee_code) if committee_code else []
    return found or await people.admins(conn)


async def proposal_card(conn, proposal, lang: str) -> tuple[str, Buttons]:
    t = translator(lang)
    author = await people.by_id(conn, proposal.member_id)
    lines = [t("💡 <b>Proposed research direction</b> #{id} · {committee}", id=proposal.id,
               committee=await committee_name(conn, proposal.committee_code, lang)),
             f"<b>{esc(proposal.title)}</b>" + (" 📎" if proposal.file_id else ""),
             t("Proposed by {name} ({roster})", name=author.name, roster=author.roster_id), "",
             t("<b>Why</b>"), esc(proposal.why), t("<b>What to find out</b>"), esc(proposal.questions)]
    if proposal.status != "pending":
        lines += ["", t(STATUS[proposal.status])]
        return "\n".join(lines), []
    return "\n".join(lines), [[(t.plain("✅ Accept as a project"), ACT.pack("accept", proposal.id))],
                              [(t.plain("🔗 Merge into a project"), ACT.pack("merge", proposal.id)),
                               (t.plain("✖ Decline"), ACT.pack("refuse", proposal.id))]]


def proposal_card_key(proposal_id: int, member_id: int) -> str:
    return f"research:p{proposal_id}:{member_id}"


async def refresh_proposal_cards(ctx, proposal_id: int) -> None:
    """Once a proposal is decided, every decider's copy shows the decision and loses its buttons."""
    proposal = await store.proposal(ctx.conn, proposal_id)
    members = await deciders(ctx.conn, proposal.committee_code)
    sent = await outbox.message_ids_for(ctx.conn, {proposal_card_key(proposal.id, m.id) for m in members})
    for member in members:
        key = proposal_card_key(proposal.id, member.id)
        if key in sent:
            text, buttons = await proposal_card(ctx.conn, proposal, member.language)
            await ctx.edit(member.telegram_user_id, {"$ref": key}, text, buttons=buttons)


async def choose_committee(ctx: Ctx, conv: Conversation, code: str) -> bool:
    """A flow's choice of the committee a proposal or project is for (or the office)."""
    if code != OFFICE and code not in {row.code for row in await reference.rows_of(ctx.conn, "committee")}:
        return False
    conv.data["committee"] = None if code == OFFICE else code
    return True


def take_text(key: str, limit: int):
    """A flow's text step that keeps at most ``limit`` characters under ``key``."""
    async def take(ctx: Ctx, conv: Conversation) -> bool:
        text = await flows.text_input(ctx)
        if text is None:
            return False
        if len(text) > limit:
            await ctx.reply(ctx.t("At most {limit} characters, please. Send a shorter one.", limit=limit))
            return False
        conv.data[key] = text
        return True
    return take
