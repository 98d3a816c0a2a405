"""What every chapter does first: check its parameters, then load (or compute) the results it shows.

A chapter's first code cell is one call::

    results, focus = open_chapter(preset, dataset, encoder, attention, seed=seed, limit=limit, device=device,
                                  data_dir=data_dir, runs_dir=runs_dir)

Every parameter is checked before anything is trained, and a bad one stops the chapter with one line naming
the value and the allowed ones (papermill records it and exits non-zero).
"""
from __future__ import annotations

import numbers
from pathlib import Path

from ..data import DATASET_NAMES
from ..models import ATTENTIONS, ENCODERS
from ..plumbing.device import DEVICES, configure_threads
from ..plumbing.errors import ConfigError
from .experiments import Result, find, left_out_note, one_seed, train_and_analyse
from .presets import PRESETS

__all__ = ["ChapterResults", "open_chapter", "chapter_command", "check_parameters", "glue_all"]


def _one_of(name: str, value, allowed) -> None:
    if value not in allowed:
        raise ConfigError(f"parameter {name}={value!r} is not allowed; choose one of {', '.join(map(str, allowed))}")


def _whole(name: str, value, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ConfigError(f"parameter {name}={value!r} must be a whole number >= {minimum}")


def check_parameters(preset: str = "default", dataset: str | None = None, encoder: str | None = None,
                     attention: str | None = None, *, seed: int = 0, limit: int = 0, device: str = "auto",
                     data_dir: str = "", runs_dir: str = "", epsilon: float | None = None) -> None:
    """Raise :class:`ConfigError` with one line for the first parameter that is not allowed; then set torch's threads
    (:func:`~attnlib.plumbing.device.configure_threads`: ``$ATTNLIB_THREADS``, else every core), as the command line
    does, so that the chapter finds the runs the build trained.

    ``dataset``, ``encoder``, ``attention`` and ``epsilon`` are checked when given (None: the chapter has none).
    """
    _one_of("preset", preset, tuple(PRESETS))
    for name, value, allowed in (("dataset", dataset, DATASET_NAMES), ("encoder", encoder, ENCODERS),
                                 ("attention", attention, ATTENTIONS)):
        if value is not None:
            _one_of(name, value, allowed)
    _whole("seed", seed)
    _whole("limit", limit)
    if device not in DEVICES and not str(device).startswith("cuda:"):
        _one_of("device", device, DEVICES)
    if data_dir and not Path(data_dir).expanduser().is_dir():
        raise ConfigError(f"parameter data_dir={data_dir!r} is not a folder; give the folder holding the datasets "
                          "or leave it empty for $ATTNLIB_DATA")
    if runs_dir and Path(runs_dir).expanduser().exists() and not Path(runs_dir).expanduser().is_dir():
        raise ConfigError(f"parameter runs_dir={runs_dir!r} is a file; give a folder (created if missing)")
    if epsilon is not None and (isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real)
                                or not 0 <= epsilon <= 1):
        raise ConfigError(f"parameter epsilon={epsilon!r} must be a number between 0 and 1 (an output TVD)")
    configure_threads()  # a chapter is an entry point: it reads the runs trained with the same thread count


def open_chapter(preset: str = "default", dataset: str | None = None, encoder: str | None = None,
                 attention: str | None = None, *, seed: int = 0, limit: int = 0, device: str = "auto",
                 data_dir: str = "", runs_dir: str = "", epsilon: float | None = None, whole_preset: bool = False,
                 progress: bool = True) -> tuple["ChapterResults", Result | None]:
    """Check a chapter's parameters, then the results it shows.

    A chapter with a focus configuration (``dataset``, ``encoder``, ``attention``) trains and analyses that
    one if needed, and shows the preset's other experiments that are already in the runs folder; the ones
    that are not are listed by ``results.note()``. ``whole_preset=True`` (what ``attnlib book`` passes), or
    a chapter without a focus, trains and analyses every experiment of the preset that is missing.

    Returns
    -------
    results : ChapterResults
        A list of :class:`~attnlib.book.experiments.Result` with ``left_out`` and ``note()``.
    focus : Result or None
        The result of (``dataset``, ``encoder``, ``attention``) when all three are given.
    """
    check_parameters(preset, dataset, encoder, attention, seed=seed, limit=limit, device=device,
                     data_dir=data_dir, runs_dir=runs_dir, epsilon=epsilon)
    configuration = (dataset, encoder, attention)
    focused = None not in configuration
    left_out: list = []
    results = train_and_analyse(preset, data_dir=data_dir or None, runs_dir=runs_dir or None, device=device, seed=seed,
                      focus=configuration if focused else None, limit=limit or None, progress=progress,
                      whole_preset=whole_preset or not focused, left_out=left_out)
    if epsilon is not None:  # the per-instance tables hold the paper's two ε; add the chapter's if it is another
        for result in results:
            result.analysis.ensure_epsilon(epsilon)
    shown = ChapterResults(one_seed(results, seed), preset, left_out, all_seeds=results)
    return shown, (find(results, *configuration, seed=seed) if focused else None)


def chapter_command(chapter: str, out: str | None = None, **parameters) -> str:
    """The papermill command that executes ``book/<chapter>.ipynb`` with ``parameters`` into ``out`` (default
    ``<chapter>.ipynb``), as a reader types it."""
    options = "".join(f" -p {name} {value}" for name, value in parameters.items())
    return f"papermill book/{chapter}.ipynb {out or chapter + '.ipynb'}{options}"


def glue_all(values: dict) -> None:
    """Glue every value of ``values`` (a findings function's result) under its name, for ``{glue:text}`` and
    ``{glue:md}`` in the chapter's prose."""
    from myst_nb import glue

    for name, value in values.items():
        glue(name, value, display=False)


class ChapterResults(list):
    """The results a chapter shows (a list of :class:`~attnlib.book.experiments.Result` of the chapter's seed), every
    seed's results (``all_seeds``), and the experiments of its preset it left out because they were not computed
    yet."""

    def __init__(self, results, preset: str, left_out, all_seeds=None):
        super().__init__(results)
        self.preset, self.left_out = preset, list(left_out)
        self.all_seeds = list(results if all_seeds is None else all_seeds)

    def note(self):
        """Markdown for the page naming the left-out experiments and how to include them, or None."""
        from IPython.display import Markdown

        text = left_out_note(self.left_out, self.preset)
        return Markdown(text) if text else None
