"""Property tests: any bytes, any JSON, and mutated EOBs give reconciling batches or an
IngestError naming the file - never another exception."""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claimscope.ingest.base import IngestError
from claimscope.ingest.fhir import READER
from tests.conftest import SHARED_DATA
from tests.test_x12_helpers import read_all

EOBS = [
    json.loads((SHARED_DATA / "bfd" / name).read_text())
    for name in ("fhir_v2_eobReadCarrier.json", "idr_out_ExplanationOfBenefit-Carrier.json")
]
SETTINGS = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def check(content: bytes, name: str = "fuzz.json") -> None:
    """The reader's contract on one input."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            result = read_all(READER, path)
        except IngestError as error:
            assert str(path) in str(error)
            return
        assert result.read_count == result.table.num_rows + len(result.quarantined)
        for record in result.quarantined:
            assert record.file == str(path) and record.row >= 1 and record.reason


def nodes_of(value: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every node below ``value``, depth first."""
    found: list[tuple[Any, Any]] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            children: list[tuple[Any, Any]] = list(node.items())
        elif isinstance(node, list):
            children = list(enumerate(node))
        else:
            continue
        for key, child in children:
            found.append((node, key))
            stack.append(child)
    return found


def mutate(value: Any, edits: list[tuple[int, Any]]) -> Any:
    """Replace the n-th node of ``value`` by each given replacement."""
    value = copy.deepcopy(value)
    for index, replacement in edits:
        nodes = nodes_of(value)
        if nodes:
            parent, key = nodes[index % len(nodes)]
            parent[key] = replacement
    return value


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes(content: bytes) -> None:
    check(content)


@SETTINGS
@given(JSON)
def test_arbitrary_json_document(value: Any) -> None:
    check(json.dumps(value).encode())
    check(json.dumps({"resourceType": "ExplanationOfBenefit", "item": value}).encode())


@SETTINGS
@given(st.lists(JSON, max_size=5))
def test_arbitrary_ndjson_lines(values: list[Any]) -> None:
    lines = [json.dumps(EOBS[0]), *(json.dumps(v) for v in values)]
    check("\n".join(lines).encode(), "fuzz.ndjson")


@SETTINGS
@given(
    st.sampled_from(EOBS), st.lists(st.tuples(st.integers(0, 5000), JSON), min_size=1, max_size=4)
)
def test_mutated_explanations_of_benefit(eob: dict[str, Any], edits: list[tuple[int, Any]]) -> None:
    check(json.dumps(mutate(eob, edits)).encode())
