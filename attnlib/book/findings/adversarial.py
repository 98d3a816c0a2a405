"""What the adversarial chapter states: how often a far attention leaves the output within ε, how the encoders
compare under the search and under permutation, and what relaxing ε changes."""
from __future__ import annotations

import pandas as pd

from ...explain import max_jsd_column
from ...paper.jain_wallace import FIGURE_EPSILON
from .. import tables
from ..scorecard import scorecard
from .rules import ENCODER_NAMES, FAR_JSD, average_against_bilstm, bilstm_medians_against_paper

__all__ = ["adversarial_findings", "far_attention", "bilstm_far_attention", "encoders_under_search",
           "epsilon_rise", "bilstm_against_paper"]


def far_attention(instances: pd.DataFrame, epsilon: float) -> str:
    """The share of instances (all, and per encoder) that admit an attention farther than
    :data:`~attnlib.book.findings.rules.FAR_JSD` from the model's own within ``epsilon``."""
    far = instances[max_jsd_column(epsilon)] > FAR_JSD
    by_encoder = [f"{far[instances.encoder == e].mean():.0%} of {name} instances" for e, name in ENCODER_NAMES.items()
                  if (instances.encoder == e).any()]
    return (f"Within ε = {epsilon:g}, {far.mean():.0%} of all analysed instances admit an adversarial "
            f"attention with JSD above {FAR_JSD:g} from the model's own ({', '.join(by_encoder)}).")


def bilstm_far_attention(instances: pd.DataFrame, epsilon: float) -> str:
    """The share of BiLSTM instances with a far attention within ``epsilon``, and what it means."""
    far = (instances[max_jsd_column(epsilon)] > FAR_JSD)[instances.encoder == "lstm"]
    if not len(far):
        return "This build has no BiLSTM experiment."
    return (f"For {far.mean():.0%} of BiLSTM instances an attention distribution with JSD above {FAR_JSD:g} "
            "from the model's own changes the output by at most ε; for those instances the model's attention is far "
            "from the only one compatible with its prediction.")


def encoders_under_search(overview: pd.DataFrame, epsilon: float) -> str:
    """On how many datasets the Average encoder is harder to fool than the BiLSTM (lower mean max JSD within
    ``epsilon``), and on how many its output moves more under permutation.

    Parameters
    ----------
    overview : DataFrame
        :func:`attnlib.book.tables.overview_table` at ``epsilon``.
    """
    harder = average_against_bilstm(overview, f"max JSD within {epsilon:g}", higher=False)
    moved = average_against_bilstm(overview, "permutation TVD", higher=True)
    if not harder.n:
        return ("This build has no dataset with both a BiLSTM and an Average encoder with tanh attention "
                "to compare.")
    return (f"The Average encoder is harder to fool than the BiLSTM (lower mean max JSD within ε) on "
            f"{harder.hits} of the {harder.n} datasets with both (tanh attention); under random permutation, which "
            f"is not optimised, its output moves more than the BiLSTM's on {moved.hits} of {moved.n}.")


def bilstm_against_paper(card: pd.DataFrame) -> str:
    """The BiLSTM's per-bin medians of the max JSD within the authors' figure ε against theirs: how far apart on
    average, how many within the tolerance, and on which datasets that part of the paper's finding reproduces
    (:func:`~attnlib.book.findings.rules.reproduction_verdict`: not where ours are less far than theirs).

    Parameters
    ----------
    card : DataFrame
        :func:`attnlib.book.scorecard.scorecard` of the results.
    """
    def describe(cells, gap, limit):
        return (f"their median max JSD is {cells.paper.mean():.2f} on average and ours {cells.ours.mean():.2f}; ours is "
                f"within the tolerance of {limit:g} in {int(cells.within_tolerance.sum())}")

    return bilstm_medians_against_paper(card, "adversarial median", describe, fails_when_higher=False,
                                        failure="our adversary finds attention less far from the model's own than the "
                                                "authors' did",
                                        violins=f"the authors' BiLSTM violins at ε = {FIGURE_EPSILON:g}")


def epsilon_rise(by_epsilon: pd.DataFrame) -> str:
    """How much the mean max JSD grows from ε = 0.01 to ε = 0.05, at most, and where.

    Parameters
    ----------
    by_epsilon : DataFrame
        :func:`attnlib.book.tables.epsilon_table`: one row per experiment, a column per ε.
    """
    rise = (by_epsilon[0.05] - by_epsilon[0.01]).dropna() if {0.01, 0.05} <= set(by_epsilon.columns) \
        else pd.Series(dtype=float)
    if not len(rise):
        return "This build has no experiment with both values to compare."
    largest = rise.idxmax()
    return (f"In this build the mean max JSD within 0.05 exceeds that within 0.01 by at most {rise.max():.3f} "
            f"({largest[0]} {largest[1]}+{largest[2]}).")


def adversarial_findings(results, focus, epsilon: float) -> dict:
    """Every value the adversarial chapter glues, for ``results`` (one seed), its ``focus`` result and the
    chapter's ``epsilon``."""
    for r in results:
        r.analysis.ensure_epsilon(epsilon)
    instances = tables.all_instances(results)
    return {
        "epsilon_used": epsilon, "figure_epsilon": FIGURE_EPSILON, "focus_label": focus.label,
        "n_adversaries": focus.analysis.config.n_adversaries,
        "n_steps": focus.analysis.config.adversary_iterations,
        "far_sentence": far_attention(instances, epsilon),
        "lstm_sentence": bilstm_far_attention(instances, epsilon),
        "encoder_sentence": encoders_under_search(tables.overview_table(results, epsilon), epsilon),
        "eps_sentence": epsilon_rise(tables.epsilon_table(results)),
        "paper_sentence": bilstm_against_paper(scorecard(results)),
    }
