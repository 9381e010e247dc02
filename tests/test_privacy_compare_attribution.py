"""The adversary against compare and attribution outputs, through the JSON API.

Comparisons add a way to derive counts that a single ranking does not have: cohorts nested
in another (rehab contains pt and ot), so rehab - pt - ot is a count too. Every cohort's
table is attacked on its own, and every code's remainder across nested cohorts must be 0 or
at least the threshold (or a cohort withheld).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from claimscope.api.app import create_app
from tests.canonical import lines_for, write_store
from tests.privacy_adversary import Knowledge, attack_ranking, attack_table

# (code, modifier, patients): GP lines are PT, GO lines OT, GN lines SLP (few: a small remainder).
PLAN: list[tuple[str, str, int]] = [
    ("97110", "GP", 40),
    ("97110", "GO", 25),
    ("97110", "GN", 3),
    ("97140", "GP", 30),
    ("97140", "GO", 12),
    ("97530", "GO", 20),
    ("97530", "GP", 6),
    ("97112", "GP", 15),
    ("97535", "GO", 2),
]
SMALL_CELLS = {("pt", "97530"), ("ot", "97535"), ("rehab", "97535")}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> httpx.AsyncClient:
    records: list[dict[str, Any]] = []
    first = 1
    for code, modifier, patients in PLAN:
        records += lines_for(code, patients, first_patient=first, modifier_1=modifier)
        first += patients
    store = write_store(tmp_path_factory.mktemp("compare_store"), records)
    transport = httpx.ASGITransport(app=create_app(store))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def get(client: httpx.AsyncClient, path: str, params: Any) -> dict[str, Any]:
    response = asyncio.run(client.get(path, params=params))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_every_cohort_table_and_every_nested_remainder_is_protected(
    client: httpx.AsyncClient,
) -> None:
    params = [("cohort", "rehab"), ("cohort", "pt"), ("cohort", "ot"), ("limit", "10")]
    payload = get(client, "/api/compare", params)
    cohorts = {c["name"]: c for c in payload["cohorts"]}
    for name, table in cohorts.items():
        hidden = {r["code"] for r in table["rows"] if r.get("suppressed")}
        small = {code for cohort, code in SMALL_CELLS if cohort == name} & hidden
        attack_ranking(table, Knowledge(primary=small, unshown=None)).assert_protected()
    shown = {
        name: {r["code"]: r["value"] for r in c["rows"] if r.get("value") is not None}
        for name, c in cohorts.items()
    }
    for code, total in shown["rehab"].items():
        if code in shown["pt"] and code in shown["ot"]:
            rest = total - shown["pt"][code] - shown["ot"][code]
            assert rest == 0 or rest >= 11, f"rehab - pt - ot reveals {rest} for {code}"
    # 97110: 3 SLP lines make rehab - pt - ot = 3; something must hide it.
    assert not all("97110" in shown[n] for n in ("rehab", "pt", "ot"))


def test_attribution_counts_are_protected(client: httpx.AsyncClient) -> None:
    report = get(client, "/api/attribution", {})
    total = report["total"]["lines"]
    rows = [
        {"key": d["discipline"], "value": d["lines"], "share": None} for d in report["disciplines"]
    ]
    small = {d["discipline"] for d in report["disciplines"] if d.get("suppressed")}
    assert "speech_language_pathology" in small  # 3 lines
    # Only SLP is small; whatever else is hidden is its complement.
    attack_table(total, rows, Knowledge(primary={"speech_language_pathology"})).assert_protected()
