"""Per-token importance scores: attention weights, gradients and leave-one-out (book/protocol.md §4).

Every scorer has the same contract (STYLE.md §2.2)::

    scorer(model, batch) -> Tensor, shape (batch, seq_len)

on the model's device, with one value per position of ``batch.tokens`` (the passage for pair models) and
**0 outside ``batch.mask``**, i.e. at ``<SOS>``, ``<EOS>`` and padding; only real tokens (positions
``1 ... length-2``) are scored. :data:`SCORERS` maps names to scorers, and :func:`importance_over_split`
runs one over a :class:`~attnlib.data.base.Split` in length-sorted batches and puts the rows back in
split order.

* ``attention``: the model's attention weights.
* ``gradient``: ``|dp / d onehot[t, w_t]| = |sum_e (dp / de_t) * e_t|`` with the attention **detached**
  (computed, then treated as a constant), where ``p`` is the probability of class 1 for classifiers and of
  the predicted class for pair models (book/protocol.md §4.1, quirk Q11). Only passage tokens are scored.
* ``loo`` (leave-one-out, :mod:`~attnlib.explain.loo`): the total variation distance between the output distribution with and without token
  ``t`` (the sequence shortened by one). For classifiers this is ``|p(x_-t) - p(x)|`` as in the authors'
  plots; for pair models the authors stored ``2 * TVD`` (the L1 distance), we return the TVD (τ is the
  same). A text with a single real token has no output once it is removed: its score is NaN.

Leave-one-out is exact but exploits each encoder's structure instead of re-running the model once per
token (:func:`~attnlib.explain.loo.loo_importance`); :mod:`attnlib.explain.naive` holds the per-token loop
it is tested against. The helpers the analyses share are in :mod:`attnlib.explain._batching`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from ..data.base import Split
from ..data.batching import Batch
from ..models.model import AttentionModel
from ._batching import _eval_mode, _host_batches, _padded, _prepare, _Results
from .loo import loo_importance

__all__ = ["SCORERS", "Scorer", "attention_importance", "gradient_importance", "importance_over_split"]

Scorer = Callable[[AttentionModel, Batch], torch.Tensor]


def attention_importance(model: AttentionModel, batch: Batch) -> torch.Tensor:
    """The model's attention weights.

    Parameters
    ----------
    model : AttentionModel
    batch : Batch
        On the model's device.

    Returns
    -------
    Tensor, shape (batch, seq_len)
        Zero outside ``batch.mask``; rows sum to 1.

    Examples
    --------
    >>> attn = attention_importance(model, make_batch(split, [0, 1]))  # doctest: +SKIP
    """
    with torch.no_grad():
        return model.attend(model.encode(batch))


def _gradient_target(model: AttentionModel, probs: torch.Tensor) -> torch.Tensor:
    """``p(class 1)`` for classifiers, the predicted class's probability for pair models; shape (batch,)."""
    if model.task == "classification":
        return probs[:, 1]
    return probs.gather(1, probs.detach().argmax(1, keepdim=True)).squeeze(1)


def gradient_importance(model: AttentionModel, batch: Batch) -> torch.Tensor:
    """Gradient of the output w.r.t. the one-hot input, attention detached, absolute value.

    ``importance[b, t] = |sum_e (dp_b / de_{b,t,e}) * e_{b,t,e}|``, the derivative of ``p_b`` with respect to
    the active entry of the one-hot vector of token ``t`` (gradient times input on the embedding). The
    attention is computed, detached and used as a constant (book/protocol.md §4.1). ``p_b`` is ``p(class 1)``
    for classifiers and the predicted class's probability for pair models. Examples are independent, so
    one backward pass of ``sum_b p_b`` gives every row. Nothing is accumulated in the parameters' ``.grad``.

    Parameters
    ----------
    model : AttentionModel
    batch : Batch
        On the model's device.

    Returns
    -------
    Tensor, shape (batch, seq_len)
        Non-negative, zero outside ``batch.mask``.
    """
    with torch.enable_grad():
        embedded = model.embed(batch).detach().requires_grad_(True)
        encoded = model.encode(batch, embedded=embedded)
        attn = model.attend(encoded).detach()
        probs = model.decode(encoded, attn)
        (grad,) = torch.autograd.grad(_gradient_target(model, probs).sum(), embedded)
    importance = (grad * embedded.detach()).sum(-1).abs()
    return torch.where(batch.mask, importance, torch.zeros_like(importance))


SCORERS: dict[str, Scorer] = {
    "attention": attention_importance,
    "gradient": gradient_importance,
    "loo": loo_importance,
}
"""Importance scorers by name; each is ``scorer(model, batch) -> (batch, seq_len)``, 0 outside the mask."""


def importance_over_split(scorer: Scorer | str, model: AttentionModel, split: Split, *, batch_size: int = 32,
                          device=None, progress: bool = True) -> np.ndarray:
    """Run an importance scorer over a whole split.

    Parameters
    ----------
    scorer : str or callable
        A name in :data:`SCORERS` (``"attention"``, ``"gradient"``, ``"loo"``) or a scorer.
    model : AttentionModel
    split : Split
    batch_size : int
        Examples per batch; batches are length-sorted as in the authors' evaluation.
    device : str or torch.device, optional
        Moves the model there; default: where the model is.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    ndarray of float64, shape (n, max_len)
        Row ``i`` is aligned with ``split.sequences[i]`` (position 0 is ``<SOS>``); 0 outside the real tokens
        ``1 ... len(split.sequences[i]) - 2``. ``max_len`` is the longest sequence of the split.

    Examples
    --------
    >>> grads = importance_over_split("gradient", model, split, progress=False)  # doctest: +SKIP
    """
    if isinstance(scorer, str):
        if scorer not in SCORERS:
            raise ValueError(f"unknown scorer {scorer!r}; choose one of {', '.join(SCORERS)} or pass a callable")
        name, scorer = scorer, SCORERS[scorer]
    else:
        name = getattr(scorer, "__name__", "importance")
    device = _prepare(model, split, device)
    results = _Results()
    with _eval_mode(model):
        for batch in _host_batches(split, batch_size, progress, name):
            results.add(batch.index, scorer(model, batch.to(device)))
    return results.into(_padded(split))
