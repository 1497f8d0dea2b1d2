"""The worker commands run exactly as an operator types them: a new `python -m cli` process.

`catalog index reindex ... --wait` and `catalog index init` (without `--inline`) hand their work
to a Celery worker. They once called `.delay()` on a shared_task without loading the Celery app,
so in an operator's shell Celery fell back to AMQP on localhost and failed with "Connection
refused"; the CliRunner test passed because the worker fixture had imported the app into the
test process. These run the CLI in a fresh process against a real worker.
"""
from __future__ import annotations

import pytest

from indexer import operations
from tests.support.cli import operator_env, run_catalog
from tests.support.factories import make_credential, make_org_and_editor

pytestmark = pytest.mark.pipeline


def test_reindex_credentials_with_wait_goes_through_a_real_worker(settings, worker):
    org_id, _ = make_org_and_editor(settings.database_url)
    make_credential(settings.database_url, org_id, name="Reindexed by an operator's worker command")
    expected = operations.expected_count(settings, "credentials")

    result = run_catalog(operator_env(settings), "index", "reindex", "credentials", "--wait", "--timeout", "240")

    assert result.returncode == 0, result.stderr
    assert "Connection refused" not in result.stderr
    assert result.stdout.strip() == f"reindexed credentials: {expected}"


def test_init_without_inline_goes_through_a_real_worker(settings, worker):
    result = run_catalog(operator_env(settings), "index", "init")

    assert result.returncode == 0, result.stderr
    assert "Connection refused" not in result.stderr
    assert result.stdout.strip() == "index init: nothing missing"
