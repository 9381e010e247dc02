"""The built-in cohorts on 200,000 synthetic claim lines, generated and ingested in the test.

The generator is calibrated to published lists (see synth/data/targets.toml): the all-payor
rehab list for 2023 January-September, a physical-therapist order for 2021 and an
occupational-therapist list for 2022. Comparing cohorts must give those lists back.
"""

from __future__ import annotations

from typing import Any

import pytest

from claimscope.analysis.attribution_report import attribution_report
from claimscope.analysis.cohorts import builtin_cohorts, resolve_cohort
from claimscope.analysis.query import TopQuery, build_filters
from claimscope.ingest.pipeline import ingest_paths
from claimscope.insight.sentences import explain_comparison
from claimscope.store.connection import Connection
from claimscope.store.layout import Store
from claimscope.synth import write_synthetic


@pytest.fixture(scope="module")
def connection(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("synthetic")
    write_synthetic(root / "claims", 200_000, seed=11)
    store = Store.open(root / "store")
    report = ingest_paths([root / "claims"], store)
    assert sum(f.loaded for f in report.files) == 200_000
    conn = Connection(store.root)
    yield conn
    conn.close()


def codes(result: dict[str, Any], name: str) -> list[str]:
    block = next(c for c in result["cohorts"] if c["name"] == name)
    return [r["code"] for r in block["rows"] if r["rank"] is not None]


def shares(result: dict[str, Any], name: str) -> dict[str, float]:
    block = next(c for c in result["cohorts"] if c["name"] == name)
    return {r["code"]: r["share"] for r in block["rows"] if r["rank"] is not None}


@pytest.fixture(scope="module")
def published(connection: Any) -> dict[str, Any]:
    known = builtin_cohorts()
    cohorts = [
        resolve_cohort("name=rehab_2023;extends=rehab;from=2023-01;to=2023-09", known),
        resolve_cohort("name=pt_2021;extends=physical_therapists;from=2021;to=2021", known),
        resolve_cohort("name=ot_2022;extends=occupational_therapists;from=2022;to=2022", known),
    ]
    query = TopQuery(build_filters("pmr"), limit=15)
    return explain_comparison(connection.lines(), cohorts, query, ci=True).to_dict()


def test_the_published_lists_come_back(published: dict[str, Any]) -> None:
    assert codes(published, "rehab_2023")[:4] == ["97110", "97530", "97140", "97112"]
    assert codes(published, "pt_2021")[:4] == ["97110", "97140", "97530", "97112"]
    assert codes(published, "ot_2022")[:3] == ["97110", "97140", "97530"]
    # OT 2022 published 34%, 22%, 17%; rehab 2023 28.7%: sampling noise only
    ot = shares(published, "ot_2022")
    assert ot["97110"] == pytest.approx(0.34, abs=0.02)
    assert ot["97140"] == pytest.approx(0.22, abs=0.02)
    assert ot["97530"] == pytest.approx(0.17, abs=0.02)
    assert shares(published, "rehab_2023")["97110"] == pytest.approx(0.287, abs=0.01)


def test_uncertainty_and_sentences(published: dict[str, Any]) -> None:
    rehab = published["cohorts"][0]
    first = rehab["rows"][0]
    assert first["ci"][0] < first["share"] < first["ci"][1]
    assert first["rank_stability"] > 0.95
    sentences = published["sentences"]
    assert sentences[0] == "Therapeutic exercise (97110) ranks first in all three lists."
    assert any(
        s.startswith("Manual therapy (97140) ranks second for pt_2021 and ot_2022")
        for s in sentences
    )
    # Every sentence figure comes from a shown row: no suppressed code is ever named.
    hidden = {r["code"] for c in published["cohorts"] for r in c["rows"] if r["rank"] is None}
    assert not any(code in s for code in hidden for s in sentences)


def test_plan_of_care_and_provider_cohorts_differ(connection: Any) -> None:
    """``pt`` (GP plan of care) holds hospital, SNF and chiropractor lines too."""
    known = builtin_cohorts()
    query = TopQuery(build_filters("pmr", period_from="2021", period_to="2021"), limit=15)
    result = explain_comparison(
        connection.lines(), [known["pt"], known["physical_therapists"]], query
    ).to_dict()
    pt_total = result["cohorts"][0]["total"]
    therapist_total = result["cohorts"][1]["total"]
    assert pt_total > therapist_total * 1.2
    assert result["overlap"]["rank_biased_overlap"] > 0.8  # similar lists, not the same


def test_attribution_report_on_synthetic_claims(connection: Any) -> None:
    report = attribution_report(connection.lines(), build_filters("pmr")).to_dict()
    groups = {g["discipline"]: g for g in report["disciplines"]}
    # The generator marks every PT/OT plan-of-care line with GP/GO; chiropractors and athletic
    # trainers only sometimes: those lines have no therapy evidence at all.
    assert [r["rule"] for r in groups["physical_therapy"]["by_rule"]] == ["modifier"]
    assert [r["rule"] for r in groups["other"]["by_rule"]] == ["none"]
    assert report["total"]["lines"] == sum(g["lines"] for g in report["disciplines"])
