"""The model's output when its attention is replaced by other weights (uniform, adversarial, ...).

Wiegreffe & Pinter (2019) trained models whose attention is frozen to uniform weights and asked whether
learned attention does better. :func:`uniform_attention_outputs` gives the cheaper, test-time version of
that question for a trained model: decode the cached hidden states with uniform weights over the real
tokens instead of the model's own. :func:`outputs_with_attention` decodes with any given weights (the
explorer uses it for the output under an adversarial attention).
"""
from __future__ import annotations

import numpy as np
import torch

from ..data.base import Split
from ..models.model import AttentionModel
from ._batching import _eval_mode, _host_batches, _prepare, _Results


def outputs_with_attention(model: AttentionModel, split: Split, weights: np.ndarray | None = None, *,
                           batch_size: int = 64, device=None, progress: bool = False) -> np.ndarray:
    """Output distributions when the decoder reads each text's hidden states with ``weights``.

    Parameters
    ----------
    model : AttentionModel
    split : Split
    weights : ndarray, shape (n, max_len), optional
        One weight per position of each sequence (``<SOS>``/``<EOS>`` included, as in the analyses'
        arrays); columns beyond a sequence's length are ignored. ``None`` means uniform weights over
        the real tokens.

    Returns
    -------
    ndarray of float64, shape (n, n_classes)
        Rows in split order.
    """
    device = _prepare(model, split, device)
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        longest = max(len(s) for s in split.sequences)
        if weights.ndim != 2 or weights.shape[0] != len(split) or weights.shape[1] < longest:
            raise ValueError(f"weights must have shape ({len(split)}, >= {longest}); got {weights.shape}")
    results = _Results()
    with _eval_mode(model), torch.no_grad():
        for host_batch in _host_batches(split, batch_size, progress, "decoding"):
            batch, rows = host_batch.to(device), host_batch.index.numpy()
            encoded = model.encode(batch)
            if weights is None:
                given = batch.mask.to(encoded.states.dtype)
                given = given / given.sum(dim=1, keepdim=True).clamp(min=1)
            else:
                given = torch.as_tensor(weights[rows, : batch.mask.shape[1]], dtype=encoded.states.dtype,
                                        device=encoded.states.device)
            results.add(rows, model.decode(encoded, given))
    return results.into(np.zeros((len(split), model.n_classes)))


def uniform_attention_outputs(model: AttentionModel, split: Split, *, batch_size: int = 64, device=None,
                              progress: bool = False) -> np.ndarray:
    """Output distributions with uniform attention over each text's real tokens, shape (n, n_classes)."""
    return outputs_with_attention(model, split, None, batch_size=batch_size, device=device, progress=progress)
