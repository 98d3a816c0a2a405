"""The faithfulness chapter's runs and table: every explainer measured on a preset's models.

:func:`faithfulness_plan` lists the models of the preset's :class:`~attnlib.book.presets.Faithfulness` settings (every
dataset × encoder × attention, seed 0, trained with the preset's run settings for the dataset, so the paper's
datasets re-use the other chapters' runs); :func:`run_faithfulness` trains what is missing and measures every
explainer on each (:func:`~attnlib.faithfulness.faithfulness_of_run`, kept beside the run's analysis).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd
from tqdm.auto import tqdm

from ..data import PLANTED_NAMES, dataset_status, is_classification, load_dataset
from ..data.own import is_own
from ..faithfulness import FaithfulnessConfig, faithfulness_of_run
from ..faithfulness.explainers import EXPLAINERS
from ..models import ATTENTIONS, ENCODERS
from ..plumbing.errors import ConfigError
from ..results.runs import RunConfig, open_run, run_directory, run_finished
from .presets import available_datasets, get_preset

__all__ = ["FaithfulnessResults", "PlannedModel", "chapter_choices", "explainer_taus", "faithfulness_plan",
           "is_planted", "run_faithfulness"]

def is_planted(dataset: str) -> bool:
    """Whether ``dataset`` is one of the planted-token tasks (:mod:`attnlib.data.planted`: their true explanation is
    known)."""
    return dataset in PLANTED_NAMES


@dataclass(frozen=True)
class PlannedModel:
    """One model of the plan and the instances it is measured on."""

    run: RunConfig
    measure: FaithfulnessConfig

    @property
    def label(self) -> str:
        return f"{self.run.dataset} {self.run.encoder}+{self.run.attention}"


def _split_names(text: str, allowed, what: str) -> list[str]:
    names = [v.strip() for v in str(text).split(",") if v.strip()]
    unknown = [v for v in names if v not in allowed]
    if unknown:
        raise ConfigError(f"parameter {what}={text!r} names unknown {what} {', '.join(unknown)}; choose among "
                          f"{', '.join(allowed)}")
    return names


def chapter_choices(datasets: str = "", encoders: str = "", attentions: str = "", explainers: str = "",
                    limit: int = 0) -> dict:
    """The chapter's parameters as :func:`run_faithfulness` options (empty or 0: the preset's choice); comma-separated
    lists, one :class:`ConfigError` line for a value that is not one."""
    choices = {}
    if str(datasets).strip():
        choices["datasets"] = [d.strip() for d in str(datasets).split(",") if d.strip()]
    if str(encoders).strip():
        choices["encoders"] = _split_names(encoders, ENCODERS, "encoders")
    if str(attentions).strip():
        choices["attentions"] = _split_names(attentions, ATTENTIONS, "attentions")
    if str(explainers).strip():
        choices["explainers"] = _split_names(explainers, tuple(EXPLAINERS), "explainers")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ConfigError(f"parameter limit={limit!r} must be a whole number >= 0 (0: the preset's)")
    if limit:
        choices["limit"] = limit
    return choices


def faithfulness_plan(preset: str, *, datasets=None, encoders=None, attentions=None, explainers=None,
                      limit: int | None = None, data_dir=None) -> list[PlannedModel]:
    """Every model the faithfulness chapter of ``preset`` measures; the arguments replace the preset's settings."""
    chosen = get_preset(preset)
    settings = chosen.faithfulness
    if settings is None:
        raise ConfigError(f"preset {preset!r} has no faithfulness settings; use quick, default or paper, or add a "
                          "faithfulness entry to presets.toml")
    available = available_datasets(data_dir)
    if datasets is not None:
        unknown = [d for d in datasets if d not in available and not (is_own(d) and dataset_status(d)["available"])]
        if unknown:
            raise ConfigError(f"the faithfulness chapter cannot use {', '.join(unknown)}: not an available dataset "
                              f"(available: {', '.join(sorted(available))}, or file:PATH of your own labelled file); run "
                              "`attnlib datasets`")
        pairs = [d for d in datasets if not is_classification(d)]
        if pairs:
            raise ConfigError(f"the faithfulness chapter compares classification models; {', '.join(pairs)} is a "
                              "pair task (use `attnlib faithfulness` for it)")
    chosen_datasets = list(datasets) if datasets is not None else [d for d in settings.datasets if d in available]
    measure = FaithfulnessConfig(explainers=tuple(explainers or EXPLAINERS),
                                 limit=limit if limit is not None else settings.limit)
    return [PlannedModel(chosen.experiment(dataset, encoder, attention).run, measure)
            for dataset in chosen_datasets for encoder in (encoders or settings.encoders)
            for attention in (attentions or settings.attentions)]


@dataclass
class FaithfulnessResults:
    """What :func:`run_faithfulness` measured.

    Attributes
    ----------
    table : DataFrame
        ``dataset, encoder, attention, explainer, metric, value, n`` (the runs' ``faithfulness.csv`` together).
    measured : list of Faithfulness
        Per model, in plan order (per-instance arrays, for the figures).
    runs : list of Run
    """

    table: pd.DataFrame
    measured: list = field(default_factory=list)
    runs: list = field(default_factory=list)

    @property
    def datasets(self) -> list[str]:
        return list(dict.fromkeys(self.table["dataset"]))


def run_faithfulness(preset: str = "default", *, datasets=None, encoders=None, attentions=None, explainers=None,
                     limit: int | None = None, data_dir=None, runs_dir=None, device: str = "auto",
                     progress: bool = True, on_model=None) -> FaithfulnessResults:
    """Train (or load) every model of :func:`faithfulness_plan` and measure every explainer on it.

    ``on_model(planned, seconds, reused)`` is called after each model is measured (the book's timeline); ``reused``
    says whether its run was trained already.
    """
    plan = faithfulness_plan(preset, datasets=datasets, encoders=encoders, attentions=attentions,
                             explainers=explainers, limit=limit, data_dir=data_dir)
    loaded, frames, measured, runs = {}, [], [], []
    bar = tqdm(plan, desc="faithfulness", disable=not progress)
    for planned in bar:
        bar.set_postfix_str(planned.label)
        if planned.run.dataset not in loaded:
            loaded[planned.run.dataset] = load_dataset(planned.run.dataset, data_dir, progress=progress)
        dataset = loaded[planned.run.dataset]
        reused = run_finished(run_directory(planned.run, dataset, runs_dir)[0])
        started = time.perf_counter()
        run = open_run(planned.run, runs_dir=runs_dir, device=device, progress=progress, dataset=dataset)
        result = faithfulness_of_run(run, planned.measure, progress=progress)
        if on_model is not None:
            on_model(planned, time.perf_counter() - started, reused)
        frames.append(result.table.assign(dataset=planned.run.dataset, encoder=planned.run.encoder,
                                          attention=planned.run.attention))
        measured.append(result)
        runs.append(run)
    columns = ["dataset", "encoder", "attention", "explainer", "metric", "value", "n"]
    table = pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    return FaithfulnessResults(table, measured, runs)


def explainer_taus(run, preset: str, *, progress: bool = False) -> pd.DataFrame:
    """Kendall τ of every explainer with leave-one-out and with attention, for one run (the correlation chapter's
    table of all explainers).

    The instances are those the faithfulness chapter of ``preset`` measures (its ``limit``; the whole test split for a
    preset without faithfulness settings), so a book build re-uses that chapter's measures.

    Returns
    -------
    DataFrame
        One row per explainer (``attention`` first), columns ``τ with leave-one-out``, ``τ with attention`` (mean over
        the instances; NaN where an explainer is compared with itself) and ``instances``.
    """
    settings = get_preset(preset).faithfulness
    measured = faithfulness_of_run(run, FaithfulnessConfig(limit=settings.limit if settings else None),
                                   progress=progress)
    table = measured.table[measured.table["metric"].isin(["tau_loo", "tau_attention"])]
    wide = table.pivot(index="explainer", columns="metric", values="value").reindex(list(EXPLAINERS))
    wide = wide.rename(columns={"tau_loo": "τ with leave-one-out", "tau_attention": "τ with attention"})
    wide["instances"] = len(measured.indices)
    return wide[["τ with leave-one-out", "τ with attention", "instances"]].rename_axis(None)
