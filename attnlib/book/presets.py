"""The book's presets, read from ``presets.toml`` beside this module: the one place that says what each runs.

A :class:`Preset` names configurations (encoder, attention) and datasets; :meth:`Preset.experiments` turns
them into :class:`Experiment` objects (a :class:`~attnlib.runs.RunConfig` and an
:class:`~attnlib.analysis.AnalysisConfig`) for the datasets that are available.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources

from ..analysis import AnalysisConfig
from ..data import DATASET_NAMES
from ..errors import ConfigError
from ..runs import RunConfig

__all__ = ["Experiment", "Preset", "PRESETS", "get_preset", "available_datasets"]


@dataclass(frozen=True)
class Experiment:
    """One configuration of a preset: what to train and how to analyse it."""

    run: RunConfig
    analysis: AnalysisConfig = AnalysisConfig()

    @property
    def label(self) -> str:
        return f"{self.run.dataset} {self.run.encoder}+{self.run.attention}"


@dataclass(frozen=True)
class Preset:
    """A named set of experiments.

    Attributes
    ----------
    name, description : str
    configurations : tuple of (encoder, attention)
        Trained for every available dataset in ``datasets``.
    datasets : tuple of str
    run_overrides : dict of dataset to dict
        RunConfig fields replacing the paper's settings (``"*"`` applies to every dataset).
    analysis_overrides : dict of dataset to dict
        AnalysisConfig fields replacing the paper's settings (``"*"`` applies to every dataset).
    """

    name: str
    description: str
    configurations: tuple[tuple[str, str], ...]
    datasets: tuple[str, ...] = DATASET_NAMES
    run_overrides: dict = field(default_factory=dict)
    analysis_overrides: dict = field(default_factory=dict)

    def experiment(self, dataset: str, encoder: str, attention: str, seed: int = 0) -> Experiment:
        """The experiment of one configuration with this preset's settings for ``dataset``."""
        run_fields = {**self.run_overrides.get("*", {}), **self.run_overrides.get(dataset, {})}
        analysis_fields = {**self.analysis_overrides.get("*", {}), **self.analysis_overrides.get(dataset, {})}
        run = RunConfig(dataset=dataset, encoder=encoder, attention=attention, seed=seed, **run_fields)
        return Experiment(run, AnalysisConfig(seed=seed, **analysis_fields))

    def experiments(self, available: set[str] | None = None, seed: int = 0) -> list[Experiment]:
        """The experiments over the datasets in ``available`` (default: all of the preset's)."""
        chosen = [d for d in self.datasets if available is None or d in available]
        return [self.experiment(dataset, encoder, attention, seed)
                for dataset in chosen for encoder, attention in self.configurations]


def _read_presets() -> dict[str, Preset]:
    table = tomllib.loads(resources.files(__package__).joinpath("presets.toml").read_text(encoding="utf-8"))
    presets = {}
    for name, entry in table.items():
        datasets = DATASET_NAMES if entry.get("datasets", "all") == "all" else tuple(entry["datasets"])
        unknown = [d for d in datasets if d not in DATASET_NAMES]
        if unknown:
            raise ConfigError(f"preset {name!r} names unknown datasets {unknown}; choose from {', '.join(DATASET_NAMES)}")
        presets[name] = Preset(name, entry["description"], tuple(tuple(c) for c in entry["configurations"]), datasets,
                               entry.get("run", {}), entry.get("analysis", {}))
    return presets


PRESETS: dict[str, Preset] = _read_presets()
"""The presets of ``presets.toml`` by name: ``quick``, ``default``, ``paper``."""


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


def available_datasets(data_dir=None) -> set[str]:
    """The datasets whose files are all present in ``data_dir``."""
    from ..data import dataset_status

    return {name for name in DATASET_NAMES if dataset_status(name, data_dir)["available"]}
