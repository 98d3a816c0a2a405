"""Training: the loss, the optimiser groups, seeded determinism, resuming, model selection."""
import numpy as np
import pytest
import torch

from attnlib.data.base import TextDataset, Vocabulary
from attnlib.train import TrainConfig, class_weight, make_optimizer, predict_split, train_model
from attnlib.metrics import evaluate_predictions
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
    import attnlib.train

    dataset = learnable_dataset()
    trained = {}
    for name, best_possible in (("stopped", 1.0), ("full", 2.0)):   # 2.0: never reached, all epochs run
        monkeypatch.setattr(attnlib.train, "BEST_POSSIBLE", best_possible)
        model = model_for("average", "tanh", seed=1)
        summary = train_model(model, dataset, TrainConfig(epochs=25, batch_size=8, seed=4), torch.device("cpu"),
                              progress=False)
        trained[name] = (summary, {k: v.clone() for k, v in model.state_dict().items()})
    stopped, full = trained["stopped"], trained["full"]
    assert len(full[0]["history"]) == 25 and len(stopped[0]["history"]) < 25
    assert stopped[0]["history"][-1]["roc_auc"] == 1.0 and stopped[0]["best_epoch"] == full[0]["best_epoch"]
    assert all(torch.equal(stopped[1][k], full[1][k]) for k in full[1])
