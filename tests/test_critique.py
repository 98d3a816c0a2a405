"""Wiegreffe & Pinter's tests (attnlib.critique): uniform and imposed attention, the model-consistent adversary,
the critique's runs and their bad input, and the critique plan of the book."""
import json
import math

import numpy as np
import pytest
import torch

from attnlib.cli import main
from attnlib.critique import (ConsistentAdversaryConfig, CritiqueConfig, ImposedClassifier, attention_kl,
                              consistency_loss, divergence_between_models, train_consistent_adversary,
                              with_uniform_attention)
from attnlib.critique.measures import attention_and_outputs
from attnlib.data.batching import make_batch
from attnlib.explain.pipeline import analyse_split
from attnlib.plumbing.errors import ConfigError
from attnlib.results.runs import RunConfig
from attnlib.training.recipe import TrainConfig
from helpers import random_model, random_split
from test_cli import TRAIN, error_line
from test_data_loaders import write_sst
from test_train import learnable_dataset


def test_uniform_attention_is_exactly_one_over_n_on_the_real_tokens():
    model = with_uniform_attention(random_model("classification", "lstm", "tanh"))
    split = random_split(9)
    attention, _ = attention_and_outputs(model, split, device="cpu")
    for row, sequence in enumerate(split.sequences):
        n = len(sequence) - 2
        assert attention[row, 0] == 0 and attention[row, n + 1] == 0
        np.testing.assert_allclose(attention[row, 1:n + 1], 1 / n, rtol=1e-12)
        assert np.all(attention[row, n + 2:] == 0)


def test_permuting_uniform_attention_leaves_every_output_exactly_unchanged():
    model = with_uniform_attention(random_model("classification", "lstm", "tanh", scale=3.0))
    results = analyse_split(model, random_split(6, min_tokens=3), n_classes=2, n_permutations=5, n_adversaries=1,
                            adversary_iterations=2, device="cpu", progress=False)
    assert np.abs(results["perm_median_tvd"]).max() < 1e-12
    assert np.isnan(results["tau_attention_gradient"]).all()


def test_imposed_classifier_pools_with_the_source_attention_and_trains_only_its_own_parts():
    source = random_model("classification", "lstm", "tanh", seed=1)
    diagnostic = ImposedClassifier(random_model("classification", "average", "tanh", seed=2), source)
    split = random_split(8)
    imposed, _ = attention_and_outputs(diagnostic, split, device="cpu")
    expected, _ = attention_and_outputs(source, split, device="cpu")
    np.testing.assert_array_equal(imposed, expected)
    trainable = {name.split(".")[0] for name, p in diagnostic.named_parameters() if p.requires_grad}
    assert "source" not in trainable and {"embedding", "output"} <= trainable
    diagnostic.train()
    assert not diagnostic.source.training


def test_consistency_loss_equals_the_formula_written_out():
    rng = np.random.RandomState(0)
    adv_p, base_p = (torch.tensor(rng.dirichlet([1, 1], size=4)) for _ in range(2))
    adv_a, base_a = (torch.tensor(rng.dirichlet([1] * 5, size=4)) for _ in range(2))
    loss, tvd_sum, kl_sum = consistency_loss(adv_p, base_p, adv_a, base_a, 0.3)
    naive_tvd = sum(0.5 * sum(abs(adv_p[i, k] - base_p[i, k]) for k in range(2)) for i in range(4))
    p, q = adv_a.numpy(), base_a.numpy()
    naive_kl = sum(p[i, t] * (math.log(p[i, t] + 1e-10) - math.log(q[i, t] + 1e-10)) for i in range(4) for t in range(5))
    assert float(tvd_sum) == pytest.approx(float(naive_tvd), rel=1e-12)
    assert float(kl_sum) == pytest.approx(float(naive_kl), rel=1e-12)
    assert float(loss) == pytest.approx(float(naive_tvd - 0.3 * naive_kl), rel=1e-12)
    assert float(attention_kl(base_a, base_a).abs().max()) < 1e-12


@pytest.mark.parametrize("lam,patience", [(-1.0, 10), (float("nan"), 10), ("0.1", 10), (0.1, 0)])
def test_adversary_settings_reject_bad_values_in_one_line(lam, patience):
    with pytest.raises(ConfigError) as raised:
        ConsistentAdversaryConfig(TrainConfig(epochs=1, batch_size=4), lam, patience)
    assert "\n" not in str(raised.value)


def _adversary_setup():
    dataset = learnable_dataset(n_train=60)
    torch.manual_seed(0)
    base = random_model("classification", "lstm", "tanh", seed=3, dtype=torch.float32)
    adversary = random_model("classification", "lstm", "tanh", seed=4, dtype=torch.float32)
    return dataset, base, adversary


def test_an_interrupted_adversary_resumes_to_the_same_weights(tmp_path):
    config = ConsistentAdversaryConfig(TrainConfig(epochs=3, batch_size=16, seed=0), lam=0.1)
    dataset, base, whole = _adversary_setup()
    straight = train_consistent_adversary(whole, base, dataset, config, torch.device("cpu"), progress=False)
    dataset, base, part = _adversary_setup()
    first = ConsistentAdversaryConfig(TrainConfig(epochs=2, batch_size=16, seed=0), lam=0.1)
    train_consistent_adversary(part, base, dataset, first, torch.device("cpu"), run_dir=tmp_path, progress=False)
    dataset, base, resumed = _adversary_setup()
    again = train_consistent_adversary(resumed, base, dataset, config, torch.device("cpu"), run_dir=tmp_path,
                                       progress=False)
    assert [h["loss"] for h in again["history"]] == pytest.approx([h["loss"] for h in straight["history"]])
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)


def test_the_adversary_keeps_the_epoch_with_the_lowest_training_loss():
    dataset, base, adversary = _adversary_setup()
    summary = train_consistent_adversary(adversary, base, dataset,
                                         ConsistentAdversaryConfig(TrainConfig(epochs=4, batch_size=16), lam=1.0),
                                         torch.device("cpu"), progress=False)
    losses = [h["loss"] for h in summary["history"]]
    assert summary["best_epoch"] == int(np.argmin(losses))


def test_divergence_between_a_model_and_itself_is_zero():
    model = random_model("classification", "cnn", "dot")
    table = divergence_between_models(model, model, random_split(5), device="cpu")
    assert list(table.columns) == ["row", "jsd", "tvd"] and len(table) == 5
    assert table[["jsd", "tvd"]].abs().to_numpy().max() < 1e-9


@pytest.mark.parametrize("config,expected", [
    (CritiqueConfig(RunConfig("sst", "average", "uniform"), base="x"), "a uniform-attention run has no base run"),
    (CritiqueConfig(RunConfig("sst", "average", "imposed")), "needs its base run: give --base RUN"),
    (CritiqueConfig(RunConfig("sst", "average", "imposed"), base="x", lam=0.1), "has no λ; drop --lambda"),
    (CritiqueConfig(RunConfig("sst", "lstm", "tanh"), base="x"), "is an adversary and needs λ"),
])
def test_inconsistent_critique_configurations_say_what_to_change(config, expected):
    with pytest.raises(ConfigError, match=expected):
        config.check()


@pytest.mark.usefixtures("attnlib_env")
def test_the_critique_runs_train_from_the_command_line_and_check_their_base(capsys, tmp_path, data_dir):
    write_sst(data_dir)
    runs = tmp_path / "runs"
    common = ["--data-dir", str(data_dir), "--runs-dir", str(runs)]
    assert main([*TRAIN, *common]) == 0
    (base,) = [p.name for p in runs.iterdir()]
    lstm = [*TRAIN[:4], "lstm", *TRAIN[5:]]
    assert main([*lstm, "--base", base, "--lambda", "0.01", "--patience", "2", *common]) == 0
    assert "against the base run (test): attention JSD mean" in capsys.readouterr().out
    (adversary,) = [p for p in runs.iterdir() if "adversary" in p.name]
    metrics = json.loads((adversary / "metrics.json").read_text())
    assert metrics["kind"] == "adversary" and metrics["base"] == base
    assert 0 <= metrics["consistency"]["median_tvd"] <= 1
    imposed = [*TRAIN[:6], "imposed", *TRAIN[7:]]
    assert main([*imposed, "--base", adversary.name, *common]) == 0
    uniform = [*TRAIN[:6], "uniform", *TRAIN[7:]]
    assert main([*uniform, *common]) == 0
    assert len(list(runs.iterdir())) == 4
    capsys.readouterr()
    assert main([*imposed, "--base", "no-such-run", *common]) == 2
    assert f"base run no-such-run is not in {runs}" in error_line(capsys)
    assert main([*lstm, "--base", base, "--lambda", "abc", *common]) == 2
    assert "--lambda must be a number (such as 0.01); got 'abc'" in error_line(capsys)
    assert len(list(runs.iterdir())) == 4


def test_the_critique_plan_puts_every_base_before_the_runs_built_on_it(monkeypatch):
    from attnlib.book import critique

    monkeypatch.setattr(critique, "available_datasets", lambda data_dir=None: {"sst", "imdb"})
    plan = critique.critique_plan("quick")
    assert {p.dataset for p in plan} == {"sst"}
    for number, planned in enumerate(plan):
        if planned.base_of is not None:
            assert planned.base_of < number
            assert plan[planned.base_of].role == ("adversary" if planned.role == "imposed_adversary" else "learned")
    roles = [p.role for p in plan]
    assert roles.count("adversary") == 2 and roles.count("imposed") == roles.count("imposed_adversary") == 2
    assert len(critique.critique_plan("quick", lambdas=[0.5], seeds=1)) == 4 + 1 + 1 + 1
    with pytest.raises(ConfigError, match="not an available dataset"):
        critique.critique_plan("quick", datasets=["agnews"])
    monkeypatch.setattr(critique, "available_datasets", lambda data_dir=None: {"sst", "babi1"})
    with pytest.raises(ConfigError, match="for classification datasets; babi1 is a question-answering"):
        critique.critique_plan("quick", datasets=["babi1"])


def test_the_chapter_parameters_become_critique_options_or_one_line():
    from attnlib.book.critique import chapter_choices

    assert chapter_choices() == {}
    assert chapter_choices(encoders="lstm, cnn") == {"encoders": ["lstm", "cnn"]}
    assert chapter_choices("sst, agnews", "0.001,0.1", 2) == {"datasets": ["sst", "agnews"], "lambdas": [0.001, 0.1],
                                                              "seeds": 2}
    for bad, match in ((dict(lambdas="0.1,big"), "must be numbers separated by commas"),
                       (dict(lambdas="-1"), "must be numbers >= 0"), (dict(lambdas=","), "must be numbers >= 0"), (dict(seeds=-1), "whole number >= 0"),
                       (dict(seeds=1.5), "whole number >= 0"), (dict(encoders="lstm,gru"), "unknown encoders gru")):
        with pytest.raises(ConfigError, match=match):
            chapter_choices(**bad)
