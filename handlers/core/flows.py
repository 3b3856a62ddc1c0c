"""Conversations in a private chat. A guided flow is declared as a table of ``Step``s and run by
``Flow``; its state is a ``Conversation`` row, saved inside the update's transaction. Short
conversations that interrupt a longer one (an answer, an edit, a liaison's reply) keep the
unfinished draft and hand it back afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable, Mapping, Sequence, Union

from handlers.core.buttons import ButtonData
from handlers.core.context import Buttons, Ctx, shows_nothing, without_bidi_controls
from handlers.core.i18n import N_
from storage import conversations
from storage.conversations import Conversation

Choices = Sequence[Sequence[tuple[str, str]]]  # rows of (label, value)
Dynamic = Callable[[Ctx, Conversation], Awaitable]  # (ctx, conv) -> what the step shows now
TextHandler = Callable[[Ctx, Conversation], Awaitable[bool]]  # True: answered, go on
ChoiceHandler = Callable[[Ctx, Conversation, str], Awaitable[object]]  # False: not a value it takes; STAY
Skip = Callable[[Ctx, Conversation], Awaitable[bool]]  # True: answered without asking
Next = Union[str, Callable[[Conversation], str], None]
Ends = Callable[[Conversation, str], bool]  # (conv, the next step's name) -> True: the flow ends there
End = Callable[[Ctx, Conversation], Awaitable[None]]  # what a flow that ``ends`` does then
STAY = "stay"  # what a choice handler returns for a press taken without moving on (a toggle)


@dataclass(frozen=True)
class Step:
    """One step: its prompt (a msgid with ``values``, or a function for a text put together from
    the draft), its buttons (rows of (msgid, value), or a function giving rows of shown labels),
    what a message does (``on_text``; none: only the buttons answer), what a press does
    (``on_choice``; fixed buttons are checked by the flow first), a rule that answers the step
    without asking (``skip``), and the next step (none: the step's own handler ends the flow)."""

    name: str
    text: str | Dynamic
    values: Mapping[str, object] | None = None
    choices: Choices | Dynamic | None = None
    on_text: TextHandler | None = None
    on_choice: ChoiceHandler | None = None
    skip: Skip | None = None
    next: Next = None


def remember(key: str, value: Callable[[str], object] = lambda chosen: chosen) -> ChoiceHandler:
    """A choice handler that keeps the chosen value (or what ``value`` makes of it) in the draft."""
    async def keep(ctx: Ctx, conv: Conversation, chosen: str) -> bool:
        conv.data[key] = value(chosen)
        return True
    return keep


def grid(choices: list[tuple[str, str]], width: int) -> list[list[tuple[str, str]]]:
    return [choices[i:i + width] for i in range(0, len(choices), width)]


class Flow:
    """Runs a table of steps: prompts, takes messages and presses of ``button`` (packed as
    (step, value)), and moves on through the skip rules to the next step asked."""

    def __init__(self, name: str, button: ButtonData, steps: Sequence[Step],
                 stale: str = N_("This button belongs to an earlier step. Please use the latest message."),
                 *, ends: Ends | None = None, on_end: End | None = None):
        self.name, self.button, self.stale = name, button, stale  # stale: a press of an earlier step
        self.first = steps[0].name
        self.steps = {step.name: step for step in steps}
        self.ends, self.on_end = ends, on_end

    def reuse(self, name: str, button: ButtonData, *, ends: Ends, on_end: End) -> "Flow":
        """The same steps as a flow of its own that stops where ``ends`` says and runs ``on_end``:
        one part of a draft asked again with the very same screens (a member's edit)."""
        return Flow(name, button, list(self.steps.values()), self.stale, ends=ends, on_end=on_end)

    async def prompt(self, ctx: Ctx, conv: Conversation) -> None:
        await ctx.reply(await self._text(ctx, conv), buttons=await self.buttons(ctx, conv))

    async def _text(self, ctx: Ctx, conv: Conversation) -> str:
        step = self.steps[conv.step]
        return ctx.t(step.text, **(step.values or {})) if isinstance(step.text, str) else await step.text(ctx, conv)

    async def buttons(self, ctx: Ctx, conv: Conversation) -> Buttons | None:
        """The current step's buttons (also for a reply that asks again)."""
        step = self.steps[conv.step]
        if step.choices is None:
            return None
        if callable(step.choices):
            rows = await step.choices(ctx, conv)
        else:
            rows = [[(ctx.t.plain(label), value) for label, value in row] for row in step.choices]
        return [[(label, self.button.pack(step.name, value)) for label, value in row] for row in rows]

    async def on_button(self, ctx: Ctx, fields: dict) -> None:
        t = ctx.t
        conv = await conversations.load(ctx.conn, ctx.event.user_id)
        if conv is None or conv.flow != self.name or conv.step != fields["step"]:
            await ctx.answer(t.plain(self.stale), alert=True)
            return
        step = self.steps[conv.step]
        taken = await self._takes(ctx, conv, step, fields["value"])
        if not taken:
            await ctx.answer(t.plain("This choice is not valid."), alert=True)
            return
        if taken == STAY:  # the same step, redrawn in place
            await conversations.save(ctx.conn, conv, ctx.now)
            await ctx.edit(ctx.event.chat_id, ctx.event.message_id, await self._text(ctx, conv),
                           buttons=await self.buttons(ctx, conv))
        else:
            await self.go_on(ctx, conv)
        await ctx.answer()

    async def _takes(self, ctx: Ctx, conv: Conversation, step: Step, value: str) -> object:
        if step.choices is None:
            return False
        if not callable(step.choices) and all(value != v for row in step.choices for _, v in row):
            return False
        return step.on_choice is None or await step.on_choice(ctx, conv, value)

    async def on_message(self, ctx: Ctx, conv: Conversation) -> None:
        step = self.steps[conv.step]
        if step.on_text is None:
            await ctx.reply(ctx.t("Please choose one of the buttons above, or /cancel to stop."))
        elif await step.on_text(ctx, conv):
            await self.go_on(ctx, conv)

    async def go_on(self, ctx: Ctx, conv: Conversation) -> None:
        """To the next step that has to be asked: save the draft there and prompt."""
        step = self.steps[conv.step]
        while (name := step.next(conv) if callable(step.next) else step.next) is not None:
            if self.ends is not None and self.ends(conv, name):
                await self.on_end(ctx, conv)
                return
            step = self.steps[name]
            if step.skip is None or not await step.skip(ctx, conv):
                conv.step = name
                await conversations.save(ctx.conn, conv, ctx.now)
                await self.prompt(ctx, conv)
                return


Send = Callable[[Ctx, Conversation], Awaitable[object]]  # a confirm step's go: True ends, STAY stays


def confirm_step(name: str, preview: Dynamic, go: tuple[str, str], send: Send, *, cancelled: str,
                 hint: str = N_("Please choose one of the buttons above, or /cancel to stop.")) -> Step:
    """The last step of a composing flow: the preview with (go, ✖ Cancel). Cancel ends the flow
    with ``cancelled`` (an unfinished earlier draft comes back); go runs ``send``; a message
    instead of a press is answered with ``hint`` and taken as nothing."""
    async def on_choice(ctx: Ctx, conv: Conversation, choice: str) -> object:
        if choice == "cancel":
            await resume(ctx, conv)
            await ctx.reply(ctx.t(cancelled))
            return True
        return await send(ctx, conv)

    async def on_text(ctx: Ctx, conv: Conversation) -> bool:
        await ctx.reply(ctx.t(hint))
        return False

    return Step(name, preview, choices=[[go, (N_("✖ Cancel"), "cancel")]], on_choice=on_choice, on_text=on_text)


async def suspend_into(ctx: Ctx, flow: str, step: str, data: dict) -> Conversation:
    """Start ``flow`` at ``step``, keeping an unfinished draft to hand back afterwards."""
    current = await conversations.load(ctx.conn, ctx.event.user_id)
    if current is not None:
        saved = current.data.get("resume") if current.flow == flow else \
            {"flow": current.flow, "step": current.step, "data": current.data}
        if saved:
            data["resume"] = saved
    conv = Conversation(ctx.event.user_id, flow, step, data)
    await conversations.save(ctx.conn, conv, ctx.now)
    return conv


async def resume(ctx: Ctx, conv: Conversation) -> None:
    saved = conv.data.get("resume")
    if saved:
        previous = Conversation(ctx.event.user_id, saved["flow"], saved["step"], saved["data"])
        await conversations.save(ctx.conn, previous, ctx.now)
        await ctx.reply(ctx.t("Back to your unfinished draft."))
    else:
        await conversations.clear(ctx.conn, ctx.event.user_id)


async def text_input(ctx: Ctx, *, empty_msgid: str = N_("Please send text, or /cancel to stop.")) -> str | None:
    """The text of the message, or None after telling the sender why it cannot be taken
    (no text, a file instead, or longer than the limit). Nothing is saved in that case."""
    text = without_bidi_controls(ctx.event.text or "").strip()  # so they cannot reorder a card
    if ctx.event.attachments or shows_nothing(text):
        await ctx.reply(ctx.t(empty_msgid))
        return None
    if len(text) > ctx.config.max_text_chars:
        await ctx.reply(ctx.t("That is {length} characters; the limit is {limit}. Please shorten it and "
                              "send it again — nothing has been saved from this message.",
                              length=len(text), limit=ctx.config.max_text_chars))
        return None
    return text


VOICE_TEXT = N_("🎤 Voice message ({seconds} s)")  # a text step's content when the member spoke it


async def text_or_voice(ctx: Ctx, *, empty_msgid: str = N_("Please send text, or /cancel to stop.")
                        ) -> tuple[str, dict | None] | None:
    """Like ``text_input``, but a voice message is taken too (older members speak rather than
    type): then the text is a short placeholder and the voice comes as an attachment record,
    for the caller to keep with the field it stands for."""
    voice = next((a for a in ctx.event.attachments if a.kind == "voice"), None)
    if voice is None:
        text = await text_input(ctx, empty_msgid=empty_msgid)
        return None if text is None else (text, None)
    if voice.file_size and voice.file_size > ctx.config.max_file_bytes:
        await ctx.reply(ctx.t("This voice message is {size} MB; the limit is {limit} MB. Nothing was saved from it.",
                              size=round(voice.file_size / 1048576, 1), limit=ctx.config.max_file_bytes // 1048576))
        return None
    return ctx.t.plain(VOICE_TEXT, seconds=voice.duration or 0), voice.record()


async def take_photo_or_document(ctx: Ctx, conv: Conversation, flow: Flow) -> bool:
    """An optional attachment step of ``flow``: a photo or a document within the limits is kept in the
    draft as ``file``; anything else is answered with why, and the step's buttons (Skip) again."""
    file = ctx.event.attachments[0] if ctx.event.attachments else None
    if file is None or file.kind not in ("photo", "document"):
        await ctx.reply(ctx.t("Send a photo or a document, or press Skip."), buttons=await flow.buttons(ctx, conv))
        return False
    problem = file_problem(ctx, file)
    if problem:
        await ctx.reply(problem, buttons=await flow.buttons(ctx, conv))
        return False
    conv.data["file"] = {"file_id": file.file_id, "kind": file.kind}
    return True


def file_problem(ctx: Ctx, file) -> str | None:
    """Why a file a member sent cannot be kept (a report's attachment, a contribution's, a statement's), or None."""
    t = ctx.t
    if file.kind == "unsupported":
        return t("Sorry, {kind} files cannot be attached. Photos, documents (PDF, Word, Excel, text), "
                 "voice messages and locations can.", kind=file.original_kind)
    if file.file_size and file.file_size > ctx.config.max_file_bytes:
        return t("This file is {size} MB; the limit is {limit} MB. It was not added.",
                 size=round(file.file_size / 1048576, 1), limit=ctx.config.max_file_bytes // 1048576)
    if file.kind == "document" and file.mime_type not in ctx.config.allowed_document_types:
        return t("Sorry, this document type ({type}) cannot be attached. PDF, Word, Excel, text and "
                 "images can.", type=file.mime_type or "?")
    return None
