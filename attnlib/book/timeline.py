"""The timeline of a book build: one row per experiment, chapter and the HTML step, in ``_build/timeline.csv``."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..plumbing import paths
from ..plumbing.io import atomic_path

__all__ = ["TIMELINE_COLUMNS", "Timeline", "timeline_path", "read_timeline"]

TIMELINE_COLUMNS = ("step", "kind", "name", "seconds", "reused", "train_seconds", "analysis_seconds", "worker")
"""Columns of ``_build/timeline.csv``: one row per experiment, chapter and the HTML step, in build order.

``kind`` is ``experiment``, ``chapter``, ``html`` or ``slides`` (the decks the command line writes after the HTML).
``seconds`` is the wall time of the step in that build. ``reused`` is True for an unchanged chapter that was
not executed, and for an experiment that was trained and analysed before the step (it was only loaded). ``train_seconds`` and ``analysis_seconds`` are, for
experiments, the time the training and the analysis stages took when they were computed (possibly in an
earlier build). ``worker`` is, for experiments, the Dask worker that ran it (``this process`` in a serial build).
"""


def timeline_path(root: str | Path) -> Path:
    """Where ``attnlib book`` writes the timeline of its last build: ``<root>/_build/timeline.csv``."""
    return Path(root) / "_build" / "timeline.csv"


def read_timeline(root: str | Path | None = None):
    """The timeline of the last ``attnlib book`` build under ``root`` (default: the project root above the
    working directory) as a DataFrame with :data:`TIMELINE_COLUMNS`, or ``None`` if there is none."""
    path = timeline_path(paths.project_root() if root is None else root)
    return pd.read_csv(path) if path.exists() else None


class Timeline:
    """Rows of the build's timeline, rewritten atomically after every step (a killed build keeps its rows)."""

    def __init__(self, path: Path):
        self.path, self.rows = path, []

    @classmethod
    def resume(cls, path: Path) -> "Timeline":
        """The timeline at ``path`` with its rows so far, to add the steps that follow the book's build."""
        timeline = cls(Path(path))
        if timeline.path.exists():
            timeline.rows = pd.read_csv(timeline.path).to_dict("records")
        return timeline

    def add(self, kind: str, name: str, seconds: float, reused: bool, train_seconds=None, analysis_seconds=None,
            worker=None):
        self.rows.append({"step": len(self.rows) + 1, "kind": kind, "name": name, "seconds": round(seconds, 3),
                          "reused": reused, "train_seconds": train_seconds, "analysis_seconds": analysis_seconds,
                          "worker": worker})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.path) as tmp:
            pd.DataFrame(self.rows, columns=list(TIMELINE_COLUMNS)).to_csv(tmp, index=False)
