"""Erasure metrics that trust no explainer: remove the tokens an explainer ranks first and re-run the model.

Tokens are ranked by an explainer's score, highest first (ties by position); removing them shortens the text
exactly as leave-one-out does (the model is re-run on the shorter text; the question of a pair example is kept).
With ``p`` the probability of the class predicted on the whole text ``x``:

* **comprehensiveness** at fraction ``f`` (DeYoung et al. 2020, ERASER): ``p(x) - p(x without its top k)``; high
  when the top tokens were needed.
* **sufficiency** at ``f``: ``p(x) - p(only its top k)`` (in their original order); low when they suffice.
* ``k = ceil(f * n)`` of the ``n`` real tokens, for ``f`` in :data:`ERASURE_FRACTIONS` (ERASER's bins); the
  **AOPC** of each is the mean over the bins.
* **decision flip** (Serrano & Smith 2019): the fraction ``k / n`` of tokens removed in the explainer's order when
  the predicted class first changes; NaN when it never changes before one token is left.

Texts with fewer than two real tokens get NaN everywhere (nothing can be removed and a text be left).
:mod:`attnlib.faithfulness.naive` holds the per-instance loops these batched versions are tested against.
"""
from __future__ import annotations

import math

import numpy as np

from ..data.base import Split
from ..explain.pipeline import predict_over_split

__all__ = ["ERASURE_FRACTIONS", "FLIP_WINDOW", "aopc", "decision_flips", "erasure_curves", "kept_counts",
           "ranked_positions", "shortened"]

ERASURE_FRACTIONS = (0.01, 0.05, 0.10, 0.20, 0.50)
"""ERASER's bins: the fractions of a text's tokens removed (comprehensiveness) or kept (sufficiency)."""

FLIP_WINDOW = 8
"""Decision flips: removal counts evaluated per instance in one pass before checking which instances flipped."""


def ranked_positions(scores: np.ndarray, length: int) -> np.ndarray:
    """The real positions ``1 ... length-2`` of one framed text, highest score first, ties by position: (n,) int."""
    real = np.asarray(scores[1:length - 1], dtype=np.float64)
    return 1 + np.argsort(-real, kind="stable")


def kept_counts(n_tokens: int, fractions=ERASURE_FRACTIONS) -> list[int]:
    """``ceil(f * n_tokens)`` for every fraction: the tokens removed or kept at each bin."""
    return [math.ceil(f * n_tokens - 1e-9) for f in fractions]


def shortened(sequence, removed) -> list[int]:
    """The framed ``sequence`` without the positions ``removed`` (``<SOS>``/``<EOS>`` are never removed)."""
    drop = set(int(p) for p in removed)
    return [token for position, token in enumerate(sequence) if position not in drop]


def _variants(split: Split, rows, sequences) -> Split:
    """A split of shortened ``sequences``, the ``i``-th from example ``rows[i]`` (its question and candidates)."""
    rows = list(rows)
    return Split(sequences=list(sequences), labels=split.labels[rows],
                 questions=None if split.questions is None else [split.questions[r] for r in rows],
                 candidates=None if split.candidates is None else split.candidates[rows])


def _predict(model, variants: Split, batch_size: int, device) -> np.ndarray:
    if len(variants) == 0:
        return np.zeros((0, model.n_classes))
    return predict_over_split(model, variants, batch_size=batch_size, device=device)


def erasure_curves(model, split: Split, scores: np.ndarray, probs: np.ndarray, *, fractions=ERASURE_FRACTIONS,
                   batch_size: int = 64, device=None) -> dict[str, np.ndarray]:
    """Comprehensiveness and sufficiency of one explainer at every fraction.

    Parameters
    ----------
    model : AttentionModel
    split : Split
    scores : ndarray, shape (n, max_len)
        The explainer's scores aligned with ``split.sequences`` (as :func:`~attnlib.explain.importance_over_split`).
    probs : ndarray, shape (n, n_classes)
        The model's output on the whole texts.
    fractions : sequence of float
    batch_size : int
        Shortened texts per forward pass (speed only).

    Returns
    -------
    dict with ``comprehensiveness`` and ``sufficiency``, each (n, len(fractions)) float64, NaN for texts with fewer
    than two real tokens.
    """
    target = probs.argmax(1)
    rows, sequences, slots = [], [], []
    for i, sequence in enumerate(split.sequences):
        n_tokens = len(sequence) - 2
        if n_tokens < 2:
            continue
        order = ranked_positions(scores[i], len(sequence))
        for j, k in enumerate(kept_counts(n_tokens, fractions)):
            top = order[:k]
            rows += [i, i]
            sequences += [shortened(sequence, top), shortened(sequence, order[k:])]
            slots += [(i, j, 0), (i, j, 1)]
    erased = _predict(model, _variants(split, rows, sequences), batch_size, device)
    out = np.full((2, len(split), len(fractions)), np.nan)
    for (i, j, kind), p in zip(slots, erased):
        out[kind, i, j] = probs[i, target[i]] - p[target[i]]
    return {"comprehensiveness": out[0], "sufficiency": out[1]}


def aopc(curve: np.ndarray) -> np.ndarray:
    """Area over the perturbation curve: the mean over the bins, (n, n_bins) -> (n,)."""
    return np.asarray(curve, dtype=np.float64).mean(axis=1)


def decision_flips(model, split: Split, scores: np.ndarray, probs: np.ndarray, *, batch_size: int = 64,
                   device=None, window: int = FLIP_WINDOW) -> np.ndarray:
    """Fraction of real tokens removed, in the explainer's order, when the predicted class first changes.

    Removal counts are evaluated ``window`` at a time for every instance that has not flipped yet, so the first
    flip is found exactly while texts that flip early cost little.

    Returns
    -------
    ndarray of float64, shape (n,)
        ``k / n`` for the smallest ``k`` (1 ... n-1) that changes the argmax; NaN when none does or ``n < 2``.
    """
    predicted = probs.argmax(1)
    orders = {i: ranked_positions(scores[i], len(s)) for i, s in enumerate(split.sequences) if len(s) - 2 >= 2}
    out = np.full(len(split), np.nan)
    start = 1
    active = sorted(orders)
    while active:
        rows, sequences, counts = [], [], []
        for i in active:
            n_tokens = len(split.sequences[i]) - 2
            for k in range(start, min(start + window, n_tokens)):
                rows.append(i)
                counts.append(k)
                sequences.append(shortened(split.sequences[i], orders[i][:k]))
        erased = _predict(model, _variants(split, rows, sequences), batch_size, device)
        flipped = {}
        for i, k, p in zip(rows, counts, erased):
            if p.argmax() != predicted[i] and i not in flipped:
                flipped[i] = k
        for i, k in flipped.items():
            out[i] = k / (len(split.sequences[i]) - 2)
        start += window
        active = [i for i in active if i not in flipped and start < len(split.sequences[i]) - 2]
    return out
