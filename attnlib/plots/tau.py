"""Kendall-τ figures: per-class histograms and densities of the three importance pairs (book/protocol.md §5)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy.stats import gaussian_kde

from ._frames import _axes, _check_frame, _class_groups, _class_histogram, _numeric, _tidy
from .style import _DENSITY_LINESTYLES, _TAU_BINS, PALETTE, TAU_PAIRS, _styled

# --------------------------------------------------------------------------------------------------------
# Kendall τ (book/protocol.md §5)


@_styled
def tau_histogram(instances: pd.DataFrame, pair: str = "attention_gradient", class_names=None,
                  ax: Axes | None = None) -> Figure:
    """Histogram of the per-instance Kendall τ between two importance measures (the paper's Figure 2).

    As the authors' ``GradientXHist`` plot: 30 bins on [−1, 1], one colour per predicted class, each
    class's bars normalised to sum to 1 within that class, so classes of different size compare directly.
    Classes are broken out only when fewer than 4 distinct classes are predicted; otherwise one histogram
    of all instances is drawn. A dashed line marks each class's mean τ. NaN τ (a constant importance
    vector) are dropped and counted in the legend.

    Parameters
    ----------
    instances : pandas.DataFrame, shape (n_instances, ...)
        The per-instance frame; needs ``prediction`` and ``tau_<pair>``.
    pair : {"attention_gradient", "attention_loo", "gradient_loo"}
        Which two importance measures τ compares.
    class_names : list of str, optional
        Names of the classes, indexed by the values of ``prediction``, for the legend.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when None.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding ``ax``. Each class contributes one bar container of 30 bars.

    Raises
    ------
    ValueError
        For an unknown ``pair``, a missing column or bad ``prediction`` values.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> df = synthetic_instances(n=100, n_classes=2)
    >>> fig = tau_histogram(df, "attention_gradient", class_names=["negative", "positive"])
    >>> fig.axes[0].get_xlabel()
    'Kendall τ (attention vs gradient)'
    >>> len(fig.axes[0].patches)
    60
    >>> plt.close(fig)
    """
    caller = "tau_histogram"
    if pair not in TAU_PAIRS:
        raise ValueError(f"{caller}: unknown pair {pair!r}; pass one of {list(TAU_PAIRS)}.")
    column = f"tau_{pair}"
    _check_frame(instances, ["prediction", column], caller)
    groups, per_class = _class_groups(instances, class_names, caller)
    fig, ax = _axes(ax)
    values = _numeric(instances[column])
    edges = np.linspace(-1.0, 1.0, _TAU_BINS + 1)
    _class_histogram(ax, values, groups, per_class, edges, mean_label="mean τ")
    ax.axvline(0.0, color="0.6", linewidth=0.8, zorder=2)
    ax.set_xlabel(f"Kendall τ ({TAU_PAIRS[pair]})")
    return fig


@_styled
def tau_densities(instances: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Kernel density estimates of the three pairs' Kendall τ (the authors' ``GradientLOOHist``).

    Attention–LOO is solid, attention–gradient dashed and gradient–LOO dotted, as in the paper. NaN τ are
    dropped. Each curve is a Gaussian KDE (Scott's bandwidth, :func:`scipy.stats.gaussian_kde`) evaluated
    on [−1, 1]; a pair with fewer than 2 distinct finite values has no curve and says so in the legend.

    Parameters
    ----------
    instances : pandas.DataFrame, shape (n_instances, ...)
        Needs ``tau_attention_loo``, ``tau_attention_gradient`` and ``tau_gradient_loo``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when None.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding ``ax``, with one line per drawable pair.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = tau_densities(synthetic_instances(n=100))
    >>> [line.get_linestyle() for line in fig.axes[0].get_lines()]
    ['-', '--', ':']
    >>> plt.close(fig)
    """
    caller = "tau_densities"
    pairs = list(_DENSITY_LINESTYLES)
    _check_frame(instances, [f"tau_{pair}" for pair in pairs], caller)
    fig, ax = _axes(ax)
    grid = np.linspace(-1.0, 1.0, 401)
    for i, pair in enumerate(pairs):
        values = _numeric(instances[f"tau_{pair}"])
        values = values[np.isfinite(values)]
        label = f"{TAU_PAIRS[pair]} (n={len(values)})"
        if len(np.unique(values)) < 2:
            ax.plot([], [], color=PALETTE[i], linestyle=_DENSITY_LINESTYLES[pair],
                    label=label + ": too few distinct values for a density")
            continue
        density = gaussian_kde(values)(grid)
        ax.plot(grid, density, color=PALETTE[i], linestyle=_DENSITY_LINESTYLES[pair], linewidth=2.0,
                label=label)
    ax.set_xlim(-1.0, 1.0)
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel("Kendall τ")
    ax.set_ylabel("density")
    ax.legend(loc="best")
    _tidy(ax, grid="y")
    return fig
