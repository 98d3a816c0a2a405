"""Figures assembled from results: the panels, examples and spreads chapters and slides draw with
:mod:`attnlib.plots` (which takes tidy tables and knows nothing of runs)."""
from __future__ import annotations

from .. import plots
from ..explain import max_jsd_column
from ..paper.jain_wallace import FIGURE_EPSILON
from . import tables

__all__ = ["SCORECARD_SPREADS", "SHORTEST_EXAMPLE", "adversarial_examples", "example_row", "importance_rows", "panels",
           "seed_attention_panels", "seed_spreads"]

#: The statistics whose spread over seeds the scorecard draws, with their axis labels.
SCORECARD_SPREADS = (("accuracy", "test accuracy"), ("tau_attention_gradient", "mean τ(attention, gradient)"),
                     ("tau_attention_loo", "mean τ(attention, LOO)"),
                     (max_jsd_column(FIGURE_EPSILON), f"mean max JSD within ε = {FIGURE_EPSILON:g}"))

#: Examples are picked among texts of at least this many tokens (shorter ones say little about attention).
SHORTEST_EXAMPLE = 5


def panels(results, paper_medians: str | None = None) -> list[tuple]:
    """One ``(label, instances, class_names, options)`` panel per result, for :func:`attnlib.plots.panel_grid`; with
    ``paper_medians`` (``"permutation"`` or ``"adversarial"``) each panel gets the paper's per-bin medians of its
    configuration (:func:`attnlib.book.tables.paper_bin_medians`) to mark."""
    return [(r.label, r.analysis.instances, r.class_names,
             {"paper_medians": tables.paper_bin_medians(r, paper_medians)} if paper_medians else {}) for r in results]


def importance_rows(result, row: int, epsilon: float) -> tuple[dict, float]:
    """The rows of an example heat-map of analysed instance ``row``: attention, gradient, leave-one-out and the most
    different adversarial attention within ``epsilon``; and that adversary's output TVD."""
    importance = result.analysis.importance(row)
    adversary, distance, change = result.analysis.adversary(row, epsilon)
    return {"attention": importance["attention"], "gradient": importance["gradient"],
            "leave-one-out": importance["loo"], f"adversarial (JSD {distance:.2f})": adversary}, change


def adversarial_examples(result, epsilon: float) -> list:
    """Heat-maps of two instances of ``result``: the largest adversarial JSD within ``epsilon``, and the smallest among
    texts of at least :data:`SHORTEST_EXAMPLE` tokens."""
    column = result.analysis.ensure_epsilon(epsilon)
    frame = result.analysis.instances
    long_enough = frame[frame.length >= SHORTEST_EXAMPLE]
    picks = [int(frame[column].idxmax())] + ([int(long_enough[column].idxmin())] if len(long_enough) else [])
    figures = []
    for pick in dict.fromkeys(picks):
        rows, change = importance_rows(result, pick, epsilon)
        label = result.class_names[int(frame.prediction[pick])]
        title = (f"{result.label}, test instance {int(frame['index'][pick])}: predicted {label}; adversary changes "
                 f"the output by TVD {change:.3f}")
        figures.append(plots.example_heatmap(result.analysis.tokens[pick], rows, title=title))
    return figures


def seed_spreads(all_seeds, statistics, with_paper: bool = True) -> list:
    """One :func:`attnlib.plots.seed_spread` per ``(statistic, axis label)`` of ``statistics``, over every seed,
    with the paper's values where it publishes them (``with_paper``)."""
    values = tables.seed_values(all_seeds)
    paper = tables.paper_statistics() if with_paper else None
    return [plots.seed_spread(values, statistic, paper, xlabel=label) for statistic, label in statistics]


def seed_attention_panels(seed_attention) -> list[tuple]:
    """One panel per configuration of :func:`attnlib.book.tables.seed_attention_table`, for
    :func:`attnlib.plots.seed_vs_adversary` in :func:`attnlib.plots.panel_grid`."""
    return [(" ".join(key), frame, None) for key, frame in
            seed_attention.groupby(["dataset", "encoder", "attention"], sort=False)]


def example_row(result, epsilon: float, longest: int = 30) -> int:
    """The instance of ``result`` a slide shows: the largest max JSD within ``epsilon`` among texts of
    :data:`SHORTEST_EXAMPLE` to ``longest`` tokens (all texts when none is)."""
    column = result.analysis.ensure_epsilon(epsilon)
    frame = result.analysis.instances
    candidates = frame[(frame.length >= SHORTEST_EXAMPLE) & (frame.length <= longest)]
    return int((candidates if len(candidates) else frame)[column].idxmax())

