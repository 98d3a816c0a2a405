"""A content-keyed cache of prepared datasets.

A prepared :class:`~attnlib.data.base.TextDataset` is pickled under the cache directory
(``$ATTNLIB_CACHE``, default ``~/.cache/attnlib``) in ``datasets/<name>-<fingerprint>.pkl``. The
fingerprint is a SHA-256 over the source files' checksums, :data:`PREPROCESS_VERSION` and the
loader's options, so changing any of them builds a new entry instead of loading a stale one.
Files are written to a temporary file and renamed into place, so an interrupted write never
leaves a half-written entry; an entry that cannot be read is ignored and rebuilt.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
import warnings
from pathlib import Path
from typing import Any, Iterable

__all__ = [
    "PREPROCESS_VERSION",
    "fingerprint",
    "atomic_write_bytes",
    "load_pickle",
    "save_pickle",
]

#: Bump whenever tokenisation, splitting or vocabulary building changes what a loader returns.
PREPROCESS_VERSION = 1


def fingerprint(name: str, sources: Iterable[tuple[str, str]], options: dict[str, Any] | None = None) -> str:
    """SHA-256 (hex) identifying one prepared dataset.

    Parameters
    ----------
    name : str
        Dataset name.
    sources : iterable of (str, str)
        ``(file name, sha256 of the file on disk)`` for every source file; for a member of an
        archive, the archive's name and checksum. Order does not matter.
    options : dict, optional
        Loader options that change the result (JSON-serialisable).
    """
    payload = {
        "name": name,
        "preprocess_version": PREPROCESS_VERSION,
        "sources": sorted(set(sources)),
        "options": options or {},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load_pickle(path: str | os.PathLike) -> Any | None:
    """Unpickle ``path``; None if it is missing or cannot be read (a corrupt entry is ignored)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except Exception:  # noqa: BLE001 - any unreadable entry is rebuilt
        return None


def save_pickle(path: str | os.PathLike, obj: Any) -> bool:
    """Pickle ``obj`` atomically to ``path``. Returns False (with a warning) if it cannot be written."""
    try:
        atomic_write_bytes(path, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
        return True
    except OSError as exc:
        warnings.warn(f"could not write the dataset cache {path} ({exc.strerror}); continuing without it", stacklevel=2)
        return False
