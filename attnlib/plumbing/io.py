"""Atomic writes (a file appears whole or not at all: a temporary file in the same folder, then a rename) and
reads that treat an unreadable file as missing (:func:`read_or_discard`)."""
from __future__ import annotations

import json
import os
import pickle
import tempfile
import warnings
import zipfile
from contextlib import contextmanager
from pathlib import Path

import torch

from .errors import CorruptFileWarning

UNREADABLE = (RuntimeError, EOFError, pickle.UnpicklingError, ValueError, KeyError, TypeError, zipfile.BadZipFile,
              OSError)
"""What reading a truncated or corrupt ``.pt``, ``.npz`` or ``.json`` file raises (``torch.load``'s
``RuntimeError`` and ``EOFError``, ``np.load``'s ``BadZipFile``, ``ValueError`` and ``EOFError``, ``json``'s
``ValueError``, a state dict that does not fit the model: ``RuntimeError``/``KeyError``)."""


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: str | os.PathLike, obj) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=float) + "\n")


def read_json(path: str | os.PathLike):
    return json.loads(Path(path).read_text())


def save_torch(path: str | os.PathLike, obj) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def read_or_discard(read, *files: str | os.PathLike, remedy: str = "it is made again"):
    """``read()``, or ``None`` when it fails on an unreadable file (:data:`UNREADABLE`): then every one of ``files``
    (those ``read`` reads, and what was derived from them) is removed and one :class:`CorruptFileWarning` line names
    the first, followed by ``remedy``. A caller treats ``None`` as "not there" and computes the files again, so a
    corrupt file is never served and never kept.
    """
    try:
        return read()
    except UNREADABLE as error:
        for path in files:
            Path(path).unlink(missing_ok=True)
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0].split(". ")[0][:120]
        warnings.warn(f"{files[0]} cannot be read (truncated or corrupt: {reason}); removed, {remedy}",
                      CorruptFileWarning, stacklevel=2)
        return None


def read_npz(path: str | os.PathLike, *, remedy: str = "it is computed again") -> dict | None:
    """Every array of the ``.npz`` file at ``path`` (read whole, so a damaged member fails its CRC here), or ``None``
    when the file is missing or unreadable (then removed, with one warning line: :func:`read_or_discard`)."""
    import numpy as np

    if not Path(path).exists():
        return None

    def read():
        with np.load(path) as arrays:
            return {name: arrays[name] for name in arrays.files}

    return read_or_discard(read, path, remedy=remedy)
