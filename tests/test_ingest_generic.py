"""The generic layout (CSV and Parquet) through the whole pipeline, good and bad rows."""

from __future__ import annotations

import csv
import gzip
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from claimscope.ingest.pipeline import ingest_paths
from claimscope.ingest.report import IngestOptions
from claimscope.ingest.validate import Limits
from claimscope.store.layout import Store
from claimscope.store.table import read_lines, snapshot

OPTIONS = IngestOptions(limits=Limits(today=date(2024, 6, 30)))
HEADER = (
    "claim_id,line_number,patient_id,service_date,hcpcs_code,modifier_1,units,charge_amount,"
    "paid_amount,rendering_npi,place_of_service,payer_type,line_status,extra_col"
)
# (CSV line, expected quarantine (field, reason) or None when the row loads)
CASES: list[tuple[str, tuple[str, str] | None]] = [
    ("C1,1,P001,2023-03-01,97110,GP,2,120.00,80.00,1234567893,11,commercial,paid,x", None),
    ("C1,2,P001,2023-03-01,9711,GP,1,60,40,1234567893,11,commercial,paid,x",
     ("hcpcs_code", "not a HCPCS code")),
    ("C1,3,P001,2023-03-01,,GP,1,60,40,1234567893,11,commercial,paid,x",
     ("hcpcs_code", "no HCPCS code")),
    ("C2,1,P002,2023-02-30,97140,,1,60,40,1234567893,11,commercial,paid,x",
     ("service_date", "impossible date")),
    ("C2,2,P002,2099-01-01,97140,,1,60,40,1234567893,11,commercial,paid,x",
     ("service_date", "in the future")),
    ("C3,1,P003,2023-04-01,97530,,-1,60,40,1234567893,11,medicare,paid,x",
     ("units", "negative units")),
    ("C3,2,P003,2023-04-01,97530,,abc,60,40,1234567893,11,medicare,paid,x",
     ("units", "not a number")),
    ("C3,3,P003,2023-04-01,97530,,0,60,40,1234567893,11,medicare,paid,x",
     ("units", "zero units")),
    ("C3,4,P003,2023-04-01,97530,,5000,60,40,1234567893,11,medicare,paid,x",
     ("units", "more than 1000 units on one line")),
    # An invalid identifier does not lose the service: loaded, the value unknown (WARNED).
    ("C4,1,P004,2023-04-02,97112,,1,60,40,1234567890,11,medicare,paid,x", None),
    ("C4,2,,2023-04-02,97112,,1,60,40,1234567893,11,medicare,paid,x", None),
    # Two faults: the HCPCS code is checked before the units, so it is the one reported.
    ("C4,3,P004,2023-04-02,ABCDEF,,-2,60,40,1234567893,11,medicare,paid,x",
     ("hcpcs_code", "not a HCPCS code")),
    ("C5,1,P005,2023-05-01,97110", ("(row)", "wrong number of fields: 5, expected 14")),
    ("C5,2,P005,2023-05-01,97110,,1,60,-35.10,1234567893,11,medicaid,denied,x", None),
    ("C5,3,P005,1985-05-01,97110,,1,60,40,1234567893,11,medicaid,paid,x",
     ("service_date", "before 1990-01-01")),
    ("C5,4,P005,2023-05-01,97110,G,1,60,40,1234567893,11,medicaid,paid,x", None),
    ("C6,1,P006,2023-05-02,97116,,1,60,40,1234567893,1,Aetna,paid,x", None),
    ("C6,2,P006,03/15/2023, g0283 ,,1,60,40,1234567893,22,medicare advantage,,x", None),
    ("C6,3,P006,3/5/2023,97110,,1.5,60,40,1234567893,11,medicare,paid,x", None),
    ("C6,4,P006,2023-03-05 00:00:00,97110,,1,abc,40,123456789,11,medicare,paid,x", None),
]  # fmt: skip
# (row, field, reason, raw value) of the warnings file: loaded rows with a value unknown.
WARNED = [
    (10, "rendering_npi", "NPI check digit does not match", "1234567890"),
    (11, "patient_id", "missing patient id", "<redacted>"),
    (16, "modifier_1", "not a modifier (2 letters/digits)", "G"),
    (19, "units", "fractional units, loaded as given", "1.5"),
    (20, "charge_amount", "not a number", "abc"),
    (20, "rendering_npi", "not an NPI (10 digits)", "123456789"),
]


def _write_mixed(path: Path) -> None:
    path.write_text("\n".join([HEADER, *(line for line, _ in CASES)]) + "\n")


def _read_lines(store: Store) -> pa.Table:
    table = read_lines(store)
    return table.sort_by("source_row")


def _quarantine(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_mixed_file_quarantines_each_bad_row_with_row_field_and_reason(tmp_path: Path) -> None:
    source_file = tmp_path / "mixed.csv"
    _write_mixed(source_file)
    store = Store.open(tmp_path / "store")
    report = ingest_paths([source_file], store, options=OPTIONS)
    (file_report,) = report.files
    expected_bad = [(i + 1, want) for i, (_, want) in enumerate(CASES) if want is not None]
    assert file_report.format == "generic" and file_report.source == "generic"
    assert (file_report.read, file_report.loaded, file_report.quarantined) == (20, 9, 11)
    assert report.read == report.loaded + report.quarantined
    assert file_report.quarantine_file is not None
    rows = _quarantine(file_report.quarantine_file)
    got = sorted((int(r["row"]), r["field"], r["reason"]) for r in rows)
    assert [(row, field) for row, field, _ in got] == [(r, w[0]) for r, w in expected_bad]
    for (_, _, reason), (_, (_, want_reason)) in zip(got, expected_bad, strict=True):
        assert reason.startswith(want_reason)
    assert {r["file"] for r in rows} == {str(source_file)}
    by_row = {int(r["row"]): r for r in rows}
    assert by_row[6]["value"] == "-1"
    assert by_row[4]["value"] == "2023-02-30"


def test_invalid_identifiers_load_as_unknown_with_a_warnings_file(tmp_path: Path) -> None:
    source_file = tmp_path / "mixed.csv"
    _write_mixed(source_file)
    store = Store.open(tmp_path / "store")
    (file_report,) = ingest_paths([source_file], store, options=OPTIONS).files
    assert file_report.warnings_file == store.root / "warnings" / f"{file_report.batch_id}.csv"
    rows = _quarantine(file_report.warnings_file)
    got = sorted((int(r["row"]), r["field"], r["reason"], r["value"]) for r in rows)
    assert got == WARNED
    assert {r["file"] for r in rows} == {str(source_file)}
    assert file_report.warning_reasons == {(f, r): 1 for _, f, r, _ in WARNED}
    by_row = {r["source_row"]: r for r in _read_lines(store).to_pylist()}
    assert by_row[10]["rendering_npi"] is None and by_row[10]["hcpcs_code"] == "97112"
    assert by_row[11]["patient_key"] is None and by_row[11]["claim_id"] == "C4"
    assert by_row[16]["modifier_1"] is None
    assert by_row[19]["units"] == 1.5 and by_row[19]["service_from"] == date(2023, 3, 5)
    assert by_row[20]["charge_amount"] is None and by_row[20]["rendering_npi"] is None
    assert by_row[20]["service_from"] == date(2023, 3, 5)


def test_strict_quarantines_invalid_identifiers(tmp_path: Path) -> None:
    source_file = tmp_path / "mixed.csv"
    _write_mixed(source_file)
    store = Store.open(tmp_path / "store")
    options = IngestOptions(limits=OPTIONS.limits, strict=True)
    (file_report,) = ingest_paths([source_file], store, options=options).files
    assert (file_report.read, file_report.loaded, file_report.quarantined) == (20, 5, 15)
    assert file_report.quarantine_file is not None
    by_row = {int(r["row"]): r for r in _quarantine(file_report.quarantine_file)}
    assert (by_row[10]["field"], by_row[10]["reason"]) == (
        "rendering_npi", "NPI check digit does not match",
    )  # fmt: skip
    assert (by_row[11]["field"], by_row[16]["field"]) == ("patient_id", "modifier_1")
    assert (by_row[20]["field"], by_row[20]["reason"]) == (
        "rendering_npi",
        "not an NPI (10 digits)",
    )
    # A fractional quantity is a note, not an invalid value: loaded in strict mode too.
    assert 19 not in by_row
    assert file_report.warning_reasons == {("units", "fractional units, loaded as given"): 1}


def test_mixed_file_loaded_rows_are_normalised(tmp_path: Path) -> None:
    source_file = tmp_path / "mixed.csv"
    _write_mixed(source_file)
    store = Store.open(tmp_path / "store")
    report = ingest_paths([source_file], store, options=OPTIONS)
    lines = [r for r in _read_lines(store).to_pylist() if r["source_row"] in (1, 14, 17, 18)]
    first, denied, aetna, last = lines
    assert first["hcpcs_code"] == "97110" and first["modifier_1"] == "GP"
    assert first["units"] == 2.0 and first["charge_amount"] == 120.0
    assert first["service_month"] == date(2023, 3, 1) == first["period_end_month"]
    assert first["service_to"] == date(2023, 3, 1)
    assert first["setting"] == "non_facility" and first["payer_type"] == "commercial"
    assert first["line_status"] == "paid" and first["record_kind"] == "line"
    assert first["claim_id"] == "C1" and first["line_number"] == 1
    assert isinstance(first["patient_key"], int)
    assert denied["paid_amount"] == -35.10 and denied["line_status"] == "denied"
    assert aetna["place_of_service"] == "01" and aetna["payer_type"] == "other"
    assert last["hcpcs_code"] == "G0283" and last["service_from"] == date(2023, 3, 15)
    assert last["setting"] == "facility" and last["payer_type"] == "medicare_advantage"
    assert last["line_status"] == "unknown"
    warnings = report.files[0].warnings
    assert any(
        w.startswith("columns not in the generic layout were ignored: extra_col") for w in warnings
    )
    assert "payer_type: not recognised, loaded as other: 1 rows (e.g. 'Aetna')" in warnings


def _parquet_lines() -> pa.Table:
    return pa.table(
        {
            "claim_id": ["A", "A", "B"],
            "line_number": pa.array([1, 2, 1], pa.int32()),
            "patient_id": ["p-1", "p-1", "p-2"],
            "service_from": pa.array([date(2023, 1, 31), date(2023, 1, 31), date(2023, 2, 1)]),
            "hcpcs_code": ["97110", "97140", "97110"],
            "units": [1.0, 2.0, 3.0],
            "rendering_taxonomy": ["225100000X", "225100000X", "225X00000X"],
            "place_of_service": ["11", "11", "22"],
            "payer_type": ["Medicare", "medicare", "Medicaid"],
            "allowed_amount": [30.5, 61.0, 91.5],
        }
    )


def test_parquet_with_typed_columns(tmp_path: Path) -> None:
    path = tmp_path / "lines.parquet"
    pq.write_table(_parquet_lines(), path)
    store = Store.open(tmp_path / "store")
    report = ingest_paths([path], store, source="synthetic", options=OPTIONS)
    assert (report.read, report.loaded, report.quarantined) == (3, 3, 0)
    assert report.files[0].months == ["2023-01", "2023-02"]
    lines = _read_lines(store).to_pylist()
    assert [r["specialty"] for r in lines] == ["physical_therapy"] * 2 + ["occupational_therapy"]
    assert [r["setting"] for r in lines] == ["non_facility", "non_facility", "facility"]
    assert [r["payer_type"] for r in lines] == ["medicare", "medicare", "medicaid"]
    assert [r["source"] for r in lines] == ["synthetic"] * 3
    assert lines[0]["patient_key"] == lines[1]["patient_key"] != lines[2]["patient_key"]
    months = [f.month.isoformat() for f in snapshot(store).files]
    assert months == ["2023-01-01", "2023-02-01"]  # one data file per month partition


def test_gzip_csv_with_byte_order_mark_and_tab_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "lines.tsv.gz"
    body = (
        "\ufeffclaim_id\tpatient_id\tservice_from\thcpcs_code\tunits\nA\tp\t2023-01-02\t97110\t1\n"
    )
    with gzip.open(path, "wt") as handle:
        handle.write(body)
    report = ingest_paths([path], Store.open(tmp_path / "store"), options=OPTIONS)
    assert (report.files[0].format, report.loaded) == ("generic", 1)


def test_missing_required_column_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("claim_id,hcpcs_code,units\nA,97110,1\n")
    (file_report,) = ingest_paths([path], Store.open(tmp_path / "store"), fmt="generic").files
    assert file_report.status == "rejected"
    assert file_report.reason == (
        f"{path}: missing required column(s) service_from of the generic layout "
        "(found: claim_id, hcpcs_code, units)"
    )
