"""Tiny models and splits for the tests of attnlib.explain.

* :func:`random_split` / :func:`random_model`: synthetic data and randomly initialised float64 models of any
  task, encoder and attention (:data:`CONFIGS` lists all twelve combinations).
* :func:`hand_built_classifier`: an Average + dot classifier with hand-set weights whose attention, gradient
  and leave-one-out importances have closed forms (:func:`hand_built_expected`).
* :func:`pad_batch`: the same batch with extra padding columns.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import replace

import numpy as np
import pytest
import torch

from attnlib.data.base import Split
from attnlib.data.batching import Batch
from attnlib.models import ATTENTIONS, ENCODERS, ModelConfig, build_model

VOCAB, EMBED, HIDDEN, PAIR_CLASSES = 40, 6, 8, 5
TASKS = ("classification", "pair")
CONFIGS = [(task, encoder, attention) for task, encoder, attention in itertools.product(TASKS, ENCODERS, ATTENTIONS)]
CONFIG_IDS = [f"{t}-{e}-{a}" for t, e, a in CONFIGS]


@pytest.fixture(autouse=True)
def seeded():
    """Seed every global RNG (the library itself never uses them; models in tests are built from them)."""
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    yield


def n_classes_of(task: str) -> int:
    return 2 if task == "classification" else PAIR_CLASSES


def random_split(n: int = 7, task: str = "classification", *, seed: int = 0, min_tokens: int = 1,
                 max_tokens: int = 12) -> Split:
    """``n`` random examples with ``min_tokens ... max_tokens`` real tokens (ids >= 4), framed by 2 ... 3.

    Pair splits get questions of 1-4 tokens and candidate masks (class 0 always allowed). Lengths include
    1-token texts (leave-one-out NaN) and texts longer than the CNN window.
    """
    rng = np.random.RandomState(seed)
    lengths = rng.randint(min_tokens, max_tokens + 1, size=n)
    n_classes = n_classes_of(task)
    split = Split(sequences=[[2, *rng.randint(4, VOCAB, size=k).tolist(), 3] for k in lengths],
                  labels=rng.randint(0, n_classes, size=n))
    if task == "pair":
        split.questions = [[2, *rng.randint(4, VOCAB, size=k).tolist(), 3] for k in rng.randint(1, 5, size=n)]
        candidates = rng.rand(n, n_classes) < 0.7
        candidates[:, 0] = True
        split.candidates = candidates
    return split


def random_model(task: str, encoder: str, attention: str, *, seed: int = 0, dtype=torch.float64,
                 scale: float = 1.0):
    """A randomly initialised model (float64 by default, eval mode); ``scale`` multiplies every parameter
    (larger values make attention peakier and outputs more sensitive)."""
    torch.manual_seed(seed)
    config = ModelConfig(task=task, encoder=encoder, attention=attention, hidden=HIDDEN,
                         n_classes=n_classes_of(task))
    model = build_model(config, torch.randn(VOCAB, EMBED)).to(dtype).eval()
    if scale != 1.0:
        with torch.no_grad():
            for name, p in model.named_parameters():
                if "embedding" not in name:
                    p.mul_(scale)
    return model


def pad_batch(batch: Batch, extra: int) -> Batch:
    """``batch`` with ``extra`` more padding columns (id 0, mask False) on the text and the question."""
    def pad(t, value):
        return torch.cat([t, torch.full((t.shape[0], extra), value, dtype=t.dtype, device=t.device)], dim=1)

    padded = replace(batch, tokens=pad(batch.tokens, 0), mask=pad(batch.mask, False))
    if batch.question is not None:
        padded.question = pad(batch.question, 0)
    return padded


# ---------------------------------------------------------------------------------------------------------
# A hand-built classifier with closed-form importances
# ---------------------------------------------------------------------------------------------------------

HAND_EMBEDDINGS = np.array([
    [0.0, 0.0],    # 0 <0> padding
    [0.0, 0.0],    # 1 <UNK>
    [0.3, -0.2],   # 2 <SOS>
    [-0.1, 0.4],   # 3 <EOS>
    [1.0, 0.0],    # 4
    [0.0, 1.0],    # 5
    [-0.7, 0.5],   # 6
    [0.4, -1.2],   # 7
])
HAND_W = np.array([[1.0, -0.5], [0.3, 0.8], [-1.2, 0.2], [0.5, 0.5]])   # projection, hidden 4 x embed 2
HAND_B = np.array([0.1, -0.2, 0.0, 0.3])
HAND_QUERY = np.array([2.0, -1.0, 0.5, 1.5])                              # dot attention vector w
HAND_U = np.array([1.5, -2.0, 0.7, 1.0])                                  # output weights
HAND_C = -0.25                                                            # output bias


def hand_built_classifier() -> torch.nn.Module:
    """Average encoder + ``dot`` attention, embed 2, hidden 4, 8 word ids, float64, weights set by hand.

    ``h_t = tanh(W e_t + b)``, ``score_t = w . h_t / 2`` (``sqrt(hidden) = 2``),
    ``attn = softmax(score)`` over the real tokens, ``p = sigmoid(u . sum_t attn_t h_t + c)``, with ``E``,
    ``W``, ``b``, ``w``, ``u``, ``c`` the ``HAND_*`` arrays of this module.
    """
    model = build_model(ModelConfig("classification", "average", "dot", hidden=4),
                        torch.tensor(HAND_EMBEDDINGS)).double().eval()
    with torch.no_grad():
        model.embedding.weight.copy_(torch.tensor(HAND_EMBEDDINGS))
        model.encoder.projection.weight.copy_(torch.tensor(HAND_W))
        model.encoder.projection.bias.copy_(torch.tensor(HAND_B))
        model.attention.query.weight.copy_(torch.tensor(HAND_QUERY)[None])
        model.output.weight.copy_(torch.tensor(HAND_U)[None])
        model.output.bias.fill_(HAND_C)
    return model


def hand_built_expected(words: list[int]) -> dict[str, np.ndarray]:
    """Closed-form attention, gradient and leave-one-out of :func:`hand_built_classifier` on ``words``
    (the real tokens only, no ``<SOS>``/``<EOS>``).

    * attention ``a = softmax(w . h / 2)``;
    * gradient with attention fixed: ``dp/de_t . e_t = p (1 - p) a_t sum_d u_d (1 - h_td^2) (W e_t)_d``;
    * leave-one-out ``|p(without t) - p|``, the softmax renormalised over the other tokens (NaN for one word).
    """
    e = HAND_EMBEDDINGS[words]                        # (n, 2)
    pre = e @ HAND_W.T + HAND_B
    h = np.tanh(pre)                                  # (n, 4)
    scores = h @ HAND_QUERY / 2.0

    def prob(keep):
        a = np.exp(scores[keep] - scores[keep].max())
        a /= a.sum()
        return 1 / (1 + np.exp(-(a @ h[keep] @ HAND_U + HAND_C))), a

    everything = np.arange(len(words))
    p, a = prob(everything)
    gradient = np.abs(p * (1 - p) * a * (((1 - h ** 2) * (e @ HAND_W.T)) @ HAND_U))
    loo = np.array([abs(prob(everything[everything != t])[0] - p) if len(words) > 1 else np.nan
                    for t in everything])
    return {"attention": a, "gradient": gradient, "loo": loo, "p": p}
