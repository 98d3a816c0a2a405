"""Additive (``tanh``) and scaled-dot (``dot``) attention, plain and question-conditioned (book/protocol.md §3.2).

``scores(states, question)`` returns unnormalised scores of shape (batch, seq_len); :func:`masked_softmax`
turns them into weights that are zero outside ``mask`` (``<SOS>``, ``<EOS>``, padding).
"""
from __future__ import annotations

import math

import torch
from torch import nn

ATTENTIONS = ("tanh", "dot")


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over positions where ``mask`` is True; other positions get weight 0.

    Parameters
    ----------
    scores : Tensor, shape (batch, seq_len)
    mask : BoolTensor, shape (batch, seq_len)

    Returns
    -------
    Tensor, shape (batch, seq_len), rows summing to 1
    """
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)


class AdditiveAttention(nn.Module):
    """``score_t = v^T tanh(W h_t + b)``, or ``v^T tanh(W_p h_t + W_q q)`` with a question.

    ``W`` maps ``size -> size // 2`` with a bias, ``v`` has no bias. With ``question_size`` the
    question projection ``W_q`` (with a bias) is added, as in the authors' ``tanh_qa``.
    """

    def __init__(self, size: int, question_size: int | None = None):
        super().__init__()
        self.passage = nn.Linear(size, size // 2)
        self.question = None if question_size is None else nn.Linear(question_size, size // 2)
        self.v = nn.Linear(size // 2, 1, bias=False)

    def scores(self, states: torch.Tensor, question: torch.Tensor | None = None) -> torch.Tensor:
        hidden = self.passage(states)
        if self.question is not None:
            hidden = hidden + self.question(question).unsqueeze(1)
        return self.v(torch.tanh(hidden)).squeeze(-1)


class ScaledDotAttention(nn.Module):
    """``score_t = w^T h_t / sqrt(d)`` with a learned vector ``w``, or ``h_t^T q / sqrt(d)`` with a question.

    The classification form is a dot product with a learned query (quirk Q10).
    """

    def __init__(self, size: int, question_size: int | None = None):
        super().__init__()
        if question_size is not None and question_size != size:
            raise ValueError(f"dot attention needs question_size == size; got {question_size} and {size}")
        self.query = None if question_size is not None else nn.Linear(size, 1, bias=False)
        self.scale = math.sqrt(size)

    def scores(self, states: torch.Tensor, question: torch.Tensor | None = None) -> torch.Tensor:
        if self.query is not None:
            return self.query(states).squeeze(-1) / self.scale
        return torch.einsum("bsd,bd->bs", states, question) / self.scale


def make_attention(name: str, size: int, question_size: int | None = None) -> nn.Module:
    """The attention called ``name`` (one of :data:`ATTENTIONS`)."""
    classes = {"tanh": AdditiveAttention, "dot": ScaledDotAttention}
    if name not in classes:
        raise ValueError(f"unknown attention {name!r}; choose one of {', '.join(ATTENTIONS)}")
    return classes[name](size, question_size)
