"""The faithfulness measures of a run, kept on disk beside its analysis and resumable per explainer.

:func:`faithfulness_of_run` measures a run's explainers (:func:`~attnlib.faithfulness.measure.faithfulness_over_split`)
on the same instances as the run's analysis with the same ``limit`` and ``seed``
(:func:`~attnlib.results.analyses.sample_indices`) and writes ``faithfulness.csv`` (``explainer, metric, value, n``)
in that analysis's directory. Each explainer's arrays are one ``.npz`` file in ``faithfulness-<key>/`` there, keyed by
the settings and :data:`~attnlib.results.fingerprint.FAITHFULNESS_CODE`: a killed run resumes after its last finished
explainer, and a changed explainer or metric is never served from an old file.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..plumbing.errors import ConfigError
from ..plumbing.io import atomic_path, read_npz, write_json
from ..results.analyses import AnalysisConfig, analysis_directory, sample_indices
from ..results.fingerprint import FAITHFULNESS_CODE, code_fingerprint
from ..results.runs import Run
from .explainers import EXPLAINERS
from .measure import faithfulness_over_split, faithfulness_table

__all__ = ["Faithfulness", "FaithfulnessConfig", "faithfulness_of_run", "parse_explainers"]


def parse_explainers(text: str | None) -> tuple[str, ...]:
    """``"integrated_gradients,occlusion"`` as a tuple of explainer names (None: every explainer); an unknown name
    raises :class:`~attnlib.plumbing.errors.ConfigError` naming the choices."""
    if text is None:
        return tuple(EXPLAINERS)
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if name not in EXPLAINERS]
    if unknown or not names:
        raise ConfigError(f"unknown explainer {unknown[0] if unknown else text!r}; choose from {', '.join(EXPLAINERS)}")
    return names


@dataclass(frozen=True)
class FaithfulnessConfig:
    """What to measure.

    Attributes
    ----------
    explainers : tuple of str
        Names in :data:`~attnlib.faithfulness.explainers.EXPLAINERS` (default: all of them).
    split : str
    limit : int, optional
        A seeded random sample of this many instances (the same as the analysis with this limit and seed).
    seed : int
    """

    explainers: tuple[str, ...] = field(default_factory=lambda: tuple(EXPLAINERS))
    split: str = "test"
    limit: int | None = None
    seed: int = 0

    def __post_init__(self):
        parse_explainers(",".join(self.explainers))
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"limit must be a positive number of instances; got {self.limit}")

    def key(self) -> str:
        """Hash of the instances chosen and of the code (:data:`FAITHFULNESS_CODE`); not of the explainers, which
        are kept one file each."""
        source = {"split": self.split, "limit": self.limit, "seed": self.seed, "code": code_fingerprint(FAITHFULNESS_CODE)}
        return hashlib.sha256(json.dumps(source, sort_keys=True).encode()).hexdigest()[:10]

    def analysis(self) -> AnalysisConfig:
        """The analysis of the same instances (its directory holds ``faithfulness.csv``)."""
        return AnalysisConfig(split=self.split, limit=self.limit, seed=self.seed)


class _ExplainerStore(MutableMapping):
    """An explainer's arrays as ``<explainer>.npz`` in a folder."""

    def __init__(self, directory: Path):
        self.directory = directory

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.npz"

    def __getitem__(self, name):
        arrays = read_npz(self._path(name), remedy=f"the {name} explainer is measured again")
        if arrays is None:
            raise KeyError(name)
        return arrays

    def __setitem__(self, name, arrays):
        self.directory.mkdir(parents=True, exist_ok=True)
        with atomic_path(self._path(name)) as tmp:
            with open(tmp, "wb") as handle:
                np.savez_compressed(handle, **arrays)

    def __delitem__(self, name):
        self._path(name).unlink()

    def __iter__(self):
        return (path.stem for path in sorted(self.directory.glob("*.npz")))

    def __len__(self):
        return sum(1 for _ in self)


@dataclass
class Faithfulness:
    """The faithfulness measures of one run.

    Attributes
    ----------
    directory : Path
        The analysis directory holding ``faithfulness.csv``.
    config : FaithfulnessConfig
    results : dict
        Explainer name to its per-instance arrays (:func:`~attnlib.faithfulness.measure.faithfulness_over_split`),
        rows in the order of ``indices``.
    indices : ndarray of int, shape (n,)
        Positions of the instances in the split.
    table : DataFrame
        ``explainer, metric, value, n``.
    """

    directory: Path
    config: FaithfulnessConfig
    results: dict
    indices: np.ndarray
    table: pd.DataFrame

    @property
    def csv(self) -> Path:
        return self.directory / "faithfulness.csv"


def faithfulness_of_run(run: Run, config: FaithfulnessConfig = FaithfulnessConfig(), *,
                        progress: bool = True) -> Faithfulness:
    """Measure (or load) ``config.explainers`` on ``run`` and write ``faithfulness.csv`` in its analysis directory."""
    directory = analysis_directory(run, config.analysis())
    split = run.dataset.split(config.split)
    indices = sample_indices(len(split), config.limit, config.seed)
    store = _ExplainerStore(directory / f"faithfulness-{config.key()}")
    results = faithfulness_over_split(run.model, split.subset(indices), config.explainers, device=run.device,
                                      progress=progress, store=store)
    table = faithfulness_table(results)
    directory.mkdir(parents=True, exist_ok=True)
    write_json(store.directory / "config.json", {**asdict(config), "run": run.directory.name})
    for path in (directory / "faithfulness.csv", store.directory / "faithfulness.csv"):
        with atomic_path(path) as tmp:
            table.to_csv(tmp, index=False)
    return Faithfulness(directory, config, results, indices, table)
