"""Button data, one codec for every feature: a prefix and typed fields, ``prefix:f1:f2``.

A feature declares each kind of button once (``ButtonData("cs", answer=("y", "n"), item=int)``),
packs its buttons with it and receives the decoded fields. Telegram gives a pressed button's
data back as it was sent, but anyone can forge it, so ``unpack`` refuses anything that does not
fit the declaration (wrong count, a number out of range, a choice not offered); the router then
answers it in one place, with the button's ``refusal``. Telegram refuses data over 64 bytes, so
``pack`` refuses it here first.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.core.i18n import N_

CALLBACK_DATA_LIMIT = 64  # bytes, as Telegram counts them
INVALID = N_("This button is not valid.")  # the answer to a press that fits no declaration
DB_ID_MAX = 2**31 - 1  # ids are INTEGER columns; on PostgreSQL a larger number is a query error


def db_id(text: str | None) -> int | None:
    """A row id taken from button data, or None when it cannot be one (a forged or stale
    button): checked before any query, so a forged id gets the polite answer, not a DB error."""
    if not text or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= DB_ID_MAX else None


@dataclass(frozen=True)
class Optional:
    """A last field that may be left out: ``ButtonData("m", …, extra=Optional(str))``."""
    kind: object


class ButtonData:
    def __init__(self, prefix: str, *, refusal: str = INVALID, **fields):
        """``refusal``: what a press that does not fit is answered (a msgid)."""
        if not prefix or ":" in prefix:
            raise ValueError(f"button prefix {prefix!r} must be non-empty and hold no ':'")
        self.prefix, self.refusal = prefix, refusal
        self.fields = list(fields.items())
        optional = [isinstance(kind, Optional) for _, kind in self.fields]
        if any(optional[:-1]):
            raise ValueError(f"button {prefix}: only the last field may be optional")
        self.required = len(self.fields) - (1 if optional and optional[-1] else 0)

    def pack(self, *values) -> str:
        if not self.required <= len(values) <= len(self.fields):
            raise ValueError(f"button {self.prefix} takes {len(self.fields)} field(s), got {len(values)}")
        parts = [str(value) for value in values]
        if any(":" in part for part in parts[:len(self.fields) - 1]):  # the last field may hold ':'
            raise ValueError(f"button {self.prefix}: a field before the last holds ':'")
        data = ":".join([self.prefix, *parts])
        if len(data.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"button {self.prefix}: {len(data.encode())} bytes, Telegram takes {CALLBACK_DATA_LIMIT}")
        return data

    def unpack(self, data: str) -> dict | None:
        """The fields of ``data`` by name, or None if it does not fit this button."""
        prefix, _, rest = data.partition(":")
        parts = rest.split(":", len(self.fields) - 1) if rest else []
        if prefix != self.prefix or not self.required <= len(parts) <= len(self.fields):
            return None
        values: dict = {}
        for (name, kind), part in zip(self.fields, parts + [None] * (len(self.fields) - len(parts))):
            value = _decode(kind.kind if isinstance(kind, Optional) else kind, part)
            if value is _INVALID:
                return None
            values[name] = value
        return values

    def __repr__(self) -> str:
        return f"ButtonData({self.prefix!r})"


_INVALID = object()


def _decode(kind, part: str | None):
    if part is None:
        return None  # an optional field left out
    if kind is int:
        value = db_id(part)
        return _INVALID if value is None else value
    if isinstance(kind, tuple):  # the choices offered
        return part if part in kind else _INVALID
    return part if part else _INVALID  # free text: the handler checks it against the database


def pressed_on(pressed_message_id: int | None, sent: tuple[str | None, int | None], *, in_its_chat: bool) -> bool:
    """Whether a press is on the message an outbox row sent (``sent``: its status and message id):
    that message's id, or, while the row is still being sent and its id not yet recorded (a press
    the moment it arrived), a press in the chat the row went to."""
    status, message_id = sent
    return (message_id is not None and message_id == pressed_message_id) or (status == "sending" and in_its_chat)
