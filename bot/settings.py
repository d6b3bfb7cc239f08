"""One typed settings object, read from ``CBEC_*`` environment variables and validated at start-up.

Every setting is documented in the README table and in ``deploy/.env.example``; a test keeps the
three in step. A wrong value is reported as one line naming the variable (see ``load_settings``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.storage.url import PostgresUrl, parse_postgres_url


class SettingsError(Exception):
    """A setting has a wrong value; the message names the environment variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CBEC_", extra="ignore", frozen=True)

    db: Path | PostgresUrl = Field(
        Path("var/cbec.db"),
        description="SQLite file, or a `postgresql://user:password@host:5432/dbname` URL (several replicas), "
        "for the enquiry log, conversation state, tickets and staff logins.",
    )
    spool_dir: Path | None = Field(
        None, description="Folder for log rows not yet written; default: beside the SQLite file, var/postgres.spool for PostgreSQL."
    )
    workers: int = Field(
        1, ge=1, le=16, description="Worker processes `cbec-bot serve` runs (uvicorn workers); more than 1 needs Telegram and WeChat off."
    )
    secret: SecretStr = Field(
        SecretStr("change-me-in-production"),
        description="Key for pseudonymising user ids (HMAC) and signing staff sessions.",
    )
    host: str = Field("127.0.0.1", description="Address `cbec-bot serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `cbec-bot serve` listens on.")
    telegram_token: SecretStr | None = Field(None, description="Bot token from @BotFather; Telegram is off without it.")
    telegram_api_url: str = Field(
        "https://api.telegram.org", description="Bot API server root; point it at a local Bot API server if you run one."
    )
    telegram_runtime: Literal["aiogram", "ptb"] = Field("aiogram", description="Telegram library: aiogram or ptb.")
    telegram_mode: Literal["polling", "webhook"] = Field("polling", description="Long polling or webhook.")
    webhook_url: str | None = Field(None, description="Public HTTPS URL Telegram posts updates to (webhook mode).")
    webhook_secret: SecretStr | None = Field(
        None, description="Secret token Telegram sends in X-Telegram-Bot-Api-Secret-Token (webhook mode)."
    )
    wechat_token: SecretStr | None = Field(
        None, description="Token entered in the Official Account's server settings (服务器配置); WeChat is off without it."
    )
    wechat_appid: str | None = Field(None, description="The Official Account's AppID (wx…); WeChat is off without it.")
    wechat_secret: SecretStr | None = Field(
        None, description="The Official Account's AppSecret, for the customer-service and menu APIs."
    )
    wechat_aes_key: SecretStr | None = Field(
        None, description="EncodingAESKey (43 characters) for safe mode (安全模式); empty: plain mode."
    )
    wechat_api_url: str = Field(
        "https://api.weixin.qq.com", description="WeChat API root; tests point it at a local fake server."
    )
    staff_chat_id: int | None = Field(None, description="Telegram chat that receives hand-offs and takes staff commands.")
    staff_user_ids: str = Field("", description="Comma-separated Telegram user ids allowed to use staff commands.")
    operator_user_ids: str = Field("", description="Comma-separated Telegram user ids allowed to reload the FAQ.")
    staff_users: str = Field(
        "", description="Dashboard logins as `name:role:pbkdf2-hash` entries separated by `;` (see `cbec-bot staff add`)."
    )
    default_region: Literal["dalian-gxq", "liaoning", "yingkou", "panjin", "sichuan", "other"] | None = Field(
        None, description="Region assumed when the user has not chosen one."
    )
    flood_limit: int = Field(
        20, ge=1, description="Messages one user (Telegram) or web chat session may send per minute before being asked to slow down."
    )
    web_client_limit: int = Field(
        300, ge=0, description="Web chat messages one client address may send per minute (all its sessions); 0: no limit."
    )
    broadcast_rate: float = Field(
        25.0, gt=0, le=30, description="Policy-update digests sent to Telegram per second (Telegram allows about 30)."
    )
    faq_dir: Path | None = Field(
        None, description="Folder of FAQ YAML files operators edit; default: the FAQ shipped in the package."
    )
    trusted_proxies: str = Field(
        "127.0.0.1,::1",
        description="Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For/-Proto are believed.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Level of the JSON logs.")
    handoff_hours: str | None = Field(
        None,
        description="Staff working hours for hand-offs, `DAYS HH:MM-HH:MM [ZONE]` (bot/conversation/service_hours.py), "
        "e.g. `mon-fri 09:00-17:00 Asia/Shanghai`; empty: no answer time is promised.",
    )
    handoff_contact: str | None = Field(
        None, description="Contact line users are given with a hand-off, e.g. the service centre's phone."
    )
    handoff_idle_days: int = Field(14, ge=1, description="Days an answered hand-off ticket stays idle before it closes.")

    @field_validator("handoff_hours", "handoff_contact", "spool_dir", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("handoff_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is not None:
            from bot.conversation.service_hours import parse_hours

            parse_hours(value)  # raises ValueError saying what is wrong
        return value

    @property
    def service_hours(self):
        from bot.conversation.service_hours import parse_hours

        return parse_hours(self.handoff_hours) if self.handoff_hours else None

    @field_validator("faq_dir", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("wechat_token", "wechat_appid", "wechat_secret", "wechat_aes_key", mode="before")
    @classmethod
    def _blank_secret_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("wechat_token")
    @classmethod
    def _wechat_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9]{3,32}", value.get_secret_value()):
            raise ValueError("must be 3-32 letters or digits, as the Official Account settings require")
        return value

    @field_validator("wechat_appid")
    @classmethod
    def _wechat_appid(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"wx[0-9a-f]{16}", value.strip()):
            raise ValueError("must be the AppID from the Official Account's basic settings, wx and 16 hex digits")
        return value.strip() if value else value

    @field_validator("wechat_aes_key")
    @classmethod
    def _wechat_aes_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9]{43}", value.get_secret_value()):
            raise ValueError("must be the 43-character EncodingAESKey (letters and digits)")
        return value

    @model_validator(mode="after")
    def _wechat_complete(self) -> Settings:
        if (self.wechat_token is None) != (self.wechat_appid is None):
            raise ValueError("CBEC_WECHAT_TOKEN and CBEC_WECHAT_APPID go together: set both to turn WeChat on, or neither")
        if self.wechat_aes_key is not None and self.wechat_token is None:
            raise ValueError("CBEC_WECHAT_AES_KEY is set but WeChat is off: set CBEC_WECHAT_TOKEN and CBEC_WECHAT_APPID too")
        return self

    @property
    def wechat_on(self) -> bool:
        """The /wechat endpoint is mounted (CBEC_WECHAT_TOKEN and CBEC_WECHAT_APPID set)."""
        return self.wechat_token is not None and self.wechat_appid is not None

    @field_validator("telegram_api_url", "webhook_url", "wechat_api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @field_validator("db", mode="plain")
    @classmethod
    def _database(cls, value: object) -> Path | PostgresUrl:
        from bot.storage import is_postgres_url

        if isinstance(value, Path):
            return value
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a SQLite file path or a postgresql:// URL")
        if is_postgres_url(value.strip()):
            return parse_postgres_url(value.strip())
        if "://" in value:
            raise ValueError("only SQLite paths and postgresql:// URLs are supported")
        return Path(value)

    @property
    def db_label(self) -> str:
        """The database for messages: the file, or the URL without its password."""
        return self.db.redacted if isinstance(self.db, PostgresUrl) else str(self.db)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        import ipaddress

        for part in value.replace(" ", "").split(","):
            if part and part != "*":
                try:
                    ipaddress.ip_network(part, strict=False)
                except ValueError:
                    raise ValueError(f"{part!r} is not an IP address or network") from None
        return value

    @property
    def proxies(self) -> list[str]:
        return [part for part in self.trusted_proxies.replace(" ", "").split(",") if part]

    @property
    def weak_secret(self) -> str | None:
        """Why CBEC_SECRET must not run a public service, or None when it may."""
        secret = self.secret.get_secret_value()
        if secret == Settings.model_fields["secret"].default.get_secret_value():
            return "CBEC_SECRET is the published default"
        if len(secret.encode()) < 32:
            return f"CBEC_SECRET has {len(secret.encode())} bytes, fewer than 32"
        return None

    @staticmethod
    def _ids(raw: str) -> frozenset[int]:
        return frozenset(int(part) for part in raw.replace(" ", "").split(",") if part)

    @field_validator("staff_user_ids", "operator_user_ids")
    @classmethod
    def _id_list(cls, value: str) -> str:
        try:
            cls._ids(value)
        except ValueError:
            raise ValueError("must be Telegram user ids separated by commas") from None
        return value

    @property
    def staff_ids(self) -> frozenset[int]:
        return self._ids(self.staff_user_ids) | self._ids(self.operator_user_ids)

    @property
    def operator_ids(self) -> frozenset[int]:
        return self._ids(self.operator_user_ids)


def load_settings(**overrides: object) -> Settings:
    """Read the environment; raise SettingsError with one line per wrong variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else None
            name = f"CBEC_{field.upper()}" if field else "CBEC_*"
            if field is None:  # a rule across settings: its message names them; the input holds secrets
                lines.append(f"{name}: {problem['msg'].removeprefix('Value error, ')}")
            elif "SecretStr" in str(Settings.model_fields[field].annotation):
                lines.append(f"{name}: {problem['msg']} (value not shown: it is a secret)")
            else:
                given = problem.get("input")
                if field == "db" and isinstance(given, str):
                    given = PostgresUrl(given).redacted  # a database URL may carry its password
                lines.append(f"{name}: {problem['msg']} (got {given!r})")
        raise SettingsError("; ".join(lines)) from None
