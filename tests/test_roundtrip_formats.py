"""One synthetic claim set written as generic Parquet, X12 837 and FHIR NDJSON, each ingested
through the pipeline into its own store: every store must hold what the generated claims hold,
computed here straight from the generated table with pyarrow (not from any store)."""

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


def with_month(source: pa.Table) -> pa.Table:
    """The generated claims plus the month of service, as a user would group them."""
    return source.append_column(
        "service_month", pc.floor_temporal(source["service_from"], unit="month")
    )


def every_format(loaded: dict[str, Loaded]) -> Iterator[tuple[str, Loaded]]:
    for name in FORMATS:
        yield name, loaded[name]


def test_formats_are_detected_and_every_line_loads(loaded: dict[str, Loaded]) -> None:
    for name, item in loaded.items():
        assert item.report.format == name
        assert (item.report.read, item.report.loaded, item.report.quarantined) == (LINES, LINES, 0)


def test_per_code_service_totals_match(loaded: dict[str, Loaded], source_table: pa.Table) -> None:
    expected = per_code(source_table)
    assert len(expected) > 20
    for name, item in every_format(loaded):
        assert per_code(item.lines()) == expected, name


def test_totals_by_payer_month_provider_and_claim_match(
    loaded: dict[str, Loaded], source_table: pa.Table
) -> None:
    keys = ("payer_type", "service_month", "rendering_npi", "claim_id", "claim_type")
    expected = per_code(with_month(source_table), *keys)
    for name, item in every_format(loaded):
        assert per_code(item.lines(), *keys) == expected, name


def distinct_per_code(table: pa.Table, column: str) -> dict[str, int]:
    grouped = table.group_by("hcpcs_code").aggregate([(column, "count_distinct")])
    codes, counts = grouped["hcpcs_code"].to_pylist(), grouped[f"{column}_count_distinct"]
    return dict(zip(codes, counts.to_pylist(), strict=True))


def test_patients_keep_their_identity(loaded: dict[str, Loaded], source_table: pa.Table) -> None:
    # One key per raw id: the distinct keys per code are the distinct raw ids per code.
    expected = distinct_per_code(source_table, "patient_id")
    for name, item in every_format(loaded):
        assert distinct_per_code(item.lines(), "patient_key") == expected, name


def test_amounts_are_kept(loaded: dict[str, Loaded], source_table: pa.Table) -> None:
    columns = {"generic": ("charge_amount", "allowed_amount", "paid_amount"),
               "x12_837": ("charge_amount",),  # an 837 carries the charge only
               "fhir_eob": ("charge_amount", "allowed_amount", "paid_amount")}  # fmt: skip
    for name, item in every_format(loaded):
        got = item.lines()
        for column in columns[name]:
            want = round(pc.sum(source_table[column]).as_py(), 2)
            assert round(pc.sum(got[column]).as_py(), 2) == want, (name, column)


@pytest.mark.parametrize("measure", ["services", "lines", "patients"])
def test_top_results_match(loaded: dict[str, Loaded], source_table: pa.Table, measure: str) -> None:
    lines_services = {code: counts for (code,), counts in per_code(source_table).items()}
    patients = distinct_per_code(source_table, "patient_id")

    def expected_value(code: str) -> float:
        if measure == "patients":
            return float(patients[code])
        lines, services, _ = lines_services[code]
        return float(services if measure == "services" else lines)

    first: list[tuple[object, ...]] | None = None
    for name, item in every_format(loaded):
        result = run_top(item.store.root, TopQuery(build_filters("pmr"), measure=measure))
        shown = [r for r in result.rows if r.value is not None]
        assert len(shown) > 10, name
        assert [r.value for r in shown] == [expected_value(r.code) for r in shown], name
        assert [r.value for r in shown] == sorted((r.value for r in shown), reverse=True), name
        rows = [(r.rank, r.code, r.value, r.share) for r in result.rows] + [result.total]
        first = first or rows
        assert rows == first, name


def test_837_with_professional_then_institutional_batches(tmp_path: Path) -> None:
    from claimscope.ingest.report import IngestOptions

    out = tmp_path / "claims.837"
    write_837p(generate_claims(3000, seed=11), out)  # 837P group first, then the 837I group
    store = Store.open(tmp_path / "store")
    (report,) = ingest_paths([out], store, source="x", options=IngestOptions(batch_rows=1000)).files
    assert (report.read, report.loaded) == (3000, 3000)
