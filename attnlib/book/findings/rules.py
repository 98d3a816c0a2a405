"""The reading rules every finding uses, each defined once: thresholds, the comparison of the two encoders, and
numbers by kind of task.

The thresholds say when a number counts as small, peaked or far; the comparison says on how many datasets the
Average encoder's number is above (or below) the BiLSTM's. Tolerances against the paper's numbers belong to
:func:`attnlib.book.scorecard.tolerance`, significance to :data:`attnlib.explain.kendall.SIGNIFICANCE`.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ...data import TASK_KINDS, task_kind
from ..scorecard import tolerance

__all__ = ["FAR_JSD", "PEAKED_ATTENTION", "SMALL_OUTPUT_CHANGE", "ENCODER_NAMES", "Tally", "average_against_bilstm",
           "bilstm_cells", "bilstm_medians_against_paper", "by_task_kind", "clearly_above", "gaps_by_dataset", "reproduction_verdict"]

#: An output that moves by less than this in TVD under a permutation of the attention has "hardly changed".
SMALL_OUTPUT_CHANGE = 0.05

#: An instance whose largest attention weight is at least this has "peaked" attention.
PEAKED_ATTENTION = 0.5

#: An adversarial attention at a JSD above this from the model's own is "far" from it (the JSD is at most ln 2).
FAR_JSD = 0.5

def clearly_above(higher, lower) -> bool:
    """Whether the seeds' scores ``higher`` are above ``lower`` by more than the seeds scatter: the difference of
    the means exceeds the larger of the two ranges (max - min over seeds; 0 for one seed). The critique's reading
    of "A does better than B" (W&P compare means over seeds in the same spirit)."""
    higher, lower = pd.Series(higher, dtype=float).dropna(), pd.Series(lower, dtype=float).dropna()
    if not len(higher) or not len(lower):
        return False
    spread = max(higher.max() - higher.min(), lower.max() - lower.min())
    return bool(higher.mean() - lower.mean() > spread)


#: How the findings name each encoder.
ENCODER_NAMES = {"lstm": "BiLSTM", "cnn": "CNN", "average": "Average-encoder"}


@dataclass(frozen=True)
class Tally:
    """``hits`` of ``n`` cases (datasets, instances) for which something holds."""

    hits: int
    n: int


def average_against_bilstm(table: pd.DataFrame, value: str, *, higher: bool, only=None) -> Tally:
    """On how many datasets the Average encoder's ``value`` is above (``higher``) or below the BiLSTM's, over the
    datasets that have both encoders with tanh attention.

    Parameters
    ----------
    table : DataFrame
        One row per experiment: ``dataset``, ``encoder``, ``attention`` and the column ``value`` (rows of the same
        dataset and encoder are averaged).
    value : str
    higher : bool
        Count the datasets where the Average encoder's value is above the BiLSTM's (else below).
    only : callable, optional
        Keeps a dataset when ``only(name)`` is true (for example :func:`attnlib.data.is_classification`).
    """
    tanh = table[table["attention"] == "tanh"] if len(table) else table
    if not len(tanh) or not {"lstm", "average"} <= set(tanh["encoder"]):
        return Tally(0, 0)
    wide = tanh.pivot_table(index="dataset", columns="encoder", values=value)
    both = wide[["average", "lstm"]].dropna()
    if only is not None:
        both = both[[bool(only(name)) for name in both.index]]
    hits = both["average"] > both["lstm"] if higher else both["average"] < both["lstm"]
    return Tally(int(hits.sum()), len(both))


def bilstm_cells(card: pd.DataFrame, kind: str) -> tuple[pd.DataFrame, float]:
    """The BiLSTM rows of a scorecard of one ``kind`` (``permutation median``, ``adversarial median``: the cells of the
    authors' violins) and the mean of ours minus theirs over them (NaN when there are none)."""
    cells = card[(card.kind == kind) & (card.encoder == "lstm")] if len(card) else card
    return cells, float((cells.ours - cells.paper).mean()) if len(cells) else float("nan")


def _dataset_gaps(cells: pd.DataFrame) -> pd.Series:
    """Per dataset (in order of appearance), the mean of ours minus the paper's over its ``cells``."""
    return (cells.ours - cells.paper).groupby(cells.dataset, sort=False).mean()


def gaps_by_dataset(cells: pd.DataFrame, limit: float) -> str:
    """Dataset by dataset, the mean of ours minus the paper's over ``cells`` (rows of a scorecard), grouped by whether
    it is above, below or within ``limit``: ``"ours are higher on sst (+0.082), imdb (+0.061); lower on snli
    (-0.301); within 0.05 on babi1"`` (each group only when it has a dataset)."""
    gaps = _dataset_gaps(cells)
    groups = [("higher on", gaps[gaps > limit]), ("lower on", gaps[gaps < -limit]),
              (f"within {limit:g} on", gaps[gaps.abs() <= limit])]
    parts = [f"{label} " + ", ".join(f"{name} ({gap:+.3f})" for name, gap in group.items())
             for label, group in groups if len(group)]
    return "ours are " + "; ".join(parts)


def reproduction_verdict(cells: pd.DataFrame, limit: float, fails_when_higher: bool, failure: str) -> str:
    """Whether a finding of the paper reproduces, dataset by dataset: it fails on a dataset where the mean of ours
    minus theirs over its ``cells`` is beyond ``limit`` on the wrong side (above it when ``fails_when_higher``, else
    below). ``failure`` says what happens there (``"permuting our BiLSTMs' attention moves their output more than it
    moved the authors'"``).

    Returns
    -------
    str: ``"this part of their finding reproduces here"``, ``"... reproduces on 4 of 6 datasets but not on agnews,
    snli, where ..."`` or ``"... does not reproduce here: on every dataset ..."``.
    """
    gaps = _dataset_gaps(cells)
    failing = list(gaps[gaps > limit].index if fails_when_higher else gaps[gaps < -limit].index)
    if not failing:
        return "this part of their finding reproduces here"
    if len(failing) == len(gaps):
        return f"this part of their finding does not reproduce here: on every dataset, {failure}"
    return (f"this part of their finding reproduces on {len(gaps) - len(failing)} of {len(gaps)} datasets but not on "
            f"{', '.join(failing)}, where {failure}")


def bilstm_medians_against_paper(card: pd.DataFrame, kind: str, describe, fails_when_higher: bool, failure: str,
                                 violins: str = "the authors' BiLSTM violins") -> str:
    """A sentence setting the BiLSTM's per-bin medians of ``kind`` (``permutation median``, ``adversarial median``)
    beside the authors': ``describe(cells, gap, limit)`` says how they compare over all cells, then the gaps dataset by
    dataset (:func:`gaps_by_dataset`) and where the finding reproduces (:func:`reproduction_verdict` with
    ``fails_when_higher`` and ``failure``).

    Parameters
    ----------
    card : DataFrame
        :func:`attnlib.book.scorecard.scorecard` of the results.
    describe : callable
        ``(cells, gap, limit) -> str``: the cells (scorecard rows), the mean of ours minus theirs, the tolerance.
    violins : str
        What the cells are cells of, for the sentence.
    """
    cells, gap = bilstm_cells(card, kind)
    if not len(cells):
        return (f"The authors published no {kind}s for the BiLSTM experiments of this build, so this part of their "
                "finding is not compared here.")
    limit = tolerance(kind)
    verdict = reproduction_verdict(cells, limit, fails_when_higher, failure)
    return (f"Over the {len(cells)} (dataset, max-attention bin, predicted class) cells of {violins} "
            f"({', '.join(cells.dataset.unique())}), {describe(cells, gap, limit)}. Dataset by dataset (the mean of "
            f"ours minus theirs over its cells), {gaps_by_dataset(cells, limit)}; so {verdict}.")


def by_task_kind(per_experiment: pd.DataFrame, value: str = "mean", fmt: str = "{:.3f}") -> str:
    """``value`` averaged over the experiments of each kind of task (:data:`attnlib.data.TASK_KINDS`) the table
    has: ``"0.234 on classification (sst, imdb); 0.131 on natural language inference (snli); ..."``, or ``""`` when
    it has fewer than two kinds."""
    kinds = per_experiment.assign(kind=per_experiment.dataset.map(task_kind))
    present = [kind for kind in TASK_KINDS if (kinds.kind == kind).any()]
    if len(present) < 2:
        return ""
    return "; ".join(fmt.format(kinds.loc[kinds.kind == kind, value].mean()) + f" on {kind} "
                     f"({', '.join(kinds.loc[kinds.kind == kind, 'dataset'].unique())})" for kind in present)
