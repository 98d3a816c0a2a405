"""A run: one trained configuration (dataset, encoder, attention, seed, settings) and its directory.

The directory is named after the configuration and keyed by a hash of the resolved configuration, the
dataset's fingerprint, the attnlib version and the fingerprint of the code that trains it
(:mod:`attnlib.results.fingerprint`), so a changed setting, data file or model never loads a stale model. It holds
``config.json``, ``checkpoint.pt`` (resumable training), ``model.pt`` (best dev weights) and
``metrics.json`` (test metrics); analyses add their own files. Every file is written atomically.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ..data import dataset_family, dataset_slug, is_classification, load_dataset, load_embeddings
from ..data.base import TextDataset
from ..models import ModelConfig, build_model
from ..models.model import AttentionModel
from ..plumbing import paths
from ..plumbing.device import resolve_device, threads_key
from ..plumbing.errors import ConfigError
from ..plumbing.io import read_json, read_or_discard, save_torch, write_json
from ..training.metrics import evaluate_predictions
from ..training.recipe import SELECTIONS, TrainConfig, predict_split, train_model
from .fingerprint import RUN_CODE, code_fingerprint

#: The paper's settings (book/protocol.md §2.2, §3.4): epochs, batch size, hidden size, for every classification dataset
#: and per family of pair task (:func:`paper_settings`).
PAPER_SETTINGS = {
    "classification": {"epochs": 8, "batch_size": 32, "hidden": 128},
    "snli": {"epochs": 25, "batch_size": 128, "hidden": 128},
    "cnn": {"epochs": 25, "batch_size": 90, "hidden": 128},
    "babi": {"epochs": 100, "batch_size": 50, "hidden": 32},
}
DEFAULT_VECTORS = {"glove": "glove-6b-50d", "random": "random"}


def paper_settings(dataset: str, task: str | None = None) -> dict:
    """The paper's epochs, batch size and hidden size for ``dataset``: one setting for every classification task,
    one per dataset family (:func:`~attnlib.data.dataset_family`) for the pair tasks. ``task`` is the dataset's
    task (default: the registry's; give it for a dataset the registry does not know, such as a test's)."""
    if (task or ("classification" if is_classification(dataset) else "pair")) == "classification":
        return PAPER_SETTINGS["classification"]
    return PAPER_SETTINGS[dataset_family(dataset)]


@dataclass(frozen=True)
class RunConfig:
    """What a user chooses; ``None`` means the paper's setting for the dataset.

    Attributes
    ----------
    dataset, encoder, attention : str
    seed : int
    epochs, batch_size, hidden : int, optional
    embedding : str, optional
        ``glove-6b-50d``, ``random`` or a path to a word-vector text file.
    embedding_dim : int, optional
        Size of the ``random`` vectors (default 50); for a file or GloVe it must match the file when given.
    freeze_embeddings : bool
        Keep the word vectors fixed (the paper fine-tunes them).
    train_limit : int, optional
        Train on the first ``train_limit`` training examples only (for quick previews and tests).
    train_sample : int, optional
        Train on a random sample of ``train_sample`` training examples, drawn with the fixed seed
        :data:`TRAIN_SAMPLE_SEED` (the same sample for every run seed); the whole set when it is smaller.
    select : {"dev", "last"}
        Keep the best dev epoch's weights (the paper) or the last epoch's.
    """

    dataset: str
    encoder: str
    attention: str
    seed: int = 0
    epochs: int | None = None
    batch_size: int | None = None
    hidden: int | None = None
    embedding: str | None = None
    embedding_dim: int | None = None
    freeze_embeddings: bool = False
    train_limit: int | None = None
    train_sample: int | None = None
    select: str = "dev"

    def resolve(self, dataset: TextDataset) -> dict:
        """The full configuration with the paper's defaults filled in."""
        paper = paper_settings(self.dataset, dataset.task)
        resolved = asdict(self)
        for key in ("epochs", "batch_size", "hidden"):
            if resolved[key] is None:
                resolved[key] = paper[key]
        if resolved["embedding"] is None:
            resolved["embedding"] = DEFAULT_VECTORS[dataset.embedding]
        for name in ("train_limit", "train_sample"):
            value = getattr(self, name)
            if value is not None and value < 2:
                raise ConfigError(f"{name} must be at least 2; got {value}")
        if self.train_limit is not None and self.train_sample is not None:
            raise ConfigError("give train_limit (the first N examples) or train_sample (a random N), not both")
        if self.select not in SELECTIONS:
            raise ConfigError(f"unknown select {self.select!r}; choose one of {', '.join(SELECTIONS)}")
        return resolved


@dataclass
class Run:
    """A trained model with its dataset, configuration, directory and test metrics."""

    directory: Path
    config: dict
    dataset: TextDataset
    model: AttentionModel
    metrics: dict
    device: torch.device


def run_directory(config: RunConfig, dataset: TextDataset, runs_dir: str | Path | None = None) -> tuple[Path, dict]:
    """The directory of ``config`` and its resolved configuration; its name's key hashes the resolved configuration,
    the data, the training code and torch's thread count (:func:`~attnlib.plumbing.device.threads_key`)."""
    resolved = config.resolve(dataset)
    key_source = {"config": resolved, "data": dataset.fingerprint, "attnlib": __version__,
                  "code": code_fingerprint(RUN_CODE), "threads": threads_key()}
    key = hashlib.sha256(json.dumps(key_source, sort_keys=True).encode()).hexdigest()[:12]
    name = f"{dataset_slug(config.dataset)}-{config.encoder}-{config.attention}-seed{config.seed}-{key}"
    return paths.runs_dir(runs_dir) / name, resolved


def run_finished(directory: str | Path) -> bool:
    """Whether the run in ``directory`` is trained: its best weights and test metrics are stored (loading it
    trains nothing)."""
    return (Path(directory) / "metrics.json").exists() and (Path(directory) / "model.pt").exists()


#: Seed of the training sample of :attr:`RunConfig.train_sample`, fixed so that runs differ only in their seed.
TRAIN_SAMPLE_SEED = 0


def training_indices(n_train: int, config: RunConfig) -> list[int] | None:
    """The training examples ``config`` trains on, in order (None: all ``n_train`` of them)."""
    if config.train_limit is not None and config.train_limit < n_train:
        return list(range(config.train_limit))
    if config.train_sample is not None and config.train_sample < n_train:
        chosen = np.random.default_rng(TRAIN_SAMPLE_SEED).choice(n_train, size=config.train_sample, replace=False)
        return sorted(chosen.tolist())
    return None


def training_view(dataset: TextDataset, config: RunConfig) -> TextDataset:
    train = dataset.split("train")
    indices = training_indices(len(train), config)
    if indices is None:
        return dataset
    splits = dict(dataset.splits, train=train.subset(indices))
    return TextDataset(dataset.name, dataset.task, dataset.vocab, dataset.class_names, splits,
                       dataset.embedding, dataset.notes, dataset.fingerprint)


def initial_model(config: RunConfig, dataset: TextDataset, resolved: dict) -> tuple[AttentionModel, str]:
    """The untrained model of ``config`` (``resolved``: :meth:`RunConfig.resolve`), its initial weights drawn from
    ``config.seed``, and the note describing its word vectors."""
    vectors, vectors_note = load_embeddings(dataset.vocab, resolved["embedding"], dim=config.embedding_dim,
                                            seed=config.seed)
    if config.freeze_embeddings:
        vectors_note += " (frozen)"
    model_config = ModelConfig(task=dataset.task, encoder=config.encoder, attention=config.attention,
                               hidden=resolved["hidden"], n_classes=dataset.n_classes,
                               freeze_embeddings=config.freeze_embeddings)
    return build_model(model_config, vectors, seed=config.seed), vectors_note


def load_finished(model: torch.nn.Module, directory: Path, device) -> dict | None:
    """Load the best weights of the finished run in ``directory`` into ``model`` and return its test metrics; ``None``
    when the run is unfinished, or when ``model.pt`` or ``metrics.json`` cannot be read (both are then removed, with
    one warning line, and the caller trains the run again)."""
    if not run_finished(directory):
        return None
    model_path, metrics_path = directory / "model.pt", directory / "metrics.json"

    def load_weights():
        model.load_state_dict(torch.load(model_path, map_location=device, weights_only=True))
        return True

    remedy = "the run is trained again"
    metrics = read_or_discard(lambda: dict(read_json(metrics_path)), metrics_path, model_path, remedy=remedy)
    if metrics is None or read_or_discard(load_weights, model_path, metrics_path, remedy=remedy) is None:
        return None
    return metrics


def open_run(config: RunConfig, *, data_dir=None, runs_dir=None, device="auto", progress: bool = True,
             dataset: TextDataset | None = None) -> Run:
    """Load the finished run of ``config``, or train it (resuming an interrupted training).

    Returns
    -------
    Run
        With the best dev weights loaded and ``metrics`` computed on the test split.
    """
    device = resolve_device(device)
    if dataset is None:
        dataset = load_dataset(config.dataset, data_dir, progress=progress)
    directory, resolved = run_directory(config, dataset, runs_dir)
    model, vectors_note = initial_model(config, dataset, resolved)
    model = model.to(device)
    metrics_path, model_path = directory / "metrics.json", directory / "model.pt"
    metrics = load_finished(model, directory, device)
    if metrics is not None:
        return Run(directory, resolved, dataset, model, metrics, device)
    directory.mkdir(parents=True, exist_ok=True)
    write_json(directory / "config.json", {**resolved, "vectors": vectors_note, "data_notes": dataset.notes,
                                           "data_fingerprint": dataset.fingerprint, "attnlib": __version__,
                                           "threads": threads_key(),
                                           "code_fingerprint": code_fingerprint(RUN_CODE)})
    train_config = TrainConfig(epochs=resolved["epochs"], batch_size=resolved["batch_size"], seed=config.seed,
                               select=config.select)
    started = time.perf_counter()
    training = training_view(dataset, config)
    summary = train_model(model, training, train_config, device,
                          run_dir=directory, progress=progress)
    save_torch(model_path, model.state_dict())
    test = dataset.split("test")
    metrics = evaluate_predictions(test.labels, predict_split(model, test, resolved["batch_size"], device))
    history = summary["history"]
    metrics.update({
        "best_epoch": summary["best_epoch"],
        "train_seconds": time.perf_counter() - started,
        "seconds_per_epoch": sum(h["seconds"] for h in history) / max(1, len(history)),
        "epochs_run": len(history),
        "n_train": len(training.split("train")),
        "dev_history": history,
        "vectors": vectors_note,
        "device": str(device),
    })
    write_json(metrics_path, metrics)
    (directory / "checkpoint.pt").unlink(missing_ok=True)
    return Run(directory, resolved, dataset, model, metrics, device)
