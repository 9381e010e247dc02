"""The same analyses on PySpark give the same results as on DuckDB (one expression, two engines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from claimscope.analysis.drilldown import explore_code
from claimscope.analysis.query import TopQuery, build_filters
from claimscope.analysis.top import rank_code_shares
from claimscope.analysis.trend import TrendQuery, code_share_trend
from claimscope.store.connection import Connection
from tests.canonical import lines_for, write_store

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = lines_for("97110", 40, units=3) + lines_for("97140", 30, first_patient=100)
    records += lines_for("97530", 25, first_patient=200, month="2023-02", payer_type="medicare")
    records += lines_for("97112", 4, first_patient=300, month="2023-02")  # suppressed
    records += lines_for("99213", 20, first_patient=400)
    return write_store(tmp_path_factory.mktemp("store"), records)


@pytest.fixture(scope="module")
def engines(store: Path):
    duck, spark = Connection(store, "duckdb"), Connection(store, "pyspark")
    yield duck, spark
    duck.close()
    spark.backend._session.stop()
    spark.close()


def test_top_is_identical_on_both_engines(engines: tuple[Connection, Connection]) -> None:
    query = TopQuery(build_filters("pmr", period_from="2023-01", period_to="2023-02"))
    duck, spark = (rank_code_shares(c.lines(), query).to_dict() for c in engines)
    assert spark == duck
    # 97112 (4 patients) is small; 97530, the smallest shown, is its complement.
    assert [(r["code"], r.get("suppressed", False)) for r in duck["rows"]] == [
        ("97110", False),
        ("97140", False),
        ("97112", True),
        ("97530", True),
    ]


def test_trend_and_explore_are_identical_on_both_engines(
    engines: tuple[Connection, Connection],
) -> None:
    trend = TrendQuery(build_filters("pmr"), grain="quarter", codes_limit=2)
    duck, spark = (code_share_trend(c.lines(), trend).to_dict() for c in engines)
    assert spark == duck
    assert duck["periods"] == ["2023-Q1"]
    filters = build_filters("pmr")
    duck, spark = (explore_code(c.lines(), "97530", filters).to_dict() for c in engines)
    assert spark == duck
    assert duck["total"] == 25


def test_claim_versions_resolve_alike_on_both_engines(tmp_path: Path) -> None:
    from claimscope.analysis.versions import effective_lines
    from tests.canonical import line

    records = [
        line("97110", units=2, patient=1, claim_id="A", claim_frequency="1", batch_id="b1"),
        line("97110", units=3, patient=1, claim_id="A", claim_frequency="7", batch_id="b2"),
        line("97112", patient=2, claim_id="B", claim_frequency="1", batch_id="b1"),
        line("97112", patient=2, claim_id="B", claim_frequency="8", batch_id="b2"),
        line("97530", units=4, patient=3, claim_id="C", batch_id="b1"),
    ]
    store = write_store(tmp_path, records)
    results = []
    for engine in ("duckdb", "pyspark"):
        connection = Connection(store, engine)
        kept = effective_lines(connection.lines()).select("claim_id", "units").to_pyarrow()
        results.append(sorted(kept.to_pylist(), key=lambda r: r["claim_id"]))
        connection.close()
    assert (
        results[0]
        == results[1]
        == [
            {"claim_id": "A", "units": 3.0},
            {"claim_id": "C", "units": 4.0},
        ]
    )


def test_perturbed_figures_are_identical_on_both_engines(
    engines: tuple[Connection, Connection],
) -> None:
    """Cell keys (record keys summed, null when a line has none) come out alike on both."""
    from claimscope.analysis.query import PrivacyPolicy

    query = TopQuery(build_filters("pmr"), privacy=PrivacyPolicy(perturb=True))
    duck, spark = (rank_code_shares(c.lines(), query).to_dict() for c in engines)
    assert spark == duck and duck["perturbation"]["applied"] is True
    trend = TrendQuery(build_filters("pmr"), privacy=PrivacyPolicy(perturb=True))
    duck, spark = (code_share_trend(c.lines(), trend).to_dict() for c in engines)
    assert spark == duck
