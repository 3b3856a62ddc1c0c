"""Proposing a direction (提出调研方向): any member, from ``/research`` — to which committee (or the
office) → title → why → what to find out → an optional photo or document → confirm. The
committee's staff (the office's admins for the office) get a card: ✅ accept as a project (the
opening flow, filled in from the proposal), 🔗 merge into one of its open projects, ✖ decline with
a reason the member is told. Every press checks the role again."""

from __future__ import annotations

from handlers.core import flows, roles
from handlers.core.buttons import ButtonData
from handlers.core.context import Ctx, clip
from handlers.core.flows import Step
from handlers.core.i18n import N_
from handlers.research import director, projects
from handlers.research.common import (choose_committee, take_text, DIRECTORS_ONLY, GONE, MERGE_INTO, OFFICE, STATUS, TEXT_LIMIT, TITLE_LIMIT,
                                      ResearchError, committee_name, deciders, esc, proposal_card, proposal_card_key)
from storage import conversations, reference
from storage import research as store
from storage.conversations import Conversation

STEP = ButtonData("rsp", refusal=N_("This button is no longer valid."), step=("committee", "file", "confirm"),
                  value=str)
DECLINE_FLOW = "research_decline"


async def start(ctx: Ctx, fields: dict) -> None:
    await PROPOSE.prompt(ctx, await flows.suspend_into(ctx, PROPOSE.name, "committee", {}))
    await ctx.answer()


async def _committees(ctx: Ctx, conv: Conversation):
    rows = await reference.rows_of(ctx.conn, "committee")
    choices = [(clip(reference.name(row, ctx.t.lang), 30), row.code) for row in rows]
    return flows.grid(choices, 2) + [[(await committee_name(ctx.conn, None, ctx.t.lang), OFFICE)]]


async def _take_file(ctx: Ctx, conv: Conversation) -> bool:
    return await flows.take_photo_or_document(ctx, conv, PROPOSE)


async def _preview(ctx: Ctx, conv: Conversation) -> str:
    t, d = ctx.t, conv.data
    return "\n".join([t("<b>Preview</b> · to {committee}", committee=await committee_name(ctx.conn, d["committee"],
                                                                                          t.lang)),
                      f"<b>{esc(d['title'])}</b>" + (" 📎" if d.get("file") else ""),
                      t("<b>Why</b>"), esc(d["why"]), t("<b>What to find out</b>"), esc(d["questions"])])


async def _send(ctx: Ctx, conv: Conversation) -> bool:
    t, d = ctx.t, conv.data
    await flows.resume(ctx, conv)
    file = d.get("file") or {}
    proposal_id = await store.add_proposal(ctx.conn, member_id=ctx.member.id, committee_code=d["committee"],
                                           title=d["title"], why=d["why"], questions=d["questions"],
                                           file_id=file.get("file_id"), file_kind=file.get("kind"), status="pending",
                                           created_at=ctx.now)
    await send_to_committee(ctx, await store.proposal(ctx.conn, proposal_id))
    await ctx.reply(t("✅ Your proposed direction #{id} went to {committee}; you will be told what they decide.",
                      id=proposal_id, committee=await committee_name(ctx.conn, d["committee"], t.lang)))
    return True


PROPOSE = flows.Flow("research_propose", STEP, [
    Step("committee", N_("<b>Propose a research direction.</b> Which committee should take it up? /cancel stops."),
         choices=_committees, on_choice=choose_committee, next="title"),
    Step("title", N_("Send the direction's title (at most 60 characters)."), on_text=take_text("title", TITLE_LIMIT),
         next="why"),
    Step("why", N_("Why is it worth researching? Send a few sentences."), on_text=take_text("why", TEXT_LIMIT),
         next="questions"),
    Step("questions", N_("What should the research find out? One question a line."),
         on_text=take_text("questions", TEXT_LIMIT), next="file"),
    Step("file", N_("Add a photo or a document if you like, or press Skip."),
         choices=[[(N_("⏭ Skip"), "skip")]], on_text=_take_file, next="confirm"),
    flows.confirm_step("confirm", _preview, (N_("✅ Send"), "send"), _send, cancelled=N_("Nothing was sent.")),
], stale=N_("This button is no longer valid."))


async def on_step(ctx: Ctx, fields: dict) -> None:
    await PROPOSE.on_button(ctx, fields)


async def on_text(ctx: Ctx, conv: Conversation) -> None:
    await PROPOSE.on_message(ctx, conv)


# --- the committee's card ------------------------------------------------------------------------------

async def send_to_committee(ctx: Ctx, proposal) -> int:
    people_ = await deciders(ctx.conn, proposal.committee_code)
    for member in people_:
        text, buttons = await proposal_card(ctx.conn, proposal, member.language)
        await ctx.send(member.telegram_user_id, text, buttons=buttons, key=proposal_card_key(proposal.id, member.id))
        if proposal.file_id:
            method, field = ("sendPhoto", "photo") if proposal.file_kind == "photo" else ("sendDocument", "document")
            await ctx.call(method, {"chat_id": member.telegram_user_id, field: proposal.file_id},
                           chat_id=member.telegram_user_id)
    return len(people_)


async def _decidable(ctx: Ctx, proposal_id: int):
    """The pending proposal if the presser decides for its committee; None after answering why."""
    proposal = await store.proposal(ctx.conn, proposal_id) if proposal_id else None
    if proposal is None:
        await ctx.answer(ctx.t.plain(GONE), alert=True)
        return None
    if not roles.runs_committee(ctx.member, proposal.committee_code):
        await ctx.answer(ctx.t.plain(DIRECTORS_ONLY), alert=True)
        return None
    if proposal.status != "pending":
        await ctx.answer(ctx.t.plain("This proposal has already been decided: {status}.",
                                     status=ctx.t.plain(STATUS[proposal.status])), alert=True)
        return None
    return proposal


async def accept(ctx: Ctx, fields: dict) -> None:
    proposal = await _decidable(ctx, fields["id"])
    if proposal is not None:
        await director.start_from_proposal(ctx, proposal)
        await ctx.answer()


async def merge(ctx: Ctx, fields: dict) -> None:
    """🔗: the committee's open projects as buttons."""
    proposal = await _decidable(ctx, fields["id"])
    if proposal is None:
        return
    open_ = [p for p in await store.projects(ctx.conn, ("open",)) if p.committee_code == proposal.committee_code]
    if not open_:
        await ctx.answer(ctx.t.plain("The committee has no open project to merge it into."), alert=True)
        return
    await ctx.reply(ctx.t("Merge «{title}» into which project?", title=proposal.title),
                    buttons=[[(clip(f"#{p.id} {p.title}", 60), MERGE_INTO.pack(proposal.id, p.id))]
                             for p in open_[:10]])
    await ctx.answer()


async def merge_into(ctx: Ctx, fields: dict) -> None:
    proposal = await _decidable(ctx, fields["proposal"])
    if proposal is None:
        return
    try:
        await projects.merge_proposal(ctx, proposal.id, fields["project"], actor=f"member:{ctx.member.id}")
    except ResearchError:
        await ctx.answer(ctx.t.plain(GONE), alert=True)
        return
    project = await store.project(ctx.conn, fields["project"])
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id,
                   ctx.t("🔗 Merged into #{id} «{title}»; the member was told.", id=project.id, title=project.title))
    await ctx.answer()


async def refuse(ctx: Ctx, fields: dict) -> None:
    proposal = await _decidable(ctx, fields["id"])
    if proposal is not None:
        await flows.suspend_into(ctx, DECLINE_FLOW, "reason", {"proposal": proposal.id})
        await ctx.reply(ctx.t("Why is «{title}» not taken up? Send the reason; the member is told it. /cancel stops.",
                              title=proposal.title))
        await ctx.answer()


async def on_decline_text(ctx: Ctx, conv: Conversation) -> None:
    proposal = await store.proposal(ctx.conn, conv.data["proposal"])
    if not roles.runs_committee(ctx.member, proposal.committee_code):
        await conversations.clear(ctx.conn, ctx.event.user_id)
        await ctx.reply(ctx.t(DIRECTORS_ONLY))
        return
    reason = await flows.text_input(ctx)
    if reason is None:
        return
    if len(reason) > 500:
        await ctx.reply(ctx.t("At most {limit} characters, please. Send a shorter one.", limit=500))
        return
    await flows.resume(ctx, conv)
    try:
        await projects.decline_proposal(ctx, proposal.id, reason, actor=f"member:{ctx.member.id}")
    except ResearchError:
        await ctx.reply(ctx.t("This proposal has already been decided: {status}.",
                              status=ctx.t.plain(STATUS[proposal.status])))
        return
    await ctx.reply(ctx.t("Declined; the member was told the reason."))
