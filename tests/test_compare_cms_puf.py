"""Physical vs occupational therapists in the real CMS 2012 public use file rows.

Expected figures are computed here straight from the raw file with pyarrow, independently of
the ingest and of the analysis, then compared with what ``compare`` reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from claimscope.analysis.attribution_report import attribution_report
from claimscope.analysis.cohorts import builtin_cohorts, resolve_cohort
from claimscope.analysis.query import TopQuery, build_filters
from claimscope.ingest.pipeline import ingest_paths
from claimscope.insight.sentences import explain_comparison
from claimscope.store.connection import Connection
from claimscope.store.layout import Store

PUF = Path("cms-puf-2012") / "Medicare_Provider_Util_Payment_PUF_CY2012_first_rows.txt"


@pytest.fixture(scope="module")
def raw(shared_data: Path) -> pa.Table:
    options = pacsv.ParseOptions(delimiter="\t")
    convert = pacsv.ConvertOptions(column_types={"npi": pa.string(), "hcpcs_code": pa.string()})
    return pacsv.read_csv(shared_data / PUF, parse_options=options, convert_options=convert)


def expected(raw: pa.Table, provider_type: str) -> list[tuple[str, float, float]]:
    """(code, services, share) of 97010-97799 for one provider type, largest first."""
    kind = pc.utf8_lower(raw["provider_type"])
    code = raw["hcpcs_code"]
    rows = raw.filter(
        pc.and_(
            pc.equal(kind, provider_type.lower()),
            pc.and_(pc.greater_equal(code, "97010"), pc.less_equal(code, "97799")),
        )
    )
    sums = rows.group_by("hcpcs_code").aggregate([("line_srvc_cnt", "sum")]).to_pylist()
    total = sum(r["line_srvc_cnt_sum"] for r in sums)
    ordered = sorted(sums, key=lambda r: (-r["line_srvc_cnt_sum"], r["hcpcs_code"]))
    return [
        (r["hcpcs_code"], r["line_srvc_cnt_sum"], r["line_srvc_cnt_sum"] / total) for r in ordered
    ]


@pytest.fixture(scope="module")
def connection(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    store = Store.open(tmp_path_factory.mktemp("puf") / "store")
    ingest_paths([shared_data / PUF], store, fmt="cms_puf")
    conn = Connection(store.root)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def result(connection: Any) -> dict[str, Any]:
    known = builtin_cohorts()
    cohorts = [
        resolve_cohort("name=physical_therapists;specialty=physical_therapy", known),
        resolve_cohort("name=occupational_therapists;specialty=occupational_therapy", known),
    ]
    query = TopQuery(build_filters("pmr"), limit=5)
    return explain_comparison(connection.lines(), cohorts, query, ci=True).to_dict()


def shown(result: dict[str, Any], index: int) -> list[tuple[str, float, float]]:
    rows = result["cohorts"][index]["rows"]
    return [(r["code"], r["value"], r["share"]) for r in rows if r["rank"] is not None]


def test_top_codes_are_what_the_file_says(result: dict[str, Any], raw: pa.Table) -> None:
    for index, provider_type in ((0, "Physical Therapist"), (1, "Occupational therapist")):
        truth = expected(raw, provider_type)[:5]
        got = shown(result, index)
        assert [c for c, _, _ in got] == [c for c, _, _ in truth]
        assert [v for _, v, _ in got] == pytest.approx([v for _, v, _ in truth])
        assert [s for _, _, s in got] == pytest.approx([s for _, _, s in truth], abs=5e-5)
    # What that is, in words: Medicare PT in 2012 led with exercise and manual therapy;
    # these OTs billed therapeutic activities slightly more than exercise.
    assert [c for c, _, _ in shown(result, 0)][:4] == ["97110", "97140", "97112", "97530"]
    assert [c for c, _, _ in shown(result, 1)][:3] == ["97530", "97110", "97535"]


def test_overlap_and_sentences(result: dict[str, Any]) -> None:
    overlap = result["overlap"]
    # PT 97110 97140 97112 97530 97035 / OT 97530 97110 97535 97140 97112: 4 shared of 6
    assert overlap["shared"] == ["97110", "97140", "97112", "97530"]
    assert overlap["jaccard_top_n"] == pytest.approx(4 / 6, abs=1e-4)
    # shared ranks PT 1 2 3 4, OT 2 4 5 1: concordant (110,140) (110,112) (140,112) = 3,
    # discordant (110,530) (140,530) (112,530) = 3 -> tau_b = 0
    assert overlap["kendall_tau_b"] == 0.0
    sentences = result["sentences"]
    assert sentences[0] == (
        "Therapeutic exercise (97110) ranks first for physical_therapists and second for "
        "occupational_therapists."
    )
    assert any(
        s.startswith("The physical_therapists and occupational_therapists top-5") for s in sentences
    )


def test_intervals_on_aggregated_rows(result: dict[str, Any]) -> None:
    pt, ot = result["cohorts"]
    for row in pt["rows"]:
        low, high = row["ci"]
        assert low <= row["share"] <= high
    assert pt["rows"][0]["rank_stability"] == 1.0  # 97110 leads PT by far
    assert pt["uncertainty"]["seed"] == 42 and pt["uncertainty"]["replicates"] == 200
    # 13 occupational therapists: too few providers for an interval, and said so
    assert any("fewer than 30 providers" in n for n in ot["notes"])
    assert all("ci" not in row for row in ot["rows"])


def test_attribution_of_the_file_uses_specialty(connection: Any) -> None:
    report = attribution_report(connection.lines(), build_filters("pmr")).to_dict()
    groups = {g["discipline"]: g for g in report["disciplines"]}
    assert [r["rule"] for r in groups["physical_therapy"]["by_rule"]] == ["specialty"]
    assert [r["rule"] for r in groups["occupational_therapy"]["by_rule"]] == ["specialty"]
    assert report["conflicts"] == []
    # The built-in PT cohort selects exactly the physical therapists' rows here.
    known = builtin_cohorts()
    lines = connection.lines()
    query = TopQuery(build_filters("pmr"), limit=5)
    by_discipline = explain_comparison(lines, [known["pt"], known["ot"]], query).to_dict()
    assert shown(by_discipline, 0) == [
        (c, v, s) for c, v, s in shown_plain(lines, "physical_therapy")
    ]


def shown_plain(lines: Any, specialty: str) -> list[tuple[str, float, float]]:
    from claimscope.analysis.top import rank_code_shares

    query = TopQuery(build_filters("pmr", specialty=[specialty]), limit=5)
    rows = rank_code_shares(lines, query).rows
    return [(r.code, r.value, r.share) for r in rows if r.rank is not None]  # type: ignore[misc]
