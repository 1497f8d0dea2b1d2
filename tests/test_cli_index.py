"""Operator commands, run as an operator would: `catalog index ...` and `catalog taxonomy ...`."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from store.db import session_scope
from store.models import Credential
from tests.support.factories import make_credential, make_org_and_editor, wait_for
from cli import main

pytestmark = pytest.mark.pipeline


@pytest.fixture()
def run(app):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(main, list(args), obj=app.config["SETTINGS"], input=input,
                             catch_exceptions=False)

    return invoke


def test_init_is_idempotent(run, indices):
    result = run("index", "init", "--inline")
    assert result.exit_code == 0
    assert result.output.strip() == "index init: nothing missing"


def test_reindex_through_a_worker_with_wait(run, worker):
    result = run("index", "reindex", "sectors", "--wait", "--timeout", "120")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "reindexed sectors: 2125"


def test_reindex_rejects_an_unknown_target(run):
    result = run("index", "reindex", "everything")
    assert result.exit_code == 2
    assert "choose one of" in result.output


def test_status_verify_repair_drain(run, settings, worker):
    org_id, _ = make_org_and_editor(settings.database_url)
    cid = make_credential(settings.database_url, org_id, name="Operator test credential")
    wait_for(lambda: run("index", "verify").exit_code == 0, message="no drift")
    status = run("index", "status")
    assert status.exit_code == 0
    assert f"{settings.index_prefix}credentials" in status.output and "outbox: 0 pending" in status.output

    with session_scope(settings.database_url) as s:
        s.execute(update(Credential).where(Credential.id == cid).values(index_version=Credential.index_version + 1))
    drifted = run("index", "verify")
    assert drifted.exit_code == 1
    assert "1 stale" in drifted.output and str(cid) in drifted.output
    assert run("index", "repair").output.strip() == "repair: queued 1 credentials"
    run("index", "drain")
    wait_for(lambda: run("index", "verify").exit_code == 0, message="repair to fix the drift")


def test_taxonomy_import_of_a_malformed_file_names_file_line_and_reason(run, tmp_path):
    bad = tmp_path / "state-sectors.csv"
    bad.write_text("code,label\nHC,Health Care\n,Missing code\n")
    result = run("taxonomy", "import", "--scheme", "state-sectors", str(bad))
    assert result.exit_code == 1
    assert f"{bad}: line 3: empty code" in result.output
    schemes = run("taxonomy", "schemes").output
    assert "state-sectors" not in schemes
