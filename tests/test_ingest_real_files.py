"""Files as real tools write them: date spellings, numbers, bad bytes, duplicate columns."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from claimscope.ingest.pipeline import ingest_paths
from claimscope.ingest.report import FileReport, IngestOptions
from claimscope.ingest.validate import IMPOSSIBLE_DATE, NOT_A_DATE, Limits
from claimscope.store.layout import Store
from claimscope.store.table import read_lines

OPTIONS = IngestOptions(limits=Limits(today=date(2024, 6, 30)))
HEADER = "claim_id,patient_id,service_from,hcpcs_code,units\n"


def _ingest(tmp_path: Path, path: Path) -> tuple[FileReport, Store]:
    store = Store.open(tmp_path / "store")
    (report,) = ingest_paths([path], store, options=OPTIONS).files
    return report, store


def _lines(store: Store) -> list[dict[str, object]]:
    return read_lines(store).sort_by("source_row").to_pylist()


def _csv_rows(path: Path | None) -> list[dict[str, str]]:
    assert path is not None
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_date_spelling_loads_and_impossible_dates_are_named(tmp_path: Path) -> None:
    spellings = [
        "2023-03-05", "2023-03-05 00:00:00", "2023-03-05T00:00:00Z", "3/5/2023", "03/05/2023",
        "20230305", "2023-02-30", "2023-13-01", "5.3.2023",
    ]  # fmt: skip
    path = tmp_path / "dates.csv"
    path.write_text(HEADER + "".join(f"C{i},P1,{d},97110,1\n" for i, d in enumerate(spellings)))
    report, store = _ingest(tmp_path, path)
    assert (report.read, report.loaded, report.quarantined) == (9, 6, 3)
    assert {r["service_from"] for r in _lines(store)} == {date(2023, 3, 5)}
    reasons = {int(r["row"]): (r["reason"], r["value"]) for r in _csv_rows(report.quarantine_file)}
    assert reasons == {
        7: (IMPOSSIBLE_DATE, "2023-02-30"),
        8: (IMPOSSIBLE_DATE, "2023-13-01"),
        9: (NOT_A_DATE, "5.3.2023"),
    }


def test_excel_serial_dates_in_a_numeric_column(tmp_path: Path) -> None:
    path = tmp_path / "serials.parquet"
    pq.write_table(
        pa.table({"claim_id": ["A", "B"], "patient_id": ["p", "q"], "hcpcs_code": ["97110"] * 2,
                  "service_from": pa.array([44990, 45107], pa.int32()), "units": [1, 2]}),
        path,
    )  # fmt: skip
    report, store = _ingest(tmp_path, path)
    assert report.loaded == 2
    assert [r["service_from"] for r in _lines(store)] == [date(2023, 3, 5), date(2023, 6, 30)]


def test_fractional_units_load_and_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        HEADER + "A,p,2023-01-02,97110,1\nB,p,2023-01-02,J1100,0.5\nC,p,2023-01-02,97110,2.25\n"
    )
    report, store = _ingest(tmp_path, path)
    assert (report.loaded, report.quarantined) == (3, 0)
    assert [r["units"] for r in _lines(store)] == [1.0, 0.5, 2.25]
    assert report.warning_reasons == {("units", "fractional units, loaded as given"): 2}
    flagged = _csv_rows(report.warnings_file)
    assert [(r["row"], r["value"]) for r in flagged] == [("2", "0.5"), ("3", "2.25")]


def test_a_bad_byte_mid_file_quarantines_only_its_row(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = 300_000
    body = "".join(f"C{i},P{i % 997},2023-01-{1 + i % 28:02d},97110,1\n" for i in range(rows))
    data = (HEADER + body).encode()
    line_start = data.index(b"\nC250000,") + 1  # data row 250,001 (rows count from 1)
    damaged = data[:line_start] + b"C250000,P\xff\xfe," + data[line_start:].split(b",", 2)[2]
    path.write_bytes(damaged)
    report, _ = _ingest(tmp_path, path)
    assert (report.read, report.loaded, report.quarantined) == (rows, rows - 1, 1)
    (record,) = _csv_rows(report.quarantine_file)
    assert (record["row"], record["field"]) == ("250001", "patient_id")
    assert record["reason"] == "not valid UTF-8 text (is the file in another encoding?)"
    assert record["value"] == "<redacted>"  # even a damaged patient id is never written


def test_a_bad_byte_in_a_code_is_shown_with_a_replacement_character(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + b"A,p,2023-01-02,97110,1\nB,p,2023-01-02,9711\xe9,1\n")
    report, _ = _ingest(tmp_path, path)
    assert (report.loaded, report.quarantined) == (1, 1)
    (record,) = _csv_rows(report.quarantine_file)
    assert (record["row"], record["field"], record["value"]) == ("2", "hcpcs_code", "9711\ufffd")


def test_duplicate_column_names_are_an_error_naming_both(tmp_path: Path) -> None:
    same = tmp_path / "same.csv"
    same.write_text("claim_id,units,service_from,hcpcs_code,units\nA,1,2023-01-02,97110,2\n")
    report, store = _ingest(tmp_path, same)
    assert report.status == "rejected" and not store.has_table()
    assert report.reason == (
        f"{same}: duplicate column name 'units' (columns 2 and 5); rename one so it is clear "
        "which holds the data"
    )
    alias = tmp_path / "alias.csv"
    alias.write_text("service_date,hcpcs_code,units,Service_From\n2023-01-02,97110,1,2023-01-03\n")
    (report,) = ingest_paths([alias], store, options=OPTIONS).files
    assert report.status == "rejected"
    assert "columns 1 'service_date' and 4 'Service_From' both give service_from" in (
        report.reason or ""
    )
