"""Helpers the benchmark scripts share (imported as ``_common``: scripts run from this folder)."""

from __future__ import annotations

import json
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` runs after one warm-up run (page cache, imports)."""
    action()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def peak_rss_mib() -> float:
    """Peak RSS of this process image.

    ``VmHWM`` of the current address space (Linux) rather than ``ru_maxrss``: the latter also
    carries the parent's resident size from before ``exec``, so a child started by a parent
    holding data (just generated or ingested) would report the parent's memory.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_store(workdir: Path, lines: int, seed: int) -> Path:
    """Seeded synthetic claims ingested into ``workdir/store``, reused while size and seed
    match (a stamp file records them); prints generation and ingest times when it builds."""
    from claimscope.ingest.pipeline import ingest_paths
    from claimscope.store.layout import Store
    from claimscope.synth import write_synthetic

    stamp, store = workdir / "bench.json", workdir / "store"
    wanted = {"lines": lines, "seed": seed}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return store
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    write_synthetic(workdir / "synthetic", lines, seed)
    print(f"generated {lines:,} lines in {time.perf_counter() - started:.1f}s", flush=True)
    started = time.perf_counter()
    report = ingest_paths([workdir / "synthetic"], Store.open(store), source="synthetic",
                          replace=True)  # fmt: skip
    elapsed = time.perf_counter() - started
    print(f"ingested {report.loaded:,} lines in {elapsed:.1f}s "
          f"({report.loaded / elapsed:,.0f} lines/s)", flush=True)  # fmt: skip
    stamp.write_text(json.dumps(wanted))
    return store
