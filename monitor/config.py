"""Configuration, read once from the environment with safe defaults.

Everything the operator can set lives here; `problems_for_production` says
what must change before the production server will start.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

MIN_SECRET_LENGTH = 32
DEFAULT_ORIGINS = ("http://127.0.0.1:5000", "http://localhost:5000")


@dataclass(frozen=True)
class Config:
    db_path: Path = Path("sessions.db")
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 5000
    timezone: ZoneInfo = field(default_factory=lambda: local_zone())
    allowed_origins: tuple[str, ...] = DEFAULT_ORIGINS
    message_queue: str | None = None
    workers: int = 1
    sockets_per_address: int = 100
    proxy_hops: int = 0
    idle_timeout_minutes: int = 15
    absolute_timeout_hours: int = 12
    max_request_bytes: int = 1024 * 1024
    max_upload_bytes: int = 16 * 1024 * 1024
    max_socket_message_bytes: int = 64 * 1024
    login_max_failures: int = 5
    login_lockout_seconds: int = 15 * 60
    synchronous: str = "FULL"
    debug: bool = False
    tls: bool = False
    shift_hours: int = 8  # /handover shows what happened since the shift began, this long ago by default
    clinic_name: str | None = None  # the REMS form's monitoring provider and setting
    rems_certification: str | None = None

    def with_overrides(self, **changes) -> Config:
        return replace(self, **changes)


def local_zone() -> ZoneInfo:
    """The machine's zone, by name where it can be found, else UTC."""
    name = os.environ.get("TZ")
    if not name:
        try:
            name = "/".join(Path("/etc/localtime").resolve().parts[-2:])
            ZoneInfo(name)
        except Exception:
            name = "UTC"
    try:
        return ZoneInfo(name)
    except Exception:
        return ZoneInfo("UTC")


def from_env(env: dict[str, str] | None = None) -> Config:
    """Build the configuration from MONITOR_* variables."""
    env = dict(os.environ if env is None else env)
    db_path = Path(env.get("MONITOR_DB", "sessions.db"))
    origins = tuple(o.strip() for o in env.get("MONITOR_ALLOWED_ORIGINS", "").split(",") if o.strip())
    zone = env.get("MONITOR_TIMEZONE")
    return Config(
        db_path=db_path,
        secret_key=env.get("MONITOR_SECRET_KEY") or stored_secret(db_path),
        host=env.get("MONITOR_HOST", "127.0.0.1"),
        port=int(env.get("MONITOR_PORT", "5000")),
        timezone=ZoneInfo(zone) if zone else local_zone(),
        allowed_origins=origins or DEFAULT_ORIGINS,
        message_queue=env.get("MONITOR_MESSAGE_QUEUE") or None,
        workers=int(env.get("MONITOR_WORKERS", "1")),
        sockets_per_address=int(env.get("MONITOR_SOCKETS_PER_ADDRESS", "100")),
        proxy_hops=int(env.get("MONITOR_PROXY_HOPS", "0")),
        idle_timeout_minutes=int(env.get("MONITOR_IDLE_TIMEOUT_MINUTES", "15")),
        absolute_timeout_hours=int(env.get("MONITOR_ABSOLUTE_TIMEOUT_HOURS", "12")),
        login_max_failures=int(env.get("MONITOR_LOGIN_MAX_FAILURES", "5")),
        login_lockout_seconds=60 * int(env.get("MONITOR_LOGIN_LOCKOUT_MINUTES", "15")),
        synchronous=env.get("MONITOR_SYNCHRONOUS", "FULL").upper(),
        debug=env.get("MONITOR_DEBUG", "0") in ("1", "true", "yes"),
        tls=env.get("MONITOR_TLS", "0") in ("1", "true", "yes"),
        shift_hours=int(env.get("MONITOR_SHIFT_HOURS", "8")),
        clinic_name=env.get("MONITOR_CLINIC_NAME") or None,
        rems_certification=env.get("MONITOR_REMS_CERTIFICATION") or None,
    )


def stored_secret(db_path: Path) -> str:
    """The secret kept beside the database, generated the first time (never in the repo)."""
    path = Path(str(db_path) + ".secret")
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def problems_for_production(config: Config) -> list[str]:
    """What stops the production server from starting, each with what to change."""
    problems = []
    if config.debug:
        problems.append("debug is on: unset MONITOR_DEBUG")
    if len(config.secret_key) < MIN_SECRET_LENGTH or len(set(config.secret_key)) < 10:
        problems.append(
            f"the secret key is weak: set MONITOR_SECRET_KEY to at least {MIN_SECRET_LENGTH} random "
            "characters, or unset it to have one generated beside the database"
        )
    if "*" in config.allowed_origins:
        problems.append("MONITOR_ALLOWED_ORIGINS contains '*': list the clinic's own origins")
    if config.workers < 1:
        problems.append(f"MONITOR_WORKERS is {config.workers}: it must be at least 1")
    if config.workers > 1 and not config.message_queue:
        problems.append("several workers need MONITOR_MESSAGE_QUEUE (e.g. redis://127.0.0.1:6379/0) to wake "
                        "each other")
    if config.synchronous != "FULL":
        problems.append(f"MONITOR_SYNCHRONOUS is {config.synchronous}: it must be FULL")
    return problems
