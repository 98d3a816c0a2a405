"""Adversarial attention search (book/protocol.md §7): very different attention, (almost) the same output.

For each example, ``K = 5`` attention vectors are parameterised by unnormalised log-scores ``theta_k``
(``-inf`` outside the real tokens, softmax gives ``alpha_k``) and optimised with Adam (lr 0.01,
amsgrad) for 500 full-batch iterations; model parameters are frozen and the encoder states are cached and
detached, and pooled through the decoder's first linear layer
(:meth:`~attnlib.models.model.AttentionModel.project_states`: one number per token for classifiers instead of the
2 x 128 of a BiLSTM state). The objective, minimised, is the authors'::

    sum_{examples, k} [ -JSD(alpha_k, alpha_hat) + 500 * ReLU(dy_k - 0.01) ]
        - mean_{k, k'} sum_{examples} JSD(alpha_k, alpha_k')

with ``alpha_hat`` the model's attention and ``dy_k`` the output change: ``|p_k - p|`` (= TVD) for binary
classifiers and ``sum_c |softmax_k - softmax|`` (= 2 * TVD) for pair models, exactly as in the authors'
code; so the hinge tolerance 0.01 is on the TVD for classifiers and on 2 * TVD for pair models (quirk Q4).

Initial log-scores are ``log(1 / n_tokens) + N(0, 3^2)`` per real token, drawn by
:func:`initial_log_scores` from one generator per example (:func:`~attnlib.explain.importance.instance_seed`).
The objective is a sum over examples and Adam updates every parameter elementwise, so an example's
optimisation does not depend on the other examples of its batch: batching only buys speed.

Each adversary's JSD to the original attention (over real tokens) and output TVD are kept, shape
(n, K), so "max JSD within epsilon" can be computed afterwards for any epsilon (:func:`max_jsd_within`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..data.base import Split
from ..data.batching import Batch
from ..models.model import AttentionModel
from ._batching import (DEFAULT_BATCH_SIZES, _batch_generators, _check_positive, _decode_projected, _eval_mode,
                        _host_batches, _padded, _prepare, _Results, _rows)
from .divergence import JSD_EPS, jsd, tvd

__all__ = [
    "ADVERSARIAL_PURPOSE", "AdversarialResult", "MAX_JSD_PREFIX", "PAPER_EPSILONS", "adversarial_objective",
    "adversarial_over_split", "adversarial_search", "divergence_gradient", "initial_log_scores", "max_jsd_column",
    "max_jsd_within", "with_paper_epsilons",
]

ADVERSARIAL_PURPOSE = "adversarial"
INIT_NOISE_STD = 3.0
OUTPUT_TOLERANCE = 0.01
OUTPUT_PENALTY = 500.0

#: The ε of the paper's text (classification) and of the authors' code (both tasks), book/protocol.md §7: every
#: per-instance table and summary holds the max JSD within both.
PAPER_EPSILONS = (0.01, 0.05)

#: The start of the name of a "max JSD within ε" column or summary measure (:func:`max_jsd_column`).
MAX_JSD_PREFIX = "adv_max_jsd@"


def max_jsd_column(epsilon: float) -> str:
    """The name of the per-instance column and summary measure of the max JSD within ``epsilon``.

    Examples
    --------
    >>> max_jsd_column(0.05)
    'adv_max_jsd@0.05'
    """
    return f"{MAX_JSD_PREFIX}{epsilon:g}"


def with_paper_epsilons(epsilons=()) -> list[float]:
    """``epsilons`` and :data:`PAPER_EPSILONS`, sorted, each once."""
    return sorted(set(epsilons) | set(PAPER_EPSILONS))


def initial_log_scores(n_tokens: int, n_adversaries: int, generator: torch.Generator) -> torch.Tensor:
    """Starting log-scores of the adversaries of one example: ``log(1 / n_tokens) + N(0, 3^2)``.

    Used by both the fast path and the naive version.

    Parameters
    ----------
    n_tokens : int
        Number of real tokens of the example.
    n_adversaries : int
    generator : torch.Generator
        A CPU generator (one per example).

    Returns
    -------
    Tensor of float64, shape (n_adversaries, n_tokens), on the CPU
    """
    noise = torch.randn(n_adversaries, n_tokens, generator=generator, dtype=torch.float64)
    return math.log(1.0 / n_tokens) + INIT_NOISE_STD * noise


def output_change(model: AttentionModel, new_probs: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """The authors' ``dy``: TVD for classifiers, ``2 * TVD`` (the L1 distance) for pair models.

    Parameters
    ----------
    new_probs, probs : Tensor, shape (..., n_classes), broadcastable

    Returns
    -------
    Tensor, shape (...)
    """
    scale = 1.0 if model.task == "classification" else 2.0
    return scale * tvd(new_probs, probs)


def adversarial_objective(alpha: torch.Tensor, attn: torch.Tensor, dy: torch.Tensor) -> torch.Tensor:
    """The authors' loss for a batch (module docstring).

    Computed for speed, with the value of the formula: each unordered pair of adversaries once (the JSD is
    symmetric and zero on the diagonal, so the mean over all K x K ordered pairs is twice the sum over pairs
    k < k', over K^2); the authors' JSD rearranged as ``JSD(p, q) = (S(p) + S(q)) / 2 - S(m)`` with
    ``S(p) = sum p log(p + 1e-10)`` and ``m = (p + q) / 2``, so that ``S`` of each distribution is computed once
    and a pair costs only its ``S(m)``; and without the clamp to [0, 1] of :func:`~attnlib.explain.divergence.jsd`,
    which is the identity, value and gradient, on distributions. The test of this function is the formula itself,
    term by term.

    Parameters
    ----------
    alpha : Tensor, shape (batch, n_adversaries, seq_len)
        Adversarial attention (distributions: softmax outputs).
    attn : Tensor, shape (batch, seq_len)
        The model's attention.
    dy : Tensor, shape (batch, n_adversaries)
        Output change of each adversary (:func:`output_change`).

    Returns
    -------
    Tensor, scalar
    """
    k = alpha.shape[1]
    first, second = torch.triu_indices(k, k, 1, device=alpha.device)                    # the pairs k < k'
    s_alpha = _s(alpha).sum()                                                           # S of every adversary
    to_original = 0.5 * (s_alpha + k * _s(attn).sum()) - _s(0.5 * (alpha + attn[:, None, :])).sum()
    between = 0.5 * (k - 1) * s_alpha - _s(0.5 * (alpha.index_select(1, first) + alpha.index_select(1, second))).sum()
    return _output_hinge(dy) - to_original - 2 * between / (k * k)


def _output_hinge(dy: torch.Tensor) -> torch.Tensor:
    """The objective's penalty on output change, ``sum 500 * ReLU(dy - 0.01)`` over ``dy`` (batch, n_adversaries)."""
    return OUTPUT_PENALTY * torch.relu(dy - OUTPUT_TOLERANCE).sum()


def divergence_gradient(alpha: torch.Tensor, attn: torch.Tensor) -> torch.Tensor:
    """The gradient of :func:`adversarial_objective` with respect to ``alpha`` through its JSD terms (all of it but
    the output hinge, which reaches ``alpha`` through the model), by hand: the search needs only this gradient,
    never the objective's value, and autograd would compute both, keeping every intermediate.

    With ``s(p) = log(p + 1e-10) + p / (p + 1e-10)``, the derivative of ``p log(p + 1e-10)``, ``m_k`` the mean of
    ``alpha_k`` and ``attn``, and ``m_kk'`` the mean of ``alpha_k`` and ``alpha_k'``::

        d/d alpha_k = -(1/2 + (K - 1) / K^2) s(alpha_k) + s(m_k) / 2 + sum_{k' != k} s(m_kk') / K^2

    Tested against autograd of :func:`adversarial_objective`.

    Parameters
    ----------
    alpha : Tensor, shape (batch, n_adversaries, seq_len)
    attn : Tensor, shape (batch, seq_len)

    Returns
    -------
    Tensor, shape (batch, n_adversaries, seq_len)
    """
    k = alpha.shape[1]
    first, second = torch.triu_indices(k, k, 1, device=alpha.device)
    pairs = _s_derivative(0.5 * (alpha.index_select(1, first) + alpha.index_select(1, second)))
    gradient = _s_derivative(0.5 * (alpha + attn[:, None, :])).mul_(0.5)
    gradient.add_(_s_derivative(alpha), alpha=-(0.5 + (k - 1) / (k * k)))
    gradient.index_add_(1, first, pairs, alpha=1.0 / (k * k))
    return gradient.index_add_(1, second, pairs, alpha=1.0 / (k * k))


def _s_derivative(p: torch.Tensor) -> torch.Tensor:
    """``log(p + 1e-10) + p / (p + 1e-10)`` elementwise: the derivative of each term of :func:`_s`."""
    shifted = p + JSD_EPS
    return torch.log(shifted).add_(p.div(shifted))


def _s(p: torch.Tensor) -> torch.Tensor:
    """``sum p log(p + 1e-10)`` over the last dimension (shape (...) for ``p`` of shape (..., seq_len)): the JSD of
    two distributions is the mean of their ``S`` minus the ``S`` of their mean (:func:`adversarial_objective`)."""
    return (p * torch.log(p + JSD_EPS)).sum(-1)


@dataclass
class AdversarialResult:
    """Adversaries of a batch or split.

    Attributes
    ----------
    attn : Tensor or ndarray, shape (n, n_adversaries, seq_len)
        Adversarial attention, 0 outside the real tokens.
    jsd : Tensor or ndarray, shape (n, n_adversaries)
        JSD of each adversary to the model's attention (over real tokens).
    tvd : Tensor or ndarray, shape (n, n_adversaries)
        TVD between the output under each adversary and the original output.
    """

    attn: object
    jsd: object
    tvd: object


def _check_search_args(n_adversaries, n_iterations, lr) -> None:
    _check_positive("n_adversaries", n_adversaries)
    _check_positive("n_iterations", n_iterations, minimum=0)
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"lr must be a positive number; got {lr!r}")


def initial_batch_scores(batch: Batch, n_adversaries: int, seed: int) -> torch.Tensor:
    """Each row's seeded initial log-scores (:func:`initial_log_scores`) on its real tokens, 0 elsewhere.

    Returns
    -------
    Tensor of float64, shape (batch, n_adversaries, seq_len), on the CPU
    """
    init = torch.zeros(len(batch), n_adversaries, batch.tokens.shape[1], dtype=torch.float64)
    n_real = (batch.lengths.cpu() - 2).tolist()
    for i, generator in enumerate(_batch_generators(batch, seed, ADVERSARIAL_PURPOSE)):
        init[i, :, 1: 1 + n_real[i]] = initial_log_scores(n_real[i], n_adversaries, generator)
    return init


def adversarial_search(model: AttentionModel, batch: Batch, *, n_adversaries: int = 5, n_iterations: int = 500,
                       lr: float = 0.01, seed: int = 0, init: torch.Tensor | None = None) -> AdversarialResult:
    """Search adversarial attention for every row of a batch at once.

    Parameters
    ----------
    model : AttentionModel
        Not modified; no gradient is left on its parameters.
    batch : Batch
        On the model's device.
    n_adversaries : int
        K, 5 in the paper.
    n_iterations : int
        Adam steps, 500 in the paper.
    lr : float
        0.01 in the paper.
    seed : int
        With the example's content, seeds its initial noise.
    init : Tensor, shape (batch, n_adversaries, seq_len), optional
        :func:`initial_batch_scores` of the batch, drawn beforehand from its host copy (default: drawn here).

    Returns
    -------
    AdversarialResult
        Tensors on the model's device: ``attn`` (batch, K, seq_len), ``jsd`` and ``tvd`` (batch, K).
    """
    _check_search_args(n_adversaries, n_iterations, lr)
    with torch.no_grad():
        encoded = model.encode(batch).detach()
        attn = model.attend(encoded)
        probs = model.decode(encoded, attn)
    n, seq_len = attn.shape
    if init is None:
        init = initial_batch_scores(batch, n_adversaries, seed)
    log_scores = init.to(device=attn.device, dtype=attn.dtype).requires_grad_(True)
    outside = ~encoded.mask[:, None, :]
    rows = _rows(n, n_adversaries, attn.device)
    with torch.no_grad():
        projected = model.project_states(encoded)                          # (n, seq_len, k), k << hidden

    def forward():
        alpha = torch.softmax(log_scores.masked_fill(outside, float("-inf")), dim=-1)
        contexts = torch.bmm(alpha, projected).reshape(n * n_adversaries, -1)
        new_probs = _decode_projected(model, encoded, contexts, rows).view(n, n_adversaries, -1)
        return alpha, new_probs

    optimizer = torch.optim.Adam([log_scores], lr=lr, amsgrad=True, fused=True)
    one = torch.ones((), dtype=attn.dtype, device=attn.device)
    with torch.enable_grad():
        for _ in range(n_iterations):
            alpha, new_probs = forward()
            hinge = _output_hinge(output_change(model, new_probs, probs[:, None, :]))
            # the objective's gradient: the hinge's through autograd, the divergences' by hand
            (log_scores.grad,) = torch.autograd.grad((hinge, alpha), log_scores,
                                                     (one, divergence_gradient(alpha.detach(), attn)))
            optimizer.step()
    with torch.no_grad():
        alpha, new_probs = forward()
        return AdversarialResult(attn=alpha, jsd=jsd(alpha, attn[:, None, :]), tvd=tvd(new_probs, probs[:, None, :]))


def adversarial_over_split(model: AttentionModel, split: Split, *, n_adversaries: int = 5, n_iterations: int = 500,
                           lr: float = 0.01, seed: int = 0, batch_size: int = DEFAULT_BATCH_SIZES["adversarial"],
                           device=None, progress: bool = True) -> AdversarialResult:
    """:func:`adversarial_search` over a split, rows in split order.

    ``batch_size`` only changes speed (examples are optimised independently); the authors used the model's
    training batch size.

    Returns
    -------
    AdversarialResult
        numpy float64 arrays: ``attn`` (n, K, max_len) aligned with ``split.sequences``, ``jsd`` and
        ``tvd`` (n, K).

    Examples
    --------
    >>> adv = adversarial_over_split(model, split, progress=False)  # doctest: +SKIP
    >>> max_jsd_within(adv.jsd, adv.tvd, 0.05)  # doctest: +SKIP
    """
    _check_search_args(n_adversaries, n_iterations, lr)
    device = _prepare(model, split, device)
    attn, jsds, tvds = _Results(), _Results(), _Results()
    with _eval_mode(model):
        for batch in _host_batches(split, batch_size, progress, "adversarial"):
            init = initial_batch_scores(batch, n_adversaries, seed)
            result = adversarial_search(model, batch.to(device), n_adversaries=n_adversaries,
                                        n_iterations=n_iterations, lr=lr, init=init)
            attn.add(batch.index, result.attn)
            jsds.add(batch.index, result.jsd)
            tvds.add(batch.index, result.tvd)
    return AdversarialResult(attn=attn.into(_padded(split, n_adversaries)),
                             jsd=jsds.into(np.zeros((len(split), n_adversaries))),
                             tvd=tvds.into(np.zeros((len(split), n_adversaries))))


def max_jsd_within(adv_jsd, adv_tvd, epsilon: float) -> np.ndarray:
    """Per example, the largest JSD among the original attention and the adversaries with TVD <= epsilon.

    The original attention (JSD 0, TVD 0) is always a candidate, so the result is >= 0 (book/protocol.md §7,
    quirk Q4: the paper's plots filter at epsilon = 0.05 for every task).

    Parameters
    ----------
    adv_jsd, adv_tvd : array-like, shape (n, n_adversaries)
    epsilon : float

    Returns
    -------
    ndarray of float64, shape (n,)

    Examples
    --------
    >>> max_jsd_within([[0.5, 0.2]], [[0.1, 0.01]], 0.05)
    array([0.2])
    """
    adv_jsd, adv_tvd = np.asarray(adv_jsd, dtype=np.float64), np.asarray(adv_tvd, dtype=np.float64)
    if adv_jsd.shape != adv_tvd.shape or adv_jsd.ndim != 2:
        raise ValueError(f"adv_jsd and adv_tvd must both have shape (n, n_adversaries); got {adv_jsd.shape} "
                         f"and {adv_tvd.shape}")
    if not epsilon >= 0:
        raise ValueError(f"epsilon must be a non-negative number; got {epsilon!r}")
    within = np.where(adv_tvd <= epsilon, adv_jsd, 0.0)
    return np.maximum(within.max(axis=1, initial=0.0), 0.0)
