"""The server owns the suppression threshold: no request parameter can lower it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from claimscope.analysis.query import PrivacyPolicy
from claimscope.api import create_app
from tests.canonical import lines_for, write_store

ROUTES = ("/api/top", "/api/trend", "/api/explore/97110", "/api/attribution")
# Every way a client might try to get small cells out of a server started with threshold 11.
LOWERING = (
    {"min_cell_size": 1},
    {"min_cell_size": 10},
    {"allow_small_cells": "true"},
    {"allow_small_cells": "true", "min_cell_size": 1},
    [("min_cell_size", "20"), ("min_cell_size", "1")],
)


def _store(tmp_path: Path) -> Path:
    records = lines_for("97110", 40, units=2) + lines_for("97140", 30, first_patient=100)
    # 97530: 5 patients, a small cell under the CMS rule.
    records += lines_for("97112", 25, first_patient=300) + lines_for("97530", 5, first_patient=200)
    return write_store(tmp_path, records)


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(_store(tmp_path)))


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("params", LOWERING)
def test_no_parameter_lowers_the_servers_threshold(
    client: TestClient, route: str, params: object
) -> None:
    response = client.get(route, params=params)  # type: ignore[arg-type]
    assert response.status_code == 422
    assert "97530" not in response.text or '"value":5' not in response.text.replace(" ", "")


def test_a_request_may_raise_the_threshold(client: TestClient) -> None:
    default = client.get("/api/top").json()
    shown = [(r["code"], r["value"]) for r in default["rows"] if r["value"] is not None]
    assert shown == [("97110", 80), ("97140", 30)]  # 97112 hidden to protect 97530
    raised = client.get("/api/top", params={"min_cell_size": 35}).json()
    assert raised["suppression"]["min_cell_size"] == 35
    # 97140 has 30 patients: a small cell at 35 (and with every other code small, the sum
    # of the small cells would be the total minus 97110, so every row is hidden).
    assert [r["code"] for r in raised["rows"] if r["value"] is not None] == []


def test_a_server_started_with_small_cells_allowed_sets_the_floor(tmp_path: Path) -> None:
    client = TestClient(create_app(_store(tmp_path), privacy=PrivacyPolicy(5, True)))
    body = client.get("/api/top").json()
    assert body["suppression"]["min_cell_size"] == 5
    assert ("97530", 5) in [(r["code"], r["value"]) for r in body["rows"]]
    assert "override" in body["suppression"]
    assert client.get("/api/top", params={"min_cell_size": 4}).status_code == 422
    assert client.get("/api/top", params={"allow_small_cells": "false"}).status_code == 422
