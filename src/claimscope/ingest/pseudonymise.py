"""Patient pseudonymisation: raw patient ids -> 64-bit keyed hashes.

``patient_key`` is the first 8 bytes of HMAC-SHA256(store secret, source + "\\x1f" + raw id),
read as a big-endian signed 64-bit integer. The source label is part of the message so that
two sources that happen to number patients alike (1, 2, 3, ...) do not share keys. The raw id
is hashed and dropped here: it is never written to the store or the quarantine files.
"""

from __future__ import annotations

import hmac

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from claimscope.ingest.parse import clean_strings

SEPARATOR = "\x1f"


def patient_key(secret: bytes, source: str, raw_id: str) -> int:
    """The key of one raw id (reference implementation; the pipeline uses :func:`patient_keys`)."""
    digest = hmac.digest(secret, f"{source}{SEPARATOR}{raw_id}".encode(), "sha256")
    return int.from_bytes(digest[:8], "big", signed=True)


def patient_keys(raw_ids: pa.Array, secret: bytes, source: str) -> pa.Array:
    """Keys of a column of raw ids (null stays null); each distinct id is hashed once."""
    if raw_ids.null_count == len(raw_ids):
        return pa.nulls(len(raw_ids), pa.int64())
    if not pa.types.is_dictionary(raw_ids.type):
        raw_ids = pc.dictionary_encode(raw_ids)
    # Trim and blank-to-null on the distinct values, exactly as validation saw them.
    uniques = clean_strings(raw_ids.dictionary, unique=False).to_pylist()
    prefix = f"{source}{SEPARATOR}".encode()
    blank = bytes(8)
    digests = b"".join(
        hmac.digest(secret, prefix + value.encode(), "sha256")[:8] if value is not None else blank
        for value in uniques
    )
    keys = pa.array(
        np.frombuffer(digests, dtype=">i8").astype(np.int64),
        mask=np.array([v is None for v in uniques], dtype=bool),
    )
    return pc.take(keys, raw_ids.indices)
