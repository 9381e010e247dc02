"""The integer-programming attacker against whole outputs, class by class (issue 9).

Each test builds a crafted store where the old per-table protection leaked an exact hidden
count, publishes the output through the CLI and the API, and solves what the output (plus
``top`` over the same filters) publishes as one integer programme.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from claimscope.api import create_app
from claimscope.cli import app
from tests.canonical import lines_for, write_store
from tests.privacy_ip_attacker import (
    System,
    add_ranking,
    add_trend,
    add_window_totals,
    output_codes,
    var,
    violations,
)

PARTS = {"GP": "pt", "GO": "ot", "GN": "slp"}
COHORT_PARTS = {"rehab": ["pt", "ot", "slp"], "pt": ["pt"], "ot": ["ot"]}


def plan_store(root: Path, plan: list[tuple[str, str, int]]) -> Path:
    records: list[dict[str, Any]] = []
    first = 1
    for code, modifier, patients in plan:
        records += lines_for(code, patients, first_patient=first, modifier_1=modifier)
        first += patients
    return write_store(root, records)


def published(store: Path, surface: str, path: str, params: Any) -> Any:
    """The JSON one command publishes, from the API or the CLI (same contract)."""
    if surface == "api":
        response = TestClient(create_app(store)).get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()
    command = path.removeprefix("/api/").split("/")
    args = [*command, "--store", str(store), "--format", "json"]
    for key, value in params:
        args += [f"--{key.replace('_', '-')}", value]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# OT bills 97530 for 3 patients, hidden in OT's table with 97140 as its complement. Every
# nested remainder (rehab - pt, rehab - pt - ot) is 0 or at least 11, but rehab and pt show
# both codes and SLP bills no 97140, so the linked equations put OT's 97530 at 3 or more.
LINKED_PLAN = [
    ("97110", "GP", 40), ("97110", "GO", 25),
    ("97140", "GP", 30), ("97140", "GO", 12),
    ("97530", "GP", 20), ("97530", "GO", 3), ("97530", "GN", 20),
    ("97112", "GP", 15), ("97112", "GO", 14),
]  # fmt: skip


def linked_system(store: Path, surface: str) -> tuple[System, dict[str, Any]]:
    """What compare of rehab, pt and ot plus top publish, as one system, and the tables."""
    params = [("cohort", "rehab"), ("cohort", "pt"), ("cohort", "ot")]
    compare = published(store, surface, "/api/compare", params)
    top = published(store, surface, "/api/top", [])
    tables = {c["name"]: c for c in compare["cohorts"]}
    codes = output_codes(top, *tables.values())
    system = System()
    for name, table in tables.items():
        add_ranking(system, table, COHORT_PARTS[name], codes)
    add_ranking(system, top, COHORT_PARTS["rehab"], codes)
    return system, tables


@pytest.mark.parametrize("surface", ["api", "cli"])
def test_linked_cohorts_and_top_cannot_be_solved_for_a_hidden_cell(
    tmp_path: Path, surface: str
) -> None:
    system, tables = linked_system(plan_store(tmp_path, LINKED_PLAN), surface)
    ot_97530 = {"ot 97530": [var("ot", "97530")]}
    assert next(r for r in tables["ot"]["rows"] if r["code"] == "97530").get("suppressed")
    assert violations(system, ot_97530) == []
    assert tables["ot"]["suppression"]["linked"]


def test_the_attacker_catches_per_table_protection(tmp_path: Path) -> None:
    """The leak the linked audit closes: each cohort protected alone, rehab - pt = ot."""
    system = System()
    codes = ["97110", "97140", "97530", "97112"]
    rehab = {"rows": [{"code": c, "value": v} for c, v in
                      zip(codes, (65, 42, 23, 29), strict=True)], "total": 159}  # fmt: skip
    pt = {"rows": [{"code": c, "value": v} for c, v in
                   zip(codes, (40, 30, 20, 15), strict=True)], "total": 105}  # fmt: skip
    ot = {"rows": [{"code": "97110", "value": 25}, {"code": "97112", "value": 14},
                   {"code": "97140", "value": None}, {"code": "97530", "value": None}],
          "total": 54}  # fmt: skip
    for name, table in (("rehab", rehab), ("pt", pt), ("ot", ot)):
        add_ranking(system, table, COHORT_PARTS[name], codes)
    assert violations(system, {"ot 97530": [var("ot", "97530")]}) == ["ot 97530: between 3 and 3"]


def trend_store(root: Path) -> Path:
    """Six codes over two months; 97018 has 3 patients in February (a small cell)."""
    plan = {"97110": (60, 55), "97140": (50, 45), "97530": (40, 42), "97112": (30, 33),
            "97116": (25, 20), "97018": (22, 3)}  # fmt: skip
    records: list[dict[str, Any]] = []
    first = 1
    for code, months in plan.items():
        for month, patients in zip(("2023-01", "2023-02"), months, strict=True):
            records += lines_for(code, patients, first_patient=first, month=month)
            first += patients
    return write_store(root, records)


@pytest.mark.parametrize("surface", ["api", "cli"])
def test_trends_with_different_limits_and_top_cannot_be_solved(
    tmp_path: Path, surface: str
) -> None:
    store = trend_store(tmp_path)
    outputs = [published(store, surface, "/api/trend", [("limit", str(n))]) for n in range(1, 7)]
    top = published(store, surface, "/api/top", [])
    periods = outputs[0]["periods"]
    codes = output_codes(top)
    system = System()
    for trend in outputs:
        assert trend["periods"] == periods
        add_trend(system, trend, codes)
    add_window_totals(system, top, periods, codes)
    assert violations(system, {"97018 in 2023-02": [var("2023-02", "97018")]}) == []
    # Every limit shows a subset of the same protected cells.
    cells: dict[tuple[str, str], float | None] = {}
    for trend in outputs:
        for series in trend["series"]:
            if series["code"] != "other":
                for period, value in zip(periods, series["values"], strict=True):
                    assert cells.setdefault((series["code"], period), value) == value


def attribution_store(root: Path) -> Path:
    records = lines_for("97110", 30, modifier_1="GP", specialty="occupational_therapy")
    # 3 more lines of the same conflict with another coding: examples must not leave 3.
    records += lines_for("97140", 3, first_patient=100, modifier_1="GP",
                         specialty="occupational_therapy")  # fmt: skip
    records += lines_for("97110", 40, first_patient=200, modifier_1="GP")
    records += lines_for("97530", 25, first_patient=300, modifier_1="GO")
    # 12 SLP lines of half a unit: 6 services, a small figure behind 12 lines.
    records += lines_for("92507", 12, first_patient=400, modifier_1="GN", units=0.5)
    records += lines_for("97535", 20, first_patient=500, modifier_1="GN")
    return write_store(root, records)


@pytest.mark.parametrize("surface", ["api", "cli"])
def test_attribution_conflicts_examples_and_services_reveal_no_small_count(
    tmp_path: Path, surface: str
) -> None:
    report = published(attribution_store(tmp_path), surface, "/api/attribution",
                       [("codes", "pmr,92507")])  # fmt: skip
    for conflict in report["conflicts"]:
        if conflict["lines"] is not None:
            rest = conflict["lines"] - sum(e["lines"] for e in conflict["examples"])
            assert rest == 0 or rest >= 11, conflict
    figures = [report["total"]]
    for discipline in report["disciplines"]:
        figures += [discipline, *discipline["by_rule"]]
    for figure in figures:
        for measure in ("lines", "services"):
            value = figure[measure]
            assert value is None or value == 0 or value >= 11, figure
    slp = next(d for d in report["disciplines"] if d["discipline"] == "speech_language_pathology")
    assert slp["services"] is not None and slp["lines"] == 32  # 26 services: shown


@pytest.mark.parametrize("surface", ["api", "cli"])
def test_a_fully_suppressed_output_does_not_list_its_periods(tmp_path: Path, surface: str) -> None:
    store = write_store(tmp_path, lines_for("97110", 4, month="2023-03"))
    for path in ("/api/top", "/api/trend", "/api/explore/97110", "/api/attribution"):
        payload = published(store, surface, path, [])
        assert payload["data"]["periods"] == [], path
        assert "2023-03" not in json.dumps(payload), path


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_output_made_with_small_cells_allowed_says_so_in_every_format(
    tmp_path: Path, fmt: str
) -> None:
    store = write_store(tmp_path, lines_for("97110", 40) + lines_for("97140", 5, first_patient=50))
    args = ["--store", str(store), "--format", fmt, "--min-cell-size", "3", "--allow-small-cells"]
    for command in (["top"], ["trend"], ["explore", "97110"], ["compare", "--cohort", "rehab",
                                                             "--cohort", "pt"]):  # fmt: skip
        result = CliRunner().invoke(app, [*command, *args])
        assert result.exit_code == 0, result.output
        said = [line for line in result.output.split("\n") if "small cells allowed" in line]
        assert said, command
        if fmt == "csv":
            assert said[0].startswith("# ")


def test_a_solver_out_of_time_protects_more_never_less(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no time for any integer programme, the audit knows no wide range: the outputs
    hide more, and the attacker still cannot pin a hidden cell."""
    from claimscope.privacy import lp

    monkeypatch.setattr(lp, "MILP_SECONDS", 0.0)
    system, _ = linked_system(plan_store(tmp_path / "linked", LINKED_PLAN), "api")
    assert violations(system, {"ot 97530": [var("ot", "97530")]}) == []
    trend_root = trend_store(tmp_path / "trend")
    trend = published(trend_root, "api", "/api/trend", [("limit", "6")])
    top = published(trend_root, "api", "/api/top", [])
    system = System()
    add_trend(system, trend, output_codes(top))
    add_window_totals(system, top, trend["periods"], output_codes(top))
    assert violations(system, {"97018 in 2023-02": [var("2023-02", "97018")]}) == []


def test_an_integer_programme_out_of_time_gives_an_inner_range() -> None:
    import numpy as np

    from claimscope.privacy import lp

    # 2a + 3b + 2c = 8 with b >= 1: the LP optimum of every bound below is fractional, so
    # each one goes to the integer programme, which here gets no time at all.
    equations = np.array([[2.0, 3.0, 2.0]])
    lo, hi = np.array([0.0, 1.0, 0.0]), np.full(3, 10.0)
    exact = lp.BoxLP(equations, np.array([8.0]), lo, hi, integer=True)
    first = np.array([1.0, 0.0, 0.0])
    assert (exact.minimum(first), exact.maximum(first)) == (0.0, 1.0)  # LP: 0 and 2.5
    saved = lp.MILP_SECONDS
    try:
        lp.MILP_SECONDS = 0.0
        hurried = lp.BoxLP(equations, np.array([8.0]), lo, hi, integer=True)
        hurried.solutions.append(np.array([1.0, 2.0, 0.0]))  # the real figures
        low, high = hurried.minimum(first), hurried.maximum(first)
    finally:
        lp.MILP_SECONDS = saved
    assert low >= 0.0 and high <= 1.0  # never wider than the truth
