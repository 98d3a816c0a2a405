"""How far two models' attention and outputs lie apart on the same instances (Wiegreffe & Pinter 2019, §3.2, §4).

W&P calibrate what a "large" attention divergence is by training the same model again with other seeds: per test
instance, the JSD between the attentions of two seeds and the TVD between their outputs. The model-consistent
adversary is measured the same way against its base model. :func:`divergence_between_models` gives both per
instance; the JSD and TVD are the book's (:func:`attnlib.explain.jsd`, :func:`attnlib.explain.tvd`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..data.base import Split
from ..data.batching import iterate_batches
from ..explain.divergence import jsd, tvd
from ..models.model import AttentionModel
from ..plumbing.device import resolve_device

__all__ = ["attention_and_outputs", "divergence_between_models"]


@torch.inference_mode()
def attention_and_outputs(model: AttentionModel, split: Split, *, batch_size: int = 64,
                          device="auto") -> tuple[np.ndarray, np.ndarray]:
    """Every instance's attention and output distribution, in split order.

    Returns
    -------
    attention : ndarray, shape (n, max_len)
        Zero outside each instance's real tokens.
    probs : ndarray, shape (n, n_classes)
    """
    device = resolve_device(device)
    was_training = model.training
    model.eval().to(device)
    longest = max(len(s) for s in split.sequences)
    attention = np.zeros((len(split), longest))
    probs = np.zeros((len(split), model.n_classes))
    for host_batch in iterate_batches(split, batch_size):
        batch, rows = host_batch.to(device), host_batch.index.numpy()
        encoded = model.encode(batch)
        weights = model.attend(encoded)
        attention[rows, : weights.shape[1]] = weights.double().cpu().numpy()
        probs[rows] = model.decode(encoded, weights).double().cpu().numpy()
    model.train(was_training)
    return attention, probs


def divergence_between_models(model_a: AttentionModel, model_b: AttentionModel, split: Split, *,
                              batch_size: int = 64, device="auto") -> pd.DataFrame:
    """Per instance of ``split``: ``jsd`` between the two models' attention and ``tvd`` between their outputs.

    Returns
    -------
    DataFrame with columns ``row`` (position in ``split``), ``jsd``, ``tvd``.
    """
    attention_a, probs_a = attention_and_outputs(model_a, split, batch_size=batch_size, device=device)
    attention_b, probs_b = attention_and_outputs(model_b, split, batch_size=batch_size, device=device)
    return pd.DataFrame({"row": np.arange(len(split)), "jsd": jsd(attention_a, attention_b),
                         "tvd": tvd(probs_a, probs_b)})
