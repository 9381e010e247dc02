"""Damaged, unusual and hand-built 837 files: clear errors or quarantined lines, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from claimscope.ingest.base import IngestError
from claimscope.ingest.x12 import tokenizer
from claimscope.ingest.x12.reader import READER
from tests.conftest import SHARED_DATA
from tests.test_x12_helpers import ReadResult, read_all, write

EXAMPLE1 = (SHARED_DATA / "x12" / "837_005010X222A2__demo.example1.837").read_text()
INSTITUTIONAL = (
    SHARED_DATA / "x12" / "837_005010X223A3__two-claims-single-provider.837i"
).read_text()

HEADER = (
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*"
    "000000001*0*T*:~GS*HC*S*R*20240101*1200*1*X*005010X222A2~"
)


def transaction(body: list[str], control: str = "0001") -> str:
    """An ST/SE transaction around ``body`` segments with the right SE01 count."""
    segments = [f"ST*837*{control}*005010X222A2", "BHT*0019*00*1*20240101*1200*CH", *body]
    segments.append(f"SE*{len(segments) + 1}*{control}")
    return "~".join(segments) + "~"


def interchange(*transactions: str) -> str:
    return HEADER + "".join(transactions) + f"GE*{len(transactions)}*1~IEA*1*000000001~"


def claim(*lines: str, sbr09: str = "CI", clm: str = "CLM*C1*100***11:B:1*Y*A*Y*Y") -> list[str]:
    return [
        "HL*1**20*1",
        "NM1*85*2*BILLING*****XX*1234567893",
        "N4*CITY*TX*75001",
        "HL*2*1*22*0",
        f"SBR*P*18*******{sbr09}",
        "NM1*IL*1*DOE*JANE****MI*M123",
        "NM1*PR*2*PAYER*****PI*P1",
        clm,
        *lines,
    ]


def line(number: int, sv1: str, date: str = "DTP*472*D8*20230105") -> list[str]:
    return [f"LX*{number}", sv1, date]


def read_text(tmp_path: Path, text: str) -> ReadResult:
    return read_all(READER, write(tmp_path, "claims.837", text))


def test_hand_built_claim_reads(tmp_path: Path) -> None:
    body = claim(*line(1, "SV1*HC:97110:GP*120*UN*4***1"), *line(2, "SV1*HC:97140*60*UN*2***1"))
    result = read_text(tmp_path, interchange(transaction(body)))
    assert result.column("hcpcs_code") == ["97110", "97140"]
    assert result.column("modifier_1") == ["GP", None]
    assert result.column("units") == ["4", "2"]
    assert result.column("state") == ["TX", "TX"]
    assert result.column("patient_id") == ["P1|M123", "P1|M123"]


@pytest.mark.parametrize(
    ("sv1", "date", "field", "reason"),
    [
        ("SV1*HC:97110*120*UN*four***1", "DTP*472*D8*20230105", "SV1-04", "units is not a number"),
        ("SV1*HC:97110*1,20*UN*4***1", "DTP*472*D8*20230105", "SV1-02", "not a number"),
        ("SV1*WK:97110*120*UN*4***1", "DTP*472*D8*20230105", "SV1-01", "not HCPCS"),
        ("SV1*HC*120*UN*4***1", "DTP*472*D8*20230105", "SV1-01", "no code"),
        ("SV1*HC:97110*120*UN*4***1", "DTP*472*D8*20230230", "DTP-03", "invalid D8"),
        ("SV1*HC:97110*120*UN*4***1", "DTP*472*RD8*20230110-20230101", "DTP-03", "ends before"),
        ("SV1*HC:97110*120*UN*4***1", "DTP*472*D6*230101", "DTP-03", "qualifier"),
        ("SV1*HC:97110*120*UN*4***1", "DTP*471*D8*20230105", "DTP*472", "no service date"),
    ],
)
def test_bad_line_values_are_quarantined(
    tmp_path: Path, sv1: str, date: str, field: str, reason: str
) -> None:
    good = line(1, "SV1*HC:97530*90*UN*3***1")
    body = claim(*good, *line(2, sv1, date))
    result = read_text(tmp_path, interchange(transaction(body)))
    assert result.column("hcpcs_code") == ["97530"]
    (record,) = result.quarantined
    assert record.field == field
    assert reason in record.reason
    assert record.row == 17  # the SV1 (or, without one, LX) segment number of line 2
    assert record.file.endswith("claims.837")
    assert result.read_count == 2


def test_claim_without_service_lines_is_one_quarantined_row(tmp_path: Path) -> None:
    body = [*claim(), *claim(*line(1, "SV1*HC:97110*120*UN*4***1"), clm="CLM*C2*10***11:B:1")]
    result = read_text(tmp_path, interchange(transaction(body)))
    assert result.column("claim_id") == ["C2"]
    (record,) = result.quarantined
    assert (record.field, record.row, record.value) == ("LX", 12, "C1")  # CLM segment
    assert result.read_count == 2


@pytest.mark.parametrize(
    ("sbr09", "payer"), [("", None), ("XX", "SBR09 XX"), ("16", "medicare_advantage")]
)
def test_filing_indicator_payer_types(tmp_path: Path, sbr09: str, payer: str | None) -> None:
    # Missing or unknown indicators are passed on; the pipeline loads them as `other` and
    # reports the examples in its warnings.
    body = claim(*line(1, "SV1*HC:97110*120*UN*4***1"), sbr09=sbr09)
    result = read_text(tmp_path, interchange(transaction(body)))
    assert result.quarantined == []
    assert result.column("payer_type") == [payer]


def test_revenue_code_only_institutional_line_is_quarantined(tmp_path: Path) -> None:
    text = INSTITUTIONAL.replace("SV2*0300*HC:85087*50.00*UN*1.00", "SV2*0300**50.00*UN*1.00")
    result = read_text(tmp_path, text)
    assert result.column("hcpcs_code") == ["85025", "93005"]
    (record,) = result.quarantined
    assert record.field == "SV2-02" and "revenue-code-only" in record.reason


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda t: t.replace("~\n", "~"), id="no-newlines"),
        pytest.param(lambda t: t.replace("~\n", "~\r\n"), id="crlf"),
        pytest.param(lambda t: (t + "\n").replace("~\n", "\n"), id="newline-terminator"),
        pytest.param(lambda t: "\ufeff" + t, id="byte-order-mark"),
        pytest.param(lambda t: t.replace("*", "|").replace("|^|", "|^|"), id="pipe-elements"),
    ],
)
def test_layout_variants_read_the_same(tmp_path: Path, variant: object) -> None:
    expected = read_text(tmp_path, EXAMPLE1).rows()
    text = variant(EXAMPLE1)  # type: ignore[operator]
    path = write(tmp_path, "variant.837", text.encode("utf-8"))
    assert read_all(READER, path).rows() == expected


def test_tiny_chunks_give_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = EXAMPLE1 + INSTITUTIONAL
    expected = read_text(tmp_path, text).rows()
    monkeypatch.setattr(tokenizer, "CHUNK_BYTES", 7)
    monkeypatch.setattr(tokenizer.iter_segment_lists, "__defaults__", (7,))
    assert read_text(tmp_path, text).rows() == expected


def test_several_interchanges_groups_and_transactions(tmp_path: Path) -> None:
    one = transaction(claim(*line(1, "SV1*HC:97110*120*UN*4***1")), "0001")
    two = transaction(claim(*line(1, "SV1*HC:97112*80*UN*2***1")), "0002")
    text = interchange(one, two) + EXAMPLE1 + INSTITUTIONAL
    result = read_text(tmp_path, text)
    assert result.column("hcpcs_code")[:2] == ["97110", "97112"]
    assert result.table.num_rows == 2 + 4 + 3
    assert set(result.column("claim_type")) == {"professional", "institutional"}


def test_small_batches_cover_every_line(tmp_path: Path) -> None:
    text = EXAMPLE1 * 3
    result = read_all(READER, write(tmp_path, "x.837", text), batch_rows=2)
    assert result.table.num_rows == 12
    assert result.batches == 6


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t[: len(t) // 2], "truncated"),
        (lambda t: t.replace("IEA*1*000000907~", ""), "missing IEA"),
        (lambda t: t.replace("SE*40*0021", "SE*41*0021"), "SE01 says '41'"),
        (lambda t: t.replace("SE*40*0021", "SE*40*0022"), "SE02 does not match"),
        (lambda t: t.replace("GE*1*1", "GE*2*1"), "GE01"),
        (lambda t: t.replace("IEA*1*000000907", "IEA*1*000000908"), "IEA02"),
        (lambda t: t.replace("ST*837*", "ST*835*"), "not an 837"),
        (lambda t: t.replace("005010X222A2", "005010X224A2"), "not supported"),
        (lambda t: t.replace("HL*2*1*22*1~", "HL*2*1*22*1~\x00\x01\x02~"), "invalid segment"),
        (lambda t: t.replace("ISA*", "ISB*"), "not an X12 interchange"),
        (lambda t: t.replace("LX*1~", "LX*1~SV1*HC:1*1*UN*1~"), "second SV1"),
        (lambda t: t.replace("GS*HC", "N3*X~GS*HC"), "outside a transaction"),
        (lambda t: t + "garbage", "ends inside a segment"),
        (lambda t: t + "ISA*1~", "ISA has 1 elements"),
        (lambda t: "", "not an X12 interchange"),
    ],
)
def test_damaged_files_raise_ingest_error_naming_file(
    tmp_path: Path, mutate: object, message: str
) -> None:
    path = write(tmp_path, "broken.837", mutate(EXAMPLE1))  # type: ignore[operator]
    with pytest.raises(IngestError) as caught:
        read_all(READER, path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_errors_name_the_segment_number(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.837", EXAMPLE1.replace("SE*40*0021", "SE*41*0021"))
    with pytest.raises(IngestError, match="segment 42"):
        read_all(READER, path)


def test_sniff_recognises_x12_only(tmp_path: Path) -> None:
    assert READER.sniff(tmp_path, EXAMPLE1.encode())
    assert READER.sniff(tmp_path, b"\xef\xbb\xbf\r\n" + EXAMPLE1.encode())
    assert not READER.sniff(tmp_path, b"ISAAC,NEWTON\n")
    assert not READER.sniff(tmp_path, b'{"resourceType": "ExplanationOfBenefit"}')
    assert not READER.sniff(tmp_path, b"")


def test_unreadable_file_is_an_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="cannot open"):
        read_all(READER, tmp_path / "missing.837")
