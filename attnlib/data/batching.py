"""Padded batches and the authors' length-bucketed batch order (book/protocol.md §2.3)."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Iterator

import numpy as np
import torch

from .base import PAD, Split


@dataclass
class Batch:
    """A padded batch; every tensor's first dimension is ``batch``.

    Attributes
    ----------
    tokens : LongTensor, shape (batch, seq_len)
        ``<SOS> w1 ... wn <EOS>`` then padding id 0.
    lengths : LongTensor, shape (batch,)
        Length of each row including ``<SOS>`` and ``<EOS>``.
    mask : BoolTensor, shape (batch, seq_len)
        True on real tokens (positions ``1 ... length-2``): the positions attention may weight.
    labels : LongTensor, shape (batch,)
    index : LongTensor, shape (batch,)
        Position of each row in its split, so results can be put back in split order.
    question, question_lengths : LongTensor, optional
        Pair tasks: the question, framed and padded like ``tokens``, and its lengths.
    candidates : BoolTensor, shape (batch, n_classes), optional
        Pair tasks with answer candidates: True where a class may be predicted.
    """

    tokens: torch.Tensor
    lengths: torch.Tensor
    mask: torch.Tensor
    labels: torch.Tensor
    index: torch.Tensor
    question: torch.Tensor | None = None
    question_lengths: torch.Tensor | None = None
    candidates: torch.Tensor | None = None

    def __len__(self) -> int:
        return self.tokens.shape[0]

    def index_select(self, rows: torch.Tensor) -> "Batch":
        """The rows ``rows`` of this batch (same padded length)."""
        return Batch(**{f.name: select_rows(getattr(self, f.name), rows) for f in fields(self)})

    def to(self, device: torch.device | str) -> "Batch":
        moved = {f.name: getattr(self, f.name) for f in fields(self)}
        return replace(self, **{k: v.to(device) for k, v in moved.items() if v is not None})


def pad_sequences(sequences: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad id lists with 0 to their longest length.

    Returns
    -------
    tokens : LongTensor, shape (batch, seq_len)
    lengths : LongTensor, shape (batch,)
    """
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    tokens = torch.full((len(sequences), int(lengths.max())), PAD, dtype=torch.long)
    for row, seq in enumerate(sequences):
        tokens[row, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
    return tokens, lengths


def select_rows(value: torch.Tensor | None, rows: torch.Tensor) -> torch.Tensor | None:
    """``value.index_select(0, rows)``, or None for an absent optional tensor (a classifier's question)."""
    return None if value is None else value.index_select(0, rows)


def length_mask(lengths: torch.Tensor, seq_len: int) -> torch.Tensor:
    """(batch, seq_len) True on positions ``0 ... length-1`` of each row (``lengths``: (batch,)): every framed
    token, ``<SOS>`` and ``<EOS>`` included; padding False. :func:`real_token_mask` also drops the frame."""
    return torch.arange(seq_len, device=lengths.device) < lengths.unsqueeze(1)


def real_token_mask(lengths: torch.Tensor, seq_len: int) -> torch.Tensor:
    """True on positions ``1 ... length-2`` (``<SOS>``, ``<EOS>`` and padding are False).

    Parameters
    ----------
    lengths : LongTensor, shape (batch,)
    seq_len : int

    Returns
    -------
    BoolTensor, shape (batch, seq_len)
    """
    positions = torch.arange(seq_len, device=lengths.device)
    return (positions >= 1) & (positions < (lengths - 1).unsqueeze(1))


def make_batch(split: Split, indices) -> Batch:
    """Collate the examples ``indices`` of ``split`` into a :class:`Batch` (on the CPU)."""
    indices = [int(i) for i in indices]
    tokens, lengths = pad_sequences([split.sequences[i] for i in indices])
    batch = Batch(
        tokens=tokens,
        lengths=lengths,
        mask=real_token_mask(lengths, tokens.shape[1]),
        labels=torch.as_tensor(split.labels[indices], dtype=torch.long),
        index=torch.tensor(indices, dtype=torch.long),
    )
    if split.questions is not None:
        batch.question, batch.question_lengths = pad_sequences([split.questions[i] for i in indices])
    if split.candidates is not None:
        batch.candidates = torch.as_tensor(split.candidates[indices], dtype=torch.bool)
    return batch


def batch_order(split: Split, batch_size: int, seed: int | None = None) -> list[np.ndarray]:
    """Index chunks of ``batch_size`` examples in the order the authors iterate them.

    With ``seed`` (training): sort by a noisy length, ``len + randint(floor(-0.1 len), ceil(0.1 len))``,
    cut into contiguous chunks and shuffle the chunk order (book/protocol.md §2.3). Without ``seed``
    (evaluation): sort by length, stable, no shuffling.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size}")
    lengths = np.array([len(s) for s in split.sequences], dtype=np.int64)
    if seed is None:
        order = np.argsort(lengths, kind="stable")
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng = np.random.RandomState(seed)
    low = np.floor(-0.1 * lengths).astype(np.int64)
    high = np.ceil(0.1 * lengths).astype(np.int64)
    noisy = lengths + np.array([rng.randint(lo, hi) if hi > lo else lo for lo, hi in zip(low, high)])
    order = np.argsort(noisy, kind="stable")
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return [chunks[i] for i in rng.permutation(len(chunks))]


def iterate_batches(split: Split, batch_size: int, seed: int | None = None) -> Iterator[Batch]:
    """Yield the :class:`Batch` objects of :func:`batch_order`."""
    for chunk in batch_order(split, batch_size, seed):
        yield make_batch(split, chunk)
