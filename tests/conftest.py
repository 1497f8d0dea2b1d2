"""Fixtures: real services, and a fresh index prefix, database and task queue for every run.

Every run gets its own INDEX_PREFIX (indices, aliases, Celery queue and rate-limit keys are all
scoped by it) and its own database, so parallel runs and `make dev` never see each other's data.
CATALOG_TEST_DB=postgres runs the same tests on a throwaway PostgreSQL database.

The suite declares itself as the `test` environment (CATALOG_ENV), so an app built before the
settings fixture runs (to read its URL map, say) may start without a key; the run's own key is
random and long all the same, and tests/test_sessions.py starts apps as production does.
"""
from __future__ import annotations

import os
import secrets
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN_ID = uuid.uuid4().hex[:8]
BACKEND = os.environ.get("CATALOG_TEST_DB", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get("POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ARTIFACTS = ROOT / "tests" / "artifacts"
os.environ["CATALOG_ENV"] = "test"


def _create_postgres_database(name: str) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_postgres_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    from store.db import get_engine

    get_engine.cache_clear()
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def throwaway_database(directory: Path, name: str) -> Iterator[str]:
    """A new, empty database for the backend under test (CATALOG_TEST_DB), dropped afterwards."""
    if BACKEND == "postgres":
        pg_name = f"catalog_{name}_{uuid.uuid4().hex[:8]}"
        yield _create_postgres_database(pg_name)
        _drop_postgres_database(pg_name)
    else:
        yield f"sqlite:///{directory / f'{name}.db'}"


# A test that uses one of these touches the database, so `make test` runs it again on PostgreSQL
# (`-m db`). Marking by fixture rather than by a list of modules means a new test module cannot
# be forgotten.
DATABASE_FIXTURES = {"settings", "database"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    """Settings for this run; also exported so worker subprocesses inherit them."""
    prefix = f"test-{RUN_ID}-"
    with throwaway_database(tmp_path_factory.mktemp("db"), "test") as database_url:
        values = _use_settings(database_url, prefix)
        yield values
        from indexer.client import bulk_client
        from indexer.lifecycle import drop_all

        try:
            drop_all(bulk_client(values.opensearch_url), prefix)
        except Exception as exc:  # noqa: BLE001 - cleanup must not hide the test result
            print(f"cleanup: could not drop test indices: {exc}", file=sys.stderr)


def _use_settings(database_url: str, prefix: str):
    """Point this process, its Celery app and its future subprocesses at this run's services."""
    from store.settings import Settings

    values = Settings.from_env(database_url=database_url, index_prefix=prefix, secret_key=secrets.token_hex(32))
    os.environ.update(DATABASE_URL=values.database_url, INDEX_PREFIX=prefix, SECRET_KEY=values.secret_key,
                      REDIS_URL=values.redis_url, OPENSEARCH_URL=values.opensearch_url)
    # workers.app builds its Celery app from the environment at import time.
    import workers.app

    workers.app.celery_app.conf.update(**workers.app.routing(prefix))
    workers.app.celery_app.conf.settings = values
    workers.app.celery_app.conf.broker_url = values.redis_url
    # Commits made by tests wake the relay the way the web app's commits do.
    from store.outbox import set_nudge
    from workers.nudge import nudge_relay

    set_nudge(nudge_relay)
    return values


@pytest.fixture(scope="session")
def database(settings):
    """A migrated database with the bundled taxonomies loaded."""
    from store.db import session_scope
    from store.migrate import upgrade
    from catalog.taxonomy import import_bundled

    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        import_bundled(session)
    return settings.database_url


@pytest.fixture(scope="session")
def indices(settings, database):
    """Every index created, and the vocabularies built from the bundled taxonomies."""
    from indexer import operations

    operations.init_indices(settings)
    operations.reindex(settings, "taxonomies")
    return settings.index_prefix


@pytest.fixture(scope="session")
def app(settings, database):
    from webapp import create_app

    app = create_app(settings, TESTING=True)
    return app


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def db_session(settings, database):
    from store.db import get_sessionmaker

    session = get_sessionmaker(settings.database_url)()
    yield session
    session.close()


class LiveServer:
    def __init__(self, app):
        import logging

        from werkzeug.serving import make_server

        # One access-log line per request would bury the test report.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        from tests.support.services import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()


@pytest.fixture(scope="session")
def live_server(app, indices):
    with LiveServer(app) as server:
        yield server


def start_worker(settings, timeout: float = 60):
    """A real `celery worker` subprocess on this run's queue, returned once it answers `ping`."""
    from tests.support.services import CeleryProcess
    from workers.app import all_queues
    from workers.tasks import ping

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    worker = CeleryProcess("worker", os.environ.copy(), ARTIFACTS / f"worker-{RUN_ID}.log",
                           all_queues(settings.index_prefix)).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.proc.poll() is not None:
            raise RuntimeError(f"celery worker exited with {worker.proc.returncode}; see {worker.log_path}")
        try:
            ping.apply_async().get(timeout=5)
            return worker
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.5)
    worker.stop()
    raise RuntimeError(f"celery worker did not answer ping within {timeout} s; see {worker.log_path}")


@pytest.fixture(scope="session")
def worker(settings, indices):
    w = start_worker(settings)
    yield w
    w.stop()


@pytest.fixture(scope="module")
def mail_server():
    """A real SMTP server (aiosmtpd) on a private port for one module; tests.support.mail reads it."""
    from tests.support.mail import start_mail_server

    server = start_mail_server()
    yield server
    server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (browser downloads are impossible here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    """A fresh browser tab; the test fails if Chromium reports a Content-Security-Policy violation
    (an inline script or style, or a resource from elsewhere, that webapp/security.py's policy blocks)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    violations: list[str] = []
    page.on("console", lambda message: violations.append(f"{message.type}: {message.text}")
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)
