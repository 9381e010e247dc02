"""Tuva medical_claim seed (real file) with and without the provider file."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from claimscope.ingest.detect import detect_format
from claimscope.ingest.pipeline import ingest_paths
from claimscope.ingest.report import IngestOptions, IngestReport
from claimscope.store.layout import Store
from claimscope.store.table import read_lines

SEED = "tuva/medical_claim_seed.csv"
PROVIDERS = "tuva/provider_data__provider_sample.csv"


@pytest.fixture(scope="module")
def enriched(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Store, IngestReport]:
    store = Store.open(tmp_path_factory.mktemp("tuva") / "store")
    options = IngestOptions(providers=shared_data / PROVIDERS)
    return store, ingest_paths([shared_data / SEED], store, options=options)


def _lines(store: Store) -> pa.Table:
    return read_lines(store)


def test_seed_counts_reconcile(shared_data: Path, enriched: tuple[Store, IngestReport]) -> None:
    assert detect_format(shared_data / SEED) == "tuva"
    (report,) = enriched[1].files
    assert (report.source, report.format) == ("tuva", "tuva")
    assert report.read == 2075 == report.loaded + report.quarantined
    assert (report.loaded, report.quarantined) == (1813, 262)
    assert report.quarantine_file is not None
    with report.quarantine_file.open() as handle:
        reasons = Counter((r["field"], r["reason"]) for r in csv.DictReader(handle))
    # Institutional revenue-code-only lines have no HCPCS; DME lines in the seed lack units.
    assert reasons == {
        ("hcpcs_code", "no HCPCS code"): 149,
        ("service_unit_quantity", "missing units"): 113,
    }
    assert _lines(enriched[0]).num_rows == 1813


def test_known_institutional_therapy_line(enriched: tuple[Store, IngestReport]) -> None:
    lines = _lines(enriched[0])
    match = pc.and_(pc.equal(lines["claim_id"], "1694912"), pc.equal(lines["line_number"], 8))
    (line,) = lines.filter(match).to_pylist()
    assert line["hcpcs_code"] == "97110" and line["units"] == 2.0
    assert line["claim_type"] == "institutional" and line["revenue_code"] == "0420"
    # No line dates on this claim: the claim's dates are used.
    assert line["service_from"] == date(2017, 6, 17) == line["service_to"]
    assert line["service_month"] == date(2017, 6, 1)
    assert line["rendering_npi"] == "1720089170" and line["charge_amount"] == 1942.0
    assert line["paid_amount"] is None and line["payer_type"] == "medicare"
    assert line["line_status"] == "unknown" and line["setting"] is None
    # Enriched from the provider file: NPPES taxonomy 207R00000X and practice state PA.
    assert line["rendering_taxonomy"] == "207R00000X" and line["state"] == "PA"
    assert line["specialty"] == "internal_medicine"


def test_known_professional_line(enriched: tuple[Store, IngestReport]) -> None:
    lines = _lines(enriched[0])
    match = pc.and_(pc.equal(lines["claim_id"], "1001907"), pc.equal(lines["line_number"], 1))
    (line,) = lines.filter(match).to_pylist()
    assert (line["hcpcs_code"], line["modifier_1"]) == ("11721", "Q8")
    assert line["service_from"] == date(2017, 2, 9) and line["place_of_service"] == "11"
    assert line["setting"] == "non_facility" and line["claim_type"] == "professional"
    assert (line["paid_amount"], line["allowed_amount"]) == (34.26, 43.37)


def test_without_provider_file_no_taxonomy(shared_data: Path, tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    report = ingest_paths([shared_data / SEED], store)
    assert report.loaded == 1813
    lines = _lines(store)
    assert lines["rendering_taxonomy"].null_count == lines.num_rows
    assert lines["specialty"].null_count == lines.num_rows
