"""Seed figures: how much a statistic moves over seeds next to the paper's value, and seed-to-seed attention
divergence next to the adversary's (Wiegreffe & Pinter 2019)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import ADVERSARIAL_JSD_RANGE, PALETTE, _ADV_BINS, _styled
from ._frames import _axes

_CONFIGURATION = ["dataset", "encoder", "attention"]


def _require(frame: pd.DataFrame, columns, caller: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{caller}: expected a pandas DataFrame; got {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{caller}: the frame lacks columns {missing}; pass attnlib.book.tables' seed tables.")


@_styled
def seed_spread(values: pd.DataFrame, statistic: str, paper: pd.DataFrame | None = None, ax: Axes | None = None,
                xlabel: str | None = None) -> Figure:
    """One row per configuration: each seed's value of ``statistic`` as a dot, their mean as a bar, and the
    paper's value as a cross where it has one.

    Parameters
    ----------
    values : DataFrame
        ``dataset, encoder, attention, seed, statistic, value`` (:func:`attnlib.book.tables.seed_values`).
    statistic : str
        Which statistic to draw, e.g. ``tau_attention_gradient``.
    paper : DataFrame, optional
        ``dataset, encoder, attention, statistic, paper`` (:func:`attnlib.book.tables.paper_statistics`).

    Returns
    -------
    Figure
    """
    caller = "seed_spread"
    _require(values, [*_CONFIGURATION, "seed", "statistic", "value"], caller)
    chosen = values[values["statistic"] == statistic].dropna(subset=["value"])
    labels = list(dict.fromkeys(f"{d} {e}+{a}" for d, e, a in chosen[_CONFIGURATION].itertuples(index=False)))
    fig, ax = _axes(ax, figsize=(6.5, 0.35 * len(labels) + 1.2))
    row_of = {label: i for i, label in enumerate(labels)}
    rows = np.array([row_of[f"{d} {e}+{a}"] for d, e, a in chosen[_CONFIGURATION].itertuples(index=False)])
    ax.scatter(chosen["value"], rows, s=14, color=PALETTE[0], alpha=0.7, label="ours, one dot per seed", zorder=3)
    means = chosen.assign(row=rows).groupby("row")["value"].mean()
    ax.scatter(means.values, means.index, marker="|", s=260, color=PALETTE[0], label="ours, mean over seeds", zorder=3)
    if paper is not None and len(paper):
        _require(paper, [*_CONFIGURATION, "statistic", "paper"], caller)
        theirs = paper[paper["statistic"] == statistic]
        theirs = theirs[[f"{d} {e}+{a}" in row_of for d, e, a in theirs[_CONFIGURATION].itertuples(index=False)]]
        if len(theirs):
            ax.scatter(theirs["paper"], [row_of[f"{d} {e}+{a}"] for d, e, a in
                                         theirs[_CONFIGURATION].itertuples(index=False)],
                       marker="x", s=50, color=PALETTE[3], label="Jain & Wallace (2019)", zorder=4)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel or statistic)
    ax.grid(axis="x", alpha=0.3)
    if labels:
        ax.legend(fontsize=8, loc="best")
    return fig


@_styled
def seed_vs_adversary(table: pd.DataFrame, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Histograms, on the same axes, of the per-instance JSD between the attention of models that differ only in
    seed and of the adversary's max JSD within ε.

    Parameters
    ----------
    table : DataFrame
        ``seed_jsd`` and ``adversarial_jsd`` per instance (:func:`attnlib.book.tables.seed_attention_table`,
        one configuration).

    Returns
    -------
    Figure
    """
    _require(table, ["seed_jsd", "adversarial_jsd"], "seed_vs_adversary")
    fig, ax = _axes(ax, figsize=(5, 3))
    bins = np.linspace(*ADVERSARIAL_JSD_RANGE, _ADV_BINS + 1)
    for column, label, colour in (("seed_jsd", "another seed", PALETTE[1]),
                                  ("adversarial_jsd", "adversary (max JSD within ε)", PALETTE[0])):
        values = pd.to_numeric(table[column], errors="coerce").dropna()
        weights = np.full(len(values), 1 / max(1, len(values)))
        ax.hist(values, bins=bins, weights=weights, alpha=0.6, color=colour, label=label)
    ax.set_xlabel("JSD from the seed-0 model's attention")
    ax.set_ylabel("share of instances")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return fig
