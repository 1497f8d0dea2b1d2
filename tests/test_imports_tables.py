"""Spreadsheets in: real agency files (mapping detected, counts), and hostile files refused whole.

The real files are cuts of public lists, cited in tests/data/README.md.
"""
from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from catalog.imports.mapping import MappingError
from catalog.imports.pipeline import ImportOptions
from catalog.imports.spreadsheet import import_table, prepare
from catalog.imports.tables import TableError, TableLimits, table_records
from store.models import Credential, Organization

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def agency(settings, database):
    from store.db import session_scope

    with session_scope(database) as session:
        org = Organization(name=f"Workforce Commission {uuid.uuid4().hex[:6]}", kinds=["issuer"])
        session.add(org)
        session.flush()
        return org.id


def _credentials(db_session, org_id) -> int:
    return db_session.scalar(select(func.count()).select_from(Credential).where(Credential.org_id == org_id))


TEXAS_MAPPING = {
    "Program ID": "external_id", "Program Status": "status", "ProviderName": "provider", "Campus City": "city",
    "Campus State": "state", "Program Name": "name", "Instructional Program (CIP) Code": "cip",
    "Program Description": "description", "Academic PreRequisites": "prerequisites", "Program URL": "url",
    "Program Outcome": "credential_type", "Associted Credential Name": "leads_to",
    "Length: Contact Hours": "duration_hours", "Length: Weeks": "duration_weeks", "Delivery Method": "delivery_mode",
    "Occupation Code (ONET 1)": "occupations", "Occupation Code (ONET 2)": "occupations",
    "Occupation Code (ONET 3)": "occupations", "Required Cost: Tuition & Fees": "cost",
    "Required Cost: Books & Supplies": "cost",
}


def test_texas_etpl_csv_and_xlsx_import_with_the_detected_mapping(db_session, agency):
    table, mapping = prepare(DATA / "texas_twc_etpl_200.csv")
    assert mapping == TEXAS_MAPPING
    assert table.row_count == 200
    _, xlsx_mapping = prepare(DATA / "texas_twc_etpl_200.xlsx")
    assert xlsx_mapping == TEXAS_MAPPING

    report = import_table(db_session, agency, DATA / "texas_twc_etpl_200.csv",
                          ImportOptions(create_providers=True))
    summary = report["summary"]
    assert summary["failed"] == 0 and summary["created"] == 200, summary
    assert _credentials(db_session, agency) == 200
    # The agency's XLSX reads as the same records (so it would import the same way), row numbers included.
    xlsx_table, _ = prepare(DATA / "texas_twc_etpl_200.xlsx")
    assert [r.cells for r in table_records(xlsx_table, TEXAS_MAPPING)] == \
        [r.cells for r in table_records(table, TEXAS_MAPPING)]
    assert [r.row for r in table_records(xlsx_table, TEXAS_MAPPING)][:2] == [2, 3]

    first = db_session.get(Credential, report["rows"][0]["id"])
    assert first.name == "Home Builders Institute Pre-Apprentice Certificate Training"
    assert first.external_id == "32211" and first.cip_codes == ["46.0000"]
    assert [o.code for o in first.occupations] == ["47-2111.00"]
    assert str(first.cost_amount) == "7583.00"  # tuition 5600 + books 1983
    assert (first.duration_value, first.duration_unit, first.delivery_mode) == (20, "hours", "blended")
    assert first.relations[0].external_name == "HBI PACT"
    assert first.programs[0].provider.name == "100 Black Men of San Antonio Inc. (Pre Apprenticeship)"
    assert first.programs[0].location == "San Antonio, TX"


def test_dol_rapids_list_imports_with_its_codes_crosswalked(db_session, agency):
    table, mapping = prepare(DATA / "dol_rapids_occupations_200.csv")
    assert mapping == {"occupational_title": "name", "rapids_code": "external_id", "onet_code": "occupations",
                       "term_length": "duration_hours", "type": "credential_type"}
    report = import_table(db_session, agency, DATA / "dol_rapids_occupations_200.csv", ImportOptions(dry_run=True))
    summary = report["summary"]
    assert summary["created"] + summary["failed"] == 200 and summary["created"] >= 190, summary
    rows = {r["row"]: r for r in report["rows"]}
    assert rows[2]["name"] == "ABLE SEAMAN" and rows[2]["status"] == "created"
    reasons = [p["reason"] for r in report["rows"] for p in r["problems"]]
    assert any("range of" in reason or "not a number of hours" in reason for reason in reasons)


def _csv(tmp_path, content: bytes, name="hostile.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


HOSTILE = {
    "empty": (b"", "is empty"),
    "blank lines only": (b"\r\n\r\n", "is empty"),
    "header only": (b"Program Name,Provider\r\n", "has a header but no rows"),
    "duplicate headers": (b"Program Name,Provider,program name\r\nA,B,C\r\n", "two columns named"),
    "ragged row": (b"Program Name,Provider\r\nA,B\r\nC,D,E\r\n", "line 3"),
    "200 columns": (b"Program Name,Provider\r\nA,B\r\n" + b",".join([b"x"] * 200) + b"\r\n", "at most 150 columns"),
    "binary": (bytes(range(256)) * 40, "binary data"),
    "old xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old Excel"),
    "no name column": (b"Provider,City\r\nA,B\r\n", "no column is mapped to name"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_refused_whole(db_session, agency, tmp_path, case):
    content, message = HOSTILE[case]
    before = _credentials(db_session, agency)
    with pytest.raises((TableError, MappingError)) as refused:
        import_table(db_session, agency, _csv(tmp_path, content), ImportOptions())
    assert message in str(refused.value)
    assert _credentials(db_session, agency) == before


def test_size_and_row_limits_are_checked_before_reading(db_session, agency, tmp_path):
    rows = b"Program Name\r\n" + b"".join(b"Course %d\r\n" % i for i in range(50))
    path = _csv(tmp_path, rows)
    with pytest.raises(TableError, match="files up to 100 bytes"):
        import_table(db_session, agency, path, ImportOptions(), limits=TableLimits(max_bytes=100))
    with pytest.raises(TableError, match="more than 10 rows"):
        import_table(db_session, agency, path, ImportOptions(), limits=TableLimits(max_rows=10))


def test_xlsx_zip_bomb_is_refused_before_openpyxl_opens_it(db_session, agency, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (50 * 1024 * 1024) + b">")
    path = _csv(tmp_path, buffer.getvalue(), "bomb.xlsx")
    assert path.stat().st_size < 200_000
    with pytest.raises(TableError, match="zip bomb"):
        import_table(db_session, agency, path, ImportOptions())
    broken = _csv(tmp_path, b"PK\x03\x04" + b"\x00garbage" * 50, "broken.xlsx")
    with pytest.raises(TableError, match="damaged"):
        import_table(db_session, agency, broken, ImportOptions())


def test_mapping_overrides(tmp_path):
    path = _csv(tmp_path, b"Offering,Notes,School\r\nWelding I,=cmd,Acme\r\n")
    with pytest.raises(MappingError, match="no column is mapped to name"):
        prepare(path)
    _, mapping = prepare(path, {"offering": "name", "School": "ignore"})
    assert mapping == {"Offering": "name"}
    with pytest.raises(MappingError, match="not an import field"):
        prepare(path, {"Notes": "colour"})
    with pytest.raises(MappingError, match="there is no column"):
        prepare(path, {"Nope": "name"})
