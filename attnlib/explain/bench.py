"""Time the fast analyses against their naive versions on the same data, in one process.

:func:`run_benchmark` runs each fast path on ``n_instances`` examples and the naive version
(:mod:`attnlib.explain.naive`) on an evenly spread subset of them (the naive side is slow: about
``n_permutations`` or ``n_iterations`` model calls per example), compares the two on that subset (same
permutations, same initial noise) and extrapolates the naive time per example to all ``n_instances``.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..data.base import Split
from ..models.model import AttentionModel
from ._batching import DEFAULT_BATCH_SIZES, _prepare
from .adversarial import adversarial_over_split
from .importance import importance_over_split
from .naive import naive_adversarial, naive_gradient, naive_loo, naive_permutation
from .permutation import permutation_over_split

__all__ = ["run_benchmark", "BENCH_METHODS", "DEFAULT_NAIVE_INSTANCES"]

BENCH_METHODS = ("gradient", "loo", "permutation", "adversarial")

DEFAULT_NAIVE_INSTANCES = {"gradient": 200, "loo": 100, "permutation": 10, "adversarial": 8}
"""How many examples the naive side runs by default (per method); its time is extrapolated per example."""


def _spread(split: Split, k: int) -> np.ndarray:
    """``k`` example indices spread evenly over the split's length distribution, in split order."""
    if k >= len(split):
        return np.arange(len(split))
    by_length = np.argsort([len(s) for s in split.sequences], kind="stable")
    return np.sort(by_length[np.linspace(0, len(split) - 1, k).round().astype(int)])


def _max_abs_diff(fast: np.ndarray, naive: np.ndarray) -> float:
    """Largest absolute difference; NaN must sit at the same places (else inf)."""
    fast, naive = np.asarray(fast, dtype=np.float64), np.asarray(naive, dtype=np.float64)
    if fast.shape != naive.shape or not np.array_equal(np.isnan(fast), np.isnan(naive)):
        return float("inf")
    diff = np.abs(fast - naive)
    return float(np.nanmax(diff)) if np.isfinite(diff).any() else 0.0


def _crop(fast: np.ndarray, naive: np.ndarray) -> np.ndarray:
    """Cut the padded position axis of ``fast`` (longest text of the whole run) to ``naive``'s (of the subset)."""
    return fast[..., : naive.shape[-1]] if fast.ndim == naive.ndim and fast.ndim >= 2 else fast


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def run_benchmark(model: AttentionModel, split: Split, *, n_instances: int | None = None, seed: int = 0,
                  device=None, methods=BENCH_METHODS, naive_instances: dict | int | None = None,
                  n_permutations: int = 100, n_adversaries: int = 5, adversary_iterations: int = 500,
                  batch_sizes: dict | None = None, repeats: int = 3, progress: bool = False) -> pd.DataFrame:
    """Fast vs naive run time and agreement of the analyses, on the same examples and random draws.

    Parameters
    ----------
    model : AttentionModel
    split : Split
    n_instances : int, optional
        Examples to analyse (spread evenly over the length distribution); default all.
    seed : int
        Seeds permutations and adversary initialisation (identical for both sides).
    device : str or torch.device, optional
        Moves the model there; default: where the model is.
    methods : sequence of str
        Any of :data:`BENCH_METHODS`.
    naive_instances : int or dict, optional
        Examples the naive side runs, per method (default :data:`DEFAULT_NAIVE_INSTANCES`); capped at
        ``n_instances``. Its time is extrapolated linearly per example when smaller.
    n_permutations, n_adversaries, adversary_iterations : int
        The paper's 100, 5 and 500 by default.
    batch_sizes : dict, optional
        Batch size of the fast side per method (default: :data:`~attnlib.explain._batching.DEFAULT_BATCH_SIZES`).
    repeats : int
        The fast side is timed this many times and the fastest run is kept (as ``timeit`` does: on a
        shared machine the other runs measure the neighbours); the naive side runs once.
    progress : bool

    Returns
    -------
    DataFrame indexed by ``method`` with columns
        ``n_instances``, ``naive_instances``, ``naive_seconds`` (extrapolated to ``n_instances`` when
        ``extrapolated``), ``fast_seconds``, ``ratio`` (naive / fast), ``max_abs_diff`` (fast vs naive
        on the naive subset: importances; permutation TVDs; adversarial attention, JSD and TVD),
        ``extrapolated``.

    Examples
    --------
    >>> run_benchmark(model, dataset.split("test"), n_instances=300)  # doctest: +SKIP
    """
    device = _prepare(model, split, device)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1; got {repeats!r}")
    unknown = [m for m in methods if m not in BENCH_METHODS]
    if unknown:
        raise ValueError(f"unknown benchmark method(s) {unknown}; choose from {', '.join(BENCH_METHODS)}")
    n_total = len(split) if n_instances is None else min(int(n_instances), len(split))
    data = split.subset(_spread(split, n_total))
    if isinstance(naive_instances, int):
        naive_instances = dict.fromkeys(BENCH_METHODS, naive_instances)
    naive_counts = {**DEFAULT_NAIVE_INSTANCES, **(naive_instances or {})}
    sizes = {"gradient": DEFAULT_BATCH_SIZES["importance"], "loo": DEFAULT_BATCH_SIZES["importance"],
             "permutation": DEFAULT_BATCH_SIZES["permutation"], "adversarial": DEFAULT_BATCH_SIZES["adversarial"],
             **(batch_sizes or {})}
    common = dict(device=device, progress=progress)
    perm_args = dict(n_permutations=n_permutations, seed=seed)
    adv_args = dict(n_adversaries=n_adversaries, n_iterations=adversary_iterations, seed=seed)
    fast = {
        "gradient": lambda s: importance_over_split("gradient", model, s, batch_size=sizes["gradient"], **common),
        "loo": lambda s: importance_over_split("loo", model, s, batch_size=sizes["loo"], **common),
        "permutation": lambda s: permutation_over_split(model, s, batch_size=sizes["permutation"], **perm_args,
                                                        **common),
        "adversarial": lambda s: adversarial_over_split(model, s, batch_size=sizes["adversarial"], **adv_args,
                                                        **common),
    }
    naive = {
        "gradient": lambda s: naive_gradient(model, s, **common),
        "loo": lambda s: naive_loo(model, s, **common),
        "permutation": lambda s: naive_permutation(model, s, **perm_args, **common),
        "adversarial": lambda s: naive_adversarial(model, s, **adv_args, **common),
    }
    rows = []
    for method in methods:
        k = max(1, min(int(naive_counts[method]), n_total))
        subset = _spread(data, k)
        warm = data.subset(subset[:1])                     # one-off costs (allocations, first calls) untimed
        fast[method](warm), naive[method](warm)
        fast_out, fast_seconds = _timed(lambda: fast[method](data))
        for _ in range(repeats - 1):
            fast_seconds = min(fast_seconds, _timed(lambda: fast[method](data))[1])
        naive_out, naive_seconds = _timed(lambda: naive[method](data.subset(subset)))
        if method == "adversarial":
            diff = max(_max_abs_diff(_crop(getattr(fast_out, f)[subset], getattr(naive_out, f)), getattr(naive_out, f))
                       for f in ("attn", "jsd", "tvd"))
        else:
            diff = _max_abs_diff(_crop(fast_out[subset], naive_out), naive_out)
        naive_total = naive_seconds * n_total / k
        rows.append({"method": method, "n_instances": n_total, "naive_instances": k, "naive_seconds": naive_total,
                     "fast_seconds": fast_seconds, "ratio": naive_total / fast_seconds, "max_abs_diff": diff,
                     "extrapolated": k < n_total})
    return pd.DataFrame(rows).set_index("method")
