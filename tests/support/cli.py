"""Running `catalog ...` as an operator does: `python -m cli ...` in a fresh process at the repo root.

CliRunner runs a command inside the test process, where fixtures have already imported the
Celery app and exported settings; a bug that only shows in a fresh process (the CLI once sent
tasks through Celery's default AMQP app) passes there. These helpers start a new interpreter
with nothing but the environment an operator's shell would have.
"""
from __future__ import annotations

import os
import subprocess
import sys

from store.settings import Settings
from tests.support.services import ROOT


def operator_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The shell environment an operator runs `catalog` with, pointed at `settings`.

    Celery's own variables are dropped, so nothing but the catalog's settings can tell the CLI
    where the broker is.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("CELERY")}
    env.update(DATABASE_URL=settings.database_url, INDEX_PREFIX=settings.index_prefix,
               REDIS_URL=settings.redis_url, OPENSEARCH_URL=settings.opensearch_url,
               SECRET_KEY=settings.secret_key, **extra)
    return env


def run_catalog(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`catalog ARGS...` in a new process from the checkout under test; never raises on exit codes."""
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
