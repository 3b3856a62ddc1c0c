"""``/points``: the member's total of this year, their last entries with the reasons, and — only
if they opted in — their rank among the members of their district (the office's board ranks
everyone; other members never see anyone's points). The opt-in button acts on the presser only."""

from __future__ import annotations

import html

from handlers.core.buttons import ButtonData
from handlers.core.context import Ctx
from handlers.core.i18n import N_, translator
from handlers.core.localtime import local, local_day
from handlers.points import ledger
from storage import points as store
from storage import reference

RANK = ButtonData("pts", rank=("on", "off"))  # show my rank in my district, or stop (on a /points answer)
SHOWN = 10
KIND_NOTES = {store.CAPPED: N_("monthly cap reached"), store.GIVEN_BACK: N_("given back"),
              store.CORRECTION: N_("correction by the office")}


def rule_label(rules: dict, key: str, lang: str) -> str:
    rule = rules.get(key)
    if rule is None:
        return translator(lang).plain("Correction") if key == ledger.CORRECTION_RULE else key
    return rule.label_zh if lang == "zh" else rule.label_en


def entry_reason(entry, rules: dict, lang: str) -> str:
    """Why an entry is there, as the member reads it: the rule, the reason, a note (plain text)."""
    t = translator(lang)
    note = f"({t.plain(KIND_NOTES[entry.kind])})" if entry.kind in KIND_NOTES else ""
    label = "" if entry.kind == store.CORRECTION else rule_label(rules, entry.rule_key, lang)
    return " ".join(part for part in (label, entry.reason, note) if part)


def entry_line(entry, rules: dict, lang: str) -> str:
    return f"{local(entry.occurred_at):%m-%d} {entry.amount:+d} {entry_reason(entry, rules, lang)}"


async def district_rank(conn, member, start, end) -> tuple[int, int]:
    """(rank, of how many) among the active members of the member's district (city-level members
    without one: among those)."""
    peers = [row for row in await store.standings(conn, start, end)
             if row.district_code == member.district_code
             and (member.district_code is not None or row.level == member.level)]
    mine = next((row.total for row in peers if row.id == member.id), 0)
    return 1 + sum(row.total > mine for row in peers), len(peers)


async def render(ctx: Ctx) -> tuple[str, list]:
    conn, member, t, lang = ctx.conn, ctx.member, ctx.t, ctx.member.language
    year = local_day(ctx.now).year
    start, end = ledger.year_of(year)
    rules = await store.rules(conn)
    lines = [t("⭐ <b>Your points in {year}: {total}</b>", year=year,
               total=await store.total(conn, member.id, start, end))]
    entries = await store.of_member(conn, member.id, start=start, end=end, limit=SHOWN)
    if entries:
        lines += ["", t("Latest entries:")] + [html.escape(entry_line(e, rules, lang)) for e in entries]
    else:
        lines += ["", t("No points yet this year: reports that reach a liaison, co-signatures, outcomes and "
                        "study sessions attended earn them.")]
    opted_in = await store.rank_opted_in(conn, member.id)
    if opted_in:
        rank, count = await district_rank(conn, member, start, end)
        place = await reference.name_of(conn, reference.district, member.district_code, lang) \
            if member.district_code else t.plain("city-level members")
        lines += ["", t("Your rank among {place}: {rank} of {count}.", place=place, rank=rank, count=count)]
        button = (t.plain("Hide my rank"), RANK.pack("off"))
    else:
        lines += ["", t("Your rank is shown only to you, and only if you choose to see it.")]
        button = (t.plain("Show my rank"), RANK.pack("on"))
    return "\n".join(lines), [[button]]


async def cmd_points(ctx: Ctx) -> None:
    await ledger.collect(ctx.conn, ctx.features, ctx.now)
    text, buttons = await render(ctx)
    await ctx.send(ctx.event.chat_id, text, buttons=buttons, key=store.message_key(ctx.member.id, ctx.event.update_id))


async def on_rank(ctx: Ctx, fields: dict) -> None:
    """Opt in or out of seeing one's rank: the presser's own choice, nobody else's, and only on
    a /points answer of theirs (a press forged onto another message is refused)."""
    if not await store.is_points_message(ctx.conn, ctx.member.id, ctx.event.message_id):
        await ctx.answer(ctx.t.plain(RANK.refusal), alert=True)
        return
    await store.set_rank_opt_in(ctx.conn, ctx.member.id, fields["rank"] == "on")
    text, buttons = await render(ctx)
    await ctx.answer()
    await ctx.edit(ctx.event.chat_id, ctx.event.message_id, text, buttons=buttons)


async def personal_data(conn, member) -> dict:
    rules = await store.rules(conn)
    return {"points": {"rank_shown_to_me": await store.rank_opted_in(conn, member.id),
                       "ledger": [{"at": e.occurred_at, "points": e.amount, "kind": e.kind,
                                   "rule": rule_label(rules, e.rule_key, member.language), "reason": e.reason}
                                  for e in reversed(await store.of_member(conn, member.id))]}}
