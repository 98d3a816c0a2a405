"""What the discussion chapter states: the three tests side by side per encoder, the context hypothesis, the
seed-variance comparison, uniform attention at test time, and the limits of this build."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...data import DATASET_NAMES, is_classification, task_kind
from ...explain import max_jsd_column
from .. import tables
from .rules import FAR_JSD, SMALL_OUTPUT_CHANGE, average_against_bilstm, by_task_kind

__all__ = ["discussion_findings", "encoder_means", "bilstm_sensitivity", "context_hypothesis",
           "adversary_against_seeds", "seeds_per_dataset", "absent_datasets", "partial_datasets",
           "uniform_attention_drop"]


def encoder_means(overview: pd.DataFrame, epsilon: float) -> dict:
    """Mean τ(attention, gradient) and mean max JSD within ``epsilon`` of the BiLSTM and the Average encoder,
    averaged over experiments (NaN for an encoder the build lacks): ``tau_lstm``, ``tau_average``, ``jsd_lstm``,
    ``jsd_average``."""
    jsd = f"max JSD within {epsilon:g}"
    by_encoder = overview.groupby("encoder")[["τ(attention, gradient)", jsd]].mean()
    return {f"{name}_{encoder}": float(by_encoder.loc[encoder, column]) if encoder in by_encoder.index else np.nan
            for name, column in (("tau", "τ(attention, gradient)"), ("jsd", jsd)) for encoder in ("lstm", "average")}


def bilstm_sensitivity(instances: pd.DataFrame, epsilon: float) -> str:
    """How often the BiLSTM's output hardly moves under permutation, and how often a far attention exists within
    ``epsilon``."""
    lstm = instances[instances.encoder == "lstm"]
    if not len(lstm):
        return "This build has no BiLSTM experiment."
    return (f"Shuffling the attention changes the output by less than {SMALL_OUTPUT_CHANGE:g} in TVD for "
            f"{(lstm.perm_median_tvd < SMALL_OUTPUT_CHANGE).mean():.0%} of BiLSTM instances, and within ε = "
            f"{epsilon:g} an attention with JSD above {FAR_JSD:g} from the model's own exists for "
            f"{(lstm[max_jsd_column(epsilon)] > FAR_JSD).mean():.0%} of them.")


def context_hypothesis(overview: pd.DataFrame, epsilon: float) -> str:
    """The three tests of the encoders against each other: the Average encoder's τ higher, its output moving more
    under permutation (classification datasets), its max JSD lower."""
    tau = average_against_bilstm(overview, "τ(attention, gradient)", higher=True)
    perm = average_against_bilstm(overview, "permutation TVD", higher=True, only=is_classification)
    jsd = average_against_bilstm(overview, f"max JSD within {epsilon:g}", higher=False)
    if not tau.n:
        return "This build has no dataset with both a BiLSTM and an Average encoder with tanh attention to compare."
    return (f"In this build the Average encoder's attention agrees better with gradients (higher mean τ) than the "
            f"BiLSTM's on {tau.hits} of the {tau.n} datasets with both (tanh attention); shuffling its weights moves "
            f"the output more on {perm.hits} of {perm.n} classification datasets; and the adversarial search finds "
            f"distant attention within ε less easily for it (lower mean max JSD) on {jsd.hits} of {jsd.n}.")


def adversary_against_seeds(seed_attention: pd.DataFrame) -> str:
    """Over the configurations with several seeds, the share of instances for which the adversary moves attention
    further than another seed's model does.

    Parameters
    ----------
    seed_attention : DataFrame
        :func:`attnlib.book.tables.seed_attention_table`.
    """
    if not len(seed_attention):
        return "This build trains one seed per configuration, so the comparison is not made here."
    n = seed_attention.groupby(["dataset", "encoder", "attention"]).ngroups
    return (f"This book re-runs that comparison: over the {n} configuration{'s' if n > 1 else ''} of this build with "
            f"several seeds, the adversary within ε = 0.05 moves attention further from the model's own than another "
            f"seed's model does for {(seed_attention.adversarial_jsd > seed_attention.seed_jsd).mean():.0%} of the "
            "instances.")


def seeds_per_dataset(all_seeds) -> str:
    """How many seeds each dataset is trained with: ``"3 for sst; 1 for imdb, babi1"`` (most seeds first).

    Parameters
    ----------
    all_seeds : list of Result
        Every seed's results.
    """
    seeds = pd.DataFrame([(r.dataset, r.seed) for r in all_seeds], columns=["dataset", "seed"])
    groups: dict[int, list[str]] = {}
    for name, n in seeds.groupby("dataset", sort=False).seed.nunique().items():
        groups.setdefault(n, []).append(name)
    return "; ".join(f"{n} for {', '.join(names)}" for n, names in sorted(groups.items(), reverse=True))


def absent_datasets(results) -> str:
    """The registry's datasets that ``results`` do not include, or ``none``."""
    present = {r.dataset for r in results}
    return ", ".join(name for name in DATASET_NAMES if name not in present) or "none"


def partial_datasets(results) -> list[str]:
    """The datasets of ``results`` whose loader reported a missing file (a note saying ``missing``)."""
    return [r.dataset for r in {r.dataset: r for r in results}.values()
            if any("missing" in note for note in r.run.dataset.notes)]


def uniform_attention_drop(uniform_table: pd.DataFrame) -> str:
    """Where decoding with uniform weights costs most, and the mean cost on each kind of task.

    Parameters
    ----------
    uniform_table : DataFrame
        One row per experiment: ``dataset``, ``encoder``, ``attention``, ``metric`` and ``difference`` (the score with
        uniform attention minus the score with the learned attention).
    """
    worst = uniform_table.loc[uniform_table["difference"].idxmin()]
    kinds = by_task_kind(uniform_table, "difference", fmt="{:+.3f}") or \
        f"{uniform_table['difference'].mean():+.3f} on {task_kind(worst['dataset'])}"
    return (f"In this build the score falls most for {worst['dataset']} {worst['encoder']}+{worst['attention']} "
            f"({worst['difference']:+.3f} {worst['metric'].replace('_', '-')}); the mean difference is {kinds}.")


def discussion_findings(results, epsilon: float, seed: int) -> dict:
    """Every value the discussion chapter glues before its uniform-attention table, for ``results`` (a
    :class:`~attnlib.book.chapter.ChapterResults`: one seed, with ``all_seeds``), ``epsilon`` and the ``seed``
    shown."""
    for r in results:
        r.analysis.ensure_epsilon(epsilon)
    overview = tables.overview_table(results, epsilon)
    instances = tables.all_instances(results)
    return {
        **encoder_means(overview, epsilon),
        "sensitivity_sentence": bilstm_sensitivity(instances, epsilon),
        "context_sentence": context_hypothesis(overview, epsilon),
        "seed_sentence": adversary_against_seeds(tables.seed_attention_table(results.all_seeds)),
        "seeds_sentence": f"Seeds per dataset in this build: {seeds_per_dataset(results.all_seeds)}. "
                          f"The chapters show seed {seed}.",
        "absent_datasets": absent_datasets(results),
        "partial_datasets": ", ".join(partial_datasets(results)) or "none",
    }
