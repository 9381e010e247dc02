"""The X12 837 reader on the public 837P/837I example interchanges in shared/data/x12."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from claimscope.ingest.x12.reader import READER
from tests.conftest import SHARED_DATA
from tests.test_x12_helpers import ReadResult, read_all

X12_FILES = sorted((SHARED_DATA / "x12").glob("837*"))


def read_x12(path: Path) -> ReadResult:
    return read_all(READER, path)


def fixture(shared_data: Path, stem: str) -> ReadResult:
    (path,) = (shared_data / "x12").glob(f"*{stem}*")
    return read_x12(path)


def test_all_fixture_files_are_present() -> None:
    assert len(X12_FILES) == 22


@pytest.mark.parametrize("path", X12_FILES, ids=lambda p: p.name.split("__")[1])
def test_every_file_parses_and_reconciles(path: Path) -> None:
    text = path.read_text()
    result = read_x12(path)
    service_lines = len(re.findall(r"~\s*LX\*", text))
    assert result.read_count == service_lines == result.table.num_rows
    assert result.quarantined == []
    claim_type = "institutional" if "X223" in path.name else "professional"
    assert set(result.column("claim_type")) == {claim_type}
    assert None not in result.column("hcpcs_code")
    assert None not in result.column("service_from")
    assert None not in result.column("payer_type")
    assert None not in result.column("patient_id")
    assert set(result.column("record_kind")) == {"line"}
    assert READER.sniff(path, path.read_bytes()[:65536])


def test_ambulance_claim_values(shared_data: Path) -> None:
    rows = fixture(shared_data, "ambulance.example5").rows()
    assert [r["hcpcs_code"] for r in rows] == ["A0427", "A0425", "A0422", "A0382"]
    assert {r["modifier_1"] for r in rows} == {"RH"}
    assert [r["units"] for r in rows] == ["1.00", "21.00", "1.00", "1.00"]
    assert [r["charge_amount"] for r in rows] == ["700.00", "8.20", "46.00", "12.30"]
    assert [r["source_row"] for r in rows] == [36, 42, 47, 51]  # SV1 segment numbers
    first = rows[0]
    assert first["claim_id"] == "051068"
    assert first["claim_frequency"] == "1"
    assert first["line_number"] == "1"
    assert (first["service_from"], first["service_to"]) == ("2005-02-08", "2005-02-08")
    assert first["place_of_service"] == "41"
    assert first["payer_type"] == "medicare"  # SBR09 = MB
    assert first["billing_npi"] == "2366554859"
    # No 2310B rendering provider: the billing provider and its PRV*BI taxonomy stand in.
    assert first["rendering_npi"] == "2366554859"
    assert first["rendering_taxonomy"] == "3416L0300X"
    assert first["state"] == "CO"
    assert first["patient_id"] == "123245|012345678A"


def test_dependent_patient_and_rendering_provider(shared_data: Path) -> None:
    rows = fixture(shared_data, "autoaccident").rows()
    assert [r["hcpcs_code"] for r in rows] == ["99201", "26010"]
    first = rows[0]
    assert first["claim_id"] == "900000032"
    assert first["rendering_npi"] == "2366552595"
    assert first["rendering_taxonomy"] == "208D00000X"
    assert first["billing_npi"] == "1253695747"
    assert first["payer_type"] == "other"  # AM: automobile medical
    # The patient (2010CA) is not the subscriber: name and birth date join the member id.
    assert first["patient_id"] == "999888777|B99977791G|DIMPSON|DJ|19480601"
    assert first["state"] == "CA"  # 2310C service facility


def test_other_payer_loops_do_not_override_claim_values(shared_data: Path) -> None:
    # 3B/3C carry 2320/2330 loops (SBR*P...*12, NM1*PR, NM1*82 without NPI) after the claim.
    for stem in ("cob.example3.A", "cob.example3.B", "cob.example3.C"):
        rows = fixture(shared_data, stem).rows()
        assert [r["hcpcs_code"] for r in rows] == ["99213", "90782", "J3301"]
        assert {r["payer_type"] for r in rows} == {"commercial"}  # 2000B SBR09 = CI
        assert {r["rendering_npi"] for r in rows} == {"1999996666"}
        assert {r["rendering_taxonomy"] for r in rows} == {"204C00000X"}
        assert [r["charge_amount"] for r in rows] == ["43.00", "15.00", "21.04"]
        assert {r["service_from"] for r in rows} == {"2005-10-03"}


def test_date_ranges_and_line_place_of_service(shared_data: Path) -> None:
    rows = fixture(shared_data, "drug.example10.2").rows()
    assert [r["hcpcs_code"] for r in rows] == ["S9500", "S5001", "S5000", "S5000", "S5000", "S5000"]
    assert [r["units"] for r in rows] == ["7.00", "7.00", "14.00", "7.00", "14.00", "7.00"]
    assert {(r["service_from"], r["service_to"]) for r in rows} == {("2004-02-01", "2004-02-07")}
    assert {r["place_of_service"] for r in rows} == {"12"}  # SV105 (and CLM05-1)
    assert {r["billing_npi"] for r in rows} == {"1234567893"}


def test_declared_component_separator_mismatch_is_tolerated(shared_data: Path) -> None:
    # ISA16 says ':' but the claim uses '>' (HC>00142>QK>QS>P1, CLM05 22>B>1).
    (row,) = fixture(shared_data, "example9").rows()
    assert row["hcpcs_code"] == "00142"
    assert (row["modifier_1"], row["modifier_2"], row["modifier_3"]) == ("QK", "QS", "P1")
    assert row["modifier_4"] is None
    assert row["units"] == "61.00"  # anesthesia minutes (SV103 = MJ), taken as units
    assert row["place_of_service"] == "22"
    assert row["claim_id"] == "153829140"
    assert row["rendering_npi"] == "5678912345"
    assert row["rendering_taxonomy"] == "207L00000X"


def test_three_modifiers(shared_data: Path) -> None:
    (row,) = fixture(shared_data, "example8").rows()
    assert (row["hcpcs_code"], row["modifier_1"], row["modifier_2"], row["modifier_3"]) == (
        "K0001",
        "RR",
        "KH",
        "BR",
    )


def test_institutional_claim(shared_data: Path) -> None:
    rows = fixture(shared_data, "institutional-claim").rows()
    assert [(r["revenue_code"], r["hcpcs_code"]) for r in rows] == [
        ("0305", "85025"),
        ("0730", "93005"),
    ]
    assert [r["units"] for r in rows] == ["1.00", "3.00"]
    assert [r["charge_amount"] for r in rows] == ["13.39", "76.54"]
    assert {r["setting"] for r in rows} == {"facility"}
    assert {r["place_of_service"] for r in rows} == {None}  # CLM05-1 is a facility type here
    assert {r["payer_type"] for r in rows} == {"medicare"}
    assert {r["claim_id"] for r in rows} == {"756048Q"}


def test_two_claims_with_attending_providers(shared_data: Path) -> None:
    rows = fixture(shared_data, "two-claims-single-provider").rows()
    assert [r["claim_id"] for r in rows] == ["756048Q", "756048Q", "756049Q"]
    assert [r["hcpcs_code"] for r in rows] == ["85025", "93005", "85087"]
    assert [r["rendering_npi"] for r in rows] == ["1122334455", "1122334455", "9999999999"]
    assert rows[2]["rendering_taxonomy"] == "363LP0200N"  # PRV*AT of the attending provider
    assert {r["payer_type"] for r in rows} == {"other"}  # CH: TRICARE
    assert rows[0]["patient_id"] != rows[2]["patient_id"]
    assert rows[2]["service_from"] == "2005-04-01"


def test_dependent_patient_on_institutional_claim(shared_data: Path) -> None:
    rows = fixture(shared_data, "ppo-repriced-claim").rows()
    assert {r["patient_id"] for r in rows} == {"7452723|345U8423H|JONES|JOY|19980820"}
    assert [r["revenue_code"] for r in rows] == ["0471", "0471"]
    assert [r["hcpcs_code"] for r in rows] == ["92557", "92567"]
    assert {r["rendering_npi"] for r in rows} == {"5544332211"}
