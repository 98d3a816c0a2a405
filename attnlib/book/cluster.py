"""A preset's experiments spread over a Dask cluster (``attnlib book --workers N`` or ``--scheduler ADDRESS``).

Each experiment (train, then analyse: :func:`~attnlib.book.experiments.run_experiment`) is one Dask task; the
client then runs the critique, the faithfulness lab and the chapters, once every experiment has finished. What
makes this safe:

* **Shared storage, checked first.** Every worker writes a probe file into the runs folder and lists the data folder
  before anything is trained; a worker whose files this client cannot read, or that cannot see the data, stops the
  build with one line (:func:`check_shared_storage`).
* **Content-keyed, atomic results.** A run's directory is named by the hash of everything that defines it, and every
  file appears whole or not at all, so a retried or duplicated task finds or rewrites the same files.
* **Killed workers.** Dask gives a lost worker's task to another worker (the scheduler's ``allowed-failures``), which
  resumes its training from the last finished epoch (``checkpoint.pt``) and its analysis from the last stored stage.
* **One thread count.** Each task sets torch's threads to the build's count (:func:`cluster_threads`), which is part
  of every run's key (:func:`~attnlib.plumbing.device.threads_key`); the client and the chapters use it too, so they
  open the runs the workers trained, and a worker runs one task at a time so cores are not oversubscribed.
"""
from __future__ import annotations

import os
import time
import uuid
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from ..plumbing.device import available_cores, configured_threads
from ..plumbing.errors import AttnlibError, ConfigError, OneLineWarning

__all__ = ["Cluster", "SCHEDULER_TIMEOUT", "check_shared_storage", "cluster_threads", "experiment_task",
           "run_experiments_on_cluster", "run_stages_on_cluster", "stage_datasets", "stage_task", "start_cluster",
           "use_cluster_threads"]

SCHEDULER_TIMEOUT = 10
"""Seconds to wait for a scheduler (``--scheduler``) to answer."""

WORKER_WAIT = 600
"""Seconds to wait for a running scheduler's first worker (batch jobs of dask-jobqueue may queue for minutes)."""

_INSTALL = "install the cluster extra: pip install -e '.[cluster]' (make env does this)"


@dataclass
class Cluster:
    """A connected Dask client, the torch threads of each task, and the local cluster it started (if any)."""

    client: object
    threads: int
    local: object = None

    @property
    def dashboard(self) -> str:
        """The Dask dashboard's address."""
        return self.client.dashboard_link

    @property
    def workers(self) -> list[str]:
        """The addresses of the connected workers."""
        return sorted(self.client.scheduler_info(n_workers=-1)["workers"])

    def close(self) -> None:
        self.client.close()
        if self.local is not None:
            self.local.close()


def cluster_threads(workers: int | None) -> int:
    """torch's threads per task: ``$ATTNLIB_THREADS`` when set, else this machine's cores shared among ``workers``
    local workers, else (a remote cluster, whose workers run one task per core) 1."""
    return configured_threads() or (max(1, available_cores() // workers) if workers else 1)


def _distributed():
    try:
        import distributed
    except ImportError:
        raise AttnlibError(f"--workers and --scheduler need dask.distributed; {_INSTALL}") from None
    return distributed


def start_cluster(workers: int | None = None, scheduler: str | None = None, *,
                  timeout: float = SCHEDULER_TIMEOUT, worker_wait: float = WORKER_WAIT) -> Cluster:
    """A local cluster of ``workers`` processes (one task at a time each), or a client of the scheduler at
    ``scheduler``. Raises :class:`AttnlibError` (one line) when the scheduler does not answer within ``timeout``
    seconds, or has no worker after ``worker_wait`` seconds."""
    if (workers is None) == (scheduler is None):
        raise ConfigError("give either a number of local workers (--workers N) or a scheduler (--scheduler ADDRESS)")
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be at least 1; got {workers}")
    distributed = _distributed()
    threads = cluster_threads(workers)
    if workers is not None:
        import logging

        local = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         dashboard_address=":0", silence_logs=logging.ERROR,
                                         env={"ATTNLIB_THREADS": str(threads)})
        return Cluster(distributed.Client(local), threads, local)
    try:
        client = distributed.Client(scheduler, timeout=f"{timeout}s")
    except Exception as error:  # noqa: BLE001 - refused, timed out, or something else answering at that address
        why = (f"nothing within {timeout:g} s" if isinstance(error, (OSError, TimeoutError))
               else f"what answers is not one: {type(error).__name__}")
        raise AttnlibError(f"no Dask scheduler answers at {scheduler} ({why}); start one (dask scheduler, or "
                           "dask-jobqueue's cluster.scheduler_address) or use --workers N for a cluster on this "
                           "machine") from None
    try:
        if not client.scheduler_info(n_workers=-1)["workers"]:
            tqdm.write(f"waiting up to {worker_wait / 60:g} min for a worker to join the scheduler at {scheduler}")
        client.wait_for_workers(1, timeout=worker_wait)
    except (OSError, TimeoutError):
        client.close()
        raise AttnlibError(f"the Dask scheduler at {scheduler} has no worker after {worker_wait:g} s; start workers "
                           f"(dask worker {scheduler} --nthreads 1) and run the command again") from None
    return Cluster(client, threads)


def _probe(runs_dir: str, data_dir: str, token: str) -> dict:
    """On a worker (through ``Client.run``): write a probe file holding ``token`` into ``runs_dir``, list
    ``data_dir``."""
    probe = Path(runs_dir) / ".attnlib-probes" / f"{token}-{uuid.uuid4().hex}"
    try:
        probe.parent.mkdir(parents=True, exist_ok=True)
        probe.write_text(token)
    except OSError as error:
        return {"problem": f"cannot write to the runs folder {runs_dir} ({error.strerror})"}
    if not Path(data_dir).is_dir():
        return {"problem": f"cannot see the data folder {data_dir}"}
    return {"probe": str(probe), "data": sorted(os.listdir(data_dir))}


def check_shared_storage(cluster: Cluster, runs_dir: str, data_dir: str) -> None:
    """Raise :class:`AttnlibError` (one line) unless every worker writes files into ``runs_dir`` that this client can
    read, and sees the same ``data_dir`` as this client. Runs before anything is trained; the probes are removed."""
    token = uuid.uuid4().hex
    answers = cluster.client.run(_probe, runs_dir, data_dir, token)
    here = sorted(os.listdir(data_dir))
    fix = "the runs and data folders must be storage every worker and this machine see at the same path"
    try:
        for worker, answer in sorted(answers.items()):
            if "problem" in answer:
                raise AttnlibError(f"the Dask worker {worker} {answer['problem']}: {fix}")
            probe = Path(answer["probe"])
            if not probe.exists() or probe.read_text() != token:
                raise AttnlibError(f"the Dask worker {worker} wrote {probe}, which this machine cannot read: {fix} "
                                   "(a shared file system; --runs-dir or ATTNLIB_RUNS)")
            if answer["data"] != here:
                raise AttnlibError(f"the Dask worker {worker} sees other files in {data_dir} than this machine: "
                                   f"{fix} (--data-dir or ATTNLIB_DATA)")
    finally:
        for probe in (Path(runs_dir) / ".attnlib-probes").glob(f"{token}-*"):
            probe.unlink(missing_ok=True)


@contextmanager
def _one_line_warnings(record: bool = True):
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


def _worker_address() -> str:
    """The address of the Dask worker running the current task, or ``this process`` outside one."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "this process"


def experiment_task(experiment, data_dir: str, runs_dir: str, device: str, threads: int | None = None,
                    progress: bool = False) -> dict:
    """On a worker (or in this process): train (or load) and analyse (or load) ``experiment``, with ``threads`` torch
    threads (None: as they are); ``progress``: tqdm bars of its epochs and stages.

    Returns
    -------
    dict with ``label``, ``run`` and ``analysis`` (their directories), ``seconds``, ``reused``, ``train_seconds``,
    ``analysis_seconds``, ``worker`` (its address) and ``warnings`` (the one-line warnings it raised).
    """
    from ..data import load_dataset
    from ..plumbing.device import configure_threads
    from .experiments import experiment_finished, run_experiment

    worker = _worker_address()
    if threads is not None:
        configure_threads(threads)
    started = time.perf_counter()
    with _one_line_warnings(record=worker != "this process") as caught:
        dataset = load_dataset(experiment.run.dataset, data_dir, progress=progress)
        reused = experiment_finished(experiment, runs_dir=runs_dir, dataset=dataset)
        run, analysis = run_experiment(experiment, data_dir=data_dir, runs_dir=runs_dir, device=device,
                                       progress=progress, dataset=dataset)
    return {"label": experiment.label, "run": str(run.directory), "analysis": str(analysis.directory),
            "seconds": time.perf_counter() - started, "reused": reused,
            "train_seconds": run.metrics.get("train_seconds"),
            "analysis_seconds": sum(analysis.seconds.values()) if analysis.seconds else None, "worker": worker,
            "warnings": caught}


def _run_tasks(cluster: Cluster, calls: list, *, what: str, progress: bool, retries: int) -> list[dict]:
    """``calls`` (``(label, function, *arguments)``) as Dask tasks; their results in order. The one-line warnings
    they raised are repeated here; the first error of a task that failed for good is raised once all have ended."""
    distributed = _distributed()
    futures = [cluster.client.submit(function, *arguments, key=f"{what}-{number}-{uuid.uuid4().hex[:8]}",
                                     retries=retries, pure=False)
               for number, (_, function, *arguments) in enumerate(calls)]
    order = {future.key: number for number, future in enumerate(futures)}
    results: list = [None] * len(futures)
    failures = []
    bar = tqdm(total=len(futures), desc=f"{what} on {len(cluster.workers)} Dask workers", disable=not progress)
    for future in distributed.as_completed(futures):
        if future.status == "error":
            failures.append((calls[order[future.key]][0], future.exception()))
        else:
            result = future.result()
            for message in result["warnings"]:
                warnings.warn(message, OneLineWarning, stacklevel=3)
            results[order[future.key]] = result
        bar.update()
    bar.close()
    if failures:
        label, error = failures[0]
        if isinstance(error, AttnlibError):
            raise error
        raise AttnlibError(f"{label} failed on the cluster ({type(error).__name__}: {error}); {len(failures)} of "
                           f"{len(calls)} {what} failed; run the same command again to retry them")
    return results


def run_experiments_on_cluster(cluster: Cluster, experiments: list, *, data_dir: str, runs_dir: str,
                               device: str = "auto", progress: bool = True, retries: int = 2) -> list[dict]:
    """Every experiment as a Dask task on ``cluster`` (:func:`experiment_task`), after
    :func:`check_shared_storage`; returns their results in the order of ``experiments``.

    A task that raises is retried ``retries`` times; a task whose worker dies is given to another worker. The
    progress bar counts finished experiments over the cluster. The one-line warnings of the tasks are repeated
    here, and the first error of a task that fails for good is raised (after the others finished).
    """
    check_shared_storage(cluster, runs_dir, data_dir)
    calls = [(f"experiment {experiment.label}", experiment_task, experiment, data_dir, runs_dir, device,
              cluster.threads) for experiment in experiments]
    return _run_tasks(cluster, calls, what="experiments", progress=progress, retries=retries)


class _TimelineRows:
    """A stage's timeline rows, collected on a worker for the client's timeline (the interface of ``Timeline.add``)."""

    def __init__(self):
        self.rows = []

    def add(self, kind, name, seconds, reused, train_seconds=None, analysis_seconds=None, worker=None):
        self.rows.append({"kind": kind, "name": name, "seconds": seconds, "reused": reused,
                          "train_seconds": train_seconds, "analysis_seconds": analysis_seconds})


def stage_task(stage: str, preset: str, dataset: str, known: list, data_dir: str, runs_dir: str, device: str,
               threads: int) -> dict:
    """On a worker: the ``critique`` or ``faithfulness`` stage of the book for one ``dataset``
    (:func:`~attnlib.book.build.run_critique_stage`, :func:`~attnlib.book.build.run_faithfulness_stage`; ``known``:
    the experiments' run directories). Returns ``directories``, the timeline ``rows``, ``worker`` and ``warnings``."""
    from ..plumbing.device import configure_threads
    from .build import run_critique_stage, run_faithfulness_stage

    configure_threads(threads)
    rows = _TimelineRows()
    options = {"data_dir": data_dir, "runs_dir": runs_dir, "device": device, "progress": False, "datasets": [dataset]}
    with _one_line_warnings() as caught:
        if stage == "critique":
            directories = run_critique_stage(preset, rows, set(map(Path, known)), **options)
        else:
            directories = run_faithfulness_stage(preset, rows, **options)
    return {"directories": [str(d) for d in directories], "rows": rows.rows, "worker": _worker_address(),
            "warnings": caught}


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


def run_stages_on_cluster(cluster: Cluster, preset: str, known: list, *, data_dir: str, runs_dir: str,
                          device: str = "auto", progress: bool = True, retries: int = 2) -> list[dict]:
    """The critique's and the faithfulness lab's work for ``preset``, one Dask task per stage and dataset
    (:func:`stage_task`), once the experiments (``known``: their run directories) have finished. Returns, per
    ``(stage, dataset)`` of :func:`stage_datasets`, the task's result with ``stage`` added."""
    pairs = stage_datasets(preset, data_dir)
    calls = [(f"the {stage} of {dataset}", stage_task, stage, preset, dataset, [str(k) for k in known], data_dir,
              runs_dir, device, cluster.threads) for stage, dataset in pairs]
    results = _run_tasks(cluster, calls, what="critique and faithfulness datasets", progress=progress,
                         retries=retries)
    return [{**result, "stage": stage} for (stage, _), result in zip(pairs, results)]


def use_cluster_threads(threads: int) -> None:
    """Set torch's threads in this process, and ``$ATTNLIB_THREADS`` for the chapters' kernels and what this process
    opens afterwards (the slides), to the cluster's ``threads``: they then open the runs the workers trained. Left
    set after the build, for the same reason."""
    from ..plumbing.device import configure_threads

    os.environ["ATTNLIB_THREADS"] = str(threads)
    configure_threads(threads)
