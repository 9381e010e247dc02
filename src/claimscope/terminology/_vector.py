"""Mapping an Arrow string column through a scalar lookup, one call per distinct value.

Claim files repeat a few hundred distinct taxonomy codes, specialties or place-of-service codes
across millions of rows, so each chunk is dictionary-encoded, the lookup runs once per distinct
value (results are memoised across chunks), and the answers are gathered back with ``take``.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

Lookup = Callable[[str], str | None]


def _map_chunk(chunk: pa.Array, lookup: Lookup, memo: dict[str, str | None]) -> pa.Array:
    encoded = chunk if pa.types.is_dictionary(chunk.type) else pc.dictionary_encode(chunk)
    values = encoded.dictionary.to_pylist()
    out = []
    for v in values:
        if v not in memo:
            memo[v] = lookup(v) if isinstance(v, str) else None
        out.append(memo[v])
    mapped = pa.array(out, type=pa.string())
    # Null indices (null input rows) stay null through take.
    return mapped.take(encoded.indices)


def map_strings(values: pa.Array | pa.ChunkedArray, lookup: Lookup) -> pa.Array | pa.ChunkedArray:
    """Apply ``lookup`` to every string in ``values``; returns the same shape (Array/Chunked).

    Nulls map to null. ``values`` may be string, large_string or dictionary-encoded strings.
    """
    memo: dict[str, str | None] = {}
    if isinstance(values, pa.ChunkedArray):
        chunks = [_map_chunk(c, lookup, memo) for c in values.chunks]
        return pa.chunked_array(chunks, type=pa.string())
    return _map_chunk(values, lookup, memo)
