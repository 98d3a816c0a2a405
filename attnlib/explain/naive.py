"""Naive, paper-literal implementations that the fast paths are tested and benchmarked against.

Each works one example at a time with full forward passes of the model, and returns the same arrays as
the corresponding fast function (rows in split order, per-position values aligned with
``split.sequences``, 0 outside the real tokens):

==========================  =========================================================================
naive                       fast
==========================  =========================================================================
:func:`naive_attention`     ``importance_over_split("attention", ...)``
:func:`naive_gradient`      ``importance_over_split("gradient", ...)`` — here through an explicit
                            one-hot input ``onehot @ E`` and ``d p / d onehot[t, w_t]``
:func:`naive_loo`           ``importance_over_split("loo", ...)``      — one forward pass per
                            removed token
:func:`naive_permutation`   :func:`~attnlib.explain.permutation.permutation_over_split` — one full
                            forward pass (encoder included) per permutation, same permutations
:func:`naive_adversarial`   :func:`~attnlib.explain.adversarial.adversarial_over_split` — one example
                            at a time, same initial noise, objective written out again
==========================  =========================================================================

Kendall τ's naive version is ``scipy.stats.kendalltau`` itself.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..data.base import Split
from ..data.batching import make_batch
from ..models.model import AttentionModel
from ._batching import _eval_mode, _padded, _prepare, instance_seed
from .adversarial import ADVERSARIAL_PURPOSE, AdversarialResult, initial_log_scores
from .divergence import jsd, tvd
from .permutation import PERMUTATION_PURPOSE, draw_permutations

__all__ = ["naive_attention", "naive_gradient", "naive_loo", "naive_permutation", "naive_adversarial"]


def _one(split: Split, i: int, sequence=None) -> Split:
    """Example ``i`` of ``split`` as a one-example split, optionally with another passage."""
    return Split(sequences=[list(split.sequences[i]) if sequence is None else sequence],
                 labels=split.labels[[i]],
                 questions=None if split.questions is None else [split.questions[i]],
                 candidates=None if split.candidates is None else split.candidates[[i]])


def _question(split: Split, i: int):
    return None if split.questions is None else split.questions[i]


def _examples(split: Split, progress: bool, desc: str):
    return tqdm(range(len(split)), desc=desc, disable=not progress, leave=False)


def naive_attention(model: AttentionModel, split: Split, *, device=None, progress: bool = False) -> np.ndarray:
    """Attention weights, one example at a time. Returns (n, max_len) float64."""
    device = _prepare(model, split, device)
    out = _padded(split)
    with _eval_mode(model), torch.no_grad():
        for i in _examples(split, progress, "naive attention"):
            batch = make_batch(split, [i]).to(device)
            attn = model.attend(model.encode(batch))[0]
            out[i, : attn.shape[0]] = attn.cpu().double().numpy()
    return out


def naive_gradient(model: AttentionModel, split: Split, *, device=None, progress: bool = False) -> np.ndarray:
    """``|d p / d onehot[t, w_t]|`` through an explicit one-hot input, one example at a time.

    The passage embedding is computed as ``onehot @ E`` (``E`` the embedding matrix), the attention is
    detached, and the derivative of ``p`` (class 1 for classifiers, the predicted class for pair models)
    w.r.t. the one-hot entry of each token's word is read off. Returns (n, max_len) float64.
    """
    device = _prepare(model, split, device)
    out = _padded(split)
    weight = model.embedding.weight.detach()
    with _eval_mode(model), torch.enable_grad():
        for i in _examples(split, progress, "naive gradient"):
            batch = make_batch(split, [i]).to(device)
            onehot = F.one_hot(batch.tokens, weight.shape[0]).to(weight.dtype).requires_grad_(True)
            encoded = model.encode(batch, embedded=onehot @ weight)
            probs = model.decode(encoded, model.attend(encoded).detach())[0]
            target = probs[1] if model.task == "classification" else probs[int(probs.argmax())]
            (grad,) = torch.autograd.grad(target, onehot)
            length = int(batch.lengths[0])
            positions = torch.arange(1, length - 1, device=device)
            values = grad[0, positions, batch.tokens[0, positions]].abs()
            out[i, 1: length - 1] = values.cpu().double().numpy()
    return out


def naive_loo(model: AttentionModel, split: Split, *, device=None, progress: bool = False) -> np.ndarray:
    """TVD of the output when each token is removed, one full forward pass per removed token.

    Returns (n, max_len) float64; NaN for a text with a single real token (nothing left to attend to).
    """
    device = _prepare(model, split, device)
    out = _padded(split)
    with _eval_mode(model), torch.no_grad():
        for i in _examples(split, progress, "naive leave-one-out"):
            sequence = list(split.sequences[i])
            probs = model.predict(make_batch(split, [i]).to(device))
            for t in range(1, len(sequence) - 1):
                shortened = _one(split, i, sequence[:t] + sequence[t + 1:])
                new_probs = model.predict(make_batch(shortened, [0]).to(device))
                out[i, t] = float(tvd(new_probs, probs)[0])
    return out


def naive_permutation(model: AttentionModel, split: Split, *, n_permutations: int = 100, seed: int = 0,
                      device=None, progress: bool = False) -> np.ndarray:
    """Output TVD per permutation, one full forward pass (encoder included) per permutation.

    Uses the same permutations as the fast path (:func:`~attnlib.explain.permutation.draw_permutations`
    with the example's generator). Returns (n, n_permutations) float64; ``np.median(axis=1)`` gives the
    paper's statistic.
    """
    device = _prepare(model, split, device)
    out = np.zeros((len(split), n_permutations))
    with _eval_mode(model), torch.no_grad():
        for i in _examples(split, progress, "naive permutation"):
            batch = make_batch(split, [i]).to(device)
            probs = model.predict(batch)
            n_tokens = len(split.sequences[i]) - 2
            generator = torch.Generator()
            generator.manual_seed(instance_seed(split.sequences[i], _question(split, i), seed=seed,
                                                purpose=PERMUTATION_PURPOSE))
            perms = draw_permutations(n_tokens, n_permutations, generator)
            for k in range(n_permutations):
                encoded = model.encode(batch)
                attn = model.attend(encoded)
                permuted = attn.clone()
                permuted[0, 1: 1 + n_tokens] = attn[0, 1 + perms[k].to(device)]
                out[i, k] = float(tvd(model.decode(encoded, permuted), probs)[0])
    return out


def naive_adversarial(model: AttentionModel, split: Split, *, n_adversaries: int = 5, n_iterations: int = 500,
                      lr: float = 0.01, seed: int = 0, device=None, progress: bool = False) -> AdversarialResult:
    """The authors' adversarial search run on one example at a time.

    Same initial noise as the fast path (:func:`~attnlib.explain.adversarial.initial_log_scores` with the
    example's generator); the model's ``decode`` is called on the cached, detached states repeated K times.
    Returns numpy arrays like :func:`~attnlib.explain.adversarial.adversarial_over_split`.
    """
    device = _prepare(model, split, device)
    attn_out = _padded(split, n_adversaries)
    jsd_out, tvd_out = np.zeros((len(split), n_adversaries)), np.zeros((len(split), n_adversaries))
    with _eval_mode(model):
        for i in _examples(split, progress, "naive adversarial"):
            batch = make_batch(split, [i]).to(device)
            with torch.no_grad():
                encoded = model.encode(batch).detach()
                attn = model.attend(encoded)                                   # (1, seq_len)
                probs = model.decode(encoded, attn)                             # (1, n_classes)
            repeated = encoded.index_select(torch.zeros(n_adversaries, dtype=torch.long, device=device))
            n_tokens, seq_len = len(split.sequences[i]) - 2, attn.shape[1]
            generator = torch.Generator()
            generator.manual_seed(instance_seed(split.sequences[i], _question(split, i), seed=seed,
                                                purpose=ADVERSARIAL_PURPOSE))
            init = torch.zeros(n_adversaries, seq_len, dtype=torch.float64)
            init[:, 1: 1 + n_tokens] = initial_log_scores(n_tokens, n_adversaries, generator)
            log_scores = init.to(device=device, dtype=attn.dtype).requires_grad_(True)
            optimizer = torch.optim.Adam([log_scores], lr=lr, amsgrad=True)
            outside = ~encoded.mask.expand(n_adversaries, -1)

            def forward():
                alpha = torch.softmax(log_scores.masked_fill(outside, float("-inf")), dim=-1)   # (K, seq_len)
                return alpha, model.decode(repeated, alpha)                                      # (K, n_classes)

            with torch.enable_grad():
                for _ in range(n_iterations):
                    alpha, new_probs = forward()
                    if model.task == "classification":
                        dy = (new_probs[:, 1] - probs[:, 1]).abs()              # |sigmoid(y_k) - sigmoid(y)|
                    else:
                        dy = (new_probs - probs).abs().sum(-1)                  # L1 = 2 * TVD
                    loss = 0.0
                    for k in range(n_adversaries):
                        loss = loss - jsd(alpha[k], attn[0]) + 500 * torch.relu(dy[k] - 0.01)
                    cross = jsd(alpha[None, :, :], alpha[:, None, :])           # (K, K)
                    loss = loss - cross.mean()
                    (log_scores.grad,) = torch.autograd.grad(loss, log_scores)   # nothing on the model
                    optimizer.step()
            with torch.no_grad():
                alpha, new_probs = forward()
                attn_out[i, :, :seq_len] = alpha.cpu().double().numpy()
                jsd_out[i] = jsd(alpha, attn).cpu().double().numpy()
                tvd_out[i] = tvd(new_probs, probs).cpu().double().numpy()
    return AdversarialResult(attn=attn_out, jsd=jsd_out, tvd=tvd_out)
