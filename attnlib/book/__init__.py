"""The book layer: presets, the runner that trains, analyses and executes chapters, the tables chapters show,
the build's timeline, offline assets and the Sphinx extension.

It builds on the science layer (:mod:`attnlib.data`, :mod:`~attnlib.models`, :mod:`~attnlib.train`,
:mod:`~attnlib.explain`, :mod:`~attnlib.runs`, :mod:`~attnlib.plots`), which never imports it. Its own
dependencies (papermill, Jupyter Book) are the ``book`` extra and are imported only where used.
"""
from .chapter import check_parameters, open_chapter
from .presets import PRESETS, Experiment, Preset, available_datasets, get_preset
from .runner import CHAPTERS, build_book, build_html, execute_chapter, run_experiment
from .timeline import TIMELINE_COLUMNS, read_timeline, timeline_path

__all__ = [
    "CHAPTERS", "PRESETS", "TIMELINE_COLUMNS", "Experiment", "Preset", "available_datasets", "build_book",
    "build_html", "check_parameters", "execute_chapter", "get_preset", "open_chapter", "read_timeline",
    "run_experiment", "timeline_path",
]
