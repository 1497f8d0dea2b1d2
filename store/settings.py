"""Configuration read from the environment, with defaults that work on a developer's machine.

The same variable names appear in docker-compose.yml; a test checks that they agree.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", REPO_ROOT / "instance"))

ENV_NAMES = ("DATABASE_URL", "REDIS_URL", "OPENSEARCH_URL", "INDEX_PREFIX", "SECRET_KEY")


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'catalog.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    redis_url: str = "redis://127.0.0.1:6379/0"
    opensearch_url: str = "http://127.0.0.1:9200"
    index_prefix: str = "catalog-"
    secret_key: str = "dev-only-not-secret"
    # Web requests must answer within 2 s even when a service hangs, so their clients give up early.
    web_timeout: float = 1.5
    # Bulk loads wait for a busy node instead of failing a long reindex.
    bulk_timeout: float = 120.0
    # How long a relay's claim on outbox rows lasts; rows of a relay that died come back after it.
    outbox_lease_seconds: float = 60.0
    # The rebuild lock's time to live. Its holder renews it every third of this, so a holder that
    # died (a SIGKILLed worker) blocks the next rebuild for at most this long.
    rebuild_lock_seconds: float = 60.0

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values = {
            "database_url": os.environ.get("DATABASE_URL") or _default_database_url(),
            "redis_url": os.environ.get("REDIS_URL", cls.redis_url),
            "opensearch_url": os.environ.get("OPENSEARCH_URL", cls.opensearch_url),
            "index_prefix": os.environ.get("INDEX_PREFIX", cls.index_prefix),
            "secret_key": os.environ.get("SECRET_KEY", cls.secret_key),
            "outbox_lease_seconds": float(os.environ.get("OUTBOX_LEASE_SECONDS", cls.outbox_lease_seconds)),
            "rebuild_lock_seconds": float(os.environ.get("REBUILD_LOCK_SECONDS", cls.rebuild_lock_seconds)),
        }
        values.update(overrides)
        return cls(**values)
