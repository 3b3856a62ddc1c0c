"""What the sandbox answers when a call goes wrong: the Bot API's error answers, and the faults
tests inject into matching calls (``POST /control/faults``) to see how a bot copes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FAULT_KINDS = {"429", "500", "502", "403", "timeout", "drop_before", "drop_after", "html", "truncated", "reset", "slow",
               "answer"}

class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def body(self) -> dict:
        body = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad(description: str) -> ApiError:
    return ApiError(400, "Bad Request: " + description)


def forbidden(description: str) -> ApiError:
    return ApiError(403, "Forbidden: " + description)


@dataclass
class Fault:
    """A fault to inject into matching Bot API calls: the next ``count`` ones, or each with probability ``rate``.

    Kinds: "429", "500", "502", "403" answer that Bot API error without performing the call; "html"
    answers a proxy's HTML error page (text/html, not JSON) with HTTP ``status`` without performing
    it; "timeout" holds the call ``seconds`` before performing it (or, ``then="never"``, for ever);
    "slow" performs it and holds the answer ``seconds``; "drop_before"/"drop_after" close the
    connection cleanly before/after performing it; "reset" resets the connection (TCP RST) without
    performing it; "truncated" performs it and answers 200 with the JSON body cut in half; "answer"
    answers ``{"ok": true, "result": result}`` without performing it (contract tests feed real
    Telegram results through the adapters so).
    """

    kind: str
    method: str = "*"
    chat_id: int | str | None = None
    count: int | None = None
    rate: float | None = None
    retry_after: int = 1
    status: int = 502           # for "html": the page's HTTP status
    seconds: float = 1.0        # for "timeout" and "slow": how long to hold the request
    then: str = "answer"        # for "timeout": "answer" normally afterwards, or "never"
    result: Any = None          # for "answer": the result to answer

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if self.count is None and self.rate is None:
            self.count = 1

    def matches(self, method: str, chat_id) -> bool:
        return (self.method == "*" or self.method.lower() == method.lower()) and (
            self.chat_id is None or str(self.chat_id) == str(chat_id))

    def error(self) -> ApiError | None:
        """The error answered instead of performing the call, for the kinds that answer one."""
        if self.kind == "429":
            return ApiError(429, f"Too Many Requests: retry after {self.retry_after}", retry_after=self.retry_after)
        return {"500": ApiError(500, "Internal Server Error"), "502": ApiError(502, "Bad Gateway"),
                "403": forbidden("bot was blocked by the user")}.get(self.kind)
