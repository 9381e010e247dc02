"""Store layout, per-store secret and the ingest records read from the table log."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from claimscope.store.layout import (
    Store,
    StoreError,
    check_source_label,
    default_store_root,
)
from claimscope.store.ledger import LedgerEntry, file_sha256, live_entries
from claimscope.store.secret import SecretError, load_or_create_secret
from claimscope.store.table import Commit


def test_open_creates_the_documented_folders(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s")
    assert store.table_dir == tmp_path / "s" / "claims"
    assert store.quarantine_dir.is_dir() and not store.has_table()
    assert store.secret_path.name == "secret.key"
    assert store.quarantine_file("b1") == tmp_path / "s" / "quarantine" / "b1.csv"
    assert not store.has_old_layout()


def test_open_without_create_names_the_missing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no claimscope store at"):
        Store.open(tmp_path / "absent", create=False)


def test_default_root_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMSCOPE_STORE", str(tmp_path / "env-store"))
    assert default_store_root() == tmp_path / "env-store"
    monkeypatch.delenv("CLAIMSCOPE_STORE")
    monkeypatch.chdir(tmp_path)
    assert default_store_root() == tmp_path / "claimscope-store"


@pytest.mark.parametrize("label", ["Tuva", "a b", "../x", "", "x" * 65, "source=a"])
def test_source_labels_that_cannot_be_folder_names_are_refused(label: str) -> None:
    with pytest.raises(StoreError, match="not usable"):
        check_source_label(label)


def test_secret_is_created_once_with_owner_only_mode(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    first = load_or_create_secret(path)
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(path) == first
    assert load_or_create_secret(tmp_path / "other.key") != first


def test_secret_that_is_not_a_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_bytes(b"short")
    path.chmod(0o600)
    with pytest.raises(SecretError, match="5 bytes"):
        load_or_create_secret(path)
    path.write_bytes(bytes(32))
    path.chmod(0o644)
    with pytest.raises(SecretError, match="readable by others"):
        load_or_create_secret(path)


def _entry(batch_id: str, sha: str = "abc", source: str = "s") -> LedgerEntry:
    return LedgerEntry(
        batch_id=batch_id,
        path="/x.csv",
        size=10,
        sha256=sha,
        format="generic",
        source=source,
        read=3,
        loaded=2,
        quarantined=1,
        months=["2023-01"],
        ingested_at="2024-01-01T00:00:00+00:00",
    )


def test_live_records_drop_what_a_later_commit_replaced() -> None:
    history = [
        Commit(0, "t0", "CREATE TABLE", {"operation": "create"}, {}),
        Commit(1, "t1", "WRITE", {"ingest": _entry("b1").to_dict()}, {}),
        Commit(2, "t2", "WRITE", {"ingest": _entry("b2", sha="def").to_dict()}, {}),
        Commit(3, "t3", "OPTIMIZE", {"operation": "compact"}, {}),
        Commit(4, "t4", "WRITE", {"ingest": _entry("b3").to_dict(), "replaces": ["b1"]}, {}),
    ]
    live = live_entries(history)
    assert [(e.batch_id, e.version) for e in live] == [("b2", 2), ("b3", 4)]
    assert live[0] == LedgerEntry.from_dict(_entry("b2", sha="def").to_dict(), 2)


def test_file_sha256_matches_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    data = bytes(range(256)) * 50_000
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
