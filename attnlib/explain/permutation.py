"""Attention permutation (book/protocol.md §6): how much does the output move when attention is shuffled?

For each example the attention weights are shuffled among its real-token positions (``<SOS>``,
``<EOS>`` and padding keep weight 0) ``n_permutations`` times, the decoder is re-run on the cached encoder
states, and the total variation distance to the original output is recorded. The paper reports the
**median** over 100 permutations per example (``np.median``, i.e. the mean of the two middle values).

Permutations come from :func:`draw_permutations` with one generator per example seeded by
:func:`~attnlib.explain.importance.instance_seed`, so they depend only on ``seed`` and the example's
content: not on batch size, order or padding. The authors drew them unseeded (quirk Q5).
"""
from __future__ import annotations

import numpy as np
import torch

from ..data.base import Split
from ..data.batching import Batch
from ..models.model import AttentionModel
from ._batching import (DEFAULT_MAX_ELEMENTS, _batch_generators, _check_positive, _decode_contexts, _eval_mode,
                        _host_batches, _prepare, _Results, _rows)
from .divergence import tvd

__all__ = ["PERMUTATION_PURPOSE", "batch_permutations", "draw_permutations", "permutation_over_split", "permutation_tvds"]

PERMUTATION_PURPOSE = "permutation"


def draw_permutations(n_tokens: int, n_permutations: int, generator: torch.Generator) -> torch.Tensor:
    """``n_permutations`` random permutations of ``range(n_tokens)``.

    Used by both the fast path and the naive version, so both see the same permutations.

    Parameters
    ----------
    n_tokens : int
        Number of real tokens of the example.
    n_permutations : int
    generator : torch.Generator
        A CPU generator (one per example).

    Returns
    -------
    LongTensor, shape (n_permutations, n_tokens), on the CPU
        Row ``k`` says that real token ``j`` receives the weight of real token ``perm[k, j]``.
    """
    return torch.rand(n_permutations, n_tokens, generator=generator, dtype=torch.float64).argsort(dim=1)


def batch_permutations(batch: Batch, n_permutations: int, seed: int) -> torch.Tensor:
    """Gather indices that permute each row's attention among its real tokens.

    Returns
    -------
    LongTensor, shape (batch, n_permutations, seq_len), on the CPU
        ``permuted_attn[b, k, t] = attn[b, index[b, k, t]]``; positions outside the mask map to themselves.
    """
    n, seq_len = batch.tokens.shape
    index = torch.arange(seq_len).repeat(n, n_permutations, 1)
    n_real = (batch.lengths.cpu() - 2).tolist()
    for i, generator in enumerate(_batch_generators(batch, seed, PERMUTATION_PURPOSE)):
        index[i, :, 1: 1 + n_real[i]] = 1 + draw_permutations(n_real[i], n_permutations, generator)
    return index


def permutation_tvds(model: AttentionModel, batch: Batch, *, n_permutations: int = 100, seed: int = 0,
                     max_elements: int = DEFAULT_MAX_ELEMENTS, index: torch.Tensor | None = None) -> torch.Tensor:
    """Output TVD under random permutations of the attention, for every row and permutation.

    The encoder runs once; contexts for all permutations come from one batched product with the cached
    states, and the decoder runs on all of them at once.

    Parameters
    ----------
    model : AttentionModel
    batch : Batch
        On the model's device.
    n_permutations : int
    seed : int
    max_elements : int
        Permutations are processed in chunks of about this many attention weights.
    index : LongTensor, shape (batch, n_permutations, seq_len), optional
        :func:`batch_permutations` of the batch, drawn beforehand from its host copy (default: drawn here).

    Returns
    -------
    Tensor, shape (batch, n_permutations)
        ``TVD(f(attn), f(permuted attn))``, in [0, 1].
    """
    _check_positive("n_permutations", n_permutations)
    with torch.no_grad():
        encoded = model.encode(batch)
        attn = model.attend(encoded)
        probs = model.decode(encoded, attn)
        if index is None:
            index = batch_permutations(batch, n_permutations, seed)
        index = index.to(attn.device)
        n, seq_len = attn.shape
        out = probs.new_empty(n, n_permutations)
        step = max(1, max_elements // max(1, n * seq_len))
        for first in range(0, n_permutations, step):
            chunk = index[:, first: first + step]
            permuted = attn[:, None, :].expand(chunk.shape).gather(2, chunk)
            contexts = torch.bmm(permuted, encoded.states)               # (n, chunk, hidden)
            n_chunk = chunk.shape[1]
            new_probs = _decode_contexts(model, encoded, contexts.reshape(n * n_chunk, -1),
                                         _rows(n, n_chunk, attn.device)).view(n, n_chunk, -1)
            out[:, first: first + n_chunk] = tvd(new_probs, probs[:, None, :])
    return out


def permutation_over_split(model: AttentionModel, split: Split, *, n_permutations: int = 100, seed: int = 0,
                           batch_size: int = 64, device=None, progress: bool = True) -> np.ndarray:
    """:func:`permutation_tvds` over a split, rows in split order.

    Returns
    -------
    ndarray of float64, shape (n, n_permutations)
        Take ``np.median(..., axis=1)`` for the paper's per-example statistic.

    Examples
    --------
    >>> tvds = permutation_over_split(model, split, seed=0, progress=False)  # doctest: +SKIP
    >>> median_tvd = np.median(tvds, axis=1)  # doctest: +SKIP
    """
    device = _prepare(model, split, device)
    results = _Results()
    with _eval_mode(model):
        for batch in _host_batches(split, batch_size, progress, "permutation"):
            index = batch_permutations(batch, n_permutations, seed)
            results.add(batch.index, permutation_tvds(model, batch.to(device), n_permutations=n_permutations,
                                                      index=index))
    return results.into(np.zeros((len(split), n_permutations)))
