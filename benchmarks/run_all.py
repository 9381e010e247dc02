"""Run every benchmark with its default sizes, one after another (``make bench``).

Each script prints its own figures, ratios against a baseline run in the same command, and
peak memory. Expect a few minutes: top runs on 20M lines and the X12 parse on a 200 MB file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
SCRIPTS = (
    "bench_synth.py",
    "bench_ingest.py",
    "bench_x12.py",
    "bench_top.py",
    "bench_compare.py",
    "bench_compact.py",
    "bench_keys.py",
    "bench_report.py",
)


def main() -> int:
    failed = 0
    for script in SCRIPTS:
        print(f"\n=== {script}", flush=True)
        failed += subprocess.run([sys.executable, str(HERE / script)], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
