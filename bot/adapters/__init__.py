"""Framework adapters: the only modules that import aiogram or telegram."""

from __future__ import annotations


def make_api(framework: str, token: str, api_base: str):
    if framework == "aiogram":
        from bot.adapters.aiogram_adapter import AiogramApi
        return AiogramApi(token, api_base)
    if framework == "ptb":
        from bot.adapters.ptb_adapter import PtbApi
        return PtbApi(token, api_base)
    raise ValueError(f"unknown framework {framework!r} (choose aiogram or ptb)")
