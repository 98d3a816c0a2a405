"""The training benchmark and the preset estimator, on a tiny synthetic dataset."""
import time

import pytest
import torch

from attnlib.book import Experiment
from attnlib.data.base import TextDataset
from attnlib.data.vocab import build_vocab
from attnlib.book.estimate import estimate_experiment
from attnlib.models import ModelConfig, build_model
from attnlib.models.encoders import LSTMEncoder
from attnlib.results.runs import RunConfig
from attnlib.training.bench import run_training_benchmark, use_packed_encoders
from attnlib.results.analyses import AnalysisConfig

from helpers import EMBED, VOCAB, random_split


def tiny_dataset() -> TextDataset:
    vocab = build_vocab([[f"w{i}" for i in range(VOCAB - 4)]])
    splits = {name: random_split(n, seed=seed) for name, n, seed in (("train", 60, 1), ("dev", 10, 2), ("test", 12, 3))}
    return TextDataset("tiny", "classification", vocab, ["negative", "positive"], splits, embedding="random")


def test_packed_encoders_compute_the_same():
    torch.manual_seed(0)
    model = build_model(ModelConfig("classification", "lstm", "tanh", hidden=8), torch.randn(VOCAB, EMBED))
    from attnlib.data.batching import make_batch

    split = random_split(6)
    batch = make_batch(split, range(6))
    fast = model.predict(batch)
    assert use_packed_encoders(model) is model
    assert all(m.packed for m in model.modules() if isinstance(m, LSTMEncoder))
    torch.testing.assert_close(model.predict(batch), fast, atol=1e-6, rtol=0)


def test_training_benchmark_reports_both_sides_on_the_same_batches():
    table = run_training_benchmark(tiny_dataset(), torch.randn(VOCAB, EMBED), n_batches=3, batch_size=8, hidden=8,
                                   repeats=1)
    assert list(table.index) == ["lstm", "cnn", "average"]
    assert (table["n_batches"] == 3).all() and (table["batches_per_epoch"] == 8).all()
    assert (table["packed_seconds"] > 0).all() and (table["fast_seconds"] > 0).all()
    # the same weights and batches on both sides: the losses agree to float rounding
    assert (table["max_loss_difference"] < 1e-5).all()
    with pytest.raises(ValueError, match="n_batches must be between 1 and 7"):
        run_training_benchmark(tiny_dataset(), torch.randn(VOCAB, EMBED), n_batches=8, batch_size=8, hidden=8)


def _slowed(model):
    """The model with every forward pass 50 ms slower (same outputs): the benchmark must see the delay."""
    forward = model.forward

    def slow_forward(*args, **kwargs):
        time.sleep(0.05)
        return forward(*args, **kwargs)

    model.forward = slow_forward
    return model


def test_training_benchmark_measures_a_known_slowdown():
    """Against a model slowed by 50 ms per batch, the ratio is (fast + 0.05 n) / fast, far above 1."""
    n_batches = 3
    table = run_training_benchmark(tiny_dataset(), torch.randn(VOCAB, EMBED), encoders=("average",),
                                   n_batches=n_batches, batch_size=8, hidden=8, repeats=1, compared_with=_slowed)
    row = table.loc["average"]
    assert 0.045 * n_batches <= row["packed_seconds"] - row["fast_seconds"] <= 0.05 * n_batches + 0.2
    assert row["ratio"] > 5 and row["max_loss_difference"] < 1e-5
    unslowed = run_training_benchmark(tiny_dataset(), torch.randn(VOCAB, EMBED), encoders=("average",),
                                      n_batches=n_batches, batch_size=8, hidden=8, repeats=1)
    assert unslowed.loc["average", "ratio"] < row["ratio"]


def test_estimate_scales_the_timed_sample_to_the_whole_experiment():
    experiment = Experiment(RunConfig("tiny", "lstm", "tanh", epochs=3, batch_size=8, hidden=8),
                            AnalysisConfig(limit=10, n_permutations=5, adversary_iterations=3))
    estimate = estimate_experiment(experiment, tiny_dataset(), n_batches=2, n_instances=4, device="cpu")
    assert estimate["epochs"] == 3 and estimate["batches_per_epoch"] == 8 and estimate["analysed"] == 10
    assert estimate["train_seconds"] == pytest.approx(3 * (8 * estimate["seconds_per_batch"] + estimate["dev_seconds"]))
    assert estimate["analysis_seconds"] == pytest.approx(10 * estimate["seconds_per_instance"])


def test_wall_time_on_workers_puts_the_longest_first_onto_the_least_loaded():
    from attnlib.book.estimate import wall_time_on_workers

    assert wall_time_on_workers([5, 4, 3, 3, 3], 2) == (10.0, [10.0, 8.0])      # LPT's, not the best (9)
    assert wall_time_on_workers([2, 7, 1], 1) == (10.0, [10.0])
    assert wall_time_on_workers([2, 7, 1], 8)[0] == 7.0
    rng = __import__("random").Random(0)
    tasks = [rng.uniform(1, 100) for _ in range(40)]
    for workers in (1, 3, 8, 32):
        wall, loads = wall_time_on_workers(tasks, workers)
        assert len(loads) == workers and sum(loads) == pytest.approx(sum(tasks))
        assert max(max(tasks), sum(tasks) / workers) - 1e-9 <= wall <= sum(tasks) / workers + max(tasks)
    with pytest.raises(ValueError, match="at least 1"):
        wall_time_on_workers(tasks, 0)
