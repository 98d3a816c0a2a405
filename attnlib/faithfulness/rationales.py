"""Agreement of an explainer with known rationales (a user's annotations, or the planted tokens of the planted task).

For one text with real-token scores ``s`` and rationale positions ``R`` (``k = |R|``):

* **precision at k**: the share of the ``k`` highest-scoring tokens (ties by position) that are in ``R``;
* **AUPRC**: the average precision of the scores as a detector of ``R`` (scikit-learn's ``average_precision_score``;
  tied scores are one threshold).

Texts without a rationale, or whose every token is in it, are skipped (nothing to rank them against).
"""
from __future__ import annotations

import numpy as np

from .erasure import ranked_positions

__all__ = ["rationale_scores"]


def rationale_scores(scores: np.ndarray, sequences, rationales) -> dict[str, np.ndarray]:
    """Precision at k and AUPRC of every text.

    Parameters
    ----------
    scores : ndarray, shape (n, max_len)
        An explainer's scores aligned with the framed ``sequences``.
    sequences : list of list of int
        Framed texts (``<SOS>`` at 0).
    rationales : list of list of int
        Rationale positions in the framed texts (real positions ``1 ... len-2``).

    Returns
    -------
    dict with ``precision_at_k`` and ``auprc``, each (n,) float64, NaN for skipped texts.
    """
    from sklearn.metrics import average_precision_score

    out = {"precision_at_k": np.full(len(sequences), np.nan), "auprc": np.full(len(sequences), np.nan)}
    for i, (sequence, rationale) in enumerate(zip(sequences, rationales)):
        n_tokens = len(sequence) - 2
        truth = np.zeros(n_tokens, dtype=bool)
        truth[np.asarray(sorted(set(rationale)), dtype=np.int64) - 1] = True
        k = int(truth.sum())
        if k == 0 or k == n_tokens:
            continue
        top = ranked_positions(scores[i], len(sequence))[:k]
        out["precision_at_k"][i] = truth[top - 1].mean()
        out["auprc"][i] = average_precision_score(truth, np.asarray(scores[i][1:n_tokens + 1], dtype=np.float64))
    return out
