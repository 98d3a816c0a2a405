"""What the critique chapter states: Wiegreffe & Pinter's four tests on this build's models, one verdict per test
and dataset, each with the numbers it rests on.

Every function takes the tables of :class:`attnlib.book.critique.CritiqueResults`. "Better" always means
:func:`.rules.clearly_above` (the means differ by more than the seeds scatter); "another seed" is the baseline W&P
propose for how far attention moves without any adversary.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from IPython.display import Markdown

from ..critique import weights_label
from .rules import clearly_above

__all__ = ["VERDICT_COLUMNS", "Verdict", "consistent_adversary_verdict", "critique_facts", "critique_findings", "critique_verdicts", "diagnostic_verdicts",
           "per_instance_adversary_verdict", "uniform_verdict"]


@dataclass(frozen=True)
class Verdict:
    """Whether one of W&P's expectations holds on one dataset, and the sentence that says so with its numbers."""

    holds: bool
    sentence: str


def _scores(table: pd.DataFrame, dataset: str, **where) -> pd.Series:
    chosen = table[table["dataset"] == dataset]
    for column, value in where.items():
        chosen = chosen[chosen[column] == value]
    return chosen["macro_f1"]


def _mean(values: pd.Series) -> str:
    """``0.863 (3 seeds: 0.809–0.913)``, or ``0.863 (1 seed)``."""
    if len(values) == 1:
        return f"{values.mean():.3f} (1 seed)"
    return f"{values.mean():.3f} ({len(values)} seeds: {values.min():.3f}–{values.max():.3f})"


def uniform_verdict(performance: pd.DataFrame, dataset: str, encoder: str = "lstm") -> Verdict:
    """W&P §3.1: does ``encoder`` trained with uniform attention do about as well as with learned attention?

    Holds when learned attention is not clearly better (:func:`.rules.clearly_above`).
    """
    learned = _scores(performance, dataset, encoder=encoder, attention="tanh")
    uniform = _scores(performance, dataset, encoder=encoder, attention="uniform")
    name = {"lstm": "BiLSTM", "average": "Average encoder"}.get(encoder, encoder)
    better = clearly_above(learned, uniform)
    return Verdict(not better, f"On {dataset} the {name} scores a test macro-F1 of {_mean(learned)} with learned "
                   f"attention and {_mean(uniform)} with uniform attention: learned attention is "
                   f"{'clearly better (by more than the seeds scatter)' if better else 'not clearly better'}.")


def diagnostic_verdicts(diagnostic: pd.DataFrame, dataset: str) -> tuple[Verdict, Verdict]:
    """W&P §3.3: (i) do the BiLSTM's weights, imposed, let the MLP do better than its own learned weights and than
    uniform weights? (ii) do the model-consistent adversary's weights help it less than the BiLSTM's?"""
    chosen = diagnostic[diagnostic["dataset"] == dataset]
    scores = {w: chosen.loc[chosen["weights"] == w, "macro_f1"] for w in dict.fromkeys(chosen["weights"])}
    base = scores.get(weights_label("imposed"), pd.Series(dtype=float))
    own, flat = scores.get(weights_label("learned"), pd.Series(dtype=float)), scores.get(weights_label("uniform"),
                                                                                          pd.Series(dtype=float))
    adversary_name = next((w for w in scores if w.startswith(weights_label("imposed_adversary"))), None)
    adversary = scores.get(adversary_name, pd.Series(dtype=float))
    helps = clearly_above(base, own) and clearly_above(base, flat)
    first = Verdict(helps, f"On {dataset} the MLP scores {_mean(base)} with the BiLSTM's weights imposed, "
                    f"{_mean(own)} with its own learned weights and {_mean(flat)} with uniform weights: the BiLSTM's "
                    f"weights {'help it' if helps else 'do not clearly help it'} (better than both).")
    worse = clearly_above(base, adversary)
    source = adversary_name.removeprefix("imposed: ") if adversary_name else "adversary"
    second = Verdict(worse, f"With the weights of the {source} imposed it scores "
                     f"{_mean(adversary)}: {'clearly below' if worse else 'not clearly below'} the BiLSTM's weights.")
    return first, second


def _medians(divergence: pd.DataFrame, dataset: str) -> pd.DataFrame:
    chosen = divergence[divergence["dataset"] == dataset]
    return chosen.groupby(["source", "lam"], dropna=False)[["jsd", "tvd"]].median().reset_index()


def per_instance_adversary_verdict(divergence: pd.DataFrame, dataset: str) -> Verdict:
    """W&P §3.2: is the attention Jain & Wallace's per-instance adversary finds (within ε = 0.05) farther from the
    model's than another seed's attention? Holds when its median JSD exceeds the seeds' median JSD."""
    chosen = divergence[divergence["dataset"] == dataset]
    seeds = chosen[chosen["source"] == "seed"]
    adversary = chosen[chosen["source"] == "per-instance adversary"]
    if not len(seeds):
        return Verdict(False, f"On {dataset} this build has one seed of the BiLSTM, so there is no seed baseline.")
    per_instance = seeds.groupby("index")["jsd"].mean()
    further = (adversary.set_index("index")["jsd"] > per_instance.reindex(adversary["index"]).to_numpy()).mean()
    seed_median, adversary_median = seeds["jsd"].median(), adversary["jsd"].median()
    beyond = bool(adversary_median > seed_median)
    return Verdict(beyond, f"On {dataset} another seed's BiLSTM attends at a median JSD of {seed_median:.3f} from the "
                   f"seed-0 model's attention (its outputs at a median TVD of {seeds['tvd'].median():.3f}); the "
                   f"per-instance adversary reaches a median of {adversary_median:.3f}, further than another seed for "
                   f"{further:.0%} of the instances.")


def consistent_adversary_verdict(divergence: pd.DataFrame, adversaries: pd.DataFrame, dataset: str) -> Verdict:
    """W&P §4: is there a λ whose model-consistent adversary attends further from the base model than another seed
    does (higher median JSD) while its predictions move no more than another seed's (median TVD at most the seeds')?
    """
    medians = _medians(divergence, dataset)
    seeds = medians[medians["source"] == "seed"]
    curve = medians[medians["source"] == "consistent adversary"].sort_values("lam")
    if not len(seeds) or not len(curve):
        return Verdict(False, f"On {dataset} this build lacks the seeds or the adversaries to compare.")
    seed_jsd, seed_tvd = float(seeds["jsd"].iloc[0]), float(seeds["tvd"].iloc[0])
    found = curve[(curve["jsd"] > seed_jsd) & (curve["tvd"] <= seed_tvd)]
    scores = adversaries[adversaries["dataset"] == dataset].set_index("lam")
    if len(found):
        best = found.loc[found["jsd"].idxmax()]
        f1 = scores.loc[best.lam]
        return Verdict(True, f"On {dataset} the adversary trained with λ = {best.lam:g} attends at a median JSD of "
                       f"{best.jsd:.3f} from the base model (another seed: {seed_jsd:.3f}) while its outputs move by a "
                       f"median TVD of {best.tvd:.3f} (another seed: {seed_tvd:.3f}); its test macro-F1 is "
                       f"{f1.macro_f1:.3f} against the base model's {f1.base_macro_f1:.3f}.")
    last = curve.iloc[-1]
    return Verdict(False, f"On {dataset} no adversary of the λ grid attends further from the base model than another "
                   f"seed ({seed_jsd:.3f}) with outputs as close as another seed's ({seed_tvd:.3f}); at λ = "
                   f"{last.lam:g} the median JSD is {last.jsd:.3f} and the median TVD {last.tvd:.3f}.")


#: The verdict table's columns, in the order of W&P's sections.
VERDICT_COLUMNS = ("uniform as good as learned (BiLSTM)", "BiLSTM weights help the MLP",
                   "adversary's weights help less", "per-instance adversary beyond seeds",
                   "model-consistent adversary beyond seeds")


def _verdicts(results, dataset: str) -> list[Verdict]:
    return [uniform_verdict(results.performance, dataset), *diagnostic_verdicts(results.diagnostic, dataset),
            per_instance_adversary_verdict(results.divergence, dataset),
            consistent_adversary_verdict(results.divergence, results.adversaries, dataset)]


def critique_verdicts(results) -> pd.DataFrame:
    """One row per dataset, one ``yes``/``no`` column per test (:data:`VERDICT_COLUMNS`)."""
    rows = [{"dataset": dataset, **{column: "yes" if verdict.holds else "no"
                                    for column, verdict in zip(VERDICT_COLUMNS, _verdicts(results, dataset))}}
            for dataset in results.datasets]
    return pd.DataFrame(rows, columns=["dataset", *VERDICT_COLUMNS])


def _tally(results, column: int, what: str) -> str:
    holding = [d for d in results.datasets if _verdicts(results, d)[column].holds]
    names = f" ({', '.join(holding)})" if holding else ""
    return f"{what} on {len(holding)} of {len(results.datasets)} datasets{names}."


def critique_findings(results) -> dict:
    """Every value the critique chapter glues: per test a tally over datasets (``*_tally``) and a Markdown list of
    the per-dataset sentences (``*_sentences``), and the verdict table's size."""
    if not len(results.performance):
        return {name: Markdown("This build has no critique runs.") if name.endswith("_sentences")
                else "This build has no critique runs." for name in
                ("uniform_tally", "uniform_sentences", "diagnostic_tally", "diagnostic_sentences", "seed_tally",
                 "seed_sentences", "consistent_tally", "consistent_sentences")}
    by_dataset = {d: _verdicts(results, d) for d in results.datasets}
    average = {d: uniform_verdict(results.performance, d, "average") for d in results.datasets}

    def listed(*columns, extra=None) -> Markdown:
        return Markdown("\n".join(f"* {' '.join(by_dataset[d][c].sentence for c in columns)}"
                                  + (f" {extra[d].sentence}" if extra else "") for d in results.datasets))

    return {"uniform_tally": _tally(results, 0, "Uniform attention does about as well as learned attention for the "
                                                "BiLSTM"),
            "uniform_sentences": listed(0, extra=average),
            "diagnostic_tally": _tally(results, 1, "The BiLSTM's weights help the MLP")
            + " " + _tally(results, 2, "The adversary's weights help it less than the BiLSTM's"),
            "diagnostic_sentences": listed(1, 2),
            "seed_tally": _tally(results, 3, "The per-instance adversary moves attention further than another seed "
                                             "(median JSD)"),
            "seed_sentences": listed(3),
            "consistent_tally": _tally(results, 4, "A model-consistent adversary attends further than another seed "
                                                   "with outputs as close as another seed's"),
            "consistent_sentences": listed(4)}


def critique_facts(results, dataset: str | None = None) -> dict:
    """The numbers the slides' critique slide cites, as text (``"n/a"`` where this build has none): for
    ``dataset`` (default the first) the BiLSTM's macro-F1 with learned and uniform attention, the MLP's with each
    kind of weights, the median attention JSD of another seed and of the per-instance adversary; over every
    dataset, on how many uniform attention does about as well and a model-consistent adversary is found."""
    keys = ("crit_datasets", "crit_dataset", "crit_learned_f1", "crit_uniform_f1", "crit_mlp_own", "crit_mlp_uniform",
            "crit_mlp_imposed", "crit_mlp_adversary", "crit_seed_jsd", "crit_jw_jsd", "crit_uniform_holds",
            "crit_consistent_holds", "crit_n")
    if results is None or not len(results.performance):
        return dict.fromkeys(keys, "n/a")
    dataset = dataset or results.datasets[0]

    def mean(values: pd.Series) -> str:
        return f"{values.mean():.3f}" if len(values.dropna()) else "n/a"

    diagnostic = results.diagnostic[results.diagnostic["dataset"] == dataset]
    by_weights = {w: diagnostic.loc[diagnostic["weights"].str.startswith(w), "macro_f1"]
                  for w in (weights_label("learned"), weights_label("uniform"), weights_label("imposed"),
                            weights_label("imposed_adversary"))}
    divergence = results.divergence[results.divergence["dataset"] == dataset]
    table = critique_verdicts(results)
    return dict(zip(keys, (
        ", ".join(results.datasets), dataset,
        mean(_scores(results.performance, dataset, encoder="lstm", attention="tanh")),
        mean(_scores(results.performance, dataset, encoder="lstm", attention="uniform")),
        *(mean(values) for values in by_weights.values()),
        *(f"{divergence.loc[divergence['source'] == s, 'jsd'].median():.3f}" if (divergence["source"] == s).any()
          else "n/a" for s in ("seed", "per-instance adversary")),
        str(int((table[VERDICT_COLUMNS[0]] == "yes").sum())), str(int((table[VERDICT_COLUMNS[4]] == "yes").sum())),
        str(len(table)))))
