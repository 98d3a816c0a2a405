"""How long a preset would take on this machine, measured per experiment on a few batches and instances.

For a preset too long to run just to learn its cost (the ``paper`` preset: every dataset, six configurations,
full test sets), :func:`estimate_preset` times each experiment's parts on samples and scales them up:

* training: ``n_batches`` optimiser steps on the experiment's own batches (after one untimed warm-up step),
  scaled to the batches of an epoch, plus the dev-set evaluation after every epoch, times the epochs;
* analysis: every analysis of the paper (gradient, leave-one-out, 100 permutations, the adversarial search)
  on a seeded sample of ``n_instances`` test instances, scaled to the number the preset analyses.

The model is freshly initialised: none of these costs depends on the weights. Small samples fill batches
less than a full run does, so the analysis estimate errs on the long side.
"""
from __future__ import annotations

import heapq
import time
from dataclasses import replace

import pandas as pd
from tqdm.auto import tqdm

from ..data import load_dataset
from ..data.batching import batch_order
from ..explain import analyse_split
from ..plumbing.device import resolve_device
from ..results.analyses import sample_indices
from ..results.runs import initial_model, training_view
from ..training.recipe import TrainConfig, epoch_seed, make_optimizer, positive_weight, predict_split, train_epoch

__all__ = ["DEV_SAMPLE", "ORDERING_SAMPLE", "estimate_experiment", "estimate_preset", "estimate_faithfulness",
           "experiment_costs", "stage_costs", "wall_time_on_workers"]


def _seconds(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


DEV_SAMPLE = 512
"""Dev instances whose evaluation :func:`estimate_experiment` times and scales to the dev split (all of a smaller
one): on the 2-core machine the full dev sets of IMDB and SNLI took 16 and 8 of the 86 s that timing the paper's 48
experiments took."""


def estimate_experiment(experiment, dataset, *, n_batches: int = 8, n_instances: int = 32,
                        device="auto") -> dict:
    """Measured seconds of a sample of one experiment's training and analysis, and their scaled totals.

    Parameters
    ----------
    experiment : attnlib.book.Experiment
    dataset : TextDataset
        The experiment's dataset, loaded.
    n_batches : int
        Training steps timed (capped at an epoch's batches).
    n_instances : int
        Test instances analysed (capped at the number the experiment analyses).
    device : str or torch.device

    Returns
    -------
    dict with ``experiment``, ``epochs``, ``batches_per_epoch``, ``seconds_per_batch``, ``dev_seconds``
    (one evaluation of the dev split, timed on :data:`DEV_SAMPLE` of its instances), ``train_seconds`` (estimated),
    ``analysed`` (instances the experiment analyses), ``seconds_per_instance`` and ``analysis_seconds`` (estimated).
    """
    device = resolve_device(device)
    config, analysis = experiment.run, experiment.analysis
    resolved = config.resolve(dataset)
    model = initial_model(config, dataset, resolved)[0].to(device)
    train_config = TrainConfig(epochs=resolved["epochs"], batch_size=resolved["batch_size"], seed=config.seed)
    train = training_view(dataset, config).split("train")
    chunks = batch_order(train, train_config.batch_size, seed=epoch_seed(train_config, 0))
    timed = chunks[: max(1, min(n_batches, len(chunks)))]
    optimizer = make_optimizer(model, train_config)
    pos_weight = positive_weight(model.task, train)
    train_epoch(model, optimizer, train, chunks[-1:], pos_weight, device)                 # warm-up
    per_batch = _seconds(lambda: train_epoch(model, optimizer, train, timed, pos_weight, device)) / len(timed)
    dev = dataset.split("dev")
    dev_sample = dev.subset(sample_indices(len(dev), DEV_SAMPLE, config.seed))
    dev_seconds = _seconds(lambda: predict_split(model, dev_sample, train_config.batch_size, device)) \
        * len(dev) / len(dev_sample)
    test = dataset.split(analysis.split)
    analysed = len(sample_indices(len(test), analysis.limit, analysis.seed))
    sample = test.subset(sample_indices(len(test), min(n_instances, analysed), analysis.seed))
    analysis_sample = _seconds(lambda: analyse_split(
        model, sample, n_classes=dataset.n_classes, seed=analysis.seed, n_permutations=analysis.n_permutations,
        n_adversaries=analysis.n_adversaries, adversary_iterations=analysis.adversary_iterations, device=device,
        progress=False))
    per_instance = analysis_sample / len(sample)
    return {"experiment": experiment.label, "epochs": train_config.epochs, "batches_per_epoch": len(chunks),
            "seconds_per_batch": per_batch, "dev_seconds": dev_seconds,
            "train_seconds": train_config.epochs * (per_batch * len(chunks) + dev_seconds),
            "analysed": analysed, "seconds_per_instance": per_instance, "analysis_seconds": per_instance * analysed}


def estimate_preset(preset: str, *, data_dir=None, n_batches: int = 8, n_instances: int = 32, device="auto",
                    progress: bool = True) -> pd.DataFrame:
    """:func:`estimate_experiment` for every experiment of ``preset`` over the available datasets.

    Returns
    -------
    DataFrame, one row per experiment (columns of :func:`estimate_experiment`) plus ``total_seconds``.
    """
    from .presets import available_datasets, get_preset

    experiments = get_preset(preset).experiments(available_datasets(data_dir))
    rows, datasets = [], {}
    for experiment in tqdm(experiments, desc=f"estimating {preset}", disable=not progress):
        name = experiment.run.dataset
        if name not in datasets:
            datasets = {name: load_dataset(name, data_dir, progress=False)}   # one dataset in memory at a time
        rows.append(estimate_experiment(experiment, datasets[name], n_batches=n_batches, n_instances=n_instances,
                                        device=device))
    table = pd.DataFrame(rows)
    table["total_seconds"] = table["train_seconds"] + table["analysis_seconds"]
    return table


ORDERING_SAMPLE = {"n_batches": 2, "n_instances": 8}
"""The timed sample per experiment by which a cluster build orders its experiments (:func:`experiment_costs`): 1.3 s
per experiment of the default preset on the 2-core machine (31 s for its 24), a small part of an experiment, and
enough to put the longest first (with 16 instances it took 40 s)."""


def experiment_costs(experiments: dict, *, data_dir=None, runs_dir=None, device="auto", progress: bool = True,
                     estimates: dict | None = None) -> dict:
    """Estimated seconds of each of ``experiments`` (name to :class:`~attnlib.book.Experiment`) from
    :data:`ORDERING_SAMPLE` (:func:`estimate_experiment`); 0 for an experiment already finished in ``runs_dir``.
    ``estimates``, when given, receives the :func:`estimate_experiment` of each experiment timed, by its run."""
    from .experiments import experiment_finished

    costs, datasets, warm = {}, {}, False
    for name, experiment in tqdm(experiments.items(), desc="timing a sample of each experiment", disable=not progress):
        dataset_name = experiment.run.dataset
        if dataset_name not in datasets:
            datasets = {dataset_name: load_dataset(dataset_name, data_dir, progress=False)}
        dataset = datasets[dataset_name]
        if experiment_finished(experiment, runs_dir=runs_dir, dataset=dataset):
            costs[name] = 0.0
            continue
        if not warm:   # the process's first training steps and analyses are slower (kernels set up): not timed
            estimate_experiment(experiment, dataset, device=device, **ORDERING_SAMPLE)
            warm = True
        estimated = estimate_experiment(experiment, dataset, device=device, **ORDERING_SAMPLE)
        costs[name] = estimated["train_seconds"] + estimated["analysis_seconds"]
        if estimates is not None:
            estimates[experiment.run] = estimated
    return costs


def estimate_faithfulness(experiment, dataset, measure, *, n_instances: int = 1, device="auto") -> float:
    """Measured seconds per instance of the faithfulness lab's ``measure``
    (:class:`~attnlib.faithfulness.runs.FaithfulnessConfig`: every explainer and erasure curve) on ``experiment``'s
    freshly initialised model, timed on a seeded sample of ``n_instances`` of its instances."""
    from ..faithfulness.measure import faithfulness_over_split

    device = resolve_device(device)
    config = experiment.run
    model = initial_model(config, dataset, config.resolve(dataset))[0].to(device)
    split = dataset.split(measure.split)
    sample = split.subset(sample_indices(len(split), n_instances, measure.seed))
    return _seconds(lambda: faithfulness_over_split(model, sample, measure.explainers, device=device,
                                                    progress=False)) / len(sample)


def _costing_experiment(run):
    """An experiment with ``run``'s training settings and a model that :func:`estimate_experiment` can build: the
    critique's uniform and imposed runs and its adversaries cost about what a ``tanh`` model of the same encoder and
    epochs costs to train."""
    from ..models.attention import ATTENTIONS
    from ..results.analyses import AnalysisConfig
    from .experiments import Experiment

    return Experiment(run if run.attention in ATTENTIONS else replace(run, attention="tanh"), AnalysisConfig())


def stage_costs(preset: str, experiments: list, *, data_dir=None, device="auto", progress: bool = True,
                estimates: dict | None = None) -> dict:
    """Estimated seconds of the critique and the faithfulness lab of each dataset of ``preset``, by task name
    (``critique sst``, ``faithfulness planted``), for a cluster to order them with the experiments
    (:func:`experiment_costs`).

    A stage's cost is the training it does itself (the critique's runs, and the lab's models, that are not among
    ``experiments``: :data:`ORDERING_SAMPLE` steps of each distinct training setting, scaled like an experiment's) and,
    for the lab, its measures (every explainer on one instance of each model, times the instances it measures).
    ``estimates``: :func:`experiment_costs`' samples by run, re-used for the runs that train like an experiment.
    """
    from .critique import critique_plan
    from .faithfulness import faithfulness_plan
    from .presets import get_preset

    chosen, built = get_preset(preset), {e.run for e in experiments}
    work = []   # (task name, run, the lab's measure of it or None for its training)
    if chosen.critique is not None:
        work += [(f"critique {p.dataset}", p.run, None) for p in critique_plan(preset, data_dir=data_dir)
                 if p.config not in built]   # (an adversary's config holds the run it follows)
    if chosen.faithfulness is not None:
        for model in faithfulness_plan(preset, data_dir=data_dir):
            name = f"faithfulness {model.run.dataset}"
            work += [(name, model.run, None)] * (model.run not in built) + [(name, model.run, model.measure)]
    costs, loaded = dict.fromkeys((name for name, _, _ in work), 0.0), {}
    trained = {run: estimated["train_seconds"] for run, estimated in (estimates or {}).items()}
    for name, run, measure in tqdm(work, desc="timing a sample of the critique and the lab", disable=not progress):
        if run.dataset not in loaded:
            loaded = {run.dataset: load_dataset(run.dataset, data_dir, progress=False)}
        dataset, experiment = loaded[run.dataset], _costing_experiment(replace(run, seed=0))
        if measure is not None:
            instances = len(sample_indices(len(dataset.split(measure.split)), measure.limit, measure.seed))
            costs[name] += instances * estimate_faithfulness(experiment, dataset, measure, device=device)
            continue
        if experiment.run not in trained:
            trained[experiment.run] = estimate_experiment(experiment, dataset, device=device,
                                                          **ORDERING_SAMPLE)["train_seconds"]
        costs[name] += trained[experiment.run]
    return costs


def wall_time_on_workers(seconds, workers: int) -> tuple[float, list[float]]:
    """The wall time of tasks taking ``seconds`` on ``workers`` workers that each run one task at a time, scheduled
    longest first onto the least loaded worker (Graham's LPT rule: within 4/3 of the best possible schedule).

    Returns
    -------
    wall : float
        The busiest worker's seconds.
    loads : list of float, one per worker
        Seconds of work per worker, busiest first.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1; got {workers}")
    loads = [(0.0, worker) for worker in range(workers)]
    for task in sorted(map(float, seconds), reverse=True):
        load, worker = heapq.heappop(loads)
        heapq.heappush(loads, (load + task, worker))
    busiest = sorted((load for load, _ in loads), reverse=True)
    return busiest[0], busiest
