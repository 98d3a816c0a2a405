"""Where attnlib finds and keeps things: the one place the ``ATTNLIB_*`` environment variables are read.

=====================  ==========================================  ==========================================
variable               meaning                                     default
=====================  ==========================================  ==========================================
``ATTNLIB_DATA``       folder holding the datasets                 ``<project root>/data``
``ATTNLIB_RUNS``       folder holding trained runs and analyses    ``<project root>/runs``
``ATTNLIB_CACHE``      prepared datasets, archive listings, npm    ``~/.cache/attnlib``
``ATTNLIB_DOWNLOAD``   ``1``/``true``/``yes``/``on``: fetch data   off
``ATTNLIB_THREADS``    torch's intra-op threads (:mod:`.device`)   every available core
``ATTNLIB_SOURCES``    test hook: a JSON file replacing dataset    the official addresses
                       download addresses (:mod:`.data.download`)
=====================  ==========================================  ==========================================

The project root is the nearest folder at or above the working directory holding ``_config.yml`` and
``book/`` (so a notebook running in ``book/`` uses the same folders as the command line at the root); outside
a project it is the working directory.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["project_root", "data_dir", "runs_dir", "cache_dir", "download_enabled", "sources_override"]


def project_root(start: str | os.PathLike = ".") -> Path:
    """The nearest folder at or above ``start`` holding ``_config.yml`` and ``book/``, else ``start`` (absolute)."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / "_config.yml").is_file() and (folder / "book").is_dir():
            return folder
    return start


def _chosen(explicit, variable: str, default: Path) -> Path:
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else default


def data_dir(explicit: str | os.PathLike | None = None, root: str | os.PathLike | None = None) -> Path:
    """``explicit``, else ``$ATTNLIB_DATA``, else ``<root>/data`` (``root``: default the project root)."""
    return _chosen(explicit, "ATTNLIB_DATA", Path(root or project_root()) / "data")


def runs_dir(explicit: str | os.PathLike | None = None, root: str | os.PathLike | None = None) -> Path:
    """``explicit``, else ``$ATTNLIB_RUNS``, else ``<root>/runs`` (``root``: default the project root)."""
    return _chosen(explicit, "ATTNLIB_RUNS", Path(root or project_root()) / "runs")


def cache_dir(explicit: str | os.PathLike | None = None) -> Path:
    """``explicit``, else ``$ATTNLIB_CACHE``, else ``~/.cache/attnlib``."""
    return _chosen(explicit, "ATTNLIB_CACHE", Path.home() / ".cache" / "attnlib")


def download_enabled(flag: bool | None = None) -> bool:
    """``flag`` if given, else whether ``$ATTNLIB_DOWNLOAD`` is ``1``, ``true``, ``yes`` or ``on``."""
    if flag is not None:
        return bool(flag)
    return os.environ.get("ATTNLIB_DOWNLOAD", "").strip().lower() in {"1", "true", "yes", "on"}


def sources_override() -> Path | None:
    """``$ATTNLIB_SOURCES`` (a JSON file of download addresses replacing the official ones; for tests), else None."""
    value = os.environ.get("ATTNLIB_SOURCES", "").strip()
    return Path(value).expanduser() if value else None
