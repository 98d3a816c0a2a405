"""The authors' training recipe (book/protocol.md §3.4): Adam with amsgrad, dev-set model selection.

Classification: class-weighted ``BCEWithLogits`` summed over the batch, weight decay 1e-5 on encoder and
decoder but none on attention, selection on dev ROC-AUC. Pair tasks: cross-entropy averaged over the
batch, one optimiser with weight decay 1e-5 everywhere, selection on dev accuracy. The weights of the
best dev epoch are kept; as in the authors' code the first epoch is never selected (unless it is the
only one). Training is seeded and resumable: a checkpoint is written after every epoch.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..data.base import Split, TextDataset
from ..data.batching import batch_order, iterate_batches, make_batch
from ..models.model import AttentionModel
from ..plumbing.errors import ConfigError
from ..plumbing.io import read_or_discard, save_torch
from .metrics import evaluate_predictions

#: How the kept weights are chosen: the best dev epoch, or the last epoch.
SELECTIONS = ("dev", "last")


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings.

    Attributes
    ----------
    epochs : int
        8 for classification, 25 for SNLI and CNN, 100 for bAbI in the paper.
    batch_size : int
        32 for classification, 128 SNLI, 90 CNN, 50 bAbI.
    lr, weight_decay : float
        1e-3 and 1e-5 (no weight decay on classification attention).
    seed : int
        Fixes the initial weights and the batch order of every epoch.
    select : {"dev", "last"}
        Keep the weights of the best dev epoch (the paper) or of the last epoch (an ablation).
    """

    epochs: int
    batch_size: int
    lr: float = 1e-3
    weight_decay: float = 1e-5
    seed: int = 0
    select: str = "dev"

    def __post_init__(self):
        if self.epochs < 1:
            raise ConfigError(f"epochs must be at least 1; got {self.epochs}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1; got {self.batch_size}")
        if self.select not in SELECTIONS:
            raise ConfigError(f"unknown select {self.select!r}; choose one of {', '.join(SELECTIONS)}")


def make_optimizer(model: AttentionModel, config: TrainConfig, *, fused: bool = True) -> torch.optim.Optimizer:
    """Adam (amsgrad); classification attention parameters get no weight decay (quirk Q12).

    ``fused``: PyTorch's fused Adam kernel (one call per parameter group instead of a dozen element-wise ops per step:
    0.3-2.7 ms less per step of the small bAbI and SST models on 2 CPU cores). It computes the same update as the
    multi-tensor one (``fused=False``), which tests/test_train.py checks it against.
    """
    attention_ids = {id(p) for p in model.attention.parameters()} if model.task == "classification" else set()
    decayed = [p for p in model.parameters() if id(p) not in attention_ids and p.requires_grad]
    groups = [{"params": decayed, "weight_decay": config.weight_decay}]
    if attention_ids:
        groups.append({"params": list(model.attention.parameters()), "weight_decay": 0.0})
    return torch.optim.Adam(groups, lr=config.lr, amsgrad=True, fused=fused)


def class_weight(train: Split) -> float:
    """``N_neg / N_pos``: the weight of positive examples in the classification loss."""
    positives = int((train.labels == 1).sum())
    if positives == 0:
        raise ConfigError("the training split has no positive example; the class weight is undefined")
    return (len(train) - positives) / positives


def positive_weight(task: str, train: Split) -> float:
    """The weight of positive examples in the loss of ``task``: :func:`class_weight` for classification, 1 for
    pair tasks (whose cross-entropy is not weighted)."""
    return class_weight(train) if task == "classification" else 1.0


def batch_loss(model: AttentionModel, logits: torch.Tensor, labels: torch.Tensor, pos_weight: float):
    if model.task == "classification":
        per_example = nn.functional.binary_cross_entropy_with_logits(
            logits.squeeze(-1), labels.to(logits.dtype), reduction="none")
        weights = torch.where(labels == 1, pos_weight, 1.0).to(logits.dtype)
        return (per_example * weights).sum()
    return nn.functional.cross_entropy(logits, labels)


@torch.inference_mode()
def predict_split(model: AttentionModel, split: Split, batch_size: int, device: torch.device) -> np.ndarray:
    """Output distributions for every example of ``split``, in split order: shape (n, n_classes)."""
    model.eval()
    rows, parts = [], []
    for batch in iterate_batches(split, batch_size):   # outputs stay on the device until the loop is done
        rows.append(batch.index.numpy())
        parts.append(model.predict(batch.to(device)))
    probs = np.zeros((len(split), model.n_classes), dtype=np.float64)
    probs[np.concatenate(rows)] = torch.cat(parts).double().cpu().numpy()
    return probs


BEST_POSSIBLE = 1.0
"""The largest value of either selection metric (ROC-AUC, accuracy). A later epoch is selected only when it is
strictly better, so once an eligible epoch reaches this value the remaining epochs cannot change the kept
weights, and training stops there with exactly the result of the full schedule."""


def selection_metric(task: str) -> str:
    return "roc_auc" if task == "classification" else "accuracy"


def epoch_seed(config: TrainConfig, epoch: int) -> int:
    """The seed of the batch order of ``epoch`` (0-based)."""
    return config.seed * 1000 + epoch


def train_epoch(model: AttentionModel, optimizer: torch.optim.Optimizer, train: Split, chunks, pos_weight: float,
                device: torch.device, *, progress: bool = False, desc: str = "epoch") -> float:
    """One pass of optimiser steps over the batches ``chunks`` (lists of example indices); returns the summed loss.

    The loss is summed on the device and read once at the end, so no step waits for the host.
    """
    model.train()
    total_loss = torch.zeros((), dtype=torch.float64, device=device)
    for chunk in tqdm(chunks, desc=desc, disable=not progress, leave=False):
        batch = make_batch(train, chunk).to(device)
        optimizer.zero_grad()
        loss = batch_loss(model, model(batch), batch.labels, pos_weight)
        loss.backward()
        optimizer.step()
        total_loss += loss.detach()
    return float(total_loss)


def read_checkpoint(checkpoint: Path | None, device) -> dict | None:
    """The training state saved in ``checkpoint`` after an epoch (``model``, ``optimizer`` and ``state``), or
    ``None`` when there is none or it cannot be read (then it is removed, with one warning line, and training
    starts from the first epoch)."""
    if checkpoint is None or not checkpoint.exists():
        return None

    def read():
        saved = torch.load(checkpoint, map_location=device, weights_only=False)
        return {key: saved[key] for key in ("model", "optimizer", "state")}

    return read_or_discard(read, checkpoint, remedy="training starts again from the first epoch")


def train_model(model: AttentionModel, dataset: TextDataset, config: TrainConfig, device: torch.device,
                run_dir: str | Path | None = None, progress: bool = True) -> dict:
    """Train ``model`` in place and load the weights of the best dev epoch.

    Parameters
    ----------
    run_dir : path, optional
        Where ``checkpoint.pt`` (after each epoch) and ``model.pt`` (best weights) are written; an
        existing checkpoint is resumed.

    Returns
    -------
    dict with ``history`` (per-epoch dev metrics, loss, seconds; shorter than ``config.epochs`` when the dev
    metric reached :data:`BEST_POSSIBLE`, after which no epoch could have been selected) and ``best_epoch``.
    """
    train, dev = dataset.split("train"), dataset.split("dev")
    model.to(device)
    optimizer = make_optimizer(model, config)
    pos_weight = positive_weight(model.task, train)
    metric = selection_metric(model.task)
    state = {"epoch": -1, "best_metric": -np.inf, "best_epoch": None, "best_model": None, "history": []}
    checkpoint = Path(run_dir) / "checkpoint.pt" if run_dir is not None else None
    saved = read_checkpoint(checkpoint, device)
    if saved is not None:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        state = saved["state"]
    for epoch in range(state["epoch"] + 1, config.epochs):
        if config.select == "dev" and state["best_metric"] >= BEST_POSSIBLE:
            break  # no later epoch can be selected: the kept weights are those of the whole schedule
        started = time.perf_counter()
        chunks = batch_order(train, config.batch_size, seed=epoch_seed(config, epoch))
        total_loss = train_epoch(model, optimizer, train, chunks, pos_weight, device,
                                 progress=progress, desc=f"epoch {epoch + 1}/{config.epochs}")
        seconds = time.perf_counter() - started
        dev_metrics = evaluate_predictions(dev.labels, predict_split(model, dev, config.batch_size, device))
        state["history"].append({"epoch": epoch, "loss": total_loss, "seconds": seconds, **dev_metrics})
        eligible = epoch > 0 or config.epochs == 1
        value = dev_metrics[metric]
        if eligible and not np.isnan(value) and value > state["best_metric"]:
            state["best_metric"], state["best_epoch"] = value, epoch
            state["best_model"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if progress:
            tqdm.write(f"epoch {epoch + 1}/{config.epochs}: loss {total_loss:.2f}, dev {metric} {value:.4f}, "
                       f"{seconds:.1f} s", file=sys.stderr)
        state["epoch"] = epoch
        if checkpoint is not None:
            save_torch(checkpoint, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                    "state": state})
    if state["best_model"] is None or config.select == "last":  # (dev metric undefined in every epoch)
        state["best_model"], state["best_epoch"] = model.state_dict(), state["epoch"]
    model.load_state_dict(state["best_model"])
    return {"history": state["history"], "best_epoch": state["best_epoch"]}
