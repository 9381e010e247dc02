"""Patient pseudonymisation: raw patient ids -> 64-bit keyed hashes.

``patient_key`` is keyed BLAKE2b (RFC 7693 MAC mode; key = the store secret, 8-byte digest)
of source + "\\x1f" + raw id, read as a big-endian signed 64-bit integer. Keyed BLAKE2b is a
standard MAC and about three times faster here than HMAC-SHA256, which matters because every
distinct patient of every ingest is hashed in Python. The source label is part of the message
so that two sources that happen to number patients alike (1, 2, 3, ...) do not share keys.
The raw id is hashed and dropped here: it is never written to the store or the quarantine files.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from claimscope.ingest import parse

SEPARATOR = "\x1f"


def _mac(secret: bytes, message: bytes) -> bytes:
    return hashlib.blake2b(message, key=secret, digest_size=8).digest()


class Pseudonymiser:
    """Hashes raw patient ids for one (store secret, source); remembers ids already seen.

    Ids already hashed in earlier batches of the file are found with one vectorised lookup
    and not hashed again; the memory is cleared at ``memo_limit`` ids to stay bounded.
    """

    def __init__(self, secret: bytes, source: str, *, memo_limit: int = 1_000_000) -> None:
        self._secret = secret
        self._source = source
        self._prefix = f"{source}{SEPARATOR}".encode()
        self._limit = memo_limit
        self._known_ids = pa.array([], pa.string())
        self._known_keys = np.zeros(0, dtype=np.int64)

    def keys(self, raw_ids: pa.Array) -> pa.Array:
        """Keys of a column of raw ids (null or blank stays null); one hash per distinct id."""
        if raw_ids.null_count == len(raw_ids):
            return pa.nulls(len(raw_ids), pa.int64())
        encoded = parse.dictionary_of(raw_ids)
        # Trim and blank-to-null on the distinct values, exactly as validation saw them.
        uniques = parse.clean_strings(encoded.dictionary, unique=False)
        if uniques.type != pa.string():
            uniques = uniques.cast(pa.string())
        keys = np.zeros(len(uniques), dtype=np.int64)
        position = pc.index_in(uniques, value_set=self._known_ids, skip_nulls=True)
        found = parse.present(position)
        keys[found] = self._known_keys[np.asarray(position.filter(pa.array(found)))]
        missing = ~found & parse.present(uniques)
        if missing.any():
            fresh_ids = uniques.filter(pa.array(missing))
            fresh = self._hash(fresh_ids.to_pylist())
            keys[missing] = fresh
            self._remember(fresh_ids, fresh)
        mask = ~parse.present(uniques)
        return pc.take(pa.array(keys, mask=mask if mask.any() else None), encoded.indices)

    def record_keys(self, source_file: str, rows: pa.Array) -> pa.Array:
        """:func:`record_keys` of rows of ``source_file`` for this store and source."""
        return record_keys(self._secret, self._source, source_file, rows)

    def _hash(self, ids: list[str]) -> np.ndarray:
        secret, prefix = self._secret, self._prefix
        digests = b"".join(_mac(secret, prefix + value.encode()) for value in ids)
        return np.frombuffer(digests, dtype=">i8").astype(np.int64)

    def _remember(self, ids: pa.Array, keys: np.ndarray) -> None:
        if len(self._known_ids) + len(ids) > self._limit:
            self._known_ids, self._known_keys = pa.array([], pa.string()), keys[:0]
        self._known_ids = pa.concat_arrays([self._known_ids, ids])
        self._known_keys = np.concatenate([self._known_keys, keys])


def record_keys(secret: bytes, source: str, source_file: str, rows: pa.Array) -> pa.Array:
    """Permanent random keys (0 to 2^32-1) of a file's rows, for cell-key perturbation.

    One keyed BLAKE2b of source and file seeds SplitMix64 (a bijective 64-bit mixer), which
    is applied to each row number in numpy: the same row of the same file always gets the
    same key, keys look uniform and unrelated, and nobody without the store secret can
    compute them. Only the top 32 bits are kept.
    """
    seed = int.from_bytes(_mac(secret, f"{source}{SEPARATOR}{source_file}".encode()), "big")
    numbers = pc.fill_null(rows, 0).to_numpy(zero_copy_only=False).astype(np.uint64)
    z = numbers + np.uint64(seed)
    with np.errstate(over="ignore"):
        z = z * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return pa.array((z >> np.uint64(32)).astype(np.int64))
