"""Training recipes and the metrics they select on.

* :mod:`.recipe`: the paper's recipe (Adam with amsgrad, class-weighted loss, dev-set model selection), seeded and
  resumable. Recipes other than the paper's (uniform attention, adversarial training against a base run) go
  beside it, one module each.
* :mod:`.metrics`: test and dev metrics as the authors computed them.
* :mod:`.bench`: seconds per training epoch, the fast BiLSTM against the packed one.
"""
from .metrics import evaluate_predictions, headline_metric
from .recipe import SELECTIONS, TrainConfig, predict_split, train_model

__all__ = ["SELECTIONS", "TrainConfig", "evaluate_predictions", "headline_metric", "predict_split", "train_model"]
