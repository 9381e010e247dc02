"""The JSON API through an in-process ASGI client: same contracts as the CLI, clear errors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from claimscope.api import create_app
from tests.canonical import lines_for, write_store


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    records = lines_for("97110", 40, units=2) + lines_for("97140", 30, first_patient=100)
    records += lines_for("97530", 25, first_patient=200, specialty="occupational_therapy")
    records += lines_for("97530", 20, first_patient=300, month="2022-05")
    return TestClient(create_app(write_store(tmp_path, records)))


def test_top_route_returns_the_top_contract(client: TestClient) -> None:
    body = client.get(
        "/api/top", params={"codes": "pmr", "from": "2023-01", "to": "2023-09"}
    ).json()
    assert body["total"] == 80 + 30 + 25
    assert [(r["rank"], r["code"], r["value"]) for r in body["rows"]] == [
        (1, "97110", 80),
        (2, "97140", 30),
        (3, "97530", 25),
    ]
    assert body["suppression"]["min_cell_size"] == 11


def test_filters_repeat_as_query_parameters(client: TestClient) -> None:
    body = client.get(
        "/api/top", params=[("specialty", "occupational_therapy"), ("from", "2023")]
    ).json()
    assert body["total"] == 25


def error_of(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"parameter", "message"}
    return dict(body["error"])


def test_errors_are_422_in_one_shape_naming_the_api_parameter(client: TestClient) -> None:
    error = error_of(client.get("/api/top", params={"from": "2023-13"}))
    assert error["parameter"] == "from" and "not a valid month" in error["message"]
    error = error_of(client.get("/api/top", params={"min_cell_size": 5}))
    assert error["parameter"] == "min_cell_size"
    assert "never lower it" in error["message"] and "--" not in error["message"]
    error = error_of(client.get("/api/top", params={"limit": "many"}))
    assert error["parameter"] == "limit"


@pytest.mark.parametrize(
    ("parameter", "value", "expected"),
    [
        (
            "specialty",
            "physio",
            "'physio' is not a known specialty. Did you mean 'physical_therapy'?",
        ),
        ("state", "ZZ", "'ZZ' is not a known two-letter state code."),
        ("payer_type", "bcbs", "'bcbs' is not a known payer type."),
        ("pos", "98", "'98' is not a known CMS place-of-service code."),
        ("codes", "pmrr", "Did you mean 'pmr'?"),
    ],
)
def test_unknown_filter_values_are_refused_with_suggestions(
    client: TestClient, parameter: str, value: str, expected: str
) -> None:
    error = error_of(client.get("/api/top", params={parameter: value}))
    assert error["parameter"] == parameter
    assert expected in error["message"]
    assert "GET /api/vocab/" in error["message"]


@pytest.mark.parametrize(
    ("route", "parameter", "value", "bound"),
    [
        ("/api/top", "limit", 1001, "1000"),
        ("/api/trend", "limit", 0, "1"),
        ("/api/compare", "replicates", 100_000, "2000"),
    ],
)
def test_sizes_are_bounded(
    client: TestClient, route: str, parameter: str, value: int, bound: str
) -> None:
    params = [(parameter, value), ("cohort", "pt"), ("cohort", "ot")]
    error = error_of(client.get(route, params=params))
    assert error["parameter"] == parameter
    assert bound in error["message"] and str(value) in error["message"]


def test_vocab_routes_list_what_the_filters_accept(client: TestClient) -> None:
    payers = client.get("/api/vocab/payers").json()
    assert [v["payer_type"] for v in payers["values"]] == [
        "medicare",
        "medicare_advantage",
        "medicaid",
        "commercial",
        "other",
    ]
    codes = client.get("/api/vocab/codes", params={"codes": "pt_evals"}).json()
    assert [v["code"] for v in codes["values"]] == ["97161", "97162", "97163", "97164"]
    places = {v["code"]: v["name"] for v in client.get("/api/vocab/places").json()["values"]}
    assert places["11"] == "Office"
    error = error_of(client.get("/api/vocab/specialtys"))
    assert "Did you mean 'specialties'?" in error["message"]


def test_trend_explore_and_sources_routes(client: TestClient) -> None:
    trend = client.get("/api/trend", params={"grain": "year", "limit": 2}).json()
    assert trend["periods"] == ["2022", "2023"]
    explore = client.get("/api/explore/97110").json()
    assert explore["total"] == 80
    (source,) = client.get("/api/sources").json()["sources"]
    assert (source["name"], source["files"], source["loaded"]) == ("test", 1, 115)


def test_status_route_and_as_of(client: TestClient) -> None:
    status = client.get("/api/status").json()
    assert set(status) == {"version", "time", "sources", "months", "last_ingests", "quarantined"}
    assert status["version"] == 1  # version 0 is the empty table
    assert status["months"] == [
        {"month": "2022-05", "lines": 20},
        {"month": "2023-01", "lines": 95},
    ]
    assert status["last_ingests"][0]["identity"] == "test/test.csv"
    assert status["quarantined"] == 0
    top = client.get("/api/top", params={"as_of": "1"}).json()
    assert (top["data"]["store_version"], top["data"]["store_time"]) == (1, status["time"])
    before_any_ingest = client.get("/api/top", params={"as_of": "0"})
    assert before_any_ingest.status_code == 422
    assert "no claim lines" in before_any_ingest.json()["error"]["message"]
    beyond = client.get("/api/top", params={"as_of": "7"}).json()["error"]["message"]
    assert "versions 0..1" in beyond


def test_the_explorer_page_is_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "Explore" in client.get("/static/app.js").text
    assert "/api/view/top" in client.get("/static/app.js").text


def test_json_carries_its_description(client: TestClient) -> None:
    body = client.get("/api/top", params={"state": "tx", "from": "2023"}).json()
    assert body["description"]["title"] == "Top codes: Physical medicine and rehabilitation (pmr)"
    assert body["description"]["facts"]["Filters"] == "state TX"


def test_a_missing_engine_is_503_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if the extra were not installed
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    spark = TestClient(create_app(write_store(tmp_path, lines_for("97110", 12)), engine="pyspark"))
    response = spark.get("/api/top")
    assert response.status_code == 503
    assert "pip install 'claimscope[spark]'" in response.json()["error"]["message"]


def test_an_unknown_cohort_names_the_api_parameter(client: TestClient) -> None:
    error = error_of(client.get("/api/compare", params=[("cohort", "pr"), ("cohort", "ot")]))
    assert error["parameter"] == "cohort"
    assert error["message"].startswith("unknown cohort 'pr'. Did you mean 'pt'?")
    assert error["message"].endswith("(list them: GET /api/vocab/cohorts)")
    error = error_of(
        client.get("/api/compare", params=[("cohort", "name=x;state"), ("cohort", "ot")])
    )
    assert error == {
        "parameter": "cohort",
        "message": "cohort 'name=x;state': 'state' is not key=value",
    }
