"""Seed variance: how much a result moves when only the training seed changes (Wiegreffe & Pinter 2019, §3).

Two questions, both answered from stored runs and analyses (nothing here trains or analyses):

* :func:`statistics_over_seeds`: for every summary statistic of a configuration (test metrics, mean τ of each
  pair and its share significant, mean permutation median TVD, mean max JSD within each ε) the mean, standard
  deviation and range over seeds.
* :func:`attention_jsd_between_seeds`: per test instance, the Jensen-Shannon divergence between the attention
  of models that differ only in their seed. An adversary that moves attention less than a change of seed
  does shows little; the book draws both on the same axes.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from ..explain import PAPER_EPSILONS, jsd, max_jsd_column

__all__ = ["SEED_STATISTICS", "seed_statistics", "statistics_over_seeds", "attention_jsd_between_seeds"]

#: The summary statistics compared over seeds: (name, measure of the analysis summary, column) or a test metric.
SEED_STATISTICS = (
    ("accuracy", None, None),
    ("macro_f1", None, None),
    ("tau_attention_gradient", "tau_attention_gradient", "mean"),
    ("tau_attention_gradient_sig_frac", "tau_attention_gradient", "sig_frac"),
    ("tau_attention_loo", "tau_attention_loo", "mean"),
    ("tau_attention_loo_sig_frac", "tau_attention_loo", "sig_frac"),
    ("perm_median_tvd", "perm_median_tvd", "mean"),
    *((max_jsd_column(epsilon), max_jsd_column(epsilon), "mean") for epsilon in PAPER_EPSILONS),
)


def seed_statistics(metrics: dict, summary: pd.DataFrame, group: str = "overall") -> dict[str, float]:
    """The :data:`SEED_STATISTICS` of one run: its test ``metrics`` and its analysis ``summary``
    (``measure, group, mean, std, sig_frac, n``) for ``group`` (``overall`` or a class index)."""
    rows = summary[summary["group"] == group].set_index("measure")
    values = {}
    for name, measure, column in SEED_STATISTICS:
        if measure is None:
            values[name] = float(metrics.get(name, np.nan))
        else:
            values[name] = float(rows.at[measure, column]) if measure in rows.index else np.nan
    return values


def statistics_over_seeds(per_seed: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Mean, standard deviation (ddof 1; NaN for one seed), minimum and maximum over seeds.

    Parameters
    ----------
    per_seed : DataFrame
        One row per run: the ``keys`` columns (e.g. dataset, encoder, attention), ``seed`` and one column per
        statistic (:func:`seed_statistics`).
    keys : list of str
        The columns that identify a configuration.

    Returns
    -------
    DataFrame with columns ``*keys, statistic, mean, std, min, max, n_seeds``.
    """
    statistics = [c for c in per_seed.columns if c not in (*keys, "seed")]
    long = per_seed.melt(id_vars=[*keys, "seed"], value_vars=statistics, var_name="statistic")
    grouped = long.groupby([*keys, "statistic"], sort=False)["value"]
    table = grouped.agg(mean="mean", std="std", min="min", max="max", n_seeds="count").reset_index()
    return table


def attention_jsd_between_seeds(attentions: dict[int, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """Per test instance, the JSD between the attention of every pair of seeds.

    Parameters
    ----------
    attentions : dict of seed to (indices, attention)
        ``indices`` (n,) are the analysed instances' positions in the test split and ``attention`` (n, seq_len)
        their attention, zero-padded (padding contributes nothing to the JSD). Only instances analysed for
        every seed are compared.

    Returns
    -------
    DataFrame with columns ``index, seed_a, seed_b, jsd``: one row per instance and pair of seeds.
    """
    seeds = sorted(attentions)
    common = None
    for seed in seeds:
        indices = attentions[seed][0]
        common = set(indices.tolist()) if common is None else common & set(indices.tolist())
    common = np.array(sorted(common or ()), dtype=int)
    rows = []
    for a, b in combinations(seeds, 2):
        attention_a = _rows_of(attentions[a], common)
        attention_b = _rows_of(attentions[b], common)
        width = max(attention_a.shape[1], attention_b.shape[1])
        divergence = jsd(_pad(attention_a, width), _pad(attention_b, width))
        rows.append(pd.DataFrame({"index": common, "seed_a": a, "seed_b": b, "jsd": divergence}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["index", "seed_a", "seed_b", "jsd"])


def _rows_of(indexed: tuple[np.ndarray, np.ndarray], wanted: np.ndarray) -> np.ndarray:
    indices, attention = indexed
    position = {int(i): row for row, i in enumerate(indices)}
    return np.asarray(attention, dtype=np.float64)[[position[int(i)] for i in wanted]]


def _pad(array: np.ndarray, width: int) -> np.ndarray:
    return np.pad(array, ((0, 0), (0, width - array.shape[1])))
