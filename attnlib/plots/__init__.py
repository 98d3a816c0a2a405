"""The paper's figures, one function each (book/protocol.md §5–§8).

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

Which classes get their own colour (book/protocol.md §5, quirk Q7): instances are grouped by **predicted**
class, and only when at most :data:`attnlib.explain.kendall.MAX_CLASSES_BROKEN_OUT` distinct classes are
predicted (the same rule as the statistics). Otherwise one "all instances" series is drawn, as in the
authors' plots for CNN and bAbI.

The figures come in families, a module each: :mod:`.tau` (Kendall τ), :mod:`.perturbation` (permutation and
adversarial attention, the adversary's strength), :mod:`.heatmaps` (one instance's tokens), :mod:`.lengths` (text
length and significance), :mod:`.grids` (comparisons, panels, the build timeline), :mod:`.seeds` (spread over
seeds, seed-to-seed attention divergence), :mod:`.critique` (Wiegreffe & Pinter's tests), :mod:`.faithfulness` (erasure curves, decision flips, planted tokens) and :mod:`.style` (the shared look). Synthetic input for examples and
tests is :func:`attnlib.plots.synthetic.synthetic_instances`.
"""
from ..paper.jain_wallace import MAX_ATTENTION_BINS
from .critique import divergence_boxes, score_by_weights, seed_and_adversary_medians
from .faithfulness import decision_flip_dots, erasure_curves, planted_recovery
from .grids import comparison_bars, panel_grid, timeline_bars
from .heatmaps import example_heatmap, scale_row
from .lengths import LENGTH_BINS, length_boxplot, significance_by_length
from .perturbation import adversarial_histogram, adversarial_violin, adversary_strength_curves, permutation_violin
from .seeds import seed_spread, seed_vs_adversary
from .style import ADVERSARIAL_JSD_RANGE, HEATMAP_CMAP, INSTANCE_COLUMNS, PALETTE, STYLE, TAU_PAIRS, style
from .tau import tau_densities, tau_histogram

__all__ = [
    "ADVERSARIAL_JSD_RANGE", "HEATMAP_CMAP", "INSTANCE_COLUMNS", "LENGTH_BINS", "MAX_ATTENTION_BINS", "PALETTE", "STYLE", "TAU_PAIRS",
    "adversarial_histogram", "adversarial_violin", "adversary_strength_curves", "comparison_bars", "decision_flip_dots",
    "divergence_boxes", "erasure_curves", "planted_recovery",
    "score_by_weights", "seed_and_adversary_medians", "length_boxplot", "example_heatmap", "panel_grid",
    "permutation_violin", "scale_row", "seed_spread", "significance_by_length", "seed_vs_adversary", "style", "tau_densities", "tau_histogram",
    "timeline_bars",
]
