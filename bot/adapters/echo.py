"""A bare echo bot, the measuring stick of ``linkage bench updates``.

    python -m bot.adapters.echo --framework aiogram|ptb --api-base URL --token TOKEN

Each framework the plainest way its documentation shows: aiogram — a Dispatcher with one message
handler, ``dp.start_polling(bot)``; PTB — an Application with one MessageHandler, ``run_polling``.
Every text comes back as the same text. No database, no inbox, no outbox: what the framework
alone costs. It lives among the adapters because only they may import a framework; the imports
are inside the functions so that importing this module costs nothing. SIGTERM stops it.
"""

from __future__ import annotations

import argparse

POLL_TIMEOUT = 1  # as the bench runs Linkage (LINKAGE_POLL_TIMEOUT=1)


def run_aiogram(api_base: str, token: str) -> None:
    import asyncio

    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    async def main() -> None:
        bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base.rstrip("/"))))
        dp = Dispatcher()

        @dp.message()
        async def echo(message: Message) -> None:
            await message.answer(message.text or "?")

        await dp.start_polling(bot, polling_timeout=POLL_TIMEOUT)

    asyncio.run(main())


def run_ptb(api_base: str, token: str) -> None:
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    base = api_base.rstrip("/")
    app = Application.builder().token(token).base_url(f"{base}/bot").base_file_url(f"{base}/file/bot").build()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot.send_message(update.effective_chat.id, update.effective_message.text or "?")

    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.adapters.echo", description=__doc__.split("\n")[0])
    parser.add_argument("--framework", choices=["aiogram", "ptb"], default="aiogram")
    parser.add_argument("--api-base", required=True, help="Bot API server, e.g. the sandbox's base URL")
    parser.add_argument("--token", required=True)
    args = parser.parse_args(argv)
    {"aiogram": run_aiogram, "ptb": run_ptb}[args.framework](args.api_base, args.token)


if __name__ == "__main__":
    main()
