"""The critique chapter's runs and tables: Wiegreffe & Pinter's four tests on a preset's models.

:func:`critique_plan` lists, per dataset of the preset's :class:`~attnlib.book.presets.Critique` settings and in
the order they depend on each other, every run the tests need: the learned (``tanh``) and uniform models of each
encoder and seed, the diagnostic MLPs (the Average encoder) pooling with the seed-0 BiLSTM's attention, the
model-consistent adversaries of that BiLSTM (one per λ), and the diagnostic MLPs pooling with the attention of the
adversary of ``imposed_lambda``. :func:`run_critique` trains what is missing (finished runs are loaded) and measures:

* ``performance``: test macro-F1 of learned against uniform attention, per encoder and seed (W&P §3.1);
* ``diagnostic``: test macro-F1 of the MLP with its own learned weights, uniform weights, the BiLSTM's and the
  adversary's (§3.3);
* ``divergence``: per analysed test instance, attention JSD and output TVD from the seed-0 BiLSTM of the BiLSTMs of
  other seeds (§3.2), of Jain & Wallace's per-instance adversary within ε, and of each model-consistent adversary
  (§4);
* ``adversaries``: per λ, the adversary's macro-F1 and its mean JSD and TVD from the base model.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..critique.measures import divergence_between_models
from ..critique.runs import IMPOSED, CritiqueConfig, critique_directory, open_any_run
from ..critique.uniform import UNIFORM
from ..data import is_classification, load_dataset
from ..models import ENCODERS
from ..plumbing.errors import ConfigError
from ..results.analyses import analyse_run
from ..results.runs import Run, RunConfig, run_directory, run_finished
from .presets import available_datasets, get_preset

__all__ = ["BASE_ENCODER", "DIAGNOSTIC_ENCODER", "EPSILON", "CritiqueResults", "PlannedRun", "critique_plan",
           "chapter_choices", "run_critique", "weights_label"]

#: The encoder whose attention the diagnostic imposes and the adversaries follow (W&P: the BiLSTM).
BASE_ENCODER = "lstm"
#: The diagnostic classifier: the Average encoder, an MLP over each token's embedding alone (W&P §3.3).
DIAGNOSTIC_ENCODER = "average"
#: Jain & Wallace's output bound for their per-instance adversary in the seed comparison (their Figure 8's 0.05).
EPSILON = 0.05


@dataclass(frozen=True)
class PlannedRun:
    """One run of the plan: its configuration and its role in the tests.

    ``role`` is ``learned``, ``uniform``, ``imposed`` (pooling with the base BiLSTM's attention), ``adversary`` or
    ``imposed_adversary`` (pooling with the adversary's attention). ``base_of`` names the planned run (by its
    position in the plan) that is this run's base, for the two imposed roles and the adversaries.
    """

    config: RunConfig | CritiqueConfig
    role: str
    base_of: int | None = None

    @property
    def dataset(self) -> str:
        return self.run.dataset

    @property
    def run(self) -> RunConfig:
        return self.config.run if isinstance(self.config, CritiqueConfig) else self.config

    @property
    def label(self) -> str:
        seed = f" seed {self.run.seed}" if self.run.seed else ""
        if self.role in ("imposed", "imposed_adversary"):
            source = "BiLSTM" if self.role == "imposed" else "adversary"
            return f"{self.run.dataset} {self.run.encoder} with the {source}'s attention{seed}"
        if self.role == "adversary":
            return self.config.label
        return f"{self.run.dataset} {self.run.encoder}+{self.run.attention}{seed}"


def _chosen_datasets(settings, datasets, data_dir) -> list[str]:
    available = available_datasets(data_dir)
    if datasets is not None:
        unknown = [d for d in datasets if d not in available]
        if unknown:
            raise ConfigError(f"the critique cannot use {', '.join(unknown)}: not an available dataset "
                              f"(available: {', '.join(sorted(available))}); run `attnlib datasets`")
        pairs = [d for d in datasets if not is_classification(d)]
        if pairs:
            raise ConfigError(f"the critique's tests are for classification datasets; {', '.join(pairs)} "
                              "is a question-answering or inference task")
        return list(datasets)
    return [d for d in settings.datasets if d in available]


def chapter_choices(datasets: str = "", lambdas: str = "", seeds: int = 0, encoders: str = "") -> dict:
    """The critique chapter's parameters as :func:`run_critique` options (empty or 0: the preset's choice).

    ``datasets``, ``lambdas`` and ``encoders`` are comma-separated (``"sst,agnews"``, ``"0.001,0.1"``,
    ``"lstm,cnn"``); one :class:`ConfigError` line for a value that is not one.
    """
    choices = {}
    if str(datasets).strip():
        choices["datasets"] = [d.strip() for d in str(datasets).split(",") if d.strip()]
    if str(encoders).strip():
        choices["encoders"] = [e.strip() for e in str(encoders).split(",") if e.strip()]
        unknown = [e for e in choices["encoders"] if e not in ENCODERS]
        if unknown:
            raise ConfigError(f"parameter encoders={encoders!r} names unknown encoders {', '.join(unknown)}; choose "
                              f"among {', '.join(ENCODERS)}")
    if str(lambdas).strip():
        try:
            choices["lambdas"] = [float(v) for v in str(lambdas).split(",") if v.strip()]
        except ValueError:
            raise ConfigError(f"parameter lambdas={lambdas!r} must be numbers separated by commas, such as "
                              "0.001,0.01,0.1") from None
        if not choices["lambdas"] or any(not np.isfinite(v) or v < 0 for v in choices["lambdas"]):
            raise ConfigError(f"parameter lambdas={lambdas!r} must be numbers >= 0")
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 0:
        raise ConfigError(f"parameter seeds={seeds!r} must be a whole number >= 0 (0: the preset's)")
    if seeds:
        choices["seeds"] = int(seeds)
    return choices


def critique_plan(preset: str, *, datasets=None, encoders=None, seeds: int | None = None, lambdas=None,
                  data_dir=None) -> list[PlannedRun]:
    """Every run the critique of ``preset`` needs, bases before the runs built on them.

    ``datasets``, ``encoders``, ``seeds`` and ``lambdas`` replace the preset's critique settings (``None``: keep
    them); the BiLSTM is always trained (the diagnostic and the adversaries follow it). A placeholder base (its
    position in the plan, ``base_of``) stands for a base run's directory until :func:`run_critique` knows it.
    """
    chosen = get_preset(preset)
    settings = chosen.critique
    if settings is None:
        raise ConfigError(f"preset {preset!r} has no critique settings; use the default or paper preset, or add a "
                          "critique entry to presets.toml")
    if lambdas is not None:
        settings = replace(settings, lambdas=tuple(lambdas),
                           imposed_lambda=settings.imposed_lambda if settings.imposed_lambda in lambdas else lambdas[0])
    if seeds is not None:
        settings = replace(settings, seeds=int(seeds))
    encoders = tuple(dict.fromkeys((BASE_ENCODER, *(encoders or settings.encoders), DIAGNOSTIC_ENCODER)))
    plan: list[PlannedRun] = []
    for dataset in _chosen_datasets(settings, datasets, data_dir):
        learned = {(e, s): chosen.experiment(dataset, e, "tanh", s).run for e in encoders for s in range(settings.seeds)}
        for (encoder, seed), run in learned.items():
            plan.append(PlannedRun(run, "learned"))
            plan.append(PlannedRun(CritiqueConfig(replace(run, attention=UNIFORM)), "uniform"))
        base = next(i for i, p in enumerate(plan) if p.dataset == dataset and p.role == "learned"
                    and p.run.encoder == BASE_ENCODER and p.run.seed == 0)
        for seed in range(settings.seeds):
            imposed = replace(learned[(DIAGNOSTIC_ENCODER, seed)], attention=IMPOSED)
            plan.append(PlannedRun(CritiqueConfig(imposed, base=f"#{base}"), "imposed", base))
        adversary_run = learned[(BASE_ENCODER, 0)]
        if settings.adversary_epochs is not None:
            adversary_run = replace(adversary_run, epochs=settings.adversary_epochs)
        for lam in settings.lambdas:
            plan.append(PlannedRun(CritiqueConfig(adversary_run, base=f"#{base}", lam=float(lam),
                                                  patience=settings.patience), "adversary", base))
            if lam == settings.imposed_lambda:
                adversary = len(plan) - 1
        for seed in range(settings.seeds):
            imposed = replace(learned[(DIAGNOSTIC_ENCODER, seed)], attention=IMPOSED)
            plan.append(PlannedRun(CritiqueConfig(imposed, base=f"#{adversary}"), "imposed_adversary", adversary))
    return plan


def weights_label(role: str, lam: float | None = None) -> str:
    """How the diagnostic chapter names the pooling weights of a role."""
    return {"learned": "learned (its own)", "uniform": "uniform", "imposed": "imposed: BiLSTM+tanh",
            "imposed_adversary": f"imposed: adversary λ={lam:g}" if lam is not None else "imposed: adversary"}[role]


@dataclass
class CritiqueResults:
    """What :func:`run_critique` measured; every table has a ``dataset`` column."""

    performance: pd.DataFrame
    diagnostic: pd.DataFrame
    divergence: pd.DataFrame
    adversaries: pd.DataFrame
    runs: list = field(default_factory=list)

    @property
    def datasets(self) -> list[str]:
        return list(dict.fromkeys(self.performance["dataset"]))


def _resolved_config(planned: PlannedRun, opened: dict) -> RunConfig | CritiqueConfig:
    if planned.base_of is None:
        return planned.config
    return replace(planned.config, base=opened[planned.base_of].directory.name)


def _is_finished(config, dataset, runs_dir) -> bool:
    if isinstance(config, CritiqueConfig):
        return run_finished(critique_directory(config, dataset, runs_dir)[0])
    return run_finished(run_directory(config, dataset, runs_dir)[0])


def _seed_and_adversary_divergence(dataset_name: str, base: Run, analysis, seeds: list[Run],
                                   adversaries: list[tuple[float, Run]]) -> pd.DataFrame:
    subset = base.dataset.split(analysis.config.split).subset(analysis.indices)
    frames = []
    for other in seeds:
        frame = divergence_between_models(other.model, base.model, subset, device=base.device)
        frames.append(frame.assign(source="seed", seed=other.config["seed"], lam=np.nan))
    jw = [analysis.adversary(row, EPSILON)[1:] for row in range(len(analysis.indices))]
    frames.append(pd.DataFrame({"row": np.arange(len(jw)), "jsd": [j for j, _ in jw], "tvd": [t for _, t in jw],
                                "source": "per-instance adversary", "seed": 0, "lam": np.nan}))
    for lam, adversary in adversaries:
        frame = divergence_between_models(adversary.model, base.model, subset, device=base.device)
        frames.append(frame.assign(source="consistent adversary", seed=0, lam=lam))
    table = pd.concat(frames, ignore_index=True)
    table["index"] = np.asarray(analysis.indices)[table["row"].to_numpy()]
    return table.drop(columns="row").assign(dataset=dataset_name)


def run_critique(preset: str = "default", *, datasets=None, encoders=None, seeds: int | None = None,
                 lambdas=None, data_dir=None, runs_dir=None, device: str = "auto", progress: bool = True,
                 on_run=None) -> CritiqueResults:
    """Train (or load) every run of :func:`critique_plan` and measure W&P's four tests.

    ``on_run(planned, run, seconds, reused)`` is called after each run is opened (the book's timeline). The
    seed-to-seed and adversary divergences are measured on the instances the preset analyses of the seed-0
    BiLSTM+tanh (its analysis is computed if missing).

    Returns
    -------
    CritiqueResults
        ``performance``: ``dataset, encoder, attention, seed, macro_f1``; ``diagnostic``: ``dataset, weights,
        seed, macro_f1``; ``divergence``: ``dataset, source, seed, lam, index, jsd, tvd``; ``adversaries``:
        ``dataset, lam, macro_f1, base_macro_f1, epochs_run, mean_jsd, median_jsd, mean_tvd, median_tvd``.
    """
    plan = critique_plan(preset, datasets=datasets, encoders=encoders, seeds=seeds, lambdas=lambdas,
                         data_dir=data_dir)
    chosen = get_preset(preset)
    opened: dict[int, Run] = {}
    loaded = {}
    bar = tqdm(plan, desc="critique", disable=not progress)
    for number, planned in enumerate(bar):
        bar.set_postfix_str(planned.label)
        if planned.dataset not in loaded:
            loaded[planned.dataset] = load_dataset(planned.dataset, data_dir, progress=progress)
        dataset = loaded[planned.dataset]
        config = _resolved_config(planned, opened)
        reused = _is_finished(config, dataset, runs_dir)
        started = time.perf_counter()
        opened[number] = open_any_run(config, runs_dir=runs_dir, device=device, progress=progress, dataset=dataset)
        if on_run is not None:
            on_run(planned, opened[number], time.perf_counter() - started, reused)
    performance, diagnostic, adversaries, divergence = [], [], [], []
    for dataset_name in dict.fromkeys(p.dataset for p in plan):
        mine = [(i, p) for i, p in enumerate(plan) if p.dataset == dataset_name]
        base_number = next(i for i, p in mine if p.role == "learned" and p.run.encoder == BASE_ENCODER
                           and p.run.seed == 0)
        base = opened[base_number]
        for number, planned in mine:
            f1 = opened[number].metrics["macro_f1"]
            if planned.role in ("learned", "uniform"):
                performance.append({"dataset": dataset_name, "encoder": planned.run.encoder,
                                    "attention": "uniform" if planned.role == "uniform" else "tanh",
                                    "seed": planned.run.seed, "macro_f1": f1})
            if planned.run.encoder == DIAGNOSTIC_ENCODER and planned.role != "adversary":
                lam = plan[planned.base_of].config.lam if planned.role == "imposed_adversary" else None
                diagnostic.append({"dataset": dataset_name, "weights": weights_label(planned.role, lam),
                                   "seed": planned.run.seed, "macro_f1": f1})
            if planned.role == "adversary":
                consistency = opened[number].metrics["consistency"]
                adversaries.append({"dataset": dataset_name, "lam": planned.config.lam, "macro_f1": f1,
                                    "base_macro_f1": base.metrics["macro_f1"],
                                    "epochs_run": opened[number].metrics["epochs_run"], **consistency})
        analysis = analyse_run(base, chosen.experiment(dataset_name, BASE_ENCODER, "tanh").analysis,
                               progress=progress)
        seed_runs = [opened[i] for i, p in mine if p.role == "learned" and p.run.encoder == BASE_ENCODER
                     and p.run.seed != 0]
        adversary_runs = [(p.config.lam, opened[i]) for i, p in mine if p.role == "adversary"]
        divergence.append(_seed_and_adversary_divergence(dataset_name, base, analysis, seed_runs, adversary_runs))
    columns = ["dataset", "source", "seed", "lam", "index", "jsd", "tvd"]
    return CritiqueResults(pd.DataFrame(performance), pd.DataFrame(diagnostic),
                           pd.concat(divergence, ignore_index=True)[columns] if divergence
                           else pd.DataFrame(columns=columns),
                           pd.DataFrame(adversaries), [opened[i] for i in sorted(opened)])
