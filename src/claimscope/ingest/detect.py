"""Recognise the format of an input file from its first bytes.

Every registered reader is asked in registry order (most specific first, the generic layout
last); the first whose ``sniff`` says yes wins. A file no reader recognises is an
:class:`UnrecognisedFormat` error listing the formats known, so the user can pass one
explicitly; a file that cannot be read at all (empty, damaged Parquet) is an :class:`IngestError`.
"""

from __future__ import annotations

from pathlib import Path

from claimscope.ingest import registry
from claimscope.ingest.base import IngestError
from claimscope.ingest.tabular import parquet_columns, read_head


class UnrecognisedFormat(IngestError):
    """A readable file that no reader recognises (in a directory: not a claims file)."""


def detect_format(path: Path) -> str:
    """Name of the registered format of ``path``; :class:`IngestError` when none matches."""
    try:
        head = read_head(path)
    except OSError as exc:
        raise IngestError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if not head:
        raise IngestError(f"{path}: file is empty")
    parquet_columns(path, head, reading=True)  # a damaged Parquet file is unreadable, not unknown
    for name in registry.format_names():
        try:
            reader = registry.get_reader(name)
        except ImportError:
            continue  # a format whose reader is not installed in this build
        if reader.sniff(path, head):
            return name
    # Names only: the reason also fills a row of the batch summary table; docs/formats.md
    # describes each format.
    known = ", ".join(registry.format_names())
    raise UnrecognisedFormat(
        f"{path}: format not recognised; pass one with --format ({known}; see docs/formats.md)"
    )
