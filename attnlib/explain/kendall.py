"""Kendall τ between importance measures, per example, and its summaries (book/protocol.md §5).

Per example, τ-b and its two-sided p-value are those of ``scipy.stats.kendalltau`` with its defaults
(``method='auto'``: the exact p-value when there are no ties and at most 33 tokens, else the asymptotic
one with tie correction), computed over the real tokens only. A constant vector (or fewer than two
tokens) gives τ = NaN and p = NaN; NaN p counts as not significant.

We call scipy once per example rather than re-implementing it: about 0.3 ms per call on the reference
machine, so the three pairs over SST's 1,725 test sentences take about 1.5 s, small next to the
analyses that produce the importances.

τ is a discontinuous function of the importances: two values that are equal mathematically but differ
in the last bit are ordered instead of tied. Leave-one-out gives removals that leave the same text (two
identical adjacent tokens; any occurrence of a word for the Average encoder) bit-identical values for this
reason (:func:`~attnlib.explain.importance.loo_importance`); other near-ties are left as computed, as in
the authors' code.

Summaries (:func:`summarise_values`) follow the authors' table: mean, population standard deviation
(``np.std``) and ``sig_frac`` = share of examples with p <= 0.05, per predicted class and overall. Unlike
the authors, whose means became NaN when any τ was NaN, we leave NaN values out of the mean and std (they
still count in ``n`` and, as not significant, in ``sig_frac``).
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

__all__ = ["KENDALL_PAIRS", "SIGNIFICANCE", "kendall_tau", "kendall_rows", "null_p_value", "summarise_values",
           "class_groups"]

KENDALL_PAIRS = (("attention", "gradient"), ("attention", "loo"), ("gradient", "loo"))
"""The three pairs of the paper: attention–gradient (authors' ``al``), attention–LOO (``ag``), gradient–LOO (``gl``)."""

SIGNIFICANCE = 0.05
"""A τ whose p-value is at most this is significant (the authors' ``sig_frac``)."""


def null_p_value(tau: float, n: int) -> float:
    """The two-sided p-value of Kendall τ over ``n`` untied items in the normal approximation: under no association
    τ has mean 0 and variance ``2(2n + 5) / (9n(n - 1))``.

    Examples
    --------
    >>> round(null_p_value(0.3, 100), 6) < 1e-5 < null_p_value(0.3, 8)
    True
    """
    return float(2 * stats.norm.sf(tau / np.sqrt(2 * (2 * n + 5) / (9 * n * (n - 1)))))


def kendall_tau(x, y) -> tuple[float, float]:
    """Kendall τ-b of two vectors and its two-sided p-value, as ``scipy.stats.kendalltau(x, y)``.

    Parameters
    ----------
    x, y : array-like, shape (n_tokens,)

    Returns
    -------
    tau, p : float
        NaN, NaN for a constant vector or fewer than two tokens.

    Examples
    --------
    >>> tau, p = kendall_tau([1, 2, 3, 4], [1, 3, 2, 4])
    >>> round(tau, 4), round(p, 4)
    (0.6667, 0.3333)
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-d arrays of the same length; got shapes {x.shape} and {y.shape}")
    if x.size < 2:
        return float("nan"), float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.kendalltau(x, y)
    return float(result.statistic), float(result.pvalue)


def kendall_rows(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`kendall_tau` of every row of two padded importance arrays, over the masked positions.

    Parameters
    ----------
    a, b : ndarray, shape (n, seq_len)
    mask : bool ndarray, shape (n, seq_len)
        True on real tokens.

    Returns
    -------
    tau, p : ndarray of float64, shape (n,)
    """
    a, b, mask = np.asarray(a), np.asarray(b), np.asarray(mask, dtype=bool)
    if not (a.shape == b.shape == mask.shape) or a.ndim != 2:
        raise ValueError(f"a, b and mask must have the same shape (n, seq_len); got {a.shape}, {b.shape}, {mask.shape}")
    taus, ps = np.empty(a.shape[0]), np.empty(a.shape[0])
    for i in range(a.shape[0]):
        taus[i], ps[i] = kendall_tau(a[i, mask[i]], b[i, mask[i]])
    return taus, ps


MAX_CLASSES_BROKEN_OUT = 3
"""Statistics and figures get one group per predicted class only when at most this many distinct classes are
predicted, as in the authors' code (book/protocol.md §5, quirk Q7); otherwise only all instances together."""


def breaks_out_classes(n_predicted_classes: int) -> bool:
    """Whether results with this many distinct predicted classes are shown per class (:data:`MAX_CLASSES_BROKEN_OUT`)."""
    return n_predicted_classes <= MAX_CLASSES_BROKEN_OUT


def class_groups(predictions: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """``(group, selector)`` pairs: one per predicted class (only if :func:`breaks_out_classes`), then
    ``"overall"``.

    Parameters
    ----------
    predictions : int ndarray, shape (n,)

    Returns
    -------
    list of (str, bool ndarray of shape (n,))
    """
    predictions = np.asarray(predictions)
    classes = np.unique(predictions)
    groups = [(str(int(c)), predictions == c) for c in classes] if breaks_out_classes(len(classes)) else []
    return groups + [("overall", np.ones(predictions.shape[0], dtype=bool))]


def summarise_values(values: np.ndarray, selector: np.ndarray, pvalues: np.ndarray | None = None) -> dict:
    """Mean, population std, share significant and count of ``values[selector]``.

    NaN values are left out of ``mean`` and ``std``; ``sig_frac`` is the share of the selected examples
    with ``p <= 0.05`` (NaN p is not significant), NaN when ``pvalues`` is None; ``n`` counts all selected
    examples, NaN or not.
    """
    chosen = np.asarray(values, dtype=np.float64)[selector]
    finite = chosen[~np.isnan(chosen)]
    sig = float("nan")
    if pvalues is not None:
        p = np.asarray(pvalues, dtype=np.float64)[selector]
        sig = float(np.mean(p <= SIGNIFICANCE)) if p.size else float("nan")
    return {
        "mean": float(np.mean(finite)) if finite.size else float("nan"),
        "std": float(np.std(finite)) if finite.size else float("nan"),
        "sig_frac": sig,
        "n": int(chosen.size),
    }
