"""Suppression end to end: a tiny Parquet store, then every surface's output is attacked.

The store is built in code with crafted cells: counts of 1, 2, 7, 10 and 11 patients, one
code with 50 services from 10 patients, a small state. Whatever the measure, limit or
surface (analysis result, CLI JSON and CSV, JSON API), the adversary must never pin a
suppressed value.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from claimscope.analysis.query import PrivacyPolicy, TopQuery, build_filters
from claimscope.analysis.run import run_top
from claimscope.api.app import create_app
from claimscope.cli.app import app as cli_app
from tests.canonical import lines_for, write_store
from tests.privacy_adversary import (
    Knowledge,
    attack_grid,
    attack_ranking,
    attack_table,
    attack_trend,
)

# code -> (patients, units per line); every patient is distinct.
CODES: dict[str, tuple[int, float]] = {
    "97110": (40, 3),  # 120 services
    "97140": (30, 2),  # 60
    "97530": (25, 1),  # 25
    "97010": (10, 5),  # 50 services from 10 patients: small
    "97112": (7, 2),  # 14: small
    "97116": (2, 1),  # 2: small
    "97035": (11, 1),  # 11 from 11: exactly at the threshold, shown
    "97018": (1, 1),  # 1: small
}
SMALL = {code for code, (patients, units) in CODES.items() if patients < 11}
MEASURES = {"services": "count", "lines": "count", "allowed": "dollars", "patients": "patients"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records: list[dict[str, Any]] = []
    first = 1
    for code, (patients, units) in CODES.items():
        for month in ("2023-01", "2023-02"):  # half the patients each month
            half = patients // 2 if month == "2023-01" else patients - patients // 2
            records += lines_for(code, half, first_patient=first, units=units, month=month)
            first += half
    # 6 patients of 97110 in Vermont: a small state in the explore breakdown.
    for record in records[:6]:
        record["state"] = "VT"
    return write_store(tmp_path_factory.mktemp("privacy_store"), records)


def knowledge(measure: str, payload: dict[str, Any], limit: int | None) -> Knowledge:
    listed = {r["code"] for r in payload["rows"]}
    return Knowledge(
        kind=MEASURES[measure],
        primary=SMALL & {r["code"] for r in payload["rows"] if r.get("suppressed")},
        unshown=len(set(CODES) - listed) if limit else 0,
    )


@pytest.mark.parametrize("measure", list(MEASURES))
@pytest.mark.parametrize("limit", [None, 3, 15])
def test_analysis_results_protect_every_small_code(
    store: Path, measure: str, limit: int | None
) -> None:
    query = TopQuery(build_filters("pmr"), measure=measure, limit=limit)
    payload = run_top(store, query).to_dict()
    hidden = {r["code"] for r in payload["rows"] if r.get("suppressed")}
    assert hidden >= SMALL  # every small code is suppressed; 11 patients is not small:
    assert payload["suppression"]["primary"] == len(SMALL)
    attack_ranking(payload, knowledge(measure, payload, limit)).assert_protected()


def test_the_small_codes_values_are_nowhere_in_the_output(store: Path) -> None:
    payload = run_top(store, TopQuery(build_filters("pmr"), limit=None)).to_dict()
    text = json.dumps(payload)
    assert all(k not in text for k in ("cell_count", "cell_patients"))
    values = {r["value"] for r in payload["rows"]}
    assert values.isdisjoint({50, 14, 2, 1})
    assert payload["total"] == 120 + 60 + 25 + 50 + 14 + 2 + 11 + 1


def test_a_small_cohort_suppresses_the_whole_table(store: Path) -> None:
    payload = run_top(store, TopQuery(build_filters("pmr", state=["VT"]))).to_dict()
    assert payload["total"] is None
    assert all(r["value"] is None for r in payload["rows"])


def test_lowered_threshold_with_override_is_recorded_end_to_end(store: Path) -> None:
    policy = PrivacyPolicy(min_cell_size=5, allow_small_cells=True)
    payload = run_top(store, TopQuery(build_filters("pmr"), limit=None, privacy=policy)).to_dict()
    assert payload["suppression"]["min_cell_size"] == 5
    shown = {r["code"] for r in payload["rows"] if not r.get("suppressed")}
    assert {"97010", "97112"} <= shown
    small = {"97116", "97018"}
    k = Knowledge(threshold=5, primary=small & {r["code"] for r in payload["rows"]})
    attack_ranking(payload, k).assert_protected()


runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(cli_app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("measure", ["services", "patients"])
def test_cli_json_and_csv_outputs_are_protected(store: Path, measure: str) -> None:
    args = ("top", "--codes", "pmr", "--measure", measure, "--store", str(store))
    payload = json.loads(cli(*args, "--format", "json", "--limit", "4"))
    attack_ranking(payload, knowledge(measure, payload, 4)).assert_protected()
    text = cli(*args, "--format", "csv", "--limit", "4")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    rows = list(csv.DictReader(io.StringIO(body)))
    table = [
        {"key": r["code"], "value": float(r["value"]) if r["value"] else None,
         "share": float(r["share"]) if r["share"] else None}
        for r in rows
    ]  # fmt: skip
    attack_table(payload["total"], table, knowledge(measure, payload, 4)).assert_protected()
    assert {r["code"] for r in rows if r["suppressed"] == "true"} >= SMALL


def test_cli_refuses_a_low_threshold_without_the_override(store: Path) -> None:
    result = runner.invoke(
        cli_app, ["top", "--codes", "pmr", "--min-cell-size", "5", "--store", str(store)]
    )
    assert result.exit_code != 0
    assert "--allow-small-cells" in result.output


class Client:
    """Calls the ASGI app in process (starlette's TestClient warns about its httpx use)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def get(self, path: str, params: dict[str, Any]) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                return await c.get(path, params=params)

        return asyncio.run(call())


@pytest.fixture(scope="module")
def client(store: Path) -> Client:
    return Client(create_app(store))


@pytest.mark.parametrize("measure", list(MEASURES))
def test_api_top_is_protected(client: Client, measure: str) -> None:
    response = client.get("/api/top", params={"codes": "pmr", "measure": measure, "limit": 5})
    assert response.status_code == 200
    payload = response.json()
    attack_ranking(payload, knowledge(measure, payload, 5)).assert_protected()


def test_api_trend_is_protected(client: Client) -> None:
    response = client.get("/api/trend", params={"codes": "pmr", "limit": 3, "grain": "month"})
    assert response.status_code == 200
    payload = response.json()
    assert payload["suppression"]["rule"] == "cms_cell_size"
    attack_trend(payload, Knowledge(), primary=trend_primary(payload)).assert_protected()


def test_cli_trend_and_explore_json_are_protected(store: Path) -> None:
    where = ("--codes", "pmr", "--store", str(store), "--format", "json")
    trend = json.loads(cli("trend", "--limit", "3", *where))
    attack_trend(trend, Knowledge(), primary=trend_primary(trend)).assert_protected()
    explore = json.loads(cli("explore", "97110", *where[2:]))
    attack_explore_state(explore)


def trend_primary(payload: dict[str, Any]) -> set[tuple[int, int]]:
    """Hidden cells that are small: per month, each code has half its patients."""
    leaders = [s["code"] for s in payload["series"][:-1]]
    # 97010 (50 services from 10 patients) is hidden by top, so it cannot lead: its place in
    # the order would tell its size.
    assert leaders == ["97110", "97140", "97530"]
    small = set()
    for i, series in enumerate(payload["series"]):
        codes = [series["code"]] if series["code"] in CODES else sorted(set(CODES) - set(leaders))
        for j, hidden in enumerate(series["suppressed"]):
            # The "other" row is judged by its largest code (a safe lower bound of its people).
            if hidden and max(monthly_patients(c, j) for c in codes) < 11:
                small.add((i, j))
    return small


def monthly_patients(code: str, month: int) -> int:
    patients = CODES[code][0]
    return patients // 2 if month == 0 else patients - patients // 2


def test_api_explore_breakdowns_are_protected(client: Client) -> None:
    response = client.get("/api/explore/97110", params={"codes": "pmr"})
    assert response.status_code == 200
    attack_explore_state(response.json())


def attack_explore_state(payload: dict[str, Any]) -> None:
    by_state = next(b for b in payload["breakdowns"] if b["dimension"] == "state")
    rows = [{"key": r["key"], "value": r["value"], "share": r["share"]} for r in by_state["rows"]]
    assert {r["key"] for r in by_state["rows"] if r.get("suppressed")} == {"CA", "VT"}
    attack_table(payload["total"], rows, Knowledge(primary={"VT"})).assert_protected()


def test_explore_hides_what_a_breakdown_cannot_protect(tmp_path: Path) -> None:
    # 11 patients in CA and 1 in VT: with both states hidden, 12 - (at least 11) = 1.
    records = lines_for("97110", 11) + lines_for("97110", 1, first_patient=50, state="VT")
    payload = (
        Client(create_app(write_store(tmp_path, records)))
        .get("/api/explore/97110", params={})
        .json()
    )
    by_state = next(b for b in payload["breakdowns"] if b["dimension"] == "state")
    assert by_state["rows"] == [], "a breakdown that cannot be protected is withheld whole"
    assert by_state["suppression"]["total_suppressed"] is True


def test_api_refuses_a_low_threshold_even_with_the_override(client: Client) -> None:
    response = client.get("/api/top", params={"codes": "pmr", "min_cell_size": 5})
    assert response.status_code == 422
    refused = client.get(
        "/api/top", params={"codes": "pmr", "min_cell_size": 5, "allow_small_cells": "true"}
    )
    assert refused.status_code == 422  # only `claimscope serve` sets the threshold


def test_trend_and_top_of_the_same_filters_cannot_be_combined(tmp_path: Path) -> None:
    records = (
        lines_for("97110", 40, month="2023-01")
        + lines_for("97110", 5, first_patient=100, month="2023-02")
        + lines_for("97140", 30, first_patient=200, month="2023-01")
        + lines_for("97140", 30, first_patient=300, month="2023-02")
        + lines_for("97530", 20, first_patient=400, month="2023-01")
        + lines_for("97530", 20, first_patient=500, month="2023-02")
    )
    client = Client(create_app(write_store(tmp_path, records)))
    trend = client.get("/api/trend", params={"codes": "pmr", "limit": 3}).json()
    top = client.get("/api/top", params={"codes": "pmr", "limit": 3}).json()
    window = {r["code"]: r["value"] for r in top["rows"]}
    cells = [list(s["values"]) for s in trend["series"]]
    row_totals = [window.get(s["code"]) for s in trend["series"]]
    row_totals[-1] = 0  # no code outside the three leaders
    row = [s["code"] for s in trend["series"]].index("97110")
    assert trend["series"][row]["suppressed"][1] is True
    hidden_small = {(row, 1)}  # 97110 in February: 5 patients
    attack_grid(
        cells, list(trend["totals"]), Knowledge(), row_totals=row_totals, primary=hidden_small
    ).assert_protected()
