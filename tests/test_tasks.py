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


def test_a_critical_path_is_a_task_s_cost_plus_the_costliest_chain_that_waits_for_it():
    from attnlib.book.cluster import critical_paths

    tasks = [Task("a", _record, (), cost=1.0), Task("b", _record, (), after=("a",), cost=5.0),
             Task("c", _record, (), after=("a",), cost=2.0), Task("d", _record, (), after=("b", "c"), cost=3.0),
             Task("e", _record, (), cost=4.0)]
    assert critical_paths(tasks) == {"a": 9.0, "b": 8.0, "c": 5.0, "d": 3.0, "e": 4.0}


def test_the_critique_and_the_lab_cost_the_training_and_measures_they_do_themselves(data):
    from attnlib.book.critique import critique_plan
    from attnlib.book.estimate import stage_costs
    from attnlib.book.presets import available_datasets

    experiments = get_preset("quick").experiments(available_datasets(data))
    built = {e.run for e in experiments}
    planted = [get_preset("quick").experiment("planted", encoder, "tanh").run for encoder in ("lstm", "average")]
    trained = {run: {"train_seconds": 1000.0}   # as if sampled
               for run in [e.run for e in experiments if e.run.seed == 0] + planted}
    costs = stage_costs("quick", experiments, data_dir=data, progress=False, estimates=trained)
    assert set(costs) == {"critique sst", "faithfulness sst", "faithfulness planted"}
    # every critique run that is not an experiment trains like the seed-0 experiment of its encoder
    own = [p for p in critique_plan("quick", data_dir=data) if p.config not in built]
    assert len(own) >= 8 and costs["critique sst"] == 1000.0 * len(own)
    # SST's lab models are the experiments (only their measures cost); the planted task's are trained by the lab
    assert 0 < costs["faithfulness sst"] < 1000.0 and 2000.0 < costs["faithfulness planted"] < 3000.0


def test_a_cluster_starts_the_ready_task_with_the_longest_critical_path_first(tmp_path):
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
    # the gate costs nothing itself but 30 s of work waits for it, so it starts before the 2-second task
    assert order == ["gate", "long", "middle", "first", "short", "last"]
    assert results["last"]["after"] == ["short", "long"]


def _costs_after_a_while():
    time.sleep(0.1)   # the first task (0.3 s) is still running when the costs arrive
    return {"short": 1.0, "long": 30.0, "middle": 4.0}


def test_costs_timed_while_the_first_tasks_run_order_the_tasks_started_after_them(tmp_path):
    pytest.importorskip("distributed")
    from attnlib.book.cluster import run_on_cluster, start_cluster

    cluster = start_cluster(workers=1)
    try:
        tasks = [Task(name, _record, (name, None)) for name in ("first", "short", "middle", "long")]
        data = tmp_path / "data"
        data.mkdir()
        results = run_on_cluster(cluster, tasks, data_dir=str(data), runs_dir=str(tmp_path / "runs"), progress=False,
                                 costs=_costs_after_a_while)
    finally:
        cluster.close()
    # the first in list order starts at once; the others by their costs
    assert sorted(results, key=lambda name: results[name]["started"]) == ["first", "long", "middle", "short"]


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
