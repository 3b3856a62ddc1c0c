"""The seam between the neutral core and a framework: Bot API calls by name, with errors
sorted into what the sender needs to decide (pause, give up, retry)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Protocol

# The update kinds Linkage handles; everything else Telegram may keep to itself.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]


def upload_of(value: Any) -> tuple[str, bytes] | None:
    """(file name, bytes) when a parameter is a file the bot uploads: ``{"$file": path}`` on disk
    (a chart image, study materials), or ``{"$upload": {"name": ..., "base64": ...}}`` carried in
    the outbox row itself (a member's own data); None for anything else."""
    if not isinstance(value, dict):
        return None
    if "$file" in value:
        path = Path(value["$file"])
        return path.name, path.read_bytes()
    if "$upload" in value:
        return value["$upload"]["name"], base64.b64decode(value["$upload"]["base64"])
    return None


def bot_api_answer(body: bytes | str) -> dict | None:
    """The Bot API answer ``{"ok": ..., ...}`` a body holds, or None when it holds none: a proxy's
    HTML error page, a cut-off answer. Such a body is never Telegram's verdict on the call."""
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) and isinstance(answer.get("ok"), bool) else None


def not_bot_api_answer(status: int) -> str:
    """The error text for such a body; never the body, which may carry members' texts."""
    return f"the answer is not Bot API JSON (HTTP {status})"


def as_update(body: Any) -> dict:
    """A webhook body as the inbox keeps it: any JSON object with an integer update_id, as
    Telegram sent it — the same as polling stores. Whether the core can read it is the
    dispatcher's business (it parks what it cannot): a 4xx here would make Telegram send the
    same update again and again, holding back every later one."""
    if not isinstance(body, dict) or type(body.get("update_id")) is not int:
        raise ValueError("not an update: a JSON object with an integer update_id")
    return body


class ApiError(Exception):
    """kind: retry_after | forbidden | bad_request | conflict | network | server

    Adapters raise only this for any fault of the call: an answer that is not Bot API JSON (a
    proxy's HTML page, a cut-off body) is "server", a reset or unanswered connection "network"."""

    def __init__(self, kind: str, description: str, retry_after: float | None = None):
        super().__init__(f"{kind}: {description}")
        self.kind = kind
        self.description = description
        self.retry_after = retry_after


class BotApi(Protocol):
    name: str

    async def start(self) -> dict:
        """Open the session; returns getMe."""

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """Any Bot API method with JSON-shaped params; returns the result as Telegram sent it."""

    async def get_updates(self, offset: int | None, timeout: int) -> list[dict]:
        """The updates as Telegram sent them: one the framework cannot read still reaches the inbox
        (and is confirmed), rather than failing the whole batch for ever."""

    async def close(self) -> None: ...
