"""Where a claimscope store keeps its files.

A store is one directory::

    <root>/lines/<source>/<YYYY-MM>/part-<batch_id>-<n>.parquet   canonical claim lines
    <root>/quarantine/<batch_id>.csv                              rows that were not loaded
    <root>/ledger.jsonl                                           one JSON line per ingested file
    <root>/secret.key                                             per-store pseudonymisation key
    <root>/.staging/<batch_id>/                                   files of a batch being written

Directory names carry no ``key=value`` pairs on purpose: Spark and DuckDB hive-partition
discovery would otherwise add columns that collide with the physical ``source`` column.
Files of a batch are written under ``.staging`` and moved into ``lines/`` only when the whole
input file has been read, so a failed ingest leaves nothing behind in ``lines/``.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

STORE_ENV: Final = "CLAIMSCOPE_STORE"
DEFAULT_STORE_DIR: Final = "claimscope-store"
_SOURCE_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class StoreError(Exception):
    """The store directory is missing, not a store, or a label is not usable in it."""


def default_store_root() -> Path:
    """The store used when none is given: ``$CLAIMSCOPE_STORE``, else ``./claimscope-store``."""
    configured = os.environ.get(STORE_ENV, "").strip()
    return Path(configured) if configured else Path.cwd() / DEFAULT_STORE_DIR


def check_source_label(source: str) -> str:
    """Return ``source`` if it can name a directory in the store, else raise :class:`StoreError`.

    Labels are lower case letters, digits, ``_``, ``-`` and ``.`` (at most 64 characters), so
    they are safe as directory names on every platform and in query globs.
    """
    if not _SOURCE_RE.match(source):
        raise StoreError(
            f"source label {source!r} is not usable: use 1-64 lower-case letters, digits, "
            "'_', '-' or '.', starting with a letter or digit"
        )
    return source


@dataclass(frozen=True)
class Store:
    """Paths of one store directory. Create or check one with :meth:`Store.open`."""

    root: Path

    @classmethod
    def open(cls, root: Path | str | None = None, *, create: bool = True) -> Store:
        """Open the store at ``root`` (default :func:`default_store_root`).

        With ``create=True`` missing directories are made; otherwise a missing store raises
        :class:`StoreError` naming the path.
        """
        store = cls(Path(root) if root is not None else default_store_root())
        if create:
            for folder in (store.lines_dir, store.quarantine_dir, store.staging_dir):
                folder.mkdir(parents=True, exist_ok=True)
        elif not store.lines_dir.is_dir():
            raise StoreError(f"no claimscope store at {store.root} (expected {store.lines_dir})")
        return store

    @property
    def lines_dir(self) -> Path:
        return self.root / "lines"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def staging_dir(self) -> Path:
        return self.root / ".staging"

    @property
    def ledger_path(self) -> Path:
        return self.root / "ledger.jsonl"

    @property
    def secret_path(self) -> Path:
        return self.root / "secret.key"

    @property
    def lock_path(self) -> Path:
        return self.root / ".lock"

    @property
    def lines_glob(self) -> str:
        """Glob matching every claim-line Parquet file (for DuckDB / Spark readers)."""
        return str(self.lines_dir / "*" / "*" / "*.parquet")

    def source_dir(self, source: str) -> Path:
        return self.lines_dir / check_source_label(source)

    def month_dir(self, source: str, month: str) -> Path:
        """Folder of one source's lines for ``month`` given as ``YYYY-MM``."""
        return self.source_dir(source) / month

    def quarantine_file(self, batch_id: str) -> Path:
        return self.quarantine_dir / f"{batch_id}.csv"

    def batch_staging_dir(self, batch_id: str) -> Path:
        return self.staging_dir / batch_id

    def parquet_files(self, source: str | None = None) -> list[Path]:
        """Every claim-line file in the store (or of one source), sorted by path."""
        base = self.source_dir(source) if source else self.lines_dir
        pattern = "*/*.parquet" if source else "*/*/*.parquet"
        return sorted(base.glob(pattern))

    def batch_files(self, source: str, batch_id: str) -> list[Path]:
        """The claim-line files one batch wrote for ``source``."""
        return sorted(self.source_dir(source).glob(f"*/part-{batch_id}-*.parquet"))

    def sources(self) -> list[str]:
        """Source labels that have at least one folder of lines."""
        if not self.lines_dir.is_dir():
            return []
        return sorted(p.name for p in self.lines_dir.iterdir() if p.is_dir())

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the store's write lock (one writer at a time; readers never need it)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self.lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
