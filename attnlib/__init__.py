"""attnlib: the models, scorers and analyses of Jain & Wallace (2019), "Attention is not Explanation".

The library is organised by concept: :mod:`attnlib.data` (datasets, vocabularies, vectors, batches),
:mod:`attnlib.models` (encoders, attention, classifier and pair model), :mod:`attnlib.train` (the paper's
recipe), :mod:`attnlib.runs` (trained configurations on disk), :mod:`attnlib.explain` (importance scores,
Kendall τ, permutation, adversarial attention), :mod:`attnlib.analysis` (persisted analyses of a run),
:mod:`attnlib.plots` (the figures). That is the science layer; it never imports the book layer
(:mod:`attnlib.book`: presets, the runner, chapter tables, offline assets) or the teaching kit
(:mod:`attnlib.teach`: explorer, slides, exercises), which build on it.

Examples
--------
>>> from attnlib import RunConfig, open_run, analyse_run   # doctest: +SKIP
>>> run = open_run(RunConfig("sst", "lstm", "tanh"))          # doctest: +SKIP
>>> analyse_run(run).summary                                  # doctest: +SKIP
"""
__version__ = "0.1.0"

from .analysis import AnalysisConfig, analyse_run  # noqa: E402
from .data import DATASET_NAMES, load_dataset, load_embeddings  # noqa: E402
from .errors import AttnlibError, ConfigError, DataError  # noqa: E402
from .models import ModelConfig, build_model  # noqa: E402
from .runs import RunConfig, open_run  # noqa: E402
from .train import TrainConfig, train_model  # noqa: E402

__all__ = [
    "AnalysisConfig", "AttnlibError", "ConfigError", "DATASET_NAMES", "DataError", "ModelConfig", "RunConfig",
    "TrainConfig", "analyse_run", "build_model", "load_dataset", "load_embeddings", "open_run", "train_model",
    "__version__",
]
