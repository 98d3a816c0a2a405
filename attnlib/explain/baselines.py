"""Reference attention: the model's output when its attention is replaced by uniform weights.

Wiegreffe & Pinter (2019) trained models whose attention is frozen to uniform weights and asked whether
learned attention does better. This module gives the cheaper, test-time version of that question for a
trained model: decode the cached hidden states with uniform weights over the real tokens instead of the
model's own.
"""
from __future__ import annotations

import numpy as np
import torch

from ..data.base import Split
from ..models.model import AttentionModel
from .importance import _batches, _eval_mode, _prepare


def uniform_attention_outputs(model: AttentionModel, split: Split, *, batch_size: int = 64, device=None,
                              progress: bool = False) -> np.ndarray:
    """Output distributions with uniform attention over each text's real tokens.

    Returns
    -------
    ndarray of float64, shape (n, n_classes)
        Rows in split order.
    """
    device = _prepare(model, split, device)
    out = np.zeros((len(split), model.n_classes))
    with _eval_mode(model), torch.no_grad():
        for batch in _batches(split, batch_size, device, progress, "uniform attention"):
            encoded = model.encode(batch)
            uniform = batch.mask.to(encoded.states.dtype)
            uniform = uniform / uniform.sum(dim=1, keepdim=True).clamp(min=1)
            out[batch.index.cpu().numpy()] = model.decode(encoded, uniform).double().cpu().numpy()
    return out
