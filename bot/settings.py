"""Settings from environment variables (prefix LINKAGE_) and an optional .env file."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from handlers.core.context import HandlerConfig

# Telegram's rule for secret_token is 1-256 of these; shorter than 32 is guessable, so refused.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{32,256}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LINKAGE_", env_file=".env", extra="ignore",
                                      hide_input_in_errors=True)  # an invalid secret is never echoed

    bot_token: SecretStr | None = None  # a secret: never logged, never printed
    api_base: str = "https://api.telegram.org"  # or a self-hosted Bot API server, or the sandbox
    framework: str = "aiogram"  # aiogram | ptb
    database: str = "var/linkage.db"  # a file path (SQLite) or postgresql://...
    log_file: str | None = None
    log_level: str = "INFO"

    webhook_url: str | None = None  # public URL Telegram posts to (with --webhook)
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8443
    poll_timeout: int = 30
    scheduler_tick_seconds: float = 30  # a safety net: timers also wake the bot at their due time
    # /healthz for `linkage run` (also on the webhook server in webhook mode); None = no health port
    health_port: int | None = None
    health_host: str = "127.0.0.1"
    # supervision (bot/supervise.py): a failing loop restarts after 1 s, 2 s, 4 s ... (at most 60 s);
    # this many failures within the window stop the process with a non-zero exit status
    restart_backoff_seconds: float = 1.0
    restart_max_failures: int = 5
    restart_window_seconds: float = 300

    # Telegram's limits (scaled down in tests, never up in production)
    rate_global_per_second: float = 30
    rate_per_chat_per_second: float = 1
    rate_per_group_per_minute: float = 20
    send_concurrency: int = 8

    bot_username: str = "linkage_bot"
    office_contact: str = "天津市政协委员学习和联络室 022-0000-0000"
    invite_days: int = 14
    bind_key_hours: int = 48
    reveal_liaison_names: bool = False
    max_text_chars: int = 3000
    max_file_mb: int = 20
    group_language: str = "zh"
    user_messages_per_minute: int = 20  # inbound limit per person (handlers/flood.py)
    study_reminder_minutes: tuple[int, ...] = (2880, 120)  # LINKAGE_STUDY_REMINDER_MINUTES=[2880,120]
    study_checkin_early_minutes: int = 15
    study_plan_remind_at: str = "08:30"  # Asia/Shanghai
    # notices and digests (handlers/notices.py, handlers/digest.py); times are Asia/Shanghai
    notice_remind_hours: int = 24  # remind those who have not read a notice after this (0 = never)
    digest_weekday: int = 0  # 0 = Monday: the members' weekly digest and the office's statistics
    digest_time: str = "09:00"  # weekly and daily digests
    digest_liaison_time: str = "08:00"  # the liaisons' queue, on working days
    charts_dir: str = "var/charts"  # where the office's chart images are written
    deadline_claim_days: int = 1  # working days (China's holidays and 调休 workdays counted)
    deadline_reply_days: int = 3
    deadline_outcome_days: int = 7
    deadline_time: str = "17:30"  # HH:MM Asia/Shanghai: the end of a working day; nudges go then
    retention_inbox_days: int = 30  # handled raw updates are deleted after this (handlers/retention.py)
    retention_outbox_days: int = 180  # finished outbox rows lose their text after this

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_accepts_the_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        # the message never quotes the secret (pydantic adds the input: bot/cli/commands.py leaves it out)
        if secret is not None and not WEBHOOK_SECRET.fullmatch(secret.get_secret_value()):
            raise ValueError("must be 32 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule for "
                             "secret_token, at least 32 so it cannot be guessed)")
        return secret

    def handler_config(self, bot_username: str | None = None) -> HandlerConfig:
        """What handlers need of the settings: the fields both share, and the bot's real name."""
        shared = {f.name: getattr(self, f.name) for f in fields(HandlerConfig) if f.name in type(self).model_fields}
        return HandlerConfig(**{**shared, "bot_username": bot_username or self.bot_username,
                                "max_file_bytes": self.max_file_mb * 1024 * 1024})

    def database_path_ready(self) -> None:
        if "://" not in self.database:
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
