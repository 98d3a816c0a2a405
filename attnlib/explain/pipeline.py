"""The pipeline that runs every analysis of the paper over a split (:func:`analyse_split`) and the paper's
summary table of its output (:func:`summarise`).
"""
from __future__ import annotations

from collections.abc import MutableMapping

import numpy as np
import pandas as pd
import torch

from ..data.base import Split
from ..data.batching import real_token_mask
from ..models.model import AttentionModel
from ._batching import DEFAULT_BATCH_SIZES, _eval_mode, _host_batches, _prepare, _Results
from .adversarial import PAPER_EPSILONS, adversarial_over_split, max_jsd_column, max_jsd_within
from .importance import importance_over_split
from .kendall import KENDALL_PAIRS, class_groups, kendall_rows, summarise_values
from .permutation import permutation_over_split

__all__ = ["ANALYSIS_STAGES", "DEFAULT_BATCH_SIZES", "analyse_split", "predict_over_split", "summarise"]

def predict_over_split(model: AttentionModel, split: Split, *, batch_size: int = 64, device=None,
                       progress: bool = False) -> np.ndarray:
    """Output distributions of a split, rows in split order: (n, n_classes) float64."""
    device = _prepare(model, split, device)
    results = _Results()
    with _eval_mode(model), torch.no_grad():
        for batch in _host_batches(split, batch_size, progress, "predict"):
            results.add(batch.index, model.predict(batch.to(device)))
    return results.into(np.zeros((len(split), model.n_classes)))


ANALYSIS_STAGES = {
    "importance": ("probs", "attention", "gradient", "loo"),
    # stored, not recomputed when a finished analysis is opened: one scipy call per instance and pair takes most of
    # the time of opening a full test set's analysis (a chapter of the paper preset opens every run's)
    "kendall": tuple(f"{t}_{a}_{b}" for a, b in KENDALL_PAIRS for t in ("tau", "p")),
    "permutation": ("perm_tvd",),
    "adversarial": ("adv_jsd", "adv_tvd"),
}
"""The stages of :func:`analyse_split` and the arrays each one keeps in a ``store``."""


def _stage(store, name: str, n: int, compute, extra: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """The arrays of stage ``name``: from ``store`` when complete (all keys, ``n`` rows), else computed
    and written there."""
    keys = ANALYSIS_STAGES[name] + extra
    if store is not None:
        try:
            saved = store[name]
        except KeyError:
            saved = None
        if saved is not None and all(k in saved and len(saved[k]) == n for k in keys):
            return {k: np.asarray(saved[k]) for k in keys}
    arrays = compute()
    if store is not None:
        store[name] = {k: arrays[k] for k in keys}
    return arrays


def analyse_split(model: AttentionModel, split: Split, *, n_classes: int, seed: int = 0, n_permutations: int = 100,
                  n_adversaries: int = 5, adversary_iterations: int = 500, batch_size: int | None = None,
                  device=None, progress: bool = True, keep_adversarial_attention: bool = False,
                  store: MutableMapping | None = None) -> dict:
    """Every per-example analysis of the paper on one split.

    Parameters
    ----------
    model : AttentionModel
        Left unchanged (parameters, gradients, training flag).
    split : Split
        Usually the test split.
    n_classes : int
        Must equal ``model.n_classes`` (a guard against analysing the wrong model).
    seed : int
        Seeds the permutations and the adversaries' initial noise (per example, by content).
    n_permutations, n_adversaries, adversary_iterations : int
        100, 5 and 500 in the paper.
    batch_size : int, optional
        One batch size for every analysis; default :data:`DEFAULT_BATCH_SIZES`. Results do not depend on it.
    device : str or torch.device, optional
        Moves the model there; default: where the model is.
    progress : bool
        tqdm progress bars.
    keep_adversarial_attention : bool
        Also return the adversaries' attention vectors (``adv_attention``).
    store : mutable mapping, optional
        Where finished stages are kept (:data:`ANALYSIS_STAGES`: stage name to a dict of arrays, e.g. one
        ``.npz`` file per stage). Stages found there complete, with one row per example, are not
        recomputed, so an interrupted analysis resumes after its last finished stage. The caller keys the
        store by model, split and settings.

    Returns
    -------
    dict of str to ndarray, rows in split order (n examples, ``max_len`` the longest framed sequence):

    * ``lengths`` (n,) int: framed length (``<SOS>`` and ``<EOS>`` included); ``mask`` (n, max_len) bool:
      True on the real tokens ``1 ... lengths-2``.
    * ``attention``, ``gradient``, ``loo`` (n, max_len) float64: importances aligned with
      ``split.sequences``, 0 outside ``mask`` (``loo`` is the output TVD; NaN for a one-token text).
    * ``labels`` (n,), ``probs`` (n, n_classes), ``prediction`` (n,) = argmax of ``probs``.
    * ``tau_attention_gradient``, ``p_attention_gradient``, ``tau_attention_loo``, ``p_attention_loo``,
      ``tau_gradient_loo``, ``p_gradient_loo`` (n,): Kendall τ-b and p over real tokens (NaN if constant).
    * ``perm_tvd`` (n, n_permutations) and ``perm_median_tvd`` (n,): output TVD under permutations.
    * ``adv_jsd``, ``adv_tvd`` (n, n_adversaries): each adversary's JSD to the attention and output TVD
      (see :func:`max_jsd_within`); ``adv_attention`` (n, n_adversaries, max_len) if asked for.
    * ``max_attention`` (n,): the largest attention weight.

    Examples
    --------
    >>> results = analyse_split(model, dataset.split("test"), n_classes=2)  # doctest: +SKIP
    >>> summarise(results)  # doctest: +SKIP
    """
    device = _prepare(model, split, device)
    if n_classes != model.n_classes:
        raise ValueError(f"n_classes={n_classes} but the model has {model.n_classes} classes; "
                         "pass the model trained on this dataset")
    sizes = dict(DEFAULT_BATCH_SIZES) if batch_size is None else dict.fromkeys(DEFAULT_BATCH_SIZES, batch_size)
    common = dict(device=device, progress=progress)
    lengths = np.array([len(s) for s in split.sequences], dtype=np.int64)
    mask = real_token_mask(torch.from_numpy(lengths), int(lengths.max())).numpy()
    results: dict[str, np.ndarray] = {"lengths": lengths, "mask": mask, "labels": np.asarray(split.labels)}
    n = len(split)

    def importances():
        if store is not None and "kendall" in store:   # derived from the importances: stale once they are recomputed
            del store["kendall"]
        arrays = {"probs": predict_over_split(model, split, batch_size=sizes["permutation"], **common)}
        for name in ("attention", "gradient", "loo"):
            arrays[name] = importance_over_split(name, model, split, batch_size=sizes["importance"], **common)
        return arrays

    def correlations():
        arrays = {}
        for a, b in KENDALL_PAIRS:
            arrays[f"tau_{a}_{b}"], arrays[f"p_{a}_{b}"] = kendall_rows(results[a], results[b], mask)
        return arrays

    def permutations():
        return {"perm_tvd": permutation_over_split(model, split, n_permutations=n_permutations, seed=seed,
                                                   batch_size=sizes["permutation"], **common)}

    def adversaries():
        found = adversarial_over_split(model, split, n_adversaries=n_adversaries, n_iterations=adversary_iterations,
                                       seed=seed, batch_size=sizes["adversarial"], **common)
        return {"adv_jsd": found.jsd, "adv_tvd": found.tvd, "adv_attention": found.attn}

    results.update(_stage(store, "importance", n, importances))
    results["prediction"] = results["probs"].argmax(axis=1)
    results.update(_stage(store, "kendall", n, correlations))
    results.update(_stage(store, "permutation", n, permutations))
    results["perm_median_tvd"] = np.median(results["perm_tvd"], axis=1)
    extra = ("adv_attention",) if keep_adversarial_attention else ()
    results.update({k: v for k, v in _stage(store, "adversarial", n, adversaries, extra).items()
                    if k != "adv_attention" or keep_adversarial_attention})
    results["max_attention"] = results["attention"].max(axis=1)
    return results


def summarise(results: dict, epsilons=PAPER_EPSILONS) -> pd.DataFrame:
    """The paper's summary table from :func:`analyse_split` output.

    Parameters
    ----------
    results : dict
        Needs ``prediction``, the ``tau_*``/``p_*`` arrays, ``perm_median_tvd``, ``adv_jsd`` and ``adv_tvd``.
    epsilons : sequence of float
        Output-TVD thresholds for "max JSD within epsilon".

    Returns
    -------
    DataFrame with columns ``measure, group, mean, std, sig_frac, n``
        ``measure`` is one of ``tau_attention_gradient``, ``tau_attention_loo``, ``tau_gradient_loo``,
        ``perm_median_tvd``, ``adv_max_jsd@<epsilon>``; ``group`` a predicted class index (as a string; only
        when fewer than 4 classes are predicted, as the authors did) or ``overall``. ``std`` is the
        population std; NaN values are left out of ``mean``/``std`` but counted in ``n``; ``sig_frac`` is
        the share with p <= 0.05 for τ rows (NaN p not significant) and NaN for other rows.
    """
    missing = [k for k in ("prediction", "perm_median_tvd", "adv_jsd", "adv_tvd") if k not in results]
    if missing:
        raise ValueError(f"results lacks {', '.join(missing)}; pass the dict returned by analyse_split")
    measures = [(f"tau_{a}_{b}", results[f"tau_{a}_{b}"], results[f"p_{a}_{b}"]) for a, b in KENDALL_PAIRS]
    measures.append(("perm_median_tvd", results["perm_median_tvd"], None))
    for eps in epsilons:
        measures.append((max_jsd_column(eps), max_jsd_within(results["adv_jsd"], results["adv_tvd"], eps), None))
    rows = []
    for measure, values, pvalues in measures:
        for group, selector in class_groups(results["prediction"]):
            rows.append({"measure": measure, "group": group, **summarise_values(values, selector, pvalues)})
    return pd.DataFrame(rows, columns=["measure", "group", "mean", "std", "sig_frac", "n"])
