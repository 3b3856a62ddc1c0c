"""Inbound limits: one person's flood must not cost everybody else their answers.

- Each person has ``user_messages_per_minute`` (20) answered commands, button presses and
  messages outside a conversation a minute. The first message past it gets one polite notice (a
  member, in a private chat); the rest stay in the inbox as received, unanswered, until the
  minute is over. A press is always answered, since the client spins until it is, but with a
  short "slow down" only: a flood of presses edits no card.
- What a member types into a conversation (a draft's text, its files, an answer to a liaison) is
  never held back: it is their report, each message is kept in the draft as it comes, and a step
  answers once per message anyway.
- A stranger is refused once an hour at most; steering someone out of a group (a command that
  belongs in a private chat, /bind by a non-administrator) happens once an hour per person and
  group at most. Group chatter without a command is not counted: the bot never answers it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from handlers.core.context import Ctx
from storage import floods

log = logging.getLogger("linkage.flood")

MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)
REFUSAL, STEER = "refusal", "steer"  # the answers given once an hour at most


async def admit(ctx: Ctx, *, in_conversation: bool) -> bool:
    """False when the event is past its sender's limit: it gets no answer and has no effect.
    ``in_conversation``: a plain private message from a member in a conversation (never held back)."""
    if not _counted(ctx, in_conversation):
        return True
    limit = ctx.config.user_messages_per_minute
    hits = await floods.hit(ctx.conn, f"minute:{ctx.event.user_id}", ctx.now, MINUTE)
    if hits <= limit:
        return True
    first_past = hits == limit + 1
    if first_past:  # once per window: the log shows a flood, not each of its messages
        log.warning("inbound limit reached", extra={"user_id": ctx.event.user_id, "limit": limit})
    if ctx.event.kind == "callback":
        await ctx.answer(ctx.t.plain("Too many presses at once. Please try again in a minute."))
    elif first_past and ctx.event.is_private and ctx.member is not None:
        await ctx.reply(ctx.t("You have sent more than {count} messages within a minute. Please slow down: "
                              "I will not answer what you send during the next minute; after that, please "
                              "send again whatever still needs an answer.", count=limit))
    return False


async def first_in_an_hour(ctx: Ctx, answer: str) -> bool:
    """Whether the sender may get ``answer`` in this chat now: only the first time within an hour."""
    key = f"{answer}:{ctx.event.chat_id}:{ctx.event.user_id}"
    return await floods.hit(ctx.conn, key, ctx.now, HOUR) == 1


def _counted(ctx: Ctx, in_conversation: bool) -> bool:
    event = ctx.event
    if event.user_id is None or event.sender_is_chat:
        return False  # an anonymous group administrator speaks for the group
    if event.kind == "callback" or event.command:
        return True
    if event.is_group:
        return False  # conversation among people
    return not in_conversation
