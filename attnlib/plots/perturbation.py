"""Permutation and adversarial figures: violins over max-attention bins and max-JSD histograms (§6, §7)."""
from __future__ import annotations

import numbers

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..explain.adversarial import MAX_JSD_PREFIX, max_jsd_column
from ..paper.jain_wallace import MAX_ATTENTION_BINS, max_attention_bin
from ._frames import _axes, _check_frame, _class_groups, _class_histogram, _numeric, _tidy
from .style import _ADV_BINS, ADVERSARIAL_JSD_RANGE, LINESTYLES, MARKERS, _styled, hatch_of


def _adversarial_column(instances: pd.DataFrame, epsilon, caller: str) -> str:
    """The name of the max-JSD column of ``epsilon`` (:func:`~attnlib.explain.max_jsd_column`); raise naming the
    epsilons that are available."""
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real):
        raise TypeError(f"{caller}: `epsilon` must be a number such as 0.01; got {epsilon!r}.")
    column = max_jsd_column(float(epsilon))
    if column in instances.columns:
        return column
    listed = ", ".join(c.removeprefix(MAX_JSD_PREFIX) for c in map(str, instances.columns)
                       if c.startswith(MAX_JSD_PREFIX)) or "none"
    raise ValueError(
        f"{caller}: no column '{column}' for epsilon={epsilon!r} in `instances`; "
        f"available epsilons: {listed}. Pass one of those, or run the adversarial search at this epsilon."
    )


def _binned_violin(ax, instances, x_column, x_range, xlabel, class_names, caller, paper_medians=None) -> None:
    """Horizontal violins of ``x_column`` per max-attention bin (y) and predicted class (hue); the paper's median
    of each (bin, class) as a black cross when ``paper_medians`` (``bin, group, median``) is given."""
    groups, per_class = _class_groups(instances, class_names, caller)
    max_attention = _numeric(instances["max_attention"])
    x = _numeric(instances[x_column])
    bin_index = max_attention_bin(max_attention)  # 1.0 falls in the last, closed bin
    class_label = np.empty(len(instances), dtype=object)
    for name, _, mask in groups:
        class_label[mask] = name
    keep = np.isfinite(x) & np.isfinite(max_attention)
    data = pd.DataFrame({
        "x": x[keep],
        "bin": pd.Categorical([MAX_ATTENTION_BINS[int(b)] for b in bin_index[keep]], categories=MAX_ATTENTION_BINS),
        "class": pd.Series(class_label[keep], dtype=object).astype(str),
    })
    order = list(MAX_ATTENTION_BINS[::-1])  # the highest bin on top, like a numeric axis
    hue_order = [name for name, _, _ in groups]
    palette = {name: colour for name, colour, _ in groups}
    if len(data):
        sns.violinplot(
            data=data, x="x", y="bin", hue="class", order=order, hue_order=hue_order, palette=palette,
            orient="h", inner="quartile", cut=0.02, density_norm="width", linewidth=0.9,
            saturation=1.0, legend=per_class, ax=ax,
        )
        # seaborn draws no violin for fewer than 2 distinct values; show those instances as points.
        n_hue = len(hue_order)
        width = 0.8 / n_hue
        for (bin_label, name), group in data.groupby(["bin", "class"], observed=True):
            if group["x"].nunique() < 2:
                y = order.index(bin_label) - 0.4 + (hue_order.index(name) + 0.5) * width
                ax.plot(group["x"], np.full(len(group), y), marker="|", markersize=10, linestyle="none",
                        color=palette[name], markeredgewidth=2)
        _hatch_violins(ax, palette, hue_order)
    crosses = paper_medians is not None and len(paper_medians) and _paper_crosses(
        ax, paper_medians, order, hue_order, class_names, caller)
    counts = data["bin"].value_counts().reindex(order, fill_value=0)
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([f"{label}\n(n={counts[label]})" for label in order])
    ax.set_ylim(len(order) - 0.5, -0.5)
    low, high = x_range
    pad = 0.02 * (high - low)
    ax.set_xlim(low - pad, high + pad)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("max attention weight")
    legend = ax.get_legend()
    handles = list(legend.legend_handles) if per_class and legend is not None else []
    labels = [text.get_text() for text in legend.get_texts()] if handles else []
    for handle, name in zip(handles, labels):
        if name in hue_order:
            handle.set_hatch(hatch_of(hue_order.index(name)))
    if crosses:
        handles.append(Line2D([], [], marker="x", color="black", linestyle="none", markersize=7))
        labels.append("the paper's median")
    if handles:  # below the axes, where it covers no violin
        ax.legend(handles, labels, title="predicted class" if per_class else None, loc="upper center",
                  bbox_to_anchor=(0.5, -0.2), ncol=min(len(handles), 3), frameon=False)
    _tidy(ax, grid="x")


def _hatch_violins(ax, palette: dict, hue_order: list) -> None:
    """Give each class's violins the hatch of its position (colour alone does not tell the classes apart)."""
    by_colour = {tuple(np.round(to_rgba(colour), 3)): hatch_of(hue_order.index(name))
                 for name, colour in palette.items()}
    for collection in ax.collections:
        if isinstance(collection, PolyCollection) and len(collection.get_facecolor()):
            hatch = by_colour.get(tuple(np.round(collection.get_facecolor()[0], 3)))
            if hatch:
                collection.set_hatch(hatch)
                collection.set_edgecolor("white")



def _check_paper_medians(paper_medians, caller: str) -> None:
    """Raise before any figure is made if ``paper_medians`` lacks a column or names a bin that is not one of
    :data:`~attnlib.paper.jain_wallace.MAX_ATTENTION_BINS`."""
    if paper_medians is None or not len(paper_medians):
        return
    _check_frame(paper_medians, ["bin", "group", "median"], caller)
    unknown = sorted(set(paper_medians["bin"]) - set(MAX_ATTENTION_BINS))
    if unknown:
        raise ValueError(f"{caller}: paper_medians has the bin {unknown[0]!r}; bins are {', '.join(MAX_ATTENTION_BINS)}")


def _paper_crosses(ax, paper_medians: pd.DataFrame, order, hue_order, class_names, caller) -> bool:
    """A black cross at the paper's median of each (bin, predicted class); ``group`` ``all`` is drawn centred.
    Returns whether any was drawn."""
    width = 0.8 / max(1, len(hue_order))
    xs, ys = [], []
    for bin_label, group, median in paper_medians[["bin", "group", "median"]].itertuples(index=False):
        if str(group) == "all":
            offset = 0.0
        else:
            name = class_names[int(group)] if class_names is not None and str(group).isdigit() \
                and int(group) < len(class_names) else str(group)
            if name not in hue_order:
                continue
            offset = -0.4 + (hue_order.index(name) + 0.5) * width
        xs.append(median)
        ys.append(order.index(bin_label) + offset)
    if xs:
        ax.scatter(xs, ys, marker="x", s=45, color="black", zorder=5, label="the paper's median")
    return bool(xs)


# --------------------------------------------------------------------------------------------------------
# Permutation (book/protocol.md §6)


@_styled
def permutation_violin(instances: pd.DataFrame, class_names=None, ax: Axes | None = None,
                       paper_medians: pd.DataFrame | None = None) -> Figure:
    """Median output change under attention permutation vs the largest attention weight (Figure 3).

    Horizontal violins (seaborn, ``inner='quartile'``, ``cut=0.02``, every violin scaled to the same
    width): x is each instance's median total variation distance between the original output and the
    outputs with permuted attention, y its max attention weight in 4 equal bins [0, .25), [.25, .5),
    [.5, .75), [.75, 1] (highest on top; the tick labels give the number of instances). One violin per
    predicted class when fewer than 4 classes are predicted. Empty bins stay empty; a group with fewer than
    2 distinct values is drawn as tick marks instead of a violin.

    Parameters
    ----------
    instances : pandas.DataFrame, shape (n_instances, ...)
        Needs ``prediction``, ``max_attention`` (in (0, 1]) and ``perm_median_tvd`` (in [0, 1]).
    class_names : list of str, optional
        Names of the classes, indexed by the values of ``prediction``, for the legend.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when None.
    paper_medians : pandas.DataFrame, optional
        The paper's medians to mark with black crosses: ``bin`` (a label of :data:`MAX_ATTENTION_BINS`),
        ``group`` (a predicted class index, or ``all``), ``median``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = permutation_violin(synthetic_instances(n=200), class_names=["neg", "pos"])
    >>> fig.axes[0].get_ylabel()
    'max attention weight'
    >>> plt.close(fig)
    """
    caller = "permutation_violin"
    _check_frame(instances, ["prediction", "max_attention", "perm_median_tvd"], caller)
    _class_groups(instances, class_names, caller)  # validate before creating a figure
    _check_paper_medians(paper_medians, caller)
    fig, ax = _axes(ax)
    _binned_violin(ax, instances, "perm_median_tvd", (0.0, 1.0),
                   "median output TVD under permutation", class_names, caller, paper_medians)
    return fig


# --------------------------------------------------------------------------------------------------------
# Adversarial attention (book/protocol.md §7)


@_styled
def adversarial_histogram(instances: pd.DataFrame, epsilon: float = 0.01, class_names=None,
                          ax: Axes | None = None) -> Figure:
    """Histogram of the max JSD of an adversarial attention within ε (the authors' ``eMaxJDS_Hist``).

    40 bins over [0, 0.7], one colour per predicted class (when fewer than 4 are predicted), each class
    normalised to sum to 1 within the class; a dashed line marks each class mean and a dotted grey line
    marks ln 2, the largest possible JSD. NaN values are dropped; values above 0.7 would fall in the last
    bin (the JSD cannot exceed ln 2 ≈ 0.693).

    Parameters
    ----------
    instances : pandas.DataFrame, shape (n_instances, ...)
        Needs ``prediction`` and ``adv_max_jsd@<epsilon>``.
    epsilon : float
        The output-difference tolerance; selects the column ``adv_max_jsd@<epsilon>``.
    class_names : list of str, optional
        Names of the classes, indexed by the values of ``prediction``, for the legend.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when None.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding ``ax``. Each class contributes one bar container of 40 bars.

    Raises
    ------
    ValueError
        When ``instances`` has no column for ``epsilon`` (the message lists the epsilons it has).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = adversarial_histogram(synthetic_instances(n=100), epsilon=0.05)
    >>> fig.axes[0].get_xlabel()
    'max JSD of attention within ε = 0.05'
    >>> plt.close(fig)
    """
    caller = "adversarial_histogram"
    _check_frame(instances, ["prediction"], caller)
    column = _adversarial_column(instances, epsilon, caller)
    groups, per_class = _class_groups(instances, class_names, caller)
    fig, ax = _axes(ax)
    values = _numeric(instances[column])
    edges = np.linspace(*ADVERSARIAL_JSD_RANGE, _ADV_BINS + 1)
    ax.axvline(np.log(2), color="0.5", linestyle=":", linewidth=1.0, zorder=2)
    _class_histogram(ax, values, groups, per_class, edges, mean_label="mean")
    ax.set_xlabel(f"max JSD of attention within ε = {float(epsilon):g}")
    ax.annotate("ln 2", xy=(np.log(2), 1.0), xycoords=("data", "axes fraction"), xytext=(-2, -2),
                textcoords="offset points", ha="right", va="top", fontsize=8, color="0.4")
    return fig


@_styled
def adversarial_violin(instances: pd.DataFrame, epsilon: float = 0.01, class_names=None,
                       ax: Axes | None = None, paper_medians: pd.DataFrame | None = None) -> Figure:
    """Max JSD of an adversarial attention within ε vs the largest attention weight (``eMaxJDS_Scatter``).

    The same layout as :func:`permutation_violin` (despite the authors' file name, a violin plot): x is
    the max JSD within ε on [0, 0.7], y the max attention weight in 4 equal bins, hue the predicted class
    when fewer than 4 are predicted.

    Parameters
    ----------
    instances : pandas.DataFrame, shape (n_instances, ...)
        Needs ``prediction``, ``max_attention`` and ``adv_max_jsd@<epsilon>``.
    epsilon : float
        The output-difference tolerance; selects the column ``adv_max_jsd@<epsilon>``.
    class_names : list of str, optional
        Names of the classes, indexed by the values of ``prediction``, for the legend.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when None.
    paper_medians : pandas.DataFrame, optional
        As for :func:`permutation_violin` (the paper's medians are at ε = 0.05).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = adversarial_violin(synthetic_instances(n=200, n_classes=3))
    >>> fig.axes[0].get_xlabel()
    'max JSD of attention within ε = 0.01'
    >>> plt.close(fig)
    """
    caller = "adversarial_violin"
    _check_frame(instances, ["prediction", "max_attention"], caller)
    column = _adversarial_column(instances, epsilon, caller)
    _class_groups(instances, class_names, caller)  # validate before creating a figure
    _check_paper_medians(paper_medians, caller)
    fig, ax = _axes(ax)
    _binned_violin(ax, instances, column, ADVERSARIAL_JSD_RANGE,
                   f"max JSD of attention within ε = {float(epsilon):g}", class_names, caller, paper_medians)
    return fig


@_styled
def adversary_strength_curves(strength: pd.DataFrame, high_attention: float = 0.75, epsilon: float = 0.05) -> Figure:
    """The median max JSD within ``epsilon`` against the search's iterations, one line per configuration and number
    of adversaries: over all sampled instances (left) and over those whose largest weight is at least
    ``high_attention`` (right).

    Parameters
    ----------
    strength : pandas.DataFrame
        :func:`attnlib.book.ablations.adversary_strength` rows with ``configuration``: ``iterations``,
        ``adversaries``, ``median``, ``high_median``.
    high_attention, epsilon : float
        For the titles and the axis label.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> frame = pd.DataFrame({"configuration": "sst lstm+tanh", "iterations": [50, 500] * 2,
    ...                       "adversaries": [1, 1, 5, 5], "median": [0.2, 0.4, 0.3, 0.5],
    ...                       "high_median": [0.1, 0.2, 0.2, 0.4]})
    >>> fig = adversary_strength_curves(frame)
    >>> [len(ax.lines) for ax in fig.axes]
    [2, 2]
    >>> plt.close(fig)
    """
    _check_frame(strength, ["configuration", "iterations", "adversaries", "median", "high_median"],
                 "adversary_strength_curves")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
    series = strength.groupby(["configuration", "adversaries"], sort=False)
    for position, ((label, n_adversaries), frame) in enumerate(series):
        for ax, column in zip(axes, ("median", "high_median")):
            ax.plot(frame.iterations, frame[column], marker=MARKERS[position % len(MARKERS)],
                    linestyle=LINESTYLES[position % len(LINESTYLES)], label=f"{label}, {n_adversaries} adversaries")
    for ax, title in zip(axes, ("all sampled instances", f"max attention ≥ {high_attention}")):
        ax.set_xscale("log")
        ax.set_xlabel("iterations")
        ax.set_title(title)
    axes[0].set_ylabel(f"median max JSD within ε = {epsilon:g}")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(3, len(labels)),
               frameon=False)
    return fig
