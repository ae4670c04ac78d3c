"""The keyed hash of an IDCS used wherever an IDCS must be referred to without being stored.

A plain SHA-256 of a 10-digit number can be reversed by trying all 10^9 candidates, so the
hash is an HMAC under a secret key held by the service (a "pepper").
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from server.errors import ConfigError

__all__ = ["IdHasher", "load_or_create_key"]

KEY_FILE = "id-hash.key"


class IdHasher:
    """HMAC-SHA256 of IDCS values under one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the IDCS hash key must be at least 32 bytes")
        self._key = key

    def __call__(self, idcs: str) -> str:
        return hmac.new(self._key, idcs.encode("ascii", "replace"), hashlib.sha256).hexdigest()


def load_or_create_key(configured_hex: str, data_dir: Path) -> bytes:
    """The configured key, else the one kept in ``data_dir``, else a new one written there.

    Creating it is atomic (link of a complete temporary file, which fails if the file exists), so
    several workers starting together all end up with the one key that was written first.
    """
    if configured_hex:
        return bytes.fromhex(configured_hex)
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / f".{KEY_FILE}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_bytes(32).hex() + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won: use its key
        finally:
            tmp.unlink()
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ConfigError("HAWIYA_ID_HASH_KEY", f"key file {path} is not hexadecimal") from None
    if len(key) < 32:
        raise ConfigError("HAWIYA_ID_HASH_KEY", f"key file {path} holds fewer than 32 bytes")
    return key
