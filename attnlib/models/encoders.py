"""The paper's three encoders (book/protocol.md §3.1): BiLSTM, CNN with widths 1/3/5/7, and Average.

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

from ..data.batching import length_mask, real_token_mask

ENCODERS = ("lstm", "cnn", "average")
CNN_WIDTHS = (1, 3, 5, 7)


def reverse_within_length(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Each row of ``x`` (batch, seq_len, ...) reversed over its first ``lengths[b]`` positions; padding stays put.

    The map is its own inverse, so it also brings reversed outputs back to the original order.
    """
    positions = torch.arange(x.shape[1], device=x.device).unsqueeze(0)
    index = torch.where(positions < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - positions, positions)
    return x.gather(1, index.view(*index.shape, *(1,) * (x.dim() - 2)).expand_as(x))


def _direction_weights(rnn: nn.LSTM, suffix: str) -> list[torch.Tensor]:
    """``[w_ih, w_hh, b_ih, b_hh]`` of one direction of a one-layer ``nn.LSTM`` (suffix ``""`` or ``"_reverse"``)."""
    return [getattr(rnn, f"{name}_l0{suffix}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]


def _unidirectional(x: torch.Tensor, weights: list[torch.Tensor], hidden: int) -> torch.Tensor:
    """One dense LSTM direction over ``x`` (batch, seq_len, embed_dim) from zero states: (batch, seq_len, hidden)."""
    zeros = x.new_zeros(1, x.shape[0], hidden)
    output, _, _ = torch.lstm(x, (zeros, zeros), weights, True, 1, 0.0, False, False, True)
    return output


def dense_bilstm(rnn: nn.LSTM, embedded: torch.Tensor, lengths: torch.Tensor):
    """Exactly what a packed bidirectional ``rnn`` computes, with two dense unidirectional passes.

    The forward direction runs over the padded batch as it is: padding comes after the real tokens, so it
    never reaches a real position. The backward direction runs over each sequence reversed within its own
    length (padding again at the end), and its outputs are reversed back. States at padding are set to
    zero, as ``pad_packed_sequence`` leaves them. Dense calls take PyTorch's fast (oneDNN) LSTM kernel on
    CPU, which packed sequences do not.

    Parameters
    ----------
    rnn : nn.LSTM
        One bidirectional layer with biases, ``batch_first=True``.
    embedded : Tensor, shape (batch, seq_len, embed_dim)
    lengths : LongTensor, shape (batch,)
        At least 1 each.

    Returns
    -------
    states : Tensor, shape (batch, seq_len, 2 * hidden)
        ``[forward_t; backward_t]``, zero at padding.
    last_hidden : Tensor, shape (batch, 2 * hidden)
        The forward state at the last real position and the backward state at position 0.
    """
    hidden = rnn.hidden_size
    keep = length_mask(lengths, embedded.shape[1]).unsqueeze(-1)
    forward = _unidirectional(embedded, _direction_weights(rnn, ""), hidden)
    backward = reverse_within_length(
        _unidirectional(reverse_within_length(embedded, lengths), _direction_weights(rnn, "_reverse"), hidden), lengths)
    states = torch.cat([forward, backward], dim=-1) * keep
    last = (lengths - 1).view(-1, 1, 1).expand(-1, 1, hidden)
    return states, torch.cat([forward.gather(1, last).squeeze(1), backward[:, 0]], dim=-1)


def packed_bilstm(rnn: nn.LSTM, embedded: torch.Tensor, lengths: torch.Tensor):
    """What :func:`dense_bilstm` is tested against: ``rnn`` on a ``PackedSequence``; same arguments and returns."""
    packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
    output, (h_n, _) = rnn(packed)
    states, _ = pad_packed_sequence(output, batch_first=True, total_length=embedded.shape[1])
    return states, torch.cat([h_n[0], h_n[1]], dim=-1)


class LSTMEncoder(nn.Module):
    """One bidirectional LSTM layer; states are ``[forward_t; backward_t]``, ``output_size = 2 * hidden``.

    Padding never reaches the recurrence and its states are zero; ``last_hidden`` concatenates the final
    forward and backward states. The computation is :func:`dense_bilstm` (two dense passes, several times
    faster on CPU than a ``PackedSequence``); :func:`packed_bilstm` is the packed version it is tested against.
    The parameters are those of ``nn.LSTM(embed_dim, hidden, bidirectional=True)`` in ``self.rnn``.

    Parameters
    ----------
    embed_dim : int
    hidden : int
        Units per direction (:class:`~attnlib.models.ModelConfig`'s ``hidden``); ``output_size = 2 * hidden``.
    packed : bool
        Compute with the packed version instead (for benchmarks and tests only).
    """

    def __init__(self, embed_dim: int, hidden: int, packed: bool = False):
        super().__init__()
        self.rnn = nn.LSTM(embed_dim, hidden, batch_first=True, bidirectional=True)
        self.output_size = 2 * hidden
        self.packed = packed

    def forward(self, embedded: torch.Tensor, lengths: torch.Tensor):
        return (packed_bilstm if self.packed else dense_bilstm)(self.rnn, embedded, lengths)


def separate_convolutions(convs: nn.ModuleList, x: torch.Tensor) -> torch.Tensor:
    """Each same-padded ``Conv1d`` of ``convs`` over ``x`` (batch, embed_dim, seq_len), ReLU, concatenated over
    filters: what :func:`fused_convolution` computes, and is tested against. Shape (batch, filters, seq_len)."""
    return torch.cat([torch.relu(conv(x)) for conv in convs], dim=1)


def fused_convolution(convs: nn.ModuleList, x: torch.Tensor) -> torch.Tensor:
    """:func:`separate_convolutions` as one convolution: every kernel zero-padded on both sides to the widest width,
    the kernels and biases concatenated. The taps added are zeros, so the sums (and the gradients of the
    ``convs``' own weights) are the same, up to rounding. One call instead of four: a bAbI training step (8 filters
    per width) took 16-19 ms instead of 24-31 on the 2-core machine, an IMDB one (32 filters) 141-144 instead of
    150-161 ms."""
    radius = max(conv.kernel_size[0] for conv in convs) // 2
    weight = torch.cat([nn.functional.pad(conv.weight, (radius - conv.kernel_size[0] // 2,) * 2) for conv in convs])
    bias = torch.cat([conv.bias for conv in convs])
    return torch.relu(nn.functional.conv1d(x, weight, bias, padding=radius))


class CNNEncoder(nn.Module):
    """Four same-padded ``Conv1d`` of widths 1, 3, 5, 7 with ``hidden // 4`` filters each, ReLU, concatenated.

    States at ``<SOS>``, ``<EOS>`` and padding are set to zero; ``last_hidden`` is the max over time.
    Position t depends only on tokens ``t-3 ... t+3`` (the receptive field of the widest filter). The four
    convolutions run as one (:func:`fused_convolution`); ``separate=True`` runs them one by one
    (:func:`separate_convolutions`, for tests).
    """

    def __init__(self, embed_dim: int, hidden: int, separate: bool = False):
        super().__init__()
        if hidden % len(CNN_WIDTHS):
            raise ValueError(f"hidden must be divisible by {len(CNN_WIDTHS)} for the CNN; got {hidden}")
        self.convs = nn.ModuleList(
            nn.Conv1d(embed_dim, hidden // len(CNN_WIDTHS), width, padding=width // 2) for width in CNN_WIDTHS
        )
        self.output_size = hidden
        self.receptive_radius = max(CNN_WIDTHS) // 2
        self.separate = separate

    def forward(self, embedded: torch.Tensor, lengths: torch.Tensor):
        convolve = separate_convolutions if self.separate else fused_convolution
        states = convolve(self.convs, embedded.transpose(1, 2)).transpose(1, 2)
        states = states * real_token_mask(lengths, states.shape[1]).unsqueeze(-1)
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
        keep = length_mask(lengths, embedded.shape[1]).unsqueeze(-1)
        states = torch.tanh(self.projection(embedded)) * keep
        return states, states.sum(dim=1) / lengths.unsqueeze(1).to(states.dtype)


def make_encoder(name: str, embed_dim: int, hidden: int) -> nn.Module:
    """The encoder called ``name`` (one of :data:`ENCODERS`)."""
    classes = {"lstm": LSTMEncoder, "cnn": CNNEncoder, "average": AverageEncoder}
    if name not in classes:
        raise ValueError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}")
    return classes[name](embed_dim, hidden)
