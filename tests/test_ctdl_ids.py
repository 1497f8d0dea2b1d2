"""CTIDs: minted once for every credential and organization, kept through edits, backfilled by 0007."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import command

from store.ctids import CTID_PATTERN, normalise_ctid
from store.db import get_engine, session_scope
from store.migrate import alembic_config, upgrade
from store.models import Credential, Organization
from tests.support.factories import edit, make_credential
from tests.test_editor_pages import log_in, make_org, make_person, text


def test_normalise_ctid_accepts_either_case_and_refuses_anything_else():
    upper = "CE-6B25B9B4-7A5F-4F4E-9B1A-0C2D3E4F5A6B"
    assert normalise_ctid(upper) == upper.lower()
    assert normalise_ctid(" " + upper.lower() + " ") == upper.lower()
    for bad in (None, 7, "", "ce-", "6b25b9b4-7a5f-4f4e-9b1a-0c2d3e4f5a6b", upper + "0", "ce-xyz"):
        assert normalise_ctid(bad) is None


def test_ctids_are_minted_at_creation_and_never_change(settings, database, client):
    org_id = make_org(database)
    credential_id = make_credential(database, org_id, publish=False)
    with session_scope(database) as s:
        org_ctid, ctid = s.get(Organization, org_id).ctid, s.get(Credential, credential_id).ctid
    assert CTID_PATTERN.fullmatch(org_ctid) and CTID_PATTERN.fullmatch(ctid) and org_ctid != ctid
    assert ctid == ctid.lower()
    edit(database, credential_id, name="Renamed license")
    with session_scope(database) as s:
        assert s.get(Credential, credential_id).ctid == ctid

    # The editor shows it on the Details tab, as text, not as a field anyone could submit.
    log_in(client, make_person(database, org_id))
    page = text(client.get(f"/editor/credentials/{credential_id}/details"))
    assert ctid in page
    assert 'name="ctid"' not in page


def test_0007_gives_every_existing_row_its_own_ctid_and_goes_back(settings, tmp_path):
    from tests.conftest import throwaway_database

    now = datetime(2026, 1, 1)
    with throwaway_database(tmp_path, "migration0007") as url:
        upgrade(url, "0005")
        engine = get_engine(url)
        tables = sa.MetaData()
        tables.reflect(engine)
        with engine.begin() as conn:
            org_ids = [conn.execute(tables.tables["organizations"].insert().values(
                name=f"Org {i}", kinds=["issuer"], website="", location="", created_at=now)).inserted_primary_key[0]
                for i in range(2)]
            for i in range(3):
                conn.execute(tables.tables["credentials"].insert().values(
                    org_id=org_ids[i % 2], name=f"Credential {i}", alternate_names=[], description="",
                    credential_type="", url="", language="en", cost_currency="USD", cost_note="", duration_unit="",
                    delivery_mode="", keywords=[], lifecycle="active", status="draft", revision=1, created_at=now,
                    updated_at=now))

        upgrade(url, "0007")
        with engine.connect() as conn:
            ctids = [row[0] for name in ("organizations", "credentials")
                     for row in conn.execute(sa.text(f"SELECT ce_ctid FROM {name}"))]
            assert "ctdl_originals" in sa.inspect(conn).get_table_names()
        assert len(ctids) == 5 and len(set(ctids)) == 5
        assert all(CTID_PATTERN.fullmatch(c) for c in ctids)

        command.downgrade(alembic_config(url), "0006")
        with engine.connect() as conn:
            assert "ce_ctid" not in {c["name"] for c in sa.inspect(conn).get_columns("credentials")}
            assert "ctdl_originals" not in sa.inspect(conn).get_table_names()
            assert conn.execute(sa.text("SELECT count(*) FROM credentials")).scalar() == 3
        engine.dispose()
