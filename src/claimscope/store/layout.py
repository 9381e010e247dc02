"""Where a claimscope store keeps its files.

A store is one directory::

    <root>/claims/                         the claim lines: one Delta Lake table
    <root>/claims/_delta_log/              its transaction log (versions, ingest records)
    <root>/claims/service_month=YYYY-MM-01/part-<batch_id>-<n>.parquet   data files
    <root>/quarantine/<batch_id>.csv       rows that were not loaded
    <root>/secret.key                      per-store pseudonymisation key
    <root>/.lock                           writers' lock (readers never take it)

Which data files hold the store's rows is decided by the table's log alone (see
:mod:`claimscope.store.table`): a file in ``claims/`` that no version references (left by a
killed writer) is never read. Stores written before the Delta table kept Parquet files under
``lines/<source>/<YYYY-MM>/`` and a ``ledger.jsonl``; ``claimscope upgrade`` converts them.
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

        With ``create=True`` missing directories are made (the table itself is created by the
        first ingest); otherwise a store with no claim table raises :class:`StoreError`.
        """
        store = cls(Path(root) if root is not None else default_store_root())
        if create:
            store.quarantine_dir.mkdir(parents=True, exist_ok=True)
        elif not store.has_table():
            raise StoreError(store.missing_message())
        return store

    def has_table(self) -> bool:
        return (self.table_dir / "_delta_log").is_dir()

    def has_old_layout(self) -> bool:
        """True for a store still in the pre-Delta layout (``lines/`` folders, a ledger)."""
        return self.lines_dir.is_dir() or self.ledger_path.exists()

    def missing_message(self) -> str:
        if self.has_old_layout():
            return (
                f"store {self.root} uses the old file layout: run `claimscope upgrade --store "
                f"{self.root}` (or ingest a file) to convert it to a Delta table"
            )
        return f"no claimscope store at {self.root}: load data with `claimscope ingest PATH`"

    @property
    def table_dir(self) -> Path:
        """The Delta table of claim lines."""
        return self.root / "claims"

    @property
    def lines_dir(self) -> Path:
        """Old layout only: ``lines/<source>/<YYYY-MM>/*.parquet``."""
        return self.root / "lines"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def ledger_path(self) -> Path:
        """Old layout only: one JSON line per ingested file."""
        return self.root / "ledger.jsonl"

    @property
    def secret_path(self) -> Path:
        return self.root / "secret.key"

    @property
    def lock_path(self) -> Path:
        return self.root / ".lock"

    def quarantine_file(self, batch_id: str) -> Path:
        return self.quarantine_dir / f"{batch_id}.csv"

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
