"""Typed settings, read once from ``BRIDGEFUND_*`` environment variables.

Every variable is listed in the README's configuration table. ``create_app(config)`` accepts a mapping
that overrides these (the tests use it); nothing else in the code reads the environment.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: The project's top-level folder (where ``instance/``, ``reports/`` and ``templates/`` live).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The configuration cannot run: the message says which variable and why."""


@dataclass
class Settings:
    #: SQLAlchemy URL. SQLite (embedded default) or ``postgresql+psycopg://…`` in production.
    database_url: str = ""
    #: SQLAlchemy URL of a read replica (a PostgreSQL streaming standby of ``database_url``); empty: none. When set,
    #: report data of closed months (monthly reports, bank statements) is read from it; everything else, and any
    #: month the replica has not yet seen closed, reads the primary (``reports.service.figures_session``).
    replica_database_url: str = ""
    #: Key for token hashing; production (``BRIDGEFUND_ENV=production``) refuses to start without it.
    secret_key: str = ""
    #: Where generated PDFs are archived.
    reports_dir: str = ""
    #: The fund's business timezone: "today" and value dates are judged in it.
    timezone: str = "Asia/Shanghai"
    #: Bearer token lifetime in minutes.
    token_ttl_minutes: int = 480
    #: ``development`` or ``production``.
    env: str = "development"
    #: Failed logins for one username before it is throttled, and the window they are counted in.
    login_max_failures: int = 5
    login_window_seconds: int = 900
    #: Argon2 cost parameters (tests lower them; production keeps argon2-cffi's defaults).
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    #: Log level for the ``bridgefund`` logger.
    log_level: str = "INFO"
    #: Lists count their ``total`` exactly up to this many rows; above it PostgreSQL answers the planner's
    #: estimate (``total_exact: false``) unless the request asks ``total=exact``. SQLite always counts exactly.
    exact_total_limit: int = 10_000
    #: Testing mode: unexpected exceptions re-raise instead of becoming a 500 problem.
    testing: bool = False
    #: Fixed "today" (YYYY-MM-DD) for demos and tests; empty means the real date in ``timezone``.
    today: str = ""
    #: The staff console signs a user out after this many minutes without a request.
    session_idle_minutes: int = 30
    #: ``Secure`` on the console's session cookie (HTTPS only): "1"/"0"; empty means on in production only.
    secure_cookies: str = ""
    instance_dir: str = field(default_factory=lambda: str(PROJECT_ROOT / "instance"))
    #: Redis URL of the task queue (``redis://host:6379/0``); empty means the embedded SQLite queue.
    redis_url: str = ""
    #: The embedded queue's SQLite file (used when ``redis_url`` is empty); default ``instance/huey.sqlite3``.
    huey_sqlite: str = ""
    #: Run tasks inline where they are enqueued, without a consumer (the tests; never in production).
    huey_immediate: bool = False
    #: Bearer token that ``GET /metrics`` requires; empty means the metrics endpoint answers 404.
    metrics_token: str = ""
    #: A consumer whose last heartbeat is older than this many seconds is down (``/healthz`` answers 503).
    worker_stale_seconds: int = 180
    #: An import preview not confirmed within this many hours gives its uploaded file up (the nightly purge).
    import_preview_hours: int = 24
    #: The staff console's base URL: links in e-mail and WeCom messages point below it.
    console_url: str = "http://localhost:8000"
    #: SMTP server for e-mail notifications (empty: e-mail deliveries fail with "not configured").
    smtp_host: str = ""
    smtp_port: int = 25
    #: The ``From`` address of notification e-mail.
    smtp_sender: str = "bridgefund@localhost"
    #: What a WeCom group robot webhook must start with (users' webhooks are checked against it).
    wecom_webhook_prefix: str = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="
    #: Messages a minute one WeCom robot accepts (WeCom's limit is 20).
    wecom_per_minute: int = 20
    #: Attempts of one delivery before it is ``failed`` (backoff 30 s, 1, 2, 4 … minutes between them).
    notify_max_attempts: int = 6

    @property
    def cookies_secure(self) -> bool:
        """Whether the console's session cookie is sent over HTTPS only (default: in production)."""
        if self.secure_cookies == "":
            return self.env == "production"
        return self.secure_cookies in ("1", "true")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def business_date(self) -> dt.date:
        """Today's business date in the fund's timezone (``BRIDGEFUND_TODAY`` pins it for demos and tests): the one
        definition of "today" (web.today, the CLIs, the demo and the services' defaults use it)."""
        return dt.date.fromisoformat(self.today) if self.today else dt.datetime.now(self.tz).date()


_ENV = {
    "database_url": "BRIDGEFUND_DATABASE_URL",
    "replica_database_url": "BRIDGEFUND_REPLICA_DATABASE_URL",
    "secret_key": "BRIDGEFUND_SECRET_KEY",
    "reports_dir": "BRIDGEFUND_REPORTS_DIR",
    "timezone": "BRIDGEFUND_TIMEZONE",
    "token_ttl_minutes": "BRIDGEFUND_TOKEN_TTL_MINUTES",
    "env": "BRIDGEFUND_ENV",
    "login_max_failures": "BRIDGEFUND_LOGIN_MAX_FAILURES",
    "login_window_seconds": "BRIDGEFUND_LOGIN_WINDOW_SECONDS",
    "log_level": "BRIDGEFUND_LOG_LEVEL",
    "exact_total_limit": "BRIDGEFUND_EXACT_TOTAL_LIMIT",
    "today": "BRIDGEFUND_TODAY",
    "redis_url": "BRIDGEFUND_REDIS_URL",
    "huey_sqlite": "BRIDGEFUND_HUEY_SQLITE",
    "metrics_token": "BRIDGEFUND_METRICS_TOKEN",
    "worker_stale_seconds": "BRIDGEFUND_WORKER_STALE_SECONDS",
    "import_preview_hours": "BRIDGEFUND_IMPORT_PREVIEW_HOURS",
    "session_idle_minutes": "BRIDGEFUND_SESSION_IDLE_MINUTES",
    "secure_cookies": "BRIDGEFUND_SECURE_COOKIES",
    "console_url": "BRIDGEFUND_CONSOLE_URL",
    "smtp_host": "BRIDGEFUND_SMTP_HOST",
    "smtp_port": "BRIDGEFUND_SMTP_PORT",
    "smtp_sender": "BRIDGEFUND_SMTP_SENDER",
    "wecom_webhook_prefix": "BRIDGEFUND_WECOM_WEBHOOK_PREFIX",
    "wecom_per_minute": "BRIDGEFUND_WECOM_PER_MINUTE",
    "notify_max_attempts": "BRIDGEFUND_NOTIFY_MAX_ATTEMPTS",
}


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Build settings from the environment, then ``overrides``; validate and fill derived defaults."""
    s = Settings()
    known = {f.name: f for f in fields(Settings)}
    for name, var in _ENV.items():
        raw = os.environ.get(var)
        if raw is None or raw == "":
            continue
        setattr(s, name, _coerce(name, raw, known[name].type, var))
    for name, value in (overrides or {}).items():
        if name not in known:
            raise ConfigError(f"unknown setting {name!r}")
        setattr(s, name, value)

    instance = Path(s.instance_dir)
    if not s.database_url:
        instance.mkdir(parents=True, exist_ok=True)
        s.database_url = f"sqlite:///{instance / 'bridgefund.sqlite3'}"
    if not s.huey_sqlite:
        s.huey_sqlite = str(instance / "huey.sqlite3")
    if s.redis_url and not s.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("BRIDGEFUND_REDIS_URL must be a redis://, rediss:// or unix:// URL")
    if s.worker_stale_seconds <= 0:
        raise ConfigError("BRIDGEFUND_WORKER_STALE_SECONDS must be a positive number of seconds")
    if s.import_preview_hours <= 0:
        raise ConfigError("BRIDGEFUND_IMPORT_PREVIEW_HOURS must be a positive number of hours")
    if s.env == "production" and s.huey_immediate:
        raise ConfigError("the immediate task mode is for tests: not with BRIDGEFUND_ENV=production")
    if not s.reports_dir:
        s.reports_dir = str(PROJECT_ROOT / "reports")
    if s.env not in ("development", "production"):
        raise ConfigError("BRIDGEFUND_ENV must be 'development' or 'production'")
    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"BRIDGEFUND_TIMEZONE: unknown timezone {s.timezone!r}") from exc
    if s.token_ttl_minutes <= 0:
        raise ConfigError("BRIDGEFUND_TOKEN_TTL_MINUTES must be a positive number of minutes")
    if s.session_idle_minutes <= 0:
        raise ConfigError("BRIDGEFUND_SESSION_IDLE_MINUTES must be a positive number of minutes")
    if s.secure_cookies not in ("", "0", "1", "true", "false"):
        raise ConfigError("BRIDGEFUND_SECURE_COOKIES must be 1 or 0 (empty: on in production)")
    if s.exact_total_limit < 0:
        raise ConfigError("BRIDGEFUND_EXACT_TOTAL_LIMIT must be a number of rows, 0 or more")
    if not s.secret_key:
        if s.env == "production":
            raise ConfigError("BRIDGEFUND_SECRET_KEY is required when BRIDGEFUND_ENV=production")
        s.secret_key = _development_secret(instance)
    return s


def _coerce(name: str, raw: str, typ: Any, var: str) -> Any:
    if typ in (int, "int"):
        try:
            return int(raw)
        except ValueError as exc:
            raise ConfigError(f"{var} must be a whole number, got {raw!r}") from exc
    return raw


def _development_secret(instance: Path) -> str:
    """Generate once and keep under ``instance/`` so tokens survive restarts in development."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
