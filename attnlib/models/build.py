"""Build a model from a :class:`ModelConfig` and an embedding matrix."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..plumbing.errors import ConfigError
from .attention import ATTENTIONS, make_attention
from .encoders import ENCODERS, make_encoder
from .model import AttentionModel, Classifier, PairModel

TASKS = ("classification", "pair")


@dataclass(frozen=True)
class ModelConfig:
    """What defines an architecture.

    Attributes
    ----------
    task : {"classification", "pair"}
    encoder : {"lstm", "cnn", "average"}
    attention : {"tanh", "dot"}
    hidden : int
        The authors' ``hidden_size``: 128 in the paper, 32 for bAbI. It is the number of units of each LSTM
        direction, of the CNN's filters in total and of the Average encoder's projection. The width of the
        hidden states every analysis sees is the encoder's ``output_size`` (``2 * hidden`` for the BiLSTM,
        ``hidden`` otherwise).
    n_classes : int
        2 for classification; the number of answers for pair tasks.
    freeze_embeddings : bool
        Keep the word vectors fixed during training (the paper fine-tunes them).
    """

    task: str
    encoder: str
    attention: str
    hidden: int = 128
    n_classes: int = 2
    freeze_embeddings: bool = False

    def __post_init__(self):
        for name, value, allowed in (("task", self.task, TASKS), ("encoder", self.encoder, ENCODERS),
                                     ("attention", self.attention, ATTENTIONS)):
            if value not in allowed:
                raise ConfigError(f"unknown {name} {value!r}; choose one of {', '.join(allowed)}")
        if self.hidden < 4 or self.hidden % 4:
            raise ConfigError(f"hidden must be a positive multiple of 4; got {self.hidden}")
        if self.task == "classification" and self.n_classes != 2:
            raise ConfigError(f"classification models are binary; got n_classes={self.n_classes}")


def _embedding(vectors: torch.Tensor, freeze: bool = False) -> nn.Embedding:
    """An embedding initialised from ``vectors`` (vocab, embed_dim), padding row 0; fine-tuned unless ``freeze``."""
    embedding = nn.Embedding(vectors.shape[0], vectors.shape[1], padding_idx=0)
    with torch.no_grad():
        embedding.weight.copy_(vectors)
        embedding.weight[0].zero_()
    embedding.weight.requires_grad_(not freeze)
    return embedding


def build_model(config: ModelConfig, vectors: torch.Tensor, seed: int | None = None) -> AttentionModel:
    """The model of ``config`` with embeddings initialised from ``vectors`` (vocab, embed_dim).

    Parameters
    ----------
    config : ModelConfig
    vectors : Tensor, shape (vocab, embed_dim)
    seed : int, optional
        Seeds the initial weights, drawn from a private copy of torch's random state (the caller's global
        state is left unchanged). Without it the weights come from the global generator, in a fixed order.
    """
    if seed is not None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return build_model(config, vectors)
    embed_dim = vectors.shape[1]
    encoder = make_encoder(config.encoder, embed_dim, config.hidden)
    if config.task == "classification":
        attention = make_attention(config.attention, encoder.output_size)
        return Classifier(_embedding(vectors, config.freeze_embeddings), encoder, attention)
    question_encoder = make_encoder(config.encoder, embed_dim, config.hidden)
    attention = make_attention(config.attention, encoder.output_size, question_encoder.output_size)
    return PairModel(_embedding(vectors, config.freeze_embeddings), encoder, attention,
                     _embedding(vectors, config.freeze_embeddings), question_encoder,
                     config.n_classes)
