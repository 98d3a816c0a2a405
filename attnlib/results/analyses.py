"""Persisted analyses of a run: every per-instance result of the paper's experiments, and their summary.

:func:`analyse_run` runs :func:`attnlib.explain.analyse_split` on a run's test split and keeps its results
in ``<run>/analysis-<key>/``, keyed by the analysis settings: one ``.npz`` file per stage (importance,
permutation, adversarial; an interrupted analysis resumes after the last finished stage), the per-instance
table ``instances.csv`` (the input of :mod:`attnlib.plots`), the instances' tokens and ``summary.csv``
(``measure, group, mean, std, sig_frac, n``). Every file is written atomically; running again re-uses them.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..explain import (ANALYSIS_STAGES, KENDALL_PAIRS, PAPER_EPSILONS, analyse_split, max_jsd_column, max_jsd_within,
                       summarise, with_paper_epsilons)
from ..plumbing.errors import ConfigError
from ..plumbing.io import atomic_path, read_json, read_npz, read_or_discard, write_json
from .fingerprint import ANALYSIS_CODE, code_fingerprint
from .runs import Run

STAGES = tuple(ANALYSIS_STAGES)


@dataclass(frozen=True)
class AnalysisConfig:
    """Settings of an analysis; the defaults are the paper's.

    Attributes
    ----------
    split : str
        The split analysed (the paper: ``test``).
    limit : int, optional
        Analyse a seeded random sample of this many instances (kept in split order) instead of all.
    n_permutations, n_adversaries, adversary_iterations : int
        100, 5 and 500 in the paper.
    seed : int
        Seeds the sample, the permutations and the adversaries' initialisation.
    """

    split: str = "test"
    limit: int | None = None
    n_permutations: int = 100
    n_adversaries: int = 5
    adversary_iterations: int = 500
    seed: int = 0

    def __post_init__(self):
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"limit must be a positive number of instances; got {self.limit}")
        for name in ("n_permutations", "n_adversaries", "adversary_iterations"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1; got {getattr(self, name)}")

    def key(self) -> str:
        """Hash of the settings and of the analysis code (:data:`attnlib.results.fingerprint.ANALYSIS_CODE`)."""
        source = {**asdict(self), "code": code_fingerprint(ANALYSIS_CODE)}
        return hashlib.sha256(json.dumps(source, sort_keys=True).encode()).hexdigest()[:10]


class _StageStore(MutableMapping):
    """Stage results as ``<stage>.npz`` files in a folder (a mapping of stage name to dict of arrays)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._clock = time.perf_counter()

    def _path(self, stage: str) -> Path:
        return self.directory / f"{stage}.npz"

    def __getitem__(self, stage):
        arrays = read_npz(self._path(stage), remedy=f"the {stage} stage is computed again")
        if arrays is None:
            raise KeyError(stage)
        return arrays

    def __setitem__(self, stage, arrays):
        """Store a stage's arrays, and the seconds since the previous stage (its computing time)."""
        with atomic_path(self._path(stage)) as tmp:
            with open(tmp, "wb") as handle:
                np.savez_compressed(handle, **arrays)
        seconds = self.seconds()
        seconds[stage] = time.perf_counter() - self._clock
        write_json(self.timings, seconds)
        self._clock = time.perf_counter()

    @property
    def timings(self) -> Path:
        return self.directory / "timings.json"

    def seconds(self) -> dict:
        """The computing seconds of each stored stage ({} when ``timings.json`` is missing or unreadable)."""
        if not self.timings.exists():
            return {}
        return read_or_discard(lambda: dict(read_json(self.timings)), self.timings,
                               remedy="the stages' seconds are left out") or {}

    def __delitem__(self, stage):
        self._path(stage).unlink()

    def __iter__(self):
        return (stage for stage in STAGES if self._path(stage).exists())

    def __len__(self):
        return sum(1 for _ in self)


@dataclass
class Analysis:
    """The results of one analysis of a run.

    Attributes
    ----------
    directory : Path
    config : AnalysisConfig
    results : dict of str to ndarray
        As returned by :func:`attnlib.explain.analyse_split`, rows in the order of ``indices``.
    indices : ndarray of int, shape (n,)
        Positions of the analysed instances in the split.
    tokens : list of list of str
        The real tokens of each analysed instance (``<SOS>``/``<EOS>`` dropped).
    instances : DataFrame
        One row per instance: the columns :mod:`attnlib.plots` takes.
    summary : DataFrame
        ``measure, group, mean, std, sig_frac, n``.
    seconds : dict of str to float
        Computing time of each stage (importance, permutation, adversarial) when it was run.
    """

    directory: Path
    config: AnalysisConfig
    results: dict
    indices: np.ndarray
    tokens: list
    instances: pd.DataFrame
    summary: pd.DataFrame
    seconds: dict

    def ensure_epsilon(self, epsilon: float) -> str:
        """Add the max JSD within ``epsilon`` to :attr:`instances` where it is not there yet (the table holds
        :data:`~attnlib.explain.PAPER_EPSILONS`); returns its column name (:func:`~attnlib.explain.max_jsd_column`)."""
        column = max_jsd_column(epsilon)
        if column not in self.instances:
            self.instances = instance_table(self.results, self.indices, epsilons=(epsilon,))
        return column

    def importance(self, row: int) -> dict[str, np.ndarray]:
        """Attention, gradient and leave-one-out of instance ``row`` over its real tokens."""
        length = int(self.results["lengths"][row])
        return {name: self.results[name][row, 1:length - 1] for name in ("attention", "gradient", "loo")}

    def adversary(self, row: int, epsilon: float) -> tuple[np.ndarray, float, float]:
        """The adversarial attention of instance ``row`` farthest from its attention within output TVD ``epsilon``.

        Returns
        -------
        attention : ndarray, shape (n_tokens,)
            Over the real tokens; the original attention when no adversary stays within ``epsilon``.
        jsd, tvd : float
            Its Jensen-Shannon divergence from the attention and its output TVD.
        """
        length = int(self.results["lengths"][row])
        jsd, tvd = self.results["adv_jsd"][row], self.results["adv_tvd"][row]
        allowed = np.flatnonzero(tvd <= epsilon)
        if len(allowed) == 0:
            return self.results["attention"][row, 1:length - 1], 0.0, 0.0
        best = allowed[np.argmax(jsd[allowed])]
        return self.results["adv_attention"][row, best, 1:length - 1], float(jsd[best]), float(tvd[best])


def sample_indices(n: int, limit: int | None, seed: int) -> np.ndarray:
    """All of ``range(n)``, or a seeded random sample of ``limit`` of them in increasing order."""
    if limit is None or limit >= n:
        return np.arange(n)
    return np.sort(np.random.RandomState(seed).choice(n, size=limit, replace=False))


def instance_table(results: dict, indices: np.ndarray, epsilons=PAPER_EPSILONS) -> pd.DataFrame:
    """The per-instance table (:data:`attnlib.plots.INSTANCE_COLUMNS` and more) from analysis results."""
    table = pd.DataFrame({
        "index": indices,
        "label": results["labels"],
        "prediction": results["prediction"],
        "length": results["lengths"] - 2,
        "max_attention": results["max_attention"],
    })
    for a, b in KENDALL_PAIRS:
        table[f"tau_{a}_{b}"] = results[f"tau_{a}_{b}"]
        table[f"p_{a}_{b}"] = results[f"p_{a}_{b}"]
    table["perm_median_tvd"] = results["perm_median_tvd"]
    for epsilon in with_paper_epsilons(epsilons):
        table[max_jsd_column(epsilon)] = max_jsd_within(results["adv_jsd"], results["adv_tvd"], epsilon)
    return table


def analysis_directory(run: Run | Path, config: AnalysisConfig) -> Path:
    """Where the analysis ``config`` of a run (or of the run directory ``run``) is kept."""
    sample = "all" if config.limit is None else f"n{config.limit}"
    return Path(getattr(run, "directory", run)) / f"analysis-{config.split}-{sample}-{config.key()}"


def analysis_finished(directory: Path) -> bool:
    """Whether every stage of the analysis in ``directory`` is stored (loading it computes nothing)."""
    return all((Path(directory) / f"{stage}.npz").exists() for stage in STAGES)


def analyse_run(run: Run, config: AnalysisConfig = AnalysisConfig(), *, epsilons=PAPER_EPSILONS,
                progress: bool = True) -> Analysis:
    """Run (or load) every analysis of the paper on ``run``'s ``config.split``.

    Parameters
    ----------
    run : Run
        A trained run (:func:`attnlib.results.runs.open_run`).
    config : AnalysisConfig
    epsilons : sequence of float
        Output-TVD bounds for "max JSD within ε" in the tables (the paper's 0.01 and 0.05 are always there).
    progress : bool
        tqdm progress bars.
    """
    directory = analysis_directory(run, config)
    split = run.dataset.split(config.split)
    indices = sample_indices(len(split), config.limit, config.seed)
    subset = split.subset(indices)
    store = _StageStore(directory)
    directory.mkdir(parents=True, exist_ok=True)
    write_json(directory / "config.json", {**asdict(config), "run": run.directory.name})
    results = analyse_split(run.model, subset, n_classes=run.dataset.n_classes, seed=config.seed,
                            n_permutations=config.n_permutations, n_adversaries=config.n_adversaries,
                            adversary_iterations=config.adversary_iterations, device=run.device,
                            progress=progress, keep_adversarial_attention=True, store=store)
    tokens = [run.dataset.vocab.decode(sequence[1:-1]) for sequence in subset.sequences]
    instances = instance_table(results, indices, epsilons)
    summary = summarise(results, epsilons=with_paper_epsilons(epsilons))
    tokens_path = directory / "tokens.json"
    if not tokens_path.exists():
        write_json(tokens_path, tokens)
    with atomic_path(directory / "instances.csv") as tmp:
        instances.to_csv(tmp, index=False)
    for path in {directory / "summary.csv", run.directory / ("summary.csv" if config.limit is None
                                                             else f"summary-limit{config.limit}.csv")}:
        with atomic_path(path) as tmp:
            summary.to_csv(tmp, index=False)
    return Analysis(directory, config, results, indices, tokens, instances, summary, store.seconds())
