"""Helpers for the store tests: small claim files, answers without their version stamp."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from claimscope.analysis.query import PrivacyPolicy, TopQuery, build_filters
from claimscope.analysis.run import run_top
from claimscope.cli import app

HEADER = "claim_id,patient_id,service_from,hcpcs_code,units\n"
QUERY = TopQuery(build_filters("pmr"), limit=3, privacy=PrivacyPolicy())


def claims_csv(
    path: Path, counts: dict[str, int], *, month: str = "2023-01", tag: str = ""
) -> Path:
    """One line per patient: ``counts[code]`` distinct patients for each code."""
    rows = []
    for code, patients in counts.items():
        for i in range(patients):
            day = 1 + i % 28
            rows.append(f"{tag}{code}-{i},{tag}P{code}{i},{month}-{day:02d},{code},1\n")
    path.write_text(HEADER + "".join(rows))
    return path


def unstamped(result: dict[str, Any]) -> dict[str, Any]:
    """A result without the version it read (to compare answers across versions)."""
    data = dict(result["data"])
    data.pop("store_version", None)
    data.pop("store_time", None)
    return {**result, "data": data}


def top_answer(store: Path, as_of: str | int | None = None) -> dict[str, Any]:
    return run_top(store, QUERY, as_of=as_of).to_dict()


def cli(
    *args: str, env: dict[str, str] | None = None, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``claimscope ARGS`` in a real child process."""
    code = "import sys; from claimscope.cli import main; sys.argv[0] = 'claimscope'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, **kwargs
    )


@dataclass
class Outcome:
    returncode: int
    stdout: str


def invoke(*args: str) -> Outcome:
    """Run ``claimscope ARGS`` in this process (fast; real processes: :func:`cli`)."""
    result = CliRunner().invoke(app, list(args))
    return Outcome(result.exit_code, result.output)


def cli_top(store: Path) -> dict[str, Any]:
    out = cli("top", "--store", str(store), "--limit", "3", "--format", "json")
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout)
    return result
