"""The critique's models as runs: uniform attention, imposed attention and model-consistent adversaries.

A :class:`CritiqueConfig` is a :class:`~attnlib.results.runs.RunConfig` (dataset, encoder, attention, seed, the
paper's settings) with what the critique adds: the *base* run whose attention an ``imposed`` model pools with or
which an adversary follows (named by its directory, which holds the key of its configuration, data and code), and
the adversary's λ and patience. Its directory is keyed like a run's, with this part's code in the fingerprint
(:data:`~attnlib.results.fingerprint.CRITIQUE_CODE`) and the base run's name in the configuration, so a retrained
base gives new dependent runs. :func:`open_critique_run` loads a finished one or trains it; a base run that is
missing, unfinished, of another dataset or stale stops it with one line before anything is trained.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from .. import __version__
from ..data import load_dataset
from ..data.base import TextDataset
from ..plumbing import paths
from ..plumbing.device import resolve_device, threads_key
from ..plumbing.errors import ConfigError
from ..plumbing.io import UNREADABLE, read_json, save_torch, write_json
from ..results.fingerprint import CRITIQUE_CODE, RUN_CODE, code_fingerprint
from ..results.runs import (Run, RunConfig, initial_model, load_finished, open_run, run_directory, run_finished,
                            training_view)
from ..training.metrics import evaluate_predictions
from ..training.recipe import TrainConfig, predict_split, train_model
from .adversary import ConsistentAdversaryConfig, train_consistent_adversary
from .imposed import ImposedClassifier
from .measures import divergence_between_models
from .uniform import UNIFORM, with_uniform_attention

__all__ = ["CRITIQUE_KINDS", "IMPOSED", "CritiqueConfig", "critique_directory", "base_run_config", "open_base_run",
           "open_critique_run", "open_any_run"]

#: The attention name of a model pooling with its base run's attention.
IMPOSED = "imposed"

#: The critique's kinds of run: trained with uniform attention, pooling with a base run's attention, following a
#: base run as a model-consistent adversary.
CRITIQUE_KINDS = ("uniform", "imposed", "adversary")


@dataclass(frozen=True)
class CritiqueConfig:
    """One of the critique's runs.

    Attributes
    ----------
    run : RunConfig
        ``attention`` is ``"uniform"``, ``"imposed"``, or (for an adversary) the adversary's own attention.
    base : str, optional
        The directory name of the base run (in the same runs folder): the model whose attention an ``imposed``
        run pools with, or the model an adversary follows. Required for those two kinds, absent for ``uniform``.
    lam : float, optional
        The adversary's λ (:mod:`attnlib.critique.adversary`); given exactly for adversaries.
    patience : int
        The adversary's early stopping, in epochs without a lower training loss (W&P: 10).
    """

    run: RunConfig
    base: str | None = None
    lam: float | None = None
    patience: int = 10

    @property
    def kind(self) -> str:
        if self.run.attention == UNIFORM:
            return "uniform"
        return IMPOSED if self.run.attention == IMPOSED else "adversary"

    def check(self) -> None:
        """One :class:`ConfigError` line for an inconsistent configuration."""
        kind = self.kind
        if kind == "uniform" and (self.base is not None or self.lam is not None):
            raise ConfigError("a uniform-attention run has no base run and no λ; drop --base and --lambda")
        if kind != "uniform" and not self.base:
            raise ConfigError(f"an {'imposed-attention' if kind == IMPOSED else 'adversary'} run needs its base run: "
                              "give --base RUN (a finished run's directory)")
        if kind == IMPOSED and self.lam is not None:
            raise ConfigError("an imposed-attention run has no λ; drop --lambda (λ makes an adversary)")
        if kind == "adversary":
            if self.lam is None:
                raise ConfigError("a run with a base run and a learned attention is an adversary and needs λ: "
                                  "give --lambda X (or --attention imposed to pool with the base's attention)")
            ConsistentAdversaryConfig(TrainConfig(epochs=1, batch_size=1), self.lam, self.patience)

    @property
    def label(self) -> str:
        seed = f" seed {self.run.seed}" if self.run.seed else ""
        if self.kind == "uniform":
            return f"{self.run.dataset} {self.run.encoder}+uniform{seed}"
        if self.kind == IMPOSED:
            return f"{self.run.dataset} {self.run.encoder} imposed from {self.base}{seed}"
        return f"{self.run.dataset} {self.run.encoder}+{self.run.attention} adversary λ={self.lam:g}{seed}"


def critique_directory(config: CritiqueConfig, dataset: TextDataset, runs_dir=None) -> tuple[Path, dict]:
    """The directory of ``config`` and its resolved configuration (the run's, with a ``critique`` entry)."""
    resolved = config.run.resolve(dataset)
    resolved["critique"] = {"kind": config.kind, "base": config.base, "lam": config.lam,
                            "patience": config.patience}
    key_source = {"config": resolved, "data": dataset.fingerprint, "attnlib": __version__,
                  "code": code_fingerprint(CRITIQUE_CODE), "threads": threads_key()}
    key = hashlib.sha256(json.dumps(key_source, sort_keys=True).encode()).hexdigest()[:12]
    role = {"uniform": "", IMPOSED: "", "adversary": "-adversary"}[config.kind]
    name = f"{config.run.dataset}-{config.run.encoder}-{config.run.attention}{role}-seed{config.run.seed}-{key}"
    return paths.runs_dir(runs_dir) / name, resolved


def _saved_config(directory: Path) -> dict:
    """The ``config.json`` of the run in ``directory``; one :class:`ConfigError` line when it cannot be read."""
    try:
        saved = read_json(directory / "config.json")
    except UNREADABLE as error:
        raise ConfigError(f"{directory / 'config.json'} cannot be read (truncated or corrupt: {error}); train that "
                          "run again (the same attnlib train command) and use its directory") from None
    if not isinstance(saved, dict):
        raise ConfigError(f"{directory / 'config.json'} is not a run's configuration; give the name of a run directory")
    return saved


def base_run_config(name: str, runs_dir=None) -> RunConfig | CritiqueConfig:
    """The configuration of the run stored in ``<runs_dir>/<name>`` (from its ``config.json``)."""
    saved = _saved_config(paths.runs_dir(runs_dir) / name)
    run = RunConfig(**{f.name: saved[f.name] for f in fields(RunConfig) if f.name in saved})
    critique = saved.get("critique")
    if critique is None:
        return run
    return CritiqueConfig(run, critique["base"], critique["lam"], critique["patience"])


def open_any_run(config: RunConfig | CritiqueConfig, **options) -> Run:
    """:func:`open_critique_run` for a critique configuration (or a run with uniform attention), else
    :func:`~attnlib.results.runs.open_run`."""
    if isinstance(config, RunConfig) and config.attention == UNIFORM:
        config = CritiqueConfig(config)
    opener = open_critique_run if isinstance(config, CritiqueConfig) else open_run
    return opener(config, **options)


def _any_directory(config: RunConfig | CritiqueConfig, dataset: TextDataset, runs_dir) -> Path:
    if isinstance(config, CritiqueConfig):
        return critique_directory(config, dataset, runs_dir)[0]
    return run_directory(config, dataset, runs_dir)[0]


def open_base_run(name: str, dataset: TextDataset, runs_dir=None, device="auto") -> Run:
    """Load the finished base run ``name`` of ``dataset``; one :class:`ConfigError` line (and nothing trained) when
    it is missing, unfinished, of another dataset, or no longer what the current code and data would train."""
    folder = paths.runs_dir(runs_dir)
    directory = folder / Path(name).name
    if not (directory / "config.json").exists():
        raise ConfigError(f"base run {Path(name).name} is not in {folder}; train it first (attnlib train ...) "
                          "or give the name of a run in that folder")
    saved = _saved_config(directory)
    if saved.get("dataset") != dataset.name:
        raise ConfigError(f"base run {directory.name} was trained on {saved.get('dataset')}, not {dataset.name}; "
                          f"give a run of {dataset.name}")
    if not run_finished(directory):
        raise ConfigError(f"base run {directory.name} is unfinished (no model.pt or metrics.json); finish it first "
                          "by running the same attnlib train command again")
    config = base_run_config(directory.name, folder)
    if _any_directory(config, dataset, folder) != directory:
        threads = saved.get("threads")
        if threads is not None and threads != threads_key():
            raise ConfigError(f"base run {directory.name} was trained with {threads} torch thread(s), this process "
                              f"uses {threads_key()}; set ATTNLIB_THREADS={threads} or train the base run again")
        raise ConfigError(f"base run {directory.name} was trained by other code or data than this attnlib's; "
                          "train the base run again and use its new directory")
    return open_any_run(config, runs_dir=folder, device=device, progress=False, dataset=dataset)


def _consistency(model, base: Run, test, device) -> dict:
    table = divergence_between_models(model, base.model, test, device=device)
    return {"mean_jsd": float(table["jsd"].mean()), "median_jsd": float(table["jsd"].median()),
            "mean_tvd": float(table["tvd"].mean()), "median_tvd": float(table["tvd"].median())}


def open_critique_run(config: CritiqueConfig, *, data_dir=None, runs_dir=None, device="auto", progress: bool = True,
                      dataset: TextDataset | None = None) -> Run:
    """Load the finished critique run ``config``, or train it (resuming an interrupted training).

    Returns
    -------
    Run
        Its ``metrics`` are the test metrics; an adversary's also hold ``consistency``: the mean and median JSD of
        its attention from the base run's and TVD of its outputs from the base run's, over the test split.
    """
    config.check()
    device = resolve_device(device)
    if dataset is None:
        dataset = load_dataset(config.run.dataset, data_dir, progress=progress)
    if dataset.task != "classification":
        raise ConfigError(f"the critique's runs are for classification datasets; {dataset.name} is a pair task")
    base = None if config.base is None else open_base_run(config.base, dataset, runs_dir, device)
    directory, resolved = critique_directory(config, dataset, runs_dir)
    learned = config.run if config.kind == "adversary" else replace(config.run, attention="tanh")
    model, vectors_note = initial_model(learned, dataset, resolved)
    if config.kind == "uniform":
        model = with_uniform_attention(model)
    elif config.kind == IMPOSED:
        model = ImposedClassifier(model, base.model)
    model = model.to(device)
    metrics_path, model_path = directory / "metrics.json", directory / "model.pt"
    metrics = load_finished(model, directory, device)
    if metrics is not None:
        return Run(directory, resolved, dataset, model, metrics, device)
    directory.mkdir(parents=True, exist_ok=True)
    write_json(directory / "config.json", {**resolved, "vectors": vectors_note, "data_notes": dataset.notes,
                                           "data_fingerprint": dataset.fingerprint, "attnlib": __version__,
                                           "threads": threads_key(),
                                           "code_fingerprint": code_fingerprint(CRITIQUE_CODE),
                                           "run_code_fingerprint": code_fingerprint(RUN_CODE)})
    train_config = TrainConfig(epochs=resolved["epochs"], batch_size=resolved["batch_size"], seed=config.run.seed,
                               select=config.run.select)
    started = time.perf_counter()
    training = training_view(dataset, config.run)
    if config.kind == "adversary":
        summary = train_consistent_adversary(model, base.model, training,
                                             ConsistentAdversaryConfig(train_config, config.lam, config.patience),
                                             device, run_dir=directory, progress=progress)
    else:
        summary = train_model(model, training, train_config, device, run_dir=directory, progress=progress)
    save_torch(model_path, model.state_dict())
    test = dataset.split("test")
    metrics = evaluate_predictions(test.labels, predict_split(model, test, resolved["batch_size"], device))
    history = summary["history"]
    metrics.update({"best_epoch": summary["best_epoch"], "train_seconds": time.perf_counter() - started,
                    "seconds_per_epoch": float(np.mean([h["seconds"] for h in history])) if history else 0.0,
                    "epochs_run": len(history), "n_train": len(training.split("train")), "history": history,
                    "vectors": vectors_note, "device": str(device), "kind": config.kind, "base": config.base})
    if config.kind == "adversary":
        metrics["consistency"] = _consistency(model, base, test, device)
    write_json(metrics_path, metrics)
    (directory / "checkpoint.pt").unlink(missing_ok=True)
    return Run(directory, resolved, dataset, model, metrics, device)
