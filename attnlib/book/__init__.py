"""The book layer: presets, the experiments they train and analyse, what chapters state and show, and the build.

* :mod:`.presets` (with ``presets.toml``): what each preset and ablation runs.
* :mod:`.experiments`: a preset's experiments trained and analysed (or loaded), as :class:`~.experiments.Result`.
* :mod:`.chapter`: what a chapter does first (check its parameters, open its results).
* :mod:`.findings`: every sentence a chapter, the slides or the guide states about the results, with its numbers.
* :mod:`.tables`, :mod:`.scorecard`, :mod:`.ablations`: the tables chapters show, every published number beside
  ours, what moves a gap.
* :mod:`.build`: chapter execution with papermill and the strict Jupyter Book build; :mod:`.timeline`,
  :mod:`.estimate`, :mod:`.assets` (offline JavaScript), the Sphinx extensions.

It builds on the science layer (:mod:`attnlib.layout` lists the parts), which never imports it. Its own
dependencies (papermill, Jupyter Book) are the ``book`` extra and are imported only where used.
"""
from .build import CHAPTERS, build_book, build_html, execute_chapter
from .chapter import check_parameters, glue_all, open_chapter
from .experiments import Result, run_experiment, train_and_analyse
from .presets import PRESETS, Experiment, Preset, available_datasets, get_preset
from .timeline import TIMELINE_COLUMNS, read_timeline, timeline_path

__all__ = [
    "CHAPTERS", "PRESETS", "TIMELINE_COLUMNS", "Experiment", "Preset", "Result", "available_datasets", "build_book",
    "build_html", "check_parameters", "execute_chapter", "get_preset", "glue_all", "open_chapter", "read_timeline",
    "run_experiment", "timeline_path", "train_and_analyse",
]
