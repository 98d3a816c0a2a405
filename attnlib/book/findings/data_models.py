"""What the data and models chapter states: the focus configuration's test score and how close every test score
comes to the paper's."""
from __future__ import annotations

import pandas as pd

from .. import tables
from ..display import readable
from ..scorecard import tolerance

__all__ = ["data_models_findings", "focus_performance", "scores_against_paper"]


def focus_performance(performance: pd.DataFrame, dataset: str, encoder: str, attention: str) -> dict:
    """The test metric of one configuration beside the paper's.

    Parameters
    ----------
    performance : DataFrame
        :func:`attnlib.book.tables.performance_table`.

    Returns
    -------
    dict with ``focus_metric`` (its name as a reader reads it, e.g. ``macro-F1``), ``focus_ours`` and ``focus_paper`` (a phrase).
    """
    row = performance.query("dataset == @dataset and encoder == @encoder and attention == @attention").iloc[0]
    return {"focus_metric": readable(row["metric"]), "focus_ours": float(row["ours"]),
            "focus_paper": f"against the paper's {row['paper']:.3f}" if pd.notna(row["paper"])
            else "(the paper reports no number for this configuration)"}


def scores_against_paper(performance: pd.DataFrame) -> dict:
    """How many test scores with a published counterpart are within the tolerance of test metrics
    (:func:`attnlib.book.scorecard.tolerance`), and the others, largest gap first.

    Returns
    -------
    dict with ``n_close``, ``n_compared``, ``far_off`` (``"sst lstm+tanh (+0.041); ..."`` or ``"none"``) and
    ``test_tolerance``.
    """
    limit = tolerance("test metric")
    compared = performance.dropna(subset=["difference"])
    close = compared["difference"].abs() <= limit
    far = compared[~close].sort_values("difference", key=lambda d: -d.abs())
    return {"n_close": int(close.sum()), "n_compared": len(compared), "test_tolerance": limit,
            "far_off": "; ".join(f"{r.dataset} {r.encoder}+{r.attention} ({r.difference:+.3f})"
                                 for r in far.itertuples()) or "none"}


def data_models_findings(results, focus) -> dict:
    """Every value the data and models chapter glues, for ``results`` (one seed) and its ``focus`` result."""
    performance = tables.performance_table(results)
    return {**focus_performance(performance, focus.dataset, focus.encoder, focus.attention),
            "focus_label": focus.label, **scores_against_paper(performance)}
