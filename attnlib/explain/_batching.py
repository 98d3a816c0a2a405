"""Private helpers shared by the analyses of :mod:`attnlib.explain`: validating a model and split, eval mode
with exact float32, host-side batches and results copied back once, decoding precomputed contexts, and the
per-example seeds that make random draws independent of batching.
"""
from __future__ import annotations

import contextlib
import hashlib
from typing import Iterator

import numpy as np
import torch
from tqdm.auto import tqdm

from ..data.base import Split
from ..data.batching import Batch, batch_order, make_batch, select_rows
from ..models.model import AttentionModel, Encoded
from ..plumbing.device import resolve_device

__all__ = ["instance_seed"]

DEFAULT_MAX_ELEMENTS = 2 ** 23
"""Leave-one-out works on chunks of removals holding at most about this many hidden-state numbers."""

DEFAULT_BATCH_SIZES = {"importance": 32, "permutation": 64, "adversarial": 256}
"""Batch sizes of the analyses when none is given (speed only; results do not depend on them). The adversaries'
256 (up from 128) took 0.70-0.78 of the time of 128 on SST and SNLI test sentences (2 cores, 2026-12-06)."""


def _model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def _prepare(model: AttentionModel, split: Split | None = None, device=None) -> torch.device:
    """Validate ``model`` (and ``split``), move the model to ``device`` if given, return the device used."""
    if not isinstance(model, AttentionModel):
        raise TypeError("model must be an attnlib AttentionModel (Classifier or PairModel); "
                        f"got {type(model).__name__}")
    if split is not None:
        if not isinstance(split, Split):
            raise TypeError(f"split must be an attnlib.data.base.Split; got {type(split).__name__}")
        if len(split) == 0:
            raise ValueError("split is empty; pass a split with at least one example")
        if model.task == "pair" and split.questions is None:
            raise ValueError("this is a pair model but the split has no questions; pass the split of a pair task")
    if device is not None:
        model.to(resolve_device(device))
    return _model_device(model)


def _check_positive(name: str, value, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")


@contextlib.contextmanager
def _eval_mode(model: torch.nn.Module):
    """Eval mode and exact float32 for the duration, then restore the model's training flag and the settings.

    On CUDA, TF32 (10-bit mantissa) matrix products and cuDNN calls are switched off, so every fast analysis
    equals its naive version there too; on the CPU this changes nothing.
    """
    was_training = model.training
    tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    model.eval()
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        model.train(was_training)
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32


def _host_batches(split: Split, batch_size: int, progress: bool, desc: str) -> Iterator[Batch]:
    """Length-sorted batches of ``split`` (the authors' evaluation order) on the CPU, with a progress bar.

    Callers draw per-example random numbers from these host copies, then move the batch to the device, so
    nothing inside a loop over batches waits for the device.
    """
    _check_positive("batch_size", batch_size)
    chunks = batch_order(split, batch_size)
    for chunk in tqdm(chunks, desc=desc, disable=not progress, leave=False):
        yield make_batch(split, chunk)


class _Results:
    """Per-batch results kept where they were computed and copied to the host once, after the loop over batches.

    ``add(index, values)`` records a (batch, ...) tensor for the split rows ``index`` (host ints);
    ``into(out)`` writes every part into ``out[index, :size_1, :size_2, ...]`` as float64 and returns ``out``.
    """

    def __init__(self):
        self.parts: list[tuple[np.ndarray, torch.Tensor]] = []

    def add(self, index, values: torch.Tensor) -> None:
        self.parts.append((np.asarray(index), values.detach()))

    def into(self, out: np.ndarray) -> np.ndarray:
        for index, values in self.parts:
            array = values.cpu().double().numpy()
            out[(index, *(slice(0, size) for size in array.shape[1:]))] = array
        return out


def _padded(split: Split, *middle: int) -> np.ndarray:
    """Zeros of shape (n, *middle, max_len) for per-position results of ``split``."""
    max_len = max(len(s) for s in split.sequences)
    return np.zeros((len(split), *middle, max_len))


def _decode_contexts(model: AttentionModel, encoded: Encoded, contexts: torch.Tensor,
                     rows: torch.Tensor) -> torch.Tensor:
    """Output distributions for attention contexts ``c = sum_t attn_t h_t`` computed elsewhere.

    The decoders depend on ``(states, attn)`` only through the context (plus, for pair models, the
    question vector and candidates), so decoding one pseudo-state equal to ``c`` with weight 1 gives the
    output for ``c``. This lets permutation, adversarial search and leave-one-out build contexts for many
    alternatives with one matrix product.

    Parameters
    ----------
    encoded : Encoded
        The batch the contexts belong to (for the question and candidates).
    contexts : Tensor, shape (n_rows, hidden)
    rows : LongTensor, shape (n_rows,)
        The row of ``encoded`` each context belongs to.

    Returns
    -------
    Tensor, shape (n_rows, n_classes)
    """
    pseudo = _pseudo_encoded(encoded, contexts, rows)
    return model.decode(pseudo, contexts.new_ones(contexts.shape[0], 1))


def _decode_projected(model: AttentionModel, encoded: Encoded, projected_contexts: torch.Tensor,
                      rows: torch.Tensor) -> torch.Tensor:
    """:func:`_decode_contexts` for contexts pooled from projected states (:meth:`AttentionModel.project_states`).

    Parameters
    ----------
    projected_contexts : Tensor, shape (n_rows, k)
        ``sum_t attn_t projected_t``.
    rows : LongTensor, shape (n_rows,)

    Returns
    -------
    Tensor, shape (n_rows, n_classes)
    """
    pseudo = _pseudo_encoded(encoded, projected_contexts, rows)
    return model.probabilities(model.decode_projected(pseudo, projected_contexts), pseudo)


def _pseudo_encoded(encoded: Encoded, contexts: torch.Tensor, rows: torch.Tensor) -> Encoded:
    """One pseudo-state per row of ``contexts`` (n_rows, width), with the question and candidates of ``rows``."""
    return Encoded(states=contexts.unsqueeze(1),
                   mask=torch.ones(contexts.shape[0], 1, dtype=torch.bool, device=contexts.device),
                   question=select_rows(encoded.question, rows), candidates=select_rows(encoded.candidates, rows))


def _scores(model: AttentionModel, encoded: Encoded) -> torch.Tensor:
    """Unnormalised attention scores, shape (batch, seq_len)."""
    return model.attention.scores(encoded.states, encoded.question)


def instance_seed(sequence, question=None, *, seed: int, purpose: str) -> int:
    """A 63-bit seed derived from ``seed``, ``purpose`` and the content of one example.

    Permutations and adversary initialisations are drawn from a generator seeded with this value, one
    per example, so results do not depend on batch size, example order or padding, and the fast and the
    naive implementations draw exactly the same numbers.

    Parameters
    ----------
    sequence : sequence of int
        The framed token ids (``<SOS> ... <EOS>``) of the text or passage.
    question : sequence of int, optional
        The framed question of a pair example.
    seed : int
    purpose : str
        Keeps different analyses' draws apart (``"permutation"``, ``"adversarial"``).
    """
    digest = hashlib.blake2b(digest_size=8)
    digest.update(f"{purpose}|{int(seed)}|".encode())
    digest.update(np.asarray(sequence, dtype="<i8").tobytes())
    if question is not None:
        digest.update(b"|question|")
        digest.update(np.asarray(question, dtype="<i8").tobytes())
    return int.from_bytes(digest.digest(), "little") >> 1


def _batch_generators(batch: Batch, seed: int, purpose: str) -> list[torch.Generator]:
    """One CPU generator per row of ``batch``, seeded by :func:`instance_seed`."""
    tokens, lengths = batch.tokens.cpu(), batch.lengths.cpu().tolist()
    questions = None if batch.question is None else batch.question.cpu()
    q_lengths = None if batch.question is None else batch.question_lengths.cpu().tolist()
    generators = []
    for i, length in enumerate(lengths):
        question = None if questions is None else questions[i, : q_lengths[i]].tolist()
        generator = torch.Generator()
        generator.manual_seed(instance_seed(tokens[i, :length].tolist(), question, seed=seed, purpose=purpose))
        generators.append(generator)
    return generators


def _rows(n_rows: int, n_positions: int, device) -> torch.Tensor:
    """Row index of each (row, position) job, flattened row-major: shape (n_rows * n_positions,)."""
    return torch.arange(n_rows, device=device).repeat_interleave(n_positions)
