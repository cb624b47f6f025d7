"""Typed settings: a TOML file plus HOTLINE_<SECTION>_<KEY> environment overrides.

Loaded and validated once at start-up; the web app, the CLI and the workers all read
the same frozen object. Every problem is reported as one line naming the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotline.phone import PhoneError, parse_phone

DEFAULT_CONFIG_FILE = "hotline.toml"


class SettingsError(Exception):
    """A configuration problem; its message is one line naming the key."""


@dataclass(frozen=True)
class AppSettings:
    public_url: str = "http://127.0.0.1:5000"
    secret_key: str = ""
    log_level: str = "INFO"
    log_format: str = "text"    # "text" or "json" (one JSON object a line)
    timezone: str = "UTC"


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///hotline.db"


@dataclass(frozen=True)
class QueueSettings:
    redis_url: str = ""
    name: str = "hotline"


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str = ""
    auth_token: str = ""
    auth_token_secondary: str = ""
    api_base_url: str = "https://api.twilio.com"
    timeout_seconds: float = 10.0
    calls_per_second: float = 1.0


@dataclass(frozen=True)
class PrivacySettings:
    key: str = ""
    previous_key: str = ""      # during a rotation: the key being replaced (still decrypts)
    retention_days: int = 365           # contact records keep the caller's number this long
    recording_retention_days: int = 30  # messages' recordings are deleted at Twilio after


@dataclass(frozen=True)
class CallSettings:
    emergency_line: str = ""
    emergency_message: str = ""


@dataclass(frozen=True)
class OpsSettings:
    metrics_token: str = ""     # bearer token for /status and /metrics; empty: both 404


@dataclass(frozen=True)
class Settings:
    app: AppSettings = field(default_factory=AppSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    twilio: TwilioSettings = field(default_factory=TwilioSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    calls: CallSettings = field(default_factory=CallSettings)
    ops: OpsSettings = field(default_factory=OpsSettings)
    source: str = field(default="(defaults)", compare=False)

    @property
    def auth_tokens(self) -> tuple[str, ...]:
        """Tokens a webhook signature may verify against, current first (rotation)."""
        return tuple(t for t in (self.twilio.auth_token, self.twilio.auth_token_secondary) if t)


SECTIONS: dict[str, type[Any]] = {
    "app": AppSettings,
    "database": DatabaseSettings,
    "queue": QueueSettings,
    "twilio": TwilioSettings,
    "privacy": PrivacySettings,
    "calls": CallSettings,
    "ops": OpsSettings,
}


def config_path(environ: Mapping[str, str]) -> Path | None:
    """The file to read: $HOTLINE_CONFIG, else ./hotline.toml if it exists."""
    explicit = environ.get("HOTLINE_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise SettingsError(f"HOTLINE_CONFIG: no such file {explicit}")
        return path
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None


def load_settings(
    environ: Mapping[str, str] | None = None, path: Path | None = None
) -> Settings:
    """Read the TOML file and environment overrides, and validate the result."""
    env = os.environ if environ is None else environ
    file = path if path is not None else config_path(env)
    raw: dict[str, Any] = {}
    if file is not None:
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{file}: not valid TOML ({exc})") from None
        except OSError as exc:
            raise SettingsError(f"{file}: cannot read ({exc.strerror})") from None
    sections: dict[str, Any] = {}
    for section, cls in SECTIONS.items():
        table = raw.pop(section, {})
        if not isinstance(table, dict):
            raise SettingsError(f"{section}: must be a table [{section}]")
        sections[section] = _build_section(section, cls, table, env)
    if raw:
        unknown = sorted(raw)[0]
        raise SettingsError(f"{unknown}: unknown section (known: {', '.join(SECTIONS)})")
    settings = Settings(**sections, source=str(file) if file else "(defaults)")
    validate(settings)
    return settings


def _build_section(
    section: str, cls: type[Any], table: dict[str, Any], env: Mapping[str, str]
) -> Any:
    known = {f.name: f for f in fields(cls)}
    for key in table:
        if key not in known:
            raise SettingsError(f"{section}.{key}: unknown key")
    values: dict[str, Any] = {}
    for name, f in known.items():
        env_name = f"HOTLINE_{section.upper()}_{name.upper()}"
        if env_name in env:
            values[name] = _coerce(f"{section}.{name} (from {env_name})", env[env_name], f.type)
        elif name in table:
            values[name] = _coerce(f"{section}.{name}", table[name], f.type)
    return cls(**values)


def _coerce(key: str, value: Any, type_name: Any) -> Any:
    if type_name in ("str", str):
        if not isinstance(value, str):
            raise SettingsError(f"{key}: must be a string")
        return value
    if type_name in ("float", float):
        if isinstance(value, bool):
            raise SettingsError(f"{key}: must be a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{key}: must be a number, got {value!r}") from None
    if type_name in ("int", int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{key}: must be a whole number, got {value!r}")
        return value
    raise SettingsError(f"{key}: unsupported type")  # pragma: no cover - a coding error


def validate(settings: Settings) -> None:
    """Check every value that can be checked without a network; raise on the first problem."""
    url = urlsplit(settings.app.public_url)
    if url.scheme not in ("http", "https") or not url.netloc or url.query or url.fragment:
        raise SettingsError(
            f"app.public_url: must be an http(s) base URL like https://hotline.example.org, "
            f"got {settings.app.public_url!r}"
        )
    if settings.app.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError("app.log_level: must be DEBUG, INFO, WARNING or ERROR")
    if settings.app.log_format not in ("text", "json"):
        raise SettingsError("app.log_format: must be \"text\" or \"json\"")
    token = settings.ops.metrics_token
    if token and len(token) < 16:
        raise SettingsError("ops.metrics_token: at least 16 characters, or empty")
    try:
        ZoneInfo(settings.app.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"app.timezone: unknown IANA zone {settings.app.timezone!r}") from None
    db = settings.database.url
    if not db.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
        raise SettingsError(
            "database.url: must be a sqlite:/// or postgresql+psycopg:// URL, "
            f"got {_redact_url(db)!r}"
        )
    _check_parses("database.url", db)
    redis_url = settings.queue.redis_url
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("queue.redis_url: must be a redis:// URL or empty, "
                            f"got {_redact_url(redis_url)!r}")
    if not settings.queue.name.replace("-", "").replace("_", "").isalnum():
        raise SettingsError("queue.name: letters, digits, '-' and '_' only")
    sid = settings.twilio.account_sid
    if sid and not (sid.startswith("AC") and len(sid) == 34):
        raise SettingsError("twilio.account_sid: must look like AC followed by 32 characters")
    base = urlsplit(settings.twilio.api_base_url)
    if base.scheme not in ("http", "https") or not base.netloc:
        raise SettingsError("twilio.api_base_url: must be an http(s) URL")
    if not 0 < settings.twilio.timeout_seconds <= 60:
        raise SettingsError("twilio.timeout_seconds: must be between 0 and 60")
    if settings.twilio.calls_per_second <= 0:
        raise SettingsError("twilio.calls_per_second: must be above 0")
    previous = settings.privacy.previous_key
    if previous and len(previous) < 16:
        raise SettingsError("privacy.previous_key: at least 16 characters, or empty")
    if previous and previous == settings.privacy.key:
        raise SettingsError("privacy.previous_key: is privacy.key itself; give the key being "
                            "replaced, or leave it empty")
    for name in ("retention_days", "recording_retention_days"):
        if getattr(settings.privacy, name) < 1:
            raise SettingsError(f"privacy.{name}: must be 1 or more (days)")
    if settings.calls.emergency_line:
        try:
            parse_phone(settings.calls.emergency_line)
        except PhoneError as exc:
            raise SettingsError(f"calls.emergency_line: {exc} (like +18002738255)") from None


def _check_parses(key: str, url: str) -> None:
    """A URL the database driver will be able to read (a port that is a number, ...)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        port = make_url(url).port
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"port {port} is out of range")
    except (ArgumentError, ValueError) as exc:
        raise SettingsError(f"{key}: not a valid URL ({_redact_url(str(exc))}), "
                            f"got {_redact_url(url)!r}") from None


def require_privacy_key(settings: Settings) -> None:
    """What every process that encrypts or hashes a number needs (a drill makes its own)."""
    if len(settings.privacy.key) < 16:
        raise SettingsError(
            "privacy.key: must be set, at least 16 characters (it encrypts callers' numbers)"
        )


def require_for_serving(settings: Settings) -> None:
    """What the web app and workers cannot run without (a drill can)."""
    if len(settings.app.secret_key) < 16:
        raise SettingsError("app.secret_key: must be set, at least 16 characters")
    require_privacy_key(settings)
    if not settings.twilio.account_sid:
        raise SettingsError("twilio.account_sid: must be set")
    if not settings.twilio.auth_token:
        raise SettingsError(
            "twilio.auth_token: must be set (webhook signatures cannot be checked without it)"
        )


# scheme://user:PASSWORD@host: everything between the first ':' after the user and the last
# '@' of the token goes, whatever it holds (even characters a URL should have escaped).
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^:/@\s]*:)\S*@", re.IGNORECASE)


def redact_passwords(text: str) -> str:
    """`text` with the password of every URL in it replaced by ***."""
    return _URL_PASSWORD.sub(r"\1***@", text)


def _redact_url(url: str) -> str:
    return redact_passwords(url)


def with_overrides(settings: Settings, **sections: Mapping[str, Any]) -> Settings:
    """A copy with some keys replaced, e.g. with_overrides(s, database={"url": ...})."""
    changes = {name: replace(getattr(settings, name), **dict(values))
               for name, values in sections.items()}
    return replace(settings, **changes)
