"""Property tests: any bytes, any JSON, and mutated EOBs give reconciling batches or an
IngestError naming the file - never another exception; and edits that keep an EOB valid (other
quantities, dates, ids, layout: compact, indented, NDJSON, Bundle) still load every coded item
with the new values."""

from __future__ import annotations

import copy
import json
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claimscope.ingest.base import IngestError
from claimscope.ingest.fhir import READER
from tests.conftest import SHARED_DATA
from tests.test_x12_helpers import loads_cleanly, read_all

EOBS = [
    json.loads((SHARED_DATA / "bfd" / name).read_text())
    for name in (
        "fhir_v2_eobReadCarrier.json",
        "idr_out_ExplanationOfBenefit-Carrier.json",
        "fhir_v2_eobReadCarrierWithMultipleLines.json",
    )
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


def _coded(item: dict[str, Any]) -> bool:
    codings = item.get("productOrService", {}).get("coding", [])
    systems = [c.get("system", "").lower() for c in codings]
    return any("hcpcs" in system or "cpt" in system for system in systems)


def _layout(eob: dict[str, Any], layout: str) -> tuple[bytes, str]:
    if layout == "ndjson":
        return (json.dumps(eob) + "\n").encode(), "eob.ndjson"
    if layout == "bundle":
        bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": eob}]}
        return json.dumps(bundle).encode(), "bundle.json"
    return json.dumps(eob, indent=2 if layout == "indented" else None).encode(), "eob.json"


@SETTINGS
@given(
    st.sampled_from(range(len(EOBS))),
    st.lists(st.integers(1, 500), min_size=1, max_size=4),
    st.dates(date(2000, 1, 1), date(2029, 12, 31)),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=20),
    st.sampled_from(["compact", "indented", "ndjson", "bundle"]),
)
def test_valid_mutations_still_load(
    which: int, quantities: list[int], served: date, claim_id: str, layout: str
) -> None:
    edited = copy.deepcopy(EOBS[which])
    edited["id"] = f"carrier-{claim_id}"
    for identifier in edited.get("identifier", []):
        identifier["value"] = claim_id
    for index, item in enumerate(edited["item"]):
        item["quantity"] = {"value": quantities[index % len(quantities)]}
        item.pop("servicedPeriod", None)
        item["servicedDate"] = served.isoformat()
    coded = [i for i, item in enumerate(edited["item"]) if _coded(item)]
    content, name = _layout(edited, layout)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        result = read_all(READER, path)  # an IngestError here fails the test
    assert result.table.num_rows == len(coded) and result.read_count == len(edited["item"])
    assert loads_cleanly(result).all()
    expected_units = sorted(float(quantities[i % len(quantities)]) for i in coded)
    assert sorted(float(u) for u in result.column("units")) == expected_units
    assert set(result.column("service_from")) == {served.isoformat()}
