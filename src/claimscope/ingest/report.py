"""What an ingest run reports: per-file counts and warnings, progress events, options."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from claimscope.ingest.validate import Limits

_MAX_EXAMPLES: Final = 5


class Warnings:
    """File-level warnings: a message, how many rows it concerns, and a few example values."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._examples: dict[str, list[str]] = {}

    def add(self, message: str, rows: int = 0, examples: list[str] | None = None) -> None:
        """Count ``rows`` more rows under ``message`` (0 for a note without a row count)."""
        self._counts[message] = self._counts.get(message, 0) + rows
        shown = self._examples.setdefault(message, [])
        for value in examples or []:
            if value not in shown and len(shown) < _MAX_EXAMPLES:
                shown.append(value)

    def messages(self) -> list[str]:
        """Human-readable lines, in the order first seen."""
        out = []
        for message, rows in self._counts.items():
            text = f"{message}: {rows} rows" if rows else message
            examples = self._examples.get(message)
            if examples:
                text += f" (e.g. {', '.join(repr(e) for e in examples)})"
            out.append(text)
        return out


@dataclass(frozen=True)
class IngestOptions:
    """Options of one ingest run.

    ``year``: calendar year of CMS PUF files whose name does not say it. ``providers``: Tuva
    provider file to enrich lines with taxonomy and state. ``batch_rows`` bounds memory per
    batch; ``limits`` are the plausibility bounds of validation. ``strict`` quarantines rows
    whose identifiers or descriptive values fail validation, instead of loading them with
    those values unknown (see :mod:`claimscope.ingest.validate`). ``batch_key`` names the
    loaded file's identity instead of its file name (``--replace`` replaces by identity);
    ``allow_duplicate`` loads content already in the store under another identity.
    """

    year: int | None = None
    providers: Path | None = None
    batch_rows: int = 500_000
    limits: Limits = field(default_factory=Limits)
    strict: bool = False
    batch_key: str | None = None
    allow_duplicate: bool = False


@dataclass(frozen=True)
class ProgressEvent:
    """Emitted after every batch and when a file is done (``done=True``)."""

    path: Path
    file_index: int
    file_count: int
    rows_read: int
    bytes_read: int | None
    bytes_total: int
    done: bool = False


LOADED: Final = "loaded"
SKIPPED: Final = "skipped"
REJECTED: Final = "rejected"


@dataclass
class FileReport:
    """Outcome for one input file.

    ``status`` is ``loaded``, ``skipped`` (the same bytes are already in the source, or a file
    in a directory that no reader recognises; ``reason`` says which) or ``rejected`` (the file
    could not be read; ``reason`` says why, and nothing of it was loaded).
    ``warning_reasons`` counts loaded rows per (field, reason) whose value failed validation
    and was loaded as unknown; the rows and raw values are in ``warnings_file``.
    """

    path: Path
    format: str
    source: str
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    status: str = LOADED
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    batch_id: str | None = None
    quarantine_file: Path | None = None
    warnings_file: Path | None = None
    months: list[str] = field(default_factory=list)
    quarantine_reasons: dict[tuple[str, str], int] = field(default_factory=dict)
    warning_reasons: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def skipped(self) -> bool:
        return self.status == SKIPPED

    @property
    def rejected(self) -> bool:
        return self.status == REJECTED

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "format": self.format,
            "source": self.source,
            "status": self.status,
            "reason": self.reason,
            "read": self.read,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "skipped": self.skipped,
            "warnings": list(self.warnings),
            "batch_id": self.batch_id,
            "quarantine_file": str(self.quarantine_file) if self.quarantine_file else None,
            "warnings_file": str(self.warnings_file) if self.warnings_file else None,
            "months": list(self.months),
            "quarantine_reasons": _reasons(self.quarantine_reasons),
            "warning_reasons": _reasons(self.warning_reasons),
        }


def _reasons(counts: dict[tuple[str, str], int]) -> list[dict[str, Any]]:
    return [{"field": f, "reason": r, "rows": n} for (f, r), n in counts.items()]


@dataclass
class IngestReport:
    """Outcome of :func:`claimscope.ingest.pipeline.ingest_paths`.

    ``quarantine_path`` is the store's quarantine folder; each file's own quarantine CSV (one
    per batch, only when rows were quarantined) is in its ``quarantine_file``.
    """

    files: list[FileReport]
    quarantine_path: Path

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files)

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    @property
    def rejected(self) -> list[FileReport]:
        """Files that could not be read (nothing of them was loaded)."""
        return [f for f in self.files if f.rejected]

    @property
    def warned(self) -> int:
        """Loaded rows' soft findings (a row with two invalid identifiers counts twice)."""
        return sum(sum(f.warning_reasons.values()) for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (a contract: keys are only ever added)."""
        return {
            "files": [f.to_dict() for f in self.files],
            "read": self.read,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "warning_count": self.warned,
            "rejected_files": len(self.rejected),
            "quarantine_path": str(self.quarantine_path),
        }
