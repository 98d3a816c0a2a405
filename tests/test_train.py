"""Training: the loss, the optimiser groups, seeded determinism, resuming, model selection."""
import numpy as np
import pytest
import torch

from attnlib.data.base import TextDataset, Vocabulary
from attnlib.training.recipe import TrainConfig, class_weight, make_optimizer, predict_split, train_model
from attnlib.training.metrics import evaluate_predictions
from test_models import model_for, random_split

WORDS = [f"w{i}" for i in range(26)]


def learnable_dataset(n_train=200, task="classification", seed=0):
    """Label 1 iff word id 4 occurs: an attention model learns this in a few epochs."""
    rng = np.random.RandomState(seed)

    def split(n):
        sequences, labels = [], []
        for _ in range(n):
            words = list(rng.randint(5, 30, size=rng.randint(3, 10)))
            label = int(rng.rand() < 0.4)
            if label:
                words[rng.randint(len(words))] = 4
            sequences.append([2, *words, 3])
            labels.append(label)
        return split_of(sequences, labels)

    def split_of(sequences, labels):
        from attnlib.data.base import Split
        return Split(sequences=sequences, labels=np.array(labels))

    vocab = Vocabulary(["<0>", "<UNK>", "<SOS>", "<EOS>", *WORDS])
    return TextDataset("toy", task, vocab, ["neg", "pos"],
                       {"train": split(n_train), "dev": split(32), "test": split(32)})


def test_class_weight_is_negatives_over_positives():
    dataset = learnable_dataset()
    train = dataset.split("train")
    assert class_weight(train) == pytest.approx((train.labels == 0).sum() / (train.labels == 1).sum())


def test_classification_attention_has_no_weight_decay():
    model = model_for("lstm", "tanh")
    groups = make_optimizer(model, TrainConfig(epochs=1, batch_size=4)).param_groups
    attention = {id(p) for p in model.attention.parameters()}
    assert [g["weight_decay"] for g in groups] == [1e-5, 0.0]
    assert {id(p) for p in groups[1]["params"]} == attention
    assert not attention & {id(p) for p in groups[0]["params"]}
    assert all(g["amsgrad"] and g["lr"] == 1e-3 for g in groups)


@pytest.mark.parametrize("encoder", ["lstm", "cnn", "average"])
def test_fused_adam_takes_the_steps_of_the_multi_tensor_one(encoder):
    """The fast path (PyTorch's fused Adam kernel) against the reference (its multi-tensor Adam): the same weights after
    a dozen steps of the recipe's loss, weight-decay groups and amsgrad."""
    from attnlib.data.batching import batch_order, make_batch
    from attnlib.training.recipe import batch_loss

    dataset = learnable_dataset(n_train=96)
    train, config = dataset.split("train"), TrainConfig(epochs=1, batch_size=8)
    weights = []
    for fused in (True, False):
        model = model_for(encoder, "tanh", seed=3)
        optimizer = make_optimizer(model, config, fused=fused)
        assert optimizer.defaults["fused"] is fused
        for chunk in batch_order(train, 8, seed=0):
            batch = make_batch(train, chunk)
            optimizer.zero_grad()
            batch_loss(model, model(batch), batch.labels, class_weight(train)).backward()
            optimizer.step()
        weights.append(model.state_dict())
    for name, tensor in weights[0].items():
        torch.testing.assert_close(tensor, weights[1][name], rtol=1e-6, atol=1e-7, msg=name)


def test_training_learns_and_is_deterministic(tmp_path):
    dataset = learnable_dataset()
    results = []
    for _ in range(2):
        model = model_for("average", "tanh", seed=1)
        train_model(model, dataset, TrainConfig(epochs=8, batch_size=8, seed=4), torch.device("cpu"),
                    progress=False)
        test = dataset.split("test")
        results.append(predict_split(model, test, 8, torch.device("cpu")))
    np.testing.assert_array_equal(results[0], results[1])
    assert evaluate_predictions(test.labels, results[0])["roc_auc"] > 0.8


def test_resume_gives_the_same_model_as_an_uninterrupted_run(tmp_path):
    dataset = learnable_dataset()
    device = torch.device("cpu")
    straight = model_for("cnn", "dot", seed=2)
    train_model(straight, dataset, TrainConfig(epochs=4, batch_size=8), device, run_dir=tmp_path / "a", progress=False)
    (tmp_path / "b").mkdir()
    interrupted = model_for("cnn", "dot", seed=2)
    train_model(interrupted, dataset, TrainConfig(epochs=2, batch_size=8), device, run_dir=tmp_path / "b",
                progress=False)
    resumed = model_for("cnn", "dot", seed=2)
    history = train_model(resumed, dataset, TrainConfig(epochs=4, batch_size=8), device, run_dir=tmp_path / "b",
                          progress=False)["history"]
    assert [h["epoch"] for h in history] == [0, 1, 2, 3]
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b)


def test_first_epoch_is_never_selected_when_there_are_more():
    dataset = learnable_dataset()
    model = model_for("lstm", "dot")
    summary = train_model(model, dataset, TrainConfig(epochs=3, batch_size=8), torch.device("cpu"), progress=False)
    assert summary["best_epoch"] in (1, 2)


def test_pair_training_runs():
    split = random_split(n=20, question=True, n_classes=3)
    dataset = TextDataset("toyqa", "pair", Vocabulary(["<0>", "<UNK>", "<SOS>", "<EOS>", *WORDS]),
                          ["a", "b", "c"], {"train": split, "dev": split, "test": split})
    model = model_for("lstm", "tanh", "pair", 3)
    summary = train_model(model, dataset, TrainConfig(epochs=2, batch_size=5), torch.device("cpu"), progress=False)
    assert len(summary["history"]) == 2 and "accuracy" in summary["history"][0]


def test_training_stops_when_the_dev_metric_is_perfect_with_the_weights_of_the_full_schedule(monkeypatch):
    """Once dev ROC-AUC is 1.0 no later epoch can be selected: stopping there keeps exactly the same weights."""
    import attnlib.training.recipe

    dataset = learnable_dataset()
    trained = {}
    for name, best_possible in (("stopped", 1.0), ("full", 2.0)):   # 2.0: never reached, all epochs run
        monkeypatch.setattr(attnlib.training.recipe, "BEST_POSSIBLE", best_possible)
        model = model_for("average", "tanh", seed=1)
        summary = train_model(model, dataset, TrainConfig(epochs=25, batch_size=8, seed=4), torch.device("cpu"),
                              progress=False)
        trained[name] = (summary, {k: v.clone() for k, v in model.state_dict().items()})
    stopped, full = trained["stopped"], trained["full"]
    assert len(full[0]["history"]) == 25 and len(stopped[0]["history"]) < 25
    assert stopped[0]["history"][-1]["roc_auc"] == 1.0 and stopped[0]["best_epoch"] == full[0]["best_epoch"]
    assert all(torch.equal(stopped[1][k], full[1][k]) for k in full[1])


def test_last_epoch_selection_keeps_the_final_weights_and_runs_every_epoch():
    """``select="last"`` (an ablation) keeps the weights after the last epoch, even past a perfect dev metric."""
    dataset = learnable_dataset()
    device = torch.device("cpu")
    last = model_for("average", "tanh", seed=1)
    summary = train_model(last, dataset, TrainConfig(epochs=25, batch_size=8, seed=4, select="last"), device,
                          progress=False)
    assert len(summary["history"]) == 25 and summary["best_epoch"] == 24
    schedule = model_for("average", "tanh", seed=1)      # the same schedule, stopped by hand after 25 epochs
    optimizer = make_optimizer(schedule, TrainConfig(epochs=25, batch_size=8))
    from attnlib.data.batching import batch_order
    from attnlib.training.recipe import epoch_seed, train_epoch
    config = TrainConfig(epochs=25, batch_size=8, seed=4)
    for epoch in range(25):
        train_epoch(schedule, optimizer, dataset.split("train"), batch_order(dataset.split("train"), 8,
                    seed=epoch_seed(config, epoch)), class_weight(dataset.split("train")), device, progress=False)
    for a, b in zip(last.state_dict().values(), schedule.state_dict().values()):
        torch.testing.assert_close(a, b)
    with pytest.raises(Exception, match="unknown select 'best'; choose one of dev, last"):
        TrainConfig(epochs=2, batch_size=8, select="best")


def test_frozen_embeddings_do_not_move_and_get_no_optimiser_state():
    from attnlib.models import ModelConfig, build_model

    dataset = learnable_dataset()
    vectors = torch.randn(len(dataset.vocab), 6, generator=torch.Generator().manual_seed(0))
    model = build_model(ModelConfig("classification", "lstm", "tanh", hidden=8, freeze_embeddings=True), vectors,
                        seed=0)
    before = model.embedding.weight.detach().clone()
    train_model(model, dataset, TrainConfig(epochs=2, batch_size=8), torch.device("cpu"), progress=False)
    assert torch.equal(model.embedding.weight, before) and not model.embedding.weight.requires_grad
    params = [p for group in make_optimizer(model, TrainConfig(epochs=1, batch_size=8)).param_groups
              for p in group["params"]]
    assert all(p is not model.embedding.weight for p in params)


def test_training_sample_is_seeded_the_same_for_every_run_seed():
    from attnlib.plumbing.errors import ConfigError
    from attnlib.results.runs import RunConfig, training_indices, training_view

    dataset = learnable_dataset(n_train=200)
    configs = [RunConfig("toy", "lstm", "tanh", seed=seed, train_sample=50) for seed in (0, 1, 2)]
    chosen = [training_indices(200, c) for c in configs]
    assert chosen[0] == chosen[1] == chosen[2] and len(set(chosen[0])) == 50 and chosen[0] == sorted(chosen[0])
    assert chosen[0] != list(range(50))
    assert training_indices(40, configs[0]) is None                 # fewer examples than the sample: all of them
    assert training_indices(200, RunConfig("toy", "lstm", "tanh", train_limit=30)) == list(range(30))
    view = training_view(dataset, configs[0])
    assert len(view.split("train")) == 50 and view.split("test") is dataset.split("test")
    with pytest.raises(ConfigError, match="not both"):
        RunConfig("sst", "lstm", "tanh", train_limit=30, train_sample=50).resolve(dataset)


def test_every_entry_point_keeps_freed_memory_for_reuse(monkeypatch):
    """configure_threads (the command line, chapters, Dask tasks) asks glibc to keep freed memory (a fresh process, as
    mallopt cannot be undone); elsewhere than glibc it says it could not and changes nothing."""
    import platform
    import subprocess
    import sys

    import attnlib.plumbing.device as device

    called = []
    monkeypatch.setattr(device, "keep_freed_memory", lambda: called.append(True) or True)
    threads = torch.get_num_threads()
    device.configure_threads(threads)
    assert called == [True]
    code = "from attnlib.plumbing.device import keep_freed_memory; print(keep_freed_memory())"
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert answer == str(platform.libc_ver()[0] == "glibc")
