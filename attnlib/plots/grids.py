"""Figures that arrange or compare: ours-vs-paper bars, panel grids, the build timeline."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import PALETTE, _styled, hatch_of, style
from ._frames import _axes, _check_frame, _numeric, _tidy

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
                hatch=hatch_of(s), edgecolor="white", label=source, xerr=error if with_errors else None,
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
    panels : sequence of (title, instances, class_names) or (title, instances, class_names, extra)
        One entry per panel; ``instances`` is the per-instance frame, ``class_names`` may be None, ``extra`` a
        dict of keyword arguments for this panel only (e.g. the paper's medians of this experiment).
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
    >>> from attnlib.plots import tau_histogram
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
        for ax, (title, instances, class_names, *own) in zip(axes.flat, panels):
            extra = {"class_names": class_names} if takes_classes else {}
            draw(instances, ax=ax, **extra, **(own[0] if own else {}), **kwargs)
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
    ax.barh(rows, analysis, left=train, color=PALETTE[1], hatch=hatch_of(1), edgecolor="white", label="analysis")
    ax.barh(rows, other, color=PALETTE[7], hatch=hatch_of(2), edgecolor="white", label="chapter / HTML")
    ax.set_yticks(rows)
    ax.set_yticklabels([str(name) for name in timeline["name"]])
    ax.set_ylim(len(timeline) - 0.5, -0.5)
    ax.set_xlabel("seconds")
    ax.legend(loc="lower right")
    _tidy(ax, grid="x")
    return fig
