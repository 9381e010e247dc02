"""Compaction keeps every row and every answer, and --replace still works afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from claimscope.analysis.query import TopQuery, build_filters
from claimscope.analysis.run import run_top
from claimscope.cli import app
from claimscope.ingest.pipeline import ingest_paths
from claimscope.store.layout import Store
from claimscope.store.table import read_lines, snapshot
from claimscope.synth import write_synthetic

runner = CliRunner()


def test_compaction_keeps_answers_and_replace_still_removes_one_file(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    inputs = []
    for seed in (1, 2, 3):
        report = write_synthetic(tmp_path / f"in{seed}", 6_000, seed=seed)
        # A file's identity is its source and name: three different files, three names.
        inputs.append(report.files[0].rename(report.files[0].with_stem(f"claims-{seed}")))
    assert ingest_paths(inputs, store, source="s").loaded == 18_000
    query = TopQuery(build_filters("pmr"), limit=None)
    before = run_top(store.root, query).to_dict()
    files_before = len(snapshot(store).files)
    version_before = snapshot(store).version

    out = runner.invoke(app, ["compact", "--store", str(store.root), "--format", "json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["files_before"] == files_before and report["rows"] == 18_000
    after = snapshot(store)
    months = {f.month for f in after.files}
    assert len(after.files) == len(months) == report["files_after"]
    assert report["version"] == after.version == version_before + 1
    # Same answer; only the version read differs (compaction is a commit of its own).
    compacted = run_top(store.root, query).to_dict()
    assert compacted["data"].pop("store_version") == after.version
    assert before["data"].pop("store_version") == version_before
    compacted["data"].pop("store_time"), before["data"].pop("store_time")
    assert compacted == before
    # Each month is one file sorted by code.
    for data_file in after.files:
        codes = pq.read_table(data_file.path, columns=["hcpcs_code"]).column(0).to_pylist()
        assert codes == sorted(codes)

    # Re-ingesting one input with --replace removes its rows from the compacted files.
    ingest_paths([inputs[0]], store, source="s", replace=True)
    assert read_lines(store).num_rows == 18_000 == snapshot(store).rows
    replaced = run_top(store.root, query).to_dict()
    replaced["data"].pop("store_version"), replaced["data"].pop("store_time")
    assert replaced == before
