"""The book's presets, read from ``presets.toml`` beside this module: the one place that says what each runs.

A :class:`Preset` names configurations (encoder, attention), datasets and how many seeds each dataset is trained
with; :meth:`Preset.experiments` turns them into :class:`Experiment` objects (a :class:`~attnlib.results.runs.RunConfig`
and an :class:`~attnlib.results.analyses.AnalysisConfig`) for the datasets that are available. Runs of different seeds
differ only in their seed (initial weights, batch order); their analyses use the same analysis seed, so they are
analysed on the same test instances.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources

from ..data import DATASET_NAMES, PLANTED_NAMES, known_dataset
from ..plumbing.errors import ConfigError
from ..results.analyses import AnalysisConfig
from ..results.runs import RunConfig

__all__ = ["Experiment", "Critique", "Faithfulness", "Preset", "PRESETS", "ABLATIONS", "get_preset", "available_datasets"]


@dataclass(frozen=True)
class Experiment:
    """One configuration of a preset: what to train and how to analyse it."""

    run: RunConfig
    analysis: AnalysisConfig = AnalysisConfig()

    @property
    def label(self) -> str:
        """``sst lstm+tanh``, with `` seed N`` for seeds other than 0."""
        seed = f" seed {self.run.seed}" if self.run.seed else ""
        return f"{self.run.dataset} {self.run.encoder}+{self.run.attention}{seed}"


@dataclass(frozen=True)
class Critique:
    """What the critique chapter trains (Wiegreffe & Pinter's tests, :mod:`attnlib.book.critique`).

    Attributes
    ----------
    datasets : tuple of str
        Classification datasets.
    encoders : tuple of str
        Trained with learned (``tanh``) and with uniform attention, every seed.
    seeds : int
        Seeds 0 … seeds-1 of the learned, uniform and diagnostic models (the BiLSTM's seeds give the seed
        variance).
    lambdas : tuple of float
        The model-consistent adversaries' λ grid (one adversary of the seed-0 BiLSTM+tanh per λ).
    imposed_lambda : float
        The λ of the adversary whose attention the diagnostic imposes (item (d)).
    adversary_epochs : int, optional
        The adversaries' most epochs (W&P: 80); default the paper's training epochs.
    patience : int
        The adversaries' early stopping (W&P: 10 epochs).
    """

    datasets: tuple[str, ...]
    encoders: tuple[str, ...] = ("lstm", "average")
    seeds: int = 3
    lambdas: tuple[float, ...] = (0.001, 0.01, 0.1)
    imposed_lambda: float = 0.001
    adversary_epochs: int | None = None
    patience: int = 10

    def __post_init__(self):
        for value in (*self.lambdas, self.imposed_lambda):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"critique λ values must be numbers >= 0; got {value!r}")
        if self.imposed_lambda not in self.lambdas:
            raise ConfigError(f"critique imposed_lambda {self.imposed_lambda} must be one of lambdas {self.lambdas}")
        if self.seeds < 1:
            raise ConfigError(f"critique seeds must be at least 1; got {self.seeds}")


@dataclass(frozen=True)
class Faithfulness:
    """What the faithfulness chapter measures (:mod:`attnlib.book.faithfulness`).

    Attributes
    ----------
    datasets : tuple of str
        Classification datasets, the planted tasks among them.
    encoders, attentions : tuple of str
        Every combination is trained (seed 0, the preset's run settings for the dataset) and measured.
    limit : int, optional
        A seeded sample of this many test instances per model (None: the whole test split).
    """

    datasets: tuple[str, ...]
    encoders: tuple[str, ...] = ("lstm", "cnn", "average")
    attentions: tuple[str, ...] = ("tanh",)
    limit: int | None = None

    def __post_init__(self):
        if self.limit is not None and (isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1):
            raise ConfigError(f"faithfulness limit must be a whole number >= 1; got {self.limit!r}")


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
    seeds : dict of dataset to int
        How many seeds (0, 1, ...) each dataset's configurations are trained with (``"*"``: every dataset;
        1 when not given).
    ablations : tuple of str, or "all"
        The ablations (:data:`ABLATIONS`) the scorecard chapter trains and analyses with this preset: ``"all"`` runs
        every ablation as ``presets.toml`` defines it; named ones run only for this preset's configurations.
    ablation_seeds : int, optional
        Only seeds 0 … ablation_seeds-1 of each ablation are trained (None: the ablation's own seeds).
    strength : tuple of (dataset, encoder, attention)
        The configurations whose adversary strength the scorecard chapter sweeps.
    critique : Critique, optional
        What the critique chapter trains; ``None``: nothing (the chapter says so).
    faithfulness : Faithfulness, optional
        What the faithfulness chapter measures; ``None``: nothing (the chapter says so).
    """

    name: str
    description: str
    configurations: tuple[tuple[str, str], ...]
    datasets: tuple[str, ...] = DATASET_NAMES
    run_overrides: dict = field(default_factory=dict)
    analysis_overrides: dict = field(default_factory=dict)
    seeds: dict = field(default_factory=dict)
    ablations: tuple[str, ...] | str = ()
    ablation_seeds: int | None = None
    strength: tuple[tuple[str, str, str], ...] = ()
    critique: Critique | None = None
    faithfulness: Faithfulness | None = None

    def n_seeds(self, dataset: str) -> int:
        """How many seeds ``dataset`` is trained with."""
        return int(self.seeds.get(dataset, self.seeds.get("*", 1)))

    def experiment(self, dataset: str, encoder: str, attention: str, seed: int = 0) -> Experiment:
        """The experiment of one configuration and seed with this preset's settings for ``dataset``."""
        run_fields = {**self.run_overrides.get("*", {}), **self.run_overrides.get(dataset, {})}
        analysis_fields = {**self.analysis_overrides.get("*", {}), **self.analysis_overrides.get(dataset, {})}
        run = RunConfig(dataset=dataset, encoder=encoder, attention=attention, seed=seed, **run_fields)
        return Experiment(run, AnalysisConfig(**analysis_fields))

    def experiments(self, available: set[str] | None = None) -> list[Experiment]:
        """The experiments over the datasets in ``available`` (default: all of the preset's), every seed, seed 0
        of every dataset first (so a build shows one seed of everything before the others)."""
        chosen = [d for d in self.datasets if available is None or d in available]
        n_max = max((self.n_seeds(d) for d in chosen), default=1)
        return [self.experiment(dataset, encoder, attention, seed)
                for seed in range(n_max) for dataset in chosen if seed < self.n_seeds(dataset)
                for encoder, attention in self.configurations]


def _read_table() -> dict:
    return tomllib.loads(resources.files(__package__).joinpath("presets.toml").read_text(encoding="utf-8"))


def _read_settings(name: str, entry: dict, key: str, kind):
    """The ``key`` entry of preset ``name`` (``critique``, ``faithfulness``) as a ``kind``, or None."""
    settings = entry.get(key)
    if settings is None:
        return None
    unknown = [d for d in settings.get("datasets", ()) if not known_dataset(d)]
    if unknown:
        raise ConfigError(f"preset {name!r}: {key} names unknown datasets {unknown}")
    converted = {k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()}
    try:
        return kind(**converted)
    except TypeError as error:
        raise ConfigError(f"preset {name!r}: {key} settings {sorted(settings)} are not all known ({error})") from None


def _merged(base: dict, changes: dict) -> dict:
    """``base`` with ``changes`` applied, tables merged key by key (so ``critique = { seeds = 1 }`` keeps the rest)."""
    merged = dict(base)
    for key, value in changes.items():
        both_tables = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = _merged(base[key], value) if both_tables else value
    return merged


def _resolve_bases(table: dict) -> dict:
    """Each entry with ``base = "NAME"`` replaced by preset NAME's entry with this entry's settings applied."""
    resolved = {}
    for name, entry in table.items():
        base = entry.get("base")
        if base is None:
            resolved[name] = entry
            continue
        if base not in table or "base" in table[base]:
            raise ConfigError(f"preset {name!r}: base {base!r} must be a preset of presets.toml without a base")
        resolved[name] = _merged({k: v for k, v in table[base].items() if k != "description"},
                                 {k: v for k, v in entry.items() if k != "base"})
    return resolved


def _read_presets(table: dict) -> dict[str, Preset]:
    presets = {}
    for name, entry in _resolve_bases(table).items():
        datasets = DATASET_NAMES if entry.get("datasets", "all") == "all" else tuple(entry["datasets"])
        unknown = [d for d in datasets if d not in DATASET_NAMES]
        if unknown:
            raise ConfigError(f"preset {name!r} names unknown datasets {unknown}; choose from {', '.join(DATASET_NAMES)}")
        seeds = entry.get("seeds", {})
        if not all(isinstance(n, int) and n >= 1 for n in seeds.values()):
            raise ConfigError(f"preset {name!r}: every seeds entry must be a whole number >= 1; got {seeds}")
        ablations, ablation_seeds = entry.get("ablations", ()), entry.get("ablation_seeds")
        if ablation_seeds is not None and (isinstance(ablation_seeds, bool) or not isinstance(ablation_seeds, int)
                                           or ablation_seeds < 1):
            raise ConfigError(f"preset {name!r}: ablation_seeds must be a whole number >= 1; got {ablation_seeds!r}")
        presets[name] = Preset(name, entry.get("description") or entry["changes"],
                               tuple(tuple(c) for c in entry["configurations"]), datasets,
                               entry.get("run", {}), entry.get("analysis", {}), seeds,
                               ablations if ablations == "all" else tuple(ablations), ablation_seeds,
                               tuple(tuple(c) for c in entry.get("strength", ())),
                               _read_settings(name, entry, "critique", Critique),
                               _read_settings(name, entry, "faithfulness", Faithfulness))
    return presets


_TABLE = _read_table()
PRESETS: dict[str, Preset] = _read_presets({k: v for k, v in _TABLE.items() if k != "ablation"})
"""The presets of ``presets.toml`` by name: ``quick``, ``default``, ``paper``."""

ABLATIONS: dict[str, Preset] = _read_presets(_TABLE.get("ablation", {}))
"""The ablations of ``presets.toml`` (``[ablation.NAME]``) by name, each a preset whose ``description`` says what it
changes from the paper's settings."""


def _check_ablations(presets: dict[str, Preset]) -> None:
    for preset in presets.values():
        unknown = [] if preset.ablations == "all" else [a for a in preset.ablations if a not in ABLATIONS]
        if unknown:
            raise ConfigError(f"preset {preset.name!r} names unknown ablations {unknown}; choose from {', '.join(ABLATIONS)}")


_check_ablations(PRESETS)


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


def available_datasets(data_dir=None) -> set[str]:
    """The datasets whose files are all present in ``data_dir``, and the planted tasks (they need no file)."""
    from ..data import dataset_status

    return {name for name in DATASET_NAMES if dataset_status(name, data_dir)["available"]} | set(PLANTED_NAMES)
