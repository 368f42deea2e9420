"""Content-addressed file storage for attachments and raw emails: bytes live under their sha256."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_root = Path("var/attachments")


def configure(root: Path) -> None:
    global _root
    _root = Path(root)


def path_for(sha256: str) -> Path:
    return _root / sha256[:2] / sha256


def put(data: bytes) -> str:
    """Store bytes once (same content, same file) and return their sha256."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)  # atomic: a reader never sees half a file
    return digest


def read(sha256: str) -> bytes:
    return path_for(sha256).read_bytes()
