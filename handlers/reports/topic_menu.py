"""The submit flow's first step, on screens a member can take in: a domain (民生保障, 交通出行 …),
then one of its topics, then tags (适老, 助残 …) the report also concerns. Every screen has at most
10 buttons (seeds/loader.py keeps the seeds within that); 其他 is on every screen and the topic
screen goes back to the domains. Codes come back in button data, so each is checked against
the database and its screen: a forged or stale code is refused."""

from __future__ import annotations

from handlers.core import flows
from handlers.core.context import Ctx
from handlers.core.flows import STAY, Step
from handlers.core.i18n import N_
from storage import reference
from storage.conversations import Conversation

OTHER = "other"  # the domain and the topic 其他
BACK, DONE, SKIP = "back", "done", "skip"  # not codes: no domain, topic or tag may be named so


async def _domains(ctx: Ctx, conv: Conversation) -> flows.Choices:
    rows = [(reference.name(d, ctx.t.lang), d.code) for d in await reference.all_domains(ctx.conn)]
    return flows.grid(rows, 2)


async def _choose_domain(ctx: Ctx, conv: Conversation, code: str) -> bool:
    if await reference.domain(ctx.conn, code) is None:
        return False
    # 其他 holds the one topic 其他: no second screen for it
    conv.data.update(domain=code, topic=OTHER if code == OTHER else None)
    return True


async def _topic_prompt(ctx: Ctx, conv: Conversation) -> str:
    domain = await reference.domain(ctx.conn, conv.data["domain"])
    return ctx.t("<b>Step 1.</b> {domain}: which topic? If none fits, choose Other.",
                 domain=reference.name(domain, ctx.t.lang))


async def _topics(ctx: Ctx, conv: Conversation) -> flows.Choices:
    t = ctx.t
    rows = [(reference.name(tp, t.lang), tp.code) for tp in await reference.topics_of(ctx.conn, conv.data["domain"])
            if tp.code != OTHER]
    other = await reference.topic(ctx.conn, OTHER)
    return [*flows.grid(rows, 2), [(reference.name(other, t.lang), OTHER), (t.plain("« All fields"), BACK)]]


async def _choose_topic(ctx: Ctx, conv: Conversation, code: str) -> bool:
    if code == BACK:
        conv.data.update(domain=None, topic=None)
        return True
    topic = await reference.topic(ctx.conn, code)
    if topic is None or (code != OTHER and topic.domain != conv.data.get("domain")):
        return False  # a forged code, or a topic of another screen
    conv.data["topic"] = code
    return True


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
    """The domain, topic and tag steps; ``then``: the step after them."""
    return [
        Step("domain", N_("<b>Step 1.</b> Which field does your social-opinion information concern? "
                          "(/cancel stops at any step)"),
             choices=_domains, on_choice=_choose_domain,
             next=lambda conv: "tags" if conv.data.get("topic") else "topic"),
        Step("topic", _topic_prompt, choices=_topics, on_choice=_choose_topic,
             next=lambda conv: "tags" if conv.data.get("topic") else "domain"),
        Step("tags", N_("Does it also concern any of these? Choose all that apply, then press Done; "
                        "or press Skip."),
             choices=_tags, on_choice=_toggle_tag, skip=_has_no_tags, next=then),
    ]


async def tag_names(conn, codes, lang: str) -> str:
    """The tags' names as a member reads them, in the tags' order."""
    rows = [tag for tag in await reference.all_tags(conn) if tag.code in set(codes or ())]
    return "、".join(reference.name(tag, lang) for tag in rows)
