"""Leave-one-out importance, exact and fast: only what removing a token changes is recomputed (book/protocol.md §4.2).

``loo_importance(model, batch)[b, t]`` is the total variation distance between the output with and without
token ``t`` (the text shortened by one). A strategy per encoder (:data:`LOO_STRATEGIES`) recomputes only what
changes: Average, the attention normaliser; CNN, a window of states around ``t``; BiLSTM, the forward states
after and the backward states before ``t``. Other encoders re-run the whole model on every shortened text.
:func:`attnlib.explain.naive.naive_loo` is the per-token loop all of them are tested against.
"""
from __future__ import annotations

from dataclasses import replace

import torch

from ..data.batching import Batch, length_mask, real_token_mask
from ..models.attention import AdditiveAttention, masked_softmax
from ..models.encoders import AverageEncoder, CNNEncoder, LSTMEncoder, _direction_weights
from ..models.model import AttentionModel, Encoded
from ._batching import DEFAULT_MAX_ELEMENTS, _check_positive, _decode_contexts, _rows, _scores
from .divergence import tvd

__all__ = ["LOO_STRATEGIES", "loo_importance"]

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
    embedded = embedded * length_mask(lengths, seq_len).unsqueeze(-1)
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


def _bilstm_cell_states(proj: torch.Tensor, w_hh_t: torch.Tensor, lengths: torch.Tensor):
    """Hidden and cell states of both directions at every position of whole texts (PyTorch's LSTM returns the
    hidden states only).

    One loop over positions serves both directions and every row: rows sorted by length, so the active rows at
    each step are a prefix (as in packed sequences), with one batched matrix product per step.

    Parameters
    ----------
    proj : Tensor, shape (2, batch, seq_len, 4 * hidden)
        Input projections ``x W_ih^T + b_ih + b_hh`` of every position, per direction.
    w_hh_t : Tensor, shape (2, hidden, 4 * hidden)
        Transposed recurrent weights per direction.
    lengths : LongTensor, shape (batch,)

    Returns
    -------
    h, c : Tensor, shape (2, batch, seq_len, hidden)
        Direction 0 forward, 1 backward (the backward state of position p after reading positions
        ``length - 1 ... p``); zero at padding.
    """
    n, seq_len, hidden = proj.shape[1], proj.shape[2], w_hh_t.shape[1]
    cell_h, cell_c = proj.new_zeros(2, n, seq_len, hidden), proj.new_zeros(2, n, seq_len, hidden)
    order = torch.argsort(lengths, descending=True, stable=True)
    counts = (lengths[None, :] > torch.arange(int(lengths.max()), device=lengths.device)[:, None]).sum(1).tolist()
    start = torch.stack([torch.zeros_like(lengths), lengths - 1])[:, order]           # (2, batch)
    step = torch.tensor([[1], [-1]], device=lengths.device)
    directions = torch.arange(2, device=lengths.device)[:, None]
    # tanh(x) = 2 sigmoid(2x) - 1, several times faster than torch.tanh on CPU; the g-gate rows are
    # pre-scaled by 2 (exact in floating point) so one sigmoid serves all four gates
    g_slice = slice(2 * hidden, 3 * hidden)
    proj, w_hh_t = proj.clone(), w_hh_t.clone()
    proj[..., g_slice] *= 2
    w_hh_t[..., g_slice] *= 2
    h, c = proj.new_zeros(2, n, hidden), proj.new_zeros(2, n, hidden)
    for k, a in enumerate(counts):
        rows = order[:a]
        flat = ((directions * n + rows) * seq_len + start[:, :a] + step * k).reshape(-1)   # (direction, row, position)
        inputs = proj.view(-1, proj.shape[-1]).index_select(0, flat).view(2, a, -1)
        gates = torch.sigmoid(inputs + torch.bmm(h[:, :a], w_hh_t))                       # i, f, g, o
        c_new = gates[..., hidden: 2 * hidden] * c[:, :a] + gates[..., :hidden] * (2 * gates[..., g_slice] - 1)
        h_new = gates[..., 3 * hidden:] * (2 * torch.sigmoid(2 * c_new) - 1)
        h[:, :a], c[:, :a] = h_new, c_new
        cell_h.view(-1, hidden).index_copy_(0, flat, h_new.reshape(-1, hidden))
        cell_c.view(-1, hidden).index_copy_(0, flat, c_new.reshape(-1, hidden))
    return cell_h, cell_c


PIECE_LENGTH_RATIO = 1.5
"""Pieces run together by :func:`_lstm_pieces` differ in length by at most this factor (the shorter ones are padded)."""


def _lstm_pieces(embedded: torch.Tensor, weights: list[torch.Tensor], rows: torch.Tensor, start: torch.Tensor,
                 step: int, n_steps: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor):
    """Run many LSTM pieces of one direction with PyTorch's dense LSTM (oneDNN on CPU), grouped by length.

    Piece ``j`` starts from state ``(h0[j], c0[j])`` and reads ``embedded[rows[j], start[j] + step * k]`` for
    ``k < n_steps[j]``. Pieces sorted by length are run in groups whose lengths differ by at most
    :data:`PIECE_LENGTH_RATIO`, each group padded at the end to its longest piece (padding comes after a piece's
    steps, so it never reaches them).

    Parameters
    ----------
    embedded : Tensor, shape (batch, seq_len, embed_dim)
    weights : list of Tensor
        ``[w_ih, w_hh, b_ih, b_hh]`` of the direction.
    rows, start, n_steps : LongTensor, shape (n_pieces,)
    step : int
        +1 (forward) or -1 (backward).
    h0, c0 : Tensor, shape (n_pieces, hidden)

    Yields
    ------
    pieces : LongTensor, shape (group,)
    positions : LongTensor, shape (group, longest)
        The position each output belongs to (any valid position where ``inside`` is False).
    inside : BoolTensor, shape (group, longest)
        True on the pieces' real steps.
    outputs : Tensor, shape (group, longest, hidden)
    """
    order = torch.argsort(n_steps, descending=True, stable=True)
    sizes = n_steps[order].tolist()
    first = 0
    while first < len(sizes) and sizes[first] > 0:
        longest, last = sizes[first], first
        while last < len(sizes) and sizes[last] > 0 and sizes[last] * PIECE_LENGTH_RATIO >= longest:
            last += 1
        pieces = order[first:last]
        k = torch.arange(longest, device=embedded.device)[None, :]
        inside = k < n_steps[pieces, None]
        positions = torch.where(inside, start[pieces, None] + step * k, start[pieces, None])
        x = embedded[rows[pieces, None], positions]                              # (group, longest, embed_dim)
        outputs, _, _ = torch.lstm(x, (h0[None, pieces], c0[None, pieces]), weights, True, 1, 0.0, False, False, True)
        yield pieces, positions, inside, outputs
        first = last


def _additive_scores(attention: AdditiveAttention, projected: torch.Tensor, question: torch.Tensor | None):
    """:meth:`AdditiveAttention.scores` from the passage projection ``W h`` of the states (without its bias), shape
    (batch, seq_len, size // 2), computed elsewhere (overwritten); tanh as 2 sigmoid(2x) - 1, several times faster
    than ``torch.tanh`` on CPU. Returns shape (batch, seq_len)."""
    projected.add_(attention.passage.bias)
    if attention.question is not None:
        projected.add_(attention.question(question).unsqueeze(1))
    return attention.v(projected.mul_(2).sigmoid_().mul_(2).sub_(1)).squeeze(-1)


def _loo_lstm(model: AttentionModel, batch: Batch, encoded: Encoded):
    """BiLSTM encoder: forward states before t and backward states after t do not change.

    With token t removed, the forward direction is re-run from position t+1 on, starting from the
    forward state (h, c) at t-1, and the backward direction from t-1 back to 1, starting from the backward
    state at t+1. States at ``<SOS>``/``<EOS>`` are never attended, so they are not recomputed. The
    re-runs of all removals of all rows are pieces of PyTorch's dense LSTM (:func:`_lstm_pieces`: oneDNN on
    CPU, grouped by length) with the ``nn.LSTM`` weights; the cell states they start from come from one batched
    loop over the whole texts (:func:`_bilstm_cell_states`), which keeps the cell state of every position.
    Attention scores are recomputed for every position (every state changes in one of its halves); for additive
    attention from the projections of the halves, each changed half projected once (:func:`_additive_scores`).
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
    weights = [_direction_weights(rnn, ""), _direction_weights(rnn, "_reverse")]
    cell_h, cell_c = _bilstm_cell_states(proj, w_hh_t, lengths)         # (2, batch, seq_len, hidden) each
    projected, changed_projection = [], []
    if isinstance(model.attention, AdditiveAttention):
        # W h = W_f h_f + W_b h_b: the projection of each original half once, of each changed half as it comes
        weight = model.attention.passage.weight                             # (size // 2, 2H)
        width = weight.shape[0]
        changed_projection = [weight[:, :hidden].T, weight[:, hidden:].T]
        projected = [states[..., :hidden] @ changed_projection[0], states[..., hidden:] @ changed_projection[1]]

    def run(positions: torch.Tensor) -> torch.Tensor:
        n_pos = positions.shape[0]
        rows = _rows(n, n_pos, device)
        t = positions.repeat(n)
        valid = t <= lengths[rows] - 2
        zero = torch.zeros_like(t)
        n_fwd = torch.where(valid, lengths[rows] - 2 - t, zero)     # positions t+1 ... length-2
        n_bwd = torch.where(valid, t - 1, zero)                     # positions t-1 ... 1
        prev, nxt = (t - 1).clamp(min=0), (t + 1).clamp(max=seq_len - 1)
        new_states = states.index_select(0, rows)                  # (n * n_pos, seq_len, 2H)
        halves = new_states.view(-1, hidden)                       # rows (job, position, direction)
        new_projected = [p.index_select(0, rows) for p in projected]   # (n * n_pos, seq_len, size // 2) each
        pieces = ((0, 1, t + 1, n_fwd, prev), (1, -1, t - 1, n_bwd, nxt))
        for direction, step, start, n_steps, origin in pieces:
            h0, c0 = cell_h[direction, rows, origin], cell_c[direction, rows, origin]
            for jobs, pos, inside, out in _lstm_pieces(embedded, weights[direction], rows, start, step, n_steps, h0, c0):
                target, changed = (jobs[:, None] * seq_len + pos)[inside], out[inside]
                halves.index_copy_(0, target * 2 + direction, changed)
                if projected:
                    new_projected[direction].view(-1, width).index_copy_(
                        0, target, changed @ changed_projection[direction])
        question = None if encoded.question is None else encoded.question.index_select(0, rows)
        keep = _removal_mask(mask, positions).reshape(n * n_pos, seq_len)
        scores = (_additive_scores(model.attention, new_projected[0].add_(new_projected[1]), question) if projected
                  else model.attention.scores(new_states, question))
        attn = masked_softmax(scores, keep)
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
        shortened = replace(batch.index_select(rows), tokens=tokens, lengths=lengths,
                            mask=real_token_mask(lengths, seq_len - 1))
        return model.predict(shortened).view(n, n_pos, -1)

    return run


LOO_STRATEGIES = {AverageEncoder: _loo_average, CNNEncoder: _loo_cnn, LSTMEncoder: _loo_lstm}
"""The fast leave-one-out for each encoder class; other encoders use a batched full re-run."""


def loo_importance(model: AttentionModel, batch: Batch, *, max_elements: int = DEFAULT_MAX_ELEMENTS) -> torch.Tensor:
    """Leave-one-out importance: TVD between the outputs with and without each token.

    ``importance[b, t] = TVD(f(x_b), f(x_b without token t))``, the text shortened by one (book/protocol.md
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
            part = batch if rows.shape[0] == n else batch.index_select(rows)
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
