"""The scorecard: every number the authors published that our runs can be compared with, ours over seeds beside it.

One row per published number (a Table 2 cell, a test metric, a per-bin median of the permutation or adversarial
violins, an approximate mean of the max-JSD histograms): our seed mean and range, theirs, the difference, whether
theirs lies within our seed range and whether the difference is within the tolerance (:data:`TOLERANCE`).
Every value is computed from the runs; none is typed.
"""
from __future__ import annotations

import pandas as pd

from ..explain import max_jsd_column
from ..paper.jain_wallace import (FIGURE_EPSILON, max_attention_bin_label, paper_adversarial_quartiles,
                                  paper_adversarial_summary, paper_permutation_quartiles, paper_table2,
                                  paper_test_performance)
from .display import READABLE, readable

__all__ = ["KINDS", "TOLERANCE", "by_configuration", "closest_seeds", "for_reading", "our_numbers", "paper_numbers",
           "scorecard", "tolerance", "totals"]

#: The kinds of published numbers, in the order the scorecard shows them.
KINDS = ("test metric", "Table 2", "permutation median", "adversarial median", "adversarial mean")

#: How close ours must be to the paper's number of each kind to count as matching (:func:`tolerance`).
TOLERANCE = {"test metric": 0.02, "Table 2": 0.05, "permutation median": 0.05, "adversarial median": 0.05,
             "adversarial mean": 0.05}


def tolerance(kind: str) -> float:
    """How close ours must be to a published number of ``kind`` (one of :data:`KINDS`) to count as matching:
    0.02 for test metrics, 0.05 for everything else. Every chapter, the slides and the guide use this rule."""
    if kind not in TOLERANCE:
        raise ValueError(f"unknown kind of published number {kind!r}; choose one of {', '.join(KINDS)}")
    return TOLERANCE[kind]

_KEYS = ["kind", "dataset", "encoder", "attention", "quantity", "group"]
_TAU_NAMES = {measure: READABLE[measure] for measure in ("tau_attention_gradient", "tau_attention_loo")}
_TEST_METRICS = ("accuracy", "macro_f1", "roc_auc")
_FIGURE_JSD = max_jsd_column(FIGURE_EPSILON)
_ADVERSARIAL_MEAN = readable(_FIGURE_JSD)


def our_numbers(result) -> pd.DataFrame:
    """Every comparable number of one trained and analysed run (a :class:`~attnlib.book.experiments.Result`).

    Returns
    -------
    DataFrame with columns ``kind, dataset, encoder, attention, quantity, group, seed, value``.
    """
    base = {"dataset": result.dataset, "encoder": result.encoder, "attention": result.attention, "seed": result.seed}
    rows = [{**base, "kind": "test metric", "quantity": metric, "group": "overall", "value": result.run.metrics[metric]}
            for metric in _TEST_METRICS if metric in result.run.metrics]
    summary = result.analysis.summary
    for _, row in summary[summary["measure"].isin(list(_TAU_NAMES))].iterrows():
        for stat in ("mean", "std", "sig_frac"):
            rows.append({**base, "kind": "Table 2", "quantity": f"{_TAU_NAMES[row['measure']]} {stat}",
                         "group": row["group"], "value": row[stat]})
    instances = result.analysis.instances
    instances = instances.assign(bin=max_attention_bin_label(instances["max_attention"]))
    grouped = [(str(c), part) for c, part in instances.groupby("prediction")] + [("all", instances)]
    for kind, column in (("permutation median", "perm_median_tvd"), ("adversarial median", _FIGURE_JSD)):
        for group, part in grouped:
            for label, in_bin in part.groupby("bin"):
                rows.append({**base, "kind": kind, "quantity": label, "group": group,
                             "value": float(in_bin[column].median())})
    for group, part in [*grouped[:-1], ("overall", instances)]:
        rows.append({**base, "kind": "adversarial mean", "quantity": _ADVERSARIAL_MEAN, "group": group,
                     "value": float(part[_FIGURE_JSD].mean())})
    return pd.DataFrame(rows, columns=[*_KEYS, "seed", "value"])


def paper_numbers() -> pd.DataFrame:
    """The authors' published numbers in the layout of :func:`our_numbers` (column ``paper`` instead of ``value``)."""
    frames = []
    performance = paper_test_performance().melt(id_vars=["dataset", "encoder", "attention"], var_name="quantity",
                                                value_name="paper").dropna(subset=["paper"])
    frames.append(performance.assign(kind="test metric", group="overall"))
    table2 = paper_table2().melt(id_vars=["dataset", "encoder", "measure", "group"], var_name="stat",
                                 value_name="paper")
    table2["quantity"] = table2["measure"].map(_TAU_NAMES) + " " + table2["stat"]
    frames.append(table2.assign(kind="Table 2", attention="tanh").drop(columns=["measure", "stat"]))
    for kind, table in (("permutation median", paper_permutation_quartiles()),
                        ("adversarial median", paper_adversarial_quartiles())):
        frames.append(table.rename(columns={"bin": "quantity", "median": "paper"})
                      .drop(columns=["q25", "q75"]).assign(kind=kind))
    frames.append(paper_adversarial_summary().rename(columns={"mean": "paper"})
                  .assign(kind="adversarial mean", quantity=_ADVERSARIAL_MEAN))
    table = pd.concat(frames, ignore_index=True)[[*_KEYS, "paper"]]
    return table.dropna(subset=["paper"])


def _our_numbers_of(results) -> pd.DataFrame:
    """:func:`our_numbers` of every result, one frame (rows without a value dropped)."""
    ours = pd.concat([our_numbers(r) for r in results], ignore_index=True) if results else \
        pd.DataFrame(columns=[*_KEYS, "seed", "value"])
    return ours.dropna(subset=["value"])


def _tolerances(kinds: pd.Series) -> pd.Series:
    return kinds.map(tolerance)


def scorecard(results) -> pd.DataFrame:
    """One row per published number that ``results`` (every seed of every experiment) can be compared with.

    Returns
    -------
    DataFrame with columns ``kind, dataset, encoder, attention, quantity, group, ours, ours_min, ours_max,
    n_seeds, paper, difference, tolerance, paper_in_seed_range, within_tolerance``, in the order of :data:`KINDS`,
    then dataset and configuration as the results list them.
    """
    return _scorecard_of(_our_numbers_of(results))


def _scorecard_of(ours: pd.DataFrame) -> pd.DataFrame:
    """:func:`scorecard` from the :func:`our_numbers` of every result."""
    over_seeds = (ours.groupby(_KEYS, sort=False)["value"]
                  .agg(ours="mean", ours_min="min", ours_max="max", n_seeds="count").reset_index())
    table = over_seeds.merge(paper_numbers(), on=_KEYS, how="inner")
    table["difference"] = table["ours"] - table["paper"]
    table["tolerance"] = _tolerances(table["kind"])
    table["paper_in_seed_range"] = (table["paper"] >= table["ours_min"]) & (table["paper"] <= table["ours_max"])
    table["within_tolerance"] = table["difference"].abs() <= table["tolerance"]
    order = {kind: i for i, kind in enumerate(KINDS)}
    table = table.sort_values("kind", key=lambda k: k.map(order), kind="stable").reset_index(drop=True)
    return table


def totals(card: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """How many rows of ``card`` are within tolerance and have the paper's value within our seed range.

    Returns
    -------
    DataFrame with columns ``*by, numbers, within_tolerance, paper_in_seed_range`` (one row when ``by`` is None).
    """
    aggregations = {"numbers": ("paper", "size"), "within_tolerance": ("within_tolerance", "sum"),
                    "paper_in_seed_range": ("paper_in_seed_range", "sum")}
    if not by:
        return pd.DataFrame([{name: int(card[column].agg(how)) for name, (column, how) in aggregations.items()}])
    return card.groupby(by, sort=False).agg(**aggregations).reset_index()


def closest_seeds(results) -> pd.DataFrame:
    """Per configuration and kind of number, the seed mean against the single seed nearest the paper.

    A seed mean can sit between seeds that each behave differently (for example a model whose permuted attention
    falls back to one class or to the other, depending on the seed); then one seed may match the paper's pattern
    while the mean matches no seed. Only configurations with at least two seeds are listed.

    Returns
    -------
    DataFrame with columns ``dataset, encoder, attention, kind, numbers, n_seeds``, then ``mean_within`` and
    ``mean_difference`` (how many of the numbers the seed mean has within tolerance, and its mean absolute
    difference from the paper's), ``closest_seed`` (the seed of the smallest mean absolute difference),
    ``seed_within`` and ``seed_difference`` (the same two for that seed alone).
    """
    groups = ["dataset", "encoder", "attention", "kind"]
    ours = _our_numbers_of(results)
    compared = ours.merge(paper_numbers(), on=_KEYS, how="inner")
    compared["difference"] = (compared["value"] - compared["paper"]).abs()
    compared["within"] = compared["difference"] <= _tolerances(compared["kind"])
    per_seed = (compared.groupby([*groups, "seed"], sort=False)
                .agg(seed_within=("within", "sum"), seed_difference=("difference", "mean")).reset_index())
    closest = per_seed.loc[per_seed.groupby(groups, sort=False)["seed_difference"].idxmin()]
    closest = closest.rename(columns={"seed": "closest_seed"})
    card = _scorecard_of(ours).assign(absolute=lambda c: c["difference"].abs())
    means = (card.groupby(groups, sort=False)
             .agg(numbers=("paper", "size"), n_seeds=("n_seeds", "max"), mean_within=("within_tolerance", "sum"),
                  mean_difference=("absolute", "mean")).reset_index())
    table = means.merge(closest, on=groups, how="inner")
    table = table[table["n_seeds"] > 1].reset_index(drop=True)
    return table[[*groups, "numbers", "n_seeds", "mean_within", "mean_difference", "closest_seed", "seed_within",
                  "seed_difference"]]


def for_reading(card: pd.DataFrame, results) -> pd.DataFrame:
    """The scorecard with the names a reader reads: each group as its predicted class's name (``all`` for every
    instance; :func:`attnlib.book.tables.group_label`), ``sig_frac`` as ``share significant`` and test metrics by
    their names (``macro-F1``). For display only: compare and merge on :func:`scorecard`'s own values.

    Parameters
    ----------
    card : DataFrame
        :func:`scorecard`.
    results : list of Result
        Where the class names of each dataset come from.
    """
    from .tables import group_label

    names = {r.dataset: r.class_names for r in results}
    shown = card.copy()
    shown["group"] = [group_label(g, names.get(d)) for d, g in zip(shown["dataset"], shown["group"])]
    shown["quantity"] = [readable(q) if k == "test metric" else q.replace(" sig_frac", " share significant")
                         for k, q in zip(shown["kind"], shown["quantity"])]
    return shown


def by_configuration(card: pd.DataFrame) -> pd.DataFrame:
    """The scorecard for reading: grouped by dataset and configuration, kinds in the order of :data:`KINDS`, indexed
    by ``dataset, encoder, attention, kind, quantity, group`` with short column names."""
    shown = card.rename(columns={"ours_min": "min", "ours_max": "max", "n_seeds": "seeds",
                                 "paper_in_seed_range": "in range", "within_tolerance": "within"})
    order = {kind: i for i, kind in enumerate(KINDS)}
    shown = shown.sort_values(["dataset", "encoder", "attention", "kind"], kind="stable",
                              key=lambda c: c.map(order) if c.name == "kind" else c)
    return shown.set_index(["dataset", "encoder", "attention", "kind", "quantity", "group"]).drop(columns="tolerance")
