"""Per-token importance scores: attention weights, gradients and leave-one-out (PROTOCOL.md §4).

Every scorer has the same contract (STYLE.md §2.2)::

    scorer(model, batch) -> Tensor, shape (batch, seq_len)

on the model's device, with one value per position of ``batch.tokens`` (the passage for pair models) and
**0 outside ``batch.mask``**, i.e. at ``<SOS>``, ``<EOS>`` and padding; only real tokens (positions
``1 ... length-2``) are scored. :data:`SCORERS` maps names to scorers, and :func:`importance_over_split`
runs one over a :class:`~attnlib.data.base.Split` in length-sorted batches and puts the rows back in
split order.

* ``attention``: the model's attention weights.
* ``gradient``: ``|dp / d onehot[t, w_t]| = |sum_e (dp / de_t) * e_t|`` with the attention **detached**
  (computed, then treated as a constant), where ``p`` is the probability of class 1 for classifiers and of
  the predicted class for pair models (PROTOCOL.md §4.1, quirk Q11). Only passage tokens are scored.
* ``leave_one_out``: the total variation distance between the output distribution with and without token
  ``t`` (the sequence shortened by one). For classifiers this is ``|p(x_-t) - p(x)|`` as in the authors'
  plots; for pair models the authors stored ``2 * TVD`` (the L1 distance), we return the TVD (τ is the
  same). A text with a single real token has no output once it is removed: its score is NaN.

Leave-one-out is exact but exploits each encoder's structure instead of re-running the model once per
token (:func:`loo_importance`); :mod:`attnlib.explain.reference` holds the per-token loop it is tested
against.

This module also holds the private helpers the other analyses share (batching over a split, decoding
precomputed contexts, per-example seeds).
"""
from __future__ import annotations

import contextlib
import hashlib
from dataclasses import fields
from typing import Callable, Iterator

import numpy as np
import torch
from tqdm.auto import tqdm

from ..data.base import Split
from ..device import resolve_device
from ..data.batching import Batch, batch_order, make_batch, real_token_mask
from ..models.attention import masked_softmax
from ..models.encoders import AverageEncoder, CNNEncoder, LSTMEncoder
from ..models.model import AttentionModel, Encoded
from .divergence import tvd

__all__ = [
    "SCORERS", "Scorer", "attention_importance", "gradient_importance", "loo_importance",
    "importance_over_split", "instance_seed",
]

Scorer = Callable[[AttentionModel, Batch], torch.Tensor]

DEFAULT_MAX_ELEMENTS = 2 ** 23
"""Leave-one-out works on chunks of removals holding at most about this many hidden-state numbers."""


# ----------------------------------------------------------------------------------------------------------
# Shared helpers (used by the other modules of attnlib.explain)
# ----------------------------------------------------------------------------------------------------------

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
    equals its naive reference there too; on the CPU this changes nothing.
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
    pick = lambda t: None if t is None else t.index_select(0, rows)  # noqa: E731
    pseudo = Encoded(states=contexts.unsqueeze(1),
                     mask=torch.ones(contexts.shape[0], 1, dtype=torch.bool, device=contexts.device),
                     question=pick(encoded.question), candidates=pick(encoded.candidates))
    return model.decode(pseudo, contexts.new_ones(contexts.shape[0], 1))


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


# ----------------------------------------------------------------------------------------------------------
# Attention and gradient
# ----------------------------------------------------------------------------------------------------------

def attention_importance(model: AttentionModel, batch: Batch) -> torch.Tensor:
    """The model's attention weights.

    Parameters
    ----------
    model : AttentionModel
    batch : Batch
        On the model's device.

    Returns
    -------
    Tensor, shape (batch, seq_len)
        Zero outside ``batch.mask``; rows sum to 1.

    Examples
    --------
    >>> attn = attention_importance(model, make_batch(split, [0, 1]))  # doctest: +SKIP
    """
    with torch.no_grad():
        return model.attend(model.encode(batch))


def _gradient_target(model: AttentionModel, probs: torch.Tensor) -> torch.Tensor:
    """``p(class 1)`` for classifiers, the predicted class's probability for pair models; shape (batch,)."""
    if model.task == "classification":
        return probs[:, 1]
    return probs.gather(1, probs.detach().argmax(1, keepdim=True)).squeeze(1)


def gradient_importance(model: AttentionModel, batch: Batch) -> torch.Tensor:
    """Gradient of the output w.r.t. the one-hot input, attention detached, absolute value.

    ``importance[b, t] = |sum_e (dp_b / de_{b,t,e}) * e_{b,t,e}|``, the derivative of ``p_b`` with respect to
    the active entry of the one-hot vector of token ``t`` (gradient times input on the embedding). The
    attention is computed, detached and used as a constant (PROTOCOL.md §4.1). ``p_b`` is ``p(class 1)``
    for classifiers and the predicted class's probability for pair models. Examples are independent, so
    one backward pass of ``sum_b p_b`` gives every row. Nothing is accumulated in the parameters' ``.grad``.

    Parameters
    ----------
    model : AttentionModel
    batch : Batch
        On the model's device.

    Returns
    -------
    Tensor, shape (batch, seq_len)
        Non-negative, zero outside ``batch.mask``.
    """
    with torch.enable_grad():
        embedded = model.embed(batch).detach().requires_grad_(True)
        encoded = model.encode(batch, embedded=embedded)
        attn = model.attend(encoded).detach()
        probs = model.decode(encoded, attn)
        (grad,) = torch.autograd.grad(_gradient_target(model, probs).sum(), embedded)
    importance = (grad * embedded.detach()).sum(-1).abs()
    return torch.where(batch.mask, importance, torch.zeros_like(importance))


# ----------------------------------------------------------------------------------------------------------
# Leave-one-out
# ----------------------------------------------------------------------------------------------------------
#
# A strategy is prepared once per batch, ``strategy(model, batch, encoded) -> run``, and ``run(positions)``
# returns the output distributions with token ``t`` removed, shape (batch, len(positions), n_classes), for
# every row of the batch and every ``t`` in ``positions`` (values for ``t`` outside a row's real tokens are
# garbage and discarded by the caller).

def _removal_mask(mask: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """(batch, n_positions, seq_len): ``mask`` with position ``positions[j]`` switched off in slice ``j``."""
    seq_len = mask.shape[1]
    others = torch.arange(seq_len, device=mask.device)[None, None, :] != positions[None, :, None]
    return mask[:, None, :] & others


def _rows(n_rows: int, n_positions: int, device) -> torch.Tensor:
    """Row index of each (row, position) job, flattened row-major: shape (n_rows * n_positions,)."""
    return torch.arange(n_rows, device=device).repeat_interleave(n_positions)


def _loo_average(model: AttentionModel, batch: Batch, encoded: Encoded):
    """Average encoder: states and scores of the other tokens do not change; only the softmax normaliser does.

    For pair models the question encoder does not see the passage, so the question vector is unchanged.
    """
    states = encoded.states
    scores = _scores(model, encoded)

    def run(positions: torch.Tensor) -> torch.Tensor:
        n, n_pos = states.shape[0], positions.shape[0]
        keep = _removal_mask(encoded.mask, positions)
        weights = masked_softmax(scores[:, None, :].expand_as(keep), keep)
        contexts = torch.bmm(weights, states)
        probs = _decode_contexts(model, encoded, contexts.reshape(n * n_pos, -1), _rows(n, n_pos, states.device))
        return probs.view(n, n_pos, -1)

    return run


def _loo_cnn(model: AttentionModel, batch: Batch, encoded: Encoded):
    """CNN encoder: removing token t changes only the states of positions t-r ... t+r (radius r = 3).

    In the shortened sequence, new positions ``t-r ... t+r-1`` (original positions ``t-r ... t-1`` and
    ``t+1 ... t+r``) see the gap; every other state is the original state of the same token, with its
    original attention score. For a changed position only the filter taps that reach across the gap
    read a different token, so its new pre-activation is the original one plus a few differences
    ``W_k e_{p+1} - W_k e_p`` of per-tap products computed once per position (20 taps per removal for
    widths 1, 3, 5, 7, instead of a convolution); then the attention scores of the changed states are
    recomputed. Convolutions other than stride-1, undilated, "same"-padded ones of width <= 2r+1 with
    biases and equal filter counts fall back to :func:`_loo_generic`.
    """
    encoder: CNNEncoder = model.encoder
    r = encoder.receptive_radius
    states, mask, lengths = encoded.states, encoded.mask, batch.lengths
    n, seq_len, _ = states.shape
    device = states.device
    scores = _scores(model, encoded)
    embedded = model.embed(batch)
    embedded = embedded * (torch.arange(seq_len, device=device) < lengths[:, None]).unsqueeze(-1)
    offsets = torch.arange(-r, r + 1, device=device)
    changed_offsets = offsets[offsets != 0]                                # (2r,)
    pad = r + 1                                                            # zero positions on each side
    convs = list(encoder.convs)
    widths = [conv.kernel_size[0] for conv in convs]
    for conv, width in zip(convs, widths):
        if (conv.stride != (1,) or conv.dilation != (1,) or conv.padding != (width // 2,) or width // 2 > r
                or conv.bias is None or conv.out_channels != convs[0].out_channels):
            return _loo_generic(model, batch, encoded)
    n_groups, n_taps, n_filters = len(convs), sum(widths), convs[0].out_channels
    padded_len = seq_len + 2 * pad
    # pre[b, pad + p] = original pre-activations (every filter) at position p;
    # diffs[b, pad + p, k] = W_k e_{p+1} - W_k e_p for every tap k of every filter, then the same negated
    pre = embedded.new_zeros(n, padded_len, n_groups, n_filters)
    diffs = embedded.new_zeros(n, padded_len, 2, n_taps, n_filters)
    terms = []                                                             # (offset from t, tap index, slot)
    first_tap = 0
    for group, (conv, width) in enumerate(zip(convs, widths)):
        c = width // 2
        tap = embedded.new_zeros(n, padded_len, width, n_filters)
        tap[:, pad: pad + seq_len] = (embedded @ conv.weight.permute(1, 2, 0).reshape(embedded.shape[-1], -1)) \
            .view(n, seq_len, width, n_filters)
        pre[:, c: padded_len - c, group] = sum(tap[:, k: padded_len - 2 * c + k, k] for k in range(width)) + conv.bias
        diffs[:, :-1, 0, first_tap: first_tap + width] = tap[:, 1:] - tap[:, :-1]
        for j, d in enumerate(d for d in range(-r, r + 1) if d != 0):     # changed_offsets, from the host
            for k in range(width):
                if d < 0 and k - c >= -d:            # left of t: taps reaching t or beyond read one further
                    terms.append((d + k - c, first_tap + k, j * n_groups + group))
                elif d > 0 and k - c <= -d:          # right of t: taps reaching t or before read one earlier
                    terms.append((d - 1 + k - c, n_taps + first_tap + k, j * n_groups + group))
        first_tap += width
    diffs[:, :, 1] = -diffs[:, :, 0]
    pre = pre.flatten(2)                                                   # (n, padded_len, hidden)
    diffs = diffs.flatten(1, 3)                                            # (n, padded_len * 2 * n_taps, f)
    term_offset, term_tap, term_slot = (torch.tensor(x, device=device) for x in zip(*terms))

    def run(positions: torch.Tensor) -> torch.Tensor:
        n_pos = positions.shape[0]
        rows = _rows(n, n_pos, device)
        old = pre.index_select(1, (positions[:, None] + changed_offsets[None, :] + pad).reshape(-1))
        new_pre = old.view(n, n_pos, 2 * r * n_groups, -1)                   # (n, n_pos, 2r * groups, f)
        flat = (positions[:, None] + term_offset[None, :] + pad) * (2 * n_taps) + term_tap[None, :]
        new_pre.index_add_(2, term_slot, diffs.index_select(1, flat.reshape(-1)).view(n, n_pos, len(terms), -1))
        new_states = torch.relu(new_pre).view(n, n_pos, 2 * r, -1)        # (n, n_pos, 2r, hidden)
        ch_pos = positions[:, None] + changed_offsets[None, :]             # (n_pos, 2r) original positions
        real = (ch_pos >= 1)[None] & (ch_pos[None] <= (lengths - 2)[:, None, None])   # (n, n_pos, 2r)
        new_states = new_states * real.unsqueeze(-1)
        question = None if encoded.question is None else encoded.question.index_select(0, rows)
        new_scores = model.attention.scores(new_states.view(n * n_pos, 2 * r, -1), question).view(n, n_pos, 2 * r)
        # scores over original positions with the changed ones replaced; columns 0 and seq_len-1 (where
        # out-of-range positions are clamped) are never real tokens, so clobbering them is harmless
        index = ch_pos.clamp(0, seq_len - 1)[None].expand(n, n_pos, 2 * r)
        keep = _removal_mask(mask, positions)
        all_scores = scores[:, None, :].repeat(1, n_pos, 1).scatter_(2, index, new_scores)   # a copy
        weights = masked_softmax(all_scores, keep)
        window_weights = weights.gather(2, index) * real
        contexts = torch.bmm(weights.scatter(2, index, 0.0), states) \
            + torch.einsum("bpw,bpwd->bpd", window_weights, new_states)
        return _decode_contexts(model, encoded, contexts.reshape(n * n_pos, -1), rows).view(n, n_pos, -1)

    return run


def _bilstm_run(proj, w_hh_t, rows, start, n_steps, h, c, write) -> None:
    """Run many independent LSTM pieces of both directions in one loop.

    Piece ``j`` of direction ``d`` (0 forward, 1 backward) starts from state ``(h[d, j], c[d, j])`` and
    processes positions ``start[d, j], start[d, j] + step_d, ...`` (``n_steps[d, j]`` of them, ``step`` = +1
    forward, -1 backward) of row ``rows[d, j]``. Each direction's pieces are sorted by length, so the active
    pieces at each step are a prefix (as in packed sequences), and one batched matrix product serves both
    directions at every step. For whole texts, and for all removals of a text, both directions have the
    same multiset of lengths, so nothing is wasted; otherwise the shorter prefix is padded with finished
    pieces whose results are sent to the dummy piece index ``n_pieces``.

    Parameters
    ----------
    proj : Tensor, shape (2, batch, seq_len, 4 * hidden)
        Input projections ``x W_ih^T + b_ih + b_hh`` of every position, per direction.
    w_hh_t : Tensor, shape (2, hidden, 4 * hidden)
        Transposed recurrent weights per direction.
    rows, start, n_steps : LongTensor, shape (2, n_pieces)
    h, c : Tensor, shape (2, n_pieces, hidden)
        Initial states.
    write : callable ``write(pieces, positions, h, c)``
        Called after each step with the pieces' indices and positions, shape (2, active), and their new
        states, shape (2, active, hidden); finished pieces padding the shorter direction have index
        ``n_pieces`` (write their results to a dummy slot).
    """
    if n_steps.numel() == 0:
        return
    n_pieces, hidden = n_steps.shape[1], h.shape[-1]
    order = torch.argsort(n_steps, dim=1, descending=True, stable=True)
    rows, start, n_steps = rows.gather(1, order), start.gather(1, order), n_steps.gather(1, order)
    h = h.gather(1, order[..., None].expand_as(h)).clone()
    c = c.gather(1, order[..., None].expand_as(c)).clone()
    max_steps = int(n_steps.max())
    counts = (n_steps[:, None, :] > torch.arange(max_steps, device=n_steps.device)[None, :, None]).sum(2)
    same = torch.equal(counts[0], counts[1])
    counts = counts.max(0).values.tolist()
    step = torch.tensor([[1], [-1]], device=start.device)
    directions = torch.arange(2, device=start.device)[:, None]
    # tanh(x) = 2 sigmoid(2x) - 1, several times faster than torch.tanh on CPU; the g-gate rows are
    # pre-scaled by 2 (exact in floating point) so one sigmoid serves all four gates
    g_slice = slice(2 * hidden, 3 * hidden)
    proj, w_hh_t = proj.clone(), w_hh_t.clone()
    proj[..., g_slice] *= 2
    w_hh_t[..., g_slice] *= 2
    n_rows, seq_len = proj.shape[1], proj.shape[2]
    proj = proj.reshape(-1, proj.shape[-1])                        # rows (direction, row, position)
    row_base = (directions * n_rows + rows) * seq_len              # flat row of position 0 of each piece
    for k, a in enumerate(counts):
        pos = start[:, :a] + step * k
        pieces = order[:, :a]
        if not same:
            finished = n_steps[:, :a] <= k
            pos = torch.where(finished, torch.zeros_like(pos), pos)
            pieces = torch.where(finished, torch.full_like(pieces, n_pieces), pieces)
        inputs = proj.index_select(0, (row_base[:, :a] + pos).reshape(-1)).view(2, a, -1)
        gates = torch.sigmoid(inputs + torch.bmm(h[:, :a], w_hh_t))                           # i, f, g, o
        c_new = gates[..., hidden: 2 * hidden] * c[:, :a] + gates[..., :hidden] * (2 * gates[..., g_slice] - 1)
        h_new = gates[..., 3 * hidden:] * (2 * torch.sigmoid(2 * c_new) - 1)
        h[:, :a], c[:, :a] = h_new, c_new
        write(pieces, pos, h_new, c_new)


def _loo_lstm(model: AttentionModel, batch: Batch, encoded: Encoded):
    """BiLSTM encoder: forward states before t and backward states after t do not change.

    With token t removed, the forward direction is re-run from position t+1 on, starting from the
    forward state (h, c) at t-1, and the backward direction from t-1 back to 1, starting from the backward
    state at t+1. States at ``<SOS>``/``<EOS>`` are never attended, so they are not recomputed. All
    removals of all rows, both directions, run in one batched loop (:func:`_bilstm_run`) with the
    ``nn.LSTM`` weights; the cell states it needs come from a first run of the same loop over the whole
    texts. Attention scores are recomputed for every position (every state changes in one of its halves).
    LSTMs other than one bidirectional, batch-first layer with biases fall back to :func:`_loo_generic`.
    """
    rnn = model.encoder.rnn
    if rnn.num_layers != 1 or not rnn.bidirectional or not rnn.bias or rnn.proj_size or not rnn.batch_first:
        return _loo_generic(model, batch, encoded)
    hidden = rnn.hidden_size
    states, mask, lengths = encoded.states, encoded.mask, batch.lengths
    n, seq_len, _ = states.shape
    device = states.device
    embedded = model.embed(batch)
    proj, w_hh_t = [], []
    for suffix in ("", "_reverse"):
        bias = getattr(rnn, "bias_ih_l0" + suffix) + getattr(rnn, "bias_hh_l0" + suffix)
        proj.append(embedded @ getattr(rnn, "weight_ih_l0" + suffix).T + bias)
        w_hh_t.append(getattr(rnn, "weight_hh_l0" + suffix).T)
    proj, w_hh_t = torch.stack(proj), torch.stack(w_hh_t)
    directions = torch.arange(2, device=device)[:, None]
    # (h, c) of both directions at every position of the unshortened texts: (2, batch, seq_len, hidden)
    # (one dummy row at the end, see _bilstm_run)
    cell_h, cell_c = states.new_zeros(2, n + 1, seq_len, hidden), states.new_zeros(2, n + 1, seq_len, hidden)

    def write_cells(pieces, pos, h, c):
        flat = ((directions * (n + 1) + pieces) * seq_len + pos).reshape(-1)
        cell_h.view(-1, hidden).index_copy_(0, flat, h.reshape(-1, hidden))
        cell_c.view(-1, hidden).index_copy_(0, flat, c.reshape(-1, hidden))

    row_ids = torch.arange(n, device=device)
    _bilstm_run(proj, w_hh_t, torch.stack([row_ids, row_ids]), torch.stack([torch.zeros_like(lengths), lengths - 1]),
                torch.stack([lengths, lengths]), states.new_zeros(2, n, hidden), states.new_zeros(2, n, hidden),
                write_cells)

    def run(positions: torch.Tensor) -> torch.Tensor:
        n_pos = positions.shape[0]
        rows = _rows(n, n_pos, device)
        t = positions.repeat(n)
        valid = t <= lengths[rows] - 2
        zero = torch.zeros_like(t)
        n_fwd = torch.where(valid, lengths[rows] - 2 - t, zero)     # positions t+1 ... length-2
        n_bwd = torch.where(valid, t - 1, zero)                     # positions t-1 ... 1
        prev, nxt = (t - 1).clamp(min=0), (t + 1).clamp(max=seq_len - 1)
        # one extra (dummy) row receives the results of finished pieces (see _bilstm_run)
        new_states = states.index_select(0, torch.cat([rows, rows[:1]]))   # (n * n_pos + 1, seq_len, 2H)
        halves = new_states.view(-1, hidden)                       # rows (job, position, direction)

        def write_states(pieces, pos, h, c):
            halves.index_copy_(0, ((pieces * seq_len + pos) * 2 + directions).reshape(-1), h.reshape(-1, hidden))

        _bilstm_run(proj, w_hh_t, torch.stack([rows, rows]), torch.stack([t + 1, t - 1]), torch.stack([n_fwd, n_bwd]),
                    torch.stack([cell_h[0, rows, prev], cell_h[1, rows, nxt]]),
                    torch.stack([cell_c[0, rows, prev], cell_c[1, rows, nxt]]), write_states)
        question = None if encoded.question is None else encoded.question.index_select(0, rows)
        keep = _removal_mask(mask, positions).reshape(n * n_pos, seq_len)
        new_states = new_states[:-1]
        attn = masked_softmax(model.attention.scores(new_states, question), keep)
        contexts = torch.bmm(attn.unsqueeze(1), new_states).squeeze(1)
        return _decode_contexts(model, encoded, contexts, rows).view(n, n_pos, -1)

    return run


def _loo_generic(model: AttentionModel, batch: Batch, encoded: Encoded):
    """Any encoder: re-run the whole model on every shortened text, batched over removals."""
    n, seq_len = batch.tokens.shape
    device = batch.tokens.device

    def run(positions: torch.Tensor) -> torch.Tensor:
        n_pos = positions.shape[0]
        rows = _rows(n, n_pos, device)
        t = positions.repeat(n)
        valid = t <= batch.lengths[rows] - 2
        # rows whose t is not a real token drop the last column instead (padding for them)
        t = torch.where(valid, t, torch.full_like(t, seq_len - 1))
        cols = torch.arange(seq_len - 1, device=device)[None, :]
        index = cols + (cols >= t[:, None]).long()
        tokens = batch.tokens.index_select(0, rows).gather(1, index)
        lengths = batch.lengths[rows] - valid.long()
        pick = lambda x: None if x is None else x.index_select(0, rows)  # noqa: E731
        shortened = Batch(tokens=tokens, lengths=lengths, mask=real_token_mask(lengths, seq_len - 1),
                          labels=batch.labels[rows], index=batch.index[rows], question=pick(batch.question),
                          question_lengths=pick(batch.question_lengths), candidates=pick(batch.candidates))
        return model.predict(shortened).view(n, n_pos, -1)

    return run


LOO_STRATEGIES = {AverageEncoder: _loo_average, CNNEncoder: _loo_cnn, LSTMEncoder: _loo_lstm}
"""The fast leave-one-out for each encoder class; other encoders use a batched full re-run."""


def loo_importance(model: AttentionModel, batch: Batch, *, max_elements: int = DEFAULT_MAX_ELEMENTS) -> torch.Tensor:
    """Leave-one-out importance: TVD between the outputs with and without each token.

    ``importance[b, t] = TVD(f(x_b), f(x_b without token t))``, the text shortened by one (PROTOCOL.md
    §4.2). Exact, but only what changes is recomputed (see the module docstring and
    :data:`LOO_STRATEGIES`): Average — the attention normaliser; CNN — a window of 6 states; BiLSTM — the
    forward states after and the backward states before ``t``, from the cached LSTM states around ``t``.
    Removals that leave the same text (either of two identical adjacent tokens; for the Average encoder,
    any occurrence of a word) get bit-identical values, so their ties survive into Kendall τ.

    Parameters
    ----------
    model : AttentionModel
    batch : Batch
        On the model's device.
    max_elements : int
        Removals are processed in chunks holding about this many hidden-state numbers (memory bound):
        groups of whole rows, or groups of positions of a row when one row alone is larger.

    Returns
    -------
    Tensor, shape (batch, seq_len)
        In [0, 1]; zero outside ``batch.mask``; NaN for a text with a single real token.
    """
    _check_positive("max_elements", max_elements)
    with torch.no_grad():
        encoded = model.encode(batch)
        probs = model.decode(encoded, model.attend(encoded))
        strategy = LOO_STRATEGIES.get(type(model.encoder), _loo_generic)
        n, seq_len, width = encoded.states.shape
        out = probs.new_zeros(n, seq_len)
        # chunks of whole rows (all their removals) while they fit, else of removal positions
        per_row = max(1, (seq_len - 2) * seq_len * width)
        n_rows = max(1, max_elements // per_row)
        for first_row in range(0, n, n_rows):
            rows = torch.arange(first_row, min(first_row + n_rows, n), device=probs.device)
            part = batch if rows.shape[0] == n else _select_rows(batch, rows)
            part_encoded = encoded if rows.shape[0] == n else encoded.index_select(rows)
            run = strategy(model, part, part_encoded)
            step = max(1, max_elements // max(1, rows.shape[0] * seq_len * width))
            for first in range(1, seq_len - 1, step):
                positions = torch.arange(first, min(first + step, seq_len - 1), device=probs.device)
                out[rows[:, None], positions[None, :]] = tvd(run(positions), probs[rows, None, :])
        out = _share_equal_removals(out, batch.tokens, batch.mask, order_free=type(model.encoder) is AverageEncoder)
    return torch.where(batch.mask, out, torch.zeros_like(out))


def _share_equal_removals(values: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor, *,
                          order_free: bool) -> torch.Tensor:
    """Give removals that leave the same text exactly the same value.

    Removing any token of a run of identical adjacent tokens leaves the same text; for an order-free
    encoder (Average) so does removing any occurrence of a word. Their values are equal mathematically
    but, computed along different paths, may differ in the last bit, which would turn ties into
    arbitrary orderings in Kendall τ and make τ depend on batch size. Each such removal takes the value
    of the first equivalent one.

    Parameters
    ----------
    values : Tensor, shape (batch, seq_len)
    tokens : LongTensor, shape (batch, seq_len)
    mask : BoolTensor, shape (batch, seq_len)
    order_free : bool

    Returns
    -------
    Tensor, shape (batch, seq_len)
    """
    positions = torch.arange(tokens.shape[1], device=tokens.device).expand_as(tokens)
    if order_free:
        # the first real position holding the same word; non-real positions get unique keys
        key = torch.where(mask, tokens, -1 - positions)
        sorted_key, order = key.sort(dim=1, stable=True)
        new_group = torch.ones_like(mask)
        new_group[:, 1:] = sorted_key[:, 1:] != sorted_key[:, :-1]
        group_start = torch.where(new_group, positions, torch.zeros_like(positions)).cummax(dim=1).values
        source = torch.empty_like(positions).scatter_(1, order, order.gather(1, group_start))
    else:
        # the first position of each run of identical real tokens
        repeat = torch.zeros_like(mask)
        repeat[:, 1:] = mask[:, 1:] & mask[:, :-1] & (tokens[:, 1:] == tokens[:, :-1])
        source = torch.where(repeat, torch.zeros_like(positions), positions).cummax(dim=1).values
    return values.gather(1, source)


def _select_rows(batch: Batch, rows: torch.Tensor) -> Batch:
    """The rows ``rows`` of ``batch`` (same padded length)."""
    return Batch(**{f.name: None if getattr(batch, f.name) is None else getattr(batch, f.name).index_select(0, rows)
                    for f in fields(Batch)})


SCORERS: dict[str, Scorer] = {
    "attention": attention_importance,
    "gradient": gradient_importance,
    "leave_one_out": loo_importance,
}
"""Importance scorers by name; each is ``scorer(model, batch) -> (batch, seq_len)``, 0 outside the mask."""


def importance_over_split(scorer: Scorer | str, model: AttentionModel, split: Split, *, batch_size: int = 32,
                          device=None, progress: bool = True) -> np.ndarray:
    """Run an importance scorer over a whole split.

    Parameters
    ----------
    scorer : str or callable
        A name in :data:`SCORERS` (``"attention"``, ``"gradient"``, ``"leave_one_out"``) or a scorer.
    model : AttentionModel
    split : Split
    batch_size : int
        Examples per batch; batches are length-sorted as in the authors' evaluation.
    device : str or torch.device, optional
        Moves the model there; default: where the model is.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    ndarray of float64, shape (n, max_len)
        Row ``i`` is aligned with ``split.sequences[i]`` (position 0 is ``<SOS>``); 0 outside the real tokens
        ``1 ... len(split.sequences[i]) - 2``. ``max_len`` is the longest sequence of the split.

    Examples
    --------
    >>> grads = importance_over_split("gradient", model, split, progress=False)  # doctest: +SKIP
    """
    if isinstance(scorer, str):
        if scorer not in SCORERS:
            raise ValueError(f"unknown scorer {scorer!r}; choose one of {', '.join(SCORERS)} or pass a callable")
        name, scorer = scorer, SCORERS[scorer]
    else:
        name = getattr(scorer, "__name__", "importance")
    device = _prepare(model, split, device)
    results = _Results()
    with _eval_mode(model):
        for batch in _host_batches(split, batch_size, progress, name):
            results.add(batch.index, scorer(model, batch.to(device)))
    return results.into(_padded(split))
