"""The per-store pseudonymisation key.

32 random bytes, created once when the store first ingests patient-level data, readable by
the owner only (mode 0600). Patient keys are keyed hashes under it, so the same raw patient
id gets the same key within one store and unrelated keys in another store; losing the file
means new ingests can no longer be linked to old ones.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import Final

SECRET_BYTES: Final = 32


class SecretError(Exception):
    """The store's key file exists but is not a usable key."""


def load_or_create_secret(path: Path) -> bytes:
    """Return the key at ``path``, creating it (mode 0600) if it does not exist yet."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(SECRET_BYTES)
    try:
        # O_EXCL: if another process created the key meanwhile, use theirs, never overwrite.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, 0o600)  # the umask may have narrowed it further; never widen beyond 0600
    return key


def _read(path: Path) -> bytes:
    key = path.read_bytes()
    if len(key) != SECRET_BYTES:
        raise SecretError(f"{path} holds {len(key)} bytes, expected a {SECRET_BYTES}-byte key")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SecretError(f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}")
    return key
