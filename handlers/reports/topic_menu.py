"""The submit flow's first step, on screens a member can take in: a field (民生保障, 交通出行 …),
then one of its topics, then tags (适老, 助残 …) the report also concerns. Every screen has at most
10 buttons (seeds/loader.py keeps the seeds within that); 其他 is on every topic screen, which
also goes back to the fields. Instead of pressing, a member may type a word or two ("停车"): the
topics whose names (or whose field's name) share them are offered. Codes come back in button
data, so each is checked against the database and its screen: a forged or stale code is refused."""

from __future__ import annotations

import re

from handlers.core import flows
from handlers.core.context import Ctx
from handlers.core.flows import STAY, Step
from handlers.core.i18n import N_
from storage import reference
from storage.conversations import Conversation

OTHER = "other"  # the domain and the topic 其他
BACK, DONE, SKIP = "back", "done", "skip"  # not codes: no domain, topic or tag may be named so
FOUND = 8  # topics offered for typed words: with 其他 and back, one screen
_CJK = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[a-z0-9]{3,}")


def _after(conv: Conversation) -> str:
    """Where the first step goes next: the tags once a topic is chosen, else the screen the
    member's last answer opened (found topics, a field's topics, the fields)."""
    data = conv.data
    return "tags" if data.get("topic") else "found" if data.get("found") else "topic" if data.get("domain") \
        else "domain"


async def _domains(ctx: Ctx, conv: Conversation) -> flows.Choices:
    rows = [(reference.name(d, ctx.t.lang), d.code) for d in await reference.all_domains(ctx.conn)]
    return flows.grid(rows, 2)


async def _choose_domain(ctx: Ctx, conv: Conversation, code: str) -> bool:
    if await reference.domain(ctx.conn, code) is None:
        return False
    # 其他 holds the one topic 其他: no second screen for it
    conv.data.update(domain=code, topic=OTHER if code == OTHER else None, found=None)
    return True


async def _topic_prompt(ctx: Ctx, conv: Conversation) -> str:
    domain = await reference.domain(ctx.conn, conv.data["domain"])
    return ctx.t("<b>Step 1.</b> {domain}: which topic? If none fits, choose Other.",
                 domain=reference.name(domain, ctx.t.lang))


async def _screen(ctx: Ctx, topics) -> flows.Choices:
    """Topic buttons, then 其他 and back to the fields."""
    t = ctx.t
    other = await reference.topic(ctx.conn, OTHER)
    rows = [(reference.name(tp, t.lang), tp.code) for tp in topics if tp.code != OTHER]
    return [*flows.grid(rows, 2), [(reference.name(other, t.lang), OTHER), (t.plain("« All fields"), BACK)]]


async def _topics(ctx: Ctx, conv: Conversation) -> flows.Choices:
    return await _screen(ctx, await reference.topics_of(ctx.conn, conv.data["domain"]))


def _choose_from(offered) -> flows.ChoiceHandler:
    """A press on a topic screen: one of the topics it offers (``offered(ctx, conv)``), 其他, or back."""
    async def choose(ctx: Ctx, conv: Conversation, code: str) -> bool:
        if code == BACK:
            conv.data.update(domain=None, topic=None, found=None)
            return True
        if code != OTHER and code not in await offered(ctx, conv):
            return False  # a forged code, or a topic of another screen
        conv.data["topic"] = code
        return True
    return choose


async def _domain_topics(ctx: Ctx, conv: Conversation) -> set[str]:
    return {tp.code for tp in await reference.topics_of(ctx.conn, conv.data.get("domain") or "")}


async def _found_topics(ctx: Ctx, conv: Conversation) -> set[str]:
    return set(conv.data.get("found") or ())


def _terms(text: str) -> set[str]:
    """What typed words and names are compared by: pairs of Chinese characters, Latin words."""
    text = text.casefold()
    pairs = {run[i:i + 2] for run in _CJK.findall(text) for i in range(max(len(run) - 1, 1))}
    return pairs | set(_WORD.findall(text))


async def _find(ctx: Ctx, conv: Conversation) -> bool:
    """Typed words instead of a press: offer the topics that share most of them."""
    text = await flows.text_input(ctx)
    if text is None:
        return False
    wanted = _terms(text)
    domains = {d.code: d for d in await reference.all_domains(ctx.conn)}
    scored = []
    for tp in await reference.all_topics(ctx.conn):
        field = domains.get(tp.domain)
        score = 2 * len(wanted & _terms(f"{tp.name_zh} {tp.name_en}"))  # the topic's own name counts most
        score += len(wanted & _terms(f"{field.name_zh} {field.name_en}")) if field else 0
        if score and tp.code != OTHER:
            scored.append((-score, tp.position, tp.code))
    if not scored:
        await ctx.reply(ctx.t("No topic matches those words. Please choose a field above, or try other words."))
        return False
    conv.data.update(found=[code for *_, code in sorted(scored)[:FOUND]], query=text[:30], topic=None)
    return True


async def _found_prompt(ctx: Ctx, conv: Conversation) -> str:
    return ctx.t("<b>Step 1.</b> Topics that match “{words}”: choose one, or Other, or go back to all fields.",
                 words=conv.data["query"])


async def _found(ctx: Ctx, conv: Conversation) -> flows.Choices:
    by_code = {tp.code: tp for tp in await reference.all_topics(ctx.conn)}
    return await _screen(ctx, [by_code[code] for code in conv.data["found"] if code in by_code])


async def _tags(ctx: Ctx, conv: Conversation) -> flows.Choices:
    t = ctx.t
    chosen = set(conv.data.get("tags", []))
    rows = [(("✓ " if tag.code in chosen else "") + reference.name(tag, t.lang), tag.code)
            for tag in await reference.all_tags(ctx.conn)]
    return [*flows.grid(rows, 2), [(t.plain("Done"), DONE), (t.plain("Skip"), SKIP)]]


async def _toggle_tag(ctx: Ctx, conv: Conversation, code: str):
    if code in (DONE, SKIP):
        if code == SKIP:
            conv.data["tags"] = []
        return True
    if await reference.tag(ctx.conn, code) is None:
        return False
    chosen = conv.data.setdefault("tags", [])
    if code in chosen:
        chosen.remove(code)
    else:
        chosen.append(code)
    return STAY  # the same screen again, with the tick moved


async def _has_no_tags(ctx: Ctx, conv: Conversation) -> bool:
    """Nothing to ask while the office has no tags."""
    return not await reference.all_tags(ctx.conn)


def steps(then: str) -> list[Step]:
    """The field, topic (or found topics) and tag steps; ``then``: the step after them."""
    return [
        Step("domain", N_("<b>Step 1.</b> Which field does your social-opinion information concern? You may "
                          "also type a word or two, such as 停车 or 养老, to find the topic. (/cancel stops at "
                          "any step)"),
             choices=_domains, on_choice=_choose_domain, on_text=_find, next=_after),
        Step("topic", _topic_prompt, choices=_topics, on_choice=_choose_from(_domain_topics), on_text=_find,
             next=_after),
        Step("found", _found_prompt, choices=_found, on_choice=_choose_from(_found_topics), on_text=_find,
             next=_after),
        Step("tags", N_("Does it also concern any of these? Choose all that apply, then press Done; "
                        "or press Skip."),
             choices=_tags, on_choice=_toggle_tag, skip=_has_no_tags, next=then),
    ]


async def tag_names(conn, codes, lang: str) -> str:
    """The tags' names as a member reads them, in the tags' order."""
    rows = [tag for tag in await reference.all_tags(conn) if tag.code in set(codes or ())]
    return "、".join(reference.name(tag, lang) for tag in rows)
