"""Uniform attention (Wiegreffe & Pinter 2019, §3.1): every real token weighted 1/n, nothing to learn.

Its scores are all zero, so :func:`~attnlib.models.attention.masked_softmax` gives exactly ``1/n`` on the ``n``
real tokens and 0 on ``<SOS>``, ``<EOS>`` and padding, the same positions W&P's ``FrozenAttnDecoder`` leaves out
(``1/(L-2)`` on a framed length ``L``). A model trained with it learns everything else (word vectors, encoder,
decoder) as usual. Every weight being equal, a permutation of the weights leaves the output exactly unchanged and
Kendall τ between attention and any importance is undefined (constant attention).
"""
from __future__ import annotations

import torch
from torch import nn

from ..models.model import AttentionModel

#: The name of this attention in a run's configuration (``attnlib train --attention uniform``).
UNIFORM = "uniform"


class UniformAttention(nn.Module):
    """Zero scores for every position: weights ``1/n`` over the real tokens after the masked softmax."""

    def scores(self, states: torch.Tensor, question: torch.Tensor | None = None) -> torch.Tensor:
        """Zeros of shape (batch, seq_len) for ``states`` (batch, seq_len, hidden)."""
        return states.new_zeros(states.shape[:2])


def with_uniform_attention(model: AttentionModel) -> AttentionModel:
    """``model`` with its attention replaced, in place, by :class:`UniformAttention` (returned for chaining)."""
    model.attention = UniformAttention()
    return model
