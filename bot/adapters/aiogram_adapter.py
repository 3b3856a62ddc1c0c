"""aiogram 3 adapter: aiogram's Bot, session, method models and types carry every call.

We do not use aiogram's Dispatcher: its polling loop confirms an update before handling it
and its handlers keep state in memory, while Linkage must commit each update to the inbox
first and keep conversation state in the database.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any, NamedTuple

import aiohttp
from aiogram import Bot, methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (ClientDecodeError, RestartingTelegram, TelegramBadRequest, TelegramConflictError,
                                TelegramEntityTooLarge, TelegramForbiddenError,
                                TelegramMigrateToChat, TelegramNetworkError, TelegramNotFound,
                                TelegramRetryAfter, TelegramServerError,
                                TelegramUnauthorizedError)
from aiogram.methods import Response
from aiogram.types import BufferedInputFile

from bot.transport import ALLOWED_UPDATES, ApiError, bot_api_answer, not_bot_api_answer, upload_of


class _Answered(NamedTuple):
    """What aiogram's session reads of a successful call's ``Response``: its result (a pydantic
    model of its own, even unvalidated, cost more than the rest of the answer's handling)."""

    result: Any


class _TelegramJsonSession(AiohttpSession):
    """A successful call's result is handed on as the JSON Telegram sent. aiogram would build its
    models of it, which fill every optional field Telegram left out with a ``Default(...)``
    placeholder that is not JSON (``link_preview_options`` of any message with a link, for one),
    and would fail a call Telegram performed whenever its models disagree with the answer: the
    sender would then send it again. Errors are still aiogram's to sort."""

    def check_response(self, bot: Bot, method: Any, status_code: int, content: str) -> Response | _Answered:
        answer = bot_api_answer(content)
        if answer is None:
            raise ApiError("server", not_bot_api_answer(status_code))
        if answer["ok"] and HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            return _Answered(answer.get("result"))
        return super().check_response(bot, method, status_code, content)  # raises aiogram's error

    async def close(self) -> None:
        """aiogram waits 250 ms after closing, for TLS connections to shut down gracefully; a plain
        HTTP server (the sandbox, a local Bot API server) has none, so that wait is skipped."""
        if self.api.base.startswith("https://"):
            await super().close()
        elif self._session is not None and not self._session.closed:
            await self._session.close()


def _with_files(params: dict) -> dict:
    """Files to upload (see bot.transport.upload_of) as aiogram's input files."""
    return {k: BufferedInputFile(upload[1], filename=upload[0]) if (upload := upload_of(v)) else v
            for k, v in params.items()}


class AiogramApi:
    name = "aiogram"

    def __init__(self, token: str, api_base: str):
        session = _TelegramJsonSession(api=TelegramAPIServer.from_base(api_base.rstrip("/")))
        self.bot = Bot(token, session=session)

    async def start(self) -> dict:
        return await self.call("getMe", {})

    async def call(self, method: str, params: dict[str, Any], request_timeout: int | None = None) -> Any:
        model = getattr(methods, method[0].upper() + method[1:], None)
        if model is None:
            raise ApiError("bad_request", f"unknown method {method}")
        try:
            return await self.bot(model(**_with_files(params)), request_timeout=request_timeout)
        except TelegramRetryAfter as exc:
            raise ApiError("retry_after", exc.message, float(exc.retry_after)) from exc
        except TelegramForbiddenError as exc:
            raise ApiError("forbidden", exc.message) from exc
        except TelegramConflictError as exc:
            raise ApiError("conflict", exc.message) from exc
        except (TelegramBadRequest, TelegramNotFound, TelegramEntityTooLarge, TelegramMigrateToChat,
                TelegramUnauthorizedError) as exc:
            raise ApiError("bad_request", exc.message) from exc
        except (TelegramServerError, RestartingTelegram) as exc:
            raise ApiError("server", exc.message) from exc
        except ClientDecodeError as exc:  # an error answer aiogram's models reject; its text holds the body
            raise ApiError("server", f"aiogram could not read the answer: {type(exc.original).__name__}") from exc
        except (TelegramNetworkError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise ApiError("network", str(exc) or type(exc).__name__) from exc

    async def get_updates(self, offset: int | None, timeout: int) -> list[dict]:
        return await self.call("getUpdates", {"offset": offset, "timeout": timeout,
                                              "allowed_updates": ALLOWED_UPDATES},
                               request_timeout=timeout + 15)

    async def close(self) -> None:
        await self.bot.session.close()
