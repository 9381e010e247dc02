"""Consistent cell-key perturbation: permanent record keys, identical repeats, noisy differences."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from claimscope.analysis.query import PrivacyPolicy
from claimscope.api import create_app
from claimscope.cli import app
from claimscope.ingest.pipeline import ingest_paths
from claimscope.privacy.perturb import MAX_NOISE, Perturbation
from claimscope.schema import CLAIM_LINE
from claimscope.store.layout import Store
from claimscope.store.table import read_lines
from tests.canonical import lines_for, write_store

SERVER = PrivacyPolicy(perturb=True)


def _csv(path: Path, rows: int) -> Path:
    body = "".join(f"C{i},P{i},2023-01-05,97110,1\n" for i in range(rows))
    path.write_text("claim_id,patient_id,service_from,hcpcs_code,units\n" + body)
    return path


def _keys(store: Store) -> list[int]:
    return read_lines(store)["record_key"].to_pylist()


def test_ingest_gives_every_row_a_permanent_random_key(tmp_path: Path) -> None:
    path = _csv(tmp_path / "a.csv", 2000)
    store = Store.open(tmp_path / "store")
    ingest_paths([path], store)
    keys = _keys(store)
    assert len(keys) == 2000 and len(set(keys)) == 2000
    assert all(0 <= k < 2**32 for k in keys)
    # Uniform enough: each quarter of the range holds about a quarter of the keys.
    quarters = [sum(q * 2**30 <= k < (q + 1) * 2**30 for k in keys) for q in range(4)]
    assert all(400 < n < 600 for n in quarters), quarters
    # Loading the same file again (replace) gives the same keys: they are permanent.
    ingest_paths([path], store, replace=True)
    assert sorted(_keys(store)) == sorted(keys)
    # Another store (another secret) gives unrelated keys.
    other = Store.open(tmp_path / "other")
    ingest_paths([path], other)
    assert len(set(_keys(other)) & set(keys)) < 5


def _store(root: Path) -> Path:
    records = lines_for("97110", 60, month="2023-01") + lines_for("97140", 40, first_patient=100)
    records += lines_for("97530", 30, first_patient=200, month="2023-02")
    records += lines_for("97112", 25, first_patient=300, month="2023-02", state="VT")
    return write_store(root, records)


ROUTES = ("/api/top", "/api/trend", "/api/explore/97110", "/api/attribution")


@pytest.mark.parametrize("path", ROUTES)
def test_repeated_queries_return_identical_numbers(tmp_path: Path, path: str) -> None:
    client = TestClient(create_app(_store(tmp_path), privacy=SERVER))
    first, second = (client.get(path).json() for _ in range(2))
    assert first == second
    assert first["perturbation"]["applied"] is True
    assert first["perturbation"]["max_noise"] == MAX_NOISE


def test_perturbed_counts_stay_close_never_small_and_zeros_stay_zero(tmp_path: Path) -> None:
    store = _store(tmp_path)
    exact = TestClient(create_app(store)).get("/api/trend").json()
    noisy = TestClient(create_app(store, privacy=SERVER)).get("/api/trend").json()
    assert exact["perturbation"] == {"applied": False}
    pairs = [
        (a, b)
        for s, t in zip(exact["series"], noisy["series"], strict=True)
        for a, b in zip(s["values"], t["values"], strict=True)
    ] + list(zip(exact["totals"], noisy["totals"], strict=True))
    for a, b in pairs:
        assert (a is None) == (b is None)
        if a is not None:
            assert abs(a - b) <= MAX_NOISE
            assert b == 0 if a == 0 else b >= 11
    assert pairs and any(a != b for a, b in pairs if a is not None)


def test_compare_and_top_agree_on_the_same_cell(tmp_path: Path) -> None:
    client = TestClient(create_app(_store(tmp_path), privacy=SERVER))
    top = client.get("/api/top").json()
    compare = client.get("/api/compare", params=[("cohort", "rehab"), ("cohort", "pt")]).json()
    rehab = next(c for c in compare["cohorts"] if c["name"] == "rehab")
    # rehab is every line, the same cells as top: the same perturbed values.
    assert {r["code"]: r["value"] for r in rehab["rows"]} == {
        r["code"]: r["value"] for r in top["rows"]
    }
    assert rehab["total"] == top["total"]


def test_the_cli_perturbs_on_request_and_refuses_a_store_without_keys(tmp_path: Path) -> None:
    store = _store(tmp_path / "new")
    out = CliRunner().invoke(app, ["top", "--store", str(store), "--format", "json", "--perturb"])
    assert out.exit_code == 0 and json.loads(out.output)["perturbation"]["applied"] is True
    legacy = tmp_path / "legacy"
    write_store(legacy, lines_for("97110", 40))
    for part in legacy.rglob("*.parquet"):  # files from before record keys existed
        pq.write_table(pq.read_table(part).drop(["record_key"]), part)
    args = ["top", "--store", str(legacy), "--format", "json"]
    assert CliRunner().invoke(app, args).exit_code == 0  # exact figures still work
    refused = CliRunner().invoke(app, [*args, "--perturb"])
    assert refused.exit_code == 2 and "lines without record keys" in refused.output
    assert f"run `claimscope upgrade --store {legacy}`" in " ".join(refused.output.split())
    upgraded = CliRunner().invoke(app, ["upgrade", "--store", str(legacy), "--format", "json"])
    assert json.loads(upgraded.output)["keys"] == 40
    perturbed = CliRunner().invoke(app, [*args, "--perturb"])
    assert perturbed.exit_code == 0 and json.loads(perturbed.output)["perturbation"]["applied"]


def _published_difference(rng: random.Random, before: int, hidden: int) -> int:
    """One trial: a count over two periods minus the count over the first one.

    The lines' record keys are drawn as ingest draws them (uniform 32-bit); each published
    count is perturbed by the sum of its own lines' keys, exactly as the analyses do.
    """
    first = [rng.getrandbits(32) for _ in range(before)]
    second = [rng.getrandbits(32) for _ in range(hidden)]
    perturbation = Perturbation(threshold=11)
    both = perturbation.count(before + hidden, sum(first) + sum(second))
    return int(both - perturbation.count(before, sum(first)))


@pytest.mark.parametrize(
    ("attack", "before"), [("period difference", 240), ("filter difference", 35)]
)
def test_differencing_two_queries_returns_noise(attack: str, before: int) -> None:
    """Jan-Sep minus Jan-Aug (or all states minus all but VT) in 1,000 seeded trials: the
    exact hidden count is the attacker's best guess in a minority of them."""
    rng = random.Random(20260901)
    exact = 0
    for _ in range(1000):
        hidden = rng.randint(1, 10)
        exact += _published_difference(rng, before, hidden) == hidden
    assert exact < 500, f"{attack}: the difference was exact in {exact} of 1,000 trials"
    assert exact > 100  # noise, not a constant offset: often right, never reliably


def test_a_difference_of_two_real_outputs_is_noisy(tmp_path: Path) -> None:
    """All states minus all but VT on API outputs: the same cells show the same values, and
    the difference of the totals (VT's 25 services) carries the noise of both totals."""
    client = TestClient(create_app(_store(tmp_path), privacy=SERVER))
    everywhere = client.get("/api/top").json()
    without_vt = client.get("/api/top", params=[("state", "CA")]).json()
    values: dict[str, Any] = {r["code"]: r["value"] for r in everywhere["rows"]}
    for row in without_vt["rows"]:  # codes billed only in CA: identical cells, identical values
        assert values[row["code"]] == row["value"]
    assert everywhere["total"] - without_vt["total"] == 24  # not 25


def test_record_key_is_part_of_the_store_schema() -> None:
    assert str(CLAIM_LINE.field("record_key").type) == "int64"
