"""Heat-maps of one instance: tokens coloured by attention, gradient, leave-one-out or an adversary."""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import HEATMAP_CMAP, _styled
from ._frames import _axes

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
