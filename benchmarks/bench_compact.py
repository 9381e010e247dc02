"""Why compaction: `top` over a store fed many small files, before and after `compact`.

    .venv/bin/python benchmarks/bench_compact.py [--files 20] [--lines-per-file 200000]

Writes --files synthetic inputs (seeds 0..n-1), ingests them as one source (one store file
per input per month), times `top` (pmr, Jan-Sep 2023; median of 5 warm runs), compacts
(Delta optimize, Z-order on hcpcs_code per month), and times it again in the same process.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

from claimscope.analysis.query import TopQuery, build_filters
from claimscope.analysis.run import run_top
from claimscope.ingest.pipeline import ingest_paths
from claimscope.store.compact import compact_store
from claimscope.store.layout import Store
from claimscope.store.table import snapshot
from claimscope.synth import write_synthetic

QUERY = TopQuery(build_filters("pmr", period_from="2023-01", period_to="2023-09"))


def median_top(store: Store, repeats: int = 5) -> float:
    run_top(store.root, QUERY)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run_top(store.root, QUERY)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--lines-per-file", type=int, default=200_000)
    parser.add_argument("--workdir", type=Path, default=Path("bench-data/compact"))
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    inputs = []
    for i in range(args.files):  # a file's identity is its name: one name per input
        written = write_synthetic(args.workdir / f"in{i}", args.lines_per_file, seed=i).files[0]
        inputs.append(written.rename(written.with_stem(f"{written.stem}-{i}")))
    store = Store.open(args.workdir / "store")
    ingest_paths(inputs, store, source="synthetic")
    files_before, before = len(snapshot(store).files), median_top(store)
    started = time.perf_counter()
    compact_store(store)
    seconds = time.perf_counter() - started
    files_after, after = len(snapshot(store).files), median_top(store)
    lines = args.files * args.lines_per_file
    print(f"{lines:,} lines from {args.files} input files")
    print(f"before compaction: {files_before:,} store files, top {before:.3f}s median")
    print(f"compaction: {seconds:.1f}s")
    print(f"after compaction:  {files_after:,} store files, top {after:.3f}s median")
    print(f"ratio before/after: {before / after:.1f}x")


if __name__ == "__main__":
    main()
