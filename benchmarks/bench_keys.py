"""What giving an older store its record keys costs, against ingesting its files again.

    .venv/bin/python benchmarks/bench_keys.py --lines 10000000

Generates (once, seeded) synthetic claims into --workdir (``_common.synthetic_store``), copies
the store and drops the ``record_key`` column from every data file of the copy (one commit,
as a store written before keys existed), then times ``claimscope upgrade``'s fill
(:func:`claimscope.store.keys.fill_record_keys`) against the alternative a user had before it:
ingesting the same files into a new store. Checks that the filled store's perturbed ``top`` and
``trend`` equal the original's, and prints the peak RSS after the fill (before the baseline).
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from _common import peak_rss_mib, synthetic_store


def keyless_copy(store: Path, target: Path) -> None:
    """``store`` copied to ``target``, every data file rewritten without record keys."""
    from claimscope.store.batches import remove_action
    from claimscope.store.layout import Store
    from claimscope.store.table import commit, snapshot
    from claimscope.store.writer import add_action

    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(store, target)
    copy = Store(target)
    actions: list[Any] = []
    for data_file in snapshot(copy).files:
        stem, number = data_file.path.stem.rsplit("-", 1)
        old = data_file.path.with_name(f"{stem}-9000{number}.parquet")
        pq.write_table(pq.read_table(data_file.path).drop(["record_key"]), old)
        actions += [remove_action(data_file), add_action(copy, old)]
    commit(copy, actions, {"operation": "benchmark: files from before record keys"})


def perturbed(store: Path) -> list[dict[str, Any]]:
    from claimscope.analysis.query import PrivacyPolicy, TopQuery, build_filters
    from claimscope.analysis.run import run_top, run_trend
    from claimscope.analysis.trend import TrendQuery

    filters, policy = build_filters("pmr"), PrivacyPolicy(perturb=True)
    out = [
        run_top(store, TopQuery(filters, privacy=policy)).to_dict(),
        run_trend(store, TrendQuery(filters, privacy=policy)).to_dict(),
    ]
    for result in out:
        result["data"].pop("store_version"), result["data"].pop("store_time")
    return out


def main() -> None:
    from claimscope.ingest.pipeline import ingest_paths
    from claimscope.store.keys import fill_record_keys
    from claimscope.store.layout import Store

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench-keys"))
    args = parser.parse_args()
    store = synthetic_store(args.workdir, args.lines, args.seed)
    keyless = args.workdir / "keyless"
    keyless_copy(store, keyless)
    started = time.perf_counter()
    with Store(keyless).lock():
        report = fill_record_keys(Store(keyless))
    fill = time.perf_counter() - started
    print(f"fill: {report.lines:,} lines keyed in {report.files} files, {fill:.1f}s "
          f"({report.lines / fill:,.0f} lines/s); peak RSS {peak_rss_mib():.0f} MiB")  # fmt: skip
    assert perturbed(keyless) == perturbed(store), "filled keys differ from ingest's"
    print("perturbed top and trend identical to the store ingested with keys")
    fresh = args.workdir / "reingest"
    shutil.rmtree(fresh, ignore_errors=True)
    started = time.perf_counter()
    ingest_paths([args.workdir / "synthetic"], Store.open(fresh), source="synthetic")
    again = time.perf_counter() - started
    print(f"baseline, ingesting the files again: {again:.1f}s; fill/re-ingest {fill / again:.2f}x")
    shutil.rmtree(fresh, ignore_errors=True)


if __name__ == "__main__":
    main()
