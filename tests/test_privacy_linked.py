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
from tests.privacy_ip_attacker import System, add_ranking, output_codes, var, violations

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


@pytest.mark.parametrize("surface", ["api", "cli"])
def test_linked_cohorts_and_top_cannot_be_solved_for_a_hidden_cell(
    tmp_path: Path, surface: str
) -> None:
    store = plan_store(tmp_path, LINKED_PLAN)
    params = [("cohort", "rehab"), ("cohort", "pt"), ("cohort", "ot")]
    compare = published(store, surface, "/api/compare", params)
    top = published(store, surface, "/api/top", [])
    tables = {c["name"]: c for c in compare["cohorts"]}
    codes = output_codes(top, *tables.values())
    system = System()
    for name, table in tables.items():
        add_ranking(system, table, COHORT_PARTS[name], codes)
    add_ranking(system, top, COHORT_PARTS["rehab"], codes)
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
