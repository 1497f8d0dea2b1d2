"""`catalog taxonomy import|bind|schemes` and `catalog index reindex` through click, on a database
and index prefix of their own: binding the sectors field to a state's scheme must not change what
the rest of the suite sees.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from indexer.client import bulk_client
from indexer.lifecycle import drop_all
from store.db import session_scope
from store.models import Concept, Scheme
from store.settings import Settings
from cli import main


STATE_SECTORS = """code,label,alt_labels,description,broader
OH-HC,Health Care,Healthcare|Medical,Ohio's health care sector,
OH-HC-NUR,Nursing and Residential Care,Nursing Homes|Assisted Living,,OH-HC
OH-MFG,Advanced Manufacturing,Factories,Ohio's manufacturing sector,
OH-MFG-AUTO,Automotive Manufacturing,Auto Plants|Car Factories,,OH-MFG
"""


@pytest.fixture(scope="module")
def own(settings, tmp_path_factory):
    """Settings, app and `catalog` runner for a fresh migrated database and a separate prefix."""
    from store.migrate import upgrade
    from webapp import create_app

    path = tmp_path_factory.mktemp("taxonomy") / "catalog.db"
    mine = Settings(**{**settings.__dict__, "database_url": f"sqlite:///{path}",
                       "index_prefix": f"{settings.index_prefix}tax-"})
    upgrade(mine.database_url)
    app = create_app(mine, TESTING=True)
    runner = CliRunner()
    info = app.config["SETTINGS"]

    def catalog(*args: str):
        return runner.invoke(main, [str(a) for a in args], obj=info)

    yield mine, app, catalog
    drop_all(bulk_client(mine.opensearch_url), mine.index_prefix)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def concepts(settings: Settings, scheme: str) -> dict[str, str]:
    with session_scope(settings.database_url) as s:
        return dict(s.execute(select(Concept.code, Concept.label).join(Scheme).where(Scheme.name == scheme)).all())


def scheme_count(settings: Settings) -> int:
    with session_scope(settings.database_url) as s:
        return s.scalar(select(func.count()).select_from(Scheme))


@pytest.mark.parametrize("text, line, reason", [
    ("code,title\nA,Alpha\n", 1, "missing column(s) label"),
    ("code,label\nA,Alpha\nB,\n", 3, "empty label for code 'B'"),
    ("code,label\nA,Alpha\n,Beta\n", 3, "empty code"),
    ("code,label\nA,Alpha\nB,Beta\nA,Again\n", 4, "duplicate code 'A' (first on line 2)"),
    ("code,label\nA,Alpha,extra\n", 2, "3 fields, expected 2"),
    ("code,label,broader\nA,Alpha,\nB,Beta,Z\n", 3, "broader code 'Z' is not in the file"),
    ("code,label\n", 1, "no concepts"),
])
def test_a_malformed_csv_names_file_line_and_reason_and_changes_nothing(own, tmp_path, text, line, reason):
    mine, _app, catalog = own
    before = scheme_count(mine)
    path = write(tmp_path, "broken.csv", text)
    result = catalog("taxonomy", "import", "--scheme", "broken-state", path)
    assert result.exit_code != 0
    assert f"{path}: line {line}: {reason}" in result.output
    assert scheme_count(mine) == before
    assert concepts(mine, "broken-state") == {}


def test_a_file_that_is_not_utf8_is_refused(own, tmp_path):
    _mine, _app, catalog = own
    path = tmp_path / "latin1.csv"
    path.write_bytes("code,label\nA,Caf\xe9\n".encode("latin-1"))
    result = catalog("taxonomy", "import", "--scheme", "latin-state", path)
    assert result.exit_code != 0
    assert str(path) in result.output and "not UTF-8" in result.output


def test_a_broken_reimport_leaves_the_loaded_scheme_as_it_was(own, tmp_path):
    mine, _app, catalog = own
    good = write(tmp_path, "good.csv", "code,label\nA,Alpha\nB,Beta\n")
    assert catalog("taxonomy", "import", "--scheme", "keep-state", good).exit_code == 0
    broken = write(tmp_path, "bad.csv", "code,label\nA,Alpha Renamed\nB,\n")
    result = catalog("taxonomy", "import", "--scheme", "keep-state", broken)
    assert result.exit_code != 0 and "line 3" in result.output
    assert concepts(mine, "keep-state") == {"A": "Alpha", "B": "Beta"}


def test_rerunning_an_import_changes_nothing(own, tmp_path):
    mine, _app, catalog = own
    path = write(tmp_path, "sectors.csv", STATE_SECTORS)
    first = catalog("taxonomy", "import", "--scheme", "rerun-state", "--title", "Rerun", path)
    assert first.exit_code == 0, first.output
    assert "rerun-state: 4 created, 0 updated, 0 deleted, 0 unchanged" in first.output
    again = catalog("taxonomy", "import", "--scheme", "rerun-state", "--title", "Rerun", path)
    assert "rerun-state: 0 created, 0 updated, 0 deleted, 4 unchanged" in again.output
    assert len(concepts(mine, "rerun-state")) == 4


def test_rerunning_a_bundled_import_changes_nothing(own):
    _mine, _app, catalog = own
    first = catalog("taxonomy", "import", "--scheme", "naics-2022")
    assert first.exit_code == 0, first.output
    again = catalog("taxonomy", "import", "--scheme", "naics-2022")
    assert again.exit_code == 0
    assert " 0 created, 0 updated, 0 deleted, " in again.output


def test_a_bundled_scheme_name_cannot_be_reused_for_a_file(own, tmp_path):
    _mine, _app, catalog = own
    result = catalog("taxonomy", "import", "--scheme", "naics-2022", write(tmp_path, "x.csv", "code,label\nA,B\n"))
    assert result.exit_code != 0 and "bundled scheme" in result.output


def test_a_states_sector_scheme_loaded_bound_and_reindexed_is_what_autocomplete_offers(own, tmp_path):
    mine, app, catalog = own
    path = write(tmp_path, "ohio.csv", STATE_SECTORS)
    loaded = catalog("taxonomy", "import", "--scheme", "ohio-sectors", "--title", "Ohio sectors", path)
    assert loaded.exit_code == 0, loaded.output

    unknown = catalog("taxonomy", "bind", "sectors", "texas-sectors")
    assert unknown.exit_code != 0 and "no scheme named 'texas-sectors'" in unknown.output
    bound = catalog("taxonomy", "bind", "sectors", "ohio-sectors")
    assert bound.exit_code == 0, bound.output
    assert "catalog index reindex sectors" in bound.output
    listed = catalog("taxonomy", "schemes")
    assert any(line.startswith("ohio-sectors") and "[used by sectors]" in line for line in listed.output.splitlines())

    reindexed = catalog("index", "reindex", "sectors", "--inline")
    assert reindexed.exit_code == 0, reindexed.output
    assert "sectors: 4" in reindexed.output

    client = app.test_client()
    answer = client.get("/api/v1/autocomplete/sectors?q=car+fact").json
    assert answer["items"][0] == {"id": "OH-MFG-AUTO", "code": "OH-MFG-AUTO", "label": "Automotive Manufacturing",
                                  "scheme": "ohio-sectors", "matched": "Car Factories", "tier": "alt_start",
                                  "relaxed": False, "via": None, "level": ""}
    assert [i["code"] for i in client.get("/api/v1/autocomplete/sectors?q=health").json["items"]] == ["OH-HC"]
    assert client.get("/api/v1/autocomplete/sectors?q=hospitals").json["total"] == 0, "NAICS is no longer offered"
