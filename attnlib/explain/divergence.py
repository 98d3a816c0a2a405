"""Distances between distributions: total variation (outputs) and Jensen-Shannon (attention).

Both reduce over the last dimension and accept torch tensors or numpy arrays (the result has the type of
the input). They follow the authors' definitions (book/protocol.md §6-§7):

* ``tvd(p, q) = 1/2 sum_c |p_c - q_c|``, in [0, 1]. For a binary classifier whose output is ``[1 - p, p]``
  this is ``|p - p'|``.
* ``jsd(p, q) = 1/2 KL(p || m) + 1/2 KL(q || m)`` with ``m = (p + q) / 2``, natural log, where each input of
  ``KL`` is clamped to [0, 1] and ``1e-10`` is added inside both logarithms, exactly as in the authors'
  ``modelUtils.jsd``. The range is [0, ln 2]; zero entries contribute nothing, so the JSD of two attention
  vectors padded with zeros equals the JSD over their real tokens.
"""
from __future__ import annotations

import numpy as np
import torch

__all__ = ["tvd", "jsd", "JSD_EPS"]

JSD_EPS = 1e-10
"""Added inside the logarithms of :func:`jsd`, as in the authors' code."""


def _as_tensors(p, q):
    if isinstance(p, torch.Tensor) or isinstance(q, torch.Tensor):
        return torch.as_tensor(p), torch.as_tensor(q), False
    return torch.as_tensor(np.asarray(p, dtype=np.float64)), torch.as_tensor(np.asarray(q, dtype=np.float64)), True


def tvd(p, q):
    """Total variation distance ``1/2 sum |p - q|`` over the last dimension.

    Parameters
    ----------
    p, q : Tensor or ndarray, shape (..., n_classes)
        Distributions (broadcastable against each other).

    Returns
    -------
    Tensor or ndarray, shape (...)

    Examples
    --------
    >>> round(float(tvd(torch.tensor([0.2, 0.8]), torch.tensor([0.5, 0.5]))), 4)
    0.3
    """
    p, q, was_numpy = _as_tensors(p, q)
    out = 0.5 * (p - q).abs().sum(-1)
    return out.numpy() if was_numpy else out


def _kl(a, b):
    """``sum a (log(a + eps) - log(b + eps))`` over the last dimension, inputs clamped to [0, 1]."""
    a = a.clamp(0, 1)
    b = b.clamp(0, 1)
    return (a * (torch.log(a + JSD_EPS) - torch.log(b + JSD_EPS))).sum(-1)


def jsd(p, q):
    """Jensen-Shannon divergence over the last dimension, the authors' variant (module docstring).

    Differentiable (used as the adversarial objective).

    Parameters
    ----------
    p, q : Tensor or ndarray, shape (..., seq_len)
        Distributions (broadcastable against each other).

    Returns
    -------
    Tensor or ndarray, shape (...), in [0, ln 2]

    Examples
    --------
    >>> round(float(jsd(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]))), 4)
    0.6931
    """
    p, q, was_numpy = _as_tensors(p, q)
    m = 0.5 * (p + q)
    out = 0.5 * (_kl(p, m) + _kl(q, m))
    return out.numpy() if was_numpy else out
