"""One synthetic claim set written as generic Parquet, X12 837 and FHIR NDJSON, each ingested
through the pipeline into its own store: the stores must agree on what a user measures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from claimscope.analysis.query import TopQuery, build_filters
from claimscope.analysis.run import run_top
from claimscope.ingest.pipeline import ingest_paths
from claimscope.ingest.report import FileReport
from claimscope.store.layout import Store
from claimscope.store.table import read_lines
from claimscope.synth import generate_claims
from claimscope.synth.fhir_writer import write_fhir_ndjson
from claimscope.synth.x12_writer import write_837p

LINES = 4000
FORMATS = ("generic", "x12_837", "fhir_eob")


@dataclass
class Loaded:
    store: Store
    report: FileReport

    def lines(self) -> pa.Table:
        return read_lines(self.store)


@pytest.fixture(scope="module")
def source_table() -> pa.Table:
    return pa.concat_tables(generate_claims(LINES, seed=11))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, source_table: pa.Table) -> dict[str, Loaded]:
    folder = tmp_path_factory.mktemp("roundtrip")
    tables = source_table.to_batches(max_chunksize=1500)
    files = {
        "generic": folder / "claims.parquet",
        "x12_837": folder / "claims.837",
        "fhir_eob": folder / "claims.ndjson",
    }
    pq.write_table(source_table, files["generic"])
    write_837p((pa.Table.from_batches([b]) for b in tables), files["x12_837"])
    write_fhir_ndjson((pa.Table.from_batches([b]) for b in tables), files["fhir_eob"])
    out = {}
    for name, path in files.items():
        store = Store.open(folder / f"store-{name}")
        (report,) = ingest_paths([path], store, source="synthetic").files
        out[name] = Loaded(store, report)
    return out


def per_code(table: pa.Table, *keys: str) -> dict[tuple[object, ...], tuple[int, float, float]]:
    grouped = table.group_by(["hcpcs_code", *keys]).aggregate(
        [("units", "count"), ("units", "sum"), ("charge_amount", "sum")]
    )
    return {
        tuple(row[k] for k in ("hcpcs_code", *keys)): (
            row["units_count"],
            round(row["units_sum"], 3),
            round(row["charge_amount_sum"], 2),
        )
        for row in grouped.to_pylist()
    }


def others(loaded: dict[str, Loaded]) -> Iterator[tuple[str, Loaded]]:
    for name in FORMATS[1:]:
        yield name, loaded[name]


def test_formats_are_detected_and_every_line_loads(loaded: dict[str, Loaded]) -> None:
    for name, item in loaded.items():
        assert item.report.format == name
        assert (item.report.read, item.report.loaded, item.report.quarantined) == (LINES, LINES, 0)


def test_per_code_service_totals_match(loaded: dict[str, Loaded], source_table: pa.Table) -> None:
    expected = per_code(loaded["generic"].lines())
    assert expected == per_code(source_table.cast(source_table.schema))
    for name, item in others(loaded):
        assert per_code(item.lines()) == expected, name


def test_totals_by_payer_month_provider_and_claim_match(loaded: dict[str, Loaded]) -> None:
    keys = ("payer_type", "service_month", "rendering_npi", "claim_id", "claim_type")
    expected = per_code(loaded["generic"].lines(), *keys)
    for name, item in others(loaded):
        assert per_code(item.lines(), *keys) == expected, name


def test_patients_keep_their_identity(loaded: dict[str, Loaded]) -> None:
    def patients_per_code(table: pa.Table) -> dict[str, int]:
        grouped = table.group_by("hcpcs_code").aggregate([("patient_key", "count_distinct")])
        return dict(
            zip(
                grouped["hcpcs_code"].to_pylist(),
                grouped["patient_key_count_distinct"].to_pylist(),
                strict=True,
            )
        )

    expected = patients_per_code(loaded["generic"].lines())
    for name, item in others(loaded):
        assert patients_per_code(item.lines()) == expected, name


def test_fhir_keeps_allowed_and_paid_amounts(loaded: dict[str, Loaded]) -> None:
    expected = loaded["generic"].lines()
    got = loaded["fhir_eob"].lines()
    for column in ("allowed_amount", "paid_amount"):
        assert round(pc.sum(got[column]).as_py(), 2) == round(pc.sum(expected[column]).as_py(), 2)


@pytest.mark.parametrize("measure", ["services", "lines", "patients"])
def test_top_results_match(loaded: dict[str, Loaded], measure: str) -> None:
    def top(item: Loaded) -> list[tuple[object, ...]]:
        result = run_top(item.store.root, TopQuery(build_filters("pmr"), measure=measure))
        return [(r.rank, r.code, r.value, r.share) for r in result.rows] + [("total", result.total)]

    expected = top(loaded["generic"])
    assert len(expected) > 10
    for name, item in others(loaded):
        assert top(item) == expected, name


def test_837_with_professional_then_institutional_batches(tmp_path: Path) -> None:
    from claimscope.ingest.report import IngestOptions

    out = tmp_path / "claims.837"
    write_837p(generate_claims(3000, seed=11), out)  # 837P group first, then the 837I group
    store = Store.open(tmp_path / "store")
    (report,) = ingest_paths([out], store, source="x", options=IngestOptions(batch_rows=1000)).files
    assert (report.read, report.loaded) == (3000, 3000)
