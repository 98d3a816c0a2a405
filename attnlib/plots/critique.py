"""Figures of Wiegreffe & Pinter's tests (the critique chapter): scores over seeds with learned, uniform and
imposed weights, and how far attention and output move from a base model for another seed and for the two kinds
of adversary.

The tables come from :func:`attnlib.book.critique.run_critique`.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._frames import _axes
from .seeds import _require
from .style import PALETTE, _styled

__all__ = ["divergence_boxes", "score_by_weights", "seed_and_adversary_medians"]

#: How the divergence figures name and colour each source of a second attention.
_SOURCES = {"seed": ("another seed", "0.6"), "per-instance adversary": ("per-instance adversary (ε = 0.05)", PALETTE[3])}
#: The colours of the model-consistent adversaries, in order of λ (none shared with :data:`_SOURCES`).
_LAMBDA_COLOURS = [PALETTE[i] for i in (0, 2, 4, 8, 9)]


@_styled
def score_by_weights(table: pd.DataFrame, rows: list[str], hue: str, value: str = "macro_f1",
                     ax: Axes | None = None, xlabel: str = "test macro-F1") -> Figure:
    """One row per combination of ``rows``, one colour per value of ``hue``: each seed's ``value`` as a dot and
    the mean over seeds as a tick.

    Parameters
    ----------
    table : DataFrame
        ``performance`` (rows ``["dataset", "encoder"]``, hue ``attention``) or ``diagnostic`` (rows
        ``["dataset"]``, hue ``weights``) of :class:`attnlib.book.critique.CritiqueResults`; needs ``seed``.

    Returns
    -------
    Figure
    """
    _require(table, [*rows, hue, "seed", value], "score_by_weights")
    labels = list(dict.fromkeys(" ".join(map(str, key)) for key in table[rows].itertuples(index=False)))
    hues = list(dict.fromkeys(table[hue]))
    fig, ax = _axes(ax, figsize=(6.5, 0.32 * len(labels) * len(hues) + 1.3))
    step = 0.8 / max(1, len(hues))
    for number, name in enumerate(hues):
        chosen = table[table[hue] == name]
        positions = np.array([labels.index(" ".join(map(str, key))) for key in chosen[rows].itertuples(index=False)])
        offset = (number - (len(hues) - 1) / 2) * step
        colour = PALETTE[number % len(PALETTE)]
        ax.scatter(chosen[value], positions + offset, s=16, color=colour, alpha=0.7, zorder=3)
        means = chosen.assign(position=positions).groupby("position")[value].mean()
        ax.scatter(means.values, means.index + offset, marker="|", s=200, color=colour, zorder=4, label=name)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel + " (dots: seeds; ticks: mean)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig


def _source_label(source: str, lam: float) -> str:
    return f"consistent adversary, λ = {lam:g}" if source == "consistent adversary" else _SOURCES[source][0]


@_styled
def divergence_boxes(divergence: pd.DataFrame) -> Figure:
    """Per dataset and source of a second attention (another seed, Jain & Wallace's per-instance adversary, each
    model-consistent adversary): boxes over the analysed instances of the attention JSD (left) and the output TVD
    (right) from the base model.

    Parameters
    ----------
    divergence : DataFrame
        ``CritiqueResults.divergence`` (``dataset, source, lam, jsd, tvd``).

    Returns
    -------
    Figure with two axes.
    """
    _require(divergence, ["dataset", "source", "lam", "jsd", "tvd"], "divergence_boxes")
    groups = list(divergence.groupby(["dataset", "source", "lam"], dropna=False, sort=False))
    order = {"seed": 0, "per-instance adversary": 1, "consistent adversary": 2}
    groups.sort(key=lambda item: (list(dict.fromkeys(divergence["dataset"])).index(item[0][0]), order[item[0][1]],
                                  item[0][2] if item[0][2] == item[0][2] else 0))
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 0.3 * len(groups) + 1.4), sharey=True)
    lams = sorted(divergence.loc[divergence["source"] == "consistent adversary", "lam"].unique())
    colours = [_SOURCES[source][1] if source in _SOURCES else
               _LAMBDA_COLOURS[lams.index(lam) % len(_LAMBDA_COLOURS)] for (_, source, lam), _ in groups]
    for ax, column, label in ((axes[0], "jsd", "attention JSD from the base model"),
                              (axes[1], "tvd", "output TVD from the base model")):
        parts = ax.boxplot([frame[column].to_numpy() for _, frame in groups], orientation="horizontal",
                           widths=0.6, patch_artist=True, showfliers=False, medianprops={"color": "black"})
        for box, colour in zip(parts["boxes"], colours):
            box.set_facecolor(colour)
            box.set_alpha(0.75)
        ax.set_xlabel(label)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_xlim(0, np.log(2))
    axes[0].set_yticks(range(1, len(groups) + 1), [f"{dataset}: {_source_label(source, lam)}"
                                                   for (dataset, source, lam), _ in groups])
    axes[0].invert_yaxis()
    return fig


@_styled
def seed_and_adversary_medians(divergence: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """W&P's trade-off, one line per dataset: the median attention JSD and output TVD of each model-consistent
    adversary (points joined in order of λ, labelled with λ), beside the median of another seed (circle) and of
    the per-instance adversary (cross); the TVD on a log scale, since it spans orders of magnitude.

    Parameters
    ----------
    divergence : DataFrame
        ``CritiqueResults.divergence`` (``dataset, source, lam, jsd, tvd``).
    """
    _require(divergence, ["dataset", "source", "lam", "jsd", "tvd"], "seed_and_adversary_medians")
    fig, ax = _axes(ax, figsize=(6.2, 4.0))
    medians = divergence.groupby(["dataset", "source", "lam"], dropna=False, sort=False)[["jsd", "tvd"]].median()
    medians = medians.reset_index()
    for number, dataset in enumerate(dict.fromkeys(medians["dataset"])):
        colour = PALETTE[number % len(PALETTE)]
        mine = medians[medians["dataset"] == dataset]
        curve = mine[mine["source"] == "consistent adversary"].sort_values("lam")
        ax.plot(curve["jsd"], curve["tvd"], "-o", color=colour, markersize=4, label=f"{dataset}: adversaries by λ")
        for _, point in curve.iterrows():
            ax.annotate(f"{point.lam:g}", (point.jsd, point.tvd), fontsize=7, xytext=(3, 3),
                        textcoords="offset points", color=colour)
        for source, marker in (("seed", "o"), ("per-instance adversary", "x")):
            point = mine[mine["source"] == source]
            ax.scatter(point["jsd"], point["tvd"], marker=marker, s=60, color=colour,
                       facecolors="none" if marker == "o" else colour, zorder=4)
    ax.scatter([], [], marker="o", facecolors="none", color="0.3", label="another seed (median)")
    ax.scatter([], [], marker="x", color="0.3", label="per-instance adversary (median)")
    ax.set_xlabel("median attention JSD from the base model")
    ax.set_ylabel("median output TVD from the base (log scale)")
    ax.set_xlim(0, 0.72)
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    return fig
