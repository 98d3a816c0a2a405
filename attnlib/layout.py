"""The layout of attnlib: every part, its layer, what it is for, and which results its code can change.

:data:`PARTS` is the one description of the architecture. The layer test (``tests/test_layers.py``) reads it
(every module belongs to a part; no module imports a part of a later layer or, in the science layer, a part
listed after its own), the code fingerprints of :mod:`attnlib.results.fingerprint` read it (which modules a run or
an analysis depends on), and ``CONTRIBUTING.md`` shows :func:`tree` (a test checks the copy). This module imports
nothing of attnlib, so every layer may read it.

A part is a package or module of attnlib, named by its dotted path below ``attnlib``. A part inside another
(``data.download`` inside ``data``) overrides what its enclosing part says about results.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["LAYERS", "PARTS", "Part", "part_of", "tree", "modules_changing"]

#: The layers, lowest first: each imports only its own layer and the ones before it.
LAYERS = ("plumbing", "science", "book", "teaching", "command line")

#: What a part's code can change: a trained run (and so every analysis of it), the critique's runs only, an
#: analysis only, the faithfulness measures only, or no result.
CHANGES = ("run", "critique", "analysis", "faithfulness", "")


@dataclass(frozen=True)
class Part:
    """One package or module of attnlib.

    Attributes
    ----------
    name : str
        Dotted path below ``attnlib`` (``"data"``, ``"results.runs"``, ``"cli"``).
    layer : str
        One of :data:`LAYERS`.
    purpose : str
        What it is for, in one line (shown in the tree of ``CONTRIBUTING.md``).
    changes : str
        ``"run"`` when its code can change a trained run, ``"critique"`` when it can change only the critique's
        runs (:mod:`attnlib.critique`), ``"analysis"`` when it can change an analysis but no
        run, ``"faithfulness"`` when it can change only the faithfulness measures (:mod:`attnlib.faithfulness`), ``""`` when it cannot change a result (downloads, benchmarks, figures, the book).
    """

    name: str
    layer: str
    purpose: str
    changes: str = ""

    def __post_init__(self):
        if self.layer not in LAYERS:
            raise ValueError(f"part {self.name!r}: layer {self.layer!r} is not one of {', '.join(LAYERS)}")
        if self.changes not in CHANGES:
            raise ValueError(f"part {self.name!r}: changes {self.changes!r} is not one of {CHANGES}")

    @property
    def top(self) -> bool:
        """Whether this is a top-level package or module (not a part inside another)."""
        return "." not in self.name


PARTS: tuple[Part, ...] = (
    Part("layout", "plumbing", "this table: every part, its layer, its purpose, what results it can change"),
    Part("plumbing", "plumbing", "paths (every ATTNLIB_* variable), device and threads, user errors, atomic writes"),
    Part("data", "science", "datasets: finding files, tokenisers, vocabularies, word vectors, batches", "run"),
    Part("data.download", "science", "official downloads, checked by size and SHA-256 (the data fingerprint has them)"),
    Part("data.registry", "science", "datasets by name; loader options are part of the data fingerprint"),
    Part("models", "science", "encoders (BiLSTM, CNN, Average), attention (tanh, dot), classifier and pair model",
         "run"),
    Part("training", "science", "training recipes (the paper's: Adam, class weights, dev selection), metrics", "run"),
    Part("training.bench", "science", "seconds per training epoch, the fast BiLSTM against the packed one"),
    Part("training.threads", "science", "whether torch's thread count changes a training step's gradients"),
    Part("explain", "science", "importance, leave-one-out, Kendall τ, permutation, adversarial search, naive versions",
         "analysis"),
    Part("explain.bench", "science", "the fast analyses timed against their naive versions"),
    Part("results", "science", "results on disk: runs, their analyses, the fingerprints of the code behind them"),
    Part("results.runs", "science", "a trained configuration: its directory, key, training and test metrics", "run"),
    Part("results.analyses", "science", "every analysis of a run, per instance and summarised, resumable", "analysis"),
    Part("critique", "science", "Wiegreffe & Pinter's tests: uniform and imposed attention, the model-consistent "
         "adversary, their runs", "critique"),
    Part("faithfulness", "science", "which explanation is faithful: Captum explainers, erasure metrics, rationales, "
         "their results", "faithfulness"),
    Part("faithfulness.bench", "science", "each explainer's seconds per 100 instances, batched and with Captum's defaults"),
    Part("paper", "science", "the papers' published numbers (jain_wallace) and seed variance, to set ours beside"),
    Part("plots", "science", "the figures, one function each, by family; synthetic instances for examples"),
    Part("__init__", "science", "the public names of the science layer, re-exported, and the version"),
    Part("book", "book", "presets, experiments, chapter findings and tables, the build, scorecard, offline assets"),
    Part("teach", "teaching", "the explorer (live and static), slides in English and Japanese, exercises"),
    Part("cli", "command line", "the attnlib command: parses arguments and dispatches to the layers"),
)


def part_of(module: str) -> Part:
    """The innermost part holding ``module`` (a dotted name, with or without the leading ``attnlib.``)."""
    name = module.removeprefix("attnlib").removeprefix(".") or "__init__"
    chosen = None
    for part in PARTS:
        if name == part.name or name.startswith(part.name + "."):
            if chosen is None or len(part.name) > len(chosen.name):
                chosen = part
    if chosen is None:
        raise KeyError(f"attnlib.{name} belongs to no part of attnlib.layout.PARTS; add it there")
    return chosen


def modules_changing(kinds: tuple[str, ...], modules) -> list[str]:
    """Those of ``modules`` (dotted names) whose part changes one of ``kinds`` (``"run"``, ``"analysis"``)."""
    return sorted(m for m in modules if part_of(m).changes in kinds)


def tree() -> str:
    """The top-level parts by layer, one line each (the tree ``CONTRIBUTING.md`` shows)."""
    lines = ["attnlib/"]
    width = max(len(p.name) for p in PARTS if p.top) + 5
    for layer in LAYERS:
        lines.append(f"  {layer}")
        for part in PARTS:
            if part.top and part.layer == layer:
                shown = part.name + (".py" if Path(__file__).with_name(f"{part.name}.py").exists() else "/")
                lines.append(f"    {shown:<{width}}{part.purpose}")
    return "\n".join(lines)
