"""Every public sample loads through the pipeline: every X12 837P/837I service line, every coded
line of the Blue Button FHIR EOBs, every coded RIF line. Made-up NPIs (check digit wrong, or
not 10 digits) are counted as warnings and the lines load with the provider unknown."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest

from claimscope.ingest.pipeline import ingest_paths
from claimscope.ingest.report import FileReport, IngestOptions, IngestReport
from claimscope.store.layout import Store
from claimscope.store.ledger import Ledger
from claimscope.store.table import read_lines
from tests.conftest import SHARED_DATA

X12 = sorted((SHARED_DATA / "x12").glob("837*"))
BFD = SHARED_DATA / "bfd"
FHIR = [BFD / "fhir_v2_eobReadCarrier.json", BFD / "fhir_v2_eobReadCarrierWithMultipleLines.json",
        BFD / "idr_out_ExplanationOfBenefit-Carrier.json"]  # fmt: skip
RIF = sorted(BFD.glob("rif-*"))
CHECK_DIGIT = "NPI check digit does not match"
NOT_TEN_DIGITS = "not an NPI (10 digits)"
X12_RENDERING = "NM1*82-09 (else NM1*71-09, NM1*85-09)"
# file -> (read, loaded, quarantined, soft findings, first codes in file order, first line's
# units and service date), for values the reader tests check against the files themselves.
EXPECTED: dict[str, tuple[int, int, int, int, list[str], float, str]] = {
    "demo.ambulance.example5.837": (4, 4, 0, 8, ["A0427", "A0425", "A0422"], 1.0, "2005-02-08"),
    "demo.autoaccident.837": (2, 2, 0, 4, ["99201", "26010"], 1.0, "2005-10-31"),
    "demo.cob.2ndary.example4.837": (1, 1, 0, 2, ["98940"], 1.0, "2005-02-15"),
    "demo.cob.example3.A.837": (3, 3, 0, 6, ["99213", "90782", "J3301"], 1.0, "2005-10-03"),
    "demo.cob.example3.B.837": (3, 3, 0, 6, ["99213", "90782", "J3301"], 1.0, "2005-10-03"),
    "demo.cob.example3.C.837": (3, 3, 0, 6, ["99213", "90782", "J3301"], 1.0, "2005-10-03"),
    "demo.cob.example4.837": (1, 1, 0, 2, ["99203"], 1.0, "2005-01-19"),
    "demo.drug.example10.1.837": (2, 2, 0, 0, ["90782", "J1550"], 1.0, "2004-07-11"),
    "demo.drug.example10.2.837": (6, 6, 0, 0, ["S9500", "S5001", "S5000"], 7.0, "2004-02-01"),
    "demo.drug.example10.3.837": (6, 6, 0, 0, ["S9500", "J0696", "J7051"], 7.0, "2004-02-01"),
    "demo.example1.837": (4, 4, 0, 4, ["99213", "87070", "99214", "86663"], 1.0, "2006-10-03"),
    "demo.example11.837": (2, 2, 0, 2, ["E0570", "A7003"], 1.0, "2005-05-14"),
    "demo.example12.837": (1, 1, 0, 1, ["99284"], 1.0, "2005-05-06"),
    "demo.example2.837": (4, 4, 0, 12, ["99213", "87072", "99214", "86663"], 1.0, "2006-10-03"),
    "demo.example7.837": (2, 2, 0, 4, ["E1390", "E0431"], 1.0, "2005-03-21"),
    "demo.example8.837": (1, 1, 0, 0, ["K0001"], 1.0, "2005-03-21"),
    "demo.example9.837": (1, 1, 0, 2, ["00142"], 61.0, "2005-01-12"),
    "institutional-claim.837i": (2, 2, 0, 6, ["85025", "93005"], 1.0, "1996-09-11"),
    "out-of-network-repriced-claim.837i": (1, 1, 0, 1, ["82270"], 1.0, "2005-06-17"),
    "ppo-repriced-claim.837i": (2, 2, 0, 2, ["92557", "92567"], 1.0, "2005-07-06"),
    "two-claims-single-provider.837i": (3, 3, 0, 5, ["85025", "93005", "85087"], 1.0, "2005-03-15"),
    "fhir_v2_eobReadCarrier.json": (1, 1, 0, 2, ["92999"], 1.0, "1999-10-27"),
    "idr_out_ExplanationOfBenefit-Carrier.json": (
        4,
        3,
        1,
        0,
        ["99213", "99453", "J2270"],
        3.0,
        "2025-01-01",
    ),
    "rif-static_samhsa_sample-a-carrier.txt": (
        606,
        606,
        0,
        1212,
        ["92999", "92999"],
        1.0,
        "1999-10-27",
    ),
    "rif-static_sample-a-bcarrier-multiple-lines.txt": (
        7,
        7,
        0,
        14,
        ["92999", "92998", "92997"],
        1.0,
        "1999-10-27",
    ),
    "rif-static_sample-a-bcarrier.txt": (1, 1, 0, 2, ["92999"], 1.0, "1999-10-27"),
    "rif-synthea_carrier.csv": (
        221,
        12,
        209,
        0,
        ["G0444", "G0444", "G0444", "G9572"],
        9.0,
        "2015-05-30",
    ),
}


def _short(path: Path) -> str:
    return path.name.split("__")[-1]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[IngestReport, Store]:
    store = Store.open(tmp_path_factory.mktemp("samples") / "store")
    return ingest_paths([*X12, *FHIR, *RIF], store, source="samples"), store


def _report(loaded: tuple[IngestReport, Store], name: str) -> FileReport:
    (found,) = [f for f in loaded[0].files if _short(f.path) == name]
    return found


def _lines(store: Store, name: str) -> list[dict[str, object]]:
    table = read_lines(store)
    rows = [r for r in table.to_pylist() if Path(str(r["source_file"])).name.endswith(name)]
    return sorted(rows, key=lambda r: int(str(r["source_row"])))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_and_values_per_file(loaded: tuple[IngestReport, Store], name: str) -> None:
    read, kept, quarantined, warned, codes, units, served = EXPECTED[name]
    report = _report(loaded, name)
    assert (report.status, report.read, report.loaded, report.quarantined) == (
        "loaded", read, kept, quarantined,
    )  # fmt: skip
    assert sum(report.warning_reasons.values()) == warned
    lines = _lines(loaded[1], name)
    assert len(lines) == kept
    assert [r["hcpcs_code"] for r in lines[: len(codes)]] == codes
    assert (lines[0]["units"], lines[0]["service_from"]) == (units, date.fromisoformat(served))


@pytest.mark.parametrize("path", X12, ids=_short)
def test_every_x12_service_line_loads(loaded: tuple[IngestReport, Store], path: Path) -> None:
    report = _report(loaded, _short(path))
    if report.status == "skipped":  # example6 has the same bytes as cob.2ndary.example4
        assert _short(path) == "demo.example6.837" and "same content" in (report.reason or "")
        return
    service_lines = len(re.findall(r"~\s*LX\*", path.read_text()))
    assert report.read == report.loaded == service_lines and report.quarantined == 0


def test_multi_line_fhir_claim_loads_all_seven_items(loaded: tuple[IngestReport, Store]) -> None:
    name = "fhir_v2_eobReadCarrierWithMultipleLines.json"
    report = _report(loaded, name)
    assert (report.read, report.loaded, report.quarantined) == (7, 7, 0)
    lines = _lines(loaded[1], name)
    assert sorted(str(r["hcpcs_code"]) for r in lines) == [f"9299{i}" for i in range(3, 10)]
    # The performing NPI 1923124 has 7 digits; the billing NPI 1234567890 fails the check
    # digit (CMS's worked example 123456789 has check digit 3): both load as unknown.
    assert report.warning_reasons == {
        ("careTeam.provider", NOT_TEN_DIGITS): 7, ("provider", CHECK_DIGIT): 7,
    }  # fmt: skip
    assert {(r["rendering_npi"], r["billing_npi"], r["state"]) for r in lines} == {
        (None, None, "IL")
    }


def test_invalid_npis_are_kept_for_audit(loaded: tuple[IngestReport, Store]) -> None:
    report = _report(loaded, "rif-static_sample-a-bcarrier-multiple-lines.txt")
    assert report.warning_reasons == {
        ("PRF_PHYSN_NPI", NOT_TEN_DIGITS): 7, ("CARR_CLM_BLG_NPI_NUM", CHECK_DIGIT): 7,
    }  # fmt: skip
    assert report.warnings_file is not None
    with report.warnings_file.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["field"], r["value"]) for r in rows} == {
        ("PRF_PHYSN_NPI", "1923124"), ("CARR_CLM_BLG_NPI_NUM", "1234567890"),
    }  # fmt: skip
    assert sorted({int(r["row"]) for r in rows}) == list(range(1, 8))
    # The batch's ingest record keeps the counts with the file it names.
    (entry,) = [e for e in Ledger(loaded[1]).entries() if e.batch_id == report.batch_id]
    assert entry.warnings_file == str(report.warnings_file.relative_to(loaded[1].root))
    assert entry.warning_reasons == [
        {"field": "PRF_PHYSN_NPI", "reason": NOT_TEN_DIGITS, "rows": 7},
        {"field": "CARR_CLM_BLG_NPI_NUM", "reason": CHECK_DIGIT, "rows": 7},
    ]


def test_x12_made_up_npis_name_the_element(loaded: tuple[IngestReport, Store]) -> None:
    report = _report(loaded, "demo.ambulance.example5.837")
    assert report.warning_reasons == {
        (X12_RENDERING, CHECK_DIGIT): 4,
        ("NM1*85-09", CHECK_DIGIT): 4,
    }
    lines = _lines(loaded[1], "demo.ambulance.example5.837")
    assert {(r["rendering_npi"], r["specialty"], r["state"]) for r in lines} == {
        (None, "ambulance", "CO")  # the taxonomy 3416L0300X still gives the specialty
    }


def test_codeless_lines_are_the_only_ones_quarantined(loaded: tuple[IngestReport, Store]) -> None:
    synthea = _report(loaded, "rif-synthea_carrier.csv")
    assert synthea.quarantine_reasons == {("HCPCS_CD", "no HCPCS code"): 209}
    idr = _report(loaded, "idr_out_ExplanationOfBenefit-Carrier.json")
    assert idr.quarantine_reasons == {("item[2].productOrService", "no HCPCS/CPT coding"): 1}


def test_strict_restores_quarantining_of_invalid_npis(tmp_path: Path) -> None:
    report = ingest_paths(
        [BFD / "rif-static_sample-a-bcarrier-multiple-lines.txt"],
        Store.open(tmp_path / "store"),
        options=IngestOptions(strict=True),
    )
    (file_report,) = report.files
    assert (file_report.read, file_report.loaded, file_report.quarantined) == (7, 0, 7)
    assert file_report.quarantine_reasons == {("PRF_PHYSN_NPI", NOT_TEN_DIGITS): 7}
