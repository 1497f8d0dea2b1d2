"""Alembic migrations keep existing data: each runs forward from real rows, and back again."""
from __future__ import annotations

import json

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
