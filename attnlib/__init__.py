"""attnlib: the models, scorers and analyses of Jain & Wallace (2019), "Attention is not Explanation".

The library is organised by concept, in layers: :data:`attnlib.layout.PARTS` lists every part with its layer
and purpose (``attnlib.layout.tree()`` prints them). The science layer (data, models, training, explain, results,
paper, plots) never imports the book layer (:mod:`attnlib.book`) or the teaching kit (:mod:`attnlib.teach`),
which build on it; the names below are its public face.

Examples
--------
>>> from attnlib import RunConfig, open_run, analyse_run   # doctest: +SKIP
>>> run = open_run(RunConfig("sst", "lstm", "tanh"))          # doctest: +SKIP
>>> analyse_run(run).summary                                  # doctest: +SKIP
"""
__version__ = "0.1.0"

from .data import DATASET_NAMES, load_dataset, load_embeddings  # noqa: E402
from .models import ModelConfig, build_model  # noqa: E402
from .plumbing.errors import AttnlibError, ConfigError, DataError  # noqa: E402
from .results.analyses import AnalysisConfig, analyse_run  # noqa: E402
from .results.runs import RunConfig, open_run  # noqa: E402
from .training.recipe import TrainConfig, train_model  # noqa: E402

__all__ = [
    "AnalysisConfig", "AttnlibError", "ConfigError", "DATASET_NAMES", "DataError", "ModelConfig", "RunConfig",
    "TrainConfig", "analyse_run", "build_model", "load_dataset", "load_embeddings", "open_run", "train_model",
    "__version__",
]
