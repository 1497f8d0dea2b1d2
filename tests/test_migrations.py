"""Alembic migrations keep existing data: each runs forward from real rows, and back again."""
from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import command

from store.db import get_engine
from store.migrate import alembic_config, upgrade


def test_cip_codes_move_to_a_link_table_and_back(settings, tmp_path):
    from tests.conftest import throwaway_database

    with throwaway_database(tmp_path, "migrations") as url:
        upgrade(url, "0001")
        engine = get_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO organizations (id, name, kinds, website, location, created_at) "
                                 "VALUES (1, 'Riverbend', '[\"issuer\"]', '', '', CURRENT_TIMESTAMP)"))
            for cid, cips in ((1, ["51.3801", "51.3901", "51.3801"]), (2, []), (3, ["48.0508"])):
                conn.execute(sa.text(
                    "INSERT INTO credentials (id, org_id, name, alternate_names, description, credential_type, url, "
                    "cip_codes, language, cost_currency, cost_note, duration_unit, delivery_mode, keywords, "
                    "lifecycle, status, revision, created_at, updated_at) VALUES (:id, 1, :name, '[]', '', '', '', "
                    ":cips, 'en', 'USD', '', '', '', '[]', 'active', 'draft', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                    {"id": cid, "name": f"Credential {cid}", "cips": json.dumps(cips)})
            conn.execute(sa.text("INSERT INTO credential_occupations (credential_id, code, position) "
                                 "VALUES (1, '29-1141.00', 0)"))

        upgrade(url, "0002")
        with engine.connect() as conn:
            links = conn.execute(sa.text("SELECT credential_id, code, position FROM credential_cips "
                                         "ORDER BY credential_id, position")).all()
            columns = {c["name"] for c in sa.inspect(conn).get_columns("credentials")}
        assert [tuple(row) for row in links] == [(1, "51.3801", 0), (1, "51.3901", 1), (3, "48.0508", 0)]
        assert "cip_codes" not in columns
        # SQLite alters a table by copying it; the old copy's DROP must not cascade into children.
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT code FROM credential_occupations")).scalars().all() == ["29-1141.00"]

        command.downgrade(alembic_config(url), "0001")
        with engine.connect() as conn:
            back = dict(conn.execute(sa.text("SELECT id, cip_codes FROM credentials ORDER BY id")).all())
            tables = sa.inspect(conn).get_table_names()
        assert {cid: json.loads(v) if isinstance(v, str) else v for cid, v in back.items()} == {
            1: ["51.3801", "51.3901"], 2: [], 3: ["48.0508"]}
        assert "credential_cips" not in tables
        engine.dispose()


# --- 0005: the last published name, and index versions ------------------------------------------

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


def test_0005_keeps_the_last_published_name_and_starts_index_versions_at_the_revision(settings, tmp_path):
    from tests.conftest import throwaway_database

    with throwaway_database(tmp_path, "migration0005") as url:
        upgrade(url, "0002")
        engine = get_engine(url)
        tables = sa.MetaData()
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

        upgrade(url, "0005")
        with engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(sa.text("SELECT * FROM credentials"))}
        assert {cid: rows[cid].last_published_name for cid in CASES} == {cid: case[4] for cid, case in CASES.items()}
        assert all(row.index_version == row.revision for row in rows.values())

        command.downgrade(alembic_config(url), "-1")
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("credentials")}
        assert not {"last_published_name", "index_version"} & columns
        assert len(rows) == len(CASES)
        engine.dispose()
