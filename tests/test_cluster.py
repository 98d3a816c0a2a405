"""The experiments on a local Dask cluster: the same files as a serial run with the same thread count, and the
faults a cluster meets (a worker killed mid-training, a scheduler that does not answer, a runs folder the workers
cannot see, a restarted client)."""
from __future__ import annotations

import json
import time

import pytest
import torch

pytest.importorskip("distributed")

from attnlib.book.build import run_experiments_here  # noqa: E402
from attnlib.book.cluster import run_experiments_on_cluster, start_cluster  # noqa: E402
from attnlib.book.presets import Experiment  # noqa: E402
from attnlib.plumbing.errors import AttnlibError  # noqa: E402
from attnlib.results.analyses import AnalysisConfig  # noqa: E402
from attnlib.results.runs import RunConfig  # noqa: E402
from test_data_own import _balanced, _write_csv  # noqa: E402

ANALYSIS = AnalysisConfig(limit=6, n_permutations=4, n_adversaries=2, adversary_iterations=4)


@pytest.fixture
def setup(tmp_path, attnlib_env, monkeypatch):
    """``(experiments, data_dir, runs_dir)``: four small experiments on a file of one's own; torch's threads are
    restored afterwards."""
    data = tmp_path / "data"
    data.mkdir()
    path = _write_csv(data / "reviews.csv", _balanced(120))
    experiments = [Experiment(RunConfig(dataset=f"file:{path}", encoder=encoder, attention=attention, epochs=3,
                                        embedding="random"), ANALYSIS)
                   for encoder, attention in (("average", "tanh"), ("cnn", "dot"), ("lstm", "tanh"), ("lstm", "dot"))]
    threads = torch.get_num_threads()
    monkeypatch.setenv("ATTNLIB_THREADS", "1")
    yield experiments, str(data), tmp_path / "runs"
    torch.set_num_threads(threads)


@pytest.fixture
def cluster():
    started = start_cluster(workers=2)
    yield started
    started.close()


def _summaries(results) -> dict:
    from pathlib import Path

    return {Path(r["run"]).name: (Path(r["run"]) / "summary-limit6.csv").read_bytes() for r in results}


def test_two_workers_write_the_files_of_a_serial_run_with_their_thread_count(setup, cluster):
    experiments, data, runs = setup
    assert cluster.threads == 1 and len(cluster.workers) == 2
    torch.set_num_threads(1)
    serial = run_experiments_here(experiments, data_dir=data, runs_dir=str(runs / "serial"), progress=False)
    spread = run_experiments_on_cluster(cluster, experiments, data_dir=data, runs_dir=str(runs / "dask"),
                                        progress=False)
    assert _summaries(serial) == _summaries(spread) and len(_summaries(spread)) == 4
    assert {r["worker"] for r in serial} == {"this process"}
    assert {r["worker"] for r in spread} <= set(cluster.workers)
    again = run_experiments_on_cluster(cluster, experiments, data_dir=data, runs_dir=str(runs / "dask"),
                                       progress=False)                     # a restarted client redoes nothing
    assert all(r["reused"] for r in again) and not any(r["reused"] for r in spread)
    assert [r["train_seconds"] for r in again] == [r["train_seconds"] for r in spread]


def _kill_in_the_second_epoch(marker: str):
    """On a worker: SIGKILL this process when a training reaches its second epoch, once (``marker`` records the
    checkpoint it leaves and the first epoch's seconds)."""
    import os
    import signal
    import sys
    from pathlib import Path

    import attnlib.training.recipe as recipe

    original = recipe.train_epoch

    def train_epoch(*args, **kwargs):
        caller = sys._getframe(1).f_locals
        checkpoint, state = caller.get("checkpoint"), caller.get("state")
        if checkpoint is not None and state["epoch"] == 0 and not Path(marker).exists():
            Path(marker).write_text(json.dumps({"run": str(checkpoint.parent),
                                                "seconds": state["history"][0]["seconds"]}))
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)

    recipe.train_epoch = train_epoch


def test_a_worker_killed_mid_training_is_replaced_and_the_run_resumes_to_the_same_numbers(setup, cluster, tmp_path):
    experiments, data, runs = setup
    torch.set_num_threads(1)
    serial = run_experiments_here(experiments, data_dir=data, runs_dir=str(runs / "serial"), progress=False)
    marker = tmp_path / "killed.json"
    cluster.client.run(_kill_in_the_second_epoch, str(marker), workers=cluster.workers[:1])
    spread = run_experiments_on_cluster(cluster, experiments, data_dir=data, runs_dir=str(runs / "dask"),
                                        progress=False)
    killed = json.loads(marker.read_text())
    assert _summaries(serial) == _summaries(spread)
    from pathlib import Path

    history = json.loads((Path(killed["run"]) / "metrics.json").read_text())["dev_history"]
    assert history[0]["seconds"] == killed["seconds"]                  # epoch 0 is the killed worker's: resumed
    assert len(history) >= 2 and not (Path(killed["run"]) / "checkpoint.pt").exists()


def test_a_scheduler_that_does_not_answer_is_one_line_within_seconds():
    started = time.perf_counter()
    with pytest.raises(AttnlibError, match=r"no Dask scheduler answers at tcp://127.0.0.1:9 \(nothing within 2 s\); start one"):
        start_cluster(scheduler="tcp://127.0.0.1:9", timeout=2)
    assert time.perf_counter() - started < 15


def _private_runs_folder(private: str):
    """On a worker: what it writes under the runs folder's path lands in ``private``, as on a machine whose runs path
    is on its own disk (it reports the path it was given)."""
    import attnlib.book.cluster as cluster

    probe = cluster._probe

    def local_probe(runs_dir, data_dir, token):
        answer = probe(private, data_dir, token)
        answer["probe"] = answer["probe"].replace(private, runs_dir)
        return answer

    cluster._probe = local_probe


def test_a_runs_folder_the_workers_cannot_see_stops_before_any_training(setup, cluster, tmp_path):
    experiments, data, runs = setup
    cluster.client.run(_private_runs_folder, str(tmp_path / "elsewhere"))
    with pytest.raises(AttnlibError, match=r"the Dask worker tcp://.* wrote .*, which this machine cannot read: the "
                                           r"runs and data folders must be storage every worker"):
        run_experiments_on_cluster(cluster, experiments, data_dir=data, runs_dir=str(runs), progress=False)
    assert not runs.exists() or not any(runs.glob("*/config.json"))


def test_a_data_folder_the_workers_cannot_see_stops_before_any_training(setup, cluster, tmp_path):
    experiments, data, runs = setup
    cluster.client.run(_swap_probe_data, str(tmp_path / "no-data"))
    with pytest.raises(AttnlibError, match=r"cannot see the data folder .*no-data: the runs and data folders"):
        run_experiments_on_cluster(cluster, experiments, data_dir=data, runs_dir=str(runs), progress=False)
    assert not any(runs.glob("*/config.json"))


def _swap_probe_data(missing: str):
    """On a worker: its data folder is ``missing`` (as on a machine without the shared data)."""
    import attnlib.book.cluster as cluster

    probe = cluster._probe
    cluster._probe = lambda runs_dir, data_dir, token: probe(runs_dir, missing, token)


def test_the_command_line_with_a_dead_scheduler_prints_one_line_and_trains_nothing(tmp_path, capsys, monkeypatch):
    from attnlib.cli import main
    from conftest import real_data_dir

    if real_data_dir() is None:
        pytest.skip("the quick preset needs the SST and bAbI data: set ATTNLIB_DATA")
    monkeypatch.setenv("ATTNLIB_DATA", str(real_data_dir()))
    started = time.perf_counter()
    code = main(["book", "--preset", "quick", "--root", str(tmp_path), "--runs-dir", str(tmp_path / "runs"),
                 "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: no Dask scheduler answers at tcp://127.0.0.1:9")
    assert time.perf_counter() - started < 30 and not (tmp_path / "runs").exists()


def test_a_running_scheduler_is_used_and_one_without_workers_is_one_line():
    import distributed

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0") as local:
        joined = start_cluster(scheduler=local.scheduler_address)
        try:
            assert joined.threads == 1 and joined.workers == sorted(local.scheduler_info["workers"])
            assert joined.local is None and joined.dashboard
        finally:
            joined.close()
    with distributed.LocalCluster(n_workers=0, dashboard_address=":0") as empty:
        with pytest.raises(AttnlibError, match=r"has no worker after 1 s; start workers \(dask worker tcp://"):
            start_cluster(scheduler=empty.scheduler_address, worker_wait=1)


def test_the_critique_and_the_faithfulness_lab_are_one_task_per_dataset_in_plan_order():
    from attnlib.book.tasks import stage_datasets
    from conftest import real_data_dir

    if real_data_dir() is None:
        pytest.skip("the quick preset needs the SST and bAbI data: set ATTNLIB_DATA")
    assert stage_datasets("quick", str(real_data_dir())) == [("critique", "sst"), ("faithfulness", "sst"),
                                                             ("faithfulness", "planted")]
