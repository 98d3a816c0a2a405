"""A truncated or corrupt file in the runs folder (a model, a checkpoint, a metrics file, an analysis or faithfulness
stage): one line naming it, the file removed and made again, never a traceback and never a wrong number."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from attnlib.critique.runs import base_run_config
from attnlib.faithfulness.runs import FaithfulnessConfig, faithfulness_of_run
from attnlib.plumbing.errors import ConfigError, CorruptFileWarning
from attnlib.results.analyses import AnalysisConfig, analyse_run
from attnlib.results.runs import RunConfig, open_run
from attnlib.training.recipe import TrainConfig, train_model
from test_data_own import _balanced, _write_csv
from test_models import model_for
from test_train import learnable_dataset

SMALL_ANALYSIS = AnalysisConfig(limit=4, n_permutations=3, n_adversaries=2, adversary_iterations=3)


def _truncate(path, size=1000):
    data = path.read_bytes()
    assert len(data) > size, f"{path} is only {len(data)} bytes"
    path.write_bytes(data[:size])


@pytest.fixture
def own_run(tmp_path, attnlib_env, monkeypatch):
    """A finished 2-epoch Average run on a small file of one's own, in a fresh runs folder."""
    monkeypatch.setenv("ATTNLIB_RUNS", str(tmp_path / "runs"))
    path = _write_csv(tmp_path / "reviews.csv", _balanced(60))
    config = RunConfig(dataset=f"file:{path}", encoder="average", attention="tanh", epochs=2, embedding="random")
    return config, open_run(config, progress=False)


def _reopen(config):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = open_run(config, progress=False)
    return run, [str(w.message) for w in caught if issubclass(w.category, CorruptFileWarning)]


@pytest.mark.parametrize("name", ["model.pt", "metrics.json"])
def test_a_truncated_model_or_metrics_file_is_named_removed_and_the_run_trained_again(own_run, name):
    config, first = own_run
    _truncate(first.directory / name, 1000 if name == "model.pt" else 20)
    again, messages = _reopen(config)
    assert len(messages) == 1 and str(first.directory / name) in messages[0]
    assert "cannot be read" in messages[0] and "trained again" in messages[0] and "\n" not in messages[0]
    assert again.metrics["train_seconds"] != first.metrics["train_seconds"]          # trained, not served
    for key in ("accuracy", "roc_auc", "best_epoch"):
        assert again.metrics[key] == first.metrics[key]
    for a, b in zip(first.model.state_dict().values(), again.model.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert _reopen(config)[1] == []                                                  # the new files are whole


def test_a_truncated_analysis_stage_is_computed_again_to_the_same_numbers(own_run):
    _, run = own_run
    first = analyse_run(run, SMALL_ANALYSIS, progress=False)
    stage = first.directory / "permutation.npz"
    _truncate(stage, 200)
    with pytest.warns(CorruptFileWarning, match="permutation.npz cannot be read.*permutation stage is computed again"):
        again = analyse_run(run, SMALL_ANALYSIS, progress=False)
    np.testing.assert_array_equal(again.results["perm_median_tvd"], first.results["perm_median_tvd"])
    np.testing.assert_array_equal(again.results["gradient"], first.results["gradient"])
    assert stage.exists()


def test_a_corrupt_faithfulness_file_is_measured_again(own_run):
    _, run = own_run
    config = FaithfulnessConfig(explainers=("attention", "random"), limit=4)
    first = faithfulness_of_run(run, config, progress=False)
    stored = next(first.directory.glob("faithfulness-*/random.npz"))
    stored.write_bytes(b"not a zip file at all")
    with pytest.warns(CorruptFileWarning, match="random.npz cannot be read"):
        again = faithfulness_of_run(run, config, progress=False)
    measured = lambda table: table[table["metric"] != "seconds_per_100"].reset_index(drop=True)  # noqa: E731
    timing = lambda table: table.query("metric == 'seconds_per_100' and explainer == 'random'")["value"].item()  # noqa: E731
    assert measured(again.table).equals(measured(first.table))
    assert timing(again.table) != timing(first.table)                               # measured again, not served


def test_a_truncated_checkpoint_restarts_training_from_the_first_epoch(tmp_path):
    dataset, device = learnable_dataset(), torch.device("cpu")
    straight = model_for("cnn", "dot", seed=2)
    train_model(straight, dataset, TrainConfig(epochs=3, batch_size=8), device, progress=False)
    run_dir = tmp_path / "run"
    train_model(model_for("cnn", "dot", seed=2), dataset, TrainConfig(epochs=1, batch_size=8), device,
                run_dir=run_dir, progress=False)
    _truncate(run_dir / "checkpoint.pt")
    restarted = model_for("cnn", "dot", seed=2)
    with pytest.warns(CorruptFileWarning, match="checkpoint.pt cannot be read.*starts again from the first epoch"):
        history = train_model(restarted, dataset, TrainConfig(epochs=3, batch_size=8), device, run_dir=run_dir,
                              progress=False)["history"]
    assert [h["epoch"] for h in history] == [0, 1, 2]
    for a, b in zip(straight.state_dict().values(), restarted.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_a_corrupt_base_run_configuration_is_one_line(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "config.json").write_text('{"dataset": "ss')
    with pytest.raises(ConfigError, match=r"config.json cannot be read .*train that run again"):
        base_run_config("base", tmp_path)


def test_the_command_line_prints_one_warning_line_and_no_traceback(tmp_path, attnlib_env, monkeypatch, capsys):
    from attnlib.cli import main

    monkeypatch.setenv("ATTNLIB_RUNS", str(tmp_path / "runs"))
    path = _write_csv(tmp_path / "reviews.csv", _balanced(60))
    command = ["train", "--dataset", f"file:{path}", "--encoder", "average", "--attention", "tanh", "--epochs", "2",
               "--embedding", "random"]
    assert main(command) == 0
    model = next((tmp_path / "runs").glob("*/model.pt"))
    _truncate(model)
    capsys.readouterr()
    assert main(command) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "cannot be read" in line]
    assert len(lines) == 1 and lines[0].startswith(f"warning: {model} cannot be read"), err
    assert "Traceback" not in err
    assert torch.load(model, weights_only=True)                                      # whole again
