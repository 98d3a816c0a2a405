"""A classifier pooling with another model's attention (Wiegreffe & Pinter 2019, §3.3, "pre-loaded" weights).

W&P's diagnostic: a per-token network with no context (the Average encoder) whose pooling weights are, per
instance, those of another trained model, fixed at training and at test time. Only the diagnostic's own word
vectors, projection and output layer are trained. If such imposed weights let it do better than uniform weights or
the weights it learns itself, they carry information about the task that the context-free model cannot find.

Here the source model is kept (frozen, in eval mode) inside the classifier and its attention is computed for each
batch, which equals W&P's stored per-instance attention (the source is deterministic) without a table to align.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..data.batching import Batch, select_rows
from ..models.model import AttentionModel, Classifier, Encoded
from .uniform import UniformAttention


@dataclass
class EncodedWithImposed(Encoded):
    """:class:`~attnlib.models.model.Encoded` with the source model's attention, shape (batch, seq_len)."""

    imposed: torch.Tensor | None = None

    def index_select(self, rows: torch.Tensor) -> "EncodedWithImposed":
        return EncodedWithImposed(*(select_rows(t, rows) for t in (self.states, self.mask, self.question,
                                                                    self.candidates, self.imposed)))


class ImposedClassifier(Classifier):
    """``classifier``'s embedding, encoder and output layer, pooling with ``source``'s attention.

    Parameters
    ----------
    classifier : Classifier
        The untrained diagnostic (its parts are taken over; its own attention is dropped).
    source : AttentionModel
        A trained classification model on the same dataset (vocabulary); frozen and kept in eval mode.
    """

    def __init__(self, classifier: Classifier, source: AttentionModel):
        AttentionModel.__init__(self, classifier.embedding, classifier.encoder, UniformAttention())
        self.output = classifier.output
        self.source = source.eval().requires_grad_(False)

    def train(self, mode: bool = True) -> "ImposedClassifier":
        super().train(mode)
        self.source.eval()
        return self

    def encode(self, batch: Batch, embedded: torch.Tensor | None = None) -> EncodedWithImposed:
        encoded = super().encode(batch, embedded)
        with torch.no_grad():
            imposed = self.source.attend(self.source.encode(batch))
        return EncodedWithImposed(encoded.states, encoded.mask, encoded.question, encoded.candidates, imposed)

    def attend(self, encoded: EncodedWithImposed) -> torch.Tensor:
        """The source model's attention, shape (batch, seq_len)."""
        return encoded.imposed
