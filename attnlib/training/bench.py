"""Time training epochs of each encoder: the fast path against the packed BiLSTM, in one process.

:func:`run_training_benchmark` trains two copies of the same model (same initial weights, same batches)
for a fixed number of batches of a dataset's training split: the library's encoders as they are, and the
implementations the fast paths are tested against (the packed ``nn.LSTM``,
:func:`~attnlib.models.encoders.packed_bilstm`, for the BiLSTM; the four separate convolutions,
:func:`~attnlib.models.encoders.separate_convolutions`, for the CNN; the Average encoder has one implementation, so
its two sides time the same code and its ratio shows the noise of the measurement); the "packed" side is that
reference. It reports seconds per batch,
the extrapolated seconds per epoch and the ratio packed / fast, and checks that both sides computed the same
losses.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from ..data.base import TextDataset
from ..data.batching import batch_order
from ..models import ModelConfig, build_model
from ..models.encoders import CNNEncoder, LSTMEncoder
from ..models.model import AttentionModel
from .recipe import TrainConfig, make_optimizer, positive_weight, train_epoch

__all__ = ["run_training_benchmark", "use_packed_encoders"]


def use_packed_encoders(model: AttentionModel) -> AttentionModel:
    """Switch every encoder of ``model`` to the implementation its fast path is tested against (in place): the packed
    ``nn.LSTM`` for a BiLSTM, separate convolutions for a CNN. Returns ``model``."""
    for module in model.modules():
        if isinstance(module, LSTMEncoder):
            module.packed = True
        elif isinstance(module, CNNEncoder):
            module.separate = True
    return model


def _model(dataset: TextDataset, encoder: str, attention: str, hidden: int, vectors: torch.Tensor,
           seed: int, device: torch.device) -> AttentionModel:
    config = ModelConfig(task=dataset.task, encoder=encoder, attention=attention, hidden=hidden,
                         n_classes=dataset.n_classes)
    return build_model(config, vectors, seed=seed).to(device)


def run_training_benchmark(dataset: TextDataset, vectors: torch.Tensor, *, encoders=("lstm", "cnn", "average"),
                           attention: str = "tanh", n_batches: int = 20, batch_size: int = 32, hidden: int = 128,
                           seed: int = 0, repeats: int = 2, device: torch.device | str = "cpu",
                           compared_with: Callable[[AttentionModel], AttentionModel] = use_packed_encoders) -> pd.DataFrame:
    """Seconds per training epoch of each encoder, fast path and packed, on the same batches.

    Parameters
    ----------
    dataset : TextDataset
        Its ``train`` split supplies the batches: the first ``n_batches`` of the seeded epoch-0 order
        (length-bucketed and shuffled as in training), plus one untimed warm-up batch.
    vectors : Tensor, shape (vocab, embed_dim)
    encoders : sequence of str
    attention : str
    n_batches, batch_size, hidden, seed : int
    repeats : int
        Passes over the ``n_batches`` per side, interleaved between the sides; the fastest is reported
        (the losses are those of the first pass, when both sides start from the same weights).
    device : torch.device or str
    compared_with : callable
        Turns a fresh copy of the model into the one the fast path is compared with (default
        :func:`use_packed_encoders`; the tests pass a deliberately slowed model, whose ratio is known).

    Returns
    -------
    DataFrame with one row per encoder:
        ``n_batches``, ``batches_per_epoch``, ``packed_seconds`` and ``fast_seconds`` (for the
        ``n_batches``), ``packed_epoch_seconds`` and ``fast_epoch_seconds`` (extrapolated to a whole
        epoch), ``ratio`` (packed / fast) and ``max_loss_difference`` (largest relative difference of
        the summed loss of a batch between the two sides; float noise only).
    """
    device = torch.device(device)
    train = dataset.split("train")
    config = TrainConfig(epochs=1, batch_size=batch_size, seed=seed)
    chunks = batch_order(train, batch_size, seed=config.seed * 1000)
    if n_batches < 1 or n_batches + 1 > len(chunks):
        raise ValueError(f"n_batches must be between 1 and {len(chunks) - 1} for {dataset.name} "
                         f"({len(chunks)} batches of {batch_size}); got {n_batches}")
    warm_up, timed = chunks[-1:], chunks[:n_batches]
    pos_weight = positive_weight(dataset.task, train)
    rows = []
    for encoder in encoders:
        sides = {}
        for side in ("packed", "fast"):
            model = _model(dataset, encoder, attention, hidden, vectors, seed, device)
            if side == "packed":
                model = compared_with(model)
            optimizer = make_optimizer(model, config)
            train_epoch(model, optimizer, train, warm_up, pos_weight, device)
            sides[side] = (model, optimizer)
        seconds, losses = {"packed": np.inf, "fast": np.inf}, {}
        for _ in range(repeats):  # interleaved, the fastest pass kept (as timeit does)
            for side, (model, optimizer) in sides.items():
                per_batch = []
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                started = time.perf_counter()
                for chunk in timed:
                    per_batch.append(train_epoch(model, optimizer, train, [chunk], pos_weight, device))
                seconds[side] = min(seconds[side], time.perf_counter() - started)
                losses.setdefault(side, np.asarray(per_batch))
        scale = len(chunks) / n_batches
        rows.append({
            "encoder": encoder, "n_batches": n_batches, "batches_per_epoch": len(chunks),
            "packed_seconds": seconds["packed"], "fast_seconds": seconds["fast"],
            "packed_epoch_seconds": seconds["packed"] * scale, "fast_epoch_seconds": seconds["fast"] * scale,
            "ratio": seconds["packed"] / seconds["fast"],
            "max_loss_difference": float(np.max(np.abs(losses["packed"] - losses["fast"])
                                                / np.maximum(1.0, np.abs(losses["packed"])))),
        })
    return pd.DataFrame(rows).set_index("encoder")
