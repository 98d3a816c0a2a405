"""The experiments of a preset: trained and analysed (or loaded), and the results chapters read.

:func:`run_experiment` trains (or loads) one experiment's run and analyses (or loads) it; :func:`train_and_analyse`
does so for every experiment of a preset over the available datasets, and :class:`Result` is what chapters,
findings, slides and the explorer read: the experiment, its run and its analysis.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..data import load_dataset
from ..results.analyses import Analysis, analyse_run, analysis_directory, analysis_finished
from ..results.runs import Run, open_run, run_directory, run_finished
from .presets import Experiment, available_datasets, get_preset

__all__ = ["Result", "experiment_finished", "find", "left_out_note", "one_seed", "run_experiment", "train_and_analyse",
           "train_and_analyse_experiments"]


def run_experiment(experiment: Experiment, *, data_dir=None, runs_dir=None, device="auto", progress=True,
                   dataset=None):
    """Train (or load) and analyse (or load) one experiment; returns ``(run, analysis)``. ``dataset``: the
    experiment's prepared dataset when the caller has loaded it already."""
    run = open_run(experiment.run, data_dir=data_dir, runs_dir=runs_dir, device=device, progress=progress,
                   dataset=dataset)
    return run, analyse_run(run, experiment.analysis, progress=progress)


def experiment_finished(experiment: Experiment, *, data_dir=None, runs_dir=None, dataset=None) -> bool:
    """Whether ``experiment`` is trained and analysed in ``runs_dir`` (so loading it computes nothing).
    ``dataset``: the experiment's prepared dataset when the caller has loaded it already."""
    if dataset is None:
        dataset = load_dataset(experiment.run.dataset, data_dir, progress=False)
    directory, _ = run_directory(experiment.run, dataset, runs_dir)
    return run_finished(directory) and analysis_finished(analysis_directory(directory, experiment.analysis))


@dataclass
class Result:
    """A trained and analysed experiment."""

    experiment: Experiment
    run: Run
    analysis: Analysis

    @property
    def dataset(self) -> str:
        return self.experiment.run.dataset

    @property
    def encoder(self) -> str:
        return self.experiment.run.encoder

    @property
    def attention(self) -> str:
        return self.experiment.run.attention

    @property
    def seed(self) -> int:
        return self.experiment.run.seed

    @property
    def label(self) -> str:
        return self.experiment.label

    @property
    def class_names(self) -> list[str]:
        return self.run.dataset.class_names


def train_and_analyse(preset: str, *, data_dir=None, runs_dir=None, device: str = "auto", seed: int = 0,
            focus: tuple[str, str, str] | None = None, limit: int | None = None, progress: bool = True,
            whole_preset: bool = True, left_out: list | None = None) -> list[Result]:
    """Every experiment of ``preset`` on the available datasets, every seed, trained and analysed.

    Finished runs and analyses are loaded, missing ones computed. ``seed`` is the seed a chapter shows one
    run of: when the preset does not train it, its experiments are added (only ``focus``'s unless
    ``whole_preset``). ``limit`` replaces the preset's number of analysed test instances; ``focus`` is a
    (dataset, encoder, attention) added if the preset lacks it. With ``whole_preset=False`` only ``focus`` is
    computed if missing; the preset's other experiments are included when already finished and otherwise
    appended to ``left_out`` (a list of :class:`Experiment`).
    """
    chosen = get_preset(preset)
    experiments = chosen.experiments(available_datasets(data_dir))
    have = {_identity(e) for e in experiments}
    extra = [chosen.experiment(*configuration, seed=seed)
             for configuration in dict.fromkeys(_identity(e)[:3] for e in experiments)]
    if focus is not None:
        extra.append(chosen.experiment(*focus, seed=seed))
    for experiment in extra:
        if _identity(experiment) not in have:
            have.add(_identity(experiment))
            experiments.append(experiment)
    if limit is not None:
        experiments = [replace(e, analysis=replace(e.analysis, limit=limit)) for e in experiments]
    chosen = []
    for experiment in experiments:
        is_focus = focus is not None and _identity(experiment) == (*focus, seed)
        if whole_preset or is_focus or experiment_finished(experiment, data_dir=data_dir, runs_dir=runs_dir):
            chosen.append(experiment)
        elif left_out is not None:
            left_out.append(experiment)
    return train_and_analyse_experiments(chosen, data_dir=data_dir, runs_dir=runs_dir, device=device, progress=progress)


def train_and_analyse_experiments(experiments: list[Experiment], *, data_dir=None, runs_dir=None, device: str = "auto",
                        progress: bool = True) -> list[Result]:
    """``experiments`` trained and analysed (finished runs and analyses are loaded, missing ones computed)."""
    results = []
    for experiment in experiments:
        run, analysis = run_experiment(experiment, data_dir=data_dir, runs_dir=runs_dir, device=device,
                                       progress=progress)
        results.append(Result(experiment, run, analysis))
    return results


def _identity(experiment: Experiment) -> tuple[str, str, str, int]:
    run = experiment.run
    return run.dataset, run.encoder, run.attention, run.seed


def one_seed(results: list[Result], seed: int = 0) -> list[Result]:
    """The results of one seed, in the order of ``results``."""
    return [r for r in results if r.seed == seed]


def left_out_note(left_out: list, preset: str) -> str:
    """Markdown saying which experiments of ``preset`` a chapter left out, and how to include them ("" if none)."""
    if not left_out:
        return ""
    labels = ", ".join(e.label for e in left_out)
    return (f"*This page was computed for one configuration: {len(left_out)} experiment(s) of the `{preset}` preset "
            f"were not in the runs folder yet and are left out ({labels}). Re-run the chapter with "
            "`-p whole_preset True` to train and analyse them too.*")


def find(results: list[Result], dataset: str, encoder: str, attention: str, seed: int = 0) -> Result:
    """The result of one configuration and seed."""
    for result in results:
        if (result.dataset, result.encoder, result.attention, result.seed) == (dataset, encoder, attention, seed):
            return result
    have = ", ".join(r.label for r in results)
    raise ValueError(f"no result for {dataset} {encoder}+{attention} seed {seed}; the results hold {have}")
