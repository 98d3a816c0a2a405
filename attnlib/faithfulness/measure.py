"""Every faithfulness measure of every explainer on one split, and the table of their means.

:func:`faithfulness_over_split` runs each explainer (:data:`~attnlib.faithfulness.explainers.EXPLAINERS`) over a
split and measures its scores three ways that do not take any explainer as the truth (erasure: comprehensiveness,
sufficiency, decision flips), two ways that compare it with the paper's measures (Kendall τ with leave-one-out —
ferret's ``taucorr_loo`` — and with attention) and, where the split carries rationales, two ways against them
(precision at k, AUPRC). :func:`faithfulness_table` turns the per-instance arrays into the table
``explainer, metric, value, n`` that ``faithfulness.csv`` holds.
"""
from __future__ import annotations

import time
from collections.abc import MutableMapping

import numpy as np
import pandas as pd
import torch

from ..data.base import Split
from ..data.batching import real_token_mask
from ..explain import importance_over_split, kendall_rows, predict_over_split
from ..explain._batching import _prepare
from .erasure import ERASURE_FRACTIONS, aopc, decision_flips, erasure_curves
from .explainers import EXPLAINERS, integrated_gradients_delta, magnitude
from .rationales import rationale_scores

__all__ = ["METRICS", "faithfulness_over_split", "faithfulness_table", "metric_name"]


def metric_name(kind: str, fraction: float) -> str:
    """``comprehensiveness@0.05``: the column of one erasure bin."""
    return f"{kind}@{fraction:g}"


METRICS = (
    "tau_loo", "tau_attention",
    *(metric_name("comprehensiveness", f) for f in ERASURE_FRACTIONS), "comprehensiveness_aopc",
    *(metric_name("sufficiency", f) for f in ERASURE_FRACTIONS), "sufficiency_aopc",
    "decision_flip_fraction", "decision_flip_never", "precision_at_k", "auprc", "ig_delta", "seconds_per_100",
)
"""The metrics of :func:`faithfulness_table`, in order: τ with leave-one-out and with attention (over the
magnitudes, :func:`~attnlib.faithfulness.explainers.magnitude`), comprehensiveness and sufficiency per bin and
their AOPC, the mean fraction of tokens removed when the decision flips (over the texts that flip) and the share
that never flip, precision at k and AUPRC against rationales, integrated gradients' mean absolute convergence delta,
and the explainer's seconds per 100 instances."""


def _explain(name: str, model, split: Split, batch_size: int, device, progress: bool) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    scores = importance_over_split(EXPLAINERS[name], model, split, batch_size=batch_size, device=device,
                                   progress=progress)
    return scores, time.perf_counter() - started


def _measure(name: str, model, split: Split, probs: np.ndarray, *, batch_size: int, device,
             progress: bool) -> dict[str, np.ndarray]:
    """The per-instance arrays of one explainer but τ (which needs the references)."""
    scores, seconds = _explain(name, model, split, batch_size, device, progress)
    arrays = {"scores": scores, "seconds": np.array([seconds])}
    arrays.update(erasure_curves(model, split, scores, probs, batch_size=4 * batch_size, device=device))
    arrays["flip"] = decision_flips(model, split, scores, probs, batch_size=4 * batch_size, device=device)
    if split.rationales is not None:
        arrays.update(rationale_scores(scores, split.sequences, split.rationales))
    if name == "integrated_gradients":
        arrays["ig_delta"] = importance_over_split(lambda m, b: integrated_gradients_delta(m, b)[:, None], model,
                                                   split, batch_size=batch_size, device=device, progress=False)[:, 0]
    return arrays


def faithfulness_over_split(model, split: Split, explainers=tuple(EXPLAINERS), *, batch_size: int = 32,
                            device=None, progress: bool = True,
                            store: MutableMapping | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Every measure of every explainer on ``split``.

    Parameters
    ----------
    model : AttentionModel
    split : Split
        With ``rationales`` for precision at k and AUPRC.
    explainers : sequence of str
        Names in :data:`~attnlib.faithfulness.explainers.EXPLAINERS`; ``loo`` and ``attention`` are computed as the
        references of τ in any case.
    batch_size : int
        Instances per explainer batch (speed only).
    store : mutable mapping, optional
        Explainer name to its arrays; explainers found there are not recomputed (an interrupted run resumes).

    Returns
    -------
    dict of explainer name to a dict of per-instance arrays: ``scores`` (n, max_len), ``tau_loo``/``tau_attention``
    (n,), ``comprehensiveness``/``sufficiency`` (n, n_bins), ``flip`` (n,), ``precision_at_k``/``auprc`` (n,) with
    rationales, ``ig_delta`` (n,) for integrated gradients, ``seconds`` (1,).
    """
    unknown = [name for name in explainers if name not in EXPLAINERS]
    if unknown:
        raise ValueError(f"unknown explainer {unknown[0]!r}; choose from {', '.join(EXPLAINERS)}")
    device = _prepare(model, split, device)
    probs = predict_over_split(model, split, batch_size=4 * batch_size, device=device)
    order = [*dict.fromkeys(["loo", "attention", *explainers])]
    measured = {}
    for name in order:
        arrays = None
        if store is not None and name in store:
            arrays = store[name]
            if len(arrays.get("scores", ())) != len(split):
                arrays = None
        if arrays is None:
            arrays = _measure(name, model, split, probs, batch_size=batch_size, device=device, progress=progress)
            if store is not None:
                store[name] = arrays
        measured[name] = arrays
    lengths = torch.tensor([len(s) for s in split.sequences])
    mask = real_token_mask(lengths, measured["loo"]["scores"].shape[1]).numpy()
    results = {}
    for name in explainers:
        arrays = dict(measured[name])
        for reference in ("loo", "attention"):
            if reference != name:
                arrays[f"tau_{reference}"] = kendall_rows(magnitude(name, arrays["scores"]),
                                                          measured[reference]["scores"], mask)[0]
        results[name] = arrays
    return results


def _mean(values: np.ndarray) -> tuple[float, int]:
    values = np.asarray(values, dtype=np.float64)
    kept = values[~np.isnan(values)]
    return (float(kept.mean()) if len(kept) else float("nan")), int(len(kept))


def faithfulness_table(results: dict[str, dict[str, np.ndarray]], fractions=ERASURE_FRACTIONS) -> pd.DataFrame:
    """The means of :func:`faithfulness_over_split`'s arrays: columns ``explainer, metric, value, n``.

    ``value`` is the mean over the instances where the metric is defined and ``n`` their number
    (``decision_flip_never``: the share of the instances with at least two tokens that never flip;
    ``seconds_per_100``: n is the number of instances explained).
    """
    rows = []

    def add(explainer, metric, value, n):
        rows.append({"explainer": explainer, "metric": metric, "value": value, "n": n})

    for explainer, arrays in results.items():
        for reference in ("loo", "attention"):
            if f"tau_{reference}" in arrays:
                add(explainer, f"tau_{reference}", *_mean(arrays[f"tau_{reference}"]))
        for kind in ("comprehensiveness", "sufficiency"):
            curve = arrays[kind]
            for j, fraction in enumerate(fractions):
                add(explainer, metric_name(kind, fraction), *_mean(curve[:, j]))
            add(explainer, f"{kind}_aopc", *_mean(aopc(curve)))
        flips = arrays["flip"]
        add(explainer, "decision_flip_fraction", *_mean(flips))
        defined = ~np.isnan(arrays["comprehensiveness"][:, 0])
        add(explainer, "decision_flip_never", float(np.isnan(flips[defined]).mean()) if defined.any() else np.nan,
            int(defined.sum()))
        for metric in ("precision_at_k", "auprc"):
            if metric in arrays:
                add(explainer, metric, *_mean(arrays[metric]))
        if "ig_delta" in arrays:
            add(explainer, "ig_delta", *_mean(np.abs(arrays["ig_delta"])))
        n = len(arrays["scores"])
        add(explainer, "seconds_per_100", float(arrays["seconds"][0]) * 100 / n, n)
    return pd.DataFrame(rows, columns=["explainer", "metric", "value", "n"])
