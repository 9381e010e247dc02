"""``write_synthetic``: generated claims to Parquet or CSV part files, with a report."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from claimscope.synth.generator import DEFAULT_END, DEFAULT_START, generate_claims
from claimscope.synth.params import load

FORMATS = ("parquet", "csv")
PART_LINES = 2_000_000
PART_NAME = re.compile(r"^part-\d{5}\.(parquet|csv)$")


@dataclass(frozen=True)
class SynthReport:
    """What :func:`write_synthetic` wrote."""

    out: Path
    fmt: str
    seed: int
    lines: int
    claims: int
    patients: int
    providers: int  # distinct rendering NPIs
    files: tuple[Path, ...]
    seconds: float

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds > 0 else float("inf")


def write_synthetic(
    out: Path,
    lines: int,
    seed: int = 42,
    fmt: str = "parquet",
    progress: Callable[[int], None] | None = None,
    *,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
) -> SynthReport:
    """Write ``lines`` synthetic claim lines to part files ``out/part-NNNNN.<fmt>``.

    ``out`` is a directory, created if needed; part files from an earlier run there are
    replaced, and a directory holding anything else is refused (``FileExistsError``) so user
    data is never mixed with or overwritten by synthetic data. ``progress`` is called with the
    number of lines written so far after each part. Raises ``ValueError`` on an unknown
    format or a non-positive line count.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    out = Path(out)
    _prepare(out)
    started = time.perf_counter()
    parts = _Parts(out, fmt)
    written = claims = patients = 0
    npis: set[str] = set()
    for table in generate_claims(lines, seed, start=start, end=end):
        parts.write(table)
        written += table.num_rows
        # Claim and patient ids carry the batch number, so per-batch counts add up.
        claims += pc.count_distinct(table["claim_id"]).as_py()
        patients += pc.count_distinct(table["patient_id"]).as_py()
        npis.update(pc.unique(table["rendering_npi"]).to_pylist())
        if progress is not None:
            progress(written)
    files = parts.close()
    return SynthReport(
        out=out,
        fmt=fmt,
        seed=seed,
        lines=written,
        claims=claims,
        patients=patients,
        providers=len(npis - {None}),
        files=tuple(files),
        seconds=time.perf_counter() - started,
    )


class _Parts:
    """Part files of up to :data:`PART_LINES` lines, each filled from several batches.

    Few large parts matter downstream: each input file becomes one ingest batch, and one
    Parquet file per month folder per batch.
    """

    def __init__(self, out: Path, fmt: str) -> None:
        self.out, self.fmt = out, fmt
        self.files: list[Path] = []
        self._writer: pq.ParquetWriter | pacsv.CSVWriter | None = None
        self._lines = 0

    def write(self, table: pa.Table) -> None:
        if self._writer is None or self._lines >= PART_LINES:
            self._open(table.schema)
        assert self._writer is not None
        self._writer.write_table(table)
        self._lines += table.num_rows

    def _open(self, schema: pa.Schema) -> None:
        self.close()
        path = self.out / f"part-{len(self.files):05d}.{self.fmt}"
        if self.fmt == "parquet":
            self._writer = pq.ParquetWriter(path, schema, compression="zstd")
        else:
            self._writer = pacsv.CSVWriter(path, schema)
        self.files.append(path)
        self._lines = 0

    def close(self) -> list[Path]:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        return self.files


def _prepare(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    foreign = [p.name for p in out.iterdir() if not PART_NAME.match(p.name)]
    if foreign:
        raise FileExistsError(
            f"{out} holds files that are not synthetic part files ({', '.join(sorted(foreign)[:3])}"
            f"{', ...' if len(foreign) > 3 else ''}); choose an empty or new directory"
        )
    for old in out.iterdir():
        old.unlink()


def published_shares() -> dict[str, dict[str, float]]:
    """The published figures the generator is calibrated to, as fractions.

    ``rehab``: top 15 codes of 97010-97799, all-payor, Jan-Sep 2023; ``ot``: the published
    occupational-therapist list (2022). The physical-therapist list is published as an order
    only (``pt_order`` in targets.toml), so it has no shares here.
    """
    targets = load().targets
    return {"rehab": dict(targets.published), "ot": dict(targets.ot_shares)}
