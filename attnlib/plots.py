"""The paper's figures, one function each (PROTOCOL.md §5–§8).

Every function takes tidy data (for most, the per-instance frame that the analysis code writes; see
:data:`INSTANCE_COLUMNS`) and an optional matplotlib ``ax``. It draws on ``ax`` when one is given and
otherwise creates one new figure, and it returns the :class:`~matplotlib.figure.Figure`. Nothing here calls
``plt.show()`` or writes files. Callers save, display, ``glue`` or close the figure themselves.

Figures created without an ``ax`` are ordinary pyplot figures, so ``plt.show()`` works in scripts. In a
notebook, assign the result (``fig = tau_histogram(df)``) so that it is not displayed twice, and close it
with ``plt.close(fig)`` after ``glue`` if it should not be shown in place.

The look lives in :data:`STYLE`, a dict of rcParams. Each function applies it with
:func:`matplotlib.rc_context`, so global settings are never changed. Use :func:`style` to draw matching
figures of your own.

Which classes get their own colour (PROTOCOL.md §5, quirk Q7): instances are grouped by **predicted**
class, and only when fewer than 4 distinct classes are predicted. Otherwise one "all instances" series is
drawn, as in the authors' plots for CNN and bAbI.
"""
from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from scipy.stats import gaussian_kde

__all__ = [
    "ADVERSARIAL_JSD_RANGE",
    "INSTANCE_COLUMNS",
    "MAX_ATTENTION_BINS",
    "PALETTE",
    "STYLE",
    "TAU_PAIRS",
    "adversarial_histogram",
    "adversarial_violin",
    "comparison_bars",
    "example_heatmap",
    "panel_grid",
    "permutation_violin",
    "style",
    "synthetic_instances",
    "tau_densities",
    "tau_histogram",
]

# --------------------------------------------------------------------------------------------------------
# Constants and style

#: The colour-blind-safe palette used for classes and series (seaborn "colorblind", as hex strings).
PALETTE: list[str] = list(sns.color_palette("colorblind").as_hex())

#: rcParams applied inside every plot function through :func:`matplotlib.rc_context`.
STYLE: dict[str, object] = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.size": 10.0,
    "axes.titlesize": 11.0,
    "axes.labelsize": 10.0,
    "xtick.labelsize": 9.0,
    "ytick.labelsize": 9.0,
    "legend.fontsize": 9.0,
    "legend.title_fontsize": 9.0,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "axes.grid": False,
    "grid.color": "#b0b0b0",
    "grid.alpha": 0.35,
    "grid.linewidth": 0.6,
    "axes.prop_cycle": cycler(color=PALETTE),
    "image.cmap": "Blues",
    "lines.linewidth": 1.6,
}

#: Sequential colour map of :func:`example_heatmap` (white = 0, dark blue = 1).
HEATMAP_CMAP = "Blues"

#: The three Kendall-τ pairs: name used in column names → human-readable label.
TAU_PAIRS: dict[str, str] = {
    "attention_gradient": "attention vs gradient",
    "attention_loo": "attention vs leave-one-out",
    "gradient_loo": "gradient vs leave-one-out",
}

#: Columns of the per-instance frame that the analysis code produces.
INSTANCE_COLUMNS: tuple[str, ...] = (
    "index", "label", "prediction", "length", "max_attention",
    "tau_attention_gradient", "p_attention_gradient",
    "tau_attention_loo", "p_attention_loo",
    "tau_gradient_loo", "p_gradient_loo",
    "perm_median_tvd", "adv_max_jsd@0.01", "adv_max_jsd@0.05",
)

#: Edges of the 4 equal max-attention bins of the violin plots: [0, .25), [.25, .5), [.5, .75), [.75, 1].
MAX_ATTENTION_BINS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
_BIN_LABELS: tuple[str, ...] = ("[0, 0.25)", "[0.25, 0.5)", "[0.5, 0.75)", "[0.75, 1]")

#: x range of the adversarial plots; the JSD (natural log) lies in [0, ln 2 ≈ 0.693].
ADVERSARIAL_JSD_RANGE: tuple[float, float] = (0.0, 0.7)

_TAU_BINS = 30
_ADV_BINS = 40
_MAX_CLASSES_BROKEN_OUT = 4  # classes get their own colour only when strictly fewer are predicted
_ADV_PREFIX = "adv_max_jsd@"
_DENSITY_LINESTYLES = {"attention_loo": "-", "attention_gradient": "--", "gradient_loo": ":"}


def style():
    """Context manager applying :data:`STYLE`, for figures of your own that should match ours.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with style():
    ...     fig, ax = plt.subplots()
    >>> ax.spines["top"].get_visible()
    False
    >>> plt.close(fig)
    """
    return matplotlib.rc_context(STYLE)


def _styled(function):
    """Run ``function`` inside ``rc_context(STYLE)``; the global rcParams are restored afterwards."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return function(*args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------------------------------------
# Validation and shared helpers


def _check_frame(instances, required: Sequence[str], caller: str) -> None:
    """Raise if ``instances`` is not a non-empty DataFrame holding every column in ``required``."""
    if not isinstance(instances, pd.DataFrame):
        raise TypeError(
            f"{caller}: `instances` must be a pandas DataFrame with one row per test instance; "
            f"got {type(instances).__name__}. Build it with the analysis code or pd.DataFrame(records)."
        )
    missing = [column for column in required if column not in instances.columns]
    if missing:
        raise ValueError(
            f"{caller}: `instances` is missing column(s) {missing}; this plot needs {list(required)}. "
            f"The per-instance frame has the columns {list(INSTANCE_COLUMNS)}; "
            f"got {list(map(str, instances.columns))}."
        )
    if len(instances) == 0:
        raise ValueError(f"{caller}: `instances` has no rows; pass at least one test instance.")


def _numeric(column) -> np.ndarray:
    """A column as a float array; non-numbers and missing values (NaN, None, pd.NA) become NaN."""
    return pd.to_numeric(pd.Series(column), errors="coerce").astype("float64").to_numpy()


def _predictions(instances: pd.DataFrame, caller: str) -> np.ndarray:
    """The `prediction` column as an int array; raise on NaN or non-integer values."""
    values = _numeric(instances["prediction"])
    bad = ~np.isfinite(values) | (values != np.round(values)) | (values < 0)
    if bad.any():
        example = instances["prediction"].to_numpy()[bad][0]
        raise ValueError(
            f"{caller}: `prediction` must hold non-negative integer class indices; "
            f"{int(bad.sum())} row(s) do not (for example {example!r}). Pass the argmax class per instance."
        )
    return values.astype(int)


def _class_groups(instances: pd.DataFrame, class_names, caller: str):
    """The colour groups: [(label, colour, boolean mask)], by predicted class when fewer than 4 exist.

    Returns ``(groups, per_class)``.
    """
    predictions = _predictions(instances, caller)
    classes = np.unique(predictions)
    if class_names is not None:
        if isinstance(class_names, str) or not isinstance(class_names, Sequence):
            raise TypeError(
                f"{caller}: `class_names` must be a list of names indexed by class, e.g. ['negative', "
                f"'positive']; got {type(class_names).__name__}."
            )
        if classes.max() >= len(class_names):
            raise ValueError(
                f"{caller}: `class_names` has {len(class_names)} name(s) but `prediction` contains class "
                f"{int(classes.max())}; pass one name per class index 0..{int(classes.max())}."
            )
    if len(classes) >= _MAX_CLASSES_BROKEN_OUT:
        return [("all instances", PALETTE[0], np.ones(len(predictions), dtype=bool))], False
    groups = []
    for k in classes:
        name = str(class_names[k]) if class_names is not None else str(int(k))
        groups.append((name, PALETTE[int(k) % len(PALETTE)], predictions == k))
    return groups, True


def _axes(ax, figsize=None) -> tuple[Figure, Axes]:
    """Return ``(figure, ax)``: the given axes and its (root) figure, or a new figure with one axes."""
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    if not isinstance(ax, Axes):
        raise TypeError(f"`ax` must be a matplotlib Axes or None; got {type(ax).__name__}.")
    fig = ax.figure
    while not isinstance(fig, Figure):  # axes inside a SubFigure
        fig = fig.figure
    return fig, ax


def _tidy(ax: Axes, grid: str | None = "y") -> None:
    """Apply the axes-level style also to axes created outside :data:`STYLE` (a caller's ``ax``)."""
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.set_axisbelow(True)
    if grid is not None:
        ax.grid(True, axis=grid)


def _adversarial_column(instances: pd.DataFrame, epsilon, caller: str) -> str:
    """The name of the `adv_max_jsd@<epsilon>` column; raise naming the epsilons that are available."""
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real):
        raise TypeError(f"{caller}: `epsilon` must be a number such as 0.01; got {epsilon!r}.")
    available = {}
    for column in map(str, instances.columns):
        if column.startswith(_ADV_PREFIX):
            try:
                available[float(column[len(_ADV_PREFIX):])] = column
            except ValueError:
                continue
    for value, column in available.items():
        if math.isclose(value, float(epsilon), rel_tol=1e-9, abs_tol=1e-12):
            return column
    listed = ", ".join(f"{value:g}" for value in sorted(available)) or "none"
    raise ValueError(
        f"{caller}: no column '{_ADV_PREFIX}{float(epsilon):g}' for epsilon={epsilon!r} in `instances`; "
        f"available epsilons: {listed}. Pass one of those, or run the adversarial search at this epsilon."
    )


def _class_histogram(ax, values, groups, per_class, edges, mean_label) -> None:
    """Bars of each group's histogram side by side within each bin, normalised to sum to 1 per group.

    NaN values are dropped, values outside the range are clipped into the outer bins, and a dashed line
    marks each group's mean.
    """
    n_groups = len(groups)
    bin_width = edges[1] - edges[0]
    bar_width = 0.9 * bin_width / n_groups
    for i, (name, colour, mask) in enumerate(groups):
        group_values = values[mask]
        finite = group_values[np.isfinite(group_values)]
        n_dropped = len(group_values) - len(finite)
        counts, _ = np.histogram(np.clip(finite, edges[0], edges[-1]), bins=edges)
        heights = counts / len(finite) if len(finite) else counts.astype(float)
        label = f"{name} (n={len(finite)}"
        if n_dropped:
            label += f", {n_dropped} NaN dropped"
        if len(finite):
            mean = float(finite.mean())
            label += f", {mean_label} {mean:.2f}"
        label += ")"
        offset = 0.05 * bin_width + i * bar_width
        ax.bar(edges[:-1] + offset, heights, width=bar_width, align="edge", color=colour,
               edgecolor="white", linewidth=0.3, label=label)
        if len(finite):
            ax.axvline(mean, color=colour, linestyle="--", linewidth=1.3, zorder=3)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylabel("fraction of instances" + (" (within class)" if per_class else ""))
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="0.35", linestyle="--", linewidth=1.3))
    labels.append("class mean" if per_class else "mean")
    top = max((bar.get_height() for bar in ax.patches), default=0.0)
    if top > 0:
        ax.set_ylim(0.0, 1.4 * top)  # headroom for the legend
    ax.legend(handles, labels, title="predicted class" if per_class else None, loc="best", frameon=True,
              facecolor="white", edgecolor="none", framealpha=0.85)
    _tidy(ax, grid="y")


def _binned_violin(ax, instances, x_column, x_range, xlabel, class_names, caller) -> None:
    """Horizontal violins of ``x_column`` per max-attention bin (y) and predicted class (hue)."""
    groups, per_class = _class_groups(instances, class_names, caller)
    max_attention = _numeric(instances["max_attention"])
    x = _numeric(instances[x_column])
    bin_index = np.clip(np.floor(max_attention * 4), 0, 3)  # 1.0 falls in the last, closed bin
    class_label = np.empty(len(instances), dtype=object)
    for name, _, mask in groups:
        class_label[mask] = name
    keep = np.isfinite(x) & np.isfinite(max_attention)
    data = pd.DataFrame({
        "x": x[keep],
        "bin": pd.Categorical([_BIN_LABELS[int(b)] for b in bin_index[keep]], categories=_BIN_LABELS),
        "class": pd.Series(class_label[keep], dtype=object).astype(str),
    })
    order = list(_BIN_LABELS[::-1])  # the highest bin on top, like a numeric axis
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
    if per_class and legend is not None:
        legend.set_title("predicted class")
        legend.set_frame_on(False)
    _tidy(ax, grid="x")


# --------------------------------------------------------------------------------------------------------
# Synthetic data for examples and tests


def synthetic_instances(n: int = 200, n_classes: int = 2, seed: int = 0) -> pd.DataFrame:
    """A random per-instance frame in the input format of this module, for examples and tests.

    The numbers mean nothing; they only have the right columns, types and ranges.

    Parameters
    ----------
    n : int
        Number of instances (rows).
    n_classes : int
        Predicted classes are drawn uniformly from ``0 .. n_classes - 1``.
    seed : int
        Seed of the ``numpy.random.Generator``; the same seed gives the same frame.

    Returns
    -------
    pandas.DataFrame with the columns :data:`INSTANCE_COLUMNS`, shape (n, 14).

    Examples
    --------
    >>> df = synthetic_instances(n=5, n_classes=3, seed=1)
    >>> df.shape
    (5, 14)
    """
    rng = np.random.default_rng(seed)
    length = rng.integers(3, 60, size=n)
    max_attention = rng.beta(2, 3, size=n) * (1 - 1e-9) + 1e-9
    tau = np.clip(rng.normal([0.3, 0.25, 0.4], 0.25, size=(n, 3)), -1, 1)
    jsd_01 = rng.uniform(0, np.log(2), size=n)
    return pd.DataFrame({
        "index": np.arange(n),
        "label": rng.integers(0, n_classes, size=n),
        "prediction": rng.integers(0, n_classes, size=n),
        "length": length,
        "max_attention": max_attention,
        "tau_attention_gradient": tau[:, 0],
        "p_attention_gradient": rng.uniform(0, 1, size=n),
        "tau_attention_loo": tau[:, 1],
        "p_attention_loo": rng.uniform(0, 1, size=n),
        "tau_gradient_loo": tau[:, 2],
        "p_gradient_loo": rng.uniform(0, 1, size=n),
        "perm_median_tvd": rng.beta(1, 6, size=n),
        "adv_max_jsd@0.01": jsd_01,
        "adv_max_jsd@0.05": np.minimum(jsd_01 + rng.uniform(0, 0.1, size=n), np.log(2)),
    })


# --------------------------------------------------------------------------------------------------------
# Kendall τ (PROTOCOL.md §5)


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


# --------------------------------------------------------------------------------------------------------
# Permutation (PROTOCOL.md §6)


@_styled
def permutation_violin(instances: pd.DataFrame, class_names=None, ax: Axes | None = None) -> Figure:
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
    fig, ax = _axes(ax)
    _binned_violin(ax, instances, "perm_median_tvd", (0.0, 1.0),
                   "median output TVD under permutation", class_names, caller)
    return fig


# --------------------------------------------------------------------------------------------------------
# Adversarial attention (PROTOCOL.md §7)


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
                       ax: Axes | None = None) -> Figure:
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
    fig, ax = _axes(ax)
    _binned_violin(ax, instances, column, ADVERSARIAL_JSD_RANGE,
                   f"max JSD of attention within ε = {float(epsilon):g}", class_names, caller)
    return fig


# --------------------------------------------------------------------------------------------------------
# Examples and summaries


def scale_row(values: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]: divide by the maximum when no value is negative, else min–max; NaN stays NaN."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return values
    low = min(float(finite.min()), 0.0)
    span = float(finite.max()) - low
    if span <= 0:
        return np.where(np.isfinite(values), 0.0, np.nan)
    return (values - low) / span


@_styled
def example_heatmap(tokens: Sequence[str], rows: Mapping[str, np.ndarray], ax: Axes | None = None,
                    title: str | None = None, *, max_tokens: int = 60, tokens_per_line: int = 15) -> Figure:
    """Heat map of several importance scores over the tokens of one example, each token written in its cell.

    Each row (e.g. attention, gradient, leave-one-out, adversarial attention) is **scaled to [0, 1] on its
    own** for colour: divided by its maximum when it has no negative value (so 0 stays white and ratios
    are kept), min–max scaled otherwise. Colours therefore compare tokens within a row, not magnitudes
    across rows. The scaling uses the whole row, including tokens beyond ``max_tokens``. Long examples are
    wrapped onto several lines of ``tokens_per_line`` tokens, each line repeating the rows, and cut after
    ``max_tokens`` tokens with a note in the title. Tokens longer than 10 characters are shortened.

    Parameters
    ----------
    tokens : list of str, length seq_len
        The example's real tokens (no SOS/EOS/padding).
    rows : dict of str to array of shape (seq_len,)
        Importance per token, one entry per row, drawn top to bottom in dict order. NaN cells are blank.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure, sized to the example, is created when None.
    title : str, optional
        Axes title.
    max_tokens : int
        Show at most this many tokens (default 60).
    tokens_per_line : int
        Wrap after this many tokens (default 15).

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding ``ax`` and a colour bar.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> tokens = ["a", "truly", "wonderful", "film"]
    >>> fig = example_heatmap(tokens, {"attention": [0.1, 0.2, 0.6, 0.1],
    ...                                "gradient": [0.05, 0.3, 0.5, 0.15]})
    >>> [label.get_text() for label in fig.axes[0].get_yticklabels()]
    ['attention', 'gradient']
    >>> plt.close(fig)
    """
    caller = "example_heatmap"
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise TypeError(f"{caller}: `tokens` must be a list of strings; got {type(tokens).__name__}.")
    if len(tokens) == 0:
        raise ValueError(f"{caller}: `tokens` is empty; pass the example's tokens.")
    if not isinstance(rows, Mapping) or len(rows) == 0:
        raise ValueError(f"{caller}: `rows` must be a non-empty dict of row name to importance array, e.g. "
                         f"{{'attention': attn, 'gradient': grad}}; got {rows!r:.80}.")
    for name, key in (("max_tokens", max_tokens), ("tokens_per_line", tokens_per_line)):
        if isinstance(key, bool) or not isinstance(key, numbers.Integral) or key < 1:
            raise ValueError(f"{caller}: `{name}` must be a positive integer; got {key!r}.")
    n_tokens = len(tokens)
    scaled = {}
    for name, values in rows.items():
        array = np.asarray(values, dtype=float)
        if array.ndim != 1 or array.shape[0] != n_tokens:
            raise ValueError(
                f"{caller}: row {name!r} has shape {array.shape} but there are {n_tokens} tokens; "
                f"pass one importance per token, shape ({n_tokens},)."
            )
        scaled[str(name)] = scale_row(array)

    n_shown = min(n_tokens, max_tokens)
    per_line = min(tokens_per_line, n_shown)
    n_lines = math.ceil(n_shown / per_line)
    n_rows = len(scaled)
    band = n_rows + 1  # each line of tokens: the rows, then one blank row as a gap
    grid = np.full((n_lines * band - 1, per_line), np.nan)
    for line in range(n_lines):
        start, stop = line * per_line, min((line + 1) * per_line, n_shown)
        for r, values in enumerate(scaled.values()):
            grid[line * band + r, : stop - start] = values[start:stop]

    figsize = None
    if ax is None:
        figsize = (1.6 + 0.68 * per_line, 1.3 + 0.32 * grid.shape[0] + (0.3 if title else 0.0))
    fig, ax = _axes(ax, figsize=figsize)
    cmap = matplotlib.colormaps[HEATMAP_CMAP].with_extremes(bad=(1.0, 1.0, 1.0, 0.0))
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto",
                      interpolation="nearest")
    for line in range(n_lines):
        start, stop = line * per_line, min((line + 1) * per_line, n_shown)
        for r, values in enumerate(scaled.values()):
            y = line * band + r
            for column, t in enumerate(range(start, stop)):
                token = str(tokens[t])
                token = token if len(token) <= 10 else token[:9] + "…"
                dark = np.isfinite(values[t]) and values[t] > 0.6
                ax.text(column, y, token, ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")
    ax.set_yticks([line * band + r for line in range(n_lines) for r in range(n_rows)])
    ax.set_yticklabels([name for _ in range(n_lines) for name in scaled])
    ax.set_xticks([])
    ax.tick_params(axis="y", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.grid(False)
    note = f"first {n_shown} of {n_tokens} tokens shown" if n_shown < n_tokens else None
    if title or note:
        ax.set_title("\n".join(part for part in (title, f"({note})" if note else None) if part))
    colorbar = fig.colorbar(image, ax=ax, orientation="horizontal", location="bottom", fraction=0.08,
                            pad=0.02, shrink=min(1.0, max(0.3, 4.0 / per_line)), aspect=25)
    colorbar.set_label("importance, each row scaled to [0, 1]", fontsize=8)
    colorbar.ax.tick_params(labelsize=8)
    return fig


@_styled
def comparison_bars(table: pd.DataFrame, value: str = "mean", ax: Axes | None = None) -> Figure:
    """Grouped horizontal bars of our numbers beside the paper's, one group per (dataset, measure).

    Within a group the bars are ordered ``ours``, ``paper``, then any other source; error bars show
    ``std`` when ``value == "mean"``. A (dataset, measure, source) combination that is absent or NaN has
    no bar. Groups keep the order in which they first appear in ``table``, top to bottom.

    Parameters
    ----------
    table : pandas.DataFrame, tidy
        One row per (dataset, measure, source), with columns ``dataset``, ``measure``, ``source``
        (``"ours"`` or ``"paper"``), the column named by ``value``, and ``std`` when ``value`` is "mean".
    value : str
        The column to draw, "mean" by default (e.g. "sig_frac" for the fraction of significant τ).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is created when None.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding ``ax``; one bar per non-NaN row of ``table``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> table = pd.DataFrame({
    ...     "dataset": ["sst", "sst", "imdb", "imdb"],
    ...     "measure": ["attention vs gradient"] * 4,
    ...     "source": ["ours", "paper", "ours", "paper"],
    ...     "mean": [0.33, 0.351, 0.45, 0.442], "std": [0.2, 0.211, 0.06, 0.057]})
    >>> fig = comparison_bars(table)
    >>> len(fig.axes[0].patches)
    4
    >>> plt.close(fig)
    """
    caller = "comparison_bars"
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{caller}: `table` must be a pandas DataFrame; got {type(table).__name__}.")
    if not isinstance(value, str):
        raise TypeError(f"{caller}: `value` must be a column name such as 'mean'; got {value!r}.")
    required = ["dataset", "measure", "source", value] + (["std"] if value == "mean" else [])
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise ValueError(
            f"{caller}: `table` is missing column(s) {missing}; expected {required} "
            f"(a tidy table with one row per dataset, measure and source); "
            f"got {list(map(str, table.columns))}."
        )
    if len(table) == 0:
        raise ValueError(f"{caller}: `table` has no rows; pass at least one (dataset, measure, source) row.")
    keys = ["dataset", "measure", "source"]
    duplicated = table.duplicated(keys, keep=False)
    if duplicated.any():
        first = tuple(table.loc[duplicated, keys].iloc[0])
        raise ValueError(f"{caller}: `table` has {int(duplicated.sum())} rows sharing (dataset, measure, "
                         f"source) keys, e.g. {first}; pass one row per combination.")
    groups = list(dict.fromkeys(zip(table["dataset"], table["measure"])))
    present = list(dict.fromkeys(table["source"]))
    first = ("ours", "paper")
    sources = [s for s in first if s in present] + [s for s in present if s not in first]
    source_colour = {"ours": PALETTE[0], "paper": PALETTE[7]}
    spare = iter(PALETTE[1:7] + PALETTE[8:])
    for source in sources:
        source_colour.setdefault(source, next(spare, "0.5"))
    several_measures = table["measure"].nunique() > 1
    with_errors = value == "mean"
    values = _numeric(table[value])
    errors = np.nan_to_num(_numeric(table["std"]), nan=0.0) if with_errors else np.zeros(len(table))
    cells = {key: (x, error) for key, x, error in zip(zip(*(table[k] for k in keys)), values, errors)}

    fig, ax = _axes(ax, figsize=(6.4, 0.9 + 0.28 * len(groups) * len(sources)))
    height = 0.8 / len(sources)
    for s, source in enumerate(sources):
        drawn = [(g, *cells[(dataset, measure, source)]) for g, (dataset, measure) in enumerate(groups)
                 if (dataset, measure, source) in cells and np.isfinite(cells[(dataset, measure, source)][0])]
        if not drawn:
            continue
        g, x, error = (np.array(column) for column in zip(*drawn))
        ax.barh(g - 0.4 + (s + 0.5) * height, x, height=height * 0.92, color=source_colour[source],
                label=source, xerr=error if with_errors else None,
                error_kw={"ecolor": "0.25", "elinewidth": 0.9, "capsize": 2.5})
    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels([f"{dataset}: {measure}" if several_measures else str(dataset)
                        for dataset, measure in groups])
    ax.set_ylim(len(groups) - 0.5, -0.5)
    ax.axvline(0.0, color="0.3", linewidth=0.8)
    label = value if value != "mean" else "mean ± std"
    ax.set_xlabel(label if several_measures else f"{table['measure'].iloc[0]}: {label}")
    ax.legend(loc="best")
    _tidy(ax, grid="x")
    return fig


def panel_grid(panels, draw, ncols: int = 2, panel_size=(5.2, 3.4), **kwargs) -> Figure:
    """Draw one panel per experiment with the same plot function, in a grid.

    Parameters
    ----------
    panels : sequence of (title, instances, class_names)
        One entry per panel; ``instances`` is the per-instance frame, ``class_names`` may be None.
    draw : callable
        One of this module's functions taking ``instances`` and ``ax`` (and ``class_names`` if it has it).
    ncols : int
    panel_size : (width, height) of one panel in inches.
    **kwargs
        Passed on to ``draw`` (e.g. ``pair=`` or ``epsilon=``).

    Returns
    -------
    Figure

    Examples
    --------
    >>> frame = synthetic_instances(n=50)
    >>> fig = panel_grid([("a", frame, None), ("b", frame, None)], tau_histogram)
    >>> len([ax for ax in fig.axes if ax.has_data()])
    2
    >>> plt.close(fig)
    """
    import inspect

    panels = list(panels)
    if not panels:
        raise ValueError("panel_grid needs at least one (title, instances, class_names) panel")
    takes_classes = "class_names" in inspect.signature(draw).parameters
    ncols = max(1, min(ncols, len(panels)))
    nrows = math.ceil(len(panels) / ncols)
    with style():
        fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
                                 squeeze=False)
        for ax, (title, instances, class_names) in zip(axes.flat, panels):
            extra = {"class_names": class_names} if takes_classes else {}
            draw(instances, ax=ax, **extra, **kwargs)
            ax.set_title(title)
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
    return fig


@_styled
def timeline_bars(timeline: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Horizontal bars of where a book build's time went, one bar per step in build order.

    Experiments are drawn as two stacked parts, training and analysis, with the seconds they took when they
    were computed (possibly in an earlier build); chapters and the HTML step with their seconds in the build.

    Parameters
    ----------
    timeline : pandas.DataFrame, tidy
        One row per step with ``kind`` (``"experiment"``, ``"chapter"`` or ``"html"``), ``name``,
        ``seconds``, and for experiments ``train_seconds`` and ``analysis_seconds``
        (:data:`attnlib.book.TIMELINE_COLUMNS`).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_frame(timeline, ("kind", "name", "seconds", "train_seconds", "analysis_seconds"), "timeline_bars")
    experiment = (timeline["kind"] == "experiment").to_numpy()
    train = np.where(experiment, np.nan_to_num(_numeric(timeline["train_seconds"])), 0.0)
    analysis = np.where(experiment, np.nan_to_num(_numeric(timeline["analysis_seconds"])), 0.0)
    other = np.where(experiment, 0.0, np.nan_to_num(_numeric(timeline["seconds"])))
    fig, ax = _axes(ax, figsize=(6.4, 0.9 + 0.22 * len(timeline)))
    rows = np.arange(len(timeline))
    ax.barh(rows, train, color=PALETTE[0], label="training")
    ax.barh(rows, analysis, left=train, color=PALETTE[1], label="analysis")
    ax.barh(rows, other, color=PALETTE[7], label="chapter / HTML")
    ax.set_yticks(rows)
    ax.set_yticklabels([str(name) for name in timeline["name"]])
    ax.set_ylim(len(timeline) - 0.5, -0.5)
    ax.set_xlabel("seconds")
    ax.legend(loc="lower right")
    _tidy(ax, grid="x")
    return fig
