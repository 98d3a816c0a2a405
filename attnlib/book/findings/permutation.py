"""What the permutation chapter states: how often shuffling the attention hardly moves the output, where it moves
it most, and how the encoders and the tasks compare."""
from __future__ import annotations

import pandas as pd

from ...data import task_kind
from .. import tables
from ..scorecard import scorecard
from .rules import (PEAKED_ATTENTION, SMALL_OUTPUT_CHANGE, average_against_bilstm, bilstm_medians_against_paper,
                    by_task_kind)

__all__ = ["permutation_findings", "peaked_instances", "most_sensitive_dataset", "bilstm_under_permutation",
           "encoders_under_permutation", "tasks_under_permutation", "bilstm_against_paper"]


def peaked_instances(instances: pd.DataFrame) -> str:
    """Among the instances with peaked attention (largest weight at least
    :data:`~attnlib.book.findings.rules.PEAKED_ATTENTION`), the share whose output hardly changes under
    permutation (median TVD below :data:`~attnlib.book.findings.rules.SMALL_OUTPUT_CHANGE`)."""
    small, peaked = instances.perm_median_tvd < SMALL_OUTPUT_CHANGE, instances.max_attention >= PEAKED_ATTENTION
    if not peaked.any():
        return f"no instance here has a largest weight of {PEAKED_ATTENTION:g} or more"
    return (f"among the {int(peaked.sum())} instances whose largest weight is at least {PEAKED_ATTENTION:g}, "
            f"{small[peaked].mean():.0%} do")


def most_sensitive_dataset(instances: pd.DataFrame) -> str:
    """The datasets whose outputs move most and least under permutation (mean median TVD over instances)."""
    by_dataset = instances.groupby("dataset").perm_median_tvd.mean().sort_values()
    if len(by_dataset) > 1:
        return (f"The most sensitive dataset here is {by_dataset.index[-1]} (mean median TVD "
                f"{by_dataset.iloc[-1]:.3f}), the least sensitive {by_dataset.index[0]} ({by_dataset.iloc[0]:.3f}).")
    return f"This build has one dataset, {by_dataset.index[0]} (mean median TVD {by_dataset.iloc[0]:.3f})."


def bilstm_under_permutation(instances: pd.DataFrame) -> str:
    """The share of BiLSTM instances whose output hardly changes under permutation, all and peaked ones."""
    lstm = instances[instances.encoder == "lstm"]
    if not len(lstm):
        return "This build has no BiLSTM experiment."
    small, peaked = lstm.perm_median_tvd < SMALL_OUTPUT_CHANGE, lstm.max_attention >= PEAKED_ATTENTION
    return (f"Random permutations of the attention change the output of BiLSTM models by less than "
            f"{SMALL_OUTPUT_CHANGE:g} in TVD for {small.mean():.0%} of their instances"
            + (f", and for {small[peaked].mean():.0%} of those whose largest weight is at least {PEAKED_ATTENTION:g}."
               if peaked.any() else f" (none has a largest weight of {PEAKED_ATTENTION:g} or more)."))


def encoders_under_permutation(per_experiment: pd.DataFrame) -> str:
    """On how many datasets shuffling moves the Average encoder's output more than the BiLSTM's.

    Parameters
    ----------
    per_experiment : DataFrame
        :func:`attnlib.book.tables.summary_table` of ``perm_median_tvd``.
    """
    more = average_against_bilstm(per_experiment, "mean", higher=True)
    if not more.n:
        return ("This build has no dataset with both a BiLSTM and an Average encoder with tanh attention "
                "to compare.")
    return (f"Shuffling moves the output of the Average encoder more than the BiLSTM's on {more.hits} of the "
            f"{more.n} datasets with both (tanh attention, mean median TVD).")


def tasks_under_permutation(per_experiment: pd.DataFrame) -> str:
    """The mean median TVD of each kind of task (classification, inference, question answering), averaged over
    experiments."""
    compared = by_task_kind(per_experiment)
    if not compared:
        kinds = sorted(set(per_experiment.dataset.map(task_kind)))
        return f"This build has {' and '.join(kinds) or 'no'} datasets only, so the kinds of task cannot be compared."
    return f"In this build the mean median TVD, averaged over experiments, is {compared}."


def bilstm_against_paper(card: pd.DataFrame) -> str:
    """The BiLSTM's per-bin medians under permutation against the authors' (their violins): in how many of the
    (dataset, bin, class) cells they publish each median is below
    :data:`~attnlib.book.findings.rules.SMALL_OUTPUT_CHANGE`, how many of ours are within the tolerance, and on which
    datasets that part of the paper's finding reproduces (:func:`~attnlib.book.findings.rules.reproduction_verdict`:
    not where ours move more than theirs).

    Parameters
    ----------
    card : DataFrame
        :func:`attnlib.book.scorecard.scorecard` of the results.
    """
    def describe(cells, gap, limit):
        theirs, ours = (int((cells[side] < SMALL_OUTPUT_CHANGE).sum()) for side in ("paper", "ours"))
        return (f"their median output change is below {SMALL_OUTPUT_CHANGE:g} in {theirs} and ours in {ours}; on "
                f"average ours is {abs(gap):.3f} {'above' if gap > 0 else 'below'} theirs, and within the tolerance of "
                f"{limit:g} in {int(cells.within_tolerance.sum())}")

    return bilstm_medians_against_paper(card, "permutation median", describe, fails_when_higher=True,
                                        failure="permuting our BiLSTMs' attention moves their output more than it moved the authors'")


def permutation_findings(results, focus) -> dict:
    """Every value the permutation chapter glues, for ``results`` (one seed) and its ``focus`` result."""
    instances = tables.all_instances(results)
    per_experiment = tables.summary_table(results, "perm_median_tvd")
    return {
        "n_permutations": focus.analysis.config.n_permutations, "focus_label": focus.label,
        "small_change": SMALL_OUTPUT_CHANGE,
        "share_small_all": float((instances.perm_median_tvd < SMALL_OUTPUT_CHANGE).mean()),
        "peaked_sentence": peaked_instances(instances),
        "sensitivity_sentence": most_sensitive_dataset(instances),
        "lstm_sentence": bilstm_under_permutation(instances),
        "encoder_sentence": encoders_under_permutation(per_experiment),
        "task_sentence": tasks_under_permutation(per_experiment),
        "paper_sentence": bilstm_against_paper(scorecard(results)),
    }
