"""What the scorecard chapter states: the totals, how far seeds spread, one seed against the mean, the adversary
against seed variance, what the ablations explain, the adversary's strength, and the top max-attention bin."""
from __future__ import annotations

import numpy as np
import pandas as pd
from IPython.display import Markdown

from ...explain import max_jsd_column
from ...paper.jain_wallace import FIGURE_EPSILON
from .. import tables
from ..ablations import HIGH_ATTENTION
from ..scorecard import totals

__all__ = ["totals_findings", "seed_spread_findings", "closest_seed_sentence", "seed_attention_findings",
           "ablation_findings", "strength_sentence", "top_bin_findings", "PAPER_SEARCH", "MOST_SEEDS_FURTHER"]

#: The paper's search: iterations and adversaries (restarts).
PAPER_SEARCH = (500, 5)

#: The adversary's result "is not explained away by seed variance" when it goes further than another seed for more
#: than this share of the instances.
MOST_SEEDS_FURTHER = 0.5


def totals_findings(card: pd.DataFrame, every_seed) -> dict:
    """``n_numbers``, ``n_within``, ``n_in_range`` of the scorecard ``card`` and the fewest and most seeds of a
    configuration (``seeds_min``, ``seeds_max``)."""
    overall = totals(card).iloc[0]
    n_seeds = tables.seed_values(every_seed).groupby(["dataset", "encoder", "attention"]).seed.nunique()
    return {"n_numbers": int(overall.numbers), "n_within": int(overall.within_tolerance),
            "n_in_range": int(overall.paper_in_seed_range),
            "seeds_min": int(n_seeds.min()) if len(n_seeds) else 0,
            "seeds_max": int(n_seeds.max()) if len(n_seeds) else 0}


def seed_spread_findings(spread: pd.DataFrame) -> dict:
    """The largest range over seeds of mean τ(attention, gradient) (``tau_spread_max``) and its configuration
    (``tau_spread_label``).

    Parameters
    ----------
    spread : DataFrame
        :func:`attnlib.book.tables.seed_table`.
    """
    tau = spread[(spread.statistic == "tau_attention_gradient") & (spread.n_seeds > 1)]
    if not len(tau):
        return {"tau_spread_max": float("nan"), "tau_spread_label": "none"}
    ranges = tau["max"] - tau["min"]
    return {"tau_spread_max": float(ranges.max()),
            "tau_spread_label": " ".join(tau.loc[ranges.idxmax(), ["dataset", "encoder", "attention"]])}


def closest_seed_sentence(closest: pd.DataFrame) -> Markdown:
    """The configuration and kind of number where the single seed nearest the paper gains most over the seed mean.

    Parameters
    ----------
    closest : DataFrame
        :func:`attnlib.book.scorecard.closest_seeds`.
    """
    if not len(closest):
        return Markdown("With one seed per configuration there is no mean to set a single seed against.")
    top = closest.loc[(closest["mean_difference"] - closest["seed_difference"]).idxmax()]
    numbers = "Table 2 cells" if top.kind == "Table 2" else f"{top.kind}s"
    return Markdown(
        f"The largest such difference is {top.dataset} {top.encoder}+{top.attention}, {numbers}: seed "
        f"{top.closest_seed} alone differs from the paper's values by {top.seed_difference:.3f} on average "
        f"({top.seed_within} of {top.numbers} within tolerance), the mean of its {top.n_seeds} seeds by "
        f"{top.mean_difference:.3f} ({top.mean_within} of {top.numbers}). Picking the nearest of several seeds "
        "favours a single seed by construction, so a small gain means little; a large one means that our seeds "
        "behave in distinct ways, that their mean describes none of them, and that the authors' single model may "
        "have been any one of those behaviours.")


def seed_attention_findings(seed_attention: pd.DataFrame) -> dict:
    """The adversary against seed variance: the share of instances for which the adversary goes further than
    another seed (``share_adversary_further``), the verdict, and both medians.

    Parameters
    ----------
    seed_attention : DataFrame
        :func:`attnlib.book.tables.seed_attention_table`.
    """
    if not len(seed_attention):
        return {"share_adversary_further": float("nan"), "median_seed_jsd": float("nan"),
                "median_adversarial_jsd": float("nan"),
                "seed_verdict": "cannot be set beside seed variance (one seed per configuration)"}
    further = float((seed_attention.adversarial_jsd > seed_attention.seed_jsd).mean())
    return {"share_adversary_further": further,
            "seed_verdict": "is not explained away by seed variance" if further > MOST_SEEDS_FURTHER else
            "is within what a change of seed does for most instances",
            "median_seed_jsd": float(seed_attention.seed_jsd.median()),
            "median_adversarial_jsd": float(seed_attention.adversarial_jsd.median())}


def ablation_findings(ablated: dict, gaps: pd.DataFrame) -> dict:
    """How many ablation runs there are, how many out-of-tolerance numbers they cover (``n_gaps``), move towards
    the paper (``n_gaps_nearer``) and bring within tolerance (``n_gaps_closed``).

    Parameters
    ----------
    ablated : dict of name to list of Result
    gaps : DataFrame
        :func:`attnlib.book.ablations.gap_explanations`.
    """
    n_runs = sum(len(v) for v in ablated.values())
    return {"ablations_status": f"{n_runs} ablation runs in this build" if n_runs else
            "none were run in this build: execute this chapter with -p ablations True, or build the paper preset",
            "n_gaps": int(len(gaps)), "n_gaps_closed": int(gaps["now_within"].sum()) if len(gaps) else 0,
            "n_gaps_nearer": int(gaps["nearer"].sum()) if len(gaps) else 0}


def strength_sentence(strength: pd.DataFrame, focus_label: str = "sst lstm+tanh") -> Markdown:
    """What a stronger or weaker search changes: the largest change of the median max JSD from the paper's setting
    (:data:`PAPER_SEARCH`) to the strongest, and, for ``focus_label``, one adversary against the paper's five in the
    top max-attention bin.

    Parameters
    ----------
    strength : DataFrame
        :func:`attnlib.book.ablations.adversary_strength` of one or more configurations, with ``configuration``.
    """
    if not len(strength):
        return Markdown("The sweep was not run in this build: it runs with the paper preset or with "
                        "`-p ablations True`.")
    iterations, adversaries = PAPER_SEARCH
    paper_setting = strength[(strength.iterations == iterations) & (strength.adversaries == adversaries)]
    strongest = strength[(strength.iterations == strength.iterations.max())
                         & (strength.adversaries == strength.adversaries.max())]
    gain = strongest.set_index("configuration")["median"] - paper_setting.set_index("configuration")["median"]
    sentence = (f"Going from the paper's setting to the strongest search changes the median max JSD by at most "
                f"{float(gain.abs().max()):.3f}.")
    chosen = strength[strength.configuration == focus_label].set_index(["adversaries", "iterations"])
    one, paper = (chosen["high_median"].get((k, iterations), float("nan")) for k in (1, adversaries))
    if np.isfinite(one) and np.isfinite(paper):
        encoder, attention = focus_label.split()[1].split("+")
        sentence += (f" The number of adversaries matters more where attention is peaked: for "
                     f"{focus_label.split()[0].upper()} `{encoder}`+`{attention}` (first seed), among the sampled "
                     f"instances whose largest weight is at least {HIGH_ATTENTION:g}, the median max JSD after "
                     f"{iterations} iterations is {one:.2f} with one adversary and {paper:.2f} with the paper's "
                     f"{_number(adversaries)}.")
    return Markdown(sentence)


def _number(n: int) -> str:
    return {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}.get(n, str(n))


def top_bin_findings(runs) -> dict:
    """For the runs of one configuration (every seed): the mean share of instances in the top max-attention bin
    (``high_share``), the mean of their median max JSD within ε = 0.05 (``high_median``) and the bin's lower edge
    (``high_share_label``)."""
    column = max_jsd_column(FIGURE_EPSILON)
    shares, medians = [], []
    for r in runs:
        frame = r.analysis.instances
        high = frame[frame.max_attention >= HIGH_ATTENTION]
        shares.append(len(high) / len(frame))
        medians.append(float(high[column].median()) if len(high) else float("nan"))
    return {"high_share": float(np.mean(shares)) if shares else float("nan"),
            "high_median": float(np.nanmean(medians)) if np.isfinite(medians).any() else float("nan"),
            "high_share_label": f"{HIGH_ATTENTION:g}"}
