"""Patient pseudonymisation: stable within a store, different across stores, never raw."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from claimscope.ingest.pipeline import ingest_paths
from claimscope.ingest.pseudonymise import Pseudonymiser
from claimscope.store.layout import Store
from claimscope.store.secret import load_or_create_secret
from claimscope.store.table import read_lines

# Distinctive raw ids, so a byte search of the store cannot match by accident.
RAW_IDS = ["MRN-ZQX-000417", "MRN-ZQX-000418", "MRN-ZQX-000419"]


def blake2b_key(secret: bytes, source: str, raw_id: str) -> int:
    """The documented key, computed with hashlib alone: keyed BLAKE2b (8-byte digest) of
    source + U+001F + raw id, read as a big-endian signed 64-bit integer."""
    digest = hashlib.blake2b(f"{source}\x1f{raw_id}".encode(), key=secret, digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _write(path: Path, ids: list[str], *, bad_last: bool = False) -> Path:
    rows = [
        f"C{i},1,{pid},2023-0{1 + i % 3}-15,{'XX' if bad_last and i == len(ids) - 1 else '97110'},1"
        for i, pid in enumerate(ids)
    ]
    path.write_text(
        "claim_id,line_number,patient_id,service_from,hcpcs_code,units\n" + "\n".join(rows)
    )
    return path


def _keys(store: Store) -> dict[str, int]:
    table = read_lines(store)
    return dict(zip(table["claim_id"].to_pylist(), table["patient_key"].to_pylist(), strict=True))


def test_same_raw_id_same_key_within_a_store(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    one = ingest_paths([_write(tmp_path / "a.csv", RAW_IDS)], store, source="clinic")
    two = ingest_paths([_write(tmp_path / "b.csv", RAW_IDS[::-1])], store, source="clinic")
    table = read_lines(store)
    by_batch: dict[str, dict[str, int]] = {}
    for row in table.select(["batch_id", "claim_id", "patient_key"]).to_pylist():
        by_batch.setdefault(row["batch_id"], {})[row["claim_id"]] = row["patient_key"]
    first, second = by_batch[one.files[0].batch_id or ""], by_batch[two.files[0].batch_id or ""]
    assert first["C0"] == second["C2"] and first["C2"] == second["C0"]
    assert len(set(first.values())) == 3
    secret = load_or_create_secret(store.secret_path)
    assert first == {f"C{i}": blake2b_key(secret, "clinic", raw) for i, raw in enumerate(RAW_IDS)}


def test_different_stores_give_different_keys(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", RAW_IDS)
    one, two = Store.open(tmp_path / "one"), Store.open(tmp_path / "two")
    ingest_paths([path], one)
    ingest_paths([path], two)
    assert set(_keys(one).values()).isdisjoint(_keys(two).values())


def test_source_is_part_of_the_key() -> None:
    secret = bytes(range(32))
    keys = Pseudonymiser(secret, "a").keys(pa.array(["1", " 1 ", None, "2"]))
    one, two = blake2b_key(secret, "a", "1"), blake2b_key(secret, "a", "2")
    assert keys.to_pylist() == [one, one, None, two]
    assert Pseudonymiser(secret, "b").keys(pa.array(["1"])).to_pylist() == [
        blake2b_key(secret, "b", "1")
    ]
    assert blake2b_key(secret, "b", "1") != one
    # A known answer (hashlib, computed once), so a change of construction cannot pass.
    assert one == -4396396447485716234


def test_raw_ids_are_written_nowhere(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    path = _write(tmp_path / "a.csv", RAW_IDS, bad_last=True)
    parquet = tmp_path / "a.parquet"
    pq.write_table(
        pa.table(
            {
                "claim_id": ["P1"],
                "patient_id": [RAW_IDS[0]],
                "service_from": [date(2023, 1, 1)],
                "hcpcs_code": ["97140"],
                "units": [1.0],
            }
        ),
        parquet,
    )
    report = ingest_paths([path, parquet], store)
    assert report.quarantined == 1 and report.loaded == 3
    written = [p for p in store.root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".csv" for p in written)  # the quarantine file is searched too
    for p in written:
        data = p.read_bytes()
        for raw in RAW_IDS:
            assert raw.encode() not in data, f"{raw} found in {p}"
