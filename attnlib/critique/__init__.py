"""Wiegreffe & Pinter's tests (2019, "Attention is not not Explanation", §3-§4) on attnlib's models.

* :mod:`.uniform`: attention fixed to 1/n over the real tokens, trained like any other attention (§3.1).
* :mod:`.imposed`: a classifier that pools with the attention of another, frozen, model (the diagnostic, §3.3).
* :mod:`.adversary`: the model-consistent adversary, a model trained to follow a base model's predictions while
  its attention moves away from the base model's (§4).
* :mod:`.runs`: these models as runs on disk, keyed like every run and checked against their base run.
* :mod:`.measures`: divergences between two models' attention and outputs on a split (seed variance, §3.2).

The paper's runs do not depend on this part: its code is fingerprinted only into the keys of the critique's own
runs (:data:`attnlib.results.fingerprint.CRITIQUE_CODE`).
"""
from .adversary import ConsistentAdversaryConfig, attention_kl, consistency_loss, train_consistent_adversary
from .imposed import ImposedClassifier
from .measures import divergence_between_models
from .runs import CRITIQUE_KINDS, CritiqueConfig, base_run_config, open_critique_run
from .uniform import UNIFORM, UniformAttention, with_uniform_attention

__all__ = ["CRITIQUE_KINDS", "ConsistentAdversaryConfig", "CritiqueConfig", "ImposedClassifier", "UNIFORM",
           "UniformAttention", "attention_kl", "base_run_config", "consistency_loss", "divergence_between_models",
           "open_critique_run", "train_consistent_adversary", "with_uniform_attention"]
