"""The explorer's view routes: each analysis's JSON with its charts, the report, the assets."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from claimscope.api import create_app
from tests.canonical import lines_for, write_store

PERIOD = {"codes": "pmr", "from": "2023-01", "to": "2023-02"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    records = []
    for month in ("2023-01", "2023-02"):
        records += lines_for("97110", 40, month=month, state="CA")
        records += lines_for("97140", 30, first_patient=100, month=month, state="NY")
        records += lines_for(
            "97530", 20, first_patient=200, month=month, specialty="occupational_therapy"
        )
    return TestClient(create_app(write_store(tmp_path_factory.mktemp("views"), records)))


def values(spec: dict) -> list[dict]:  # type: ignore[type-arg]
    return spec["data"]["values"]  # type: ignore[no-any-return]


def test_top_view_has_one_bar_per_ranked_row(client: TestClient) -> None:
    body = client.get("/api/view/top", params=PERIOD).json()
    assert [r["code"] for r in body["result"]["rows"]] == ["97110", "97140", "97530"]
    bars = values(body["charts"]["ranking"])
    assert [(b["code"], round(b["share"], 4)) for b in bars] == [
        ("97110", 0.4444),
        ("97140", 0.3333),
        ("97530", 0.2222),
    ]
    assert body["charts"]["ranking"]["mark"]["type"] == "bar"


def test_trend_view_draws_each_code_per_month(client: TestClient) -> None:
    body = client.get("/api/view/trend", params={**PERIOD, "limit": 2}).json()
    assert body["result"]["periods"] == ["2023-01", "2023-02"]
    points = values(body["charts"]["trend"])
    assert {(p["code"], p["period"]) for p in points} == {
        (c, m) for c in ("97110", "97140") for m in ("2023-01", "2023-02")
    }


def test_explore_view_has_a_chart_per_breakdown_and_a_state_map(client: TestClient) -> None:
    body = client.get("/api/view/explore/97110", params=PERIOD).json()
    assert body["result"]["total"] == 80
    assert {"specialty", "payer_type", "state", "trend"} <= set(body["charts"])
    shaded = body["charts"]["state"]["transform"][0]["from"]["data"]["values"]
    assert shaded == [{"id": "06", "state": "CA", "share": 1.0, "value": 80}]


def test_explore_view_trend_line_is_the_codes_share_from_the_same_store_version(
    client: TestClient,
) -> None:
    body = client.get("/api/view/explore/97110", params=PERIOD).json()
    trend = client.get("/api/trend", params=PERIOD).json()
    line = [(p["period"], p["share"]) for p in values(body["charts"]["trend"])]
    series = next(s for s in trend["series"] if s["code"] == "97110")
    assert line == list(zip(trend["periods"], series["shares"], strict=True))
    assert line == [("2023-01", 0.4444), ("2023-02", 0.4444)]  # 40 of 90 services, rounded


def test_compare_view_has_a_chart_per_cohort(client: TestClient) -> None:
    params = [*PERIOD.items(), ("cohort", "physical_therapists"),
              ("cohort", "occupational_therapists")]  # fmt: skip
    body = client.get("/api/view/compare", params=params).json()
    assert set(body["charts"]) == {"physical_therapists", "occupational_therapists"}
    assert [b["code"] for b in values(body["charts"]["occupational_therapists"])] == ["97530"]


def test_report_route_returns_the_self_contained_report(client: TestClient) -> None:
    response = client.get("/api/report", params=PERIOD)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Physical medicine and rehabilitation: the top 3 codes" in response.text
    assert 'href="#explore-97110"' in response.text


def test_chart_scripts_and_map_are_served_from_the_package(client: TestClient) -> None:
    script = client.get("/assets/vega.js")
    assert script.status_code == 200 and "window.vegaEmbed" in script.text
    topology = client.get("/assets/us-states-10m.json").json()
    assert topology["type"] == "Topology" and "states" in topology["objects"]
    page = client.get("/").text
    assert '<script src="/assets/vega.js">' in page and "cdn" not in page.lower()
