"""The single-text classifier and the pair (NLI/QA) model, split into encode / attend / decode.

Every analysis relies on three calls (DESIGN.md):

* ``encode(batch, embedded=None) -> Encoded``: hidden states, mask and, for pair models, the question
  vector. Passing ``embedded`` (batch, seq_len, embed_dim) lets gradient analyses differentiate with
  respect to the embeddings.
* ``attend(encoded) -> attn``: attention weights of shape (batch, seq_len), zero off ``mask``.
* ``decode(encoded, attn) -> probs``: the output distribution of shape (batch, n_classes). Permutation
  and adversarial search call it with other weights on cached states.

For binary classification the decoder has one logit (sigmoid output, book/protocol.md §3.3) and ``decode``
returns ``[1 - p, p]``, so the total variation distance between two outputs is ``|p - p'|``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from ..data.batching import Batch, select_rows
from .attention import masked_softmax


@dataclass
class Encoded:
    """Cached encoder output.

    Attributes
    ----------
    states : Tensor, shape (batch, seq_len, hidden)
    mask : BoolTensor, shape (batch, seq_len)
        True on real tokens.
    question : Tensor, shape (batch, hidden), optional
        Pair models: the question encoder's summary vector.
    candidates : BoolTensor, shape (batch, n_classes), optional
    """

    states: torch.Tensor
    mask: torch.Tensor
    question: torch.Tensor | None = None
    candidates: torch.Tensor | None = None

    def __len__(self) -> int:
        return self.states.shape[0]

    def index_select(self, rows: torch.Tensor) -> "Encoded":
        """The same encoding with only (or repeated) ``rows``."""
        return Encoded(*(select_rows(t, rows) for t in (self.states, self.mask, self.question, self.candidates)))

    def detach(self) -> "Encoded":
        return replace(self, states=self.states.detach(),
                       question=None if self.question is None else self.question.detach())


class AttentionModel(nn.Module):
    """Shared parts: an embedding and encoder for the text, attention, and a decoder.

    Subclasses define ``decode_logits(encoded, attn)`` and ``probabilities(logits, encoded)``.
    """

    task: str

    def __init__(self, embedding: nn.Embedding, encoder: nn.Module, attention: nn.Module):
        super().__init__()
        self.embedding = embedding
        self.encoder = encoder
        self.attention = attention

    def embed(self, batch: Batch) -> torch.Tensor:
        """Token embeddings of the text, shape (batch, seq_len, embed_dim)."""
        return self.embedding(batch.tokens)

    def encode(self, batch: Batch, embedded: torch.Tensor | None = None) -> Encoded:
        if embedded is None:
            embedded = self.embed(batch)
        states, _ = self.encoder(embedded, batch.lengths)
        return Encoded(states=states, mask=batch.mask)

    def attend(self, encoded: Encoded) -> torch.Tensor:
        """Attention weights, shape (batch, seq_len)."""
        return masked_softmax(self.attention.scores(encoded.states, encoded.question), encoded.mask)

    def decode(self, encoded: Encoded, attn: torch.Tensor) -> torch.Tensor:
        """Output distribution under the attention ``attn`` (batch, seq_len): shape (batch, n_classes)."""
        return self.probabilities(self.decode_logits(encoded, attn), encoded)

    def forward(self, batch: Batch) -> torch.Tensor:
        """Logits used by the training loss."""
        encoded = self.encode(batch)
        return self.decode_logits(encoded, self.attend(encoded))

    def predict(self, batch: Batch) -> torch.Tensor:
        """Output distribution, shape (batch, n_classes)."""
        encoded = self.encode(batch)
        return self.decode(encoded, self.attend(encoded))

    @staticmethod
    def context(encoded: Encoded, attn: torch.Tensor) -> torch.Tensor:
        """``c = sum_t attn_t h_t``, shape (batch, hidden)."""
        return torch.einsum("bs,bsd->bd", attn, encoded.states)

    def project_states(self, encoded: Encoded) -> torch.Tensor:
        """The decoder's first, linear layer (without its bias) applied to every state: shape (batch, seq_len, k).

        Every decoder here reads the context only through that layer, so ``decode_logits(encoded, attn)`` equals
        ``decode_projected(encoded, sum_t attn_t projected_t)`` up to rounding. A search that tries many attention
        vectors on the same states (the adversaries) pools these k numbers per token instead of the states
        (k = 1 for the classifier, hidden / 2 for the pair model).
        """
        raise NotImplementedError

    def decode_projected(self, encoded: Encoded, projected_context: torch.Tensor) -> torch.Tensor:
        """Logits, shape (batch, n_classes), from ``sum_t attn_t projected_t`` (batch, k) (:meth:`project_states`)."""
        raise NotImplementedError


class Classifier(AttentionModel):
    """Binary text classifier: ``p = sigmoid(w^T c + b)`` on the attention context ``c``."""

    task = "classification"
    n_classes = 2

    def __init__(self, embedding: nn.Embedding, encoder: nn.Module, attention: nn.Module):
        super().__init__(embedding, encoder, attention)
        self.output = nn.Linear(encoder.output_size, 1)

    def decode_logits(self, encoded: Encoded, attn: torch.Tensor) -> torch.Tensor:
        """One logit per row, shape (batch, 1)."""
        return self.output(self.context(encoded, attn))

    def project_states(self, encoded: Encoded) -> torch.Tensor:
        return encoded.states @ self.output.weight.T

    def decode_projected(self, encoded: Encoded, projected_context: torch.Tensor) -> torch.Tensor:
        return projected_context + self.output.bias

    def probabilities(self, logits: torch.Tensor, encoded: Encoded | None = None) -> torch.Tensor:
        p = torch.sigmoid(logits)
        return torch.cat([1 - p, p], dim=-1)


class PairModel(AttentionModel):
    """Passage + question model (SNLI, bAbI, CNN QA), book/protocol.md §3.3.

    The question has its own embedding and encoder (same architecture, separate weights); its summary
    vector ``q`` conditions the attention over the passage, and
    ``logits = U tanh(W_p c + W_q q)`` with ``U: hidden/2 -> n_classes``; classes outside the batch's
    ``candidates`` get ``-inf``.
    """

    task = "pair"

    def __init__(self, embedding: nn.Embedding, encoder: nn.Module, attention: nn.Module,
                 question_embedding: nn.Embedding, question_encoder: nn.Module, n_classes: int):
        super().__init__(embedding, encoder, attention)
        self.question_embedding = question_embedding
        self.question_encoder = question_encoder
        size = encoder.output_size
        self.passage_projection = nn.Linear(size, size // 2)
        self.question_projection = nn.Linear(question_encoder.output_size, size // 2)
        self.output = nn.Linear(size // 2, n_classes)
        self.n_classes = n_classes

    def encode(self, batch: Batch, embedded: torch.Tensor | None = None) -> Encoded:
        encoded = super().encode(batch, embedded)
        _, question = self.question_encoder(self.question_embedding(batch.question), batch.question_lengths)
        encoded.question = question
        encoded.candidates = batch.candidates
        return encoded

    def decode_logits(self, encoded: Encoded, attn: torch.Tensor) -> torch.Tensor:
        """Class logits, shape (batch, n_classes); ``-inf`` outside ``candidates``."""
        return self._logits(self.passage_projection(self.context(encoded, attn)), encoded)

    def project_states(self, encoded: Encoded) -> torch.Tensor:
        return encoded.states @ self.passage_projection.weight.T

    def decode_projected(self, encoded: Encoded, projected_context: torch.Tensor) -> torch.Tensor:
        return self._logits(projected_context + self.passage_projection.bias, encoded)

    def _logits(self, passage: torch.Tensor, encoded: Encoded) -> torch.Tensor:
        """``U tanh(passage + W_q q)``, ``-inf`` outside the candidates, from ``passage = W_p c + b_p``
        (batch, hidden / 2)."""
        logits = self.output(torch.tanh(passage + self.question_projection(encoded.question)))
        if encoded.candidates is not None:
            logits = logits.masked_fill(~encoded.candidates, float("-inf"))
        return logits

    def probabilities(self, logits: torch.Tensor, encoded: Encoded | None = None) -> torch.Tensor:
        return torch.softmax(logits, dim=-1)
