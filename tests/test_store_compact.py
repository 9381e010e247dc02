"""Compaction keeps every row and every answer, and --replace still works afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from claimscope.analysis.query import TopQuery, build_filters
from claimscope.analysis.run import run_top
from claimscope.cli import app
from claimscope.ingest.pipeline import ingest_paths
from claimscope.store.layout import Store
from claimscope.synth import write_synthetic

runner = CliRunner()


def test_compaction_keeps_answers_and_replace_still_removes_one_file(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    inputs = []
    for seed in (1, 2, 3):
        report = write_synthetic(tmp_path / f"in{seed}", 6_000, seed=seed)
        inputs.append(report.files[0])
    ingest_paths(inputs, store, source="s")
    query = TopQuery(build_filters("pmr"), limit=None)
    before = run_top(store.root, query).to_dict()
    files_before = len(store.parquet_files())

    out = runner.invoke(app, ["compact", "--store", str(store.root), "--format", "json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["files_before"] == files_before and report["rows"] == 18_000
    months = {p.parent for p in store.parquet_files()}
    assert len(store.parquet_files()) == len(months) == report["files_after"]
    assert run_top(store.root, query).to_dict() == before

    # Re-ingesting one input with --replace removes its rows from the compacted files.
    ingest_paths([inputs[0]], store, source="s", replace=True)
    rows = pa.concat_tables(pq.read_table(p, columns=["batch_id"]) for p in store.parquet_files())
    assert rows.num_rows == 18_000
    assert run_top(store.root, query).to_dict() == before
