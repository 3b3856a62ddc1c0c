"""python-telegram-bot 22 adapter: PTB's Bot, HTTPX requests, objects and errors carry every call.

We do not use PTB's Application/Updater: the Updater confirms a batch to Telegram (by the next
getUpdates offset) as soon as it has queued the updates in memory, before any handler ran, and its
conversation state lives in memory, while Linkage must commit each update to the inbox first and
keep conversation state in the database.
"""

from __future__ import annotations

import datetime as dtm
import json
import warnings
from http import HTTPStatus
from typing import Any

import httpx
import telegram
from telegram.error import (BadRequest, ChatMigrated, Conflict, EndPointNotFound, Forbidden, InvalidToken,
                            NetworkError, RetryAfter, TelegramError, TimedOut)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot.transport import ALLOWED_UPDATES, ApiError, bot_api_answer, not_bot_api_answer, upload_of


class ServerError(NetworkError):
    """A 5xx answer, or a body that is no Bot API answer at all. PTB raises a plain NetworkError
    for a 5xx whose message is the server's description (e.g. "Internal Server Error"), so the
    status code would be lost; our request class raises this instead, before PTB looks at the body."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class _Bot(telegram.Bot):
    """Bot.do_api_request warns "Please use 'Bot.send_message' ..." for every method PTB knows (it
    has a camelCase alias for each), but calling by name is the adapter's job. ``_warn`` is the
    hook PTB itself overrides in ExtBot; only that one notice is dropped, for this bot only."""

    @classmethod
    def _warn(cls, message: str | PTBUserWarning, category: type[Warning] = PTBUserWarning,
              stacklevel: int = 0) -> None:
        if str(message).startswith("Please use 'Bot."):
            return
        super()._warn(message, category, stacklevel + 1)


class _Request(HTTPXRequest):
    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        # A body that is no Bot API answer stops here: PTB would log it whole at ERROR and put it in
        # its error (members' texts included), and sort a proxy's 403 page as "forbidden".
        answer = bot_api_answer(payload)
        if answer is None:
            raise ServerError(code, not_bot_api_answer(code))
        if code >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise ServerError(code, answer.get("description") or _phrase(code))
        return code, payload


def _phrase(code: int) -> str:
    try:
        return f"{HTTPStatus(code).phrase} ({code})"
    except ValueError:
        return f"HTTP {code}"


def _with_files(params: dict) -> dict:
    """Files to upload (see bot.transport.upload_of) as PTB's InputFile, which must hold the bytes:
    a path string given to InputFile would be uploaded as the file's *content*."""
    return {k: telegram.InputFile(upload[1], filename=upload[0]) if (upload := upload_of(v)) else v
            for k, v in params.items()}


def _seconds(value: int | float | dtm.timedelta | None) -> float | None:
    if value is None:
        return None
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def _plain(obj: dict) -> dict:
    """PTB's to_dict keeps its str-enums (ChatType.PRIVATE, ...); make it plain JSON values."""
    return json.loads(json.dumps(obj))


def _error(exc: Exception) -> ApiError:
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():  # an int with a deprecation notice, or (PTB_TIMEDELTA=1) a timedelta
            warnings.simplefilter("ignore")
            retry_after = exc.retry_after
        return ApiError("retry_after", exc.message, _seconds(retry_after))
    if isinstance(exc, Forbidden):
        return ApiError("forbidden", exc.message)
    if isinstance(exc, Conflict):
        return ApiError("conflict", exc.message)
    # BadRequest subclasses NetworkError, so it must be sorted before NetworkError.
    if isinstance(exc, (BadRequest, ChatMigrated, InvalidToken, EndPointNotFound)):
        return ApiError("bad_request", exc.message)
    # ServerError subclasses NetworkError too.
    if isinstance(exc, ServerError):
        return ApiError("server", exc.message)
    if isinstance(exc, (TimedOut, NetworkError)):  # TimedOut subclasses NetworkError
        return ApiError("network", exc.message)
    if isinstance(exc, httpx.HTTPError):
        return ApiError("network", f"httpx.{type(exc).__name__}: {exc}")
    # Any other TelegramError: an answer PTB could not read.
    return ApiError("server", getattr(exc, "message", str(exc)) or type(exc).__name__)


_MAPPED = (TelegramError, httpx.HTTPError)
GET_UPDATES_MARGIN = 15.0  # seconds a getUpdates may take beyond its long-poll timeout


class PtbApi:
    name = "ptb"

    def __init__(self, token: str, api_base: str, *, read_timeout: float = 30.0):
        base = api_base.rstrip("/")
        self.bot = _Bot(
            token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot",
            request=_Request(connection_pool_size=64, read_timeout=read_timeout, write_timeout=30.0,
                             connect_timeout=10.0, pool_timeout=10.0, media_write_timeout=60.0),
            get_updates_request=_Request(connection_pool_size=2, read_timeout=GET_UPDATES_MARGIN, write_timeout=10.0,
                                         connect_timeout=10.0, pool_timeout=10.0))

    async def start(self) -> dict:
        try:
            await self.bot.initialize()  # opens both HTTPX clients and calls getMe
        except _MAPPED as exc:
            raise _error(exc) from exc
        return _plain(self.bot.bot.to_dict())

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        try:
            # return_type=None: the raw JSON result (dict, list or bool), not PTB objects.
            return await self.bot.do_api_request(method, api_kwargs=_with_files(params))
        except _MAPPED as exc:
            raise _error(exc) from exc

    async def get_updates(self, offset: int | None, timeout: int) -> list[dict]:
        """The updates as Telegram sent them (PTB's to_dict would add fields Telegram left out,
        such as ``"delete_chat_photo": false`` on every message)."""
        try:
            # by name, PTB still sends getUpdates through its own connection pool
            updates = await self.bot.do_api_request(
                "getUpdates", api_kwargs={"offset": offset, "timeout": timeout, "allowed_updates": ALLOWED_UPDATES},
                read_timeout=GET_UPDATES_MARGIN + timeout)
        except _MAPPED as exc:
            raise _error(exc) from exc
        return updates

    async def close(self) -> None:
        await self.bot.shutdown()
