"""What the faithfulness chapter states: which explainer each measure ranks first, where attention stands among
them, and which explainer finds the planted tokens, each sentence with the numbers it rests on.

Every function takes the table of :class:`attnlib.book.faithfulness.FaithfulnessResults` (``dataset, encoder,
attention, explainer, metric, value, n``). A measure's direction is :data:`HIGHER_IS_FAITHFUL`'s.
"""
from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from ..faithfulness import is_planted
from .rules import ENCODER_NAMES

__all__ = ["HIGHER_IS_FAITHFUL", "MAIN_METRICS", "METRIC_LABELS", "attention_standing", "faithfulness_facts", "faithfulness_findings",
           "main_table", "most_faithful_sentence", "planted_recovery_sentence", "ranking",
           "yardstick_sentence"]

HIGHER_IS_FAITHFUL = {"comprehensiveness_aopc": True, "sufficiency_aopc": False, "decision_flip_fraction": False,
                      "precision_at_k": True, "auprc": True, "tau_loo": True, "tau_attention": True}
"""For each measure the chapter ranks by, whether a larger value means a more faithful explainer."""

METRIC_LABELS = {"comprehensiveness_aopc": "comprehensiveness (AOPC)", "sufficiency_aopc": "sufficiency (AOPC)",
                 "decision_flip_fraction": "the share of tokens removed before the decision flips",
                 "precision_at_k": "precision at k", "auprc": "AUPRC", "tau_loo": "τ with leave-one-out",
                 "tau_attention": "τ with attention"}
"""How the chapter's sentences name each measure."""

MAIN_METRICS = ("comprehensiveness_aopc", "sufficiency_aopc", "decision_flip_fraction", "tau_loo", "tau_attention",
                "precision_at_k", "auprc")
"""The columns of the chapter's main table, in order."""


def _model(table: pd.DataFrame, dataset: str, encoder: str, attention: str = "tanh") -> pd.DataFrame:
    return table[(table["dataset"] == dataset) & (table["encoder"] == encoder) & (table["attention"] == attention)]


def _name(encoder: str) -> str:
    return ENCODER_NAMES.get(encoder, encoder)


def _higher(metric: str) -> bool:
    """:data:`HIGHER_IS_FAITHFUL` of ``metric``, or one clear error."""
    if metric not in HIGHER_IS_FAITHFUL:
        raise ValueError(f"no direction is known for {metric!r}; choose one of {', '.join(HIGHER_IS_FAITHFUL)}")
    return HIGHER_IS_FAITHFUL[metric]


def ranking(table: pd.DataFrame, dataset: str, encoder: str, metric: str, attention: str = "tanh") -> pd.Series:
    """The explainers of one model by ``metric``, most faithful first (NaN values left out): explainer -> value."""
    values = _model(table, dataset, encoder, attention)
    values = values[values["metric"] == metric].set_index("explainer")["value"].dropna()
    return values.sort_values(ascending=not _higher(metric), kind="stable")


def _of(part: int, whole: int) -> str:
    """``none of the 4`` or ``2 of 4``."""
    return f"none of the {whole}" if part == 0 else f"{part} of {whole}"


def _count(n: int) -> str:
    return "none" if n == 0 else str(n)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def most_faithful_sentence(table: pd.DataFrame, dataset: str, encoder: str, metric: str = "comprehensiveness_aopc",
                           attention: str = "tanh") -> str:
    """``On sst (BiLSTM+tanh) integrated_gradients ranks first by comprehensiveness AOPC (0.394); attention is 7th of
    9 (0.200), a random order 9th (0.045).``"""
    ranked = ranking(table, dataset, encoder, metric, attention)
    if ranked.empty:
        return f"On {dataset} ({_name(encoder)}+{attention}) no explainer has a {METRIC_LABELS[metric]}."
    first = ranked.index[0]
    parts = [f"On {dataset} ({_name(encoder)}+{attention}) {first} ranks first by {METRIC_LABELS[metric]} "
             f"({ranked.iloc[0]:.3f})"]
    places = []
    for explainer, label in (("attention", "attention"), ("random", "a random order")):
        if explainer in ranked.index and explainer != first:
            place = list(ranked.index).index(explainer) + 1
            places.append(f"{label} is {_ordinal(place)} of {len(ranked)} ({ranked[explainer]:.3f})")
    return parts[0] + ("; " + ", ".join(places) if places else "") + "."


def attention_standing(table: pd.DataFrame, metric: str = "comprehensiveness_aopc", top: int = 3) -> dict:
    """Where attention ranks by ``metric`` across every model of the table.

    Returns
    -------
    dict with ``models`` (how many have attention ranked), ``in_top`` (attention among the ``top`` most faithful),
    ``below_random`` (attention less faithful than a random order), ``first`` (ranked first) and ``sentence``.
    """
    models = table[["dataset", "encoder", "attention"]].drop_duplicates().itertuples(index=False)
    counted = in_top = below_random = first = 0
    for dataset, encoder, attention in models:
        ranked = list(ranking(table, dataset, encoder, metric, attention).index)
        if "attention" not in ranked:
            continue
        counted += 1
        place = ranked.index("attention")
        in_top += place < top
        first += place == 0
        below_random += "random" in ranked and ranked.index("random") < place
    sentence = (f"By {METRIC_LABELS[metric]}, attention is the most faithful explainer for {_of(first, counted)} "
                f"models, among the {top} most faithful for {_count(in_top)}, and less faithful than a random order "
                f"for {_count(below_random)}.")
    return {"models": counted, "in_top": in_top, "below_random": below_random, "first": first, "sentence": sentence}


#: The paper's two yardsticks for attention (Jain & Wallace compare attention with them).
YARDSTICKS = ("gradient", "loo")


def yardstick_sentence(table: pd.DataFrame, metric: str = "comprehensiveness_aopc",
                       others=("integrated_gradients", "input_x_gradient", "occlusion", "gradient_shap",
                               "kernel_shap")) -> dict:
    """How attention compares with the paper's yardsticks, and the yardsticks with the other explainers, by
    ``metric`` over every model that has all three of attention, gradient and leave-one-out.

    Returns
    -------
    dict with ``models``, ``attention_below`` (attention less faithful than both yardsticks), ``yardstick_below`` (the
    more faithful yardstick less faithful than the best of ``others``) and ``sentence``.
    """
    models = table[["dataset", "encoder", "attention"]].drop_duplicates().itertuples(index=False)
    counted = attention_below = yardstick_below = 0
    sign = 1 if _higher(metric) else -1
    for dataset, encoder, attention in models:
        ranked = ranking(table, dataset, encoder, metric, attention)
        if not {"attention", *YARDSTICKS} <= set(ranked.index):
            continue
        counted += 1
        best_yardstick = max(sign * ranked[y] for y in YARDSTICKS)
        attention_below += sign * ranked["attention"] < min(sign * ranked[y] for y in YARDSTICKS)
        rivals = [sign * ranked[o] for o in others if o in ranked.index]
        yardstick_below += bool(rivals) and best_yardstick < max(rivals)
    sentence = (f"By {METRIC_LABELS[metric]}, attention is less faithful than both of the paper's yardsticks "
                f"(gradient and leave-one-out) for {attention_below} of {counted} models, and the better of the two "
                f"is itself less faithful than the best of Captum's explainers for {yardstick_below} of {counted}.")
    return {"models": counted, "attention_below": attention_below, "yardstick_below": yardstick_below,
            "sentence": sentence}


#: Two explainers whose planted-token scores differ by less than this tie (the sentences print two decimals).
TIE_TOLERANCE = 0.005


def planted_recovery_sentence(table: pd.DataFrame, encoder: str, metric: str = "precision_at_k",
                              attention: str = "tanh") -> str:
    """Which explainers find the planted tokens best for ``encoder`` (every one within :data:`TIE_TOLERANCE` of the
    best), averaged over the planted tasks, with attention's, the gradient's and a random order's values beside."""
    chosen = table[table["dataset"].map(is_planted) & (table["encoder"] == encoder)
                   & (table["attention"] == attention) & (table["metric"] == metric)]
    if chosen.empty:
        return f"No planted task was measured for the {_name(encoder)}."
    means = chosen.groupby("explainer", sort=False)["value"].mean().dropna()
    means = means.sort_values(ascending=not _higher(metric), kind="stable")
    tasks = list(dict.fromkeys(chosen["dataset"]))
    where = f"on {tasks[0]}" if len(tasks) == 1 else f"mean over {len(tasks)} planted tasks"
    best = [e for e in means.index if abs(means[e] - means.iloc[0]) < TIE_TOLERANCE]
    rest = [e for e in means.index if e not in best]
    if len(best) == 1:
        lead = f"{best[0]} recovers the planted tokens best"
    elif rest == ["random"]:
        lead = "every explainer but a random order recovers the planted tokens equally well"
    else:
        lead = f"{', '.join(best[:-1])} and {best[-1]} tie for recovering the planted tokens best"
    others = [f"{e} {means[e]:.2f}" for e in ("attention", "gradient", "random") if e in rest]
    return (f"For the {_name(encoder)}+{attention}, {lead} ({METRIC_LABELS[metric]} {means.iloc[0]:.2f}, {where})"
            + (f"; {', '.join(others)}" if others else "") + ".")


def main_table(table: pd.DataFrame, encoder: str, attention: str = "tanh", metrics=MAIN_METRICS) -> pd.DataFrame:
    """One row per dataset and explainer, one column per measure of ``metrics`` (the chapter's main table)."""
    chosen = table[(table["encoder"] == encoder) & (table["attention"] == attention) & table["metric"].isin(metrics)]
    wide = chosen.pivot_table(index=["dataset", "explainer"], columns="metric", values="value", sort=False)
    return wide.reindex(columns=[m for m in metrics if m in wide.columns])


def faithfulness_findings(table: pd.DataFrame) -> dict:
    """Every value the faithfulness chapter glues."""
    models = table[["dataset", "encoder", "attention"]].drop_duplicates()
    sentences = [most_faithful_sentence(table, d, e, attention=a) for d, e, a in models.itertuples(index=False)]
    encoders = list(dict.fromkeys(table["encoder"]))
    planted = [planted_recovery_sentence(table, e) for e in encoders]
    standing = {metric: attention_standing(table, metric) for metric in
                ("comprehensiveness_aopc", "sufficiency_aopc", "decision_flip_fraction")}
    found = {
        "faith_most_faithful": Markdown("\n".join(f"* {s}" for s in sentences)),
        "faith_planted": Markdown("\n".join(f"* {s}" for s in planted)),
        "faith_n_models": len(models),
        "faith_datasets": ", ".join(dict.fromkeys(table["dataset"])),
    }
    for metric, result in standing.items():
        found[f"faith_attention_{metric}"] = result["sentence"]
    found["faith_yardsticks"] = yardstick_sentence(table)["sentence"]
    return found


def faithfulness_facts(table: pd.DataFrame) -> dict:
    """The numbers the slides and the discussion cite: attention's standing by comprehensiveness and the planted
    recovery of each encoder."""
    return {"standing": attention_standing(table), "planted": {e: planted_recovery_sentence(table, e)
                                                               for e in dict.fromkeys(table["encoder"])}}
