"""Property tests: any bytes, and any mutation of a valid 837, give reconciling batches or an
IngestError naming the file - never another exception; and mutations that keep a file valid
(line breaks between segments, other amounts and units, other claim ids) still load every
service line with the new values."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claimscope.ingest.base import IngestError
from claimscope.ingest.x12.reader import READER
from tests.conftest import SHARED_DATA
from tests.test_x12_helpers import loads_cleanly, read_all

VALID = [p.read_bytes() for p in sorted((SHARED_DATA / "x12").glob("837*"))]
SETTINGS = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Bytes that matter to the parser: delimiters, digits, segment tags, line breaks.
INTERESTING = st.sampled_from(
    [b"~", b"*", b":", b">", b"^", b"\n", b"\r", b"0", b"9", b"-", b".", b"", b"LX", b"SV1",
     b"CLM", b"HL", b"SE", b"ST", b"DTP*472*RD8*", b"\x00", b"\xff", b" "]
)  # fmt: skip


def check(content: bytes) -> None:
    """The reader's contract on one input."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.837"
        path.write_bytes(content)
        try:
            result = read_all(READER, path)
        except IngestError as error:
            assert str(path) in str(error)
            return
        assert result.read_count == result.table.num_rows + len(result.quarantined)
        segments = content.count(b"~") + content.count(b"\n") + 1
        for row in result.column("source_row"):
            assert isinstance(row, int) and 1 <= row <= segments
        for record in result.quarantined:
            assert record.file == str(path) and record.row >= 1 and record.reason


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes(content: bytes) -> None:
    check(content)


@SETTINGS
@given(st.binary(max_size=200))
def test_arbitrary_bytes_after_a_valid_header(content: bytes) -> None:
    check(VALID[0][:106] + content)


@SETTINGS
@given(
    st.sampled_from(VALID),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 8), INTERESTING), max_size=6),
)
def test_mutated_valid_files(original: bytes, edits: list[tuple[float, int, bytes]]) -> None:
    content = bytearray(original)
    for where, cut, insert in edits:
        at = int(where * len(content))
        content[at : at + cut] = insert
    check(bytes(content))


@SETTINGS
@given(st.sampled_from(VALID), st.floats(0, 1))
def test_truncated_valid_files(original: bytes, where: float) -> None:
    check(original[: int(where * len(original))])


def _valid_edit(text: str, breaks: list[str], charges: list[int], units: list[int]) -> str:
    """``text`` with segment i followed by breaks[i], and the n-th service line's charge and
    units set to charges[n] cents and units[n]."""
    segments = [segment for segment in text.split("~") if segment.strip()]
    lines = 0
    for i, segment in enumerate(segments):
        elements = segment.strip().split("*")
        if elements[0] in ("SV1", "SV2"):
            charge_at, units_at = (2, 4) if elements[0] == "SV1" else (3, 5)
            elements[charge_at] = f"{charges[lines % len(charges)] / 100:.2f}"
            elements[units_at] = str(units[lines % len(units)])
            lines += 1
        segments[i] = "*".join(elements) + "~" + breaks[i % len(breaks)]
    return "".join(segments)


@SETTINGS
@given(
    st.sampled_from(VALID),
    st.lists(st.sampled_from(["", "\n", "\r\n"]), min_size=1, max_size=7),
    st.lists(st.integers(1, 10_000_000), min_size=1, max_size=5),
    st.lists(st.integers(1, 99), min_size=1, max_size=5),
)
def test_valid_mutations_still_load(
    original: bytes, breaks: list[str], charges: list[int], units: list[int]
) -> None:
    text = _valid_edit(original.decode(), breaks, charges, units)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "valid.837"
        path.write_text(text)
        result = read_all(READER, path)  # an IngestError here fails the test
    lines = original.count(b"~LX*") + original.count(b"\nLX*")
    assert result.quarantined == [] and result.table.num_rows == result.read_count == lines
    assert loads_cleanly(result).all()
    n = result.table.num_rows
    assert [float(c) for c in result.column("charge_amount")] == [
        charges[i % len(charges)] / 100 for i in range(n)
    ]
    assert [float(u) for u in result.column("units")] == [units[i % len(units)] for i in range(n)]
