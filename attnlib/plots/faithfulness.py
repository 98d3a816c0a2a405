"""Figures of the faithfulness chapter: erasure curves per explainer, decision flips, and how well each explainer
finds the planted tokens.

The table is :attr:`attnlib.book.faithfulness.FaithfulnessResults.table`: ``dataset, encoder, attention, explainer,
metric, value, n`` (the runs' ``faithfulness.csv`` together).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .seeds import _require
from .style import PALETTE, _styled

__all__ = ["decision_flip_dots", "erasure_curves", "planted_recovery"]

_COLUMNS = ["dataset", "encoder", "attention", "explainer", "metric", "value"]
#: How the figures draw the two explainers a reader looks for first; the others take the palette in order.
_MARKED = {"attention": dict(color="black", linewidth=2.4, zorder=5), "random": dict(color="0.55", linestyle="--")}


def _explainer_styles(explainers) -> dict[str, dict]:
    others = [e for e in explainers if e not in _MARKED]
    styles = {e: dict(color=PALETTE[i % len(PALETTE)], linewidth=1.4) for i, e in enumerate(others)}
    styles.update({e: s for e, s in _MARKED.items() if e in explainers})
    return styles


def _bins(table: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The rows of ``kind@fraction`` metrics with a numeric ``fraction`` column."""
    chosen = table[table["metric"].str.startswith(kind + "@")].copy()
    chosen["fraction"] = chosen["metric"].str.split("@").str[1].astype(float)
    return chosen


@_styled
def erasure_curves(table: pd.DataFrame, dataset: str, encoder: str, attention: str = "tanh") -> Figure:
    """Comprehensiveness (top tokens removed) and sufficiency (only top tokens kept) against the share of tokens,
    one line per explainer, for one model; attention in black, a random order dashed.

    Returns
    -------
    Figure with two axes.
    """
    _require(table, _COLUMNS, "erasure_curves")
    chosen = table[(table["dataset"] == dataset) & (table["encoder"] == encoder) & (table["attention"] == attention)]
    if chosen.empty:
        raise ValueError(f"erasure_curves: no rows for {dataset} {encoder}+{attention}")
    explainers = list(dict.fromkeys(chosen["explainer"]))
    styles = _explainer_styles(explainers)
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6), sharex=True)
    for ax, kind, title in ((axes[0], "comprehensiveness", "removing the top tokens (higher: more faithful)"),
                            (axes[1], "sufficiency", "keeping only the top tokens (lower: more faithful)")):
        bins = _bins(chosen, kind)
        for explainer in explainers:
            line = bins[bins["explainer"] == explainer].sort_values("fraction")
            ax.plot(100 * line["fraction"], line["value"], marker="o", markersize=3, label=explainer,
                    **styles[explainer])
        ax.set_xscale("log")
        ax.set_xticks([1, 5, 10, 20, 50], ["1", "5", "10", "20", "50"])
        ax.set_xlabel("% of the text's tokens")
        ax.set_ylabel(f"{kind} (Δ p of the predicted class)")
        ax.set_title(title, fontsize=9)
        ax.axhline(0, color="0.8", linewidth=0.8, zorder=0)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.suptitle(f"{dataset}, {encoder}+{attention}", fontsize=10)
    return fig


@_styled
def decision_flip_dots(table: pd.DataFrame, attention: str = "tanh") -> Figure:
    """The mean fraction of tokens removed, in each explainer's order, before the decision flips: one panel per
    dataset, one row per explainer, one marker per encoder (fewer is more faithful; a random order for scale).

    Returns
    -------
    Figure
    """
    _require(table, _COLUMNS, "decision_flip_dots")
    chosen = table[(table["metric"] == "decision_flip_fraction") & (table["attention"] == attention)]
    datasets = list(dict.fromkeys(chosen["dataset"]))
    explainers = list(dict.fromkeys(chosen["explainer"]))
    encoders = list(dict.fromkeys(chosen["encoder"]))
    fig, axes = plt.subplots(1, len(datasets), figsize=(2.3 * len(datasets) + 1.5, 0.28 * len(explainers) + 1.4),
                             sharey=True, squeeze=False)
    markers = ["o", "s", "^", "D"]
    for ax, dataset in zip(axes[0], datasets):
        for number, encoder in enumerate(encoders):
            rows = chosen[(chosen["dataset"] == dataset) & (chosen["encoder"] == encoder)].set_index("explainer")
            values = rows["value"].reindex(explainers)
            ax.scatter(values, np.arange(len(explainers)), marker=markers[number % len(markers)], s=22,
                       color=PALETTE[number % len(PALETTE)], label=encoder, zorder=3)
        ax.set_title(dataset, fontsize=9)
        ax.set_xlim(0, 1)
        ax.set_xlabel("fraction removed")
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].set_yticks(range(len(explainers)), explainers)
    axes[0][0].invert_yaxis()
    axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig


@_styled
def planted_recovery(table: pd.DataFrame, metric: str = "precision_at_k", attention: str = "tanh") -> Figure:
    """How well each explainer points at the planted tokens: ``metric`` (precision at k or AUPRC) as a heat map,
    one row per explainer, one column per planted task and encoder.

    Returns
    -------
    Figure
    """
    _require(table, _COLUMNS, "planted_recovery")
    chosen = table[(table["metric"] == metric) & (table["attention"] == attention)]
    if chosen.empty:
        raise ValueError(f"planted_recovery: no {metric} rows (only datasets with rationales have them)")
    grid = chosen.pivot_table(index="explainer", columns=["dataset", "encoder"], values="value", sort=False)
    fig, ax = plt.subplots(figsize=(0.75 * grid.shape[1] + 2.8, 0.34 * grid.shape[0] + 1.8))
    image = ax.imshow(grid.to_numpy(), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for (row, column), value in np.ndenumerate(grid.to_numpy()):
        if np.isfinite(value):
            ax.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=7,
                    color="black" if value > 0.6 else "white")
    ax.set_yticks(range(grid.shape[0]), grid.index)
    ax.set_xticks(range(grid.shape[1]), [f"{d}\n{e}" for d, e in grid.columns], fontsize=7, rotation=0)
    fig.colorbar(image, ax=ax, label=metric.replace("_", " "), fraction=0.04)
    return fig
