"""The CMS RIF carrier reader on the BFD samples (hand-made and Synthea) and built variants."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claimscope.ingest.base import IngestError
from claimscope.ingest.rif import READER, ccw_date, line_status_for
from tests.conftest import SHARED_DATA
from tests.test_x12_helpers import ReadResult, loads_cleanly, read_all, write

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
RIF_FILES = sorted((SHARED_DATA / "bfd").glob("rif-*"))
SAMPLE = (SHARED_DATA / "bfd" / "rif-static_sample-a-bcarrier-multiple-lines.txt").read_text()
HEADER, FIRST = SAMPLE.splitlines()[:2]
NAMES = HEADER.split("|")


def with_values(line: str, **values: str) -> str:
    fields = line.split("|")
    for name, value in values.items():
        fields[NAMES.index(name)] = value
    return "|".join(fields)


def read_lines(tmp_path: Path, *lines: str) -> ReadResult:
    return read_all(READER, write(tmp_path, "carrier.txt", "\n".join([HEADER, *lines]) + "\n"))


def test_all_sample_files_are_present() -> None:
    assert [p.name for p in RIF_FILES] == [
        "rif-static_samhsa_sample-a-carrier.txt",
        "rif-static_sample-a-bcarrier-multiple-lines.txt",
        "rif-static_sample-a-bcarrier.txt",
        "rif-synthea_carrier.csv",
    ]


@pytest.mark.parametrize("path", RIF_FILES, ids=lambda p: p.name)
def test_every_sample_reads_and_reconciles(path: Path) -> None:
    assert READER.sniff(path, path.read_bytes()[:65536])
    result = read_all(READER, path)
    data_lines = len(path.read_text().splitlines()) - 1
    assert result.read_count == result.table.num_rows == data_lines
    assert result.column("source_row") == list(range(1, data_lines + 1))
    assert set(result.column("payer_type")) == {"medicare"}
    assert set(result.column("claim_type")) == {"professional"}
    assert None not in result.column("service_from")


def test_hand_made_sample_values(shared_data: Path) -> None:
    result = read_all(
        READER, shared_data / "bfd" / "rif-static_sample-a-bcarrier-multiple-lines.txt"
    )
    rows = result.rows()
    assert [r["hcpcs_code"] for r in rows] == [
        "92999",
        "92998",
        "92997",
        "92996",
        "92995",
        "92994",
        "92993",
    ]
    assert [r["charge_amount"] for r in rows] == ["75", "75", "85", "65", "55", "45", "35"]
    assert [r["line_number"] for r in rows] == ["1", "2", "3", "4", "5", "6", "7"]
    first = rows[0]
    assert first["claim_id"] == "9991831999"
    assert first["patient_id"] == "567834"
    assert (first["service_from"], first["service_to"]) == ("1999-10-27", "1999-10-27")
    assert first["rendering_npi"] == "1923124"
    assert first["billing_npi"] == "1234567890"
    assert first["medicare_specialty_code"] == "41"
    assert first["state"] == "IL"
    assert first["place_of_service"] == "11"
    assert (first["modifier_1"], first["modifier_2"]) == ("LT", None)
    assert first["units"] == "1.0"
    assert (first["allowed_amount"], first["paid_amount"]) == ("47.84", "37.5")
    assert first["line_status"] == "paid"  # LINE_PRCSG_IND_CD = A


def test_synthea_export_is_the_same_layout(shared_data: Path) -> None:
    result = read_all(READER, shared_data / "bfd" / "rif-synthea_carrier.csv")
    codes = result.column("hcpcs_code")
    # Synthea leaves HCPCS_CD blank on most lines; the pipeline quarantines those rows.
    assert codes.count(None) == 209
    assert sorted(c for c in codes if c) == ["G0444"] * 11 + ["G9572"]
    assert set(result.column("medicare_specialty_code")) == {"01"}
    assert result.column("service_from")[0] == "2015-05-30"  # 30-May-2015
    assert set(result.column("place_of_service")) == {"11", "20"}
    assert len(set(result.column("claim_id"))) == 37


def test_deleted_and_non_final_rows_are_quarantined(tmp_path: Path) -> None:
    result = read_lines(
        tmp_path,
        FIRST,
        with_values(FIRST, DML_IND="DELETE"),
        with_values(FIRST, FINAL_ACTION="N"),
    )
    assert result.column("source_row") == [1]
    assert [(q.row, q.field) for q in result.quarantined] == [(2, "DML_IND"), (3, "FINAL_ACTION")]
    assert result.read_count == 3


def test_wrong_field_count_is_quarantined_with_its_row(tmp_path: Path) -> None:
    result = read_lines(tmp_path, FIRST, "INSERT|1|2", with_values(FIRST, HCPCS_CD="97110"))
    assert result.column("hcpcs_code") == ["92999", "97110"]
    assert result.column("source_row") == [1, 3]
    (record,) = result.quarantined
    assert record.row == 2 and "wrong number of fields" in record.reason


def test_date_formats_and_fallback_to_claim_dates(tmp_path: Path) -> None:
    result = read_lines(
        tmp_path,
        with_values(FIRST, LINE_1ST_EXPNS_DT="20230105", LINE_LAST_EXPNS_DT="2023-01-06"),
        with_values(FIRST, LINE_1ST_EXPNS_DT="", LINE_LAST_EXPNS_DT="", CLM_FROM_DT="03-feb-2023"),
        with_values(FIRST, LINE_1ST_EXPNS_DT="31-FEB-2023"),
    )
    assert result.column("service_from") == ["2023-01-05", "2023-02-03", "31-FEB-2023"]
    # The second row has no line dates: the claim's CLM_THRU_DT (27-OCT-1999) stands in.
    assert result.column("service_to")[:2] == ["2023-01-06", "1999-10-27"]


def test_line_status_rule() -> None:
    assert line_status_for("A", "0") == "paid"  # allowed, e.g. all to deductible
    assert line_status_for("R", None) == "paid"
    assert line_status_for("N", "0") == "denied"
    assert line_status_for("S", "12.5") == "paid"
    assert line_status_for("", "10") == "unknown"
    assert line_status_for(None, None) == "unknown"


def test_ccw_dates() -> None:
    assert ccw_date("27-OCT-1999") == "1999-10-27"
    assert ccw_date("30-May-2015") == "2015-05-30"
    assert ccw_date("19991027") == "1999-10-27"
    assert ccw_date("1999-10-27") == "1999-10-27"
    for bad in ("31-FEB-2023", "27-XXX-1999", "1999", "", "2023-13-01"):
        assert ccw_date(bad) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("CLM_ID|BENE_ID|HCPCS_CD|LINE_SRVC_CNT\n1|2|97110|1\n", "no service date column"),
        ("CLM_ID|HCPCS_CD|LINE_SRVC_CNT|CLM_FROM_DT\n", "missing columns BENE_ID"),
        ("claim,code\n1,2\n", "not a pipe-delimited RIF file"),
    ],
)
def test_unusable_files(tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path, "bad.txt", content)
    with pytest.raises(IngestError, match=message) as caught:
        read_all(READER, path)
    assert str(path) in str(caught.value)


def test_sniff(tmp_path: Path) -> None:
    assert READER.sniff(tmp_path, SAMPLE.encode())
    assert not READER.sniff(tmp_path, SAMPLE.replace("|", ",").encode())
    assert not READER.sniff(tmp_path, b"CLM_ID|BENE_ID|REV_CNTR|HCPCS_CD\n")  # outpatient layout


@FUZZ
@given(
    st.lists(
        st.text(max_size=120).map(str.encode)
        | st.sampled_from([FIRST.encode(), b""])
        | st.builds(with_values, st.just(FIRST), HCPCS_CD=st.text(max_size=6)).map(str.encode)
        | st.builds(with_values, st.just(FIRST), LINE_1ST_EXPNS_DT=st.text(max_size=12)).map(
            str.encode
        ),
        max_size=6,
    )
)
def test_fuzzed_lines_after_a_valid_header(lines: list[bytes]) -> None:
    check_lines(lines)


def check_lines(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.txt"
        path.write_bytes(b"\n".join([HEADER.encode(), *lines]))
        try:
            result = read_all(READER, path)
        except IngestError as error:
            assert str(path) in str(error)
            return
        assert result.read_count == result.table.num_rows + len(result.quarantined)


CCW_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
SPELLINGS = {
    "ccw": lambda d: f"{d.day:02d}-{CCW_MONTHS[d.month - 1]}-{d.year}",
    "ccw_mixed_case": lambda d: f"{d.day:02d}-{CCW_MONTHS[d.month - 1].title()}-{d.year}",
    "yyyymmdd": lambda d: d.strftime("%Y%m%d"),
    "iso": lambda d: d.isoformat(),
}
HCPCS = st.from_regex(r"\A[A-Z0-9][0-9]{3}[A-Z0-9]\Z")


@FUZZ
@given(
    st.lists(
        st.tuples(HCPCS, st.integers(1, 999), st.dates(date(1991, 1, 1), date(2029, 12, 31)),
                  st.sampled_from(sorted(SPELLINGS))),
        min_size=1,
        max_size=6,
    )
)  # fmt: skip
def test_valid_mutations_still_load(rows: list[tuple[str, int, date, str]]) -> None:
    lines = [
        with_values(FIRST, HCPCS_CD=code, LINE_SRVC_CNT=str(units),
                    LINE_1ST_EXPNS_DT=SPELLINGS[spelling](served),
                    LINE_LAST_EXPNS_DT=SPELLINGS[spelling](served))
        for code, units, served, spelling in rows
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "carrier.txt"
        path.write_text("\n".join([HEADER, *lines]) + "\n")
        result = read_all(READER, path)  # an IngestError here fails the test
    assert result.quarantined == [] and result.table.num_rows == len(rows)
    assert loads_cleanly(result).all()
    assert result.column("hcpcs_code") == [code for code, _, _, _ in rows]
    assert result.column("service_from") == [served.isoformat() for _, _, served, _ in rows]
    assert [float(str(u)) for u in result.column("units")] == [float(u) for _, u, _, _ in rows]


def test_short_row_with_invalid_utf8() -> None:
    check_lines([FIRST.encode(), b"\xff|1"])
