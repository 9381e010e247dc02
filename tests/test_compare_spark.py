"""Attribution, cohorts, comparison and the bootstrap give the same answers on PySpark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from claimscope.analysis.attribution_report import attribution_report
from claimscope.analysis.cohorts import builtin_cohorts
from claimscope.analysis.query import TopQuery, build_filters
from claimscope.insight.sentences import explain_comparison
from claimscope.store.connection import Connection
from tests.canonical import line, write_store

pytestmark = pytest.mark.spark


def records() -> list[dict[str, Any]]:
    out = []
    groups = [
        ("97110", 40, {"modifier_1": "GP"}),
        ("97140", 25, {"modifier_1": "GP"}),
        ("97530", 30, {"modifier_1": "GO", "rendering_taxonomy": "225100000X"}),
        ("97535", 15, {"modifier_2": "GO", "specialty": None}),
        ("97112", 12, {"modifier_1": "GP", "modifier_2": "GO", "rendering_taxonomy": "225X00000X"}),
        ("97116", 20, {"revenue_code": "0420", "specialty": None}),
    ]
    patient = 0
    for code, n, extra in groups:
        for i in range(n):
            patient += 1
            npi = f"1{patient % 37:09d}"  # 37 providers, so the bootstrap has clusters
            out.append(line(code, patient=patient, units=1 + i % 3, rendering_npi=npi, **extra))
    return out


def run(store: Path, engine: str) -> tuple[dict[str, Any], dict[str, Any]]:
    connection = Connection(store, engine)
    try:
        lines = connection.lines()
        report = attribution_report(lines, build_filters("pmr")).to_dict()
        known = builtin_cohorts()
        query = TopQuery(build_filters("pmr"), limit=5)
        cohorts = [known["rehab"], known["pt"], known["ot"]]
        compared = explain_comparison(lines, cohorts, query, ci=True, replicates=50).to_dict()
        return report, compared
    finally:
        connection.close()


def test_same_results_on_duckdb_and_pyspark(tmp_path: Path) -> None:
    store = write_store(tmp_path, records())
    duck_report, duck_compare = run(store, "duckdb")
    spark_report, spark_compare = run(store, "pyspark")
    assert spark_report["disciplines"] == duck_report["disciplines"]
    key = lambda c: (c["kind"], c["first_says"], c["second_says"])  # noqa: E731
    assert sorted(spark_report["conflicts"], key=key) == sorted(duck_report["conflicts"], key=key)
    assert spark_compare == duck_compare
    assert duck_report["disciplines"][0]["lines"] == 40 + 25 + 20  # GP lines + PT revenue code
