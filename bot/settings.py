"""Settings from environment variables (prefix LINKAGE_) and an optional .env file."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import get_type_hints

from pydantic import SecretStr, create_model, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from handlers.core.context import HandlerConfig
from handlers.core.localtime import quiet_window

# Telegram's rule for secret_token is 1-256 of these; shorter than 32 is guessable, so refused.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{32,256}")
# HandlerConfig fields that are not settings of their own: the file limit is set in MB
# (max_file_mb), the document types are not configurable.
NOT_SETTINGS = {"max_file_bytes", "allowed_document_types"}
MB = 1024 * 1024


class RuntimeSettings(BaseSettings):
    """The settings only the runtime reads; ``Settings`` adds the handlers' (``HandlerConfig``)."""

    model_config = SettingsConfigDict(env_prefix="LINKAGE_", env_file=".env", extra="ignore",
                                      hide_input_in_errors=True)  # an invalid secret is never echoed

    bot_token: SecretStr | None = None  # a secret: never logged, never printed
    api_base: str = "https://api.telegram.org"  # or a self-hosted Bot API server, or the sandbox
    framework: str = "aiogram"  # aiogram | ptb
    database: str = "var/linkage.db"  # a file path (SQLite) or postgresql://...
    log_file: str | None = None
    log_level: str = "INFO"
    # log every write transaction that held the database at least this long (ms; None = off)
    slow_transaction_ms: float | None = None

    webhook_url: str | None = None  # public URL Telegram posts to (with --webhook)
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8443
    poll_timeout: int = 30
    scheduler_tick_seconds: float = 30  # a safety net: timers also wake the bot at their due time
    # /healthz for `linkage run` (also on the webhook server in webhook mode); None = no health port
    health_port: int | None = None
    health_host: str = "127.0.0.1"
    # Prometheus metrics for `linkage run` (bot/metrics.py): GET /metrics; None = not served
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    # the office's web console inside `linkage run` (bot/console/); None = not served there
    console_port: int | None = None
    console_host: str = "127.0.0.1"
    # supervision (bot/supervise.py): a failing loop restarts after 1 s, 2 s, 4 s ... (at most 60 s);
    # this many failures within the window stop the process with a non-zero exit status
    restart_backoff_seconds: float = 1.0
    restart_max_failures: int = 5
    restart_window_seconds: float = 300
    # several workers on PostgreSQL: a follower tries the leader lock, and the leader checks it
    # still holds it, this often (bot/leader.py)
    leader_retry_seconds: float = 1.0

    # Telegram's limits (scaled down in tests, never up in production)
    rate_global_per_second: float = 30
    rate_per_chat_per_second: float = 1
    rate_per_group_per_minute: float = 20
    send_concurrency: int = 8
    # bulk rows to members (digests, broadcasts) sent with allow_paid_broadcast: up to 1,000/s
    # instead of 30/s, for 0.1 Telegram Stars a message from the bot's balance
    paid_broadcast: bool = False
    rate_paid_per_second: float = 1000
    max_file_mb: int = HandlerConfig.max_file_bytes // MB  # what members send; handlers get it in bytes

    @field_validator("quiet_hours", check_fields=False)  # a HandlerConfig field: checked at start, not at 21:00
    @classmethod
    def _quiet_hours_read(cls, spec: str) -> str:
        quiet_window(spec)
        return spec

    @field_validator("year_summary_at", check_fields=False)  # a HandlerConfig field: checked at start
    @classmethod
    def _year_summary_at_read(cls, spec: str) -> str:
        from handlers.selfservice.summary import summary_due
        summary_due(2027, spec)  # not a leap year: a 02-29 would fail three years in four
        return spec

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
        shared = {f.name: getattr(self, f.name) for f in fields(HandlerConfig) if f.name not in NOT_SETTINGS}
        return HandlerConfig(**{**shared, "bot_username": bot_username or self.bot_username,
                                "max_file_bytes": self.max_file_mb * MB})

    def database_path_ready(self) -> None:
        if "://" not in self.database:
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)


def _handler_settings() -> dict:
    """HandlerConfig's fields as settings, with HandlerConfig's types and defaults."""
    types = get_type_hints(HandlerConfig)
    return {f.name: (types[f.name], f.default) for f in fields(HandlerConfig) if f.name not in NOT_SETTINGS}


Settings = create_model("Settings", __base__=RuntimeSettings, __module__=__name__, __doc__=(
    "Settings from environment variables (prefix LINKAGE_) and an optional .env file: the "
    "runtime's, and every HandlerConfig field, declared there once with its default."), **_handler_settings())
