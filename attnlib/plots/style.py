"""The look of every figure: palette, rcParams, the constants the figure families share."""
from __future__ import annotations

import functools

import matplotlib
import seaborn as sns
from cycler import cycler

from ..explain.adversarial import PAPER_EPSILONS, max_jsd_column

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

#: Hatch patterns of the classes (after their colour), so that classes can be told apart without colour too.
HATCHES: tuple[str, ...] = ("", "////", "....", "xxxx", "\\\\\\\\", "++++")


#: Markers of series told apart by colour (one per dataset, say), so that they can be told apart without colour too.
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")


#: Line styles of series told apart by colour and marker, so that lines can be told apart in grey too.
LINESTYLES: tuple[str, ...] = ("-", "--", ":", "-.")


def hatch_of(position: int) -> str:
    """The hatch pattern of the class drawn ``position``-th (the first has none)."""
    return HATCHES[position % len(HATCHES)]


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
    "perm_median_tvd", *(max_jsd_column(epsilon) for epsilon in PAPER_EPSILONS),
)

#: x range of the adversarial plots; the JSD (natural log) lies in [0, ln 2 ≈ 0.693].
ADVERSARIAL_JSD_RANGE: tuple[float, float] = (0.0, 0.7)

_TAU_BINS = 30
_ADV_BINS = 40
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
