"""Ablations that explain gaps to the paper: what moves a number when one thing changes.

* Training ablations (:data:`~attnlib.book.presets.ABLATIONS`, from ``presets.toml``): frozen word vectors, random
  vectors, the last epoch instead of the best dev epoch. Each is a preset of its own, trained and analysed like
  any other; :func:`gap_explanations` says, for every scorecard number out of tolerance, which ablation moved it
  most and by how much.
* The adversary's strength (:func:`adversary_strength`): the max JSD within ε as a function of the number of
  iterations and of adversaries (restarts) on a fixed sample of test instances of a trained run, so a reader
  sees whether a difference from the paper comes from the model or from the search.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from ..explain import adversarial_over_split, max_jsd_within
from ..paper.jain_wallace import FIGURE_EPSILON, MAX_ATTENTION_EDGES
from ..plumbing.io import read_json, read_or_discard, write_json
from ..results.analyses import sample_indices
from ..results.fingerprint import ANALYSIS_CODE, code_fingerprint
from .experiments import Result, experiment_finished, train_and_analyse_experiments
from .presets import ABLATIONS, Experiment, get_preset
from .scorecard import our_numbers

__all__ = ["HIGH_ATTENTION", "ablation_experiments", "ablation_results", "ablation_table", "adversary_strength", "all_ablation_results",
           "gap_explanations", "strength_configurations", "strength_sweep", "top_bin_composition"]

#: The columns of :func:`adversary_strength`.
STRENGTH_COLUMNS = ["iterations", "adversaries", "median", "mean", "high_median", "n", "n_high"]

#: Instances whose largest attention weight is at least this are the top max-attention bin of the paper's plots.
HIGH_ATTENTION = MAX_ATTENTION_EDGES[-2]


def _computed(experiments: list, compute, seeds: int | None = None) -> list:
    """Those of an ablation's ``experiments`` that ``compute`` asks for: all when it is True, else those of its
    configurations ((encoder, attention) pairs); with ``seeds``, only seeds 0 … seeds-1 of them."""
    wanted = set(compute or ()) if compute is not True else None
    return [e for e in experiments if (wanted is None or (e.run.encoder, e.run.attention) in wanted)
            and (seeds is None or e.run.seed < seeds)]


def ablation_results(name: str, available: set[str], *, compute=True, seeds: int | None = None, data_dir=None,
                     runs_dir=None, device: str = "auto", progress: bool = True) -> list[Result]:
    """The experiments of ablation ``name`` on the ``available`` datasets, trained and analysed where missing when
    ``compute`` is True, or only those of ``compute``'s configurations ((encoder, attention) pairs) when it is a
    collection of them, and with ``seeds`` only its seeds 0 … seeds-1; the others only where already finished in
    ``runs_dir`` (nothing else is trained)."""
    experiments = ABLATIONS[name].experiments(available)
    computed = _computed(experiments, compute, seeds)
    chosen = [e for e in experiments if e in computed or experiment_finished(e, data_dir=data_dir, runs_dir=runs_dir)]
    return train_and_analyse_experiments(chosen, data_dir=data_dir, runs_dir=runs_dir, device=device,
                                         progress=progress)


def _preset_computes(preset: str, name: str, every: bool = False):
    """What the scorecard of ``preset`` computes of ablation ``name`` (``compute`` of :func:`ablation_results`)."""
    chosen = get_preset(preset)
    if every or chosen.ablations == "all":
        return True
    return chosen.configurations if name in chosen.ablations else ()


def ablation_experiments(preset: str, available: set[str]) -> list[tuple[str, Experiment]]:
    """``(ablation name, experiment)`` for every ablation experiment the scorecard of ``preset`` trains and analyses
    on the ``available`` datasets (what a book build computes before the chapters)."""
    seeds = get_preset(preset).ablation_seeds
    return [(name, e) for name in ABLATIONS
            for e in _computed(ABLATIONS[name].experiments(available), _preset_computes(preset, name), seeds)]


def gap_explanations(card: pd.DataFrame, ablations: dict[str, list[Result]]) -> pd.DataFrame:
    """For every row of the scorecard ``card`` out of tolerance, what each ablation did to that number.

    Parameters
    ----------
    card : DataFrame
        :func:`~attnlib.book.scorecard.scorecard` of the baseline runs (the paper's settings).
    ablations : dict of name to list of Result
        Each ablation's results (every seed).

    Returns
    -------
    DataFrame with one row per out-of-tolerance number that an ablation covers: the scorecard's keys, ``ours``,
    ``paper``, then per ablation ``<name>`` (its seed mean), and ``closest`` (the ablation whose value is nearest
    the paper's), ``moved`` (its value minus ours), ``nearer`` (whether it is nearer the paper's value than ours:
    when not, no ablation moved the number towards the paper), ``now_within`` (whether it is within the
    tolerance). Rows no ablation covers are left out.
    """
    keys = ["kind", "dataset", "encoder", "attention", "quantity", "group"]
    gaps = card[~card["within_tolerance"]][[*keys, "ours", "paper", "tolerance"]].copy()
    for name, results in ablations.items():
        if not results:
            continue
        numbers = pd.concat([our_numbers(r) for r in results], ignore_index=True).dropna(subset=["value"])
        means = numbers.groupby(keys, sort=False)["value"].mean().rename(name).reset_index()
        gaps = gaps.merge(means, on=keys, how="left")
    names = [n for n in ablations if n in gaps.columns]
    gaps = gaps.dropna(subset=names, how="all").reset_index(drop=True)
    if gaps.empty or not names:
        return gaps.assign(closest=pd.Series(dtype=object), moved=pd.Series(dtype=float),
                           nearer=pd.Series(dtype=bool), now_within=pd.Series(dtype=bool))
    distance = pd.DataFrame({n: (gaps[n] - gaps["paper"]).abs() for n in names})
    gaps["closest"] = distance.idxmin(axis=1)
    closest_value = np.array([gaps.at[i, c] for i, c in gaps["closest"].items()], dtype=float)
    gaps["moved"] = closest_value - gaps["ours"]
    gaps["nearer"] = np.abs(closest_value - gaps["paper"]) < (gaps["ours"] - gaps["paper"]).abs()
    gaps["now_within"] = np.abs(closest_value - gaps["paper"]) <= gaps["tolerance"]
    return gaps.drop(columns=["tolerance"])


def adversary_strength(result: Result, *, iterations=(50, 150, 500, 1500), adversaries=(1, 5, 10), limit: int = 300,
                       epsilon: float = FIGURE_EPSILON, progress: bool = False) -> pd.DataFrame:
    """The max JSD within ``epsilon`` found by searches of different strength on the same test instances.

    The searches run on a seeded sample (seed 0) of ``limit`` of the instances ``result``'s analysis covers, with
    the paper's learning rate; the result is cached in the run's folder under a key of these
    settings and of the analysis code (:data:`~attnlib.results.fingerprint.ANALYSIS_CODE`).

    Returns
    -------
    DataFrame with columns ``iterations, adversaries, median, mean, high_median, n, n_high``: the median and mean
    max JSD over the sample and the median over its instances whose max attention is at least
    :data:`HIGH_ATTENTION` (``n_high`` of them; NaN when there are none).
    """
    settings = {"iterations": list(iterations), "adversaries": list(adversaries), "limit": limit,
                "epsilon": epsilon, "code": code_fingerprint(ANALYSIS_CODE)}
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]
    cache = result.run.directory / f"adversary-strength-{key}.json"
    if cache.exists():
        saved = read_or_discard(lambda: pd.DataFrame(read_json(cache))[STRENGTH_COLUMNS], cache,
                                remedy="the adversary's strength is measured again")
        if saved is not None:
            return saved
    analysis = result.analysis
    rows_chosen = sample_indices(len(analysis.indices), limit, 0)
    sample = result.run.dataset.split(analysis.config.split).subset(analysis.indices[rows_chosen])
    high = analysis.results["max_attention"][rows_chosen] >= HIGH_ATTENTION
    model = result.run.model
    rows = []
    for n_adversaries in adversaries:
        for n_iterations in iterations:
            found = adversarial_over_split(model, sample, n_adversaries=n_adversaries, n_iterations=n_iterations,
                                           seed=0, device=result.run.device, progress=progress)
            best = max_jsd_within(found.jsd, found.tvd, epsilon)
            rows.append({"iterations": n_iterations, "adversaries": n_adversaries, "median": float(np.median(best)),
                         "mean": float(best.mean()),
                         "high_median": float(np.median(best[high])) if high.any() else float("nan"),
                         "n": int(len(best)), "n_high": int(high.sum())})
    write_json(cache, rows)
    return pd.DataFrame(rows)[STRENGTH_COLUMNS]


def all_ablation_results(preset: str, available: set[str], *, every: bool = False, data_dir=None, runs_dir=None,
                         device: str = "auto", progress: bool = True) -> dict[str, list[Result]]:
    """:func:`ablation_results` of every ablation of ``presets.toml``, by name: computed as the preset asks
    (:attr:`~attnlib.book.presets.Preset.ablations`: all of them, or the named ones for its own configurations;
    :attr:`~attnlib.book.presets.Preset.ablation_seeds` of each), or all of them with ``every``; the others only
    where already finished."""
    seeds = None if every else get_preset(preset).ablation_seeds
    return {name: ablation_results(name, available, data_dir=data_dir, runs_dir=runs_dir, device=device,
                                   progress=progress, compute=_preset_computes(preset, name, every), seeds=seeds)
            for name in ABLATIONS}


def ablation_table(ablated: dict[str, list[Result]]) -> pd.DataFrame:
    """One row per ablation: what it changes, its configurations and datasets, and how many runs it has here."""
    return pd.DataFrame([{"ablation": name, "changes": ABLATIONS[name].description,
                          "configurations": ", ".join(f"{e}+{a}" for e, a in ABLATIONS[name].configurations),
                          "datasets": ", ".join(ABLATIONS[name].datasets), "runs": len(ablated.get(name, ()))}
                         for name in ABLATIONS])


def strength_configurations(preset: str, every: bool = False) -> tuple:
    """The (dataset, encoder, attention) whose adversary strength the scorecard sweeps with ``preset``
    (:attr:`~attnlib.book.presets.Preset.strength`), or the paper preset's with ``every``."""
    return get_preset("paper" if every else preset).strength


def strength_sweep(results: list[Result], configurations) -> pd.DataFrame:
    """:func:`adversary_strength` of each of ``configurations`` ((dataset, encoder, attention)) among ``results``
    (the first seed's), with a ``configuration`` column; empty when none is there."""
    wanted = {tuple(c) for c in configurations}
    chosen = [r for r in results if (r.dataset, r.encoder, r.attention) in wanted]
    if not chosen:
        return pd.DataFrame()
    return pd.concat([adversary_strength(r).assign(configuration=r.label) for r in chosen], ignore_index=True)


#: Finer bins inside the top max-attention bin, for :func:`top_bin_composition`.
TOP_BIN_EDGES = (HIGH_ATTENTION, 0.9, 0.97, 1.0)


def top_bin_composition(result: Result, epsilon: float = FIGURE_EPSILON) -> pd.DataFrame:
    """How the max JSD within ``epsilon`` falls as attention becomes peakier inside the top max-attention bin: the
    instances and median max JSD per finer bin of :data:`TOP_BIN_EDGES` (the last closed)."""
    frame = result.analysis.instances
    peaky = frame[frame.max_attention >= HIGH_ATTENTION]
    labels = [f"[{low:.2f}, {high:.2f})" for low, high in zip(TOP_BIN_EDGES[:-2], TOP_BIN_EDGES[1:-1])]
    labels.append(f"≥ {TOP_BIN_EDGES[-2]:.2f}")
    cut = pd.cut(peaky.max_attention, [*TOP_BIN_EDGES[:-1], TOP_BIN_EDGES[-1] + 1e-4], right=False, labels=labels)
    table = peaky.groupby(cut, observed=False)[result.analysis.ensure_epsilon(epsilon)].agg(["size", "median"])
    table.index.name = f"max attention (seed {result.seed})"
    return table
