"""Building organizations, editors and credentials for tests through the real authoring rules."""
from __future__ import annotations

import time
import uuid

from store.db import session_scope
from store.models import Credential, Organization, User
from catalog.authoring import service

NURSING = {
    "name": "Registered Nurse License",
    "credential_type": "license",
    "description": "State licensure for registered nurses after an approved nursing program and the NCLEX-RN.",
    "delivery_mode": "in_person",
    "cip_codes": ["51.3801"],
}


def make_member(database_url: str, org_name: str, email_name: str, role: str = "editor",
                password: str = "correct horse battery", name: str = "") -> tuple[int, str]:
    """An issuing organization named `org_name` and one member who logs in with `password`, through
    the accounts service (hashed password, membership); returns (organization id, email)."""
    from catalog.accounts import service as accounts

    with session_scope(database_url) as s:
        org = accounts.create_org(s, org_name, ["issuer"])
        user = accounts.create_user(s, f"{email_name}@example.org", password, name=name)
        accounts.grant(s, user, org, role)
        return org.id, user.email


def make_org_and_editor(database_url: str, kinds=("issuer",)) -> tuple[int, int]:
    with session_scope(database_url) as s:
        org = Organization(name=f"Org {uuid.uuid4().hex[:8]}", kinds=list(kinds))
        user = User(email=f"editor-{uuid.uuid4().hex[:8]}@example.org", password_hash="unused")
        s.add_all([org, user])
        s.flush()
        return org.id, user.id


def make_credential(database_url: str, org_id: int, publish: bool = True, occupations=("29-1141.00",),
                    sectors=("62",), skills=(("2.A.1.a", "Novice", "Advanced"),), nudge: bool = True,
                    **details) -> int:
    """`nudge=False` commits without waking the relay, as if the Celery message were lost."""
    with session_scope(database_url) as s:
        s.info["nudge"] = nudge
        user = None
        credential = service.create_credential(s, user, org_id, {**NURSING, **details})
        service.save_section(s, user, credential, "occupations", list(occupations))
        service.save_section(s, user, credential, "sectors", list(sectors))
        service.save_section(s, user, credential, "skills", {"items": [
            {"skill_id": code, "min_level": lo, "acquired_level": hi} for code, lo, hi in skills]})
        if publish:
            service.set_status(s, user, credential, "published")
        s.flush()
        return credential.id


def edit(database_url: str, credential_id: int, **details) -> int:
    from catalog.authoring.snapshot import section_snapshot

    with session_scope(database_url) as s:
        credential = s.get(Credential, credential_id)
        service.save_section(s, None, credential, "details", {**section_snapshot(credential, "details"), **details})
        return credential.revision


def set_status(database_url: str, credential_id: int, status: str) -> int:
    with session_scope(database_url) as s:
        credential = s.get(Credential, credential_id)
        service.set_status(s, None, credential, status)
        return credential.revision


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message} (last value {last!r})")


def assert_gives_up_after(opensearch_url: str, timeout: float) -> None:
    """The web's OpenSearch client for this URL waits `timeout` seconds, once, with no retry.

    Tests of a hung node assert this rather than a wall-clock time, which flakes on a busy machine;
    their pytest timeout catches a client that hangs regardless.
    """
    from indexer.client import web_client

    transport = web_client(opensearch_url, timeout).transport
    assert transport.max_retries == 0
    assert [c.timeout for c in transport.connection_pool.connections] == [timeout]
