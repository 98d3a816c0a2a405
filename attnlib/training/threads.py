"""Whether torch's thread count changes a training step: the measurement behind the thread count in every run's key
(:func:`~attnlib.plumbing.device.threads_key`), which the reproducibility chapter re-runs on one of its models."""
from __future__ import annotations

import copy

import torch

from ..data.base import Split
from ..data.batching import make_batch
from .recipe import batch_loss

__all__ = ["gradient_thread_differences"]


def _gradients(model, batch, pos_weight: float, threads: int) -> dict[str, torch.Tensor]:
    torch.set_num_threads(threads)
    model.zero_grad()
    batch_loss(model, model(batch), batch.labels, pos_weight).backward()
    return {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}


def gradient_thread_differences(model: torch.nn.Module, split: Split, indices, *, threads=(1, 2),
                                pos_weight: float = 1.0) -> dict[str, float]:
    """The largest absolute difference of every parameter's gradient between one training step's backward pass on
    the batch ``split[indices]`` computed with ``threads[0]`` and with ``threads[1]`` torch threads, on the CPU.

    ``model`` is copied (to the CPU, in training mode) and left untouched; torch's thread count is restored.

    Returns
    -------
    dict of parameter name to float
        0.0 where the two gradients are bit-identical.
    """
    copied = copy.deepcopy(model).cpu().train()
    batch = make_batch(split, list(indices))
    before = torch.get_num_threads()
    try:
        first, second = (_gradients(copied, batch, pos_weight, n) for n in threads)
    finally:
        torch.set_num_threads(before)
    return {name: float((first[name] - second[name]).abs().max()) for name in first}
