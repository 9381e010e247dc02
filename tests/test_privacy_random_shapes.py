"""Random cohort, trend and explore shapes (hypothesis) against the integer-programming attacker.

Each example writes a small store whose cells have random patient counts (many of them 1-10),
publishes outputs through the API (and, for a few, the CLI), and checks that no hidden small
cell's exact integer range is narrower than 1..10.
"""

from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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

CODES = ("97110", "97140", "97530", "97112", "97116")
MONTHS = ("2023-01", "2023-02", "2023-03")
PARTS = {"GP": "pt", "GO": "ot", "GN": "slp"}
COHORTS = {"rehab": ["pt", "ot", "slp"], "pt": ["pt"], "ot": ["ot"]}
SETTINGS = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
counts = st.integers(min_value=0, max_value=40) | st.integers(min_value=1, max_value=10)


def _write(root: Path, cells: dict[tuple[str, str], int], key: str) -> Path:
    records: list[dict[str, Any]] = []
    first = 1
    for cell, patients in cells.items():
        extra = dict(zip(("hcpcs_code", key), cell, strict=True))
        code = extra.pop("hcpcs_code")
        records += lines_for(code, patients, first_patient=first, **extra)
        first += patients
    return write_store(root, records or lines_for("97110", 1))


def _json(store: Path, surface: str, path: str, params: Any) -> Any:
    if surface == "api":
        return TestClient(create_app(store)).get(path, params=params).json()
    args = [*path.removeprefix("/api/").split("/"), "--store", str(store), "--format", "json"]
    for name, value in params:
        args += [f"--{name}", value]
    return json.loads(CliRunner().invoke(app, args).output)


@SETTINGS
@given(
    st.dictionaries(st.tuples(st.sampled_from(CODES), st.sampled_from(MONTHS)), counts, min_size=3),
    st.sampled_from(["api", "cli"]),
)
def test_random_trends_with_every_limit_and_top(
    cells: dict[tuple[str, str], int], surface: str
) -> None:
    with TemporaryDirectory() as tmp:
        store = _write(Path(tmp), cells, "month")
        trends = [_json(store, surface, "/api/trend", [("limit", str(n))]) for n in (1, 2, 3)]
        top = _json(store, surface, "/api/top", [])
    if not trends[0]["periods"]:
        return  # nothing published
    periods, codes = trends[0]["periods"], output_codes(top)
    system = System()
    for trend in trends:
        add_trend(system, trend, codes)
    add_window_totals(system, top, periods, codes)
    small = {
        f"{code} {month}": [var(month, code)]
        for (code, month), n in cells.items()
        if 0 < n < 11 and month in periods and code in codes
        and any(s["code"] == code and s["suppressed"][periods.index(month)]
                for t in trends for s in t["series"])
    }  # fmt: skip
    assert violations(system, small) == []


@SETTINGS
@given(st.dictionaries(st.tuples(st.sampled_from(CODES), st.sampled_from(list(PARTS))), counts,
                       min_size=3))  # fmt: skip
def test_random_linked_cohorts_with_top(cells: dict[tuple[str, str], int]) -> None:
    with TemporaryDirectory() as tmp:
        store = _write(Path(tmp), cells, "modifier_1")
        params = [("cohort", "rehab"), ("cohort", "pt"), ("cohort", "ot")]
        compare = _json(store, "api", "/api/compare", params)
        top = _json(store, "api", "/api/top", [])
    tables = {c["name"]: c for c in compare["cohorts"]}
    codes = output_codes(top, *tables.values())
    system = System()
    for name, table in tables.items():
        add_ranking(system, table, COHORTS[name], codes)
    add_ranking(system, top, COHORTS["rehab"], codes)
    small = {}
    for name, table in tables.items():
        for row in table["rows"]:
            patients = sum(cells.get((row["code"], m), 0) for m, p in PARTS.items()
                           if p in COHORTS[name])  # fmt: skip
            if row.get("suppressed") and 0 < patients < 11:
                small[f"{name} {row['code']}"] = [var(p, row["code"]) for p in COHORTS[name]]
    assert violations(system, small) == []


@SETTINGS
@given(st.dictionaries(st.sampled_from(["CA", "VT", "NY", "TX", "WA"]), counts, min_size=2))
def test_random_explore_breakdowns(states: dict[str, int]) -> None:
    with TemporaryDirectory() as tmp:
        store = _write(Path(tmp), {("97110", s): n for s, n in states.items()}, "state")
        explore = _json(store, "api", "/api/explore/97110", [])
    if explore["total"] is None:
        return
    by_state = next(b for b in explore["breakdowns"] if b["dimension"] == "state")
    rows = [{"code": r["key"], "value": r["value"]} for r in by_state["rows"]]
    table = {"total": explore["total"], "rows": rows}
    if not by_state["rows"]:
        assert "primary" not in by_state["suppression"]  # withheld whole, no counts
        return
    system = System()
    add_ranking(system, table, ["all"], list(states))
    small = {
        s: [var("all", s)]
        for s, n in states.items()
        if 0 < n < 11 and any(r["key"] == s and r.get("suppressed") for r in by_state["rows"])
    }
    assert violations(system, small) == []
