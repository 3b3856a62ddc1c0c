"""Co-signers (联名, PRODUCT.md §2). In the submit flow the author may name up to five fellow
members by roster number or exact name; after the submit each is asked in their private chat to
co-sign or decline, the author is told every answer, and the cards show who co-signed — for a
report not under the author's name only how many, so co-signers never hint at the author.
Those named see the author's name and the report: the step says so before anyone is named."""

from __future__ import annotations

import re

from handlers.reports import lifecycle
from handlers.core.buttons import ButtonData
from handlers.core.context import Ctx
from handlers.core.i18n import N_, translator
from storage import cosign as store
from storage import items as item_store
from storage import people

MAX_COSIGNERS = 5
SEPARATORS = re.compile(r"[,，、;；\s]+")
ANSWER_LABELS = {"invited": N_("not answered yet"), "signed": N_("co-signed"), "declined": N_("declined")}


ANSWER = ButtonData("cs", answer=("y", "n"), item=int)  # co-sign or decline a report

async def parse(ctx: Ctx, text: str) -> tuple[list[int], list[str]]:
    """Member ids for the roster numbers or names typed, and what is wrong with them (said to the author)."""
    t = ctx.t
    refs = list(dict.fromkeys(ref for ref in SEPARATORS.split(text) if ref))
    if len(refs) > MAX_COSIGNERS:
        return [], [t("A report can have at most {count} co-signers.", count=MAX_COSIGNERS)]
    chosen, problems = [], []
    for ref in refs:
        member = await people.find(ctx.conn, ref[:64])
        if member is not None and member.id == ctx.member.id:
            problems.append(t("{ref}: that is you.", ref=ref))
        elif member is None or not member.active or member.telegram_user_id is None:
            # one answer for "not on the roster" and "not joined": the roster is not to be probed
            problems.append(t("{ref}: cannot be asked. Use the roster number (such as C002) or the exact "
                              "name of a member who uses Linkage.", ref=ref[:64]))
        elif member.id not in chosen:  # the same person by roster number and by name
            chosen.append(member.id)
    return chosen, problems


async def names(conn, member_ids: list[int]) -> list[str]:
    return [(await people.by_id(conn, member_id)).name for member_id in member_ids]


async def invite_all(ctx: Ctx, item_id: int, member_ids: list[int]) -> None:
    """Ask each co-signer, in their own language, after the report is stored."""
    if not member_ids:
        return
    await store.invite(ctx.conn, item_id, member_ids, ctx.now)
    item = await item_store.by_id(ctx.conn, item_id)
    for member_id in member_ids:
        member = await people.by_id(ctx.conn, member_id)
        t = translator(member.language)
        body = await lifecycle.render_body(ctx.conn, item, t.lang, for_author=True)
        await ctx.send(member.telegram_user_id,
                       t("✍ {author} asks you to co-sign (联名) this report:", author=ctx.member.name) + "\n\n" + body,
                       buttons=[[(t.plain("✍ Co-sign"), ANSWER.pack("y", item_id)),
                                 (t.plain("Decline"), ANSWER.pack("n", item_id))]])


async def on_button(ctx: Ctx, fields: dict) -> None:
    t = ctx.t
    answer = fields["answer"]
    item = await item_store.by_id(ctx.conn, fields["item"])
    asked = {r.member_id: r for r in await store.of_item(ctx.conn, item.id)} if item is not None else {}
    if ctx.member.id not in asked:
        await ctx.answer(t.plain("This button is not valid."), alert=True)
        return
    if item.status not in item_store.OPEN:
        await ctx.answer(t.plain("This report is already decided or closed, so co-signing has ended."), alert=True)
        return
    status = "signed" if answer == "y" else "declined"
    if not await store.answer(ctx.conn, item.id, ctx.member.id, status, ctx.now):
        await ctx.answer(t.plain("You already answered: {answer}.", answer=t.plain(
            ANSWER_LABELS[asked[ctx.member.id].status])), alert=True)
        return
    await ctx.answer(t.plain("Thank you: you co-signed {code}.", code=item.code) if status == "signed"
                     else t.plain("You declined to co-sign {code}.", code=item.code))
    body = await lifecycle.render_body(ctx.conn, item, t.lang, for_author=True)
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, body + "\n\n" + t("Your answer: {answer}",
                                                                                answer=t(ANSWER_LABELS[status])))
    await lifecycle.notify_author(ctx, item, N_("{name} co-signed {code}.") if status == "signed"
                                  else N_("{name} declined to co-sign {code}."), name=ctx.member.name)
    if status == "signed":
        await lifecycle.refresh_cards(ctx, item.id)


async def personal_data(conn, member) -> dict:
    """For /mydata (handlers/privacy.py): the reports the member was asked to co-sign."""
    t = translator(member.language)
    return {"co_signing": [{"report": r.code, "answer": t.plain(ANSWER_LABELS[r.status]), "asked_at": r.invited_at,
                            "answered_at": r.answered_at} for r in await store.of_member(conn, member.id)]}

