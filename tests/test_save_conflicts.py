"""Two saves that lock the same rows in opposite orders: PostgreSQL aborts one with a deadlock.

Renaming a published credential bumps the index version of every credential whose document shows
its name (indexer.dependents). When A and B are related both ways and two editors rename them at
the same moment, each save holds its own row and waits for the other's: PostgreSQL detects the
cycle and aborts one transaction with SQLSTATE 40P01. That save answered 500 and was lost. The app
now runs the request again (webapp.database): the second attempt finds the other save committed.

To make the race certain rather than likely, a trigger on the two rows holds each save for a
moment after it updates its own row, so both hold one lock before either asks for the other.
PostgreSQL only: SQLite lets one writer in at a time, so it cannot deadlock. The last test checks
the retry and the 503 after the last try with a view that always loses, on either backend.
"""
from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import select, text

from catalog.accounts import service as accounts
from catalog.authoring import service as authoring
from store.db import session_scope
from store.models import Credential, RevisionEntry
from tests.conftest import BACKEND
from tests.support.factories import make_credential

only_postgres = pytest.mark.skipif(BACKEND != "postgres", reason="SQLite admits one writer at a time")

API = "/api/v1/editor/credentials"
HOLD_SECONDS = 1.5  # longer than PostgreSQL's deadlock_timeout (1 s), so the cycle is always there


@pytest.fixture()
def linked_pair(database):
    """Two published credentials of one organization, each related to the other, and a token."""
    tag = uuid.uuid4().hex[:6]
    with session_scope(database) as s:
        org = accounts.create_org(s, f"Deadlock Board {tag}", ["issuer"])
        user = accounts.create_user(s, f"racer-{tag}@example.org", "correct horse battery")
        accounts.grant(s, user, org, "editor")
        token = accounts.create_token(s, user, "race")[1]
        org_id = org.id
    a = make_credential(database, org_id, name=f"Boiler Operator {tag}")
    b = make_credential(database, org_id, name=f"Stationary Engineer {tag}")
    with session_scope(database) as s:
        for one, other in ((a, b), (b, a)):
            authoring.save_section(s, None, s.get(Credential, one), "related",
                                   [{"kind": "related", "credential_id": other}])
    with session_scope(database) as s:
        s.execute(text(f"""
            CREATE FUNCTION hold_{tag}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_sleep({HOLD_SECONDS}); RETURN NEW; END $$;
            CREATE TRIGGER hold_{tag} AFTER UPDATE OF name ON credentials FOR EACH ROW
            WHEN (NEW.id IN ({a}, {b}) AND OLD.name IS DISTINCT FROM NEW.name)
            EXECUTE FUNCTION hold_{tag}();"""))
    yield {"ids": (a, b), "token": token, "tag": tag}
    with session_scope(database) as s:
        s.execute(text(f"DROP TRIGGER hold_{tag} ON credentials; DROP FUNCTION hold_{tag}();"))


def revision_of(database, credential_id: int) -> int:
    with session_scope(database, write=False) as s:
        return s.get(Credential, credential_id).revision


@only_postgres
def test_two_crossing_renames_both_save(app, database, linked_pair):
    a, b = linked_pair["ids"]
    names = {cid: f"Renamed {cid} {linked_pair['tag']}" for cid in (a, b)}
    revisions = {cid: revision_of(database, cid) for cid in (a, b)}
    answers: dict[int, tuple[int, str]] = {}
    start = threading.Barrier(2)

    def rename(cid: int) -> None:
        client = app.test_client()
        start.wait()
        try:
            response = client.patch(f"{API}/{cid}", headers={"Authorization": f"Bearer {linked_pair['token']}"},
                                    json={"revision": revisions[cid], "name": names[cid]})
            answers[cid] = (response.status_code, response.get_data(as_text=True)[:300])
        except Exception as exc:  # noqa: BLE001 - TESTING propagates what a server answers 500 for
            answers[cid] = (500, repr(exc)[:300])

    threads = [threading.Thread(target=rename, args=(cid,)) for cid in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert answers == {a: (200, answers[a][1]), b: (200, answers[b][1])}, answers
    with session_scope(database, write=False) as s:
        for cid in (a, b):
            assert s.get(Credential, cid).name == names[cid]
            renames = s.scalars(select(RevisionEntry).where(RevisionEntry.credential_id == cid,
                                                            RevisionEntry.revision > revisions[cid])).all()
            assert len(renames) == 1, "a retried save is still one revision"


class LostRace:
    """A view that loses the lock race `times` times, raising what SQLAlchemy raises for it."""

    def __init__(self, times: int):
        self.times, self.calls, self.__name__ = times, 0, "lost_race"

    def __call__(self):
        import psycopg.errors
        from sqlalchemy.exc import OperationalError

        self.calls += 1
        if self.calls <= self.times:
            raise OperationalError("UPDATE credentials ...", {}, psycopg.errors.DeadlockDetected("deadlock detected"))
        return {"saved": True}


@pytest.mark.parametrize("path", ["/api/v1/editor/race", "/editor/race"])
def test_a_request_that_loses_every_try_answers_503_and_one_that_wins_later_answers_200(settings, path):
    """Pure Flask: no database is touched, so this runs on either backend."""
    from webapp import create_app
    from webapp.database import RETRIES

    app = create_app(settings, TESTING=True, PROPAGATE_EXCEPTIONS=False, WTF_CSRF_ENABLED=False)
    always, once = LostRace(RETRIES + 1), LostRace(1)
    app.add_url_rule(path, "always", always, methods=["POST"])
    app.add_url_rule(path + "/once", "once", once, methods=["POST"])
    client = app.test_client()

    busy = client.post(path)
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert "Nothing was saved" in busy.get_data(as_text=True)
    if path.startswith("/api/"):
        assert busy.get_json()["error"] == "service_unavailable"
    assert always.calls == RETRIES + 1

    assert client.post(path + "/once").get_json() == {"saved": True} and once.calls == 2
