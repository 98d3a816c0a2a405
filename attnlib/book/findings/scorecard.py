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
from ..scorecard import tolerance, totals

__all__ = ["totals_findings", "seed_spread_findings", "closest_seed_sentence", "seed_attention_findings",
           "ablation_findings", "out_of_tolerance", "out_of_tolerance_sentence", "strength_sentence",
           "top_bin_findings", "PAPER_SEARCH", "MOST_SEEDS_FURTHER"]

#: The paper's search: iterations and adversaries (restarts).
PAPER_SEARCH = (500, 5)

#: The adversary's result "is not explained away by seed variance" when it goes further than another seed for more
#: than this share of the instances.
MOST_SEEDS_FURTHER = 0.5


def totals_findings(card: pd.DataFrame, every_seed) -> dict:
    """``n_numbers``, ``n_within``, ``n_in_range`` of the scorecard ``card``, the fewest and most seeds of a
    configuration (``seeds_min``, ``seeds_max``) and the tolerances (``test_tolerance``, ``other_tolerance``)."""
    overall = totals(card).iloc[0]
    n_seeds = tables.seed_values(every_seed).groupby(["dataset", "encoder", "attention"]).seed.nunique()
    return {"test_tolerance": tolerance("test metric"), "other_tolerance": tolerance("Table 2"),
            "n_numbers": int(overall.numbers), "n_within": int(overall.within_tolerance),
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


def out_of_tolerance(card: pd.DataFrame) -> pd.DataFrame:
    """Per kind of number and dataset: how many numbers, how many are out of tolerance, for how many of those the
    paper's value still lies within the range of our seeds, and the largest gap.

    Parameters
    ----------
    card : DataFrame
        :func:`attnlib.book.scorecard.scorecard`.
    """
    out = card[~card.within_tolerance]
    rows = []
    for (kind, dataset), part in card.groupby(["kind", "dataset"], sort=False):
        gaps = out[(out.kind == kind) & (out.dataset == dataset)]
        worst = gaps.loc[gaps.difference.abs().idxmax()] if len(gaps) else None
        rows.append({"kind": kind, "dataset": dataset, "numbers": len(part), "out of tolerance": len(gaps),
                     "paper within our seeds": int(gaps.paper_in_seed_range.sum()),
                     "largest gap": float(worst.difference) if worst is not None else float("nan"),
                     "where": (f"{worst.encoder}+{worst.attention} {worst.quantity} ({worst.group})"
                               if worst is not None else "")})
    return pd.DataFrame(rows)


def out_of_tolerance_sentence(card: pd.DataFrame) -> str:
    """How many published numbers are out of tolerance, by kind, and how many of those a change of seed covers."""
    out = card[~card.within_tolerance]
    if not len(card):
        return "No published number has a counterpart in this build."
    if not len(out):
        return f"All {len(card)} published numbers of this build are within tolerance."
    kinds = out.groupby("kind", sort=False).size()
    noun = {"Table 2": "Table 2 cell"}
    by_kind = ", ".join(f"{n} {noun.get(kind, kind)}{'s' if n > 1 else ''}" for kind, n in kinds.items())
    seeds = int(out.paper_in_seed_range.sum())
    covered = (f"For {seeds} of them the paper's value lies within the range of our seeds, so a change of seed alone "
               "moves our number that far; the others differ" if seeds else
               "For none of them does the paper's value lie within the range of our seeds: they all differ")
    return (f"{len(out)} of the {len(card)} published numbers are out of tolerance ({by_kind}). {covered} from the "
            "paper by more than our seeds differ from each other, and the sections below test what could explain "
            "them: seed variance, ablations and the adversary's strength.")


def ablation_findings(ablated: dict, gaps: pd.DataFrame, command: str) -> dict:
    """How many ablation runs there are (``ablations_status``), and what they explain (``ablation_sentence``): how
    many out-of-tolerance numbers they cover (``n_gaps``), move towards the paper (``n_gaps_nearer``) and bring within
    tolerance (``n_gaps_closed``); with none run, the ``command`` that runs them.

    Parameters
    ----------
    ablated : dict of name to list of Result
    gaps : DataFrame
        :func:`attnlib.book.ablations.gap_explanations`.
    command : str
        What a reader runs to compute them (:func:`attnlib.book.chapter.chapter_command`).
    """
    n_runs = sum(len(v) for v in ablated.values())
    n_gaps = int(len(gaps))
    nearer, closed = (int(gaps[c].sum()) if n_gaps else 0 for c in ("nearer", "now_within"))
    if not n_runs:
        sentence = (f"This build ran no ablation, so the table above has no runs and nothing is explained here. "
                    f"`{command}` trains and analyses them (or build the paper preset, which runs them) and fills "
                    "this section: for every out-of-tolerance number an ablation covers, what each ablation did to it.")
    elif not n_gaps:
        sentence = (f"The {n_runs} ablation runs of this build cover no out-of-tolerance number of the scorecard, so "
                    "they explain none of its gaps.")
    else:
        sentence = (f"Of the {n_gaps} out-of-tolerance numbers the ablations cover, {nearer} move towards the paper's "
                    f"value under at least one ablation (*nearer*) and {closed} come within tolerance; for the others "
                    "no ablation we ran explains the gap, and the table shows by how much each one moved it.")
    return {"ablations_status": f"{n_runs} ablation runs in this build" if n_runs else "none in this build",
            "n_gaps": n_gaps, "n_gaps_closed": closed, "n_gaps_nearer": nearer,
            "ablation_sentence": Markdown(sentence)}


def strength_sentence(strength: pd.DataFrame, command: str, focus_label: str = "sst lstm+tanh") -> Markdown:
    """What a stronger or weaker search changes: the largest change of the median max JSD from the paper's setting
    (:data:`PAPER_SEARCH`) to the strongest, and, for ``focus_label``, one adversary against the paper's five in the
    top max-attention bin.

    Parameters
    ----------
    strength : DataFrame
        :func:`attnlib.book.ablations.adversary_strength` of one or more configurations, with ``configuration``.
    """
    if not len(strength):
        return Markdown(f"The sweep was not run in this build: `{command}` runs it (so does the paper preset).")
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
