"""What the correlation chapter states: how close our mean τ comes to Table 2, whether the Average encoder's
attention agrees better with gradients and leave-one-out than the BiLSTM's, how well gradient and leave-one-out
agree with each other, and where significance comes from."""
from __future__ import annotations

import pandas as pd

from ...explain.kendall import SIGNIFICANCE, null_p_value
from .. import tables
from ..scorecard import tolerance
from .rules import average_against_bilstm

__all__ = ["correlation_findings", "encoder_pattern", "gradient_loo_agreement", "largest_table2_gap",
           "significance_by_dataset", "table2_against_paper", "EXAMPLE_TAU", "EXAMPLE_LENGTHS"]

#: The τ and the two text lengths of the chapter's example of how significance depends on length.
EXAMPLE_TAU, EXAMPLE_LENGTHS = 0.3, (8, 100)


def table2_against_paper(overall: pd.DataFrame) -> str:
    """How many of our overall mean τ values with a counterpart in the paper's Table 2 are within the Table 2
    tolerance (:func:`attnlib.book.scorecard.tolerance`), and the largest gap.

    Parameters
    ----------
    overall : DataFrame
        :func:`attnlib.book.tables.correlation_table` (overall rows).
    """
    tanh = overall[overall.attention == "tanh"].dropna(subset=["paper_mean"]) if len(overall) else overall
    if not len(tanh):
        return ("None of the overall mean τ values here has a counterpart in the paper, which reports tanh attention "
                "only.")
    limit = tolerance("Table 2")
    return (f"Of the {len(tanh)} overall mean τ values that the paper also reports, "
            f"{int((tanh.difference.abs() <= limit).sum())} are within {limit:g} of the paper's "
            f"(the largest gap is {tanh.difference.abs().max():.2f}).")


_MEASURE_NAMES = {"tau_attention_gradient": "gradients", "tau_attention_loo": "leave-one-out"}


def largest_table2_gap(overall: pd.DataFrame, spread: pd.DataFrame) -> str:
    """The overall mean τ farthest from the paper's, with the range of our seeds where there are several.

    Parameters
    ----------
    overall : DataFrame
        :func:`attnlib.book.tables.correlation_table` (overall rows) of one seed.
    spread : DataFrame
        :func:`attnlib.book.tables.seed_table` of every seed.
    """
    tanh = overall[overall.attention == "tanh"].dropna(subset=["paper_mean"]) if len(overall) else overall
    if not len(tanh):
        return "No overall mean τ of this build has a published counterpart to compare with."
    worst = tanh.loc[tanh.difference.abs().idxmax()]
    label = f"{worst.dataset} {worst.encoder}+{worst.attention}"
    sentence = (f"The largest gap is {label} with {_MEASURE_NAMES.get(worst.measure, worst.measure)}: our mean τ is "
                f"{worst.ours_mean:.2f} against the paper's {worst.paper_mean:.2f}")
    seeds = spread[(spread.dataset == worst.dataset) & (spread.encoder == worst.encoder)
                   & (spread.attention == worst.attention) & (spread.statistic == worst.measure)] if len(spread) else spread
    if len(seeds) and int(seeds.n_seeds.iloc[0]) > 1:
        row = seeds.iloc[0]
        inside = row["min"] <= worst.paper_mean <= row["max"]
        sentence += (f"; over our {int(row.n_seeds)} seeds it ranges from {row['min']:.2f} to {row['max']:.2f}, "
                     + ("which includes the paper's value" if inside else "which does not include the paper's value"))
    else:
        sentence += "; this build trains one seed of it, so how much of the gap a change of seed covers is not measured here"
    return sentence + "."


def encoder_pattern(overall: pd.DataFrame) -> str:
    """The paper's pattern: on how many datasets the Average encoder's mean τ with gradients and with
    leave-one-out is above the BiLSTM's (tanh attention, datasets with both)."""
    gradient, loo = (average_against_bilstm(overall[overall.measure == measure], "ours_mean", higher=True)
                     for measure in ("tau_attention_gradient", "tau_attention_loo"))
    if not (gradient.n or loo.n):
        return ("This build has no dataset with both a BiLSTM and an Average encoder with tanh attention, so the "
                "pattern cannot be checked here.")
    return (f"In this build the Average encoder's mean τ is above the BiLSTM's on {gradient.hits} of "
            f"{gradient.n} datasets with gradients and on {loo.hits} of {loo.n} with leave-one-out "
            "(tanh attention, datasets with both encoders).")


def gradient_loo_agreement(gradient_loo: pd.DataFrame) -> str:
    """The mean τ between gradient and leave-one-out importance, neither of them attention.

    Parameters
    ----------
    gradient_loo : DataFrame
        :func:`attnlib.book.tables.correlation_table` of ``tau_gradient_loo``.
    """
    values = gradient_loo["ours_mean"].dropna() if len(gradient_loo) else pd.Series(dtype=float)
    if not len(values):
        return "This build has no τ between gradient and leave-one-out to show."
    spread = f"of {values.iloc[0]:.2f}" if len(values) == 1 else f"between {values.min():.2f} and {values.max():.2f}"
    return (f"In this build gradient and leave-one-out, neither of them attention, agree with each other at a "
            f"mean τ {spread} (1 would be identical rankings).")


def significance_by_dataset(instances: pd.DataFrame) -> str:
    """The share of instances whose τ(attention, gradient) is significant (p ≤
    :data:`~attnlib.explain.kendall.SIGNIFICANCE`), lowest and highest dataset, with their median length.

    Parameters
    ----------
    instances : DataFrame
        :func:`attnlib.book.tables.all_instances` of the tanh-attention experiments.
    """
    if not len(instances):
        return "This build has no experiment with tanh attention to measure it on."
    share = (instances.assign(significant=instances.p_attention_gradient <= SIGNIFICANCE)
             .groupby("dataset").agg(share=("significant", "mean"), length=("length", "median"))
             .sort_values("share"))
    low, high = share.iloc[0], share.iloc[-1]
    if len(share) > 1:
        return (f"In this build the share of instances (tanh attention) whose τ with gradients has p ≤ "
                f"{SIGNIFICANCE:g} runs from {low['share']:.0%} on {low.name} (median length {low['length']:.0f} tokens) "
                f"to {high['share']:.0%} on {high.name} (median length {high['length']:.0f}).")
    return (f"In this build, with one dataset, the share of instances (tanh attention) whose τ with "
            f"gradients has p ≤ {SIGNIFICANCE:g} is {high['share']:.0%} on {high.name} (median length "
            f"{high['length']:.0f} tokens).")


def correlation_findings(results, focus) -> dict:
    """Every value the correlation chapter glues, for ``results`` (one seed) and its ``focus`` result."""
    overall = tables.correlation_table(results)
    focus_rows = overall.query("dataset == @focus.dataset and encoder == @focus.encoder "
                               "and attention == @focus.attention").set_index("measure")
    gradient_loo = tables.correlation_table(results, measures=("tau_gradient_loo",))
    short, long = EXAMPLE_LENGTHS
    return {
        "paper_sentence": table2_against_paper(overall),
        "largest_gap_sentence": largest_table2_gap(overall, tables.seed_table(getattr(results, "all_seeds", results))),
        "pattern_sentence": encoder_pattern(overall),
        "focus_label": focus.label,
        "focus_tau_grad": float(focus_rows.loc["tau_attention_gradient", "ours_mean"]),
        "focus_tau_loo": float(focus_rows.loc["tau_attention_loo", "ours_mean"]),
        "gradient_loo_sentence": gradient_loo_agreement(gradient_loo),
        "significance_sentence": significance_by_dataset(tables.all_instances([r for r in results
                                                                               if r.attention == "tanh"])),
        "significance_level": SIGNIFICANCE,
        "example_tau": EXAMPLE_TAU, "short_text": short, "long_text": long,
        "p_short_text": null_p_value(EXAMPLE_TAU, short),
        "p_long_text": null_p_value(EXAMPLE_TAU, long),
    }
