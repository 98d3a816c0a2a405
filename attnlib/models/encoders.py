"""The paper's three encoders (PROTOCOL.md §3.1): BiLSTM, CNN with widths 1/3/5/7, and Average.

Every encoder maps embedded tokens to hidden states and a summary vector:

``forward(embedded, lengths) -> (states, last_hidden)`` with ``embedded`` of shape
(batch, seq_len, embed_dim), ``lengths`` (batch,) counting ``<SOS>``/``<EOS>``, ``states`` of shape
(batch, seq_len, output_size) and ``last_hidden`` of shape (batch, output_size). Padding positions
hold zeros in ``states``.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

ENCODERS = ("lstm", "cnn", "average")
CNN_WIDTHS = (1, 3, 5, 7)


def _positions_mask(lengths: torch.Tensor, seq_len: int) -> torch.Tensor:
    """(batch, seq_len) True on positions ``0 ... length-1`` (everything but padding)."""
    return torch.arange(seq_len, device=lengths.device) < lengths.unsqueeze(1)


class LSTMEncoder(nn.Module):
    """One bidirectional LSTM layer; states are ``[forward_t; backward_t]``, ``output_size = 2 * hidden``.

    Sequences are packed by their true length, so padding never reaches the recurrence and its states
    are zero; ``last_hidden`` concatenates the final forward and backward states.
    """

    def __init__(self, embed_dim: int, hidden: int):
        super().__init__()
        self.rnn = nn.LSTM(embed_dim, hidden, batch_first=True, bidirectional=True)
        self.output_size = 2 * hidden

    def forward(self, embedded: torch.Tensor, lengths: torch.Tensor):
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        output, (h_n, _) = self.rnn(packed)
        states, _ = pad_packed_sequence(output, batch_first=True, total_length=embedded.shape[1])
        return states, torch.cat([h_n[0], h_n[1]], dim=-1)


class CNNEncoder(nn.Module):
    """Four same-padded ``Conv1d`` of widths 1, 3, 5, 7 with ``hidden // 4`` filters each, ReLU, concatenated.

    States at ``<SOS>``, ``<EOS>`` and padding are set to zero; ``last_hidden`` is the max over time.
    Position t depends only on tokens ``t-3 ... t+3`` (the receptive field of the widest filter).
    """

    def __init__(self, embed_dim: int, hidden: int):
        super().__init__()
        if hidden % len(CNN_WIDTHS):
            raise ValueError(f"hidden must be divisible by {len(CNN_WIDTHS)} for the CNN; got {hidden}")
        self.convs = nn.ModuleList(
            nn.Conv1d(embed_dim, hidden // len(CNN_WIDTHS), width, padding=width // 2) for width in CNN_WIDTHS
        )
        self.output_size = hidden
        self.receptive_radius = max(CNN_WIDTHS) // 2

    def forward(self, embedded: torch.Tensor, lengths: torch.Tensor):
        x = embedded.transpose(1, 2)
        states = torch.cat([torch.relu(conv(x)) for conv in self.convs], dim=1).transpose(1, 2)
        positions = torch.arange(states.shape[1], device=lengths.device)
        real = (positions >= 1) & (positions < (lengths - 1).unsqueeze(1))
        states = states * real.unsqueeze(-1)
        return states, states.max(dim=1).values


class AverageEncoder(nn.Module):
    """A per-token projection ``h_t = tanh(W e_t + b)``: no interaction between tokens.

    ``last_hidden`` is the mean of ``h_t`` over the sequence (``<SOS>``/``<EOS>`` included, padding
    excluded). The authors averaged over the padded length (quirk Q9), which made the question vector of
    pair models depend on how a batch was padded; we exclude padding.
    """

    def __init__(self, embed_dim: int, hidden: int):
        super().__init__()
        self.projection = nn.Linear(embed_dim, hidden)
        self.output_size = hidden

    def forward(self, embedded: torch.Tensor, lengths: torch.Tensor):
        keep = _positions_mask(lengths, embedded.shape[1]).unsqueeze(-1)
        states = torch.tanh(self.projection(embedded)) * keep
        return states, states.sum(dim=1) / lengths.unsqueeze(1).to(states.dtype)


def make_encoder(name: str, embed_dim: int, hidden: int) -> nn.Module:
    """The encoder called ``name`` (one of :data:`ENCODERS`)."""
    classes = {"lstm": LSTMEncoder, "cnn": CNNEncoder, "average": AverageEncoder}
    if name not in classes:
        raise ValueError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}")
    return classes[name](embed_dim, hidden)
