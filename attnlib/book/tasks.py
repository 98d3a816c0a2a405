"""The work a book build does before its chapters, as tasks: run here one after another, or on a Dask cluster.

:func:`build_tasks` lists a preset's tasks: every experiment (train, then analyse), the ablations' experiments the
scorecard shows, the adversary-strength sweeps, and per dataset the critique's runs and the faithfulness lab's
measures. Each :class:`Task` names the tasks it waits for (a sweep waits for its experiment; the critique and the
faithfulness lab of a dataset wait for that dataset's experiments, whose runs they re-use) and its ``cost``, the
estimated seconds by which a cluster orders what it starts (longest first). :func:`run_here` runs them in this
process in list order; :func:`~attnlib.book.cluster.run_on_cluster` submits them to a cluster.

Every task body is a module-level function ``body(*arguments, threads=..., after=[results of the tasks it waits
for])`` returning a dict with its timeline ``rows`` (:meth:`~attnlib.book.timeline.Timeline.add` arguments), the
``worker`` that ran it and the one-line ``warnings`` it raised.
"""
from __future__ import annotations

import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from ..plumbing.errors import OneLineWarning

__all__ = ["Task", "build_tasks", "experiment_task", "experiments_of", "run_here",
           "stage_datasets", "stage_task", "strength_task", "with_costs", "worker_address"]

@dataclass(frozen=True)
class Task:
    """One piece of a build's work.

    Attributes
    ----------
    name : str
        Unique in the build (``experiment imdb lstm+tanh``, ``critique sst``).
    body : callable
        Module-level, so a Dask worker can run it.
    arguments : tuple
        ``body``'s positional arguments.
    after : tuple of str
        Names of the tasks whose results ``body`` receives as ``after`` and that must finish first.
    cost : float
        Estimated seconds (:func:`with_costs`: the experiments' and the stages' samples of
        :mod:`attnlib.book.estimate`; a strength sweep costs 0). A cluster starts the ready task with the longest
        chain of costs ahead of it first (:func:`~attnlib.book.cluster.critical_paths`): a long task started last
        would keep one worker busy while the others wait.
    """

    name: str
    body: Callable
    arguments: tuple
    after: tuple[str, ...] = ()
    cost: float = 0.0


def worker_address() -> str:
    """The address of the Dask worker running the current task, or ``this process`` outside one."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "this process"


@contextmanager
def _one_line_warnings(record: bool):
    """Yield a list that receives the messages of the one-line warnings raised in the block (a worker's are sent
    back to the client, which repeats them); with ``record=False`` they are shown here, as usual, and the list
    stays empty."""
    messages: list[str] = []
    if not record:
        yield messages
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OneLineWarning)
        yield messages
    messages += [str(w.message) for w in caught if issubclass(w.category, OneLineWarning)]


@contextmanager
def _task(threads: int | None):
    """What every task body does around its work: set torch's ``threads`` (None: as they are) and collect the one-line
    warnings on a worker. Yields ``(worker, warnings)``."""
    from ..plumbing.device import configure_threads

    if threads is not None:
        configure_threads(threads)
    worker = worker_address()
    with _one_line_warnings(record=worker != "this process") as caught:
        yield worker, caught


def experiment_task(experiment, data_dir: str, runs_dir: str, device: str, *, threads: int | None = None,
                    after=(), progress: bool = False, name: str | None = None) -> dict:
    """Train (or load) and analyse (or load) ``experiment``; ``progress``: tqdm bars of its epochs and stages;
    ``name``: its timeline row's name (default the experiment's label).

    Returns
    -------
    dict with ``label``, ``run`` and ``analysis`` (their directories), ``seconds``, ``reused``, ``train_seconds``,
    ``analysis_seconds``, ``worker``, ``warnings`` and ``rows`` (its one timeline row).
    """
    from ..data import load_dataset
    from .experiments import experiment_finished, run_experiment

    with _task(threads) as (worker, caught):
        started = time.perf_counter()
        dataset = load_dataset(experiment.run.dataset, data_dir, progress=progress)
        reused = experiment_finished(experiment, runs_dir=runs_dir, dataset=dataset)
        run, analysis = run_experiment(experiment, data_dir=data_dir, runs_dir=runs_dir, device=device,
                                       progress=progress, dataset=dataset)
        seconds = time.perf_counter() - started
    result = {"label": experiment.label, "run": str(run.directory), "analysis": str(analysis.directory),
              "seconds": seconds, "reused": reused, "train_seconds": run.metrics.get("train_seconds"),
              "analysis_seconds": sum(analysis.seconds.values()) if analysis.seconds else None, "worker": worker,
              "warnings": caught}
    result["rows"] = [{"kind": "experiment", "name": name or experiment.label, "seconds": seconds, "reused": reused,
                       "train_seconds": result["train_seconds"], "analysis_seconds": result["analysis_seconds"]}]
    return result


def strength_task(experiment, data_dir: str, runs_dir: str, device: str, *, threads: int | None = None,
                  after=(), progress: bool = False) -> dict:
    """The scorecard's adversary-strength sweep (:func:`~attnlib.book.ablations.adversary_strength`) of the finished
    ``experiment``, measured (or found in its run's folder)."""
    from .ablations import adversary_strength
    from .experiments import Result, run_experiment

    with _task(threads) as (worker, caught):
        started = time.perf_counter()
        run, analysis = run_experiment(experiment, data_dir=data_dir, runs_dir=runs_dir, device=device,
                                       progress=progress)
        before = set(run.directory.glob("adversary-strength-*.json"))
        adversary_strength(Result(experiment, run, analysis), progress=progress)
        reused = set(run.directory.glob("adversary-strength-*.json")) == before
        seconds = time.perf_counter() - started
    return {"worker": worker, "warnings": caught,
            "rows": [{"kind": "experiment", "name": f"adversary strength: {experiment.label}", "seconds": seconds,
                      "reused": reused}]}


class _Rows:
    """Timeline rows collected by a stage (the interface of :meth:`~attnlib.book.timeline.Timeline.add`)."""

    def __init__(self):
        self.rows = []

    def add(self, kind, name, seconds, reused, train_seconds=None, analysis_seconds=None, worker=None):
        self.rows.append({"kind": kind, "name": name, "seconds": seconds, "reused": reused,
                          "train_seconds": train_seconds, "analysis_seconds": analysis_seconds})


def stage_task(stage: str, preset: str, dataset: str, data_dir: str, runs_dir: str, device: str, *,
               threads: int | None = None, after=(), progress: bool = False) -> dict:
    """The ``critique`` or ``faithfulness`` stage of the book for one ``dataset``
    (:func:`~attnlib.book.build.run_critique_stage`, :func:`~attnlib.book.build.run_faithfulness_stage`); ``after``:
    the results of the dataset's experiments, whose runs the critique does not count as its own. Returns
    ``directories`` besides the common keys."""
    from .build import run_critique_stage, run_faithfulness_stage

    with _task(threads) as (worker, caught):
        rows = _Rows()
        options = {"data_dir": data_dir, "runs_dir": runs_dir, "device": device, "progress": progress,
                   "datasets": [dataset]}
        if stage == "critique":
            known = {Path(result["run"]) for result in after if "run" in result}
            directories = run_critique_stage(preset, rows, known, **options)
        else:
            directories = run_faithfulness_stage(preset, rows, **options)
    return {"directories": [str(d) for d in directories], "rows": rows.rows, "worker": worker, "warnings": caught}


def stage_datasets(preset: str, data_dir: str) -> list[tuple[str, str]]:
    """``(stage, dataset)`` for the critique's and then the faithfulness lab's datasets of ``preset``, in the order
    of their plans."""
    from .critique import critique_plan
    from .faithfulness import faithfulness_plan
    from .presets import get_preset

    chosen, pairs = get_preset(preset), []
    if chosen.critique is not None:
        pairs += [("critique", d) for d in dict.fromkeys(p.dataset for p in critique_plan(preset, data_dir=data_dir))]
    if chosen.faithfulness is not None:
        pairs += [("faithfulness", d) for d in dict.fromkeys(p.run.dataset for p in
                                                              faithfulness_plan(preset, data_dir=data_dir))]
    return pairs


def _experiment_name(experiment, ablation: str | None = None) -> str:
    return f"ablation {ablation}: {experiment.label}" if ablation else f"experiment {experiment.label}"


def build_tasks(preset: str, experiments: list, *, data_dir: str, runs_dir: str, device: str = "auto") -> list[Task]:
    """The tasks of a build of ``preset`` whose experiments are ``experiments`` (over the available datasets), in the
    order a serial build runs them: the experiments, the ablations' experiments, the strength sweeps, then the
    critique and the faithfulness lab per dataset (:func:`stage_datasets`). Every task costs 0 until :func:`with_costs`
    gives the experiments their estimates.
    """
    from .ablations import ablation_experiments, strength_configurations
    from .presets import available_datasets

    common = (data_dir, runs_dir, device)
    tasks = [Task(_experiment_name(e), experiment_task, (e, *common)) for e in experiments]
    for name, experiment in ablation_experiments(preset, available_datasets(data_dir)):
        label = _experiment_name(experiment, name)
        tasks.append(Task(label, _ablation_task, (experiment, *common, label)))
    wanted = {tuple(c) for c in strength_configurations(preset)}
    for experiment in experiments:
        run = experiment.run
        if run.seed == 0 and (run.dataset, run.encoder, run.attention) in wanted:
            tasks.append(Task(f"adversary strength: {experiment.label}", strength_task, (experiment, *common),
                              after=(_experiment_name(experiment),)))
    for stage, dataset in stage_datasets(preset, data_dir):
        own = tuple(_experiment_name(e) for e in experiments if e.run.dataset == dataset)
        tasks.append(Task(f"{stage} {dataset}", stage_task, (stage, preset, dataset, *common), after=own))
    return tasks


def _ablation_task(experiment, data_dir, runs_dir, device, label, *, threads=None, after=(), progress=False) -> dict:
    """:func:`experiment_task` of an ablation's experiment, its timeline row named ``label``."""
    return experiment_task(experiment, data_dir, runs_dir, device, threads=threads, after=after, progress=progress,
                           name=label)


def experiments_of(tasks: list[Task]) -> dict:
    """The experiment each training task of ``tasks`` (the preset's and the ablations') trains and analyses, by task
    name."""
    return {task.name: task.arguments[0] for task in tasks if task.body in (experiment_task, _ablation_task)}


def with_costs(tasks: list[Task], costs: dict) -> list[Task]:
    """``tasks`` with the estimated seconds of ``costs`` (task name to seconds) as their costs."""
    return [replace(task, cost=costs[task.name]) if task.name in costs else task for task in tasks]


def run_here(tasks: list[Task], *, threads: int | None = None, progress: bool = True, on_task=None) -> dict[str, dict]:
    """Run ``tasks`` in this process in list order (each after those it waits for: :func:`build_tasks` lists them so);
    ``on_task(number, task)`` is called before each. Returns their results by name."""
    results: dict[str, dict] = {}
    for number, task in enumerate(tasks, 1):
        if on_task is not None:
            on_task(number, task)
        missing = [name for name in task.after if name not in results]
        if missing:
            raise ValueError(f"task {task.name!r} comes before {missing[0]!r}, which it waits for")
        results[task.name] = task.body(*task.arguments, threads=threads, after=[results[n] for n in task.after],
                                       progress=progress)
    return results
