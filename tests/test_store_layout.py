"""Store layout, per-store secret and ingest ledger."""

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
from claimscope.store.ledger import Ledger, LedgerEntry, file_sha256
from claimscope.store.secret import SecretError, load_or_create_secret


def test_open_creates_the_documented_folders(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s")
    assert store.lines_dir == tmp_path / "s" / "lines"
    assert store.quarantine_dir.is_dir() and store.lines_dir.is_dir()
    assert store.ledger_path.name == "ledger.jsonl"
    assert store.secret_path.name == "secret.key"
    assert store.month_dir("tuva", "2017-06") == tmp_path / "s" / "lines" / "tuva" / "2017-06"
    assert store.quarantine_file("b1") == tmp_path / "s" / "quarantine" / "b1.csv"


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


def test_ledger_appends_finds_and_removes(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    assert ledger.entries() == []
    ledger.append(_entry("b1"))
    ledger.append(_entry("b2", sha="def"))
    ledger.append(_entry("b3", source="other"))
    assert [e.batch_id for e in ledger.find("abc", "s")] == ["b1"]
    assert ledger.find("abc", "nope") == []
    ledger.remove(["b1"])
    assert [e.batch_id for e in ledger.entries()] == ["b2", "b3"]
    assert ledger.entries()[0] == _entry("b2", sha="def")


def test_file_sha256_matches_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    data = bytes(range(256)) * 50_000
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
