"""A book build's tasks spread over a Dask cluster (``attnlib book --workers N`` or ``--scheduler ADDRESS``).

Each task of :mod:`attnlib.book.tasks` (an experiment, trained then analysed; an ablation's experiment; an
adversary-strength sweep; the critique or the faithfulness lab of one dataset) is one Dask task, started as soon as
the tasks it waits for have finished, the longest first (:func:`run_on_cluster`); the client then runs the chapters.
What makes this safe:

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
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tqdm.auto import tqdm

from ..plumbing.device import available_cores, configured_threads
from ..plumbing.errors import AttnlibError, ConfigError, OneLineWarning

__all__ = ["Cluster", "SCHEDULER_TIMEOUT", "check_shared_storage", "cluster_threads", "critical_paths",
           "run_experiments_on_cluster", "run_on_cluster", "start_cluster", "use_cluster_threads"]

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


def _call(body, arguments: tuple, threads: int, *after) -> dict:
    """On a worker: a task's ``body`` with its ``arguments``, ``threads`` and the results it waits for."""
    return body(*arguments, threads=threads, after=list(after))


def critical_paths(tasks: list) -> dict[str, float]:
    """Each task's cost plus the costliest chain of tasks that wait for it (directly or not), by name: how much
    work at least remains once it starts. A cheap task that a costly one waits for (an SST experiment the critique
    of SST re-uses) then starts as early as the costly one would."""
    waiting: dict[str, list] = {task.name: [] for task in tasks}
    for task in tasks:
        for name in task.after:
            waiting.setdefault(name, []).append(task.name)
    costs, paths = {task.name: task.cost for task in tasks}, {}

    def path(name):
        if name not in paths:
            paths[name] = costs[name] + max((path(other) for other in waiting[name]), default=0.0)
        return paths[name]

    return {task.name: path(task.name) for task in tasks}


def _longest_first(pending: list, tasks: list) -> list:
    """``pending``, some of ``tasks``, by decreasing :func:`critical_paths` over ``tasks`` (ties in list order)."""
    paths = critical_paths(tasks)
    return sorted(pending, key=lambda t: -paths[t.name])


def _slots(cluster: Cluster) -> int:
    """How many tasks ``cluster`` runs at once: one per worker thread (workers may join or leave during a build)."""
    workers = cluster.client.scheduler_info(n_workers=-1)["workers"].values()
    return max(1, sum(worker.get("nthreads", 1) for worker in workers))


def run_on_cluster(cluster: Cluster, tasks: list, *, data_dir: str, runs_dir: str, progress: bool = True,
                   retries: int = 2, what: str = "tasks", costs: Callable[[], dict] | None = None) -> dict[str, dict]:
    """Every task (:class:`~attnlib.book.tasks.Task`) on ``cluster``, after :func:`check_shared_storage`, each once the
    tasks it names in ``after`` have finished (it receives their results). Returns their results by name.

    This client hands out one task per worker thread at a time: each time a thread is free, the ready task with the
    longest :func:`critical_paths` (longest first keeps a worker from ending the build alone on a long task). Dask
    would give every submitted task to a worker's own queue at once, and a task queued behind a long one does not move
    to a worker that falls idle (on 2 workers, a fresh default build's loads were 1,679 and 1,430 s).

    ``costs``, when given, is called in a thread of this client while the cluster starts the tasks: it returns
    estimated seconds by task name (:func:`~attnlib.book.tasks.with_costs`), which order the tasks started once it has
    returned; until then they start in list order. The workers need not wait while this client times samples.

    A task that raises is retried ``retries`` times; a task whose worker dies is given to another worker. The
    progress bar counts finished tasks over the cluster. The one-line warnings of the tasks are repeated here, and the
    first error of a task that fails for good is raised once all have ended (the tasks waiting for it never start).
    """
    distributed = _distributed()
    known = {task.name for task in tasks}
    for task in tasks:
        missing = [name for name in task.after if name not in known]
        if missing:
            raise ValueError(f"task {task.name!r} waits for {missing[0]!r}, which is not in the build")
    check_shared_storage(cluster, runs_dir, data_dir)
    pending = _longest_first(tasks, tasks)
    results: dict[str, dict] = {}
    running: dict[str, str] = {}   # future key -> task name
    finished = distributed.as_completed()
    failures = []
    timing = ThreadPoolExecutor(max_workers=1)
    estimated = None if costs is None else timing.submit(costs)

    def start_ready():
        nonlocal pending, estimated
        if estimated is not None and estimated.done():
            from .tasks import with_costs

            costed = estimated.result()
            pending, estimated = _longest_first(with_costs(pending, costed), with_costs(tasks, costed)), None
        while len(running) < _slots(cluster):
            task = next((t for t in pending if all(name in results for name in t.after)), None)
            if task is None:
                return
            pending.remove(task)
            future = cluster.client.submit(
                _call, task.body, task.arguments, cluster.threads, *(results[name] for name in task.after),
                key=f"{task.name.replace(' ', '-')}-{uuid.uuid4().hex[:8]}", retries=retries, pure=False)
            running[future.key] = task.name
            finished.add(future)

    with timing:
        start_ready()
        bar = tqdm(total=len(tasks), desc=f"{what} on {len(cluster.workers)} Dask workers", disable=not progress)
        for future in finished:
            name = running.pop(future.key)
            if future.status == "error":
                failures.append((name, future.exception()))
            else:
                result = results[name] = future.result()
                for message in result["warnings"]:
                    warnings.warn(message, OneLineWarning, stacklevel=2)
            bar.update()
            start_ready()
        bar.close()
    if failures:
        name, error = failures[0]
        if isinstance(error, AttnlibError):
            raise error
        raise AttnlibError(f"{name} failed on the cluster ({type(error).__name__}: {error}); {len(failures)} of "
                           f"{len(tasks)} {what} failed; run the same command again to retry them")
    return results


def run_experiments_on_cluster(cluster: Cluster, experiments: list, *, data_dir: str, runs_dir: str,
                               device: str = "auto", progress: bool = True, retries: int = 2) -> list[dict]:
    """Every experiment as a Dask task on ``cluster`` (:func:`~attnlib.book.tasks.experiment_task` through
    :func:`run_on_cluster`); returns their results in the order of ``experiments``."""
    from .tasks import Task, experiment_task

    tasks = [Task(f"experiment {number}", experiment_task, (e, data_dir, runs_dir, device))
             for number, e in enumerate(experiments)]
    results = run_on_cluster(cluster, tasks, data_dir=data_dir, runs_dir=runs_dir, progress=progress,
                             retries=retries, what="experiments")
    return [results[task.name] for task in tasks]


def use_cluster_threads(threads: int) -> None:
    """Set torch's threads in this process, and ``$ATTNLIB_THREADS`` for the chapters' kernels and what this process
    opens afterwards (the slides), to the cluster's ``threads``: they then open the runs the workers trained. Left
    set after the build, for the same reason."""
    from ..plumbing.device import configure_threads

    os.environ["ATTNLIB_THREADS"] = str(threads)
    configure_threads(threads)
