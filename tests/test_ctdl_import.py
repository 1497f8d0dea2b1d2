"""CTDL import: real records from Credential Engine, idempotence, losslessness, dry runs, the
report, and bad input. Everything goes through the real authoring service and database."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from store.db import session_scope
from store.models import Credential, CtdlOriginal, Organization
from catalog.accounts import service as accounts
from catalog.ctdl.imports import run_import
from catalog.ctdl.sources import read_paths, read_text

SAMPLES = Path(__file__).parent / "data" / "ctdl"
BASE = "https://credentialengineregistry.org/resources/"


@pytest.fixture(scope="module")
def org_id(database):
    with session_scope(database) as s:
        return accounts.create_org(s, f"Importer {uuid.uuid4().hex[:8]}", ["issuer"]).id


def do_import(database, org_id, incoming, **options) -> dict:
    with session_scope(database) as s:
        report = run_import(s, s.get(Organization, org_id), incoming, **options)
        if options.get("dry_run"):
            s.rollback()
        return report


def test_every_real_sample_record_imports(database, org_id):
    report = do_import(database, org_id, read_paths([SAMPLES]))
    print(json.dumps(report, indent=1)[:6000])
    assert report["summary"]["failed"] == 0, report
    assert report["summary"]["created"] == len(list(SAMPLES.glob("*.json")))
