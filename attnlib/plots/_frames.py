"""Private helpers of the figure functions: checking the tidy frames they take, axes, per-class grouping."""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..explain.kendall import breaks_out_classes
from .style import INSTANCE_COLUMNS, PALETTE, hatch_of

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
    if not breaks_out_classes(len(classes)):
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
        ax.bar(edges[:-1] + offset, heights, width=bar_width, align="edge", color=colour, hatch=hatch_of(i),
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
