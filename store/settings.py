"""Configuration read from the environment, with defaults that work on a developer's machine.

The same variable names appear in docker-compose.yml; a test checks that they agree.

The one setting with no usable default is SECRET_KEY: it signs login sessions, so a key anyone
can read lets anyone sign a cookie for any user. `CATALOG_ENV` says where the code runs:
`production` (the default) needs a long, private key and the web app refuses to start without
one; `development` (`make dev`) and `test` (the test suite) accept any key.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", REPO_ROOT / "instance"))

ENV_NAMES = ("DATABASE_URL", "REDIS_URL", "OPENSEARCH_URL", "INDEX_PREFIX", "SECRET_KEY", "CATALOG_ENV",
             "CREDENTIALS_SHARDS", "CREDENTIALS_REPLICAS", "VOCABULARY_SHARDS", "VOCABULARY_REPLICAS",
             # Observability (docs/operations.md): log format, who may read /metrics.
             "LOG_FORMAT", "METRICS_TOKEN", "METRICS_ALLOW",
             # Mail for password resets, and the address the links in it point at.
             "MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_USE_TLS", "MAIL_FROM",
             "PUBLIC_URL",
             # The base of the @id of every exported CTDL record (docs/ctdl.md).
             "CTDL_BASE_URI")

# Index families and the settings that shape them (shards, replicas): `credentials` is the one
# index that grows with the registry; `vocabulary` covers every taxonomy index (occupations,
# sectors, programs, skills), which stay small whatever the deployment.
INDEX_FAMILIES = ("credentials", "vocabulary")

ENVIRONMENTS = ("production", "development", "test")
MIN_SECRET_KEY_LENGTH = 32
# Keys that were ever written in this repository (code, compose, docs) or that people paste from
# tutorials: being public, they protect nothing, however long.
KNOWN_PUBLIC_SECRET_KEYS = frozenset({
    "dev-only-not-secret", "change-me-in-production", "changeme", "change-me", "secret", "dev", "development",
    "your-secret-key", "super-secret-key",
})
HOW_TO_SET_A_KEY = ("set it to a long random value, e.g. "
                    "export SECRET_KEY=\"$(python -c 'import secrets; print(secrets.token_hex(32))')\", "
                    "and keep it the same across restarts and on every web server; "
                    "on a developer's machine, `make dev` makes one, or set CATALOG_ENV=development")


class ConfigurationError(RuntimeError):
    """A setting the app cannot run with; the message says how to fix it."""


def secret_key_problem(key: str | None, environment: str) -> str | None:
    """Why `key` must not sign sessions in `environment`, or None when it may."""
    if environment != "production":
        return None
    if not key:
        problem = "SECRET_KEY is not set"
    elif key.strip().lower() in KNOWN_PUBLIC_SECRET_KEYS:
        problem = "SECRET_KEY is a public example value that anyone can use to forge a login"
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        problem = f"SECRET_KEY is too short ({len(key)} characters; at least {MIN_SECRET_KEY_LENGTH})"
    else:
        return None
    return f"{problem}. It signs login sessions: {HOW_TO_SET_A_KEY}."


def opensearch_hosts(url: str) -> list[str]:
    hosts = [part.strip() for part in url.split(",") if part.strip()]
    if not hosts:
        raise ConfigurationError("OPENSEARCH_URL is empty; give one node (http://127.0.0.1:9200) "
                                 "or several separated by commas")
    return hosts


def _count_from_env(name: str, default: int, lowest: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < lowest:
        raise ConfigurationError(f"{name} is {raw!r}; it must be a whole number of at least {lowest}")
    return value


def _flag_setting(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise ConfigurationError(f"{name} is {value!r}; use true or false")
    return value in ("1", "true", "yes", "on")


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'catalog.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    redis_url: str = "redis://127.0.0.1:6379/0"
    # One node, or several separated by commas: clients spread requests over them and retry on
    # another one after a connection error or a time-out (indexer.client).
    opensearch_url: str = "http://127.0.0.1:9200"
    index_prefix: str = "catalog-"
    # No default: see secret_key_problem(). Development and tests without one get a random key.
    secret_key: str = ""
    environment: str = "production"
    # Web requests must answer within 2 s even when a service hangs, so their clients give up early.
    web_timeout: float = 1.5
    # Bulk loads wait for a busy node instead of failing a long reindex.
    bulk_timeout: float = 120.0
    # How long a relay's claim on outbox rows lasts; rows of a relay that died come back after it.
    outbox_lease_seconds: float = 60.0
    # The rebuild lock's time to live. Its holder renews it every third of this, so a holder that
    # died (a SIGKILLed worker) blocks the next rebuild for at most this long.
    rebuild_lock_seconds: float = 60.0
    # Shards and replicas per index family (INDEX_FAMILIES). One shard holds a few million
    # credentials (docs/scaling.md); replicas need as many more nodes and give searches somewhere
    # to go when a node dies. Changing shards takes a rebuild; replicas apply at the next rebuild
    # or `catalog index init`.
    credentials_shards: int = 1
    credentials_replicas: int = 0
    vocabulary_shards: int = 1
    vocabulary_replicas: int = 0
    # Where CTDL records live: a record's @id is this followed by its CTID (catalog/ctdl/export.py).
    ctdl_base_uri: str = "https://credentialengineregistry.org/resources/"
    # Outgoing mail (password resets) over SMTP: catalog/mail.py. `make dev` points these at the
    # local aiosmtpd server that scripts/mail-local runs (port 8025, messages in instance/mail/).
    mail_server: str = "127.0.0.1"
    mail_port: int = 25
    mail_username: str = ""
    mail_password: str = ""
    mail_use_tls: bool = False
    mail_from: str = "Credential Catalog <no-reply@localhost>"
    # The address people reach the site at, e.g. https://credentials.example.gov; links in mail
    # start with it. Empty: the request's own host, which a forged Host header can change, so
    # set it in production.
    public_url: str = ""
    # --- observability (docs/operations.md) ---
    # `text` or `json` (one object a line, with the request id; store/logs.py).
    log_format: str = "text"
    # Who may read GET /metrics: a client sending `Authorization: Bearer <metrics_token>`, or one
    # whose address is in metrics_allow (addresses or CIDR networks). Loopback by default, so a
    # Prometheus on the same host needs nothing and nobody else sees anything.
    metrics_token: str = ""
    metrics_allow: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    # A Celery worker serves its metrics on this port (0: not at all; see workers/metrics.py).
    worker_metrics_port: int = 0
    worker_metrics_address: str = "127.0.0.1"

    @property
    def opensearch_hosts(self) -> list[str]:
        """OPENSEARCH_URL as a list: `http://a:9200,http://b:9200` names two nodes of one cluster."""
        return opensearch_hosts(self.opensearch_url)

    def index_shape(self, family: str) -> tuple[int, int]:
        """(shards, replicas) for an index family from INDEX_FAMILIES."""
        return getattr(self, f"{family}_shards"), getattr(self, f"{family}_replicas")

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values = {
            "database_url": os.environ.get("DATABASE_URL") or _default_database_url(),
            "redis_url": os.environ.get("REDIS_URL", cls.redis_url),
            "opensearch_url": os.environ.get("OPENSEARCH_URL", cls.opensearch_url),
            "index_prefix": os.environ.get("INDEX_PREFIX", cls.index_prefix),
            "secret_key": os.environ.get("SECRET_KEY", cls.secret_key),
            "environment": os.environ.get("CATALOG_ENV", "").strip().lower() or cls.environment,
            "outbox_lease_seconds": float(os.environ.get("OUTBOX_LEASE_SECONDS", cls.outbox_lease_seconds)),
            "rebuild_lock_seconds": float(os.environ.get("REBUILD_LOCK_SECONDS", cls.rebuild_lock_seconds)),
            "ctdl_base_uri": os.environ.get("CTDL_BASE_URI") or cls.ctdl_base_uri,
            "mail_server": os.environ.get("MAIL_SERVER") or cls.mail_server,
            "mail_port": _count_from_env("MAIL_PORT", cls.mail_port, lowest=1),
            "mail_username": os.environ.get("MAIL_USERNAME", cls.mail_username),
            "mail_password": os.environ.get("MAIL_PASSWORD", cls.mail_password),
            "mail_use_tls": _flag_setting("MAIL_USE_TLS", cls.mail_use_tls),
            "mail_from": os.environ.get("MAIL_FROM") or cls.mail_from,
            "public_url": os.environ.get("PUBLIC_URL", cls.public_url).rstrip("/"),
            **_observability_from_env(),
        }
        for family in INDEX_FAMILIES:
            for part, lowest in (("shards", 1), ("replicas", 0)):
                values[f"{family}_{part}"] = _count_from_env(f"{family.upper()}_{part.upper()}",
                                                             getattr(cls, f"{family}_{part}"), lowest)
        values.update(overrides)
        if values["environment"] not in ENVIRONMENTS:
            raise ConfigurationError(f"CATALOG_ENV is {values['environment']!r}; "
                                     f"use one of {', '.join(ENVIRONMENTS[:-1])} or {ENVIRONMENTS[-1]}")
        values["metrics_allow"] = parse_address_list(values.get("metrics_allow", cls.metrics_allow), "METRICS_ALLOW")
        return cls(**values)


def _observability_from_env() -> dict:
    values = {}
    if "LOG_FORMAT" in os.environ:
        values["log_format"] = os.environ["LOG_FORMAT"].strip().lower() or "text"
        if values["log_format"] not in ("text", "json"):
            raise ConfigurationError(f"LOG_FORMAT is {values['log_format']!r}; use text or json")
    if "METRICS_TOKEN" in os.environ:
        values["metrics_token"] = os.environ["METRICS_TOKEN"].strip()
    if "METRICS_ALLOW" in os.environ:
        values["metrics_allow"] = os.environ["METRICS_ALLOW"]
    values["worker_metrics_port"] = _count_from_env("WORKER_METRICS_PORT", Settings.worker_metrics_port, lowest=0)
    if os.environ.get("WORKER_METRICS_ADDRESS", "").strip():
        values["worker_metrics_address"] = os.environ["WORKER_METRICS_ADDRESS"].strip()
    return values


def parse_address_list(value: str | tuple | list, name: str) -> tuple[str, ...]:
    """Addresses and CIDR networks, comma-separated or listed, checked and written as networks."""
    import ipaddress

    parts = value.split(",") if isinstance(value, str) else list(value)
    networks = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ConfigurationError(f"{name} has {part!r}, which is not an IP address or network; "
                                     "write e.g. 127.0.0.1, 10.0.0.0/8, ::1") from None
    return tuple(networks)
