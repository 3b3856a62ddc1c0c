"""Recording a step of a report's outcome chain, in the liaison's private chat: the kind
(采用, 报送, 批示, 转办, 反馈 …), then its detail by buttons (the body, the leader's level, the
department), then the note for the member — typed, or one of the office's reply templates used
as it is (each shown as a copyable block to edit and send instead). The liaison's card buttons
and checks are liaison.py's; what a chain says is chain.py's."""

from __future__ import annotations

import html

from handlers.core.buttons import ButtonData, db_id
from handlers.core.context import Buttons, Ctx
from handlers.core.flows import grid
from handlers.core.i18n import N_, translator
from handlers.reports import chain, lifecycle, transitions
from storage import conversations, people, reference
from storage import departments as department_store
from storage import items as item_store
from storage import outcomes as outcome_store
from storage.conversations import Conversation

# A press in the outcome steps: the kind, its detail, or a template to use as it is (also in replies).
STEP = ButtonData("lo", refusal=N_("This button belongs to an earlier step. Please use the latest message."),
                  verb=("kind", "detail", "template"), item=int, target=int, value=str)
NOTE_PROMPT = N_("Type a short note for the member about this outcome.")


def next_kinds(item) -> list[str]:
    """The kinds a liaison may record now: any before the first outcome; after one, the chain's
    next steps (a report already decided does not go back to being handled)."""
    if item.status in item_store.RESOLVED:
        return [k for k in chain.OUTCOME_LABELS if k in item_store.RESOLVED]
    return list(chain.OUTCOME_LABELS)


async def kind_prompt(ctx: Ctx, item, target) -> tuple[str, Buttons]:
    t = ctx.t
    text = t("Which outcome for {code}?", code=item.code)
    so_far = await chain.card_line(ctx.conn, item, t.lang)
    if so_far:
        text += "\n" + so_far
    choices = [(t.plain(chain.OUTCOME_LABELS[kind]), STEP.pack("kind", item.id, target.id, kind))
               for kind in next_kinds(item)]
    return text, grid(choices, 2)


async def _detail_choices(ctx: Ctx, item, kind: str) -> list[tuple[str, str]]:
    """(label, value) of each detail the kind may take: a forged value is not among them."""
    t = ctx.t
    what = chain.DETAIL[kind]
    if what == "body":
        return [(t.plain(label), code) for code, label in chain.BODIES.items()]
    if what == "level":
        return [(t.plain(label), code) for code, label in chain.LEVELS.items()]
    if kind == "feedback":  # feedback comes from where the report was transferred, when it was
        sent = {s.department_id for s in await outcome_store.chain(ctx.conn, item.id) if s.kind == "transferred"}
        rows = [d for d in await department_store.listed(ctx.conn, active_only=False) if d.id in sent]
        if rows:
            return [(reference.name(d, t.lang), str(d.id)) for d in rows]
    return [(reference.name(d, t.lang), str(d.id)) for d in await department_store.for_district(
        ctx.conn, item.district_code)]


DETAIL_PROMPTS = {"body": N_("{code}: reported up to which body?"),
                  "level": N_("{code}: an instruction at which level?"),
                  "department": N_("{code}: which department (承办单位)?")}


async def on_kind(ctx: Ctx, conv: Conversation, item, target, kind: str) -> bool:
    """The kind chosen: ask for its detail, or straight for the note. False: not a kind offered."""
    if kind not in next_kinds(item):
        return False
    conv.data["outcome"] = kind
    for key in ("body", "level", "department"):
        conv.data.pop(key, None)
    if kind in chain.DETAIL:
        choices = await _detail_choices(ctx, item, kind)
        if not choices:
            await ctx.reply(ctx.t("No department is listed yet; the office adds them with `linkage department add`."))
            return True
        conv.step = "detail"
        await conversations.save(ctx.conn, conv, ctx.now)
        buttons = grid([(label, STEP.pack("detail", item.id, target.id, value)) for label, value in choices], 2)
        await ctx.reply(ctx.t(DETAIL_PROMPTS[chain.DETAIL[kind]], code=item.code), buttons=buttons)
        return True
    conv.step = "outcome"
    await conversations.save(ctx.conn, conv, ctx.now)
    await ask_note(ctx, item, target, kind)
    return True


async def on_detail(ctx: Ctx, conv: Conversation, item, target, value: str) -> bool:
    kind = conv.data.get("outcome")
    if kind not in chain.DETAIL or value not in {v for _, v in await _detail_choices(ctx, item, kind)}:
        return False
    what = chain.DETAIL[kind]
    conv.data[what] = db_id(value) if what == "department" else value
    conv.step = "outcome"
    await conversations.save(ctx.conn, conv, ctx.now)
    await ask_note(ctx, item, target, kind)
    return True


async def ask_note(ctx: Ctx, item, target, kind: str) -> None:
    text, buttons = await with_templates(ctx, item, target, kind, ctx.t(NOTE_PROMPT))
    await ctx.reply(text, buttons=buttons)


def fill(template: str, code: str) -> str:
    return template.replace("{code}", code)  # only {code}: any other braces are the office's text


async def with_templates(ctx: Ctx, item, target, kind: str, prompt: str) -> tuple[str, Buttons | None]:
    """The prompt, and the office's templates for this kind and topic below it: each as a block the
    liaison can copy and edit, with a button that sends it as it is."""
    t = ctx.t
    rows = await outcome_store.templates_for(ctx.conn, kind, item.topic_code)
    if not rows:
        return prompt, None
    lines = [prompt, "", t("📋 Templates: press a button to send one as it is, or copy it, edit it and send "
                           "your own version.")]
    buttons = []
    for number, row in enumerate(rows, start=1):
        lines.append(f"{number}. <code>{html.escape(fill(row.text, item.code))}</code>")
        buttons.append((t.plain("📋 Use template {number}", number=number),
                        STEP.pack("template", item.id, target.id, row.id)))
    return "\n".join(lines), [buttons]


async def template_text(conn, item, kind: str, value: str) -> str | None:
    """A template's text for this report, or None when it is not one offered for it (forged, stale)."""
    template_id = db_id(value)
    row = await outcome_store.template(conn, template_id) if template_id is not None else None
    if row is None or row.kind != kind or row.topic_code not in (None, item.topic_code):
        return None
    return fill(row.text, item.code)


async def record(ctx: Ctx, item, target, data: dict, note: str) -> None:
    """Append the step to the chain, move the item to the state it brings, tell the member."""
    kind = data["outcome"]
    await outcome_store.add_step(ctx.conn, item.id, kind, ctx.now, actor_id=ctx.member.id, body=data.get("body"),
                                 level=data.get("level"), department_id=data.get("department"), note=note)
    await transitions.move(ctx, item, kind, "outcome", actor_id=ctx.member.id, target_id=target.id,
                           reason=note, outcome=kind)
    steps = await outcome_store.chain(ctx.conn, item.id)
    author = await people.by_id(ctx.conn, item.author_id)
    lang = translator(author.language).lang
    await lifecycle.notify_author(ctx, item, N_("🏁 Outcome for {code}: {outcome}. {note}"),
                                  outcome=chain.step_label(steps[-1], lang), note=note)
    await ctx.reply(ctx.t("Outcome recorded for {code}: {chain}", code=item.code,
                          chain=chain.chain_text(steps, ctx.t.lang)))
