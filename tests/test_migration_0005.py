"""Migration 0005 on existing rows: the name each credential was last published under, and
documents' index versions starting at the revision they are indexed with today."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import MetaData, create_engine, select

from store.migrate import upgrade
from tests.conftest import throwaway_database

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 1, 1)


def _history(*changes: dict) -> list[dict]:
    return [{"revision": i + 1, "section": "status" if "status" in c else "details", "changes": c,
             "created_at": NOW} for i, c in enumerate(changes)]


CASES = {
    # id: (name, status, published_at, history, expected last_published_name)
    1: ("Live", "published", NOW, _history({"name": ["", "Live"]}, {"status": ["draft", "published"]}), "Live"),
    2: ("Secret draft name", "archived", NOW, _history(
        {"name": ["", "Public name"]}, {"status": ["draft", "published"]}, {"status": ["published", "draft"]},
        {"name": ["Public name", "Secret draft name"]}, {"status": ["draft", "archived"]}), "Public name"),
    3: ("Never shown", "archived", None, _history({"name": ["", "Never shown"]}, {"status": ["draft", "archived"]}),
        None),
    4: ("Imported", "archived", NOW, [], "Imported"),  # published once, no history to read: its name
    5: ("Unpublished", "draft", NOW, _history({"name": ["", "Unpublished"]}, {"status": ["draft", "published"]},
                                              {"status": ["published", "draft"]}), "Unpublished"),
}


def test_existing_credentials_keep_their_last_published_name_and_version(tmp_path):
    with throwaway_database(tmp_path, "migration") as url:
        upgrade(url, "0002")
        engine = create_engine(url)
        tables = MetaData()
        tables.reflect(engine)
        credentials, entries = tables.tables["credentials"], tables.tables["revision_entries"]
        with engine.begin() as conn:
            org_id = conn.execute(tables.tables["organizations"].insert().values(
                name="Migrated org", kinds=["issuer"], website="", location="", created_at=NOW)).inserted_primary_key[0]
            for cid, (name, status, published_at, history, _) in CASES.items():
                conn.execute(credentials.insert().values(
                    id=cid, org_id=org_id, name=name, alternate_names=[], description="", credential_type="",
                    url="", language="en", cost_currency="USD", cost_note="", duration_unit="", delivery_mode="",
                    keywords=[], lifecycle="active", status=status, revision=len(history) + 1, created_at=NOW,
                    updated_at=NOW, published_at=published_at))
                for entry in history:
                    conn.execute(entries.insert().values(credential_id=cid, **entry))
        engine.dispose()

        upgrade(url)
        engine = create_engine(url)
        tables = MetaData()
        tables.reflect(engine)
        credentials = tables.tables["credentials"]
        with engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(select(credentials))}
        engine.dispose()
    assert {cid: rows[cid].last_published_name for cid in CASES} == {cid: case[4] for cid, case in CASES.items()}
    assert all(row.index_version == row.revision for row in rows.values())
