"""CMS provider-by-service PUF: the real 2012 rows and a file in the current naming."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from claimscope.ingest.cms_puf import infer_year
from claimscope.ingest.detect import detect_format
from claimscope.ingest.pipeline import ingest_paths
from claimscope.ingest.report import IngestOptions, IngestReport
from claimscope.store.layout import Store
from claimscope.store.table import read_lines

PUF_2012 = "cms-puf-2012/Medicare_Provider_Util_Payment_PUF_CY2012_first_rows.txt"


@pytest.fixture(scope="module")
def puf_store(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Store, IngestReport]:
    store = Store.open(tmp_path_factory.mktemp("puf") / "store")
    return store, ingest_paths([shared_data / PUF_2012], store)


def _lines(store: Store) -> pa.Table:
    return read_lines(store)


def test_2012_file_loads_every_row(
    shared_data: Path, puf_store: tuple[Store, IngestReport]
) -> None:
    _, report = puf_store
    assert detect_format(shared_data / PUF_2012) == "cms_puf"
    (file_report,) = report.files
    assert (file_report.source, file_report.format) == ("cms_puf_2012", "cms_puf")
    assert (file_report.read, file_report.loaded, file_report.quarantined) == (17028, 17028, 0)
    assert file_report.months == ["2012-01"]
    assert file_report.warnings == []


def test_2012_known_row_totals(puf_store: tuple[Store, IngestReport]) -> None:
    lines = _lines(puf_store[0])
    row = lines.filter(
        pc.and_(
            pc.equal(lines["rendering_npi"], "1003000126"), pc.equal(lines["hcpcs_code"], "99222")
        )
    ).to_pylist()
    assert len(row) == 1
    r = row[0]
    assert r["record_kind"] == "aggregate" and r["payer_type"] == "medicare"
    assert r["units"] == 115 and r["beneficiaries"] == 112
    assert r["allowed_amount"] == pytest.approx(135.25 * 115)
    assert r["charge_amount"] == pytest.approx(199 * 115)
    assert r["paid_amount"] == pytest.approx(108.11565217 * 115)
    assert (r["service_from"], r["service_to"]) == (date(2012, 1, 1), date(2012, 12, 31))
    assert (r["service_month"], r["period_end_month"]) == (date(2012, 1, 1), date(2012, 12, 1))
    assert r["setting"] == "facility" and r["state"] == "MD"
    assert r["specialty"] == "internal_medicine" and r["line_status"] == "paid"
    assert r["patient_key"] is None and r["claim_id"] is None and r["source_row"] == 1


def test_2012_therapy_rows(puf_store: tuple[Store, IngestReport]) -> None:
    lines = _lines(puf_store[0])
    therapy = pc.starts_with(lines["hcpcs_code"], "97")
    assert pc.sum(therapy).as_py() == 809  # per the shared data README
    specialty = lines["specialty"]
    assert pc.sum(pc.equal(specialty, "physical_therapy")).as_py() == 785
    assert pc.sum(pc.equal(specialty, "occupational_therapy")).as_py() == 48
    assert pc.sum(pc.equal(lines["setting"], "non_facility")).as_py() > 0


CURRENT_HEADER = [
    "Rndrng_NPI", "Rndrng_Prvdr_Last_Org_Name", "Rndrng_Prvdr_State_Abrvtn", "Rndrng_Prvdr_Type",
    "HCPCS_Cd", "HCPCS_Desc", "Place_Of_Srvc", "Tot_Benes", "Tot_Srvcs", "Tot_Bene_Day_Srvcs",
    "Avg_Sbmtd_Chrg", "Avg_Mdcr_Alowd_Amt", "Avg_Mdcr_Pymt_Amt", "Avg_Mdcr_Stdzd_Amt",
]  # fmt: skip
CURRENT_ROWS = [
    ["0000000001", "CPT copyright 2020 American Medical Association", "", "", "", "", "", "", "",
     "", "", "", "", ""],
    ["1234567893", "CLINIC", "OH", "Physical Therapist", "97110", "", "O", "25", "410", "400",
     "55.00", "30.12", "23.61", "23.70"],
    ["1234567893", "CLINIC", "OH", "Physical Therapist", "97140", "", "O", "20", "300", "290",
     "50.00", "n/a", "22.00", "22.10"],
    ["1234567893", "CLINIC", "OH", "Physical Therapist", "97530", "", "F", "12", "0", "0",
     "60.00", "33.00", "25.00", "25.00"],
    ["1003000126", "DOC", "MD", "Occupational Therapist", "97535", "", "O", "11", "44", "40",
     "70.00", "35.50", "27.80", "27.90"],
]  # fmt: skip


def _current_file(folder: Path, name: str = "MUP_PHY_R23_P05_V10_D21_Prov_Svc.csv") -> Path:
    path = folder / name
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CURRENT_HEADER)
        writer.writerows(CURRENT_ROWS)
    return path


def test_current_naming(tmp_path: Path) -> None:
    path = _current_file(tmp_path)
    store = Store.open(tmp_path / "store")
    report = ingest_paths([path], store)
    (file_report,) = report.files
    assert (file_report.format, file_report.source) == ("cms_puf", "cms_puf_2021")
    assert (file_report.read, file_report.loaded, file_report.quarantined) == (5, 2, 3)
    assert file_report.quarantine_file is not None
    with file_report.quarantine_file.open() as handle:
        bad = sorted((int(r["row"]), r["field"], r["reason"]) for r in csv.DictReader(handle))
    assert bad == [
        (1, "Rndrng_NPI", "copyright notice row, not data"),
        (3, "Avg_Mdcr_Alowd_Amt", "not a number"),
        (4, "Tot_Srvcs", "zero units"),
    ]
    lines = _lines(store).sort_by("source_row").to_pylist()
    pt, ot = lines
    assert pt["hcpcs_code"] == "97110" and pt["units"] == 410 and pt["beneficiaries"] == 25
    assert pt["allowed_amount"] == pytest.approx(30.12 * 410)
    assert pt["setting"] == "non_facility" and pt["specialty"] == "physical_therapy"
    assert pt["service_from"] == date(2021, 1, 1) and pt["state"] == "OH"
    assert ot["specialty"] == "occupational_therapy" and ot["source_row"] == 5


def test_year_from_option_or_name_else_a_clear_error(tmp_path: Path) -> None:
    assert infer_year(Path("Medicare_PUF_CY2013.txt")) == 2013
    assert infer_year(Path("physician_by_provider_and_service_2019.csv")) == 2019
    assert infer_year(Path("anything.csv"), 2015) == 2015
    unnamed = _current_file(tmp_path, "puf.csv")
    (rejected,) = ingest_paths([unnamed], Store.open(tmp_path / "store")).files
    assert rejected.status == "rejected"
    assert (rejected.reason or "").startswith(f"{unnamed}: cannot tell which calendar year")
    report = ingest_paths(
        [unnamed], Store.open(tmp_path / "store"), options=IngestOptions(year=2020)
    )
    assert report.files[0].source == "cms_puf_2020"


def test_tab_separated_copy_is_recognised_by_content(shared_data: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "rows_CY2012.tsv"
    shutil.copy(shared_data / PUF_2012, renamed)
    assert detect_format(renamed) == "cms_puf"
