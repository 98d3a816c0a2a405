"""Figures over text length: the length of the test texts per dataset, and the share of significant τ per length."""
from __future__ import annotations

import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..explain.kendall import SIGNIFICANCE
from ._frames import _axes, _check_frame
from .style import MARKERS, PALETTE, _styled

__all__ = ["LENGTH_BINS", "length_boxplot", "significance_by_length"]

#: Edges and labels of the text-length bins of :func:`significance_by_length` (tokens).
LENGTH_BINS = ((0, 10, 20, 40, 80, 160, 400, 10_000),
               ("≤10", "11–20", "21–40", "41–80", "81–160", "161–400", ">400"))


@_styled
def length_boxplot(lengths: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Box plots of the length of the test texts, one row per dataset, on a log scale.

    Parameters
    ----------
    lengths : pandas.DataFrame
        ``dataset`` and ``tokens``, one row per text.
    ax : matplotlib.axes.Axes, optional

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = length_boxplot(pd.DataFrame({"dataset": ["sst", "sst", "imdb"], "tokens": [5, 9, 230]}))
    >>> fig.axes[0].get_xscale()
    'log'
    >>> plt.close(fig)
    """
    _check_frame(lengths, ["dataset", "tokens"], "length_boxplot")
    fig, ax = _axes(ax, figsize=(7, 0.5 + 0.45 * lengths.dataset.nunique()))
    sns.boxplot(data=lengths, x="tokens", y="dataset", ax=ax, color="#8da0cb", fliersize=1.5)
    ax.set_xscale("log")
    ax.set_xlabel("test text length (tokens, log scale)")
    ax.set_title("Length of the test texts")
    return fig


@_styled
def significance_by_length(instances: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """The share of instances whose τ(attention, gradient) is significant, per text-length bin (:data:`LENGTH_BINS`),
    one line per dataset and encoder: a colour and a marker per dataset, solid for the BiLSTM, dashed otherwise.

    Parameters
    ----------
    instances : pandas.DataFrame
        Per-instance rows with ``dataset``, ``encoder``, ``length`` and ``p_attention_gradient``.
    ax : matplotlib.axes.Axes, optional

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from attnlib.plots.synthetic import synthetic_instances
    >>> frame = synthetic_instances(n=50).assign(dataset="sst", encoder="lstm")
    >>> fig = significance_by_length(frame)
    >>> fig.axes[0].get_ylim()
    (0.0, 1.02)
    >>> plt.close(fig)
    """
    _check_frame(instances, ["dataset", "encoder", "length", "p_attention_gradient"], "significance_by_length")
    edges, labels = LENGTH_BINS
    binned = instances.assign(significant=instances.p_attention_gradient <= SIGNIFICANCE,
                              length_bin=pd.cut(instances.length, list(edges), labels=list(labels)))
    share = binned.groupby(["dataset", "encoder", "length_bin"], observed=True).significant.mean().reset_index()
    fig, ax = _axes(ax, figsize=(7.5, 4))
    datasets = list(dict.fromkeys(share.dataset))
    for (name, encoder), frame in share.groupby(["dataset", "encoder"], sort=False):
        ax.plot(frame["length_bin"].astype(str), frame.significant, marker=MARKERS[datasets.index(name) % len(MARKERS)],
                color=PALETTE[datasets.index(name) % len(PALETTE)], linestyle="-" if encoder == "lstm" else "--",
                label=f"{name} {encoder}")
    ax.set_xlabel("text length (tokens)")
    ax.set_ylabel(f"share with p ≤ {SIGNIFICANCE:g} (attention vs gradient)")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8, ncol=2)
    return fig
