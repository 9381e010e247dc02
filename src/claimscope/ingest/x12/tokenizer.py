"""Delimiters from the ISA header, and a chunked segment stream with bounded memory.

X12 declares its own delimiters: the element separator is the byte right after ``ISA``, the
component separator is ISA16, the segment terminator is the byte after ISA16 and (5010) the
repetition separator is ISA11. Many senders add a line break after each terminator; it is
tolerated and not part of the next segment.

The stream is decoded as Latin-1: every byte maps to one character, so decoding never fails
and bad bytes surface as unknown segments or invalid values (which the loop parser reports)
instead of a decoding traceback. X12 data is ASCII, so valid files decode unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from claimscope.ingest.base import IngestError

CHUNK_BYTES = 4 << 20
ISA_ELEMENTS = 16
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Delimiters:
    """The delimiters one interchange declares in its ISA segment."""

    element: str
    component: str
    segment: str
    repetition: str | None
    line_suffix: str  # line break written after each terminator ("" when none)


def _header_start(head: bytes) -> int:
    """Offset of ``ISA`` after an optional byte-order mark and leading whitespace."""
    start = len(_BOM) if head.startswith(_BOM) else 0
    while start < len(head) and head[start : start + 1] in (b" ", b"\t", b"\r", b"\n"):
        start += 1
    return start


def looks_like_x12(head: bytes) -> bool:
    """True when ``head`` starts (after BOM/whitespace) with an ISA segment header."""
    start = _header_start(head)
    if head[start : start + 3] != b"ISA" or len(head) < start + 4:
        return False
    separator = head[start + 3 : start + 4]
    return not separator.isalnum() and separator not in (b" ", b"\r", b"\n")


def read_delimiters(head: bytes, file: str) -> Delimiters:
    """Delimiters of the first interchange; :class:`IngestError` naming ``file`` if invalid."""
    start = _header_start(head)
    if not looks_like_x12(head):
        raise IngestError(f"{file}: not an X12 interchange (the file does not start with ISA)")
    text = head[start : start + 1024].decode("latin-1")
    element = text[3]
    position = 3
    for _ in range(ISA_ELEMENTS - 1):
        position = text.find(element, position + 1)
        if position < 0:
            raise IngestError(f"{file}: segment 1 (ISA) is incomplete: fewer than 16 elements")
    if len(text) < position + 3:
        raise IngestError(f"{file}: segment 1 (ISA) is truncated before ISA16")
    component, segment = text[position + 1], text[position + 2]
    _check_distinct(file, element, component, segment)
    suffix = _line_suffix(text[position + 3 : position + 5], segment)
    repetition = text.split(element)[11][:1]
    return Delimiters(
        element=element,
        component=component,
        segment=segment,
        # 4010 interchanges carry the standards identifier "U" in ISA11, not a separator.
        repetition=None if repetition.isalnum() or not repetition else repetition,
        line_suffix=suffix,
    )


def _check_distinct(file: str, element: str, component: str, segment: str) -> None:
    for name, char in (("component separator (ISA16)", component), ("segment terminator", segment)):
        if char.isalnum() or char == " ":
            raise IngestError(f"{file}: segment 1 (ISA): invalid {name} {char!r}")
    if len({element, component, segment}) != 3:
        raise IngestError(
            f"{file}: segment 1 (ISA): element separator, component separator and segment "
            f"terminator must differ (got {element!r}, {component!r}, {segment!r})"
        )


def _line_suffix(after: str, segment: str) -> str:
    if segment in "\r\n":
        return "\n" if segment == "\r" and after.startswith("\n") else ""
    if after.startswith("\r\n"):
        return "\r\n"
    return after[:1] if after[:1] in ("\n", "\r") else ""


def iter_segment_lists(
    stream: BinaryIO, delimiters: Delimiters, file: str, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[list[str]]:
    """Yield lists of complete segments (terminator removed), reading ``chunk_bytes`` at a time.

    Pieces keep any whitespace that a chunk boundary or an inconsistent line break left in
    front of them, and blank pieces are kept: the consumer strips or skips them when a piece
    is not a known segment, which keeps this hot loop free of per-piece Python work. At end of
    file a non-blank unterminated remainder raises :class:`IngestError` (the file is truncated).
    """
    terminator = delimiters.segment
    joined = terminator + delimiters.line_suffix
    carry = ""
    first = True
    while True:
        block = stream.read(chunk_bytes)
        if not block:
            break
        if first:
            block = block[_header_start(block) :]
            first = False
        text = carry + block.decode("latin-1")
        if delimiters.line_suffix:
            text = text.replace(joined, terminator)
        pieces = text.split(terminator)
        carry = pieces.pop()
        if pieces:
            yield pieces
    if carry.strip():
        raise IngestError(
            f"{file}: the file ends inside a segment ({_preview(carry)!r} has no segment "
            f"terminator {terminator!r}): truncated or wrong delimiters"
        )


def _preview(text: str, limit: int = 40) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "..."
