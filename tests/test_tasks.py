"""The tasks of a book build: what each preset computes before its chapters, in which order, what waits for what, and
how a cluster orders the tasks that are ready."""
from __future__ import annotations

import time

import pytest

from attnlib.book.presets import get_preset
from attnlib.book.tasks import (Task, build_tasks, experiment_task, experiments_of, run_here,
                                stage_task, strength_task, with_costs)
from conftest import real_data_dir


@pytest.fixture
def data():
    if real_data_dir() is None:
        pytest.skip("the presets' datasets are needed: set ATTNLIB_DATA")
    return str(real_data_dir())


def test_the_default_build_lists_its_experiments_ablations_sweep_critique_and_lab_each_after_what_it_needs(data):
    from attnlib.book.presets import available_datasets

    experiments = get_preset("default").experiments(available_datasets(data))
    tasks = build_tasks("default", experiments, data_dir=data, runs_dir="runs")
    names = [t.name for t in tasks]
    assert len(set(names)) == len(names)
    assert names[:len(experiments)] == [f"experiment {e.label}" for e in experiments]
    # the scorecard's last-epoch ablation of the preset's two SST configurations, 2 seeds each
    ablations = [t for t in tasks if t.name.startswith("ablation ")]
    assert [t.name for t in ablations] == ["ablation last_epoch: sst lstm+tanh", "ablation last_epoch: sst average+tanh",
                                           "ablation last_epoch: sst lstm+tanh seed 1",
                                           "ablation last_epoch: sst average+tanh seed 1"]
    assert all(t.arguments[0].run.select == "last" for t in ablations)
    sweep, = (t for t in tasks if t.body is strength_task)
    assert sweep.after == ("experiment sst lstm+tanh",)
    stages = [t for t in tasks if t.body is stage_task]
    assert [t.name for t in stages] == ["critique sst", "critique 20news", "critique agnews", "faithfulness sst",
                                        "faithfulness planted", "faithfulness planted-distractor",
                                        "faithfulness planted-joint"]
    critique_sst = stages[0]
    assert critique_sst.after == tuple(f"experiment {e.label}" for e in experiments if e.run.dataset == "sst")
    assert next(t for t in stages if t.name == "faithfulness planted").after == ()   # no experiment of its own
    assert all(t.cost == 0 for t in tasks)
    for number, task in enumerate(tasks):   # a serial build can run them in list order
        assert set(task.after) <= set(names[:number])
    assert set(experiments_of(tasks)) == {t.name for t in tasks if t.body is not strength_task and t not in stages}


def test_a_preset_without_ablations_or_sweeps_has_none_of_their_tasks(data):
    from attnlib.book.presets import available_datasets

    experiments = get_preset("quick").experiments(available_datasets(data))
    tasks = build_tasks("quick", experiments, data_dir=data, runs_dir="runs")
    assert [t.name for t in tasks[len(experiments):]] == ["critique sst", "faithfulness sst", "faithfulness planted"]


def _record(name, log, *, threads=None, after=(), progress=False):
    """A task body that notes when it ran and what it was given."""
    time.sleep(0.3)
    return {"name": name, "after": [a["name"] for a in after], "started": time.time(), "rows": [],
            "worker": "", "warnings": [], "log": log}


def test_run_here_gives_each_task_the_results_it_waits_for_and_refuses_a_wrong_order():
    tasks = [Task("a", _record, ("a", None)), Task("b", _record, ("b", None), after=("a",)),
             Task("c", _record, ("c", None), after=("a", "b"))]
    results = run_here(tasks, progress=False)
    assert [results[n]["after"] for n in "abc"] == [[], ["a"], ["a", "b"]]
    with pytest.raises(ValueError, match="task 'b' comes before 'a', which it waits for"):
        run_here([tasks[1], tasks[0]], progress=False)


def test_with_costs_replaces_only_the_named_tasks():
    tasks = [Task("a", _record, ()), Task("b", _record, (), cost=5.0)]
    assert [t.cost for t in with_costs(tasks, {"a": 2.0})] == [2.0, 5.0]


def test_a_cluster_starts_the_costliest_ready_task_first_and_passes_what_they_wait_for(tmp_path):
    pytest.importorskip("distributed")
    from attnlib.book.cluster import run_on_cluster, start_cluster

    cluster = start_cluster(workers=1)
    try:
        gate = Task("gate", _record, ("gate", None))
        costs = {"short": 1.0, "long": 30.0, "middle": 4.0}
        tasks = [gate, *(Task(name, _record, (name, None), after=("gate",), cost=cost) for name, cost in costs.items())]
        tasks.append(Task("last", _record, ("last", None), after=("short", "long")))
        tasks.append(Task("first", _record, ("first", None), cost=2.0))   # not waiting: submitted before the gate
        data = tmp_path / "data"
        data.mkdir()
        results = run_on_cluster(cluster, tasks, data_dir=str(data), runs_dir=str(tmp_path / "runs"), progress=False)
    finally:
        cluster.close()
    order = sorted(results, key=lambda name: results[name]["started"])
    assert order == ["first", "gate", "long", "middle", "short", "last"]
    assert results["last"]["after"] == ["short", "long"]


def test_an_ablation_task_is_an_experiment_with_its_own_timeline_name(data, tmp_path, monkeypatch):
    from attnlib.book.presets import ABLATIONS
    from attnlib.results.analyses import AnalysisConfig
    from dataclasses import replace

    experiment = ABLATIONS["last_epoch"].experiments({"sst"})[0]
    experiment = replace(experiment, run=replace(experiment.run, train_limit=200, epochs=2),
                         analysis=AnalysisConfig(limit=5, n_permutations=3, n_adversaries=2, adversary_iterations=3))
    tasks = build_tasks("default", [], data_dir=data, runs_dir=str(tmp_path / "runs"))
    ablation = next(t for t in tasks if t.name.startswith("ablation last_epoch: sst lstm+tanh"))
    ablation = replace(ablation, arguments=(experiment, *ablation.arguments[1:]))
    result = run_here([ablation], progress=False)[ablation.name]
    assert result["rows"][0]["name"] == "ablation last_epoch: sst lstm+tanh" and result["run"]
    again = experiment_task(experiment, data, str(tmp_path / "runs"), "auto")
    assert again["reused"] and again["run"] == result["run"]
