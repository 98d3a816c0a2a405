"""The book runner: presets of experiments, chapter execution with papermill, and the Jupyter Book build.

``attnlib book --preset NAME`` (i) trains and analyses every experiment of the preset (re-using finished
runs and analyses), (ii) executes every chapter in ``book/`` with papermill into ``book/executed/`` (which the
table of contents points to; a chapter whose source and parameters are unchanged is not executed again),
(iii) fetches the offline JavaScript assets from npm and (iv) builds the HTML book with execution off, in
strict mode. Interrupted, it resumes where it stopped.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from .analysis import AnalysisConfig
from .errors import AttnlibError, ConfigError
from .runs import RunConfig

#: Chapters in reading order (``book/<name>.ipynb``).
CHAPTERS = ("intro", "data_models", "correlation", "permutation", "adversarial", "explorer", "discussion", "guide",
            "reproducibility")
CLASSIFICATION = ("sst", "imdb", "20news", "agnews", "adr", "diabetes", "anemia")
QA = ("snli", "babi1", "babi2", "babi3", "cnn")
ALL_DATASETS = CLASSIFICATION + QA


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
    datasets: tuple[str, ...] = ALL_DATASETS
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


_TANH = (("lstm", "tanh"), ("average", "tanh"))
_ALL = tuple((e, a) for e in ("lstm", "cnn", "average") for a in ("tanh", "dot"))

PRESETS = {
    "quick": Preset(
        "quick", "a few minutes: SST and bAbI-1, small training and analysis samples (for tests)",
        _TANH, datasets=("sst", "babi1"),
        run_overrides={"*": {"train_limit": 600, "epochs": 2},
                       # bAbI-1 needs its whole training set to learn the task (dev accuracy 1.0 after 8 epochs)
                       "babi1": {"train_limit": None, "epochs": 8}},
        analysis_overrides={"*": {"limit": 40, "n_permutations": 20, "adversary_iterations": 40}},
    ),
    "default": Preset(
        "default", "every available dataset, BiLSTM and Average with tanh attention, the paper's training settings "
                   "(IMDB 8 epochs, SNLI 25, bAbI 100); analyses on a seeded sample of each test set",
        _TANH,
        analysis_overrides={"*": {"limit": 1000}, "imdb": {"limit": 250}, "20news": {"limit": 250},
                            "babi3": {"limit": 500}},
    ),
    "paper": Preset("paper", "every available dataset, all six configurations, the paper's settings", _ALL),
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


def available_datasets(data_dir=None) -> set[str]:
    """The datasets whose files are all present in ``data_dir``."""
    from .data import dataset_status

    return {name for name in ALL_DATASETS if dataset_status(name, data_dir)["available"]}


def run_experiment(experiment: Experiment, *, data_dir=None, runs_dir=None, device="auto", progress=True):
    """Train (or load) and analyse (or load) one experiment; returns ``(run, analysis)``."""
    from .analysis import analyse_run
    from .runs import open_run

    run = open_run(experiment.run, data_dir=data_dir, runs_dir=runs_dir, device=device, progress=progress)
    return run, analyse_run(run, experiment.analysis, progress=progress)


TIMELINE_COLUMNS = ("step", "kind", "name", "seconds", "reused", "train_seconds", "analysis_seconds")
"""Columns of ``_build/timeline.csv``: one row per experiment, chapter and the HTML step, in build order.

``seconds`` is the wall time of the step in that build. ``reused`` is True for an unchanged chapter that was
not executed, and for an experiment whose step took under 5 % of the time its training and analysis took
when computed (loading a finished run and analysis). ``train_seconds`` and ``analysis_seconds`` are, for experiments, the
time the training and the analysis stages took when they were computed (possibly in an earlier build).
"""


def timeline_path(root: str | Path) -> Path:
    """Where ``attnlib book`` writes the timeline of its last build: ``<root>/_build/timeline.csv``."""
    return Path(root) / "_build" / "timeline.csv"


def find_project_root(start: str | Path = ".") -> Path:
    """The nearest folder at or above ``start`` holding ``_config.yml`` and ``book/`` (else ``start`` itself)."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / "_config.yml").exists() and (folder / "book").is_dir():
            return folder
    return start


def read_timeline(root: str | Path | None = None):
    """The timeline of the last ``attnlib book`` build under ``root`` (default: the project root above the
    working directory) as a DataFrame with :data:`TIMELINE_COLUMNS`, or ``None`` if there is none."""
    import pandas as pd

    path = timeline_path(find_project_root() if root is None else root)
    return pd.read_csv(path) if path.exists() else None


class _Timeline:
    """Rows of the build's timeline, rewritten atomically after every step (a killed build keeps its rows)."""

    def __init__(self, path: Path):
        self.path, self.rows = path, []

    def add(self, kind: str, name: str, seconds: float, reused: bool, train_seconds=None, analysis_seconds=None):
        import pandas as pd

        from .io import atomic_path

        self.rows.append({"step": len(self.rows) + 1, "kind": kind, "name": name, "seconds": round(seconds, 3),
                          "reused": reused, "train_seconds": train_seconds, "analysis_seconds": analysis_seconds})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.path) as tmp:
            pd.DataFrame(self.rows, columns=list(TIMELINE_COLUMNS)).to_csv(tmp, index=False)


def _computed_seconds(run, analysis) -> float:
    """The seconds the run's training and its analysis took when they were computed."""
    return (run.metrics.get("train_seconds") or 0.0) + sum((analysis.seconds or {}).values())


def _source_hash(path: Path, parameters: dict) -> str:
    digest = hashlib.sha256(path.read_bytes())
    digest.update(json.dumps(parameters, sort_keys=True).encode())
    return digest.hexdigest()


def _is_current(executed: Path, key: str) -> bool:
    if not executed.exists():
        return False
    try:
        return json.loads(executed.read_text())["metadata"].get("attnlib", {}).get("key") == key
    except (ValueError, KeyError):
        return False


def _tag_cells(notebook_path: Path, key: str) -> None:
    """Hide the parameters plumbing in the rendered page and record what was executed."""
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    for cell in notebook.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
        if "injected-parameters" in tags and "hide-input" not in tags:
            tags.append("hide-input")
    notebook.metadata["attnlib"] = {"key": key}
    tmp = notebook_path.with_suffix(".tmp.ipynb")
    nbformat.write(notebook, tmp)
    os.replace(tmp, notebook_path)


def execute_chapter(source: Path, executed: Path, parameters: dict, *, cwd: Path) -> float:
    """Execute ``source`` with papermill into ``executed`` (written only if it succeeds); returns seconds."""
    import papermill

    key = _source_hash(source, parameters)
    if _is_current(executed, key):
        return 0.0
    executed.parent.mkdir(parents=True, exist_ok=True)
    partial = executed.with_suffix(".partial.ipynb")
    started = time.perf_counter()
    try:
        papermill.execute_notebook(str(source), str(partial), parameters=parameters, cwd=str(cwd),
                                   kernel_name="python3", progress_bar=False)
    except papermill.PapermillExecutionError as error:
        raise AttnlibError(f"chapter {source.name} failed in cell {error.exec_count}: {error.ename}: "
                           f"{error.evalue}; the partial notebook is {partial}") from None
    _tag_cells(partial, key)
    os.replace(partial, executed)
    return time.perf_counter() - started


def build_html(root: Path) -> Path:
    """Build the book in strict mode (warnings are errors); returns ``_build/html``.

    Every page is rewritten (``--all``): an incremental Sphinx build keeps the old navigation and static files
    on pages whose source did not change, e.g. after a chapter is added.
    """
    from .assets import BOOK_ASSETS, install_assets

    install_assets(BOOK_ASSETS, root / "book" / "_static" / "vendor")
    executable = Path(sys.executable).parent / "jupyter-book"
    command = [str(executable) if executable.exists() else shutil.which("jupyter-book") or "jupyter-book",
               "build", str(root), "--all", "-W", "-n", "--keep-going", "-q"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=root)
    if result.returncode != 0:
        output = (result.stderr + result.stdout).splitlines()
        problems = [line.strip() for line in output if any(w in line for w in ("WARNING", "ERROR", "Error"))]
        detail = " | ".join(problems[:3] or [line for line in output if line.strip()][-3:] or ["no output"])
        raise AttnlibError(f"jupyter-book build failed: {detail}")
    return root / "_build" / "html"


def build_book(preset: str = "default", *, root: str | Path = ".", data_dir=None, runs_dir=None,
               device: str = "auto", progress: bool = True) -> dict:
    """Run the preset's experiments, execute every chapter and build the HTML book.

    Returns
    -------
    dict with the seconds spent per step (``experiments``, each chapter, ``html``) and the output folder.
    The timeline of the build (:data:`TIMELINE_COLUMNS`) is written to ``_build/timeline.csv`` step by step.
    """
    root = Path(root).resolve()
    chosen = get_preset(preset)
    data_dir = str(Path(data_dir or os.environ.get("ATTNLIB_DATA") or root / "data").resolve())
    runs_dir = str(Path(runs_dir or os.environ.get("ATTNLIB_RUNS") or root / "runs").resolve())
    experiments = chosen.experiments(available_datasets(data_dir))
    if not experiments:
        raise AttnlibError(f"no dataset of the {preset!r} preset is available in {data_dir}; "
                           "run `attnlib datasets` to see what is missing")
    timings: dict[str, float] = {}
    timeline = _Timeline(timeline_path(root))
    n_steps = len(experiments) + len(CHAPTERS) + 1
    steps = tqdm(total=n_steps, desc=f"book ({preset})", disable=not progress)
    started = time.perf_counter()
    for number, experiment in enumerate(experiments, 1):
        steps.set_description(f"book ({preset}): experiment {number}/{len(experiments)}, {experiment.label}")
        step_started = time.perf_counter()
        run, analysis = run_experiment(experiment, data_dir=data_dir, runs_dir=runs_dir, device=device,
                                       progress=progress)
        seconds = time.perf_counter() - step_started
        timeline.add("experiment", experiment.label, seconds, reused=seconds < 0.05 * _computed_seconds(run, analysis),
                     train_seconds=run.metrics.get("train_seconds"),
                     analysis_seconds=sum(analysis.seconds.values()) if analysis.seconds else None)
        steps.update()
    timings["experiments"] = time.perf_counter() - started
    parameters = {"preset": preset, "data_dir": data_dir, "runs_dir": runs_dir, "device": device}
    for number, chapter in enumerate(CHAPTERS, 1):
        steps.set_description(f"book ({preset}): chapter {number}/{len(CHAPTERS)}, {chapter}")
        step_started = time.perf_counter()
        timings[chapter] = execute_chapter(root / "book" / f"{chapter}.ipynb",
                                           root / "book" / "executed" / f"{chapter}.ipynb", parameters, cwd=root / "book")
        timeline.add("chapter", chapter, time.perf_counter() - step_started, reused=timings[chapter] == 0.0)
        steps.update()
    steps.set_description(f"book ({preset}): HTML")
    started = time.perf_counter()
    html = build_html(root)
    timings["html"] = time.perf_counter() - started
    timeline.add("html", "jupyter-book build", timings["html"], reused=False)
    steps.update()
    steps.close()
    return {"timings": timings, "html": html}
