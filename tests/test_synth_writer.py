"""write_synthetic: part files, formats, report figures, determinism on disk, safety."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from claimscope.synth import generator, write_synthetic, writer


def digest(files: tuple[Path, ...]) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in files]


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts of 20,000 lines so that several files are written quickly."""
    monkeypatch.setattr(generator, "BATCH_LINES", 20_000)
    monkeypatch.setattr(writer, "PART_LINES", 20_000)


@pytest.mark.usefixtures("small_parts")
def test_parquet_parts_and_report(tmp_path: Path) -> None:
    seen: list[int] = []
    report = write_synthetic(tmp_path / "out", 50_000, seed=4, progress=seen.append)
    assert [p.name for p in report.files] == [
        "part-00000.parquet", "part-00001.parquet", "part-00002.parquet",
    ]  # fmt: skip
    assert seen == [20_000, 40_000, 50_000]
    table = pq.read_table(tmp_path / "out")
    assert table.num_rows == report.lines == 50_000
    assert report.claims == len(set(table["claim_id"].to_pylist()))
    assert report.patients == len(set(table["patient_id"].to_pylist()))
    assert report.providers == len(set(table["rendering_npi"].to_pylist()))
    assert report.claims < report.lines and report.patients < report.claims
    assert report.seconds > 0 and report.lines_per_second > 0


@pytest.mark.usefixtures("small_parts")
def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    a = write_synthetic(tmp_path / "a", 30_000, seed=8)
    b = write_synthetic(tmp_path / "b", 30_000, seed=8)
    c = write_synthetic(tmp_path / "c", 30_000, seed=9)
    assert digest(a.files) == digest(b.files)
    assert digest(a.files) != digest(c.files)


def test_csv_round_trips_the_values(tmp_path: Path) -> None:
    report = write_synthetic(tmp_path / "csv", 5_000, seed=2, fmt="csv")
    (path,) = report.files
    assert path.name == "part-00000.csv"
    parquet = write_synthetic(tmp_path / "pq", 5_000, seed=2)
    expected = pq.read_table(parquet.files[0])
    options = pacsv.ConvertOptions(column_types=expected.schema, strings_can_be_null=True)
    got = pacsv.read_csv(path, convert_options=options)
    assert got.num_rows == 5_000
    for name in ("claim_id", "hcpcs_code", "units", "paid_amount", "service_from", "modifier_1"):
        assert got[name].equals(expected[name]), name
    header = path.read_text().splitlines()[0]
    assert header.startswith('"record_kind","claim_id"')


def test_rerun_replaces_parts_and_foreign_files_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_synthetic(out, 2_000, seed=1, fmt="csv")
    report = write_synthetic(out, 2_000, seed=1)
    assert sorted(p.name for p in out.iterdir()) == ["part-00000.parquet"]
    assert pq.read_table(report.files[0]).num_rows == 2_000
    (out / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match=r"notes\.txt"):
        write_synthetic(out, 2_000)
    assert (out / "notes.txt").read_text() == "mine"
    with pytest.raises(ValueError, match="unknown format"):
        write_synthetic(tmp_path / "x", 10, fmt="xlsx")


def test_tables_concatenate_across_parts(tmp_path: Path, small_parts: None) -> None:
    parts = list(generator.generate_claims(45_000, 3))
    assert [t.num_rows for t in parts] == [20_000, 20_000, 5_000]
    table = pa.concat_tables(parts)  # same schema in every part
    claims = table["claim_id"].to_pylist()
    # No claim spans two parts: the first claim of a part never appears in the previous one.
    assert claims[20_000] not in set(claims[:20_000])
