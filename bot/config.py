"""Settings: environment variables (BRANCHBOT_*) and an optional TOML file."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

if TYPE_CHECKING:
    from rules.dues import DuesStandard
    from rules.training import TrainingPolicy

TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
CONFIG_FILE_ENV = "BRANCHBOT_CONFIG"
# Telegram's rule for the secret it echoes in X-Telegram-Bot-Api-Secret-Token.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line for the operator."""


class Settings(BaseSettings):
    """Everything the bot needs to start; built once in the entry point and passed down."""

    model_config = SettingsConfigDict(env_prefix="BRANCHBOT_", extra="ignore")

    token: SecretStr | None = None
    api_base_url: str = TELEGRAM_API_BASE_URL
    database_url: str = "sqlite+aiosqlite:///branchbot.db"
    admins: Annotated[frozenset[int], NoDecode] = frozenset()
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh"
    # How long a branch invite link stays valid.
    invite_valid_days: int = Field(default=14, ge=1, le=365)
    # How long a transfer letter (介绍信) may be accepted: to a branch in the bot (one
    # deployment: one province), and to an organization outside it (DOMAIN.md: 30 and 90).
    transfer_valid_days: int = Field(default=30, ge=1, le=365)
    transfer_valid_days_outside: int = Field(default=90, ge=1, le=365)
    # The Party dues standard (JSON, rules.dues.standard_from_mapping; empty: the 2008 one). One
    # deployment serves one province, so this is the province's standard where it has its own.
    dues_standard: dict[str, Any] = Field(default_factory=dict)
    # Client-side cap on Bot API sends per second (Telegram's bulk limit is about 30);
    # 0 turns the cap off and leaves only the retries after a 429.
    send_rate_per_second: float = Field(default=30.0, ge=0, le=1000)
    # Reminders and notices: at least this many seconds between two messages to one chat.
    send_chat_interval_seconds: float = Field(default=1.0, ge=0, le=60)
    # Notices may use Telegram's paid broadcasts (allow_paid_broadcast: 0.1 Star a message,
    # up to 1000 messages/s); the preview then shows the cost before sending.
    paid_broadcast: bool = False
    # Paid sends are paced in a budget of their own, not the free one (Telegram: up to 1000/s).
    paid_broadcast_rate_per_second: float = Field(default=1000.0, gt=0, le=1000)
    # Updates handled at once (one chat's updates always in order).
    max_concurrent_updates: int = Field(default=32, ge=1, le=1024)
    # Meetings: per-kind overrides of the required frequency, e.g. {"lesson": "year:1"}.
    meeting_requirements: dict[str, str] = Field(default_factory=dict)
    # Whether a committee meeting without quorum (half of the committee or fewer present)
    # still counts toward the monthly requirement; by default it does not.
    inquorate_committee_counts: bool = False
    # How close (metres) a shared location must be to the meeting place to check in.
    checkin_radius_m: float = Field(default=300.0, gt=0, le=10_000)
    # Training hours (issue 5): how many hours a day of training counts (8 学时 by default),
    # the yearly requirement in hours per role group (leaders: 3 days = 24 h; members: 32 h;
    # a party organization may override it for its subtree), which training kinds count
    # toward each group's requirement, and the largest evidence file accepted.
    training_hours_per_day: int = Field(default=8, ge=1, le=24)
    training_required_hours: dict[str, float | str] = Field(
        default_factory=lambda: dict[str, float | str]({"leader": 24.0, "member": 32.0})
    )
    training_counted_kinds: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "leader": ["concentrated"],
            "member": ["concentrated", "lesson", "online", "other"],
        }
    )
    training_evidence_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1, le=2_000_000_000)
    # Plan reminders (meetings, deadlines, renewals...) from the database every few minutes.
    # Off only where something else drives the planner (tests); sending stays on regardless.
    plan_reminders: bool = True
    # The bot's own web server (dashboard, /healthz, /metrics, and the webhook when set).
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8081, ge=0, le=65535)
    # The address people open the dashboard at (sign-in links); default: http://web_host:web_port.
    web_base_url: str | None = None
    # Where Telegram opens the Mini App forms (https only); default web_base_url. Without an
    # https address the chat offers no forms (the sandbox maps a made-up one to web_port).
    mini_app_url: str | None = None
    # /healthz and /metrics on a listener of their own, loopback by default: health and load
    # figures are the operator's, not the internet's (0: any free port).
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=8082, ge=0, le=65535)
    # When set, /metrics answers only `Authorization: Bearer <token>` (for a non-loopback host).
    metrics_token: SecretStr | None = None
    # Webhook mode instead of long polling when set (an https URL Telegram can reach).
    webhook_url: str | None = None
    # Telegram echoes it in X-Telegram-Bot-Api-Secret-Token; required with webhook_url.
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    # The public listener serves TLS itself with this certificate (PEM) and key, without a
    # reverse proxy; a self-signed certificate is uploaded to Telegram with setWebhook.
    webhook_cert: Path | None = None
    webhook_key: Path | None = Field(default=None, validate_default=True)
    # How long a courier holds outbox rows it is sending; another instance resends them after
    # that if the courier died (longer than a batch can take, flood-control waits included).
    outbox_lease_seconds: int = Field(default=300, ge=1, le=86_400)
    # Log lines as text (default), json (one object a line) or kv (key=value); never the token.
    log_format: str = "text"
    # Flood protection per person: a burst of this many updates, then this many a second.
    flood_burst: int = Field(default=30, ge=1, le=10_000)
    flood_rate_per_second: float = Field(default=3.0, gt=0, le=1000)
    # Reach Telegram through a proxy (http://, https://, socks5://, socks5h://, socks4://,
    # socks4a://); unset: the standard HTTPS_PROXY / ALL_PROXY / NO_PROXY variables apply.
    proxy_url: SecretStr | None = None
    # The file store (issue 19): every file people hand in is downloaded and kept, in a folder
    # (default: `files` next to the SQLite database) or in the database (shared by instances).
    file_store: str = "directory"
    file_dir: Path | None = None
    # Download accepted files in the background; unset: as plan_reminders (tests drive it).
    fetch_files: bool | None = None
    # Sandbox: where the local chat page and emulator listen.
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = Field(default=8080, ge=0, le=65535)

    @field_validator("admins", mode="before")
    @classmethod
    def _parse_admins(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            from rules.validation import MAX_TELEGRAM_ID, Invalid, parse_whole

            ids = [parse_whole(p, minimum=0, maximum=MAX_TELEGRAM_ID, typed=False) for p in parts]
            if any(isinstance(i, Invalid) for i in ids):
                raise ValueError("must be comma-separated numeric Telegram user ids")
            return frozenset(ids)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("admins")
    @classmethod
    def _positive_admins(cls, value: frozenset[int]) -> frozenset[int]:
        if any(v <= 0 for v in value):
            raise ValueError("Telegram user ids are positive numbers")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an https URL such as https://bot.example.org/telegram")
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        secret = value.get_secret_value() if value is not None else ""
        if info.data.get("webhook_url") and not secret:
            raise ValueError("required with BRANCHBOT_WEBHOOK_URL")
        if secret and not _WEBHOOK_SECRET.fullmatch(secret):
            raise ValueError("use 1-256 characters: letters, digits, _ and -")
        return value if secret else None

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        token = value.get_secret_value().strip() if value is not None else ""
        if token and not _WEBHOOK_SECRET.fullmatch(token):
            raise ValueError("use 1-256 characters: letters, digits, _ and -")
        return SecretStr(token) if token else None

    @field_validator("webhook_cert", "webhook_key", mode="before")
    @classmethod
    def _blank_path(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_key")
    @classmethod
    def _certificate_pair(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        cert = info.data.get("webhook_cert")
        if (cert is None) != (value is None):
            raise ValueError("set BRANCHBOT_WEBHOOK_CERT and BRANCHBOT_WEBHOOK_KEY together")
        for path in (cert, value):
            if path is not None and not path.is_file():
                raise ValueError(f"file not found: {path}")
        return value

    @field_validator("proxy_url")
    @classmethod
    def _proxy_url(cls, value: SecretStr | None) -> SecretStr | None:
        from bot.transport import check_proxy_url

        url = value.get_secret_value().strip() if value is not None else ""
        return SecretStr(check_proxy_url(url)) if url else None

    @field_validator("file_store")
    @classmethod
    def _known_file_store(cls, value: str) -> str:
        if value not in ("directory", "database"):
            raise ValueError("must be directory or database")
        return value

    @field_validator("file_dir", mode="before")
    @classmethod
    def _blank_file_dir(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def file_directory(self) -> Path:
        """Where the directory store keeps files (BRANCHBOT_FILE_DIR or its default)."""
        from storage.files import default_file_dir

        return self.file_dir or default_file_dir(self.database_url)

    @property
    def fetching_files(self) -> bool:
        return self.plan_reminders if self.fetch_files is None else self.fetch_files

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, value: str) -> str:
        if value not in ("text", "json", "kv"):
            raise ValueError("must be text, json or kv")
        return value

    @field_validator("meeting_requirements")
    @classmethod
    def _known_requirements(cls, value: dict[str, str]) -> dict[str, str]:
        from rules.meetings import parse_requirements

        parse_requirements(value)  # raises ValueError naming the bad entry
        return value

    @property
    def requirements(self) -> dict[Any, Any]:
        """The meeting requirements in force: defaults with this deployment's overrides."""
        from rules.meetings import parse_requirements

        return parse_requirements(self.meeting_requirements)

    @field_validator("dues_standard")
    @classmethod
    def _known_dues_standard(cls, value: dict[str, Any]) -> dict[str, Any]:
        from rules.dues import standard_from_mapping

        standard_from_mapping(value)  # raises a ValueError saying what is wrong
        return value

    @property
    def dues_rules(self) -> DuesStandard:
        """The dues standard in force: the 2008 one with this deployment's changes."""
        from rules.dues import standard_from_mapping

        return standard_from_mapping(self.dues_standard)

    @field_validator("training_required_hours")
    @classmethod
    def _known_training_hours(cls, value: dict[str, float | str]) -> dict[str, float | str]:
        from rules.training import parse_required_hours

        parse_required_hours(value)  # raises ValueError naming the bad group or value
        return value

    @field_validator("training_counted_kinds")
    @classmethod
    def _known_training_kinds(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from rules.training import parse_counted_kinds

        parse_counted_kinds(value)  # raises ValueError naming the bad group or kind
        return value

    @property
    def training_policy(self) -> TrainingPolicy:
        """The training rules in force (a rules.training.TrainingPolicy)."""
        from rules.training import TrainingPolicy, parse_counted_kinds, parse_required_hours

        return TrainingPolicy(
            required_minutes=parse_required_hours(self.training_required_hours),
            counted_kinds=parse_counted_kinds(self.training_counted_kinds),
            hours_per_day=self.training_hours_per_day,
            evidence_max_bytes=self.training_evidence_max_bytes,
        )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///FILE or postgresql+asyncpg://USER@HOST/DB")
        return value

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org/bot")
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("zh", "en"):
            raise ValueError("must be zh or en")
        return value

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        bot_id, _, secret = value.get_secret_value().strip().partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("does not look like a bot token (expected 123456:ABC...)")
        return SecretStr(value.get_secret_value().strip())

    @property
    def dashboard_url(self) -> str:
        """Where people open the dashboard: web_base_url, else http(s)://web_host:web_port."""
        if self.web_base_url:
            return self.web_base_url.rstrip("/")
        scheme = "https" if self.webhook_cert is not None else "http"
        return f"{scheme}://{self.web_host}:{self.web_port}"

    @property
    def forms_url(self) -> str | None:
        """The public base address of the Mini App forms, if there is one."""
        base = self.mini_app_url or self.web_base_url
        return base.rstrip("/") if base else None

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_FILE_ENV)
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Build settings or raise ConfigError with one readable line."""
    config_file = os.environ.get(CONFIG_FILE_ENV)
    if config_file and not Path(config_file).is_file():
        raise ConfigError(f"{CONFIG_FILE_ENV}: file not found: {config_file}")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "config"
        message = str(first["msg"]).removeprefix("Value error, ")
        name = f"BRANCHBOT_{field.upper()}"
        raise ConfigError(f"{name}: {message}") from None
    except ValueError as exc:  # e.g. a malformed TOML file
        raise ConfigError(f"configuration: {exc}") from None
